import { DisciplinedEventClock } from "../core/app/disciplined-event-clock";
import type { EventClockPort } from "../core/app/event-clock";
import { DisciplinedClock } from "../core/clock/discipline/disciplined-clock";
import { SntpClient } from "../core/clock/sntp/sntp-client";
import { SeededRandom } from "../sim/seeded-random";
import { UsageError } from "./cli-args";
import { NodeMonotonicClock } from "./node-monotonic-clock";
import { nodeResolver } from "./node-resolver";
import { nodeUdpSocketFactory } from "./node-udp-port";

/** host:port (port default 123) → the server list and port of the SNTP client. */
export function parseNtpServer(spec: string): { host: string; port: number } {
  const m = /^([^:\s]+)(?::(\d{1,5}))?$/.exec(spec);
  const port = m?.[2] === undefined ? 123 : Number(m[2]);
  if (m === null || port < 1 || port > 65_535) throw new UsageError(`--ntp must be host or host:port, got ${spec}`);
  return { host: m[1]!, port };
}

/**
 * `paycard run --ntp host:port`: each terminal keeps its own disciplined
 * clock, fed by its own SNTP client (boot burst of 4 samples 250 ms apart,
 * then the client's normal polling) over Node's UDP, DNS and hrtime.
 */
export function sntpEventClockFactory(spec: string): () => EventClockPort {
  const { host, port } = parseNtpServer(spec);
  let n = 0;
  return () => {
    const mono = new NodeMonotonicClock();
    const clock = new DisciplinedClock(mono);
    const client = new SntpClient(
      { servers: [host], port, burstSpacingMs: 250, responseTimeoutMs: 1_000 },
      { clock: mono, udp: nodeUdpSocketFactory(), resolver: nodeResolver, random: new SeededRandom((Date.now() + 7919 * ++n) >>> 0) },
      clock,
    );
    client.start();
    return new DisciplinedEventClock(clock, client, mono);
  };
}
