import net from "node:net";
import tls from "node:tls";
import type { MqttTransport, TransportFactory, TransportHandlers } from "../core/mqtt/session/transport-port";

/** How long a closed link waits for the peer's FIN after sending its own. */
const CLOSE_GRACE_MS = 1_000;
/**
 * The read buffer of every plain TCP link in this process: a read takes at most this much (libuv
 * reads again while a read fills it). One for all: a read's bytes are handed to the session
 * during the read's callback and are valid only then (the transport port's rule), and callbacks
 * never overlap, so a fleet of terminals in one process does not pay it once per terminal.
 */
const READ_BUFFER_BYTES = 16 * 1024;
let sharedReadBuffer: Uint8Array | null = null;
const readBuffer = (): Uint8Array => (sharedReadBuffer ??= new Uint8Array(READ_BUFFER_BYTES));
/** The first size of the buffer a turn's writes gather in (it grows for a larger turn). */
const PENDING_BYTES = 4 * 1024;

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
  /**
   * The local address to connect from (default: the system's choice). A host that opens more
   * connections to one broker than one source address has ephemeral ports for (~28 000 on Linux)
   * spreads them over several, e.g. 127.0.0.2 and 127.0.0.3 on loopback.
   */
  localAddress?: string;
  /** When present, connect with TLS. */
  tls?: NodeTcpTlsOptions;
}

/**
 * The MQTT transport port over Node's `net` (or `tls` when TLS options are
 * given). One instance per connection attempt; use `nodeTcpTransportFactory`
 * as the session's `transport` port.
 *
 * Writes: what the session writes in one turn of the event loop (a PUBLISH's head and payload,
 * the PUBLISHes that the PUBACKs of a read let go) is gathered in one buffer and handed to
 * `socket.write` once, after that turn's I/O (setImmediate): one copy and one system call for the
 * lot. On loopback against mosquitto that is ~0.4 writes a message, against MQTT.js's corked
 * writev of 6 buffers a message (bench:mqtt's CPU per message). Backpressure: once
 * `socket.write` returned false the transport reports 0 bytes accepted until 'drain', which
 * becomes `onWritable()`.
 *
 * Reads (plain TCP): into one preallocated buffer shared by every link of the process (`onread`),
 * handed to the session as a view that is valid during the call, as the transport port allows: no
 * buffer and no stream machinery per read. With TLS, the socket's 'data' chunks.
 *
 * Nothing throws out: connection failures, socket errors and ends all become one
 * `onClosed(reason)`.
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
    const { host, port, localAddress } = this.options;
    let socket: net.Socket;
    try {
      if (this.options.tls !== undefined) {
        const t = this.options.tls;
        // tls.connect passes socket.connect's options on (localAddress among them); its type omits them.
        const o: tls.ConnectionOptions & { localAddress?: string } = { host, port, rejectUnauthorized: t.rejectUnauthorized ?? true };
        if (localAddress !== undefined) o.localAddress = localAddress;
        if (t.ca !== undefined) o.ca = t.ca;
        if (t.cert !== undefined) o.cert = t.cert;
        if (t.key !== undefined) o.key = t.key;
        o.servername = t.servername ?? (net.isIP(host) === 0 ? host : undefined);
        socket = tls.connect(o, () => this.opened());
      } else {
        const buffer = readBuffer();
        socket = net.connect(
          {
            host,
            port,
            ...(localAddress !== undefined ? { localAddress } : {}),
            onread: {
              buffer,
              callback: (n: number) => {
                if (!this.closed) this.safe(() => this.handlers!.onData(buffer.subarray(0, n)));
                return true;
              },
            },
          },
          () => this.opened(),
        );
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

  /** Bytes written in this turn of the event loop, sent after its I/O (`flush`). */
  private pending = new Uint8Array(PENDING_BYTES);
  private pendingLength = 0;
  private flushScheduled = false;
  private readonly flushSoon = () => {
    this.flushScheduled = false;
    this.flush();
  };

  write(bytes: Uint8Array): number {
    const s = this.socket;
    if (s === null || !this.open || this.closed || this.blocked) return 0;
    const end = this.pendingLength + bytes.length;
    if (end > this.pending.length) {
      const grown = new Uint8Array(Math.max(end, 2 * this.pending.length));
      grown.set(this.pending.subarray(0, this.pendingLength));
      this.pending = grown;
    }
    // A copy: the session's bytes are valid only during this call.
    this.pending.set(bytes, this.pendingLength);
    this.pendingLength = end;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushSoon);
    }
    return bytes.length;
  }

  /**
   * Hands what was written to the socket in one write. The kernel usually takes it at once (on
   * loopback, always): then the buffer is free again. When the socket has to keep it (bytes left
   * queued), the next writes go to a new buffer.
   */
  private flush(): void {
    const s = this.socket;
    const n = this.pendingLength;
    if (s === null || n === 0 || s.destroyed) return;
    this.pendingLength = 0;
    try {
      const chunk = Buffer.from(this.pending.buffer, this.pending.byteOffset, n);
      if (!s.write(chunk)) this.blocked = true;
      if (s.writableLength > 0) this.pending = new Uint8Array(this.pending.length);
    } catch (e) {
      this.lastError = (e as Error).message;
      s.destroy();
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
    this.flush();
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
