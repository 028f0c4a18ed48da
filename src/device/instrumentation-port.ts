import Instrumentation from "instrumentation";

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
