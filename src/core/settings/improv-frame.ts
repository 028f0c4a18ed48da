import { decodeUtf8, encodeUtf8 } from "../lib/utf8";

/**
 * Improv Wi-Fi's serial protocol (improv-wifi.com/serial), the device's side: a browser (ESP Web
 * Tools, npm improv-wifi-serial-sdk) provisions Wi-Fi over the same UART that carries the console.
 * A frame is `IMPROV`, the version (1), a type, a length, that many data bytes and a checksum (the
 * low byte of the sum of every byte before it); writers end it with a newline. A reader tells a
 * frame from a console line by its first nine bytes, as the browser does.
 */

export const IMPROV_VERSION = 1;
/** Bytes before the data: `IMPROV`, version, type, length. */
export const IMPROV_HEADER_BYTES = 9;
const MAGIC = Object.freeze([0x49, 0x4d, 0x50, 0x52, 0x4f, 0x56]); // "IMPROV"

/** Frame types. */
export const ImprovType = Object.freeze({ CURRENT_STATE: 0x01, ERROR_STATE: 0x02, RPC: 0x03, RPC_RESULT: 0x04 } as const);
/** Current states the device reports (serial is always authorized). */
export const ImprovState = Object.freeze({ STOPPED: 0x00, READY: 0x02, PROVISIONING: 0x03, PROVISIONED: 0x04 } as const);
/** Error states the device reports. */
export const ImprovError = Object.freeze({ NONE: 0x00, INVALID_RPC_PACKET: 0x01, UNKNOWN_RPC_COMMAND: 0x02, UNABLE_TO_CONNECT: 0x03, UNKNOWN: 0xff } as const);
/** RPC commands a client sends. */
export const ImprovCommand = Object.freeze({ SEND_WIFI_SETTINGS: 0x01, REQUEST_CURRENT_STATE: 0x02, REQUEST_INFO: 0x03, REQUEST_WIFI_NETWORKS: 0x04 } as const);

/** The checksum of bytes[0..end): the low byte of their sum. */
function checksum(bytes: Uint8Array, end: number): number {
  let sum = 0;
  for (let i = 0; i < end; i++) sum += bytes[i]!;
  return sum & 0xff;
}

/** One frame of `type` around `data` (at most 255 bytes), checksum and newline included. */
export function encodeImprovFrame(type: number, data: Uint8Array): Uint8Array {
  if (data.length > 255) throw new RangeError(`an Improv frame holds at most 255 data bytes, got ${data.length}`);
  const out = new Uint8Array(IMPROV_HEADER_BYTES + data.length + 2);
  out.set(MAGIC, 0);
  out[6] = IMPROV_VERSION;
  out[7] = type;
  out[8] = data.length;
  out.set(data, IMPROV_HEADER_BYTES);
  const end = IMPROV_HEADER_BYTES + data.length;
  out[end] = checksum(out, end);
  out[end + 1] = 0x0a;
  return out;
}

/**
 * The data of an RPC result for `command`: each string as its length and UTF-8 bytes. Data of
 * exactly 10 bytes gets one more, a zero past the strings' total: the browser SDK
 * (improv-wifi-serial-sdk 2.8) takes a length byte of 10 for a newline and loses the frame; past
 * the total it reads nothing.
 */
export function encodeRpcResult(command: number, strings: readonly string[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const s of strings) {
    const bytes = encodeUtf8(s);
    if (bytes === null || bytes.length > 255) throw new RangeError("an Improv result string must be UTF-8 of at most 255 bytes");
    parts.push(bytes);
    total += 1 + bytes.length;
  }
  if (total > 253) throw new RangeError(`an Improv result holds at most 253 bytes of strings, got ${total}`);
  const out = new Uint8Array(2 + total === 10 ? 11 : 2 + total);
  out[0] = command;
  out[1] = total;
  let at = 2;
  for (const p of parts) {
    out[at++] = p.length;
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export type RpcCommand = { ok: true; command: number; payload: Uint8Array } | { ok: false; error: number; detail: string };

/** An RPC frame's data: command, payload length, payload. */
export function parseRpc(data: Uint8Array): RpcCommand {
  if (data.length < 2) return { ok: false, error: ImprovError.INVALID_RPC_PACKET, detail: "RPC data shorter than command and length" };
  const n = data[1]!;
  if (2 + n !== data.length) return { ok: false, error: ImprovError.INVALID_RPC_PACKET, detail: `RPC payload length ${n} for ${data.length - 2} bytes` };
  return { ok: true, command: data[0]!, payload: data.subarray(2) };
}

export type WifiSettings = { ok: true; ssid: string; password: string } | { ok: false; error: number; detail: string };

/** A Send Wi-Fi Settings payload: SSID length and bytes, password length and bytes (UTF-8). */
export function parseWifiSettings(payload: Uint8Array): WifiSettings {
  const bad = (detail: string): WifiSettings => ({ ok: false, error: ImprovError.INVALID_RPC_PACKET, detail });
  if (payload.length < 2) return bad("Wi-Fi settings shorter than two lengths");
  if (payload[0] === 0 || payload[0]! > 32) return bad(`SSID must be 1-32 bytes, got ${payload[0]}`);
  const ssidEnd = 1 + payload[0]!;
  if (ssidEnd + 1 > payload.length) return bad("SSID longer than the payload");
  const passwordEnd = ssidEnd + 1 + payload[ssidEnd]!;
  if (passwordEnd !== payload.length) return bad("password length does not end the payload");
  const ssid = decodeUtf8(payload, 1, ssidEnd);
  const password = decodeUtf8(payload, ssidEnd + 1, passwordEnd);
  if (ssid === null || password === null) return bad("SSID or password is not UTF-8");
  return { ok: true, ssid, password };
}

export interface ImprovReaderHandlers {
  /** A console line, without its end (newline or carriage return; empty lines are skipped). */
  onLine(line: string): void;
  /** A frame whose version and checksum are right. */
  onFrame(type: number, data: Uint8Array): void;
  /** A frame that is not: its reason (the device answers INVALID_RPC_PACKET). */
  onBadFrame(reason: string): void;
}

/**
 * Splits the UART's bytes into console lines and Improv frames: a line whose first nine bytes
 * start `IMPROV` is a frame of nine plus its length plus one (checksum) bytes; anything else is a
 * line up to its newline or carriage return (terminals send either, or both, for Enter). A line
 * longer than `maxLine` bytes is dropped to its end (counted).
 * Preallocated: pushing bytes allocates only the line or frame it completes.
 */
export class ImprovSerialReader {
  private readonly buf: Uint8Array;
  private len = 0;
  /** Bytes the frame in buf still needs (0: not in a frame). */
  private frameLeft = 0;
  private overflow = false;
  linesDropped = 0;
  badFrames = 0;

  constructor(
    private readonly handlers: ImprovReaderHandlers,
    readonly maxLine = 512,
  ) {
    this.buf = new Uint8Array(Math.max(maxLine, IMPROV_HEADER_BYTES + 256));
  }

  push(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.pushByte(bytes[i]!);
  }

  private pushByte(b: number): void {
    if (this.frameLeft > 0) {
      this.buf[this.len++] = b;
      if (--this.frameLeft === 0) this.endFrame();
      return;
    }
    // After `IMPROV`, the version, type and length bytes are taken whatever they are (a length of
    // 10 is a newline's byte).
    if (this.len >= MAGIC.length && this.len < IMPROV_HEADER_BYTES && !this.overflow && this.startsFrame()) {
      this.buf[this.len++] = b;
      if (this.len === IMPROV_HEADER_BYTES) this.frameLeft = this.buf[8]! + 1;
      return;
    }
    if (b === 0x0a || b === 0x0d) {
      this.endLine();
      return;
    }
    if (this.overflow) return;
    if (this.len === this.maxLine) {
      this.overflow = true;
      this.linesDropped++;
      return;
    }
    this.buf[this.len++] = b;
  }

  private startsFrame(): boolean {
    for (let i = 0; i < MAGIC.length; i++) if (this.buf[i] !== MAGIC[i]) return false;
    return true;
  }

  private endFrame(): void {
    const end = this.len - 1;
    const version = this.buf[6]!;
    const good = this.buf[end] === checksum(this.buf, end);
    const data = this.buf.slice(IMPROV_HEADER_BYTES, end);
    const type = this.buf[7]!;
    this.len = 0;
    if (!good) {
      this.badFrames++;
      this.handlers.onBadFrame("checksum mismatch");
    } else if (version !== IMPROV_VERSION) {
      this.badFrames++;
      this.handlers.onBadFrame(`version ${version}, not ${IMPROV_VERSION}`);
    } else {
      this.handlers.onFrame(type, data);
    }
  }

  private endLine(): void {
    const n = this.len;
    const dropped = this.overflow;
    this.len = 0;
    this.overflow = false;
    if (dropped) return;
    if (n === 0) return;
    const text = decodeUtf8(this.buf, 0, n);
    if (text === null) {
      this.linesDropped++;
      return;
    }
    this.handlers.onLine(text);
  }
}
