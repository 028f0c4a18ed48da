// Engine-neutral tests of the app's event clock over the disciplined clock
// (src/core/app/disciplined-event-clock.ts): states, back-dating, telemetry,
// and the client it drives. Also bundled and run inside XS.
import { describe, expect, it } from "vitest";
import { DisciplinedEventClock } from "../../src/core/app/disciplined-event-clock";
import { createTimeReading } from "../../src/core/app/event-clock";
import { DisciplinedClock } from "../../src/core/clock/discipline/disciplined-clock";
import type { SntpClient } from "../../src/core/clock/sntp/sntp-client";

const BOOT_UTC = 1772323200000;

class FakeMono {
  t = 1000;
  nowMs(): number {
    return this.t;
  }
}

/** A boot burst: 4 rounds of samples from 3 servers, 2 s apart, at the true offset; symmetric paths. */
function sync(clock: DisciplinedClock, mono: FakeMono): void {
  for (let i = 0; i < 4; i++) {
    for (let s = 0; s < 3; s++) clock.addSample({ monoMs: mono.t, offsetMs: BOOT_UTC, delayMs: 8 + 2 * s, rootDistanceMs: 0, server: s });
    mono.t += 2000;
  }
  clock.burstComplete();
}

describe("DisciplinedEventClock", () => {
  it("is unsynced with no UTC for back-dating until the clock syncs, then reads the disciplined time", () => {
    const mono = new FakeMono();
    const clock = new DisciplinedClock(mono);
    const ev = new DisciplinedEventClock(clock, null, mono);
    const r = createTimeReading();
    expect(ev.read(r).state).toBe("unsynced");
    expect(ev.utcAt(1000)).toBeNaN();
    expect(ev.monotonicMs()).toBe(1000);
    const swipedAt = ev.monotonicMs();
    sync(clock, mono);
    ev.read(r);
    expect(r.state).toBe("synced");
    expect(Math.abs(r.utcMs - (BOOT_UTC + mono.t))).toBeLessThan(1);
    expect(r.errorBoundMs).toBeGreaterThan(0);
    expect(r.errorBoundMs).toBeLessThan(50);
    // A swipe taken before the sync is dated from its monotonic time.
    expect(Math.abs(ev.utcAt(swipedAt) - (BOOT_UTC + swipedAt))).toBeLessThan(1);
    const t = ev.telemetry();
    expect(t.state).toBe("synced");
    expect(Number.isFinite(t.frequencyPpm)).toBe(true);
    expect(t.errorBoundMs).toBeGreaterThan(0);
  });

  it("readings never go backwards", () => {
    const mono = new FakeMono();
    const clock = new DisciplinedClock(mono);
    const ev = new DisciplinedEventClock(clock, null, mono);
    sync(clock, mono);
    const r = createTimeReading();
    let last = -Infinity;
    for (let i = 0; i < 200; i++) {
      mono.t += i % 3; // sometimes the monotonic clock does not move between reads
      const u = ev.read(r).utcMs;
      expect(u).toBeGreaterThan(last);
      last = u;
    }
  });

  it("drives and stops the SNTP client it was given", () => {
    const mono = new FakeMono();
    const calls: string[] = [];
    const client = { tick: () => calls.push("tick"), stop: () => calls.push("stop") } as unknown as SntpClient;
    const ev = new DisciplinedEventClock(new DisciplinedClock(mono), client, mono);
    ev.tick();
    ev.tick();
    ev.stop();
    expect(calls).toEqual(["tick", "tick", "stop"]);
    // Without a client (no NTP server configured) ticking and stopping do nothing, and do not throw.
    const alone = new DisciplinedEventClock(new DisciplinedClock(mono), null, mono);
    alone.tick();
    alone.stop();
    expect(alone.read(createTimeReading()).state).toBe("unsynced");
    expect(createTimeReading()).toEqual({ utcMs: Number.NaN, errorBoundMs: 0, state: "unsynced" });
  });
});
