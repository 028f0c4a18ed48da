/**
 * The xsnap worker the device-app benchmarks run in (bench:core's device section, bench:device32):
 * the device's flash kept on this side of `issueCommand` (src/sim/command-segment-store.ts), as
 * flash is outside the ESP32's heap, and the device app's bundle loaded.
 */
import { MemorySegmentStore } from "../../sim/memory-segment-store";
import { serveSegmentRequest } from "../../sim/command-segment-store";
import { startXsWorker, type XsWorker } from "../xs-engine";

/** First byte of a flash request (its op); xsReport's JSON starts with "{". */
const MAX_SEGMENT_OP = 0x1f;

/** A worker named `name` (xsnap's own binary, or `binary`) with `code` evaluated and a fresh flash. */
export async function startDeviceAppWorker(name: string, code: string, binary?: string): Promise<XsWorker> {
  const flash = new MemorySegmentStore();
  const w = await startXsWorker(name, (req) => (req[0]! <= MAX_SEGMENT_OP ? serveSegmentRequest(flash, req) : undefined), binary);
  await w.evaluate(code);
  return w;
}
