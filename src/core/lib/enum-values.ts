/**
 * Helpers for the string "enums" of the core (frozen objects of name →
 * value, such as RejectReason): their values as a list, and a counter per
 * value, all present from the start.
 */
export function enumValues<T extends Record<string, string>>(e: T): readonly T[keyof T][] {
  return Object.freeze(Object.keys(e).map((k) => e[k as keyof T]));
}

export function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  const counts = {} as Record<K, number>;
  for (let i = 0; i < keys.length; i++) counts[keys[i]!] = 0;
  return counts;
}
