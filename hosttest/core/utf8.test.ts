// src/core/lib/utf8.ts at its limits: each width of character at the end of a target one byte
// short, every kind of lone surrogate, a pair's code point. Also runs under XS.
import { describe, expect, it } from "vitest";
import { decodeUtf8, encodeUtf8, utf8ByteLength, writeUtf8 } from "../../src/core/lib/utf8";

describe("UTF-8", () => {
  it("encodes each width exactly (1 to 4 bytes), a surrogate pair as its code point", () => {
    expect(Array.from(encodeUtf8("A")!)).toEqual([0x41]);
    expect(Array.from(encodeUtf8("é")!)).toEqual([0xc3, 0xa9]);
    expect(Array.from(encodeUtf8("€")!)).toEqual([0xe2, 0x82, 0xac]);
    expect(Array.from(encodeUtf8("😀")!)).toEqual([0xf0, 0x9f, 0x98, 0x80]);
    expect(Array.from(encodeUtf8("\u{10ffff}")!)).toEqual([0xf4, 0x8f, 0xbf, 0xbf]);
    expect(utf8ByteLength("Aé€😀")).toBe(10);
  });

  it("writes into a target sized exactly, and refuses one a byte short whatever the last character's width", () => {
    for (const s of ["xA", "xé", "x€", "x😀"]) {
      const n = utf8ByteLength(s);
      const exact = new Uint8Array(n + 2);
      expect(writeUtf8(s, exact, 2), s).toBe(n);
      expect(Array.from(exact.subarray(2)), s).toEqual(Array.from(encodeUtf8(s)!));
      expect(() => writeUtf8(s, new Uint8Array(n - 1), 0), s).toThrow("UTF-8 target too short");
      expect(() => writeUtf8(s, new Uint8Array(n + 1), 2), s).toThrow("UTF-8 target too short");
    }
  });

  it("a lone surrogate of any kind: -1 for the length, null from encode, a RangeError naming where from write", () => {
    for (const [s, at] of [["a\ud800", 1], ["a\ud800b", 1], ["\udc00", 0], ["ab\udbff\ue000", 2], ["\ud800\ud800\udc00", 0], ["x\udfff\udc00", 1]] as const) {
      expect(utf8ByteLength(s), JSON.stringify(s)).toBe(-1);
      expect(encodeUtf8(s), JSON.stringify(s)).toBeNull();
      expect(() => writeUtf8(s, new Uint8Array(32), 0), JSON.stringify(s)).toThrow(`lone surrogate at index ${at}`);
    }
    expect(utf8ByteLength("\udbff\udfff")).toBe(4);
  });

  it("decodes long text in pieces to the same string", () => {
    const s = "aé€😀".repeat(3_000);
    const b = encodeUtf8(s)!;
    expect(decodeUtf8(b, 0, b.length)).toBe(s);
    expect(decodeUtf8(b, 1, 3)).toBe("é");
  });
});
