// An MQTT session (src/core/mqtt/session/mqtt-session.ts) over a transport the test drives by
// hand: it calls the transport's handlers itself (late ones included) and reads every byte the
// session wrote. Used by the core session suites; runs under XS with them.
import { expect } from "vitest";
import { encodePacket } from "../../src/core/mqtt/codec/packet-encoder";
import { MqttSession, type MqttSessionOptions, MqttSessionState } from "../../src/core/mqtt/session/mqtt-session";
import type { MqttTransport, TransportHandlers } from "../../src/core/mqtt/session/transport-port";
import { MemoryPublishStore } from "../../src/sim/memory-publish-store";
import { SeededRandom } from "../../src/sim/seeded-random";

/** A terminal's session: window 4, keep-alive 30 s, backoff 1-60 s, ping timeout 5 s. */
export const SESSION_OPTIONS: MqttSessionOptions = {
  clientId: "term-1",
  keepAliveSec: 30,
  inFlightWindow: 4,
  maxPacketSize: 4096,
  backoff: { baseMs: 1000, capMs: 60_000 },
  pingTimeoutMs: 5000,
};

/** Takes `accept` bytes a write; the test calls its handlers itself (late ones included). */
export class HandLink implements MqttTransport {
  handlers: TransportHandlers | null = null;
  readonly written: number[] = [];
  accept = Number.POSITIVE_INFINITY;
  closed = false;
  connect(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }
  write(b: Uint8Array): number {
    const n = Math.min(b.length, this.accept);
    for (let i = 0; i < n; i++) this.written.push(b[i]!);
    return n;
  }
  close(): void {
    this.closed = true;
  }
}

export interface HandRig {
  session: MqttSession;
  links: HandLink[];
  errors: string[];
  store: MemoryPublishStore;
}

export function handRig(overrides: Partial<MqttSessionOptions> = {}): HandRig {
  const links: HandLink[] = [];
  const store = new MemoryPublishStore();
  const session = new MqttSession({ ...SESSION_OPTIONS, ...overrides }, {
    transport: () => {
      const l = new HandLink();
      links.push(l);
      return l;
    },
    random: new SeededRandom(1),
    store,
  });
  const errors: string[] = [];
  session.onError((e) => errors.push(`${e.code}: ${e.message}`));
  return { session, links, errors, store };
}

/** Started and connected over the first hand link at time 0. */
export function handConnected(overrides: Partial<MqttSessionOptions> = {}): HandRig & { link: HandLink } {
  const r = handRig(overrides);
  r.session.start(0);
  const link = r.links[0]!;
  link.handlers!.onConnected();
  link.handlers!.onData(encodePacket({ type: "connack", sessionPresent: false, returnCode: 0 }));
  expect(r.session.state).toBe(MqttSessionState.CONNECTED);
  link.written.length = 0;
  return { ...r, link };
}
