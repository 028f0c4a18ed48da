import UDP from "embedded:io/socket/udp";
import type { DatagramHandlers, DatagramSocket, DatagramSocketFactory } from "../core/clock/clock-ports";
import type { Faults } from "./faults";

/**
 * The SNTP client's datagram port over ECMA-419 `embedded:io/socket/udp`
 * (modules/io/socket/lwip/udp.c on the ESP32, lin/udp.c in the simulator):
 * - `write(buffer, address, port)`: that argument order is what the C code
 *   reads (the 419 docs show another); `address` must be a dotted IPv4.
 *   The bytes are copied into a pbuf / sendto() before write returns.
 * - `onReadable(count)`: `read()` returns one datagram per call, an
 *   ArrayBuffer with `.address` and `.port`, or undefined when none is left.
 * Nothing throws out of the socket's callbacks (see faults.ts).
 */
export class ModdableUdpSocket implements DatagramSocket {
  private socket: UDP | null = null;
  private closed = false;
  sendFailures = 0;

  constructor(handlers: DatagramHandlers, faults: Faults) {
    const self = this;
    this.socket = new UDP({
      onReadable(count: number) {
        faults.guard("udp.onReadable", () => {
          const s = self.socket;
          for (let i = 0; i < count && s !== null && !self.closed; i++) {
            const packet = s.read();
            if (packet === undefined) break;
            handlers.onDatagram(new Uint8Array(packet), packet.address, packet.port);
          }
        });
      },
      onError() {
        faults.guard("udp.onError", () => self.close());
      },
    });
  }

  send(bytes: Uint8Array, address: string, port: number): boolean {
    const s = this.socket;
    if (s === null || this.closed) return false;
    try {
      s.write(bytes, address, port);
      return true;
    } catch {
      this.sendFailures++;
      return false;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const s = this.socket;
    this.socket = null;
    try {
      (s as unknown as { close?: () => void } | null)?.close?.();
    } catch {
      // already closed
    }
  }
}

export function moddableUdpSocketFactory(faults: Faults): DatagramSocketFactory {
  return (handlers) => new ModdableUdpSocket(handlers, faults);
}
