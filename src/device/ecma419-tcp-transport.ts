import TCP from "embedded:io/socket/tcp";
import type { MqttTransport, TransportFactory, TransportHandlers } from "../core/mqtt/session/transport-port";
import { GuardedSocketTransport } from "./guarded-socket-transport";

export interface Ecma419TcpOptions {
  /** Dotted IPv4 address: the Moddable TCP socket reads `address` only, never a host name (resolve first). */
  address: string;
  port: number;
}

/**
 * The MQTT transport over ECMA-419 `embedded:io/socket/tcp`. `onWritable(n)`
 * reports free send-buffer space (the first call means connected); `write`
 * writes at most that much, since the socket throws "would block" beyond it.
 * Every socket callback is guarded: an exception escaping one would reboot
 * the ESP32.
 */
export class Ecma419TcpTransport extends GuardedSocketTransport implements MqttTransport {
  private socket: TCP | null = null;
  private connected = false;
  private writable = 0;

  constructor(private readonly o: Ecma419TcpOptions) {
    super();
  }

  connect(handlers: TransportHandlers): void {
    this.handlers = handlers;
    const self = this;
    try {
      this.socket = new TCP({
        address: this.o.address,
        port: this.o.port,
        nodelay: true,
        format: "buffer",
        onWritable(bytes: number) {
          self.guard(() => {
            self.writable = bytes;
            if (!self.connected) {
              self.connected = true;
              handlers.onConnected();
            } else {
              handlers.onWritable();
            }
          });
        },
        onReadable(bytes: number) {
          self.guard(() => {
            const data = this.read(bytes);
            if (data instanceof ArrayBuffer) handlers.onData(new Uint8Array(data));
          });
        },
        onError() {
          self.finish("tcp error or closed by peer");
        },
      });
    } catch (e) {
      this.finish(`tcp connect failed: ${String(e)}`);
    }
  }

  write(bytes: Uint8Array): number {
    const s = this.socket;
    if (s === null || !this.connected || this.closed) return 0;
    const n = bytes.byteLength <= this.writable ? bytes.byteLength : this.writable;
    if (n === 0) return 0;
    try {
      s.write(n === bytes.byteLength ? bytes : bytes.subarray(0, n));
      this.writable -= n;
      return n;
    } catch (e) {
      this.finish(`tcp write failed: ${String(e)}`);
      return 0;
    }
  }

  protected dropSocket(): void {
    const s = this.socket;
    this.socket = null;
    s?.close();
  }
}

export function ecma419TcpTransportFactory(o: Ecma419TcpOptions): TransportFactory {
  return () => new Ecma419TcpTransport(o);
}
