/**
 * bench:mqtt's QoS 1 clients: N equal messages to one broker with the same in-flight window W, by
 * paycard's MqttSession over the Node TCP transport, by MQTT.js (W publishAsync promises
 * outstanding) and by `mosquitto_pub -l -M W` reading N lines from stdin. Each reports its wall
 * time and the CPU time of its own process over the messages (publish sent + PUBACK handled):
 * `process.cpuUsage()` for the in-process clients (run alone in a fresh process by
 * mqtt-bench-worker.ts), bash's `times` (getrusage of the waited-for child) for mosquitto_pub.
 */
import { spawn } from "node:child_process";
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

const nowMs = () => performance.now();
const cpuNowUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

export async function runPaycard(port: number, n: number, window: number, payload: Uint8Array, clientId: string): Promise<ClientRun> {
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
    const timer = setInterval(() => session.tick(Date.now()), 100);
    const finish = (run: ClientRun | Error) => {
      clearInterval(timer);
      session.stop(Date.now());
      if (run instanceof Error) reject(run);
      else resolve(run);
    };
    const offer = () => {
      while (next < n && session.canSend()) {
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
    session.onConnected(() => offer());
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

export async function runMqttJs(port: number, n: number, window: number, payload: Buffer, clientId: string): Promise<ClientRun> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId,
    clean: false,
    protocolVersion: 4,
    keepalive: 60,
    reconnectPeriod: 0,
  });
  try {
    let next = 0;
    let acked = 0;
    const t0 = nowMs();
    const c0 = cpuNowUs();
    await new Promise<void>((resolve, reject) => {
      const one = () => {
        next++;
        client.publishAsync(TOPIC, payload, { qos: 1 }).then(() => {
          if (++acked === n) resolve();
          else if (next < n) one();
        }, reject);
      };
      for (let i = 0; i < window && next < n; i++) one();
    });
    return { ms: nowMs() - t0, cpuUs: cpuNowUs() - c0 };
  } finally {
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
export async function runToEnd(what: string, cmd: string, args: string[], cwd?: string): Promise<string> {
  const p = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  p.stdout.on("data", (b: Buffer) => (out += b.toString()));
  p.stderr.on("data", (b: Buffer) => (err += b.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    p.once("error", reject);
    p.once("close", resolve);
  });
  if (code !== 0) throw new Error(`${what} exited with ${String(code)}: ${err}`);
  return out;
}

/** `mosquitto_pub -l -M W` reading `linesFile`, under bash so that its CPU time (getrusage of the child) comes back. */
export async function runMosquittoPub(bin: string, port: number, window: number, linesFile: string, clientId: string): Promise<ClientRun> {
  const script = `"$0" -h 127.0.0.1 -p ${port} -q 1 -t ${TOPIC} -l -M ${window} -i "$1" < "$2"; s=$?; times; exit $s`;
  const t0 = nowMs();
  const out = await runToEnd("mosquitto_pub", "bash", ["-c", script, bin, clientId, linesFile]);
  return { ms: nowMs() - t0, cpuUs: parseTimes(out) };
}
