// src/core/lib/nearest-name.ts: "did you mean" for mistyped commands and setting keys. Also runs under XS.
import { describe, expect, it } from "vitest";
import { nearestName } from "../../src/core/lib/nearest-name";

const KEYS = ["brokerPorts", "brokerPort", "wifiSsid", "ntpServers"];

describe("nearest name", () => {
  it("the same name in another case comes first, before any one-edit neighbour", () => {
    expect(nearestName("BROKERPORT", KEYS)).toBe("brokerPort");
    expect(nearestName("brokerport", KEYS)).toBe("brokerPort");
    expect(nearestName("ntpservers", KEYS)).toBe("ntpServers");
  });

  it("one character changed, added or removed, anywhere, ignoring case", () => {
    expect(nearestName("wifiSsib", KEYS)).toBe("wifiSsid"); // changed, last
    expect(nearestName("xifiSsid", KEYS)).toBe("wifiSsid"); // changed, first
    expect(nearestName("wifiSid", KEYS)).toBe("wifiSsid"); // removed
    expect(nearestName("wifiSsidd", KEYS)).toBe("wifiSsid"); // added, last
    expect(nearestName("awifiSsid", KEYS)).toBe("wifiSsid"); // added, first
    expect(nearestName("WIFISSIB", KEYS)).toBe("wifiSsid");
  });

  it("two edits away, or nothing like it: no suggestion", () => {
    for (const name of ["wxfiSsib", "xyfiSsid", "wifiS", "wifiSsidxx", "ifiSsi", "", "zz"]) expect(nearestName(name, KEYS), name).toBeUndefined();
    expect(nearestName("a", [])).toBeUndefined();
    expect(nearestName("", ["a"])).toBe("a");
  });
});
