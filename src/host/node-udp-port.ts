import dgram from "node:dgram";
import type { DatagramHandlers, DatagramSocket, DatagramSocketFactory } from "../core/clock/clock-ports";

export interface NodeUdpOptions {
  bindAddress?: string;
}

/**
 * The datagram socket port over Node's dgram (udp4). `nodeUdpSocketFactory`
 * is the SNTP client's `udp` port: each call binds one socket to an
 * ephemeral port on `bindAddress` (default 0.0.0.0; tests use 127.0.0.1).
 *
 * `send` copies the bytes (the client reuses its buffer) and hands them to
 * dgram; errors reported later by dgram are counted in `errors` and
 * otherwise ignored (the request then times out). Nothing throws out.
 */
export class NodeUdpSocket implements DatagramSocket {
  errors = 0;
  private readonly socket: dgram.Socket;
  private closed = false;

  constructor(handlers: DatagramHandlers, options: NodeUdpOptions = {}) {
    this.socket = dgram.createSocket("udp4");
    this.socket.on("message", (msg, rinfo) => {
      if (this.closed) return;
      handlers.onDatagram(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), rinfo.address, rinfo.port);
    });
    this.socket.on("error", () => {
      this.errors++;
    });
    this.socket.bind(0, options.bindAddress ?? "0.0.0.0");
  }

  send(bytes: Uint8Array, address: string, port: number): boolean {
    if (this.closed) return false;
    try {
      this.socket.send(Buffer.from(bytes), port, address, (err) => {
        if (err) this.errors++;
      });
      return true;
    } catch {
      this.errors++;
      return false;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}

export function nodeUdpSocketFactory(options: NodeUdpOptions = {}): DatagramSocketFactory {
  return (handlers) => new NodeUdpSocket(handlers, options);
}
