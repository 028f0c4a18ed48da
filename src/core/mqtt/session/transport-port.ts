/**
 * The byte stream the MQTT session runs over, modelled on coreMQTT's
 * transport interface (send / recv over an opaque connection) but driven by
 * events, since neither Node sockets nor ECMA-419 sockets block.
 *
 * One transport object carries one connection; the session asks its
 * `TransportFactory` for a fresh one at every (re)connect attempt.
 *
 * Adapters:
 * - Node `net.Socket`: `write` copies the bytes into the turn's send buffer and returns
 *   their full length; once `socket.write` returned false it returns 0 until
 *   'drain', which becomes `onWritable()`. 'close'/'error' become `onClosed`.
 * - ECMA-419 `embedded:io/socket/tcp`: `onWritable(count)` gives the free
 *   send-buffer space; `write` writes at most that many bytes (the socket
 *   throws "would block" beyond it) and returns how many it wrote;
 *   `onReadable(count)` reads and calls `onData`; `onError` becomes `onClosed`.
 */
export interface TransportHandlers {
  /** The connection is established; the session may write. */
  onConnected(): void;
  /** Bytes arrived. The chunk may be split anywhere; the session does not keep it after the call returns. */
  onData(chunk: Uint8Array): void;
  /** After a short write (fewer bytes accepted than offered): there is room again. */
  onWritable(): void;
  /** The connection failed or ended. Calls after the first, or after the session's own close(), are ignored by the session. */
  onClosed(reason: string): void;
}

export interface MqttTransport {
  /** Starts connecting; outcome comes through the handlers, possibly before connect returns. Must not throw (a throw is treated as a failed attempt). */
  connect(handlers: TransportHandlers): void;
  /**
   * Offers `bytes`; returns how many of its leading bytes were accepted
   * (0..bytes.length). Fewer than all means "would block": the session keeps
   * the rest and writes again after `onWritable()`. `bytes` are valid only
   * during the call (the session writes its next PUBLISH head into the same
   * buffer): a transport that sends later copies what it accepted. A PUBLISH
   * arrives as two writes, head then payload.
   */
  write(bytes: Uint8Array): number;
  /**
   * Closes the link; nothing reaches the handlers afterwards. What was written before goes out
   * first where the platform can send it without waiting here (Node: `end`, cut after a grace
   * period). Idempotent.
   */
  close(): void;
}

/** Makes a new, unconnected transport for each connection attempt. */
export type TransportFactory = () => MqttTransport;
