// The SNTP client (src/core/clock/sntp/sntp-client.ts) over a scripted network: the test plays
// the servers, the resolver and the monotonic clock, and a recording sink stands in for the
// disciplined clock. Used by the core SNTP suites; runs under XS with them.
import type { DatagramHandlers, DatagramSocket } from "../../src/core/clock/clock-ports";
import type { ClockSample, ClockSampleSink, SampleVerdict } from "../../src/core/clock/clock-sample";
import { SampleVerdict as Verdict } from "../../src/core/clock/clock-sample";
import { writeNtpTimestamp, writeUint32 } from "../../src/core/clock/sntp/ntp-timestamp";
import { SntpClient } from "../../src/core/clock/sntp/sntp-client";
import type { SntpClientOptions } from "../../src/core/clock/sntp/sntp-client-options";
import { SeededRandom } from "../../src/sim/seeded-random";

export const UTC0 = 1772323200000; // UTC at monotonic 0 in these tests

export class FakeMono {
  t = 0;
  nowMs(): number {
    return this.t;
  }
}

export interface Sent {
  bytes: Uint8Array;
  address: string;
  port: number;
  at: number;
}

export class FakeNet {
  handlers: DatagramHandlers | null = null;
  readonly sent: Sent[] = [];
  sockets = 0;
  closed = 0;
  constructor(private readonly mono: FakeMono) {}
  factory = (h: DatagramHandlers): DatagramSocket => {
    this.handlers = h;
    this.sockets++;
    return {
      send: (bytes, address, port) => {
        this.sent.push({ bytes: bytes.slice(), address, port, at: this.mono.t });
        return true;
      },
      close: () => {
        this.closed++;
      },
    };
  };
  deliver(bytes: Uint8Array, address: string, port = 123): void {
    this.handlers!.onDatagram(bytes, address, port);
  }
  to(address: string): Sent[] {
    return this.sent.filter((s) => s.address === address);
  }
}

export class RecordingSink implements ClockSampleSink {
  readonly samples: ClockSample[] = [];
  synced = false;
  bursts = 0;
  reachable: boolean[] = [];
  verdict: SampleVerdict | null = null;
  /** What utcEstimate says once synced: UTC = UTC0 + mono + estimateError. */
  estimateError = 0;
  addSample(s: Readonly<ClockSample>): SampleVerdict {
    this.samples.push({ ...s });
    return this.verdict ?? (this.synced ? Verdict.USED : Verdict.PENDING);
  }
  wantsBurst(): boolean {
    return !this.synced;
  }
  burstComplete(): void {
    this.bursts++;
    if (this.samples.length > 0) this.synced = true;
  }
  setReachable(r: boolean): void {
    this.reachable.push(r);
  }
  utcEstimate(monoMs: number): number {
    return this.synced ? UTC0 + monoMs + this.estimateError : NaN;
  }
}

export interface ReplyOptions {
  t2?: number;
  t3?: number;
  stratum?: number;
  leap?: number;
  mode?: number;
  refId?: number;
  rootDelayMs?: number;
  rootDispersionMs?: number;
  origin?: [number, number];
}

/** A server reply to `req`, with server times as given (UTC ms). */
export function reply(req: Uint8Array, o: ReplyOptions = {}): Uint8Array {
  const b = new Uint8Array(48);
  b[0] = ((o.leap ?? 0) << 6) | (4 << 3) | (o.mode ?? 4);
  b[1] = o.stratum ?? 2;
  writeUint32(b, 4, Math.round(((o.rootDelayMs ?? 0) * 65536) / 1000));
  writeUint32(b, 8, Math.round(((o.rootDispersionMs ?? 0) * 65536) / 1000));
  writeUint32(b, 12, o.refId ?? 0x7f000001);
  if (o.origin !== undefined) {
    writeUint32(b, 24, o.origin[0]);
    writeUint32(b, 28, o.origin[1]);
  } else {
    b.set(req.subarray(40, 48), 24);
  }
  writeNtpTimestamp(b, 32, o.t2 ?? UTC0);
  writeNtpTimestamp(b, 40, o.t3 ?? o.t2 ?? UTC0);
  return b;
}

export const ADDR: Record<string, string> = { a: "192.0.2.1", b: "192.0.2.2", c: "192.0.2.3" };

export function setup(options: Partial<SntpClientOptions> = {}, resolver?: (name: string, done: (a: string | null) => void) => void) {
  const mono = new FakeMono();
  const net = new FakeNet(mono);
  const sink = new RecordingSink();
  const client = new SntpClient(
    { servers: ["a", "b", "c"], ...options },
    {
      clock: mono,
      udp: net.factory,
      resolver: { resolve: resolver ?? ((name, done) => done(ADDR[name] ?? null)) },
      random: new SeededRandom(42),
    },
    sink,
  );
  /** Advances time in `step` ms ticks. */
  const run = (ms: number, step = 100): void => {
    const end = mono.t + ms;
    while (mono.t < end) {
      mono.t = Math.min(end, mono.t + step);
      client.tick();
    }
  };
  /** Answers every outstanding request truthfully after `rttMs` (server clock = truth). */
  const answerAll = (rttMs = 20, from = 0): number => {
    let n = 0;
    for (const s of net.sent.slice(from)) {
      if ((s as Sent & { answered?: boolean }).answered) continue;
      (s as Sent & { answered?: boolean }).answered = true;
      const t2 = UTC0 + s.at + rttMs / 2;
      mono.t = Math.max(mono.t, s.at + rttMs);
      net.deliver(reply(s.bytes, { t2, t3: t2 }), s.address);
      n++;
    }
    return n;
  };
  return { mono, net, sink, client, run, answerAll };
}
