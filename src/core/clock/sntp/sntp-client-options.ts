import { DEFAULT_ERA_PIVOT_UTC_MS } from "./ntp-timestamp";
import { NTP_PORT } from "./sntp-packet";

/** The fastest steady-state poll of one server that public servers tolerate. */
export const MIN_STEADY_POLL_MS = 15_000;
const MAX_SNTP_SERVERS = 16;

export interface SntpClientOptions {
  /** Host names or dotted IPv4 addresses, 1..16; use at least 3 so a lying server is outvoted. */
  servers: readonly string[];
  /** UDP port of every server. Default 123. */
  port?: number;
  /** A request not answered within this is lost. Default 2000 ms. */
  responseTimeoutMs?: number;
  /** Requests per server in a burst (boot, re-acquisition), 1..8. Default 4. */
  burstSamples?: number;
  /** Spacing of one server's burst requests. Default 2000 ms. */
  burstSpacingMs?: number;
  /** Steady poll interval of each server at first, >= 15 000 ms. Default 32 000 ms. */
  minPollMs?: number;
  /** Largest steady poll interval. Default 1 024 000 ms (17 min). */
  maxPollMs?: number;
  /**
   * Adaptive backoff (ntpd's jiggle counter): a used sample within
   * `pollBackoffResidualMs` of the clock's prediction counts +1, any other
   * outcome −1; at +stablePollsToBackOff the server's interval doubles, at
   * −stablePollsToBackOff it halves (not below minPollMs). Default 4.
   */
  stablePollsToBackOff?: number;
  /** See stablePollsToBackOff. Default 5 ms: noisy paths keep polling often, quiet ones back off. */
  pollBackoffResidualMs?: number;
  /** Replies whose root delay / 2 + root dispersion exceed this are refused. Default 1000 ms. */
  maxRootDistanceMs?: number;
  /** A name lookup that has not answered within this failed. Default 10 000 ms. */
  resolveTimeoutMs?: number;
  /** A denied server's name is looked up again after this (a pool may hand out another address). Default 1 h. */
  reresolveMs?: number;
  /** A server that failed this many polls in a row has its name looked up again. Default 8. */
  reresolveAfterFailures?: number;
  /** NTP era pivot before the first sync (see ntp-timestamp.ts). Default 2036-02-07T06:28:16Z: RFC 4330's rule. */
  eraPivotUtcMs?: number;
}

export interface ResolvedSntpClientOptions {
  servers: readonly string[];
  port: number;
  responseTimeoutMs: number;
  burstSamples: number;
  burstSpacingMs: number;
  minPollMs: number;
  maxPollMs: number;
  stablePollsToBackOff: number;
  pollBackoffResidualMs: number;
  maxRootDistanceMs: number;
  resolveTimeoutMs: number;
  reresolveMs: number;
  reresolveAfterFailures: number;
  eraPivotUtcMs: number;
}

function int(v: number | undefined, dflt: number, min: number, max: number, what: string): number {
  const x = v === undefined ? dflt : v;
  if (!Number.isInteger(x) || x < min || x > max) {
    throw new RangeError(`${what} must be an integer in ${min}..${max}, got ${String(v)}`);
  }
  return x;
}

/** Fills in defaults; throws RangeError for options that can never work. */
export function resolveSntpClientOptions(o: SntpClientOptions): ResolvedSntpClientOptions {
  const servers = o?.servers;
  if (!Array.isArray(servers) || servers.length < 1 || servers.length > MAX_SNTP_SERVERS) {
    throw new RangeError(`servers must list 1..${MAX_SNTP_SERVERS} host names`);
  }
  for (const s of servers) if (typeof s !== "string" || s.length === 0 || s.length > 253) throw new RangeError(`invalid server name ${String(s)}`);
  const minPollMs = int(o.minPollMs, 32_000, MIN_STEADY_POLL_MS, 0x7fffffff, "minPollMs");
  const maxPollMs = int(o.maxPollMs, 1_024_000, minPollMs, 0x7fffffff, "maxPollMs");
  const eraPivotUtcMs = o.eraPivotUtcMs === undefined ? DEFAULT_ERA_PIVOT_UTC_MS : o.eraPivotUtcMs;
  if (!Number.isFinite(eraPivotUtcMs)) throw new RangeError(`eraPivotUtcMs must be a finite number, got ${String(o.eraPivotUtcMs)}`);
  return {
    servers: servers.slice(),
    port: int(o.port, NTP_PORT, 1, 65535, "port"),
    responseTimeoutMs: int(o.responseTimeoutMs, 2000, 10, 60_000, "responseTimeoutMs"),
    burstSamples: int(o.burstSamples, 4, 1, 8, "burstSamples"),
    burstSpacingMs: int(o.burstSpacingMs, 2000, 10, 60_000, "burstSpacingMs"),
    minPollMs,
    maxPollMs,
    stablePollsToBackOff: int(o.stablePollsToBackOff, 4, 1, 1000, "stablePollsToBackOff"),
    pollBackoffResidualMs: int(o.pollBackoffResidualMs, 5, 0, 60_000, "pollBackoffResidualMs"),
    maxRootDistanceMs: int(o.maxRootDistanceMs, 1000, 1, 16_000, "maxRootDistanceMs"),
    resolveTimeoutMs: int(o.resolveTimeoutMs, 10_000, 10, 600_000, "resolveTimeoutMs"),
    reresolveMs: int(o.reresolveMs, 3_600_000, 1000, 0x7fffffff, "reresolveMs"),
    reresolveAfterFailures: int(o.reresolveAfterFailures, 8, 1, 1000, "reresolveAfterFailures"),
    eraPivotUtcMs,
  };
}
