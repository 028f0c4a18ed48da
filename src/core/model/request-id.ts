import type { BootCounterPort, RandomPort } from "../lib/ports";

/**
 * Request ids: `<terminal>-<boot>-<seq>` with boot and seq in base 36.
 * Unique per terminal across reboots because the boot counter is persisted
 * and incremented at every start. When storage fails, the boot part is a
 * random 32-bit value prefixed "r" (collision chance 2^-32 per failed boot)
 * and the failure is visible in the id itself.
 *
 * An id is assigned once, at acceptance, and stored with the event as its
 * sequence number, so a retry or a replay from the journal carries the same
 * id. Only formatting allocates a string, when the event is serialised.
 */
export class RequestIdAllocator {
  readonly terminalId: string;
  readonly bootPart: string;
  private seq = 0;

  constructor(terminalId: string, boot: BootCounterPort, random: RandomPort) {
    this.terminalId = terminalId;
    const n = boot.nextBoot();
    if (n !== null && Number.isInteger(n) && n >= 0) {
      this.bootPart = n.toString(36);
    } else {
      this.bootPart = "r" + (random.nextUint32() >>> 0).toString(36);
    }
  }

  /** Next sequence number (1, 2, ...) for this boot. */
  next(): number {
    return ++this.seq;
  }

  get issued(): number {
    return this.seq;
  }

  format(seq: number): string {
    return this.terminalId + "-" + this.bootPart + "-" + seq.toString(36);
  }
}
