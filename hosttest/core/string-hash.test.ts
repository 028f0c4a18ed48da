// The string hash of the id tables (src/core/lib/string-hash.ts) and their slot arrays
// (src/core/lib/slot-array.ts). The hash's values were computed apart, in Python, from its
// definition: h = length, then h·31 + code unit (mod 2³²) over every code unit of a string of at
// most 8, else over the units at n/4 and n/2 and the last six. Also bundled and run inside XS.
import { describe, expect, it } from "vitest";
import { slotArray } from "../../src/core/lib/slot-array";
import { hashOfLength, hashString } from "../../src/core/lib/string-hash";

describe("hashString", () => {
  it("known answers: short strings whole, longer ones sampled, UTF-16 code units", () => {
    const known: [string, number][] = [
      ["", 0],
      ["a", 128],
      ["card-001", 2710772220], // 8 units: all of them
      ["card-0001", 1918605454], // 9: units 2 and 4, then the last six
      ["4111111111111111", 2631456912],
      ["tx-" + "9".repeat(40) + "12345", 424229610],
      ["é€😀", 20446090], // 4 code units (a surrogate pair)
      ["😀".repeat(5), 3447357206],
    ];
    for (const [s, h] of known) {
      expect(hashString(s), JSON.stringify(s)).toBe(h);
      expect(hashOfLength(s, s.length)).toBe(h);
    }
  });

  it("reads only what it says: units outside the samples do not change a long id's hash", () => {
    const base = "x".repeat(20) + "123456";
    // Samples of a 26-unit id: units 6 and 13, and 20-25.
    const changed = base.slice(0, 7) + "Q" + base.slice(8); // unit 7
    expect(hashString(changed)).toBe(hashString(base));
    expect(hashString(base.slice(0, 6) + "Q" + base.slice(7))).not.toBe(hashString(base)); // unit 6
    expect(hashString(base.slice(0, 13) + "Q" + base.slice(14))).not.toBe(hashString(base)); // unit 13
  });
});

describe("slotArray", () => {
  it("16-bit slots up to capacity 32 767, 32-bit beyond", () => {
    expect(slotArray(3, 0x7fff) instanceof Int16Array).toBe(true);
    expect(slotArray(3, 0x8000) instanceof Int32Array).toBe(true);
    expect(slotArray(3, 1)).toHaveLength(3);
  });
});
