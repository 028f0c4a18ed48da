// Engine-neutral tests of the benchmarks' step profiler (src/sim/step-profiler.ts), with a fake
// meter: each "work(n)" call adds n steps. Also run inside XS.
import { describe, expect, it } from "vitest";
import { StepProfiler } from "../../src/sim/step-profiler";

function meter() {
  let pending = 0;
  return {
    work(n: number): void {
      pending += n;
    },
    read(): number {
      const n = pending;
      pending = 0;
      return n;
    },
  };
}

describe("StepProfiler", () => {
  it("gives each section its own steps: a caller's exclude its wrapped callees'", () => {
    const m = meter();
    const p = new StepProfiler(() => m.read());
    const app = {
      swipe(): void {
        m.work(10);
        this.journal();
        this.journal();
        m.work(1);
      },
      journal(): void {
        m.work(100);
      },
    };
    p.wrap(app, "swipe", "swipe");
    p.wrap(app, "journal", "journal");
    app.swipe();
    app.swipe();
    expect(p.sections()).toEqual([
      { section: "journal", steps: 400, calls: 4 },
      { section: "swipe", steps: 22, calls: 2 },
    ]);
  });

  it("several methods may share a section; a throwing call is counted and its error goes on", () => {
    const m = meter();
    const p = new StepProfiler(() => m.read());
    const o = {
      a(): void {
        m.work(3);
      },
      b(): void {
        m.work(4);
        throw new Error("boom");
      },
    };
    p.wrap(o, "a", "mqtt");
    p.wrap(o, "b", "mqtt");
    o.a();
    expect(() => o.b()).toThrow("boom");
    expect(p.sections()).toEqual([{ section: "mqtt", steps: 7, calls: 2 }]);
    expect(() => p.wrap(o, "c", "x")).toThrow("step profiler: x: no method c");
  });

  it("takes out what its wrappers cost, as calibrated", () => {
    // A meter where every read itself costs 2 steps: each wrapped call reads twice.
    let pending = 0;
    const p = new StepProfiler(() => {
      const n = pending;
      pending = 2;
      return n;
    });
    p.calibrate();
    const o = {
      f(): void {
        pending += 50;
      },
    };
    p.wrap(o, "f", "f");
    for (let i = 0; i < 10; i++) o.f();
    expect(p.sections()).toEqual([{ section: "f", steps: 500, calls: 10 }]);
  });
});
