// The SNTP client's schedule to the millisecond (src/core/clock/sntp/sntp-client.ts): when each
// request goes, when a lost one times out, when the steady polls start and how they are
// staggered, how the interval adapts, what a RATE kiss and repeated failures change, when a lost
// socket is retried, what nextActionAt() says at every step, and the counters after each. The
// rig (scripted network, resolver, monotonic clock, recording sink) is hosttest/support/sntp-rig.ts.
// Also bundled and run inside XS.
import { describe, expect, it } from "vitest";
import { SampleVerdict } from "../../src/core/clock/clock-sample";
import { SntpClient, SntpServerState } from "../../src/core/clock/sntp/sntp-client";
import { KISS_DENY, KISS_RATE } from "../../src/core/clock/sntp/sntp-reply-check";
import { SeededRandom } from "../../src/sim/seeded-random";
import { ADDR, FakeMono, FakeNet, RecordingSink, reply, setup, UTC0 } from "../support/sntp-rig";
import { thrown } from "../support/thrown";

type Rig = ReturnType<typeof setup>;

/** Jumps the clock to the client's next action and ticks; returns that time. */
function advance(r: Rig): number {
  const at = r.client.nextActionAt();
  expect(Number.isFinite(at)).toBe(true);
  r.mono.t = at;
  r.client.tick();
  return at;
}

/** Answers the i-th request truthfully `rtt` ms after it was sent (the clock moves there). */
function answer(r: Rig, i: number, rtt = 20, o: Parameters<typeof reply>[1] = {}): void {
  const s = r.net.sent[i]!;
  const t2 = UTC0 + s.at + rtt / 2;
  r.mono.t = s.at + rtt;
  r.net.deliver(reply(s.bytes, { t2, t3: t2, ...o }), s.address);
}

/** Started, one server's burst of 4 sent and answered: synced, the steady polls ahead. */
function burstAnswered(r: Rig): void {
  r.client.start();
  r.client.tick();
  for (let i = 0; i < 4; i++) {
    if (i > 0) advance(r);
    answer(r, i);
  }
}

describe("SntpClient schedule, one server", () => {
  it("a burst of 4 requests exactly burstSpacingMs apart, then the first steady poll minPollMs after the last answer", () => {
    const r = setup({ servers: ["a"] });
    r.client.start();
    expect(r.sink.reachable).toEqual([false]);
    r.client.tick(); // t = 0: the burst starts, the first request goes
    expect([r.net.sent.length, r.client.inBurst, r.client.counters.bursts]).toEqual([1, true, 1]);
    expect(r.client.nextActionAt()).toBe(2000); // its timeout
    for (let i = 0; i < 4; i++) {
      answer(r, i);
      expect(r.client.nextActionAt()).toBe(i < 3 ? 2000 * (i + 1) : 6020 + 32_000); // the next request, or the steady poll
      if (i < 3) {
        r.mono.t = 2000 * (i + 1) - 1;
        r.client.tick();
        expect(r.net.sent).toHaveLength(i + 1);
        expect(advance(r)).toBe(2000 * (i + 1));
        expect(r.net.sent).toHaveLength(i + 2);
      }
    }
    expect(r.net.sent.map((s) => s.at)).toEqual([0, 2000, 4000, 6000]);
    expect([r.client.inBurst, r.sink.bursts, r.sink.synced, r.sink.reachable]).toEqual([false, 1, true, [false, true]]);
    expect(r.client.counters).toMatchObject({ requests: 4, datagrams: 4, samples: 4, pending: 4, used: 0, timeouts: 0 });
    expect(r.client.servers[0]).toMatchObject({ requests: 4, samples: 4, reach: 3, state: SntpServerState.READY });
    // Steady: 32 s after the burst's last answer (6 020), then every 32 s from each request.
    expect(advance(r)).toBe(6020 + 32_000);
    answer(r, 4);
    expect(advance(r)).toBe(6020 + 64_000);
    expect(r.client.counters.used).toBe(1);
  });

  it("a lost request times out exactly responseTimeoutMs after it went; its answer after that is unsolicited", () => {
    const r = setup({ servers: ["a"], responseTimeoutMs: 500 });
    r.client.start();
    r.client.tick();
    r.mono.t = 499;
    r.client.tick();
    expect(r.client.counters.timeouts).toBe(0);
    r.mono.t = 500;
    r.client.tick();
    expect([r.client.counters.timeouts, r.client.servers[0]!.timeouts, r.client.servers[0]!.reach]).toEqual([1, 1, 0]);
    answer(r, 0);
    expect(r.client.counters.rejects.UNSOLICITED).toBe(1);
    expect(r.client.counters.samples).toBe(0);
  });

  it("staggers three servers' first steady polls over the interval, none sooner than 15 s", () => {
    const r = setup();
    r.client.start();
    r.client.tick();
    for (let round = 0; round < 4; round++) {
      if (round > 0) advance(r);
      for (let i = 3 * round; i < 3 * round + 3; i++) answer(r, i);
    }
    expect(r.sink.bursts).toBe(1);
    const end = r.mono.t;
    const first: number[] = [];
    for (let i = 0; i < 3; i++) {
      first.push(advance(r) - end);
      answer(r, 12 + i);
    }
    // 32 s shared by 3: 10.7 s (raised to 15 s), 21.3 s, 32 s.
    expect(first[0]).toBe(15_000);
    expect(first[1]).toBeCloseTo(64_000 / 3, 6);
    expect(first[2]).toBe(32_000);
    expect(new Set(r.net.sent.slice(12).map((s) => s.address)).size).toBe(3);
  });

  it("doubles the interval after stablePollsToBackOff quiet samples, halves it after as many noisy ones, never below minPollMs", () => {
    const r = setup({ servers: ["a"], stablePollsToBackOff: 2, maxPollMs: 128_000 });
    burstAnswered(r);
    const intervals: number[] = [];
    const poll = (error: number) => {
      r.sink.estimateError = error;
      advance(r);
      answer(r, r.net.sent.length - 1);
      intervals.push(r.client.servers[0]!.intervalMs);
    };
    for (let i = 0; i < 6; i++) poll(0); // quiet (the clock predicts each sample)
    for (let i = 0; i < 6; i++) poll(50); // noisy
    expect(intervals).toEqual([32_000, 64_000, 64_000, 128_000, 128_000, 128_000, 128_000, 64_000, 64_000, 32_000, 32_000, 32_000]);
    // Outliers (not used) count as failures for reachability, not as noise.
    r.sink.verdict = SampleVerdict.OUTLIER;
    poll(0);
    expect([r.client.counters.outliers, r.client.servers[0]!.intervalMs, r.client.servers[0]!.reach & 1]).toEqual([1, 32_000, 0]);
  });

  it("a RATE kiss doubles the server's floor (from the larger of floor and interval), capped at 4 × maxPollMs", () => {
    const r = setup({ servers: ["a"], stablePollsToBackOff: 1, maxPollMs: 64_000 });
    burstAnswered(r);
    advance(r);
    answer(r, 4); // quiet: the interval doubles to 64 s
    expect(r.client.servers[0]).toMatchObject({ intervalMs: 64_000, minIntervalMs: 32_000 });
    const kiss = () => {
      const at = advance(r);
      answer(r, r.net.sent.length - 1, 20, { stratum: 0, refId: KISS_RATE });
      expect(r.client.nextActionAt()).toBe(at + 20 + r.client.servers[0]!.intervalMs);
    };
    kiss();
    expect(r.client.servers[0]).toMatchObject({ intervalMs: 128_000, minIntervalMs: 128_000 });
    kiss();
    expect(r.client.servers[0]).toMatchObject({ intervalMs: 256_000, minIntervalMs: 256_000 }); // 4 × 64 s: the cap
    kiss();
    expect(r.client.servers[0]).toMatchObject({ intervalMs: 256_000, minIntervalMs: 256_000, rejects: 3 });
    expect(r.client.counters.rejects.KOD_RATE).toBe(3);
  });

  it("a DENY drops the server exactly reresolveMs long; the same address again stays dropped, another is polled", () => {
    let address = ADDR.a!;
    const r = setup({ servers: ["a"], reresolveMs: 60_000 }, (_n, done) => done(address));
    r.client.start();
    r.client.tick();
    answer(r, 0, 20, { stratum: 0, refId: KISS_DENY });
    expect(r.client.servers[0]).toMatchObject({ state: SntpServerState.DENIED, address: null, reach: 0, rejects: 1 });
    expect([r.client.counters.serversDropped, r.client.nextActionAt(), r.client.reachable]).toEqual([1, 60_020, false]);
    expect(advance(r)).toBe(60_020); // looked up again: the same address
    expect([r.client.servers[0]!.state, r.client.nextActionAt(), r.net.sent.length]).toEqual([SntpServerState.DENIED, 120_020, 1]);
    address = ADDR.b!;
    advance(r);
    expect([r.client.servers[0]!.state, r.client.servers[0]!.address]).toEqual([SntpServerState.READY, ADDR.b]);
    r.client.tick();
    expect(r.net.sent.at(-1)!.address).toBe(ADDR.b);
  });

  it("a new burst (the clock wants one again) starts each server's interval over from minPollMs", () => {
    const r = setup({ servers: ["a"], stablePollsToBackOff: 1 });
    burstAnswered(r);
    advance(r);
    answer(r, 4);
    expect(r.client.servers[0]!.intervalMs).toBe(64_000);
    r.sink.synced = false; // re-acquiring
    r.client.tick();
    expect([r.client.inBurst, r.client.counters.bursts, r.client.servers[0]!.intervalMs, r.net.sent.length]).toEqual([true, 2, 32_000, 6]);
  });

  it("a datagram after stop() is not even counted", () => {
    const r = setup({ servers: ["a"] });
    r.client.start();
    r.client.tick();
    const request = r.net.sent[0]!.bytes;
    const handlers = r.net.handlers!;
    r.client.stop();
    handlers.onDatagram(reply(request), ADDR.a!, 123);
    expect([r.client.counters.datagrams, r.client.counters.samples, r.sink.samples.length]).toEqual([0, 0, 0]);
  });

  it("a RATE floor holds: noisy samples halve the interval no lower, and a new burst neither resets it nor includes that server", () => {
    const r = setup({ servers: ["a"], stablePollsToBackOff: 1 });
    burstAnswered(r);
    advance(r);
    answer(r, 4, 20, { stratum: 0, refId: KISS_RATE });
    expect(r.client.servers[0]).toMatchObject({ intervalMs: 64_000, minIntervalMs: 64_000 });
    r.sink.estimateError = 50; // noisy: halve, but not below the floor
    advance(r);
    answer(r, 5);
    expect(r.client.servers[0]!.intervalMs).toBe(64_000);
    r.sink.synced = false; // the clock wants a burst: this server keeps to its floor
    const sent = r.net.sent.length;
    r.client.tick();
    expect([r.client.counters.bursts, r.client.servers[0]!.intervalMs, r.net.sent.length]).toEqual([2, 64_000, sent]);
  });

  it("looks the name up again after reresolveAfterFailures lost polls in a row; an answer in between starts the count again", () => {
    let lookups = 0;
    const r = setup({ servers: ["a"], reresolveAfterFailures: 2, responseTimeoutMs: 100 }, (name, done) => {
      lookups++;
      done(ADDR[name]!);
    });
    r.client.start();
    r.client.tick();
    expect(lookups).toBe(1);
    advance(r); // timeout 1
    advance(r); // request 2
    answer(r, 1);
    advance(r); // request 3
    advance(r); // timeout
    expect(lookups).toBe(1);
    advance(r); // request 4
    advance(r); // timeout: two in a row
    expect([lookups, r.client.counters.timeouts]).toEqual([2, 3]);
  });

  it("a send refused or thrown counts as a failure and a lost poll, not as a request awaiting", () => {
    for (const how of ["false", "throw"]) {
      const mono = new FakeMono();
      const sink = new RecordingSink();
      const client = new SntpClient(
        { servers: ["192.0.2.1"], reresolveAfterFailures: 1 },
        {
          clock: mono,
          udp: () => ({
            send: () => {
              if (how === "throw") throw new Error("ENETUNREACH");
              return false;
            },
            close: () => {},
          }),
          resolver: { resolve: (n, d) => d(n) },
          random: new SeededRandom(1),
        },
        sink,
      );
      client.start();
      client.tick();
      expect(client.counters, how).toMatchObject({ requests: 1, sendFailures: 1, timeouts: 0 });
      // Not awaiting a reply. The failure had the name looked up again (the same address): that
      // ends this server's burst instead of starting it over, so the burst ends unanswered and the
      // next one waits out the backoff (minPollMs), rather than sending at every tick.
      expect([client.servers[0]!.state, client.inBurst, sink.bursts], how).toEqual([SntpServerState.READY, false, 1]);
      expect(client.nextActionAt(), how).toBe(32_000);
      mono.t = 31_999;
      client.tick();
      expect(client.counters.requests, how).toBe(1);
    }
  });
});

describe("SntpClient sockets, names and failures", () => {
  it("a socket that cannot be opened is retried exactly 5 s later, and nextActionAt says so", () => {
    const mono = new FakeMono();
    const net = new FakeNet(mono);
    let fail = true;
    const client = new SntpClient(
      { servers: ["192.0.2.1"] },
      { clock: mono, udp: (h) => (fail ? (() => { throw new Error("no socket"); })() : net.factory(h)), resolver: { resolve: (n, d) => d(n) }, random: new SeededRandom(1) },
      new RecordingSink(),
    );
    mono.t = 1000;
    client.start();
    expect(client.counters.socketFailures).toBe(1);
    client.tick();
    expect(client.nextActionAt()).toBe(1000); // the burst's first request is due, its socket is not there
    mono.t = 5999;
    client.tick();
    expect([client.counters.socketFailures, net.sockets]).toEqual([1, 0]); // not retried before 5 s
    fail = false;
    mono.t = 6000;
    client.tick();
    expect(net.sockets).toBe(1);
    expect(net.sent).toHaveLength(1);
  });

  it("nextActionAt: a lookup's deadline, then its retry", () => {
    const pending: ((a: string | null) => void)[] = [];
    const r = setup({ servers: ["a"], resolveTimeoutMs: 700, burstSpacingMs: 300 }, (_n, done) => {
      pending.push(done);
    });
    r.mono.t = 100;
    r.client.start();
    expect(r.client.nextActionAt()).toBe(800); // RESOLVING: its deadline
    r.mono.t = 799;
    r.client.tick();
    expect(r.client.servers[0]!.state).toBe(SntpServerState.RESOLVING);
    r.mono.t = 800;
    r.client.tick();
    expect([r.client.servers[0]!.state, r.client.nextActionAt()]).toEqual([SntpServerState.UNRESOLVED, 1100]); // retry after 300 ms
    r.mono.t = 1100;
    r.client.tick();
    expect(pending).toHaveLength(2);
    pending[1]!(""); // an empty answer is a failure: the retry delay doubles
    expect([r.client.servers[0]!.state, r.client.nextActionAt(), r.client.counters.resolveFailures]).toEqual([SntpServerState.UNRESOLVED, 1700, 2]);
  });

  it("a resolver that throws is a failed lookup, retried", () => {
    let calls = 0;
    const r = setup({ servers: ["a"] }, (name, done) => {
      if (++calls === 1) throw new Error("no DNS");
      done(ADDR[name]!);
    });
    r.client.start();
    expect([r.client.servers[0]!.state, r.client.counters.resolveFailures, r.client.nextActionAt()]).toEqual([SntpServerState.UNRESOLVED, 1, 2000]);
    advance(r);
    expect(r.client.servers[0]!.state).toBe(SntpServerState.READY);
  });

  it("a sink that throws is counted as an internal error, whether in a tick, a datagram or a lookup's answer", () => {
    const r = setup({ servers: ["a"] });
    r.client.start();
    r.client.tick();
    r.sink.addSample = () => {
      throw new Error("sink bug");
    };
    answer(r, 0);
    expect(r.client.counters.internalErrors).toBe(1);
    r.sink.wantsBurst = () => {
      throw new Error("sink bug");
    };
    r.client.tick();
    expect(r.client.counters.internalErrors).toBe(2);

    const pending: ((a: string | null) => void)[] = [];
    const q = setup({ servers: ["a"] }, (_n, done) => {
      pending.push(done);
    });
    q.client.start();
    q.sink.setReachable = () => {
      throw new Error("sink bug");
    };
    pending[0]!(ADDR.a!);
    expect(q.client.counters.internalErrors).toBe(1);
  });

  it("restarting looks every name up again and starts reachability afresh", () => {
    let lookups = 0;
    const r = setup({ servers: ["a", "b"] }, (name, done) => {
      lookups++;
      done(ADDR[name]!);
    });
    r.client.start();
    r.client.tick();
    answer(r, 0);
    expect(r.client.reachable).toBe(true);
    r.client.stop();
    expect(r.client.inBurst).toBe(false);
    r.client.start();
    expect(lookups).toBe(4);
    expect(r.client.reachable).toBe(false);
    expect(r.client.servers.map((s) => s.reach)).toEqual([0, 0]);
  });
});

describe("SntpClient ports and reachability", () => {
  it("refuses missing ports by name, not with a TypeError", () => {
    const mono = new FakeMono();
    const ports = { clock: mono, udp: new FakeNet(mono).factory, resolver: { resolve: () => {} }, random: new SeededRandom(1) };
    const sink = new RecordingSink();
    const refusals: [unknown, unknown, string][] = [
      [undefined, sink, "ports.clock must be a MonotonicClockPort"],
      [{ ...ports, clock: undefined }, sink, "ports.clock must be a MonotonicClockPort"],
      [{ ...ports, resolver: undefined }, sink, "ports.resolver must be a ResolverPort"],
      [{ ...ports, random: undefined }, sink, "ports.random must be a RandomPort"],
      [ports, undefined, "sink must be a ClockSampleSink"],
    ];
    for (const [p, k, message] of refusals) {
      expect(String(thrown(() => new SntpClient({ servers: ["a"] }, p as never, k as never))), message).toBe("RangeError: " + message);
    }
  });

  it("a server whose name is being looked up again is not reachable, whatever its last polls said", () => {
    const pending: ((a: string | null) => void)[] = [];
    const r = setup({ servers: ["a"], reresolveAfterFailures: 1, responseTimeoutMs: 100 }, (_n, done) => {
      pending.push(done);
    });
    r.client.start();
    pending[0]!(ADDR.a!);
    r.client.tick();
    answer(r, 0);
    expect(r.client.reachable).toBe(true);
    advance(r); // the next request
    advance(r); // lost: looked up again
    expect(r.client.servers[0]).toMatchObject({ state: SntpServerState.RESOLVING, reach: 2 });
    expect([r.client.reachable, r.sink.reachable.at(-1)]).toEqual([false, false]);
  });
});

describe("SntpClient replies at their limits", () => {
  /** One server, its first request sent at 0. */
  function sent(): Rig {
    const r = setup({ servers: ["a"] });
    r.client.start();
    r.client.tick();
    return r;
  }

  it("a root distance of exactly maxRootDistanceMs is taken; one step of the format above it is refused", () => {
    const r = sent();
    answer(r, 0, 20, { rootDispersionMs: 1000 });
    expect([r.client.counters.samples, r.sink.samples[0]!.rootDistanceMs]).toEqual([1, 1000]);
    const q = sent();
    answer(q, 0, 20, { rootDispersionMs: 1000.02 }); // 65 537 / 65 536 s
    expect([q.client.counters.samples, q.client.counters.rejects.ROOT_DISTANCE, q.client.servers[0]!.rejects]).toEqual([0, 1, 1]);
  });

  it("a delay a little below zero (timestamp noise) is taken as zero; more than 1 ms below is refused", () => {
    const r = sent();
    // The server says it held the request 20.9 ms, but the round trip took 20: delay −0.9 ms.
    const t2 = UTC0 + 10;
    r.mono.t = 20;
    r.net.deliver(reply(r.net.sent[0]!.bytes, { t2, t3: t2 + 20.9 }), ADDR.a!);
    expect(r.client.counters.samples).toBe(1);
    expect(r.sink.samples[0]!.delayMs).toBe(0);
    const q = sent();
    q.mono.t = 20;
    q.net.deliver(reply(q.net.sent[0]!.bytes, { t2, t3: t2 + 21.1 }), ADDR.a!);
    expect([q.client.counters.samples, q.client.counters.rejects.NEGATIVE_DELAY]).toEqual([0, 1]);
  });

  it("before the clock is synced, the era comes from eraPivotUtcMs; after, from the clock's estimate", () => {
    const r = sent();
    answer(r, 0);
    expect(r.sink.samples[0]!.offsetMs).toBeCloseTo(UTC0, 3);
    const far = setup({ servers: ["a"], eraPivotUtcMs: UTC0 + 200 * 365 * 86_400_000 });
    far.client.start();
    far.client.tick();
    answer(far, 0);
    // 136 years (one NTP era) later: the same timestamp read in the next era.
    expect(far.sink.samples[0]!.offsetMs - UTC0).toBeCloseTo(2 ** 32 * 1000, -3);
  });

  it("a datagram from a server's address but not its port, or from no server, is unsolicited and blamed on no server", () => {
    const r = sent();
    const s = r.net.sent[0]!;
    r.net.deliver(reply(s.bytes), ADDR.a!, 124);
    r.net.deliver(reply(s.bytes), "198.51.100.7");
    expect([r.client.counters.rejects.UNSOLICITED, r.client.counters.datagrams, r.client.servers[0]!.rejects]).toEqual([2, 2, 0]);
    answer(r, 0);
    expect(r.client.counters.samples).toBe(1);
  });
});
