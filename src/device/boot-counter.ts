import Preference from "preference";
import type { BootCounterPort } from "../core/lib/ports";

const DOMAIN = "paycard"; // NVS: domain and key at most 15 characters
const KEY = "boot";

/** The persisted boot counter in NVS (Preference). Null when storage fails. */
export class PreferenceBootCounter implements BootCounterPort {
  nextBoot(): number | null {
    try {
      const prev = Preference.get(DOMAIN, KEY);
      // Preference numbers are int32: wrap well before that.
      const next = typeof prev === "number" && prev >= 0 && prev < 0x7ffffff0 ? prev + 1 : 1;
      Preference.set(DOMAIN, KEY, next);
      return Preference.get(DOMAIN, KEY) === next ? next : null;
    } catch {
      return null;
    }
  }
}
