/**
 * bench:mqtt's device figure: XS steps per QoS 1 message (PUBLISH sent, PUBACK handled) of the
 * MqttSession the firmware runs, bundled and run inside XS by src/host/bench/mqtt-bench.ts. The far
 * end is AckOnlyBroker (a byte scanner that answers PUBACKs without decoding); its own steps are
 * measured apart (`runFarEnd`) so the session's can be told from them. Plain ECMAScript.
 */
import { encodePacket } from "../../core/mqtt/codec/packet-encoder";
import { MqttSession, SendOutcome } from "../../core/mqtt/session/mqtt-session";
import type { TransportHandlers } from "../../core/mqtt/session/transport-port";
import { AckOnlyBroker } from "../ack-only-broker";
import { MemoryPublishStore } from "../memory-publish-store";
import { SeededRandom } from "../seeded-random";

const TOPIC = "paycard/term_1/tx";
let session: MqttSession | null = null;
let broker: AckOnlyBroker | null = null;
let store: MemoryPublishStore | null = null;
let payload = new Uint8Array(0);
let now = 1_000;
let next = 0;
let acked = 0;

/** A connected session (the window the device uses) and a `bytes`-byte payload. */
export function setup(bytes: number, window: number): number {
  payload = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) payload[i] = 48 + (i % 10);
  const b = (broker = new AckOnlyBroker());
  const st = (store = new MemoryPublishStore());
  const s = (session = new MqttSession(
    {
      clientId: "paycard-term_1",
      keepAliveSec: 60,
      pingTimeoutMs: 5_000,
      inFlightWindow: window,
      maxPacketSize: 4_096,
      backoff: { baseMs: 50, capMs: 1_000 },
      connectTimeoutMs: 5_000,
      cleanSession: false,
    },
    { transport: () => b.transport(), random: new SeededRandom(1), store: st },
  ));
  s.onPuback((handle) => {
    st.clear(handle);
    acked++;
  });
  s.start(now);
  for (let i = 0; i < 3 && !s.connected; i++) {
    b.pump();
    s.tick(++now);
  }
  return s.connected ? 1 : 0;
}

/** `n` messages: each published while the window has room, PUBACKs delivered by the far end's pump. */
export function run(n: number): number {
  const s = session as MqttSession;
  const b = broker as AckOnlyBroker;
  const st = store as MemoryPublishStore;
  const end = acked + n;
  const last = next + n;
  while (acked < end) {
    while (next < last && s.canSend()) {
      st.put(next, TOPIC, payload);
      if (s.publish(TOPIC, payload, 1, false, next).outcome !== SendOutcome.SENT) {
        st.clear(next);
        break;
      }
      next++;
    }
    b.pump();
  }
  return acked;
}

let farEnd: AckOnlyBroker | null = null;
let farLink: ReturnType<AckOnlyBroker["transport"]> | null = null;
const farBytes: Uint8Array[] = [];
let farSeen = 0;

/** The far end alone, set up: 64 encoded PUBLISH packets and a link that ignores what it gets. */
export function setupFarEnd(): void {
  const b = (farEnd = new AckOnlyBroker());
  const link = (farLink = b.transport());
  const handlers: TransportHandlers = {
    onConnected() {},
    onData() {
      farSeen++;
    },
    onWritable() {},
    onClosed() {},
  };
  link.connect(handlers);
  for (let id = 1; id <= 64; id++) farBytes.push(encodePacket({ type: "publish", topic: TOPIC, payload, qos: 1, retain: false, dup: false, packetId: id }));
  b.pump();
}

/** `n` PUBLISH packets scanned by the far end and their PUBACKs delivered: what `run` spends outside the session. */
export function runFarEnd(n: number): number {
  const b = farEnd as AckOnlyBroker;
  const link = farLink as ReturnType<AckOnlyBroker["transport"]>;
  const start = farSeen;
  for (let i = 0; i < n; i++) {
    link.write(farBytes[i & 63]!);
    b.pump();
  }
  return farSeen - start;
}
