/**
 * The part of vitest's API that engine-neutral suites (hosttest/core) use,
 * reimplemented in plain ECMAScript so the same suites run inside the XS
 * engine. esbuild aliases "vitest" to this file when bundling for XS.
 * Keep it in step with what those suites import from "vitest".
 */

type TestFn = () => void;
interface TestCase { name: string; fn: TestFn }
interface TestResult { name: string; ok: boolean; error?: string; ms: number }

const tests: TestCase[] = [];
const prefix: string[] = [];

export function describe(name: string, fn: () => void): void {
  prefix.push(name);
  try {
    fn();
  } finally {
    prefix.pop();
  }
}

export function it(name: string, fn: TestFn, _timeout?: number): void {
  tests.push({ name: [...prefix, name].join(" > "), fn });
}
export const test = it;

class AssertionError extends Error {}

function show(v: unknown): string {
  try {
    if (typeof v === "string") return JSON.stringify(v);
    if (typeof v === "number" || typeof v === "boolean" || v === undefined || v === null) return String(v);
    if (typeof v === "function") return "[function]";
    return JSON.stringify(v, (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? String(x) : x))?.slice(0, 400) ?? String(v);
  } catch {
    return String(v);
  }
}

function isPlainish(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

/** vitest's toEqual: recursive, ignores properties that are undefined. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a === "number" && typeof b === "number") return a === b; // 0 and -0
  if (!isPlainish(a) || !isPlainish(b)) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) return false;
    const x = a as unknown as ArrayLike<number>;
    const y = b as unknown as ArrayLike<number>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i]) && x[i] !== y[i]) return false;
    return true;
  }
  if (a instanceof Error || b instanceof Error) {
    // As vitest: errors are equal when their class and message are (their own keys are not enough: none).
    return a instanceof Error && b instanceof Error && a.constructor === b.constructor && a.message === b.message;
  }
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map) || !(b instanceof Map) || a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !deepEqual(v, b.get(k))) return false;
    return true;
  }
  if (a instanceof Set || b instanceof Set) {
    if (!(a instanceof Set) || !(b instanceof Set) || a.size !== b.size) return false;
    for (const v of a) if (!b.has(v)) return false;
    return true;
  }
  if (Array.isArray(a)) {
    const bb = b as unknown as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i])) return false;
    return true;
  }
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!Object.prototype.hasOwnProperty.call(b, k) || !deepEqual(a[k], b[k])) return false;
  return true;
}

/** vitest's toMatchObject: every property of `subset` equals (deeply) the same property of `a`; `a` may hold more. */
export function matchesObject(a: unknown, subset: unknown): boolean {
  if (!isPlainish(a) || !isPlainish(subset) || Array.isArray(subset)) return deepEqual(a, subset);
  for (const k of Object.keys(subset)) {
    if (!Object.prototype.hasOwnProperty.call(a, k) || !matchesObject(a[k], subset[k])) return false;
  }
  return true;
}

type Matchers = {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toMatchObject(subset: Record<string, unknown>): void;
  toStrictEqual(expected: unknown): void;
  toBeGreaterThan(n: number): void;
  toBeGreaterThanOrEqual(n: number): void;
  toBeLessThan(n: number): void;
  toBeLessThanOrEqual(n: number): void;
  toBeCloseTo(n: number, digits?: number): void;
  toContain(item: unknown): void;
  toHaveLength(n: number): void;
  toMatch(pattern: string | RegExp): void;
  toBeTruthy(): void;
  toBeFalsy(): void;
  toBeNull(): void;
  toBeUndefined(): void;
  toBeDefined(): void;
  toBeNaN(): void;
  toThrow(expected?: string | RegExp): void;
};

function matchers(actual: unknown, negate: boolean): Matchers {
  const check = (pass: boolean, what: string) => {
    if (pass === negate) throw new AssertionError(`expected ${show(actual)} ${negate ? "not " : ""}${what}`);
  };
  return {
    toBe: (e) => check(Object.is(actual, e), `to be ${show(e)}`),
    toEqual: (e) => check(deepEqual(actual, e), `to equal ${show(e)}`),
    toMatchObject: (e) => check(matchesObject(actual, e), `to match object ${show(e)}`),
    toStrictEqual: (e) => check(deepEqual(actual, e), `to strictly equal ${show(e)}`),
    toBeGreaterThan: (n) => check((actual as number) > n, `to be > ${n}`),
    toBeGreaterThanOrEqual: (n) => check((actual as number) >= n, `to be >= ${n}`),
    toBeLessThan: (n) => check((actual as number) < n, `to be < ${n}`),
    toBeLessThanOrEqual: (n) => check((actual as number) <= n, `to be <= ${n}`),
    toBeCloseTo: (n, digits = 2) => check(Math.abs((actual as number) - n) < Math.pow(10, -digits) / 2, `to be close to ${n}`),
    toContain: (item) => {
      const has = typeof actual === "string" ? actual.includes(item as string) : Array.from(actual as Iterable<unknown>).includes(item);
      check(has, `to contain ${show(item)}`);
    },
    toHaveLength: (n) => check((actual as { length: number }).length === n, `to have length ${n}`),
    toMatch: (p) => check(typeof actual === "string" && (typeof p === "string" ? actual.includes(p) : p.test(actual)), `to match ${String(p)}`),
    toBeTruthy: () => check(!!actual, "to be truthy"),
    toBeFalsy: () => check(!actual, "to be falsy"),
    toBeNull: () => check(actual === null, "to be null"),
    toBeUndefined: () => check(actual === undefined, "to be undefined"),
    toBeDefined: () => check(actual !== undefined, "to be defined"),
    toBeNaN: () => check(typeof actual === "number" && actual !== actual, "to be NaN"),
    toThrow: (expected) => {
      let threw = false;
      let message = "";
      try {
        (actual as () => unknown)();
      } catch (e) {
        threw = true;
        message = e instanceof Error ? e.message : String(e);
      }
      let pass = threw;
      if (threw && expected !== undefined) pass = typeof expected === "string" ? message.includes(expected) : expected.test(message);
      if (pass === negate) {
        throw new AssertionError(`expected function ${negate ? "not " : ""}to throw${expected === undefined ? "" : " " + String(expected)}${threw ? `, it threw "${message}"` : ""}`);
      }
    },
  };
}

export function expect(actual: unknown): Matchers & { not: Matchers } {
  const m = matchers(actual, false) as Matchers & { not: Matchers };
  m.not = matchers(actual, true);
  return m;
}

/** Runs every registered test; used by the XS harness. */
export function runRegisteredTests(now: () => number): TestResult[] {
  const results: TestResult[] = [];
  for (const t of tests) {
    const t0 = now();
    try {
      t.fn();
      results.push({ name: t.name, ok: true, ms: now() - t0 });
    } catch (e) {
      const msg = e instanceof Error ? `${e.name}: ${e.message}${e.stack ? "\n" + e.stack : ""}` : String(e);
      results.push({ name: t.name, ok: false, error: msg, ms: now() - t0 });
    }
  }
  return results;
}

(globalThis as Record<string, unknown>).__paycardRunTests = runRegisteredTests;
