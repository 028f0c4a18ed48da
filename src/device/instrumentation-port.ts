import Debug from "debug";
import Instrumentation from "instrumentation";
import type { HeapMargin } from "../core/app/heap-margin";

/**
 * XS's own instrumentation (modules/base/instrumentation): heap and stack use
 * for the STATUS line and the `heap` metric. Only instrumented builds
 * (mcconfig -i: esp32 `npm run build:esp32`, or a lin -i build) define
 * mxInstrument; release builds answer undefined, shown as NaN.
 * Indexes are looked up at construction, at run time: a preloaded module may
 * not call native code while it loads.
 */
export class XsInstrumentation {
  private readonly slots = Instrumentation.map("XS Slot Heap Used");
  private readonly chunks = Instrumentation.map("XS Chunk Heap Used");
  private readonly stack = Instrumentation.map("XS Stack Used");
  private readonly gcs = Instrumentation.map("XS Garbage Collection Count");

  read(out: XsUse): XsUse {
    out.slotBytes = get(this.slots);
    out.chunkBytes = get(this.chunks);
    out.stackPeakBytes = get(this.stack);
    out.gcs = get(this.gcs);
    return out;
  }

  /** JS heap in use, bytes (slots + chunks), NaN where the build does not say. */
  heapBytes(): number {
    return get(this.slots) + get(this.chunks);
  }

  /** Whether this build reports the heap (instrumented builds). */
  get available(): boolean {
    return Number.isFinite(get(this.slots));
  }

  /** The stack's deepest point since XS's last instrumentation sample (it samples once a second, then resets it). */
  noteStack(margin: HeapMargin): void {
    margin.noteStack(get(this.stack));
  }

  /**
   * A full collection, then the live slots and chunks: what the firmware keeps (between
   * collections the heap also holds garbage, up to the whole budget). A few milliseconds on the
   * ESP32; main.ts does it once per STATUS, in instrumented builds only.
   */
  noteLive(margin: HeapMargin): void {
    if (!this.available) return;
    Debug.gc();
    margin.noteLive(get(this.slots), get(this.chunks));
  }
}

function get(i: number | undefined): number {
  if (i === undefined) return NaN;
  const v = Instrumentation.get(i);
  return typeof v === "number" ? v : NaN;
}

export interface XsUse {
  /** Bytes of slot heap in use (slots × 16 on the ESP32, × 32 on 64-bit lin). */
  slotBytes: number;
  chunkBytes: number;
  /** Peak bytes of the XS stack used (slots × the same sizes). */
  stackPeakBytes: number;
  gcs: number;
}
