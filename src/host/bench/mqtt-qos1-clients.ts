/**
 * bench:mqtt's QoS 1 clients: N equal messages to one broker with the same in-flight window W, by
 * paycard's MqttSession over the Node TCP transport, by MQTT.js (publishAsync promises
 * outstanding) and by `mosquitto_pub -l -M W` reading lines from stdin. Two loads:
 *
 * - flat out (rate 0): a message goes as soon as the window has room (from the PUBACK that made it);
 *   the broker sets the pace;
 * - paced (rate R): a 1 ms timer sends the messages owed by then (R a second from the first), the
 *   window still bounding them; every client does the same work in the same time.
 *
 * Each reports its wall time and the CPU time of its own process over the messages (first PUBLISH
 * to last PUBACK): `process.cpuUsage()` for the in-process clients (run alone in a fresh process by
 * mqtt-bench-worker.ts), bash's `times` (getrusage of the waited-for child) for mosquitto_pub.
 */
import { type ChildProcess, spawn } from "node:child_process";
import mqtt from "mqtt";
import { MqttSession, SendOutcome } from "../../core/mqtt/session/mqtt-session";
import { MemoryPublishStore } from "../../sim/memory-publish-store";
import { SeededRandom } from "../../sim/seeded-random";
import { nodeTcpTransportFactory } from "../node-tcp-transport";
import { TOPIC } from "./mqtt-codec-bench";

export interface ClientRun {
  /** ms from the first PUBLISH to the last PUBACK (mosquitto_pub: from spawn to exit). */
  ms: number;
  /** CPU time (user + system) of the client's process over the same span, µs. */
  cpuUs: number;
}

/** What a client is asked to do: `n` messages, at most `window` unacknowledged, flat out (`rate` 0) or `rate` a second. */
export interface Load {
  n: number;
  window: number;
  rate: number;
}

/** Flat-out runs an in-process client makes before its measured ones (mqtt-bench-worker.ts). */
export const WARMUP_RUNS = 4;
/** Messages of each warm-up run for N measured ones. */
export const warmupMessages = (n: number) => Math.max(1_000, n);

/** The paced load's timer period, ms. */
const PACE_MS = 1;

/** How many of the load's messages are due `elapsedMs` after the first: all when flat out, else one at 0 and `rate` a second after. */
export function owedBy(load: Load, elapsedMs: number): number {
  if (load.rate === 0) return load.n;
  return Math.min(load.n, 1 + Math.floor((elapsedMs * load.rate) / 1000));
}

const nowMs = () => performance.now();
const cpuNowUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

export async function runPaycard(port: number, load: Load, payload: Uint8Array, clientId: string): Promise<ClientRun> {
  const { n, window } = load;
  // Each message is held here until its PUBACK, as the outbox holds it on a terminal.
  const store = new MemoryPublishStore();
  const session = new MqttSession(
    {
      clientId,
      keepAliveSec: 60,
      pingTimeoutMs: 5_000,
      inFlightWindow: window,
      maxPacketSize: 65_536,
      backoff: { baseMs: 50, capMs: 1_000 },
      connectTimeoutMs: 5_000,
      cleanSession: false,
    },
    { transport: nodeTcpTransportFactory({ host: "127.0.0.1", port }), random: new SeededRandom(1), store },
  );
  let next = 0;
  let acked = 0;
  let t0 = 0;
  let c0 = 0;
  const errors: string[] = [];
  return await new Promise<ClientRun>((resolve, reject) => {
    const ticker = setInterval(() => session.tick(Date.now()), 100);
    let pacer: ReturnType<typeof setInterval> | undefined;
    const finish = (run: ClientRun | Error) => {
      clearInterval(ticker);
      clearInterval(pacer);
      session.stop(Date.now());
      if (run instanceof Error) reject(run);
      else resolve(run);
    };
    const offer = () => {
      const owed = owedBy(load, next === 0 ? 0 : nowMs() - t0);
      while (next < owed && session.canSend()) {
        if (next === 0) {
          t0 = nowMs();
          c0 = cpuNowUs();
        }
        store.put(next, TOPIC, payload);
        if (session.publish(TOPIC, payload, 1, false, next).outcome !== SendOutcome.SENT) {
          store.clear(next);
          break;
        }
        next++;
      }
    };
    session.onError((e) => {
      errors.push(`${e.code}: ${e.message}`);
      finish(new Error(`paycard session error: ${errors.join("; ")}`));
    });
    session.onConnected(() => {
      offer();
      if (load.rate > 0) pacer = setInterval(offer, PACE_MS);
    });
    session.onPuback((handle) => {
      store.clear(handle);
      if (++acked === n) {
        finish({ ms: nowMs() - t0, cpuUs: cpuNowUs() - c0 });
        return;
      }
      offer();
    });
    session.start(Date.now());
  });
}

export async function runMqttJs(port: number, load: Load, payload: Buffer, clientId: string): Promise<ClientRun> {
  const { n, window } = load;
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId,
    clean: false,
    protocolVersion: 4,
    keepalive: 60,
    reconnectPeriod: 0,
  });
  let pacer: ReturnType<typeof setInterval> | undefined;
  try {
    let next = 0;
    let acked = 0;
    const t0 = nowMs();
    const c0 = cpuNowUs();
    await new Promise<void>((resolve, reject) => {
      const offer = () => {
        const owed = owedBy(load, nowMs() - t0);
        while (next < owed && next - acked < window) {
          next++;
          client.publishAsync(TOPIC, payload, { qos: 1 }).then(() => {
            if (++acked === n) resolve();
            else offer();
          }, reject);
        }
      };
      offer();
      if (load.rate > 0) pacer = setInterval(offer, PACE_MS);
    });
    return { ms: nowMs() - t0, cpuUs: cpuNowUs() - c0 };
  } finally {
    clearInterval(pacer);
    await client.endAsync();
  }
}

/** bash's `times`: its own user and system time, then its children's, e.g. "0m0.123s". */
function parseTimes(out: string): number {
  const lines = out.trim().split("\n");
  const children = lines[lines.length - 1]!.trim().split(/\s+/);
  const us = (t: string) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    if (m === null) throw new Error(`bench: unexpected output of bash's times: ${JSON.stringify(out)}`);
    return (Number(m[1]) * 60 + Number(m[2])) * 1e6;
  };
  return us(children[0]!) + us(children[1]!);
}

/** Runs `cmd` to its end; its stdout, or an error naming `what` with its stderr when it fails. */
export function runToEnd(what: string, cmd: string, args: string[], cwd?: string): Promise<string> {
  return collect(what, spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] }));
}

/** The stdout of a child once it has ended, or an error naming `what` with its stderr when it fails. */
async function collect(what: string, p: ChildProcess): Promise<string> {
  let out = "";
  let err = "";
  p.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  p.stderr!.on("data", (b: Buffer) => (err += b.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    p.once("error", reject);
    p.once("close", resolve);
  });
  if (code !== 0) throw new Error(`${what} exited with ${String(code)}: ${err}`);
  return out;
}

/**
 * `mosquitto_pub -l -M W` publishing `lines` lines of `line`, under bash so that its CPU time
 * (getrusage of the child) comes back. Flat out, the lines come from a file; paced, this process
 * writes them to its stdin as they are owed.
 */
export async function runMosquittoPub(bin: string, port: number, load: Load, line: string, linesFile: string, clientId: string): Promise<ClientRun> {
  const input = load.rate === 0 ? `< "$2"` : "";
  const script = `"$0" -h 127.0.0.1 -p ${port} -q 1 -t ${TOPIC} -l -M ${load.window} -i "$1" ${input}; s=$?; times; exit $s`;
  const t0 = nowMs();
  const p = spawn("bash", ["-c", script, bin, clientId, linesFile], { stdio: [load.rate === 0 ? "ignore" : "pipe", "pipe", "pipe"] });
  const ended = collect("mosquitto_pub", p);
  if (load.rate > 0) {
    const stdin = p.stdin!;
    stdin.on("error", () => {}); // a mosquitto_pub that failed: its exit status says why
    const text = `${line}\n`;
    let sent = 0;
    await new Promise<void>((resolve) => {
      const pacer = setInterval(() => {
        const owed = owedBy(load, nowMs() - t0);
        if (owed > sent) stdin.write(text.repeat(owed - sent));
        sent = owed;
        if (sent === load.n) {
          clearInterval(pacer);
          stdin.end();
          resolve();
        }
      }, PACE_MS);
    });
  }
  const out = await ended;
  return { ms: nowMs() - t0, cpuUs: parseTimes(out) };
}
