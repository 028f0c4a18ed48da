// Majority selection of servers (src/core/clock/discipline/server-selection.ts) on windows small
// enough to check by hand: each server's interval is its tightest sample's offset ± (delay/2 +
// root distance + noise + 3σ·age), moved along the prior frequency; intervals that only touch
// still agree. Also bundled and run inside XS.
import { describe, expect, it } from "vitest";
import { ClockSampleWindow } from "../../src/core/clock/discipline/clock-sample-window";
import { createSelectionScratch, selectTruechimers } from "../../src/core/clock/discipline/server-selection";

/** [mono, offset, delay, server], root distance 1 ms each. */
function select(samples: [number, number, number, number][], atMono = 3000, prior = { freq: 0, sigma: 0 }): number {
  const w = new ClockSampleWindow(16);
  for (const [monoMs, offsetMs, delayMs, server] of samples) w.push({ monoMs, offsetMs, delayMs, rootDistanceMs: 1, server });
  return selectTruechimers(w, atMono, prior, 0.5, createSelectionScratch());
}

const FAR: [number, number, number, number] = [3000, 1000, 4, 2]; // a third server nobody agrees with

describe("selectTruechimers, by hand", () => {
  it("two of three agree when their intervals share a point, touching included; a hair apart they do not", () => {
    // Half-widths 4/2 + 1 + 0.5 = 3.5: intervals around 0 and 7 touch at 3.5.
    expect(select([[3000, 0, 4, 0], [3000, 7, 4, 1], FAR])).toBe(0b011);
    expect(select([[3000, 0, 4, 0], [3000, 7.001, 4, 1], FAR])).toBe(0);
    expect(select([[3000, 0, 4, 0], [3000, -7, 4, 1], FAR])).toBe(0b011);
    expect(select([[3000, 0, 4, 0], [3000, -7.001, 4, 1], FAR])).toBe(0);
  });

  it("an older sample is moved along the prior frequency and widened by 3σ per ms of its age, either side of atMono", () => {
    // Prior 1e-3 (2 ms over 2 000 ms), 3σ·2000 = 1 ms: server 1's interval is [Y − 2.5, Y + 6.5] (older)...
    const prior = { freq: 1e-3, sigma: 1 / 6000 };
    expect(select([[3000, 0, 4, 0], [1000, -10, 4, 1], FAR], 3000, prior)).toBe(0b011);
    expect(select([[3000, 0, 4, 0], [1000, -10.001, 4, 1], FAR], 3000, prior)).toBe(0);
    expect(select([[3000, 0, 4, 0], [1000, 6, 4, 1], FAR], 3000, prior)).toBe(0b011);
    expect(select([[3000, 0, 4, 0], [1000, 6.001, 4, 1], FAR], 3000, prior)).toBe(0);
    // ... and [Y − 6.5, Y + 2.5] when the sample is 2 000 ms after atMono.
    expect(select([[3000, 0, 4, 0], [5000, 10, 4, 1], FAR], 3000, prior)).toBe(0b011);
    expect(select([[3000, 0, 4, 0], [5000, 10.001, 4, 1], FAR], 3000, prior)).toBe(0);
  });

  it("each server counts with its tightest sample, whichever order they came in", () => {
    const wide: [number, number, number, number] = [3000, 0, 400, 1]; // ± 201.5: agrees with anything near
    const tight: [number, number, number, number] = [3000, 20, 4, 1]; // ± 3.5 around 20: not with server 0
    expect(select([[3000, 0, 4, 0], wide, tight, FAR])).toBe(0);
    expect(select([[3000, 0, 4, 0], tight, wide, FAR])).toBe(0);
    expect(select([[3000, 0, 4, 0], wide, FAR])).toBe(0b011);
  });

  it("only a strict majority of the servers heard is chosen; an empty window chooses none", () => {
    expect(select([])).toBe(0);
    expect(select([[3000, 0, 4, 0]])).toBe(0b1);
    expect(select([[3000, 0, 4, 0], [3000, 1, 4, 1]])).toBe(0b11);
    expect(select([[3000, 0, 4, 0], [3000, 100, 4, 1]])).toBe(0); // two that disagree: nobody can tell
    expect(select([[3000, 0, 4, 0], [3000, 1, 4, 1], [3000, 500, 4, 2], [3000, 900, 4, 3]])).toBe(0); // 2 of 4
    expect(select([[3000, 0, 4, 0], [3000, 1, 4, 1], [3000, 2, 4, 3], [3000, 900, 4, 2]])).toBe(0b1011); // 3 of 4
    expect(select([[3000, 0, 4, 30], [3000, 1, 4, 29], FAR])).toBe((1 << 30) | (1 << 29)); // the highest server numbers count too
  });
});
