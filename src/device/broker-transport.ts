import type { ResolverPort } from "../core/clock/clock-ports";
import type { MqttTransport, TransportFactory, TransportHandlers } from "../core/mqtt/session/transport-port";
import type { BrokerTlsMaterial } from "../core/settings/device-config";
import { Ecma419TcpTransport } from "./ecma419-tcp-transport";
import { Ecma419TlsTransport, type TlsFailure } from "./ecma419-tls-transport";
import { isDottedIPv4 } from "./net-resolver";

export interface BrokerTransportOptions {
  host: string;
  port: number;
  /** TLS material when the link is TLS (brokerTls=true), else null. */
  tls: BrokerTlsMaterial | null;
  resolver: ResolverPort;
  /** A refused TLS handshake, with its cause (for the serial log). */
  onTlsFailure?: (cause: TlsFailure, detail: string) => void;
}

export interface BrokerTransportCounters {
  attempts: number;
  /** TLS handshakes refused (any cause). */
  tlsFailures: number;
  /** The cause of the last one, "" if none. */
  lastTlsFailure: string;
  dnsFailures: number;
  lastAddress: string;
}

export function createBrokerTransportCounters(): BrokerTransportCounters {
  return { attempts: 0, tlsFailures: 0, lastTlsFailure: "", dnsFailures: 0, lastAddress: "" };
}

/**
 * One connection attempt to the broker: resolves `host` first when it is not
 * a dotted IPv4 address (the Moddable 419 TCP socket reads `address` only,
 * never a host name), then opens `embedded:io/socket/tcp`, or with TLS
 * (brokerTls=true) the same socket under the SDK's TLS session
 * (Ecma419TlsTransport), the server name being `host`. A refused handshake
 * is counted and reported with its cause; the session then backs off like
 * for any failed connect, and swipes are still taken and journaled.
 */
export class BrokerTransport implements MqttTransport {
  private inner: MqttTransport | null = null;
  private closed = false;

  constructor(
    private readonly o: BrokerTransportOptions,
    private readonly counters: BrokerTransportCounters,
  ) {}

  connect(handlers: TransportHandlers): void {
    this.counters.attempts++;
    if (isDottedIPv4(this.o.host)) {
      this.open(this.o.host, handlers);
      return;
    }
    this.o.resolver.resolve(this.o.host, (address) => {
      if (this.closed) return; // the session gave up on this attempt (connect timeout, stop)
      if (address === null) {
        this.counters.dnsFailures++;
        this.closed = true;
        handlers.onClosed(`cannot resolve broker host ${this.o.host}`);
        return;
      }
      this.open(address, handlers);
    });
  }

  write(bytes: Uint8Array): number {
    return this.inner === null || this.closed ? 0 : this.inner.write(bytes);
  }

  close(): void {
    this.closed = true;
    if (this.inner !== null) this.inner.close();
  }

  private open(address: string, handlers: TransportHandlers): void {
    this.counters.lastAddress = address;
    const material = this.o.tls;
    this.inner =
      material === null
        ? new Ecma419TcpTransport({ address, port: this.o.port })
        : new Ecma419TlsTransport({
            address,
            port: this.o.port,
            serverName: this.o.host,
            material,
            onFailure: (cause, detail) => {
              this.counters.tlsFailures++;
              this.counters.lastTlsFailure = cause;
              this.o.onTlsFailure?.(cause, detail);
            },
          });
    this.inner.connect(handlers);
  }
}

export function brokerTransportFactory(o: BrokerTransportOptions, counters: BrokerTransportCounters): TransportFactory {
  return () => new BrokerTransport(o, counters);
}
