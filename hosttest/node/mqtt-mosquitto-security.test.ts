// Node-only, no broker mocks: the MQTT session against a real mosquitto
// with a password file and an ACL confining each terminal to
// paycard/<its user name>/#, and over TLS with a test CA generated at test
// time with openssl.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import mqtt from "mqtt";
import type { MqttClient } from "mqtt";
import { describe, expect, it } from "vitest";
import type { MqttSessionOptions } from "../../src/core/mqtt/session/mqtt-session";
import { MqttSession, MqttSessionState } from "../../src/core/mqtt/session/mqtt-session";
import type { SessionError } from "../../src/core/mqtt/session/session-error";
import { SeededRandom } from "../../src/sim/seeded-random";
import { MemoryPublishStore } from "../../src/sim/memory-publish-store";
import type { NodeTcpTransportOptions } from "../../src/host/node-tcp-transport";
import { nodeTcpTransportFactory } from "../../src/host/node-tcp-transport";
import { findMosquitto, findMosquittoTool, Mosquitto, MOSQUITTO_MISSING } from "../../src/host/mosquitto-broker";
import { makeTestPki } from "../support/node/test-pki";
import { sleep, waitFor } from "../support/node/wait-for";

const binary = findMosquitto(); // throws under CI=true when missing
const passwd = findMosquittoTool("mosquitto_passwd");
if (binary === null) console.log(`skipped mosquitto security suite: ${MOSQUITTO_MISSING}`);
const openssl = spawnSync("sh", ["-c", "command -v openssl"], { encoding: "utf8" }).stdout.trim();
if (binary !== null && openssl === "") console.log("skipped the TLS test: openssl not found (Debian package `openssl`)");

const enc = (s: string) => new TextEncoder().encode(s);

interface Driven {
  session: MqttSession;
  /** Put a QoS 1 message here before publishing it (see publishStored). */
  store: MemoryPublishStore;
  errors: SessionError[];
  acked: number[];
  stop(): void;
}

/** Publishes at QoS 1 with the message in the driver's store until its PUBACK; the packet id, 0 when not sent. */
function publishStored(d: Driven, topic: string, text: string, handle: number): number {
  const payload = enc(text);
  d.store.put(handle, topic, payload);
  return d.session.publish(topic, payload, 1, false, handle).packetId;
}

function drive(transport: NodeTcpTransportOptions, options: Partial<MqttSessionOptions>): Driven {
  const store = new MemoryPublishStore();
  const session = new MqttSession(
    {
      clientId: "term",
      keepAliveSec: 10,
      pingTimeoutMs: 2000,
      inFlightWindow: 8,
      maxPacketSize: 65536,
      backoff: { baseMs: 200, capMs: 1000 },
      connectTimeoutMs: 3000,
      ...options,
    },
    { transport: nodeTcpTransportFactory(transport), random: new SeededRandom(5), store },
  );
  const d: Driven = { session, store, errors: [], acked: [], stop: () => {} };
  session.onError((e) => d.errors.push(e));
  session.onPuback((tag) => {
    store.clear(tag);
    d.acked.push(tag);
  });
  const timer = setInterval(() => session.tick(Date.now()), 5);
  d.stop = () => {
    clearInterval(timer);
    session.stop(Date.now());
  };
  session.start(Date.now());
  return d;
}

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
}

describe.skipIf(binary === null)("mosquitto with passwords and an ACL", () => {
  it("refuses a wrong password with a clear error, and confines each terminal to paycard/<its id>/#", async () => {
    if (passwd === null) throw new Error("mosquitto_passwd not found: install the Debian package `mosquitto` (it ships mosquitto_passwd)");
    const dir = mkdtempSync(path.join(os.tmpdir(), "paycard-auth-"));
    const pwFile = path.join(dir, "passwd");
    const aclFile = path.join(dir, "acl");
    run(passwd, ["-c", "-b", pwFile, "term_a", "secret-a"], dir);
    run(passwd, ["-b", pwFile, "term_b", "secret-b"], dir);
    writeFileSync(aclFile, "pattern readwrite paycard/%u/#\n");
    let broker: Mosquitto | null = null;
    const sessions: Driven[] = [];
    let sub: MqttClient | null = null;
    try {
      broker = await Mosquitto.start({ binary: binary!, passwordFile: pwFile, aclFile });
      const plain = { host: "127.0.0.1", port: broker.port };

      // (a) wrong password: refused at CONNACK, reported once per attempt with a clear code, never connected.
      const wrong = drive(plain, { clientId: "term_a-wrong", username: "term_a", password: enc("not-the-password") });
      sessions.push(wrong);
      await waitFor(() => wrong.errors.length > 0, 10_000, () => "a CONNACK refusal");
      const code = wrong.errors[0]!.code;
      expect(["BAD_USERNAME_OR_PASSWORD", "NOT_AUTHORIZED"]).toContain(code);
      expect(code).toBe("NOT_AUTHORIZED"); // mosquitto 2.0 answers 5 (FACTS)
      expect(wrong.errors[0]!.message).toContain("CONNACK return code 5");
      expect(wrong.session.counters.refusals[code]).toBe(1);
      expect(wrong.session.counters.connects).toBe(0);
      expect(wrong.session.state).not.toBe(MqttSessionState.CONNECTED);
      // Anonymous is refused too.
      const anon = drive(plain, { clientId: "anon" });
      sessions.push(anon);
      await waitFor(() => anon.errors.length > 0, 10_000, () => "an anonymous refusal");
      expect(["BAD_USERNAME_OR_PASSWORD", "NOT_AUTHORIZED"]).toContain(anon.errors[0]!.code);

      // (b) term_b's subscriber sees term_b's own message, never term_a's.
      const got: Array<{ topic: string; payload: string }> = [];
      sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
        clientId: "term_b-observer",
        username: "term_b",
        password: "secret-b",
        clean: true,
        reconnectPeriod: 0,
      });
      sub.on("message", (topic, payload) => got.push({ topic, payload: payload.toString() }));
      const granted = await sub.subscribeAsync("paycard/term_b/#", { qos: 1 });
      expect(granted[0]!.qos).toBe(1);

      const a = drive(plain, { clientId: "term_a", username: "term_a", password: enc("secret-a") });
      const b = drive(plain, { clientId: "term_b", username: "term_b", password: enc("secret-b") });
      sessions.push(a, b);
      await waitFor(() => a.session.connected && b.session.connected, 10_000, () => `both terminals connected (errors ${JSON.stringify([...a.errors, ...b.errors])})`);
      expect(a.errors).toEqual([]);
      // term_a writes into term_b's topics: mosquitto PUBACKs (MQTT 3.1.1 has no way to say no) and drops it.
      expect(publishStored(a, "paycard/term_b/tx", `{"request_id":"from-a"}`, 1)).toBeGreaterThan(0);
      await waitFor(() => a.acked.includes(1), 5000, () => "PUBACK for term_a's forbidden publish");
      // Only after that PUBACK does term_b publish its own message: had the broker routed
      // term_a's message, the subscriber would have received it first.
      expect(publishStored(b, "paycard/term_b/tx", `{"request_id":"from-b"}`, 2)).toBeGreaterThan(0);
      await waitFor(() => got.length > 0, 5000, () => "term_b's own message at the subscriber");
      await waitFor(() => b.acked.includes(2), 5000, () => "PUBACK for term_b's publish");
      // term_a may still write to its own topics (the ACL is not simply closed).
      expect(publishStored(a, "paycard/term_a/tx", `{"request_id":"a-own"}`, 3)).toBeGreaterThan(0);
      await waitFor(() => a.acked.includes(3), 5000, () => "PUBACK for term_a's own publish");
      await sleep(100);
      expect(got).toEqual([{ topic: "paycard/term_b/tx", payload: `{"request_id":"from-b"}` }]);
      expect(a.session.counters.connects).toBe(1); // the denied publish did not cost the link
      expect(a.errors).toEqual([]);
    } finally {
      for (const d of sessions) d.stop();
      await sub?.endAsync(true).catch(() => {});
      await broker?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe.skipIf(binary === null || openssl === "")("mosquitto over TLS", () => {
  it("publishes through nodeTcpTransportFactory({tls}) with a test CA made by openssl; an unknown CA is refused", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "paycard-tls-"));
    const pki = makeTestPki(openssl, dir);
    let broker: Mosquitto | null = null;
    const sessions: Driven[] = [];
    let sub: MqttClient | null = null;
    try {
      broker = await Mosquitto.start({
        binary: binary!,
        tls: { certfile: pki.serverCrt, keyfile: pki.serverKey },
      });
      const got: string[] = [];
      sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: "tls-observer", clean: true, reconnectPeriod: 0 });
      sub.on("message", (_t, p) => got.push(p.toString()));
      await sub.subscribeAsync("paycard/term_t/#", { qos: 1 });

      const ca = readFileSync(pki.caCrt);
      const t = drive({ host: "127.0.0.1", port: broker.tlsPort, tls: { ca } }, { clientId: "term_t" });
      sessions.push(t);
      await waitFor(() => t.session.connected, 10_000, () => `a TLS connection (errors ${JSON.stringify(t.errors)})`);
      for (let i = 1; i <= 5; i++) expect(publishStored(t, "paycard/term_t/tx", `tls-${i}`, i)).toBeGreaterThan(0);
      await waitFor(() => t.acked.length === 5 && got.length === 5, 10_000, () => `5 PUBACKs and deliveries over TLS (${t.acked.length}, ${got.length})`);
      expect(got).toEqual(["tls-1", "tls-2", "tls-3", "tls-4", "tls-5"]);
      expect(t.errors).toEqual([]);

      // Same broker, a client trusting another CA: the handshake fails, reported as a transport error.
      const bad = drive({ host: "127.0.0.1", port: broker.tlsPort, tls: { ca: readFileSync(pki.otherCaCrt) } }, { clientId: "term_x" });
      sessions.push(bad);
      await waitFor(() => bad.errors.length > 0, 10_000, () => "a TLS verification failure");
      expect(bad.errors[0]!.code).toBe("TRANSPORT_CLOSED");
      expect(bad.errors[0]!.message.toLowerCase()).toContain("certificate");
      expect(bad.session.counters.connects).toBe(0);
      // Plain MQTT to the TLS port does not get through either.
      const plainToTls = drive({ host: "127.0.0.1", port: broker.tlsPort }, { clientId: "term_p", connectTimeoutMs: 1500 });
      sessions.push(plainToTls);
      await waitFor(() => plainToTls.errors.length > 0, 10_000, () => "plain MQTT on the TLS port to fail");
      expect(plainToTls.session.counters.connects).toBe(0);
    } finally {
      for (const d of sessions) d.stop();
      await sub?.endAsync(true).catch(() => {});
      await broker?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
