import type { TransportHandlers } from "../core/mqtt/session/transport-port";

/**
 * What the ECMA-419 transports share (ecma419-tcp-transport, ecma419-tls-transport):
 * the socket is closed once, the session is told once why, and nothing a socket
 * callback does may escape it (an exception out of one reboots the ESP32).
 */
export abstract class GuardedSocketTransport {
  protected handlers: TransportHandlers | null = null;
  protected closed = false;

  /** Closes and forgets the socket (and whatever runs on it). */
  protected abstract dropSocket(): void;

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.dropSocket();
    } catch {
      // already closed
    }
  }

  /** Closes, then tells the session why (once). */
  protected finish(reason: string): void {
    if (this.closed) return;
    this.close();
    try {
      this.handlers?.onClosed(reason);
    } catch {
      // the session guards its own handlers; never let anything escape a socket callback
    }
  }

  /** Runs a socket callback's work; an exception closes the link with its message. */
  protected guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.finish(`handler failed: ${String(e)}`);
    }
  }
}
