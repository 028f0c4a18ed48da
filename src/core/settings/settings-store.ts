/**
 * Where provisioned settings persist: NVS (Preference) on the device, a map in tests. Values are
 * strings; keys are at most 15 characters (MAX_SETTING_NAME).
 */
export interface SettingsStorePort {
  /** The stored value, or undefined when none (or when it cannot be read). */
  read(key: string): string | undefined;
  /** Stores a value; false when storage failed (nothing is assumed saved). */
  write(key: string, value: string): boolean;
  /** Removes a value (no error when there is none). */
  remove(key: string): void;
}

/** A store in memory: the host's tests and tools. */
export class MemorySettingsStore implements SettingsStorePort {
  readonly values = new Map<string, string>();
  /** When true, writes fail (a full or broken NVS). */
  failWrites = false;

  read(key: string): string | undefined {
    return this.values.get(key);
  }

  write(key: string, value: string): boolean {
    if (this.failWrites) return false;
    this.values.set(key, value);
    return true;
  }

  remove(key: string): void {
    this.values.delete(key);
  }
}
