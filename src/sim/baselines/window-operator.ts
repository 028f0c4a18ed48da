import type { WindowListener } from "../../core/stream/window-result";

/**
 * What the benchmark drives: the sliced operator and both baselines have this
 * shape. Each reads the shared watermark, and says in `dueAt` from which
 * watermark on it has windows to fire or state to purge; the driver calls
 * `catchUp` then, as the pipeline does.
 */
export interface BenchWindowOperator {
  add(key: string, keyHash: number, ts: number, amount: number): number;
  readonly dueAt: number;
  catchUp(): void;
  onWindow(listener: WindowListener): void;
}

export interface BaselineOptions {
  name: string;
  keyField: string;
  size: number;
  slide: number;
  offset: number;
  allowedLateness: number;
  smallAmountCents: number;
  maxKeys: number;
  keyTtlMs: number;
}
