/**
 * The known name a mistyped one most likely meant: the same in another case, else one edit away
 * (a character changed, added or removed, ignoring case). For "did you mean" in error messages.
 */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  for (const k of known) if (k.toLowerCase() === lower) return k;
  for (const k of known) if (oneEditApart(k.toLowerCase(), lower)) return k;
  return undefined;
}

function oneEditApart(a: string, b: string): boolean {
  // Stryker disable next-line ConditionalExpression: a shortcut: with lengths 2 apart the slices compared below differ in length
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  // Stryker disable next-line EqualityOperator,LogicalOperator: past either end a[i] or b[i] is undefined, never equal to a character
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) return a.slice(i + 1) === b.slice(i + 1);
  // Stryker disable next-line EqualityOperator: equal lengths returned above: > and >= agree here
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}
