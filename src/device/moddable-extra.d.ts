/**
 * Declarations the npm @moddable/typings package lacks, written from the
 * Moddable SDK 8.2.3 source. Only what paycard uses.
 */

/**
 * ECMA-419 Wi-Fi station on the ESP32 (modules/io/wifi/esp32/wifi-esp32.js and
 * wifi-esp32.c; the SDK's own build/devices/esp32/setup/network.js uses it the
 * same way). @moddable/typings has no declaration for it.
 * - `connection`: 200 disconnected, 300 connecting, 400 associated without an
 *   IPv4 address, 500 has an address (the C getter: connected && ip == 0x03).
 * - `onChanged(property)` is called with "connection" or "address".
 * - `connect({SSID, password?, channel?})` throws "already connecting" while a
 *   connect is pending and "connect failed" when esp_wifi_connect fails; there
 *   is no automatic reconnection.
 */
declare module "embedded:network/interface/wifi" {
  class WiFi {
    constructor(options: { onChanged?: (this: WiFi, property: "connection" | "address") => void });
    connect(options: { SSID: string; password?: string; channel?: number }): void;
    disconnect(): void;
    close(): void;
    readonly connection: number;
    readonly address: string | undefined;
    readonly SSID: string | undefined;
    readonly RSSI: number | undefined;
  }
  export default WiFi;
}

/**
 * XS's `native("xs_function")` (xs/sources/xsSyntaxical.c): when xsc compiles
 * with -c (mcconfig always passes it for device and simulator builds), a call
 * of the identifier `native` with one string literal is replaced at compile
 * time by a host function bound to that C symbol, which the link step must
 * find. The SDK's own modules use it (modules/io/wifi/esp32/wifi-esp32.js).
 */
declare function native(name: string): (...args: unknown[]) => unknown;

/**
 * The Moddable SDK's TLS 1.2 client session (modules/crypt/ssl/session_419.js,
 * from modules/crypt/tls_419.json), driven over an ECMA-419 TCP socket the
 * way examples/io/tcp/tlssocket does: the socket object carries `readable`
 * and `writable` counts the caller keeps up to date; `handshake` returns true
 * once done (or when an alert was raised: `alert` then says which); `read`
 * returns application data, undefined when there is none yet, null when the
 * peer closed. Failures throw a TLSError: "certificate: auth err" when the
 * server's chain does not verify (ssl/cert's CertificateManager.verify,
 * which only traces why), "alert: <level>, <description>" for an alert from
 * the peer. Options: serverName (SNI and the name checked against the
 * certificate's subjectAltName), certificate (one trusted CA, DER),
 * clientCertificates (DER) and clientKey (PKCS#8 DER, RSA).
 */
declare module "ssl/session" {
  interface SSLSessionOptions {
    serverName?: string;
    protocolVersion?: number;
    certificate?: ArrayBuffer;
    clientCertificates?: ArrayBuffer[];
    clientKey?: ArrayBuffer;
    verify?: boolean;
  }
  class SSLSession {
    constructor(options: SSLSessionOptions);
    certificateManager: { verify(certs: Uint8Array[], options: object): boolean } | undefined;
    alert: { level: number; description: number } | undefined;
    /** The handshake step due next; -1 when the session waits for the peer. */
    handshakeProcess: number;
    /** Set when the server sent a CertificateRequest (the certificates to answer with; empty when none). */
    clientCerts: unknown;
    initiateHandshake(): void;
    handshake(socket: object): boolean;
    read(socket: object): Uint8Array | null | undefined;
    write(socket: object, data: Uint8Array): number;
    close(socket: object): void;
  }
  export default SSLSession;
}

/** X.509 decoding from the SDK's crypt modules (modules/crypt/etc/x509.js). */
declare module "x509" {
  const X509: {
    decode(der: Uint8Array | ArrayBuffer): { tbs: Uint8Array };
    decodeTBS(tbs: Uint8Array): { validity: { from: number; to: number } };
    /** subjectAltName entries: tag 2 dNSName (value a string), tag 7 iPAddress (value the address bytes). */
    decodeSAN(der: Uint8Array | ArrayBuffer): { tag: number; value: string | ArrayBuffer }[] | undefined;
  };
  export default X509;
}
