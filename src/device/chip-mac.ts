import Net from "net";

/**
 * The Wi-Fi station MAC ("24:0a:c4:a1:b2:c3") when the platform can read it: on the ESP32 once
 * the Wi-Fi interface exists; undefined on `lin` and before that (the terminal id then comes
 * from the random source, kept in NVS: see core/settings/terminal-identity.ts).
 */
export function chipMac(): string | undefined {
  try {
    const mac = Net.get("MAC") as unknown;
    return typeof mac === "string" && mac !== "" ? mac : undefined;
  } catch {
    return undefined;
  }
}
