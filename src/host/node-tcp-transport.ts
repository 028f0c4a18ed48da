import net from "node:net";
import tls from "node:tls";
import type { MqttTransport, TransportFactory, TransportHandlers } from "../core/mqtt/session/transport-port";

/** How long a closed link waits for the peer's FIN after sending its own. */
const CLOSE_GRACE_MS = 1_000;

export interface NodeTcpTlsOptions {
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  servername?: string;
  /** Default true. */
  rejectUnauthorized?: boolean;
}

export interface NodeTcpTransportOptions {
  host: string;
  port: number;
  /** When present, connect with TLS. */
  tls?: NodeTcpTlsOptions;
}

/**
 * The MQTT transport port over Node's `net` (or `tls` when TLS options are
 * given). One instance per connection attempt; use `nodeTcpTransportFactory`
 * as the session's `transport` port.
 *
 * Backpressure: `write` hands the whole chunk to `socket.write`; once that
 * returns false the transport reports 0 bytes accepted until 'drain', which
 * becomes `onWritable()`. Nothing throws out: connection failures, socket
 * errors and ends all become one `onClosed(reason)`.
 */
export class NodeTcpTransport implements MqttTransport {
  private readonly options: NodeTcpTransportOptions;
  private socket: net.Socket | null = null;
  private handlers: TransportHandlers | null = null;
  private open = false;
  private blocked = false;
  private closed = false;
  private lastError = "";

  constructor(options: NodeTcpTransportOptions) {
    this.options = options;
  }

  connect(handlers: TransportHandlers): void {
    if (this.socket !== null || this.closed) {
      queueMicrotask(() => this.finish("transport already used"));
      this.handlers = handlers;
      return;
    }
    this.handlers = handlers;
    const { host, port } = this.options;
    let socket: net.Socket;
    try {
      if (this.options.tls !== undefined) {
        const t = this.options.tls;
        const o: tls.ConnectionOptions = { host, port, rejectUnauthorized: t.rejectUnauthorized ?? true };
        if (t.ca !== undefined) o.ca = t.ca;
        if (t.cert !== undefined) o.cert = t.cert;
        if (t.key !== undefined) o.key = t.key;
        o.servername = t.servername ?? (net.isIP(host) === 0 ? host : undefined);
        socket = tls.connect(o, () => this.opened());
      } else {
        socket = net.connect({ host, port }, () => this.opened());
      }
    } catch (e) {
      queueMicrotask(() => this.finish(`connect failed: ${(e as Error).message}`));
      return;
    }
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (buf: Buffer) => {
      if (this.closed) return;
      this.safe(() => this.handlers!.onData(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)));
    });
    socket.on("drain", () => {
      if (this.closed || !this.blocked) return;
      this.blocked = false;
      this.safe(() => this.handlers!.onWritable());
    });
    socket.on("error", (e: Error) => {
      this.lastError = e.message;
    });
    socket.on("end", () => {
      // The peer closed its side: MQTT has no half-close, so end ours.
      socket.destroy();
    });
    socket.on("close", () => this.finish(this.lastError !== "" ? this.lastError : "closed by peer"));
  }

  private corked = false;

  write(bytes: Uint8Array): number {
    const s = this.socket;
    if (s === null || !this.open || this.closed || this.blocked) return 0;
    try {
      // Coalesce the packets written in one turn of the event loop (a burst of
      // PUBLISHes after a PUBACK) into one segment, as MQTT.js does: cork now,
      // uncork once the current turn is done.
      if (!this.corked) {
        this.corked = true;
        s.cork();
        process.nextTick(() => {
          this.corked = false;
          s.uncork();
        });
      }
      // A copy: the session's bytes are valid only during this call, and a corked or busy socket sends later.
      if (!s.write(Buffer.from(bytes))) this.blocked = true;
      return bytes.length;
    } catch (e) {
      this.lastError = (e as Error).message;
      s.destroy();
      return 0;
    }
  }

  /**
   * Graceful: what the session wrote last (its DISCONNECT, the "offline" status before it) is still
   * corked or queued in the socket, so the socket is ended, which sends it and then FIN; a peer that
   * has not closed its side within CLOSE_GRACE_MS is cut. Nothing reaches the session after this.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const s = this.socket;
    if (s === null) return;
    if (!this.open || s.destroyed) {
      s.destroy();
      return;
    }
    if (this.corked) {
      this.corked = false;
      s.uncork();
    }
    s.end();
    const cut = setTimeout(() => s.destroy(), CLOSE_GRACE_MS);
    cut.unref();
    s.once("close", () => clearTimeout(cut));
  }

  private opened(): void {
    if (this.closed) return;
    this.open = true;
    this.safe(() => this.handlers!.onConnected());
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    this.safe(() => this.handlers!.onClosed(reason));
  }

  /** A throwing handler must not become an uncaught exception in a socket event. */
  private safe(fn: () => void): void {
    try {
      fn();
    } catch {
      this.socket?.destroy();
    }
  }
}

export function nodeTcpTransportFactory(options: NodeTcpTransportOptions): TransportFactory {
  return () => new NodeTcpTransport(options);
}
