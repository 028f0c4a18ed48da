import type { BrokerAddress } from "./fleet-subscriber";

/**
 * `paycard run --watch`: the records a consumer of the terminals' topics sees (alerts, late data,
 * rejects), one readable line each, as they arrive. `payload` is the JSON a terminal published
 * (src/core/app/payloads.ts); anything else is shown as it is.
 */
export function watchLine(leaf: string, payload: Record<string, unknown>, at: Date): string | null {
  const time = at.toISOString().slice(11, 19);
  const terminal = String(payload.terminal_id ?? "?");
  switch (leaf) {
    case "alerts":
      return `${time} ALERT  ${String(payload.alert_type)} ${String(payload.key_field)}=${String(payload.key)} (terminal ${terminal}): ${String(payload.detail)}  id ${String(payload.id)}`;
    case "late": {
      const behind = Number(payload.watermark) - Number(payload.timestamp);
      const by = Number.isFinite(behind) ? `${Math.round(behind / 1000)} s behind the watermark` : "behind the watermark";
      return `${time} LATE   ${String(payload.transaction_id)} (terminal ${terminal}) ${by}, window ${String(payload.window)} key ${String(payload.key)}: ${String(payload.reason)}`;
    }
    case "rejects":
      return `${time} REJECT ${String(payload.transaction_id ?? "-")} (terminal ${terminal}) ${String(payload.reason)}${payload.field ? ` ${String(payload.field)}` : ""}: ${String(payload.detail)}`;
    default:
      return null;
  }
}

/** A mosquitto_sub command that shows everything the terminals publish on `broker` (the password left for the user to type). */
export function mosquittoSubLine(broker: BrokerAddress, topicPrefix: string): string {
  const parts = ["mosquitto_sub", "-h", broker.host, "-p", String(broker.port)];
  if (broker.tls) parts.push("--capath", "/etc/ssl/certs");
  if (broker.username !== "") parts.push("-u", shellWord(broker.username), "-P", "'<password>'");
  parts.push("-t", `'${topicPrefix}/#'`, "-v");
  return parts.join(" ");
}

function shellWord(s: string): string {
  return /^[A-Za-z0-9_.:@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
