/**
 * One card-testing attack is one incident, however many sliding windows hold it. A card's
 * incident opens with its first window that meets the rule (that window's alert goes out) and
 * takes in every later hit window that overlaps the previous one (counted, no new alert). It
 * closes when a window of the card fires without meeting the rule, or when a hit window no longer
 * overlaps the last one (the card went quiet in between): the next hit opens a new incident.
 * A window fired again by late data (an update) that overlaps a closed incident belongs to it
 * too: late swipes do not turn one attack into two.
 *
 * Bounded: at most `capacity` cards remembered; a new one beyond that forgets the card seen
 * least recently (counted in `evicted`; if its attack goes on, its next hit alerts again).
 */
interface Incident {
  /** End of its latest hit window. */
  end: number;
  open: boolean;
}

export class BurstIncidents {
  private readonly cards = new Map<string, Incident>();
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
  }

  /** Open incidents. */
  get size(): number {
    let n = 0;
    for (const i of this.cards.values()) if (i.open) n++;
    return n;
  }

  /**
   * A hit window [start, end) of `key` (`update`: fired again by late data): true when it
   * opens an incident (alert), false when it belongs to one.
   */
  hit(key: string, start: number, end: number, update = false): boolean {
    const known = this.cards.get(key);
    if (known !== undefined && start < known.end && (known.open || update)) {
      this.repeatWindows++;
      if (end > known.end) known.end = end;
      this.cards.delete(key);
      this.cards.set(key, known);
      return false;
    }
    if (known !== undefined) {
      // The card went quiet for a whole window: that incident is over, this is a new one.
      if (known.open) this.closed++;
      this.cards.delete(key);
    } else if (this.cards.size >= this.capacity) {
      for (const oldest of this.cards.keys()) {
        this.cards.delete(oldest);
        this.evicted++;
        break;
      }
    }
    this.cards.set(key, { end, open: true });
    this.opened++;
    return true;
  }

  /** A window of `key` fired without meeting the rule: its incident, if open, is over. */
  miss(key: string): void {
    const known = this.cards.get(key);
    if (known !== undefined && known.open) {
      known.open = false;
      this.closed++;
    }
  }
}
