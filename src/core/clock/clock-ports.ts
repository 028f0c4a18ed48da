/**
 * What the clock and the SNTP client need from the platform, injected: a
 * monotonic clock, one UDP socket and name resolution. Randomness comes
 * through `RandomPort` (src/core/lib/ports.ts).
 *
 * Adapters:
 * - ESP32 (Moddable): `Time.microseconds / 1000` (module
 *   `modules/base/microseconds`; never `Time.ticks`, which wraps after ~24.8
 *   days); `embedded:io/socket/udp` (`write(buffer, address, port)`, `read()`
 *   returns one packet with `.address`/`.port`); `Net.resolve(name, cb)`.
 * - Node: src/host/node-monotonic-clock.ts (process.hrtime.bigint),
 *   src/host/node-udp-port.ts (dgram), src/host/node-resolver.ts (dns.lookup).
 */

/**
 * A monotonic clock in milliseconds (fractions allowed): never goes back,
 * never jumps with wall-clock changes, does not wrap. Its rate may be off by
 * a few hundred ppm; the disciplined clock estimates and corrects that.
 */
export interface MonotonicClockPort {
  nowMs(): number;
}

export interface DatagramHandlers {
  /**
   * One datagram arrived. `bytes` is only valid during the call. Called from
   * the platform's event loop, never from inside `send`.
   */
  onDatagram(bytes: Uint8Array, address: string, port: number): void;
}

/** One UDP socket (IPv4), bound to an ephemeral local port. */
export interface DatagramSocket {
  /**
   * Sends one datagram. The socket must copy or send `bytes` before
   * returning: the caller reuses the buffer. Returns false when the datagram
   * could not be handed to the network (it is then lost). Must not throw (a
   * throw is counted like false).
   */
  send(bytes: Uint8Array, address: string, port: number): boolean;
  /** Idempotent. */
  close(): void;
}

/** Opens a socket that delivers what it receives to `handlers`. May throw (counted, retried). */
export type DatagramSocketFactory = (handlers: DatagramHandlers) => DatagramSocket;

/**
 * Name resolution (DNS). `done` is called once with a dotted IPv4 address,
 * or with null when the name did not resolve; it may be called before
 * `resolve` returns. A dotted IPv4 literal resolves to itself.
 */
export interface ResolverPort {
  resolve(name: string, done: (address: string | null) => void): void;
}
