/**
 * Where the session finds an unacknowledged QoS 1 message again when it must send it once
 * more (coreMQTT's retransmit callbacks, MQTT_InitRetransmits). The session keeps no copy of
 * a message: per message in flight only its packet id, retain flag and the caller's handle.
 * The store (the outbox and its journal, in paycard) holds the message from
 * `publish(…, handle)` until `onPuback(handle)`, its "clear"; where coreMQTT's store callback
 * copies the packet, here the caller stored it before publishing.
 */
export interface PublishStore {
  /** The message held under `handle` (the store's own object: nothing is copied), or null when the store no longer holds it. */
  retrieve(handle: number): StoredPublish | null;
}

/** What the session reads back: topic and payload as they were published. */
export interface StoredPublish {
  readonly topic: string;
  readonly payload: Uint8Array;
}
