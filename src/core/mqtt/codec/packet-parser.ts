import { fixedHeaderProblem, fixedRemainingLength } from "./fixed-header";
import { decodePacket } from "./packet-decoder";
import type { MqttPacket } from "./packet-types";
import type { ProtocolErrorCounts } from "./protocol-error";
import { createProtocolErrorCounts, ProtocolErrorCode, ProtocolViolation } from "./protocol-error";
import { MAX_REMAINING_LENGTH, MAX_REMAINING_LENGTH_BYTES, RemainingLengthReader, RemainingLengthStep } from "./remaining-length";

export interface PacketParserOptions {
  /** Largest packet accepted, in bytes, fixed header included (at least 2). */
  maxPacketSize: number;
  onPacket?: (packet: MqttPacket) => void;
  onError?: (code: ProtocolErrorCode, detail: string) => void;
}

/** Largest possible MQTT packet: type byte + 4 length bytes + maximum remaining length. */
export const MAX_MQTT_PACKET_SIZE = 1 + MAX_REMAINING_LENGTH_BYTES + MAX_REMAINING_LENGTH;

const AWAIT_HEADER = 0;
const AWAIT_LENGTH = 1;
const AWAIT_BODY = 2;
const MIN_BUFFER = 64;
const EMPTY = new Uint8Array(0);

/**
 * Incremental MQTT 3.1.1 stream parser. Feed it chunks split anywhere; it
 * calls `onPacket` once per complete packet, in order.
 *
 * On the first protocol violation it calls `onError(code, detail)` once,
 * counts the code in `errorCounts`, and then ignores all input until
 * `reset()`. `feed` never throws: a throwing `onPacket`, or a `feed` call
 * from inside a callback, is reported as HANDLER_ERROR; a throwing
 * `onError` is ignored.
 *
 * A packet whose size exceeds `maxPacketSize` is refused as soon as its
 * remaining length is read, before any of its body is buffered. A packet
 * that arrives whole within one chunk is decoded straight from the chunk;
 * only a packet split across chunks is copied into a body buffer that grows
 * (doubling, as its bytes arrive) up to the largest body seen; `reset()`
 * drops it.
 *
 * Byte accounting, always: bytesFed = bytesDelivered + bytesPending + bytesDiscarded.
 */
export class PacketParser {
  readonly maxPacketSize: number;
  onPacket: (packet: MqttPacket) => void;
  onError: (code: ProtocolErrorCode, detail: string) => void;
  /** Errors reported since construction, by code; kept across reset(). */
  readonly errorCounts: ProtocolErrorCounts = createProtocolErrorCounts();
  /** Packets delivered since construction. */
  packetsDelivered = 0;
  /** Bytes ever passed to feed(). */
  bytesFed = 0;
  /** Bytes of delivered packets. */
  bytesDelivered = 0;
  /** Bytes dropped: of a packet that failed, fed while failed, or pending at reset(). */
  bytesDiscarded = 0;

  private stage = AWAIT_HEADER;
  private header = 0;
  private readonly length = new RemainingLengthReader();
  private bodyLength = 0;
  private bodyFilled = 0;
  private buffer: Uint8Array = EMPTY;
  private failure: { code: ProtocolErrorCode; detail: string } | null = null;
  private feeding = false;

  constructor(options: PacketParserOptions) {
    const max = options.maxPacketSize;
    if (!Number.isInteger(max) || max < 2 || max > MAX_MQTT_PACKET_SIZE) {
      throw new RangeError(`maxPacketSize must be an integer in 2..${MAX_MQTT_PACKET_SIZE}, got ${max}`);
    }
    this.maxPacketSize = max;
    this.onPacket = options.onPacket ?? noop;
    this.onError = options.onError ?? noop;
  }

  /** True after an error, until reset(). */
  get failed(): boolean {
    return this.failure !== null;
  }

  /** The error that stopped the parser, or null. */
  get lastError(): { code: ProtocolErrorCode; detail: string } | null {
    return this.failure;
  }

  /** Bytes of the packet currently being assembled. */
  get bytesPending(): number {
    switch (this.stage) {
      case AWAIT_LENGTH:
        return 1 + this.length.size;
      case AWAIT_BODY:
        return 1 + this.length.size + this.bodyFilled;
      default:
        return 0;
    }
  }

  /** Forgets any partial packet and the failed state; counters are kept. */
  reset(): void {
    this.bytesDiscarded += this.bytesPending;
    this.clearPacket();
    this.buffer = EMPTY;
    this.failure = null;
  }

  feed(chunk: Uint8Array): void {
    const n = chunk.length;
    this.bytesFed += n;
    if (this.failure !== null) {
      this.bytesDiscarded += n;
      return;
    }
    if (this.feeding) {
      this.fail(ProtocolErrorCode.HANDLER_ERROR, "feed() called from inside a parser callback");
      return;
    }
    this.feeding = true;
    try {
      this.consume(chunk, n);
    } catch (e) {
      this.fail(ProtocolErrorCode.INTERNAL_ERROR, String(e));
    } finally {
      this.feeding = false;
    }
  }

  private consume(chunk: Uint8Array, n: number): void {
    let i = 0;
    while (i < n) {
      if (this.stage === AWAIT_HEADER) {
        const b = chunk[i++]!;
        this.header = b;
        this.length.reset();
        this.stage = AWAIT_LENGTH;
        const problem = fixedHeaderProblem(b);
        if (problem !== null) return this.fail(problem.code, problem.detail);
      } else if (this.stage === AWAIT_LENGTH) {
        const step = this.length.push(chunk[i++]!);
        if (step === RemainingLengthStep.MORE) continue;
        if (step === RemainingLengthStep.TOO_LONG) {
          return this.fail(ProtocolErrorCode.MALFORMED_REMAINING_LENGTH, "remaining length longer than 4 bytes");
        }
        if (step === RemainingLengthStep.NOT_MINIMAL) {
          return this.fail(ProtocolErrorCode.MALFORMED_REMAINING_LENGTH, "remaining length not minimally encoded");
        }
        const bodyLength = this.length.value;
        const total = 1 + this.length.size + bodyLength;
        if (total > this.maxPacketSize) {
          return this.fail(ProtocolErrorCode.PACKET_TOO_LARGE, `packet of ${total} bytes exceeds maxPacketSize ${this.maxPacketSize}`);
        }
        const typeCode = this.header >> 4;
        const fixed = fixedRemainingLength(typeCode);
        if (fixed >= 0 && bodyLength !== fixed) {
          return this.fail(
            ProtocolErrorCode.INVALID_PACKET_LENGTH,
            `packet type ${typeCode} needs remaining length ${fixed}, got ${bodyLength}`,
          );
        }
        this.bodyLength = bodyLength;
        this.bodyFilled = 0;
        if (n - i >= bodyLength) {
          // Whole body in this chunk (or empty): decode in place.
          i += bodyLength;
          if (!this.complete(chunk, i - bodyLength, i)) return;
        } else {
          this.stage = AWAIT_BODY;
        }
      } else {
        const take = Math.min(this.bodyLength - this.bodyFilled, n - i);
        this.reserve(this.bodyFilled + take);
        this.buffer.set(chunk.subarray(i, i + take), this.bodyFilled);
        this.bodyFilled += take;
        i += take;
        if (this.bodyFilled === this.bodyLength && !this.complete(this.buffer, 0, this.bodyLength)) return;
      }
    }
  }

  /** Decodes and delivers the current packet; false if the parser failed. */
  private complete(bytes: Uint8Array, start: number, end: number): boolean {
    let packet: MqttPacket;
    try {
      packet = decodePacket(this.header, bytes, start, end);
    } catch (e) {
      if (e instanceof ProtocolViolation) {
        this.fail(e.code, e.message);
        return false;
      }
      throw e;
    }
    this.bytesDelivered += 1 + this.length.size + this.bodyLength;
    this.packetsDelivered++;
    this.clearPacket();
    try {
      this.onPacket(packet);
    } catch (e) {
      this.fail(ProtocolErrorCode.HANDLER_ERROR, `onPacket threw: ${String(e)}`);
    }
    return this.failure === null;
  }

  /**
   * Makes room for `needed` body bytes, keeping those already buffered. Grows
   * by doubling with the bytes that actually arrive (never to the announced
   * length up front), and never beyond the current body length.
   */
  private reserve(needed: number): void {
    const old = this.buffer;
    if (old.length >= needed) return;
    let capacity = Math.max(MIN_BUFFER, old.length * 2, needed);
    if (capacity > this.bodyLength) capacity = this.bodyLength;
    const grown = new Uint8Array(capacity);
    if (this.bodyFilled > 0) grown.set(old.subarray(0, this.bodyFilled));
    this.buffer = grown;
  }

  private clearPacket(): void {
    this.stage = AWAIT_HEADER;
    this.length.reset();
    this.bodyLength = 0;
    this.bodyFilled = 0;
  }

  private fail(code: ProtocolErrorCode, detail: string): void {
    if (this.failure !== null) return;
    this.failure = { code, detail };
    this.errorCounts[code]++;
    this.clearPacket();
    this.bytesDiscarded = this.bytesFed - this.bytesDelivered;
    try {
      this.onError(code, detail);
    } catch {
      // A throwing error handler must not make feed() throw.
    }
  }
}

function noop(): void {}

