import Preference from "preference";
import type { SettingsStorePort } from "../core/settings/settings-store";

/**
 * Provisioned settings in NVS (Preference): one string per key in one domain. Domain and key are
 * at most 15 characters, a value at most 4000 bytes (settings are at most 256 characters). On
 * `lin`, Preference is a JSON file that persists between simulator runs.
 */
export class PreferenceSettingsStore implements SettingsStorePort {
  constructor(private readonly domain: string) {}

  read(key: string): string | undefined {
    try {
      const v = Preference.get(this.domain, key);
      return typeof v === "string" ? v : undefined;
    } catch {
      return undefined;
    }
  }

  write(key: string, value: string): boolean {
    try {
      Preference.set(this.domain, key, value);
      return Preference.get(this.domain, key) === value;
    } catch {
      return false;
    }
  }

  remove(key: string): void {
    try {
      Preference.delete(this.domain, key);
    } catch {
      // Nothing stored under the key.
    }
  }
}
