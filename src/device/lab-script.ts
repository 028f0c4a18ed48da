/**
 * The lin lab's swipe script: a swipe from the regular customers' cards every SCRIPT_SWIPE_MS, a
 * card-test burst at SCRIPT_BURST_AT_MS and a big ticket at SCRIPT_BIG_TICKET_AT_MS, for a
 * number of seconds (the build's `scriptSeconds`).
 *
 * Its pace and card pool are sized to the device's keyed state (core/settings/device-config.ts:
 * 32 card keys, 128 slices of 15 s kept 7 minutes): 16 regular customers at one swipe every 4 s
 * keep at most 16 keys and 420 s / 4 s = 105 slices live, so no card's open window is evicted
 * and fired early.
 */
import Timer from "timer";
import type { TerminalCounters } from "../core/app/terminal-app";
import type { Faults } from "./faults";

export const SCRIPT_SWIPE_MS = 4_000;
export const SCRIPT_CARD_POOL = 16;
export const SCRIPT_BURST_AT_MS = 5_000;
export const SCRIPT_BIG_TICKET_AT_MS = 20_000;

/** What the script drives: the terminal's three kinds of swipe, its clock and counters. */
export interface ScriptedTerminal {
  normalSwipe(source: string): void;
  cardTest(source: string): void;
  bigTicket(source: string): void;
  nowMs(): number;
  readonly counters: TerminalCounters;
  readonly faults: Faults;
}

export function runLabScript(term: ScriptedTerminal, seconds: number): void {
  const start = term.nowMs();
  let burstDone = false;
  let bigDone = false;
  trace(`paycard: swipe script for ${seconds} s: a swipe every ${SCRIPT_SWIPE_MS} ms from ${SCRIPT_CARD_POOL} customers' cards, card test at ${SCRIPT_BURST_AT_MS / 1000} s, big ticket at ${SCRIPT_BIG_TICKET_AT_MS / 1000} s\n`);
  const timer = Timer.repeat(() => {
    term.faults.guard("script", () => {
      const at = term.nowMs() - start;
      if (at >= seconds * 1000) {
        Timer.clear(timer);
        const c = term.counters;
        trace(`paycard: script done: swipes=${c.swipes} accepted=${c.accepted} declined=${c.declinedBackpressure + c.declinedClockUnsynced + c.declinedStorage} rejected=${c.rejected}\n`);
        return;
      }
      if (!burstDone && at >= SCRIPT_BURST_AT_MS) {
        burstDone = true;
        term.cardTest("script");
      }
      if (!bigDone && at >= SCRIPT_BIG_TICKET_AT_MS) {
        bigDone = true;
        term.bigTicket("script");
        return;
      }
      // Each scripted purchase on a new card: at 2.5 swipes/s a small pool would
      // put more than 10 swipes on one card within 2 minutes, which IS a burst.
      term.normalSwipe("script");
    });
  }, SCRIPT_SWIPE_MS);
}
