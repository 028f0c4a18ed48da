import type { PublishStore, StoredPublish } from "../core/mqtt/session/publish-store";

/**
 * A PublishStore for code that drives an MqttSession without an outbox (session tests, the
 * MQTT benchmark, broker suites): `put` before `publish`, `clear` at `onPuback`.
 */
export class MemoryPublishStore implements PublishStore {
  private readonly held = new Map<number, StoredPublish>();

  put(handle: number, topic: string, payload: Uint8Array): void {
    this.held.set(handle, { topic, payload });
  }

  clear(handle: number): boolean {
    return this.held.delete(handle);
  }

  retrieve(handle: number): StoredPublish | null {
    return this.held.get(handle) ?? null;
  }

  /** Messages held. */
  get size(): number {
    return this.held.size;
  }
}
