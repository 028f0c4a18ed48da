/** Polling helpers for the integration suites that drive real processes and sockets. */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once `cond()` holds, polling every 10 ms; rejects after `ms` with
 * "timed out after … waiting for <what()>" (what() is evaluated only then,
 * so it can describe the state at the timeout).
 */
export async function waitFor(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
    await sleep(10);
  }
}
