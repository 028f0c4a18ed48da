/**
 * Allocation-free string inspection for hot paths on XS.
 *
 * On XS, reading a property of a primitive string (`s.length`,
 * `s.charCodeAt(i)`) wraps the string in an object first: two heap slots of
 * garbage per access. Calling the prototype's function with the string as
 * `this` does not. Past the end, charCodeAt returns NaN, which also gives the
 * length without touching `.length`.
 */
export const charCodeAtFn = String.prototype.charCodeAt;

/** The UTF-16 code unit at `i`, or NaN past the end. Hot loops call
 *  `charCodeAtFn.call(s, i)` directly to save a call level. */
export function codeUnitAt(s: string, i: number): number {
  return charCodeAtFn.call(s, i);
}
