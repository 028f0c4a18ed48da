/** An ISO-8601 timestamp with Z or an offset, to the millisecond at most; made at first use (not at load: on XS a module's load-time RegExp is in flash, where matching it crashes; preload-rules.test.ts). */
let iso8601: RegExp | undefined;

/** Earliest and latest plausible times: 2000-01-01 and 2100-01-01. */
export const MIN_PLAUSIBLE_TIME_MS = 946684800000;
export const MAX_PLAUSIBLE_TIME_MS = 4102444800000;

/**
 * Whole epoch milliseconds of an event or processing time, which arrives either as epoch
 * milliseconds or as an ISO-8601 UTC/offset timestamp ("2026-01-10T14:23:45.123Z"). Anything
 * else, local-time strings included (their meaning depends on the engine), is NaN. Fractions of
 * a millisecond are dropped: window arithmetic is in whole ms.
 */
export function epochMsOf(value: unknown): number {
  if (typeof value === "number") return Number.isFinite(value) ? Math.floor(value) : NaN;
  if (typeof value !== "string") return NaN;
  // Stryker disable next-line ConditionalExpression: the RegExp is made on first use (at load XS would keep it in flash: preload-rules.test.ts); making it again at each call answers the same
  if (iso8601 === undefined) iso8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2})$/;
  if (!iso8601.test(value)) return NaN;
  return Date.parse(value);
}
