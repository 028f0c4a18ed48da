import type { Swipe } from "../model/swipe";

/**
 * The terminal's recent swipes: a fixed-capacity ring, struct of arrays,
 * preallocated at construction. Push is O(1) and never allocates; when full,
 * the oldest swipe is overwritten and counted.
 *
 * Positions are logical: 0 is the oldest swipe held, size - 1 the newest.
 * Each swipe keeps its request sequence number so that the id a retry
 * carries is the one assigned at acceptance.
 */
export class SwipeRing {
  readonly capacity: number;
  private head = 0; // physical index of the oldest entry
  private count = 0;
  /** Swipes pushed out by newer ones since construction. */
  overwritten = 0;
  /** Swipes ever pushed. */
  pushed = 0;

  private readonly eventTime: Float64Array;
  private readonly procTime: Float64Array;
  private readonly amount: Float64Array;
  private readonly lat: Float64Array;
  private readonly lon: Float64Array;
  private readonly requestSeq: Float64Array;
  private readonly txId: string[];
  private readonly cardHash: string[];
  private readonly terminalId: string[];
  private readonly merchantId: string[];
  private readonly currency: string[];

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.eventTime = new Float64Array(capacity);
    this.procTime = new Float64Array(capacity);
    this.amount = new Float64Array(capacity);
    this.lat = new Float64Array(capacity);
    this.lon = new Float64Array(capacity);
    this.requestSeq = new Float64Array(capacity);
    // Stryker disable ArrayDeclaration,StringLiteral: placeholders: a slot is written before it is read (slotOf refuses the others)
    this.txId = new Array<string>(capacity).fill("");
    this.cardHash = new Array<string>(capacity).fill("");
    this.terminalId = new Array<string>(capacity).fill("");
    this.merchantId = new Array<string>(capacity).fill("");
    this.currency = new Array<string>(capacity).fill("");
    // Stryker restore ArrayDeclaration,StringLiteral
  }

  get size(): number {
    return this.count;
  }

  /** Appends a swipe; returns its logical position (always size - 1). */
  push(s: Swipe, requestSeq: number): number {
    let slot: number;
    if (this.count < this.capacity) {
      // Not full: nothing was overwritten since the last clear, so the oldest is at slot 0.
      slot = this.count;
      this.count++;
    } else {
      slot = this.head;
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
      this.overwritten++;
    }
    this.eventTime[slot] = s.timestamp;
    this.procTime[slot] = s.terminal_time;
    this.amount[slot] = s.amount_cents;
    this.lat[slot] = s.lat;
    this.lon[slot] = s.lon;
    this.requestSeq[slot] = requestSeq;
    this.txId[slot] = s.transaction_id;
    this.cardHash[slot] = s.card_hash;
    this.terminalId[slot] = s.terminal_id;
    this.merchantId[slot] = s.merchant_id;
    this.currency[slot] = s.currency;
    this.pushed++;
    return this.count - 1;
  }

  private slotOf(pos: number): number {
    if (!(pos >= 0 && pos < this.count)) throw new RangeError(`ring position ${pos} outside 0..${this.count - 1}`);
    const slot = this.head + pos;
    return slot >= this.capacity ? slot - this.capacity : slot;
  }

  /** Copies the swipe at logical position `pos` into `out`; returns its request sequence number. */
  read(pos: number, out: Swipe): number {
    const slot = this.slotOf(pos);
    out.timestamp = this.eventTime[slot];
    out.terminal_time = this.procTime[slot];
    out.amount_cents = this.amount[slot];
    out.lat = this.lat[slot];
    out.lon = this.lon[slot];
    out.transaction_id = this.txId[slot];
    out.card_hash = this.cardHash[slot];
    out.terminal_id = this.terminalId[slot];
    out.merchant_id = this.merchantId[slot];
    out.currency = this.currency[slot];
    return this.requestSeq[slot];
  }

  eventTimeAt(pos: number): number {
    return this.eventTime[this.slotOf(pos)];
  }

  txIdAt(pos: number): string {
    return this.txId[this.slotOf(pos)];
  }

  /** The swipe's value of a window key field (card_hash, merchant_id or terminal_id). */
  keyAt(pos: number, field: "card_hash" | "merchant_id" | "terminal_id"): string {
    const slot = this.slotOf(pos);
    return field === "card_hash" ? this.cardHash[slot] : field === "merchant_id" ? this.merchantId[slot] : this.terminalId[slot];
  }

  amountAt(pos: number): number {
    return this.amount[this.slotOf(pos)];
  }

  requestSeqAt(pos: number): number {
    return this.requestSeq[this.slotOf(pos)];
  }

  /**
   * Visits positions oldest to newest, or newest to oldest; stops early when
   * `visit` returns false. No allocation.
   */
  forEach(visit: (pos: number) => boolean | void, newestFirst = false): void {
    if (newestFirst) {
      for (let pos = this.count - 1; pos >= 0; pos--) if (visit(pos) === false) return;
    } else {
      for (let pos = 0; pos < this.count; pos++) if (visit(pos) === false) return;
    }
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}
