/**
 * A terminal id that never collides: the one set (in NVS or by the build), else one derived from
 * the chip's Wi-Fi MAC (`term-a1b2c3`, its last three bytes), else one generated once from the
 * random source (`term-` and 8 hex digits) and kept in the store, so every restart uses it again.
 * A derived or generated id is kept as well: the id does not change when the MAC later becomes
 * readable.
 */
import type { RandomPort } from "../lib/ports";
import type { SettingsStorePort } from "./settings-store";

export const AUTO_ID_KEY = "autoId";

export type IdSource = "set" | "kept" | "mac" | "generated";

export interface TerminalIdentity {
  readonly id: string;
  readonly source: IdSource;
}

/** A derived terminal id; made at first use (not at load: on XS a module's load-time RegExp is in flash, where matching it crashes; preload-rules.test.ts). */
let autoId: RegExp | undefined;

/** "a1b2c3" from "24:0A:C4:A1:B2:C3" (or "240ac4a1b2c3"); null when it is not a MAC. */
export function macSuffix(mac: string): string | null {
  const hex = mac.toLowerCase().replace(/[:-]/g, "");
  if (!/^[0-9a-f]{12}$/.test(hex) || hex === "000000000000") return null;
  return hex.slice(6);
}

/**
 * The id to run with. `configured` is the terminalId setting (NVS over the build); empty or
 * absent means "derive one". `mac` is the chip's Wi-Fi MAC when the platform can read it.
 */
export function resolveTerminalId(configured: unknown, store: SettingsStorePort, mac: string | undefined, random: RandomPort): TerminalIdentity {
  if (typeof configured === "string" && configured.trim() !== "") return { id: configured.trim(), source: "set" };
  const kept = store.read(AUTO_ID_KEY);
  // Stryker disable next-line ConditionalExpression: the RegExp is made on first use (at load XS would keep it in flash: preload-rules.test.ts); making it again at each call answers the same
  if (autoId === undefined) autoId = /^term-[0-9a-f]{6,8}$/;
  if (kept !== undefined && autoId.test(kept)) return { id: kept, source: "kept" };
  const suffix = mac === undefined ? null : macSuffix(mac);
  const id = suffix !== null ? `term-${suffix}` : `term-${(random.nextUint32() >>> 0).toString(16).padStart(8, "0")}`;
  // Kept even if the store fails: this boot runs with it, and the next one derives it again (MAC) or draws a new one.
  store.write(AUTO_ID_KEY, id);
  return { id, source: suffix !== null ? "mac" : "generated" };
}
