import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  encodeImprovFrame,
  encodeRpcResult,
  ImprovCommand,
  ImprovError,
  ImprovSerialReader,
  ImprovState,
  ImprovType,
  parseRpc,
  parseWifiSettings,
} from "../../src/core/settings/improv-frame";

const bytes = (...v: number[]) => Uint8Array.from(v);
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
/** What is wrong with a parsed RPC or Wi-Fi payload, or "ok". */
const bad = (r: { ok: true } | { ok: false; detail: string }) => (r.ok ? "ok" : r.detail);

interface Seen {
  lines: string[];
  frames: { type: number; data: number[] }[];
  bad: string[];
}

function reader(maxLine?: number): { r: ImprovSerialReader; seen: Seen } {
  const seen: Seen = { lines: [], frames: [], bad: [] };
  const r = new ImprovSerialReader(
    {
      onLine: (l) => seen.lines.push(l),
      onFrame: (type, data) => seen.frames.push({ type, data: Array.from(data) }),
      onBadFrame: (why) => seen.bad.push(why),
    },
    maxLine,
  );
  return { r, seen };
}

describe("Improv serial frames", () => {
  it("encodes IMPROV, version, type, length, data, the low byte of the sum, and a newline", () => {
    const f = encodeImprovFrame(ImprovType.CURRENT_STATE, bytes(ImprovState.READY));
    const head = [0x49, 0x4d, 0x50, 0x52, 0x4f, 0x56, 1, 1, 1, 2];
    expect(Array.from(f)).toEqual([...head, head.reduce((a, b) => a + b, 0) & 0xff, 10]);
    expect(() => encodeImprovFrame(ImprovType.RPC_RESULT, new Uint8Array(256))).toThrow("at most 255 data bytes");
  });

  it("encodes an RPC result as the command, the total length and each string with its length", () => {
    expect(Array.from(encodeRpcResult(ImprovCommand.REQUEST_INFO, ["paycard", "0.1"]))).toEqual([3, 12, 7, ...ascii("paycard"), 3, ...ascii("0.1")]);
    expect(Array.from(encodeRpcResult(ImprovCommand.SEND_WIFI_SETTINGS, []))).toEqual([1, 0]);
    expect(() => encodeRpcResult(1, ["x".repeat(254)])).toThrow("at most 253 bytes");
  });

  it("parses an RPC and its Wi-Fi settings, and names what is wrong with a bad one", () => {
    const wifi = [5, ...ascii("MyNet"), 6, ...ascii("secret")];
    const rpc = parseRpc(bytes(ImprovCommand.SEND_WIFI_SETTINGS, wifi.length, ...wifi));
    expect(rpc.ok && rpc.command).toBe(ImprovCommand.SEND_WIFI_SETTINGS);
    expect(rpc.ok && parseWifiSettings(rpc.payload)).toEqual({ ok: true, ssid: "MyNet", password: "secret" });
    expect(parseWifiSettings(bytes(2, ...ascii("ab"), 0))).toEqual({ ok: true, ssid: "ab", password: "" });
    expect(bad(parseRpc(bytes(1)))).toContain("shorter than command and length");
    expect(bad(parseRpc(bytes(1, 5, 1, 2)))).toContain("payload length 5 for 2 bytes");
    expect(bad(parseWifiSettings(bytes(9, ...ascii("ab"))))).toContain("SSID longer than the payload");
    expect(bad(parseWifiSettings(bytes(1, 0x61, 3, 0x62)))).toContain("password length does not end the payload");
    expect(bad(parseWifiSettings(bytes(0, 0)))).toContain("SSID must be 1-32 bytes, got 0");
    expect(bad(parseWifiSettings(bytes(33, ...ascii("x".repeat(33)), 0)))).toContain("SSID must be 1-32 bytes, got 33");
    expect(parseWifiSettings(bytes(32, ...ascii("x".repeat(32)), 0)).ok).toBe(true);
    expect(bad(parseWifiSettings(bytes(1, 0xff, 0)))).toContain("not UTF-8");
    const r = parseRpc(bytes(1));
    expect(!r.ok && r.error).toBe(ImprovError.INVALID_RPC_PACKET);
  });

  it("the limits: 255 data bytes a frame, 255 bytes a string and 253 in all in a result, two bytes of Wi-Fi lengths", () => {
    expect(encodeImprovFrame(ImprovType.RPC_RESULT, new Uint8Array(255)).length).toBe(9 + 255 + 2);
    expect(() => encodeImprovFrame(ImprovType.RPC_RESULT, new Uint8Array(256))).toThrow("an Improv frame holds at most 255 data bytes, got 256");
    expect(encodeRpcResult(ImprovCommand.REQUEST_INFO, ["x".repeat(252)]).length).toBe(2 + 253);
    expect(() => encodeRpcResult(ImprovCommand.REQUEST_INFO, ["x".repeat(253)])).toThrow("an Improv result holds at most 253 bytes of strings, got 254");
    expect(() => encodeRpcResult(ImprovCommand.REQUEST_INFO, ["x".repeat(256)])).toThrow("an Improv result string must be UTF-8 of at most 255 bytes");
    expect(() => encodeRpcResult(ImprovCommand.REQUEST_INFO, ["bad \ud800"])).toThrow("an Improv result string must be UTF-8 of at most 255 bytes");
    // 255 bytes of one string pass its own check, and fail the total's.
    expect(() => encodeRpcResult(ImprovCommand.REQUEST_INFO, ["x".repeat(255)])).toThrow("an Improv result holds at most 253 bytes of strings, got 256");
    expect(bad(parseWifiSettings(bytes(1)))).toBe("Wi-Fi settings shorter than two lengths");
    expect(bad(parseWifiSettings(bytes(1, 0x61)))).toBe("SSID longer than the payload");
    expect(bad(parseWifiSettings(bytes(1, 0x61, 1, 0xff)))).toBe("SSID or password is not UTF-8");
  });

  it("tells console lines from frames in one byte stream, whatever its chunks", () => {
    const frame = encodeImprovFrame(ImprovType.RPC, bytes(ImprovCommand.REQUEST_INFO, 0));
    const stream = new Uint8Array([...ascii("status\r\n"), ...frame, ...ascii("set brokerPort=1884\n"), ...frame, ...ascii("\n\nring\n")]);
    for (const chunk of [1, 3, 7, stream.length]) {
      const { r, seen } = reader();
      for (let i = 0; i < stream.length; i += chunk) r.push(stream.subarray(i, i + chunk));
      expect(seen).toEqual({
        lines: ["status", "set brokerPort=1884", "ring"],
        frames: [
          { type: ImprovType.RPC, data: [3, 0] },
          { type: ImprovType.RPC, data: [3, 0] },
        ],
        bad: [],
      });
    }
  });

  it("ends a line at a carriage return as well (Enter in picocom or screen), and a frame's header may hold one", () => {
    const { r, seen } = reader();
    // A length byte of 13 is a carriage return: still the frame's length.
    const frame = encodeImprovFrame(ImprovType.RPC, bytes(ImprovCommand.SEND_WIFI_SETTINGS, 11, 4, ...ascii("abcd"), 5, ...ascii("12345")));
    expect(frame[8]).toBe(13);
    r.push(new Uint8Array([...ascii("show\rstatus\r\n"), ...frame, ...ascii("ring\r")]));
    expect(seen.lines).toEqual(["show", "status", "ring"]);
    expect(seen.frames).toEqual([{ type: ImprovType.RPC, data: Array.from(frame.subarray(9, 9 + 13)) }]);
  });

  it("reports a frame with a bad checksum or version, and reads on", () => {
    const { r, seen } = reader();
    const f = encodeImprovFrame(ImprovType.RPC, bytes(2, 0));
    const broken = f.slice();
    broken[broken.length - 2] ^= 0x01;
    const v2 = f.slice();
    v2[6] = 2;
    v2[v2.length - 2] = (v2[v2.length - 2]! + 1) & 0xff;
    r.push(new Uint8Array([...broken, ...v2, ...ascii("show\n"), ...f]));
    expect(seen.bad).toEqual(["checksum mismatch", "version 2, not 1"]);
    expect(seen.lines).toEqual(["show"]);
    expect(seen.frames).toEqual([{ type: 3, data: [2, 0] }]);
    expect(r.badFrames).toBe(2);
  });

  it("drops a line longer than its bound to the newline, counted, and one that is not UTF-8", () => {
    const { r, seen } = reader(16);
    r.push(ascii(`${"x".repeat(40)}\nok\n`));
    r.push(bytes(0xc3, 0x28, 10));
    expect(seen.lines).toEqual(["ok"]);
    expect(r.linesDropped).toBe(2);
  });

  it("never throws on random bytes, and finds every frame and line put between them", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.uint8Array({ maxLength: 40 }), fc.stringMatching(/^[a-z ]{1,20}$/)), { maxLength: 6 }),
        fc.integer({ min: 1, max: 50 }),
        (noise, items, chunk) => {
          const { r } = reader();
          for (let i = 0; i < noise.length; i += chunk) r.push(noise.subarray(i, i + chunk));
          // A newline after noise ends whatever it left open (a frame header in the noise may
          // still be waiting for its bytes: feed enough newlines to close it).
          r.push(new Uint8Array(300).fill(10));
          const { r: clean, seen } = reader();
          const parts: number[] = [];
          for (const [type, data, line] of items) parts.push(...encodeImprovFrame(type, data), ...ascii(`${line}\n`));
          const stream = Uint8Array.from(parts);
          for (let i = 0; i < stream.length; i += chunk) clean.push(stream.subarray(i, i + chunk));
          expect(seen.frames).toEqual(items.map(([type, data]) => ({ type, data: Array.from(data) })));
          expect(seen.lines).toEqual(items.map(([, , line]) => line));
          expect(seen.bad).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("Improv serial frames: a length byte of 10", () => {
  it("reads a frame whose length is a newline's byte", () => {
    const { r, seen } = reader();
    r.push(new Uint8Array([...encodeImprovFrame(ImprovType.RPC, new Uint8Array(10).fill(7)), ...ascii("ok\n")]));
    expect(seen.frames).toEqual([{ type: ImprovType.RPC, data: new Array(10).fill(7) }]);
    expect(seen.lines).toEqual(["ok"]);
  });

  it("never writes an RPC result of 10 data bytes (one zero past the strings' total instead)", () => {
    const data = encodeRpcResult(ImprovCommand.REQUEST_INFO, ["abc", "defg"]); // 2 + 4 + 5 = 11 already
    expect(data.length).toBe(11);
    const ten = encodeRpcResult(ImprovCommand.REQUEST_INFO, ["abc", "def"]); // 2 + 4 + 4 = 10
    expect(Array.from(ten)).toEqual([3, 8, 3, ...ascii("abc"), 3, ...ascii("def"), 0]);
  });
});
