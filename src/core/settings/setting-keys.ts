/**
 * The settings an installer may provision on a flashed terminal (`set key=value` on the serial
 * console), stored in NVS and applied at the next start. Each name is also a key of the
 * manifest's `config` (the build's default) and of device-config.ts, whose rules check every
 * value; names are at most 15 characters, the NVS limit.
 */
export type SettingKind = "text" | "secret" | "int" | "number" | "bool" | "list";

export interface SettingKey {
  readonly name: string;
  readonly kind: SettingKind;
  readonly help: string;
}

/** NVS keys (and domains) are at most 15 characters. */
export const MAX_SETTING_NAME = 15;
/** Longest value `set` takes, in characters (Preference values may hold 4000 bytes). */
export const MAX_SETTING_VALUE = 256;

export const SETTING_KEYS: readonly SettingKey[] = Object.freeze([
  { name: "terminalId", kind: "text", help: "terminal id in topics and request ids (empty: from the chip)" },
  { name: "merchantId", kind: "text", help: "merchant the terminal serves" },
  { name: "topicPrefix", kind: "text", help: "first MQTT topic level" },
  { name: "wifiSsid", kind: "text", help: "Wi-Fi network (empty: offline)" },
  { name: "wifiPassword", kind: "secret", help: "Wi-Fi password" },
  { name: "brokerHost", kind: "text", help: "MQTT broker host name or IPv4 address" },
  { name: "brokerPort", kind: "int", help: "MQTT broker port" },
  { name: "brokerUser", kind: "text", help: "MQTT user name (empty: none)" },
  { name: "brokerPassword", kind: "secret", help: "MQTT password" },
  { name: "brokerTls", kind: "bool", help: "TLS to the broker" },
  { name: "ntpServers", kind: "list", help: "NTP servers, comma-separated" },
  { name: "watermarkMs", kind: "int", help: "watermark delay behind the clock, ms" },
  { name: "burstMax", kind: "int", help: "card-testing alert above this many swipes in a window" },
  { name: "burstSmall", kind: "int", help: "...or above this many small swipes" },
  { name: "burstSmallCents", kind: "int", help: "average below this counts as small, cents" },
  { name: "anomalyThresh", kind: "number", help: "amount anomaly threshold, robust deviations" },
] as SettingKey[]);

/** The setting of this exact name, if any. */
export function settingKey(name: string): SettingKey | undefined {
  for (const k of SETTING_KEYS) if (k.name === name) return k;
  return undefined;
}

export function isSecret(name: string): boolean {
  return settingKey(name)?.kind === "secret";
}
