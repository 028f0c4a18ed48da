/** A broker that would not take a connection (broker-preflight.ts): said in one line, `paycard run` exits 2. */
export class BrokerRefusal extends Error {}

/** MQTT 3.1.1 CONNACK return codes (section 3.2.2.3) that refuse a connection. */
const CONNACK_REFUSALS: Record<number, string> = {
  1: "it does not speak MQTT 3.1.1 (CONNACK 1: unacceptable protocol version)",
  2: "it refused the client id (CONNACK 2: identifier rejected)",
  3: "the MQTT service is unavailable (CONNACK 3: server unavailable)",
  4: "bad user name or password (CONNACK 4)",
  5: "not authorised (CONNACK 5): give a user name and password in the URL, mqtt://user:password@host:port",
};

/** Why `e` (from MQTT.js or the socket under it) ended the connection, in words. */
export function refusalReason(e: Error & { code?: unknown }): string {
  if (typeof e.code === "number" && CONNACK_REFUSALS[e.code] !== undefined) return CONNACK_REFUSALS[e.code]!;
  switch (e.code) {
    case "ECONNREFUSED":
      return "nothing listens there (connection refused)";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "no such host (DNS lookup failed)";
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `unreachable (${String(e.code)})`;
    case "ECONNRESET":
      return "it closed the connection at once (ECONNRESET: a TLS port spoken to without TLS, or the other way round?)";
  }
  if (/SSL|TLS|certificate|CERT_|self.signed|wrong version number/i.test(`${String(e.code)} ${e.message}`)) return `TLS failed: ${e.message}`;
  return e.message;
}
