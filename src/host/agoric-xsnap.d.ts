// The subset of @agoric/xsnap's API that paycard uses (the package ships JS with JSDoc only).
declare module "@agoric/xsnap" {
  export interface XsnapMeterUsage {
    meterType: string;
    compute: number | null;
    allocate: number | null;
    currentHeapCount: number | null;
  }
  export interface Xsnap {
    evaluate(code: string): Promise<{ meterUsage: XsnapMeterUsage }>;
    issueCommand(message: Uint8Array): Promise<{ reply: Uint8Array; meterUsage: XsnapMeterUsage }>;
    /** The heap as a snapshot stream (XS collects garbage before writing it). */
    makeSnapshotStream(description?: string): AsyncGenerator<Uint8Array, void, undefined>;
    close(): Promise<void>;
    terminate(): Promise<void>;
  }
  export function xsnap(options: {
    os: string;
    spawn: unknown;
    fs: unknown;
    name?: string;
    meteringLimit?: number;
    stdout?: "ignore" | "inherit" | "pipe";
    stderr?: "ignore" | "inherit" | "pipe";
    handleCommand?: (request: Uint8Array) => Promise<Uint8Array>;
  }): Promise<Xsnap>;
}
