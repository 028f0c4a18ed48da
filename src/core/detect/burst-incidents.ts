import { hashString } from "../lib/string-hash";
import { StringSlotIndex } from "../lib/string-slot-index";
import { slotArray, type SlotArray } from "../lib/slot-array";

/**
 * One card-testing attack is one incident, however many sliding windows hold it. A card's
 * incident opens with its first window that meets the rule (that window's alert goes out) and
 * takes in every later hit window that overlaps the previous one (counted, no new alert). It
 * closes when a window of the card fires without meeting the rule, or when a hit window no longer
 * overlaps the last one (the card went quiet in between): the next hit opens a new incident.
 * A window fired again by late data (an update) that overlaps a closed incident belongs to it
 * too: late swipes do not turn one attack into two.
 *
 * Bounded and preallocated: at most `capacity` cards remembered (a StringSlotIndex and typed
 * arrays, nothing allocated per window); a new one beyond that forgets the card seen least
 * recently (counted in `evicted`; if its attack goes on, its next hit alerts again).
 */
export class BurstIncidents {
  /** Card → slot; per slot the end of its latest hit window, whether its incident is open, and when it was last seen. */
  private readonly index: StringSlotIndex;
  private readonly end: Float64Array;
  private readonly isOpen: Uint8Array;
  private readonly lastSeen: Float64Array;
  /** The slots of open incidents, first `openCount` entries: a miss (most windows) scans these few instead of hashing its key. */
  private readonly openSlots: SlotArray;
  private openCount = 0;
  private used = 0;
  private stamp = 0;
  /** Incidents opened (one alert each). */
  opened = 0;
  /** Hit windows folded into an incident (no alert). */
  repeatWindows = 0;
  /** Incidents closed by a window without the condition, or by a quiet gap. */
  closed = 0;
  /** Cards forgotten for room. */
  evicted = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`burst incident capacity must be a positive integer, got ${capacity}`);
    this.index = new StringSlotIndex(capacity);
    this.end = new Float64Array(capacity);
    this.isOpen = new Uint8Array(capacity);
    this.lastSeen = new Float64Array(capacity);
    this.openSlots = slotArray(capacity, capacity);
  }

  /** Open incidents. */
  get size(): number {
    return this.openCount;
  }

  /**
   * A hit window [start, end) of `key` (`update`: fired again by late data): true when it
   * opens an incident (alert), false when it belongs to one.
   */
  hit(key: string, start: number, end: number, update = false): boolean {
    const hash = hashString(key);
    let slot = this.index.find(key, hash);
    if (slot >= 0) {
      this.lastSeen[slot] = ++this.stamp;
      if (start < this.end[slot] && (this.isOpen[slot] === 1 || update)) {
        this.repeatWindows++;
        if (end > this.end[slot]) this.end[slot] = end;
        return false;
      }
      // The card went quiet for a whole window (or its incident closed): this is a new one.
      if (this.isOpen[slot] === 1) {
        this.closed++;
        this.setOpen(slot, false);
      }
    } else {
      slot = this.take();
      this.index.insert(key, hash, slot);
      this.lastSeen[slot] = ++this.stamp;
    }
    this.end[slot] = end;
    this.setOpen(slot, true);
    this.opened++;
    return true;
  }

  /** Whether `key` has an open incident (a scan of the few open ones, as miss does). */
  isOpenFor(key: string): boolean {
    const keys = this.index.keys;
    for (let i = 0; i < this.openCount; i++) if (keys[this.openSlots[i]!] === key) return true;
    return false;
  }

  /** A window of `key` fired without meeting the rule: its incident, if open, is over. */
  miss(key: string): void {
    const keys = this.index.keys;
    for (let i = 0; i < this.openCount; i++) {
      const slot = this.openSlots[i];
      if (keys[slot] === key) {
        this.setOpen(slot, false);
        this.closed++;
        return;
      }
    }
  }

  private setOpen(slot: number, open: boolean): void {
    if ((this.isOpen[slot] === 1) === open) return;
    this.isOpen[slot] = open ? 1 : 0;
    if (open) {
      this.openSlots[this.openCount++] = slot;
      return;
    }
    for (let i = 0; i < this.openCount; i++) {
      if (this.openSlots[i] === slot) {
        this.openSlots[i] = this.openSlots[--this.openCount];
        return;
      }
    }
  }

  /** A free slot, or the least recently seen card's (forgotten). */
  private take(): number {
    if (this.used < this.capacity) return this.used++;
    let oldest = 0;
    for (let i = 1; i < this.capacity; i++) if (this.lastSeen[i] < this.lastSeen[oldest]) oldest = i;
    this.setOpen(oldest, false);
    this.index.remove(oldest);
    this.evicted++;
    return oldest;
  }
}
