// Base64 for certificates in settings (src/core/lib/base64.ts), against
// RFC 4648's test vectors and round trips. Also run inside XS.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeBase64, encodeBase64 } from "../../src/core/lib/base64";

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe("base64", () => {
  it("matches RFC 4648 section 10", () => {
    const vectors: [string, string][] = [["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], ["foob", "Zm9vYg=="], ["fooba", "Zm9vYmE="], ["foobar", "Zm9vYmFy"]];
    for (const [plain, coded] of vectors) {
      expect(encodeBase64(ascii(plain))).toBe(coded);
      expect(Array.from(decodeBase64(coded)!)).toEqual(Array.from(ascii(plain)));
    }
    expect(Array.from(decodeBase64("+/+/")!)).toEqual([0xfb, 0xff, 0xbf]);
  });

  it("refuses what is not padded standard base64", () => {
    for (const bad of ["Zg", "Zg=", "Z===", "Zm9v YmFy", "Zm9-", "Zm9_", "Zm=v", "=Zm9", "Zm9v\n"]) expect(decodeBase64(bad), bad).toBe(null);
  });

  it("round-trips any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        expect(Array.from(decodeBase64(encodeBase64(b))!)).toEqual(Array.from(b));
      }),
      { numRuns: 200 },
    );
  });
});
