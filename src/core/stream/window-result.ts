/** What a window (or a slice) holds of its elements' amounts. */
export interface WindowAggregate {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Elements below the definition's small-amount threshold. */
  small: number;
}

/** One firing of one keyed window, with its aggregate. */
export interface WindowResult extends WindowAggregate {
  /** Name of the window definition ("burst", "velocity", ...). */
  window: string;
  /** Its index among its operator's window queries (a listener's lookup without the name). */
  query: number;
  /** Which swipe field keys it ("card_hash", "merchant_id", "terminal_id"). */
  keyField: string;
  key: string;
  start: number;
  end: number;
  /** A late element changed a window that had already fired. */
  update: boolean;
  /** Fired early because its key was evicted or expired (LRU or TTL). */
  evicted: boolean;
}

export function createWindowResult(window: string, keyField: string, query = 0): WindowResult {
  // Stryker disable next-line StringLiteral,BooleanLiteral: placeholders: the operator writes every field before it emits the result
  return { window, query, keyField, key: "", start: 0, end: 0, count: 0, sum: 0, min: 0, max: 0, small: 0, update: false, evicted: false };
}

export type WindowListener = (r: WindowResult) => void;
