/** What `fn` throws, or undefined when it returns: for tables of inputs that must each be refused. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}
