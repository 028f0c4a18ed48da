type AnyFunction = (...args: unknown[]) => unknown;

interface Frame {
  section: number;
  start: number;
  children: number;
  childSteps: number;
}

/**
 * Where XS steps go, by section: wraps methods of live objects so that each call's steps,
 * less those of the wrapped calls it makes, are added to its section's "self" total. For the
 * benchmarks only (bench:core's breakdown of the device app), never in the firmware.
 *
 * `readMeter` returns the engine's step counter (in xsnap: its `resetMeter`, which returns the
 * count and restarts it; the profiler keeps the running sum). A wrapper costs steps itself: the
 * profiler measures that on a wrapped no-op (`calibrate`) and takes it out of every section, so
 * the sections add up to the unwrapped run within a few steps a call.
 */
export class StepProfiler {
  private readonly names: string[] = [];
  private readonly self: number[] = [];
  private readonly calls: number[] = [];
  private readonly childCalls: number[] = [];
  private readonly stack: Frame[] = [];
  private total = 0;
  /** Steps a wrapped call adds to its own section, and to its caller's. */
  private perCall = 0;
  private perChild = 0;

  constructor(private readonly readMeter: () => number) {}

  /** The engine's step count so far. */
  now(): number {
    this.total += this.readMeter();
    return this.total;
  }

  /** Wraps `obj[method]` (own or inherited) so its calls count toward `section`. */
  wrap(obj: object, method: string, section: string): void {
    const o = obj as Record<string, unknown>;
    const original = o[method];
    if (typeof original !== "function") throw new TypeError(`step profiler: ${section}: no method ${method}`);
    let id = this.names.indexOf(section);
    if (id < 0) {
      id = this.names.length;
      this.names.push(section);
      this.self.push(0);
      this.calls.push(0);
      this.childCalls.push(0);
    }
    const p = this;
    const fn = original as AnyFunction;
    o[method] = function (this: unknown, ...args: unknown[]): unknown {
      const f: Frame = { section: id, start: p.now(), children: 0, childSteps: 0 };
      p.stack.push(f);
      try {
        return fn.apply(this, args);
      } finally {
        const steps = p.now() - f.start;
        p.stack.pop();
        p.self[id]! += steps - f.childSteps;
        p.calls[id]!++;
        p.childCalls[id]! += f.children;
        const parent = p.stack[p.stack.length - 1];
        if (parent !== undefined) {
          parent.childSteps += steps;
          parent.children++;
        }
      }
    };
  }

  /** Measures what a wrapper costs (a wrapped no-op called from a wrapped loop), to take it out. */
  calibrate(): void {
    const probe = {
      noop(): void {},
      loop(n: number): void {
        for (let i = 0; i < n; i++) this.noop();
      },
    };
    const n = 2_000;
    const t = this.now();
    probe.loop(n);
    const unwrapped = this.now() - t;
    const cal = new StepProfiler(this.readMeter);
    cal.wrap(probe, "noop", "noop");
    cal.wrap(probe, "loop", "loop");
    probe.loop(n);
    this.perCall = cal.self[0]! / n;
    this.perChild = (cal.self[1]! - unwrapped) / n;
    this.now();
  }

  /** Each section's steps (wrapper cost taken out) and calls, largest first. */
  sections(): { section: string; steps: number; calls: number }[] {
    const out = this.names.map((section, i) => ({
      section,
      steps: this.self[i]! - this.calls[i]! * this.perCall - this.childCalls[i]! * this.perChild,
      calls: this.calls[i]!,
    }));
    return out.sort((a, b) => b.steps - a.steps);
  }

  /** Steps a wrapper adds (for the record). */
  get overhead(): { perCall: number; perChild: number } {
    return { perCall: this.perCall, perChild: this.perChild };
  }
}
