import Net from "net";
import type { ResolverPort } from "../core/clock/clock-ports";
import type { Faults } from "./faults";

/** A dotted IPv4 literal; made at first use (not at load: on XS a module's load-time RegExp is in flash, where matching it crashes; preload-rules.test.ts). */
let dottedIpv4: RegExp | undefined;

export function isDottedIPv4(name: string): boolean {
  if (dottedIpv4 === undefined) dottedIpv4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
  return dottedIpv4.test(name);
}

/**
 * Name resolution through the legacy `net` module's `Net.resolve(name, cb)`
 * (lwIP's DNS on the ESP32, GResolver on lin): the callback gets
 * `(name, address)` with `address` undefined when the name did not resolve.
 * On the ESP32, lwIP's DNS table is small and `resolve` throws when it is
 * full or there is no network: that answers null (counted, expected while
 * Wi-Fi is down). A dotted IPv4 literal answers itself at once, without a
 * lookup. `done` is called exactly once.
 */
export class NetResolver implements ResolverPort {
  lookups = 0;
  failed = 0;
  threw = 0;
  lastError = "";

  constructor(private readonly faults: Faults) {}

  resolve(name: string, done: (address: string | null) => void): void {
    if (isDottedIPv4(name)) {
      done(name);
      return;
    }
    this.lookups++;
    let answered = false;
    const answer = (address: string | null) => {
      if (answered) return;
      answered = true;
      if (address === null) this.failed++;
      done(address);
    };
    try {
      Net.resolve(name, (_n: string, address?: string) => {
        this.faults.guard("net.resolve", () => answer(typeof address === "string" && isDottedIPv4(address) ? address : null));
      });
    } catch (e) {
      this.threw++;
      this.lastError = String(e);
      answer(null);
    }
  }
}
