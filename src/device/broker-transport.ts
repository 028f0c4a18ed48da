import type { ResolverPort } from "../core/clock/clock-ports";
import type { MqttTransport, TransportFactory, TransportHandlers } from "../core/mqtt/session/transport-port";
import { Ecma419TcpTransport } from "./ecma419-tcp-transport";
import { isDottedIPv4 } from "./net-resolver";

export interface BrokerTransportOptions {
  host: string;
  port: number;
  tls: boolean;
  resolver: ResolverPort;
}

export interface BrokerTransportCounters {
  attempts: number;
  /** Attempts refused because brokerTls=true (this firmware has no TLS). */
  tlsRefused: number;
  dnsFailures: number;
  lastAddress: string;
}

export function createBrokerTransportCounters(): BrokerTransportCounters {
  return { attempts: 0, tlsRefused: 0, dnsFailures: 0, lastAddress: "" };
}

/**
 * One connection attempt to the broker: resolves `host` first when it is not
 * a dotted IPv4 address (the Moddable 419 TCP socket reads `address` only,
 * never a host name), then opens `embedded:io/socket/tcp`.
 *
 * TLS: this manifest includes no TLS socket (no `embedded:io/socket/tls`
 * provider nor the legacy securesocket), so brokerTls=true is refused: each
 * attempt fails at once with a reason naming it, counted in
 * BrokerTransportCounters.tlsRefused (main.ts also logs it once at boot).
 * The session then backs off like for any failed connect; swipes are still
 * taken and journaled.
 */
export class BrokerTransport implements MqttTransport {
  private inner: Ecma419TcpTransport | null = null;
  private closed = false;

  constructor(
    private readonly o: BrokerTransportOptions,
    private readonly counters: BrokerTransportCounters,
  ) {}

  connect(handlers: TransportHandlers): void {
    this.counters.attempts++;
    if (this.o.tls) {
      this.counters.tlsRefused++;
      this.closed = true;
      handlers.onClosed("brokerTls=true is not supported by this firmware (no TLS socket in the manifest)");
      return;
    }
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
    this.inner = new Ecma419TcpTransport({ address, port: this.o.port });
    this.inner.connect(handlers);
  }
}

export function brokerTransportFactory(o: BrokerTransportOptions, counters: BrokerTransportCounters): TransportFactory {
  return () => new BrokerTransport(o, counters);
}
