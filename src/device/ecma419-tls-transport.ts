import TCP from "embedded:io/socket/tcp";
import SSLSession from "ssl/session";
import X509 from "x509";
import type { MqttTransport, TransportHandlers } from "../core/mqtt/session/transport-port";
import type { BrokerTlsMaterial } from "../core/settings/device-config";
import { GuardedSocketTransport } from "./guarded-socket-transport";
import { exactBuffer } from "./exact-buffer";

/** Why a TLS link was refused, in the words of the serial line and the counters. */
export const TlsFailure = Object.freeze({
  UNKNOWN_CA: "unknown CA",
  HOST_MISMATCH: "host name mismatch",
  NOT_VALID_NOW: "certificate expired or not yet valid",
  CLIENT_CERT_REQUIRED: "client certificate required",
  CLIENT_CERT_REFUSED: "client certificate refused",
  HANDSHAKE: "handshake failed",
} as const);
export type TlsFailure = (typeof TlsFailure)[keyof typeof TlsFailure];

export interface Ecma419TlsOptions {
  /** Dotted IPv4 address (resolved before). */
  address: string;
  port: number;
  /** SNI, and the name the server's certificate must carry (brokerHost). */
  serverName: string;
  material: BrokerTlsMaterial;
  /** Called once when the handshake fails, with its cause and a detail line. */
  onFailure?: (cause: TlsFailure, detail: string) => void;
}

/** Bytes kept free in the socket's send buffer for the TLS record around a write (the SDK's TLSSocket estimate). */
const RECORD_OVERHEAD = 96;
/** A TLS record carries at most 2^14 bytes of data. */
const MAX_FRAGMENT = 16_384;
/** Handshake steps taken per socket event at most (a server flight is five records; a client flight one step). */
const MAX_STEPS_PER_EVENT = 16;

/** The calls the SSL session makes on its socket (examples/io/tcp/tlssocket hands it the TCP socket itself). */
interface TcpCalls {
  read(into: Uint8Array): unknown;
  write(bytes: Uint8Array): unknown;
  close(): void;
}

/**
 * What the SSL session drives: the counts it keeps, reads and writes passed to
 * the socket. A write that fails (the peer closed: on lin the socket's error
 * is reported only at its next event, which may never come) answers no
 * number; it is noted here, so the transport sees it at once.
 */
class SessionSocket {
  readable = 0;
  writable = 0;
  writeFailed = false;

  constructor(private readonly tcp: TcpCalls) {}

  read(into: Uint8Array): unknown {
    return this.tcp.read(into);
  }

  write(bytes: Uint8Array): number {
    const left = this.tcp.write(bytes);
    if (typeof left === "number") return left;
    this.writeFailed = true;
    return 0;
  }

  close(): void {
    this.tcp.close();
  }
}

/**
 * The MQTT transport over TLS 1.2: the Moddable SDK's SSL session
 * (`ssl/session`, modules/crypt/tls_419.json) on an ECMA-419 TCP socket,
 * written after the SDK's examples/io/tcp/tlssocket but with every socket
 * callback guarded (an exception escaping one reboots the ESP32) and the
 * cause of a refused handshake named: the session's certificate check only
 * answers yes or no, so on a no the server's certificate is looked at again
 * here (subjectAltName against the server name, validity against the
 * clock; otherwise its chain does not reach the trusted CA), and an alert
 * from the broker is read for a client-certificate refusal.
 */
export class Ecma419TlsTransport extends GuardedSocketTransport implements MqttTransport {
  private socket: SessionSocket | null = null;
  private session: SSLSession | null = null;
  private ready = false;
  /** The TCP connection is up (its first onWritable): a close after it, before `ready`, is the handshake's. */
  private tcpConnected = false;
  /** Set when the certificate check failed: why. */
  private certificateProblem: { cause: TlsFailure; detail: string } | null = null;

  constructor(private readonly o: Ecma419TlsOptions) {
    super();
  }

  connect(handlers: TransportHandlers): void {
    this.handlers = handlers;
    const m = this.o.material;
    const self = this;
    try {
      const session = new SSLSession({
        serverName: this.o.serverName,
        protocolVersion: 0x303,
        certificate: m.ca === null ? undefined : exactBuffer(m.ca),
        clientCertificates: m.certificate === null ? undefined : [exactBuffer(m.certificate)],
        clientKey: m.key === null ? undefined : exactBuffer(m.key),
      });
      this.watchCertificateCheck(session);
      session.initiateHandshake();
      this.session = session;
      const tcp = new TCP({
        address: this.o.address,
        port: this.o.port,
        nodelay: true,
        format: "buffer",
        onWritable(bytes: number) {
          self.guard(() => self.onWritable(bytes));
        },
        onReadable(bytes: number) {
          self.guard(() => self.onReadable(bytes));
        },
        onError() {
          if (self.ready) self.finish("tls link closed");
          else if (!self.tcpConnected) self.finish("tcp connect failed or closed before the TLS handshake");
          else self.refused("", true);
        },
      });
      this.socket = new SessionSocket(tcp as unknown as TcpCalls);
    } catch (e) {
      this.finish(`tls connect failed: ${String(e)}`);
    }
  }

  write(bytes: Uint8Array): number {
    const s = this.socket;
    const session = this.session;
    if (s === null || session === null || !this.ready || this.closed) return 0;
    let n = bytes.byteLength;
    if (n > MAX_FRAGMENT) n = MAX_FRAGMENT;
    if (n > s.writable - RECORD_OVERHEAD) n = s.writable - RECORD_OVERHEAD;
    if (n <= 0) return 0;
    try {
      session.write(s, n === bytes.byteLength ? bytes : bytes.subarray(0, n));
      if (s.writeFailed) {
        this.finish("tls write failed: closed by the broker");
        return 0;
      }
      return n;
    } catch (e) {
      this.finish(`tls write failed: ${String(e)}`);
      return 0;
    }
  }

  protected dropSocket(): void {
    const s = this.socket;
    this.socket = null;
    this.session = null;
    s?.close();
  }

  // ------------------------------------------------------------ internals

  private onWritable(bytes: number): void {
    const s = this.socket;
    if (s === null) return;
    s.writable = bytes;
    this.tcpConnected = true;
    if (!this.ready) this.handshake();
    else if (bytes > RECORD_OVERHEAD) this.handlers?.onWritable();
  }

  private onReadable(bytes: number): void {
    const s = this.socket;
    if (s === null) return;
    s.readable = bytes;
    if (!this.ready) {
      this.handshake();
      if (!this.ready) return;
    }
    this.drain();
  }

  /**
   * The handshake, as far as it can go now: each session.handshake call takes
   * one step (one record in, or the next flight out), so it is called again
   * while records wait or a step is due. On completion the link is up.
   */
  private handshake(): void {
    const s = this.socket;
    const session = this.session;
    if (s === null || session === null) return;
    let done = false;
    try {
      for (let steps = 0; steps < MAX_STEPS_PER_EVENT && !done; steps++) {
        done = session.handshake(s);
        if (s.readable === 0 && session.handshakeProcess === -1) break; // waiting for the broker
      }
    } catch (e) {
      this.refused(String(e), s.writeFailed);
      return;
    }
    if (s.writeFailed) {
      this.refused("", true);
      return;
    }
    if (!done) return;
    if (session.alert !== undefined) {
      this.refused(`alert: ${session.alert.level}, ${session.alert.description}`, false);
      return;
    }
    this.ready = true;
    this.handlers?.onConnected();
  }

  /** Application data in, as long as the socket has bytes. */
  private drain(): void {
    const s = this.socket;
    const session = this.session;
    while (s !== null && session !== null && !this.closed && s.readable > 0) {
      const data = session.read(s);
      if (data === undefined) return;
      if (data === null) {
        this.finish("tls link closed by the broker (alert)");
        return;
      }
      if (data.byteLength > 0) this.handlers?.onData(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  }

  /**
   * The handshake failed (`error` from the session, or `closedByBroker`: the
   * connection went away under it): name the cause, tell the owner, close.
   */
  private refused(error: string, closedByBroker: boolean): void {
    if (this.closed) return;
    let cause: TlsFailure = TlsFailure.HANDSHAKE;
    let detail = error;
    const alert = /alert: (\d+), (\d+)/.exec(error);
    const sentCertificate = this.o.material.certificate !== null;
    if (this.certificateProblem !== null) {
      cause = this.certificateProblem.cause;
      detail = this.certificateProblem.detail;
    } else if (alert !== null) {
      const d = Number(alert[2]);
      // RFC 5246 7.2.2 (and RFC 8446 6.2 for 116): what a server answers to a missing or unacceptable client certificate.
      if (!sentCertificate && (d === 40 || d === 42 || d === 116)) cause = TlsFailure.CLIENT_CERT_REQUIRED;
      else if (sentCertificate && (d === 42 || d === 43 || d === 44 || d === 45 || d === 46 || d === 48)) cause = TlsFailure.CLIENT_CERT_REFUSED;
      detail = `the broker sent TLS alert ${d}`;
    } else if (closedByBroker) {
      // Asked for a certificate (CertificateRequest), the broker closed the connection after the client's answer.
      const asked = this.session?.clientCerts !== undefined;
      if (asked) cause = sentCertificate ? TlsFailure.CLIENT_CERT_REFUSED : TlsFailure.CLIENT_CERT_REQUIRED;
      detail = asked
        ? `the broker asked for a client certificate and closed the connection after ${sentCertificate ? "it" : "none was given"}`
        : "the broker closed the connection during the handshake";
    }
    try {
      this.o.onFailure?.(cause, detail);
    } catch {
      // the owner's report must not keep the link from closing
    }
    this.finish(`TLS refused: ${cause}: ${detail}`);
  }

  /**
   * The session checks the server's chain with CertificateManager.verify,
   * which answers only true or false; wrapped (defineProperty: the class's
   * prototype may be frozen in a preloaded heap) to say why on false.
   */
  private watchCertificateCheck(session: SSLSession): void {
    const cm = session.certificateManager;
    if (cm === undefined) return;
    const verify = cm.verify;
    const serverName = this.o.serverName;
    Object.defineProperty(cm, "verify", {
      value: (certs: Uint8Array[], options: object): boolean => {
        const ok = verify.call(cm, certs, options);
        if (!ok) this.certificateProblem = whyRefused(certs, serverName);
        return ok;
      },
    });
  }

}

/** Why the server's certificate `der` did not verify for `serverName`: the first problem found. */
export function whyRefused(chain: Uint8Array[], serverName: string): { cause: TlsFailure; detail: string } {
  const der = chain[0];
  if (der === undefined) return { cause: TlsFailure.HANDSHAKE, detail: "the broker sent no certificate" };
  try {
    const names = certificateNames(der);
    if (!names.some((n) => nameMatches(n, serverName))) {
      return { cause: TlsFailure.HOST_MISMATCH, detail: `the broker's certificate is for ${names.length === 0 ? "no name" : names.join(", ")}, not ${serverName}` };
    }
    const v = X509.decodeTBS(X509.decode(der).tbs).validity;
    const now = Date.now();
    if (!(v.from < now && now < v.to)) {
      return { cause: TlsFailure.NOT_VALID_NOW, detail: `valid ${new Date(v.from).toISOString()} to ${new Date(v.to).toISOString()}, the clock says ${new Date(now).toISOString()}` };
    }
  } catch (e) {
    return { cause: TlsFailure.HANDSHAKE, detail: `the broker's certificate cannot be read: ${String(e)}` };
  }
  if (chain.length === 1) {
    // The SDK's check matches the host name only while walking a chain: a lone certificate never passes.
    return { cause: TlsFailure.UNKNOWN_CA, detail: "the broker sent its certificate without its chain: give the broker a certfile with the CA (and intermediate) certificates after its own" };
  }
  return { cause: TlsFailure.UNKNOWN_CA, detail: "the broker's chain does not lead to the CA given (brokerCa) nor to a bundled root" };
}

function certificateNames(der: Uint8Array): string[] {
  const out: string[] = [];
  const san = X509.decodeSAN(der) ?? [];
  for (let i = 0; i < san.length; i++) {
    const e = san[i]!;
    if (e.tag === 2 && typeof e.value === "string") out.push(e.value.toLowerCase());
    else if (e.tag === 7 && typeof e.value !== "string" && e.value.byteLength === 4) out.push(Array.from(new Uint8Array(e.value)).join("."));
  }
  return out;
}

/** subjectAltName matching as the SDK's check does it: exact, or one leading `*` label. */
function nameMatches(name: string, serverName: string): boolean {
  const host = serverName.toLowerCase();
  if (name.charCodeAt(0) !== 42) return name === host;
  const dot = host.indexOf(".");
  return dot > 0 && name.slice(1) === host.slice(dot);
}
