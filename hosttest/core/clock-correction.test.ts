// The correction the disciplined clock applies (src/core/clock/discipline/clock-correction.ts),
// value by value: a line at the estimated frequency through the anchor, plus a slew that runs at
// its rate until the whole correction is in, in either direction, and nothing before the anchor.
// Also bundled and run inside XS.
import { describe, expect, it } from "vitest";
import { ClockCorrection } from "../../src/core/clock/discipline/clock-correction";

describe("ClockCorrection, value by value", () => {
  /** Anchored at mono 1 000 at offset 50, frequency 10 ppm, slewing `by` ms at 1 000 ppm. */
  function slewing(by: number): ClockCorrection {
    const c = new ClockCorrection(1e-3);
    c.step(0, 50 - 1e-5 * 1000, 1e-5);
    c.slewTo(1000, 50 + by, 1e-5);
    return c;
  }

  it("slews a positive correction in at its rate, then runs on the line", () => {
    const c = slewing(10);
    expect([c.anchorMonoMs, c.slewTotalMs]).toEqual([1000, 10]);
    expect(c.anchorOffsetMs).toBeCloseTo(50, 12);
    const at = (m: number) => [c.offsetAt(m), c.slewRemainingAt(m)];
    const close = (got: number[], want: number[]) => got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 9));
    close(at(500), [50 - 0.005, 10]); // before the anchor: the line, nothing slewed yet
    close(at(1000), [50, 10]);
    close(at(6000), [50 + 0.05 + 5, 5]); // 5 000 ms at 1 000 ppm: 5 ms in
    close(at(11_000), [50 + 0.1 + 10, 0]); // all of it
    close(at(21_000), [50 + 0.2 + 10, 0]); // and no more
  });

  it("slews a negative correction the same way down", () => {
    const c = slewing(-10);
    const close = (got: number, want: number) => expect(got).toBeCloseTo(want, 9);
    close(c.offsetAt(500), 50 - 0.005);
    close(c.slewRemainingAt(500), -10);
    close(c.offsetAt(6000), 50 + 0.05 - 5);
    close(c.slewRemainingAt(6000), -5);
    close(c.offsetAt(21_000), 50 + 0.2 - 10);
    close(c.slewRemainingAt(21_000), 0);
  });

  it("a step drops any slew; with none, the correction is the line", () => {
    const c = slewing(10);
    c.step(2000, 7, 0);
    expect([c.offsetAt(1000), c.offsetAt(9000), c.slewRemainingAt(9000)]).toEqual([7, 7, 0]);
  });
});
