import type { SegmentStorePort } from "../core/outbox/segment-store-port";

export type SegmentRequestSender = (request: Uint8Array) => Uint8Array;

const LIST = 1;
const SIZE = 2;
const READ = 3;
const APPEND = 4;
const TRUNCATE = 5;
const REMOVE = 6;
const HEAD = 13;
const OK = 0;
const FAILED = 1;

function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

/**
 * A SegmentStorePort whose bytes live outside the engine that runs the
 * journal: each call is one request through `send` (in xsnap, `issueCommand`
 * to the Node host), answered by `serveSegmentRequest` over any other store.
 * bench:core runs the device app this way, so flash contents are not counted
 * in the XS heap it measures, as on the device, where they are in flash.
 *
 * Request: op (u8), segment (u32), offset (u32), length (u32), then the
 * bytes to append. Answer: status (u8: 0 ok, 1 failed), then list: count
 * and numbers (u32 each); size: u32; read: the bytes.
 */
export class CommandSegmentStore implements SegmentStorePort {
  requests = 0;

  constructor(private readonly send: SegmentRequestSender) {}

  list(): number[] {
    const a = this.call(LIST, 0, 0, 0, null);
    const out: number[] = [];
    for (let i = 0, n = u32(a, 1); i < n; i++) out.push(u32(a, 5 + 4 * i));
    return out;
  }

  size(n: number): number {
    return u32(this.call(SIZE, n, 0, 0, null), 1);
  }

  read(n: number, offset: number, length: number): Uint8Array {
    return this.call(READ, n, offset, length, null).slice(1);
  }

  append(n: number, parts: readonly Uint8Array[]): void {
    this.call(APPEND, n, 0, 0, parts);
  }

  truncate(n: number, length: number): void {
    this.call(TRUNCATE, n, 0, length, null);
  }

  remove(n: number): void {
    this.call(REMOVE, n, 0, 0, null);
  }

  private call(op: number, n: number, offset: number, length: number, parts: readonly Uint8Array[] | null): Uint8Array {
    let extra = 0;
    if (parts !== null) for (let i = 0; i < parts.length; i++) extra += parts[i]!.length;
    const req = new Uint8Array(HEAD + extra);
    req[0] = op;
    putU32(req, 1, n);
    putU32(req, 5, offset);
    putU32(req, 9, length);
    if (parts !== null) {
      let at = HEAD;
      for (let i = 0; i < parts.length; i++) {
        req.set(parts[i]!, at);
        at += parts[i]!.length;
      }
    }
    this.requests++;
    const answer = this.send(req);
    if (answer.length < 1 || answer[0] !== OK) throw new Error(`segment store: request ${op} on segment ${n} failed`);
    return answer;
  }
}

/** The far side: answers one request of a CommandSegmentStore from `store`. */
export function serveSegmentRequest(store: SegmentStorePort, req: Uint8Array): Uint8Array {
  try {
    const op = req[0];
    const n = u32(req, 1);
    const offset = u32(req, 5);
    const length = u32(req, 9);
    if (op === LIST) {
      const list = store.list();
      const out = new Uint8Array(5 + 4 * list.length);
      putU32(out, 1, list.length);
      for (let i = 0; i < list.length; i++) putU32(out, 5 + 4 * i, list[i]!);
      return out;
    }
    if (op === SIZE) {
      const out = new Uint8Array(5);
      putU32(out, 1, store.size(n));
      return out;
    }
    if (op === READ) {
      const bytes = store.read(n, offset, length);
      const out = new Uint8Array(1 + bytes.length);
      out.set(bytes, 1);
      return out;
    }
    if (op === APPEND) store.append(n, [req.subarray(HEAD)]);
    else if (op === TRUNCATE) store.truncate(n, length);
    else if (op === REMOVE) store.remove(n);
    else return new Uint8Array([FAILED]);
    return new Uint8Array([OK]);
  } catch {
    return new Uint8Array([FAILED]);
  }
}
