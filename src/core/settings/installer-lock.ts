import type { RandomPort } from "../lib/ports";
import { hashPassphrase, isPassphraseHash, passphraseProblem, verifyPassphrase } from "./passphrase-hash";
import type { SettingsStorePort } from "./settings-store";

export const PASSPHRASE_KEY = "passHash";
export const MAX_FAILURES = 5;
export const LOCKOUT_MS = 60_000;

export type UnlockResult = "unlocked" | "no-passphrase" | "wrong" | "locked-out";
export type SetPassphraseResult = "set" | "changed" | "locked" | "storage-failed" | { readonly problem: string };

/**
 * The installer lock: once a passphrase is set (at first provisioning), `set` and `reset`
 * need `unlock <passphrase>` first; `lock` (or a restart) closes it again. Only the salted hash
 * is stored. Every refused attempt is counted; after MAX_FAILURES wrong passphrases in a row,
 * further attempts are refused unchecked for LOCKOUT_MS.
 */
export class InstallerLock {
  private open = false;
  private failuresInRow = 0;
  private lockedOutUntil = -Infinity;
  /** Wrong passphrases, and attempts refused while locked out. */
  refusedUnlocks = 0;

  constructor(
    private readonly store: SettingsStorePort,
    private readonly random: RandomPort,
    private readonly now: () => number,
  ) {}

  /** A passphrase is set: the terminal is deployed. */
  get hasPassphrase(): boolean {
    const h = this.store.read(PASSPHRASE_KEY);
    return h !== undefined && isPassphraseHash(h);
  }

  /** A stored hash that is not well made (NVS damage): reported by `show`; a new passphrase can be set. */
  get damaged(): boolean {
    const h = this.store.read(PASSPHRASE_KEY);
    return h !== undefined && !isPassphraseHash(h);
  }

  /** May settings change now? Yes before the first passphrase, and while unlocked. */
  get mayChange(): boolean {
    return !this.hasPassphrase || this.open;
  }

  get unlocked(): boolean {
    return this.open;
  }

  lock(): void {
    this.open = false;
  }

  unlock(passphrase: string): UnlockResult {
    if (!this.hasPassphrase) return "no-passphrase";
    if (this.now() < this.lockedOutUntil) {
      this.refusedUnlocks++;
      return "locked-out";
    }
    if (verifyPassphrase(passphrase, this.store.read(PASSPHRASE_KEY) as string)) {
      this.open = true;
      this.failuresInRow = 0;
      return "unlocked";
    }
    this.refusedUnlocks++;
    if (++this.failuresInRow >= MAX_FAILURES) {
      this.failuresInRow = 0;
      this.lockedOutUntil = this.now() + LOCKOUT_MS;
    }
    return "wrong";
  }

  /** Sets the first passphrase, or changes it while unlocked. */
  setPassphrase(passphrase: string): SetPassphraseResult {
    const had = this.hasPassphrase;
    if (had && !this.open) return "locked";
    const problem = passphraseProblem(passphrase);
    if (problem !== null) return { problem };
    if (!this.store.write(PASSPHRASE_KEY, hashPassphrase(passphrase, this.random))) return "storage-failed";
    this.open = false;
    return had ? "changed" : "set";
  }

  /** Milliseconds left of a lockout (0: none). */
  lockoutLeftMs(): number {
    return Math.max(0, this.lockedOutUntil - this.now());
  }
}
