// Engine-neutral tests of the SNTP client (src/core/clock/sntp/sntp-client.ts)
// over a scripted network: the test plays the servers, the resolver and the
// monotonic clock, and a recording sink stands in for the disciplined clock.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readUint32 } from "../../src/core/clock/sntp/ntp-timestamp";
import { SntpClient, SntpServerState } from "../../src/core/clock/sntp/sntp-client";
import type { SntpClientOptions } from "../../src/core/clock/sntp/sntp-client-options";
import { KISS_DENY, KISS_RATE } from "../../src/core/clock/sntp/sntp-reply-check";
import { SeededRandom } from "../../src/sim/seeded-random";
import { ADDR, FakeMono, FakeNet, RecordingSink, type ReplyOptions, reply, setup, UTC0 } from "../support/sntp-rig";

describe("SntpClient requests", () => {
  it("sends 48-byte v4 client requests with a fresh random transmit timestamp", () => {
    const { net, client } = setup();
    client.start();
    client.tick();
    expect(net.sent).toHaveLength(3);
    const nonces = new Set<string>();
    for (const s of net.sent) {
      expect(s.bytes.length).toBe(48);
      expect(s.bytes[0]).toBe(0x23);
      expect(s.port).toBe(123);
      for (let i = 1; i < 40; i++) expect(s.bytes[i]).toBe(0);
      nonces.add(`${readUint32(s.bytes, 40)}:${readUint32(s.bytes, 44)}`);
    }
    expect(nonces.size).toBe(3);
    expect(net.sent.map((s) => s.address).sort()).toEqual(["192.0.2.1", "192.0.2.2", "192.0.2.3"]);
  });

  it("computes offset and delay from the four timestamps", () => {
    const { mono, net, sink, client } = setup({ servers: ["a"] });
    client.start();
    mono.t = 1000;
    client.tick();
    const req = net.sent[0]!;
    expect(req.at).toBe(1000);
    // True offset UTC − mono = UTC0 + 250; path 10 ms out, 30 ms back, 2 ms in the server.
    const t2 = UTC0 + 250 + 1000 + 10;
    const t3 = t2 + 2;
    mono.t = 1000 + 10 + 2 + 30;
    net.deliver(reply(req.bytes, { t2, t3, rootDelayMs: 4, rootDispersionMs: 1.5 }), "192.0.2.1");
    expect(sink.samples).toHaveLength(1);
    const s = sink.samples[0]!;
    expect(s.delayMs).toBeCloseTo(40, 3);
    // Offset error from the asymmetry: (10 − 30)/2 = −10 ms.
    expect(s.offsetMs - (UTC0 + 250)).toBeCloseTo(-10, 3);
    expect(s.monoMs).toBe(1021);
    expect(s.rootDistanceMs).toBeCloseTo(3.5, 1); // 16.16 fixed point: 1/65536 s steps
    expect(s.server).toBe(0);
    expect(client.counters.lastStratum).toBe(2);
  });
});

describe("SntpClient refuses bad replies, each under its reason", () => {
  function oneRequest(options: Partial<SntpClientOptions> = {}) {
    const t = setup({ servers: ["a"], ...options });
    t.client.start();
    t.client.tick();
    return { ...t, req: t.net.sent[0]! };
  }

  it("UNSOLICITED: unknown sender, wrong port, duplicate; a late reply never counts", () => {
    const { net, client, req, mono, run } = oneRequest();
    net.deliver(reply(req.bytes), "198.51.100.7");
    net.deliver(reply(req.bytes), "192.0.2.1", 124);
    expect(client.counters.rejects.UNSOLICITED).toBe(2);
    mono.t += 20;
    net.deliver(reply(req.bytes, { t2: UTC0 + mono.t }), "192.0.2.1");
    expect(client.counters.samples).toBe(1);
    net.deliver(reply(req.bytes, { t2: UTC0 + mono.t }), "192.0.2.1"); // replayed
    expect(client.counters.rejects.UNSOLICITED).toBe(3);
    // A reply after its request timed out: a newer request is outstanding, so it is an origin mismatch.
    run(2000);
    const next = net.sent[1]!;
    run(2500);
    expect(client.counters.timeouts).toBe(1);
    net.deliver(reply(next.bytes), "192.0.2.1");
    expect(client.counters.rejects.ORIGIN_MISMATCH).toBe(1);
    expect(client.counters.samples).toBe(1);
  });

  it("TOO_SHORT, and ORIGIN_MISMATCH keeps waiting for the genuine reply", () => {
    const { net, client, req, sink, mono } = oneRequest();
    net.deliver(new Uint8Array(47), "192.0.2.1");
    expect(client.counters.rejects.TOO_SHORT).toBe(1);
    net.deliver(reply(req.bytes, { origin: [1, 2], t2: UTC0 + 5000 }), "192.0.2.1");
    expect(client.counters.rejects.ORIGIN_MISMATCH).toBe(1);
    expect(sink.samples).toHaveLength(0);
    mono.t = 10;
    net.deliver(reply(req.bytes, { t2: UTC0 + 5 }), "192.0.2.1");
    expect(sink.samples).toHaveLength(1);
    expect(sink.samples[0]!.offsetMs - UTC0).toBeCloseTo(0, 3);
  });

  it("header checks through the client: mode, leap, stratum, zero transmit", () => {
    const cases: Array<[ReplyOptions, string]> = [
      [{ mode: 5 }, "BAD_MODE"],
      [{ leap: 3 }, "UNSYNCHRONIZED"],
      [{ stratum: 16 }, "BAD_STRATUM"],
      [{ stratum: 0, refId: 0x494e4954 }, "KOD_OTHER"],
    ];
    for (const [o, reason] of cases) {
      const { net, client, req, sink } = oneRequest();
      net.deliver(reply(req.bytes, o), "192.0.2.1");
      expect(`${reason}:${client.counters.rejects[reason as keyof typeof client.counters.rejects]}`).toBe(`${reason}:1`);
      expect(sink.samples).toHaveLength(0);
    }
    const { net, client, req } = oneRequest();
    const b = reply(req.bytes);
    b.fill(0, 40, 48);
    net.deliver(b, "192.0.2.1");
    expect(client.counters.rejects.ZERO_TRANSMIT).toBe(1);
  });

  it("NEGATIVE_DELAY and ROOT_DISTANCE", () => {
    const a = oneRequest();
    a.mono.t = 10;
    // The server claims it held the request 50 ms during a 10 ms round trip.
    a.net.deliver(reply(a.req.bytes, { t2: UTC0, t3: UTC0 + 50 }), "192.0.2.1");
    expect(a.client.counters.rejects.NEGATIVE_DELAY).toBe(1);
    const b = oneRequest({ maxRootDistanceMs: 100 });
    b.mono.t = 10;
    b.net.deliver(reply(b.req.bytes, { t2: UTC0 + 5, rootDelayMs: 100, rootDispersionMs: 60 }), "192.0.2.1");
    expect(b.client.counters.rejects.ROOT_DISTANCE).toBe(1);
    expect(b.sink.samples).toHaveLength(0);
  });

  it("a Kiss-o'-Death DENY drops the server until its name resolves to another address", () => {
    let address = "192.0.2.1";
    const { net, client, run, mono } = setup({ servers: ["a"], reresolveMs: 60_000 }, (_n, done) => done(address));
    client.start();
    client.tick();
    net.deliver(reply(net.sent[0]!.bytes, { stratum: 0, refId: KISS_DENY }), "192.0.2.1");
    expect(client.counters.rejects.KOD_DENY).toBe(1);
    expect(client.counters.serversDropped).toBe(1);
    expect(client.servers[0]!.state).toBe(SntpServerState.DENIED);
    run(59_000);
    expect(net.sent).toHaveLength(1);
    run(2000); // looked up again: same address, still denied
    expect(client.servers[0]!.state).toBe(SntpServerState.DENIED);
    expect(net.sent).toHaveLength(1);
    address = "192.0.2.9";
    run(61_000);
    expect(client.servers[0]!.state).toBe(SntpServerState.READY);
    expect(net.sent.length).toBeGreaterThan(1);
    expect(net.sent[net.sent.length - 1]!.address).toBe("192.0.2.9");
    expect(mono.t).toBeGreaterThan(120_000);
  });

  it("a Kiss-o'-Death RATE doubles that server's poll floor and ends its burst", () => {
    const { net, client, run, sink } = setup({ servers: ["a", "b"] });
    client.start();
    client.tick();
    const toA = () => net.to("192.0.2.1");
    net.deliver(reply(toA()[0]!.bytes, { stratum: 0, refId: KISS_RATE }), "192.0.2.1");
    expect(client.counters.rejects.KOD_RATE).toBe(1);
    expect(client.servers[0]!.minIntervalMs).toBe(64_000);
    run(10_000);
    expect(toA()).toHaveLength(1); // no more burst requests to it
    expect(net.to("192.0.2.2").length).toBe(4);
    expect(sink.bursts).toBeGreaterThanOrEqual(0);
  });

  it("never throws on garbage from a server's address (property)", () => {
    const { net, client } = setup({ servers: ["a"] });
    client.start();
    client.tick();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 96 }), (bytes) => {
        net.deliver(bytes, "192.0.2.1");
        return client.counters.internalErrors === 0;
      }),
      { numRuns: 300 },
    );
  });
});

describe("SntpClient schedule", () => {
  it("bursts 4 requests per server 2 s apart, then reports the burst once", () => {
    const { net, sink, client, run, answerAll } = setup();
    client.start();
    for (let i = 0; i < 80; i++) {
      run(100);
      answerAll();
    }
    expect(sink.bursts).toBe(1);
    expect(sink.synced).toBe(true);
    for (const a of Object.values(ADDR)) {
      const times = net.to(a).map((s) => s.at);
      expect(times).toHaveLength(4);
      for (let i = 1; i < 4; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(2000);
    }
    expect(sink.samples).toHaveLength(12);
    expect(client.counters.pending).toBe(12);
    expect(sink.reachable[sink.reachable.length - 1]).toBe(true);
  });

  it("then polls every server in turn, never faster than every 15 s, and backs off on quiet samples", () => {
    const { net, client, run, answerAll, sink } = setup({ stablePollsToBackOff: 2, maxPollMs: 128_000 });
    client.start();
    let answered = 0;
    for (let i = 0; i < 36_000; i++) {
      run(100);
      answered += answerAll();
    }
    expect(answered).toBe(net.sent.length);
    expect(client.counters.used).toBeGreaterThan(30);
    const burstEnd = sink.samples.length > 0 ? net.sent[11]!.at : 0;
    const steady = net.sent.filter((s) => s.at > burstEnd);
    const order = steady.slice(0, 6).map((s) => s.address);
    expect(new Set(order).size).toBe(3);
    for (const a of Object.values(ADDR)) {
      const times = steady.filter((s) => s.address === a).map((s) => s.at);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(15_000);
      // Backed off to the 128 s cap.
      expect(times[times.length - 1]! - times[times.length - 2]!).toBeGreaterThanOrEqual(128_000);
    }
    for (const s of client.servers) expect(s.intervalMs).toBe(128_000);
  });

  it("halves the interval again when samples disagree with the clock", () => {
    const { client, run, answerAll, sink } = setup({ servers: ["a"], stablePollsToBackOff: 2 });
    client.start();
    for (let i = 0; i < 20_000; i++) {
      run(100);
      answerAll();
    }
    expect(client.servers[0]!.intervalMs).toBeGreaterThan(32_000);
    sink.estimateError = 50; // the clock now predicts 50 ms off: every sample is "noisy"
    for (let i = 0; i < 40_000; i++) {
      run(100);
      answerAll();
    }
    expect(client.servers[0]!.intervalMs).toBe(32_000);
  });

  it("counts lost requests and reports unreachable (holdover) when no server answers", () => {
    const { client, run, answerAll, sink } = setup();
    client.start();
    for (let i = 0; i < 100; i++) {
      run(100);
      answerAll();
    }
    expect(sink.synced).toBe(true);
    expect(client.reachable).toBe(true);
    run(3 * 3600_000, 1000); // nothing answers
    expect(client.counters.timeouts).toBeGreaterThan(6);
    expect(client.reachable).toBe(false);
    expect(sink.reachable[sink.reachable.length - 1]).toBe(false);
    // Lost polls do not speed polling up.
    for (const s of client.servers) expect(s.intervalMs).toBeGreaterThanOrEqual(32_000);
  });

  it("retries the burst with backoff while nothing answers at boot", () => {
    const { client, run, sink, net } = setup({ servers: ["a"] });
    client.start();
    run(600_000, 500);
    expect(sink.synced).toBe(false);
    expect(sink.bursts).toBeGreaterThanOrEqual(3);
    // Backoff: far fewer than continuous 2 s bursts would send.
    expect(net.sent.length).toBeLessThan(60);
    expect(client.counters.bursts).toBe(sink.bursts);
  });

  it("nextActionAt says when to tick next", () => {
    const { client, mono } = setup({ servers: ["a"] });
    expect(client.nextActionAt()).toBe(Infinity);
    client.start();
    client.tick();
    expect(client.nextActionAt()).toBe(mono.t + 2000); // the response timeout
  });
});

describe("SntpClient names and sockets", () => {
  it("waits for asynchronous lookups, ignores late answers, retries failures", () => {
    const pending: Array<(a: string | null) => void> = [];
    const { client, net, run, mono } = setup({ servers: ["a"], resolveTimeoutMs: 1000 }, (_n, done) => {
      pending.push(done);
    });
    client.start();
    run(500);
    expect(net.sent).toHaveLength(0);
    expect(client.servers[0]!.state).toBe(SntpServerState.RESOLVING);
    run(600); // timed out
    expect(client.counters.resolveFailures).toBe(1);
    pending[0]!("192.0.2.1"); // too late: ignored
    expect(client.servers[0]!.state).toBe(SntpServerState.UNRESOLVED);
    run(2500); // retried
    expect(pending.length).toBe(2);
    pending[1]!(null);
    expect(client.counters.resolveFailures).toBe(2);
    run(4100); // retried after a doubled delay (4 s)
    expect(pending.length).toBe(3);
    pending[2]!("192.0.2.1");
    client.tick();
    expect(client.servers[0]!.state).toBe(SntpServerState.READY);
    expect(net.sent).toHaveLength(1);
    expect(mono.t).toBeGreaterThan(7000);
  });

  it("survives a socket factory that throws, and stops cleanly", () => {
    const mono = new FakeMono();
    let fail = true;
    const net = new FakeNet(mono);
    const client = new SntpClient(
      { servers: ["192.0.2.1"] },
      { clock: mono, udp: (h) => (fail ? (() => { throw new Error("no socket"); })() : net.factory(h)), resolver: { resolve: (n, d) => d(n) }, random: new SeededRandom(1) },
      new RecordingSink(),
    );
    client.start();
    expect(client.counters.socketFailures).toBe(1);
    fail = false;
    mono.t = 6000;
    client.tick();
    expect(net.sockets).toBe(1);
    expect(net.sent).toHaveLength(1);
    client.stop();
    expect(net.closed).toBe(1);
    client.tick();
    expect(net.sent).toHaveLength(1);
    expect(client.counters.internalErrors).toBe(0);
  });

  it("refuses ports it cannot use, each by name", () => {
    const ports = { clock: new FakeMono(), udp: new FakeNet(new FakeMono()).factory, resolver: { resolve: () => {} }, random: new SeededRandom(1) };
    const sink = new RecordingSink();
    const opts = { servers: ["a"] };
    expect(() => new SntpClient(opts, { ...ports, clock: {} as FakeMono }, sink)).toThrow("ports.clock must be a MonotonicClockPort");
    expect(() => new SntpClient(opts, { ...ports, udp: null as never }, sink)).toThrow("ports.udp must be a datagram socket factory");
    expect(() => new SntpClient(opts, { ...ports, resolver: {} as never }, sink)).toThrow("ports.resolver must be a ResolverPort");
    expect(() => new SntpClient(opts, ports, {} as RecordingSink)).toThrow("sink must be a ClockSampleSink");
  });

  it("a second start opens nothing more; stop during a lookup forgets it, and its late answer is ignored", () => {
    const pending: Array<(a: string | null) => void> = [];
    const { client, net, run } = setup({ servers: ["a"] }, (_n, done) => {
      pending.push(done);
    });
    client.stop(); // not started: nothing to do
    expect(net.closed).toBe(0);
    client.start();
    client.start();
    expect([net.sockets, pending.length]).toEqual([1, 1]);
    expect(client.servers[0]!.state).toBe(SntpServerState.RESOLVING);
    client.stop();
    expect(client.servers[0]!.state).toBe(SntpServerState.UNRESOLVED);
    expect(net.closed).toBe(1);
    pending[0]!("192.0.2.1");
    run(1000);
    expect(client.servers[0]!.state).toBe(SntpServerState.UNRESOLVED);
    expect(net.sent).toHaveLength(0);
  });

  it("a random source that draws zero still sends a non-zero transmit timestamp (zero means 'not set')", () => {
    const mono = new FakeMono();
    const net = new FakeNet(mono);
    const client = new SntpClient(
      { servers: ["192.0.2.1"] },
      { clock: mono, udp: net.factory, resolver: { resolve: (n, d) => d(n) }, random: { nextUint32: () => 0 } },
      new RecordingSink(),
    );
    client.start();
    client.tick();
    expect(Array.from(net.sent[0]!.bytes.subarray(40, 48))).toEqual([0, 0, 0, 1, 0, 0, 0, 0]);
  });

  it("rejects options that can never work", () => {
    const ports = { clock: new FakeMono(), udp: new FakeNet(new FakeMono()).factory, resolver: { resolve: () => {} }, random: new SeededRandom(1) };
    const sink = new RecordingSink();
    expect(() => new SntpClient({ servers: [] }, ports, sink)).toThrow("servers");
    expect(() => new SntpClient({ servers: ["a"], minPollMs: 10_000 }, ports, sink)).toThrow("minPollMs");
    expect(() => new SntpClient({ servers: ["a"], maxPollMs: 20_000, minPollMs: 30_000 }, ports, sink)).toThrow("maxPollMs");
    expect(() => new SntpClient({ servers: ["a"], burstSamples: 9 }, ports, sink)).toThrow("burstSamples");
    expect(() => new SntpClient({ servers: ["a"] }, { ...ports, random: {} as never }, sink)).toThrow("RandomPort");
    expect(new SntpClient({ servers: ["a"] }, ports, sink).options.minPollMs).toBe(32_000);
  });
});
