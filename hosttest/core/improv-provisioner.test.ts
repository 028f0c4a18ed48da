import { describe, expect, it } from "vitest";
import { encodeImprovFrame, ImprovCommand, ImprovError, ImprovSerialReader, ImprovState, ImprovType } from "../../src/core/settings/improv-frame";
import { ImprovProvisioner } from "../../src/core/settings/improv-provisioner";

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const INFO = { firmware: "paycard", version: "0.1.0", chip: "ESP32", name: "term-1" };

/** A provisioner behind a reader, with what it wrote decoded into [type, ...data] lists. */
function device(provisioned = false, refuse: string | null = null) {
  const out: number[][] = [];
  const stored: [string, string][] = [];
  const decode = new ImprovSerialReader({ onLine: () => {}, onBadFrame: (w) => out.push([-1, ...ascii(w)]), onFrame: (t, d) => out.push([t, ...d]) });
  const p = new ImprovProvisioner(
    {
      write: (f) => decode.push(f),
      storeWifi: (ssid, password) => {
        if (refuse === null) stored.push([ssid, password]);
        return refuse;
      },
    },
    INFO,
    provisioned,
  );
  const input = new ImprovSerialReader({ onLine: () => {}, onBadFrame: () => p.onBadFrame(), onFrame: (t, d) => p.onFrame(t, d) });
  const rpc = (command: number, payload: number[]) => input.push(encodeImprovFrame(ImprovType.RPC, Uint8Array.from([command, payload.length, ...payload])));
  const take = () => out.splice(0);
  return { p, rpc, input, take, stored };
}

const wifi = (ssid: string, password: string) => [ssid.length, ...ascii(ssid), password.length, ...ascii(password)];

describe("Improv provisioner (the device's side)", () => {
  it("answers the current state and the device info", () => {
    const d = device();
    d.rpc(ImprovCommand.REQUEST_CURRENT_STATE, []);
    expect(d.take()).toEqual([[ImprovType.CURRENT_STATE, ImprovState.READY]]);
    d.rpc(ImprovCommand.REQUEST_INFO, []);
    const info = [7, ...ascii("paycard"), 5, ...ascii("0.1.0"), 5, ...ascii("ESP32"), 6, ...ascii("term-1")];
    expect(d.take()).toEqual([[ImprovType.RPC_RESULT, ImprovCommand.REQUEST_INFO, info.length, ...info]]);
    // Provisioned: the state and a result for the command (the browser waits for both).
    const p = device(true);
    p.rpc(ImprovCommand.REQUEST_CURRENT_STATE, []);
    expect(p.take()).toEqual([
      [ImprovType.CURRENT_STATE, ImprovState.PROVISIONED],
      [ImprovType.RPC_RESULT, ImprovCommand.REQUEST_CURRENT_STATE, 0],
    ]);
  });

  it("follows Wi-Fi quietly until a client speaks, then sends each change", () => {
    const d = device();
    d.p.wifiUp();
    expect(d.p.state).toBe(ImprovState.PROVISIONED);
    d.p.wifiDown();
    expect(d.p.state).toBe(ImprovState.READY);
    expect(d.take()).toEqual([]);
    d.rpc(ImprovCommand.REQUEST_CURRENT_STATE, []);
    expect(d.take()).toEqual([[ImprovType.CURRENT_STATE, ImprovState.READY]]);
    d.p.wifiUp();
    d.p.wifiDown();
    expect(d.take()).toEqual([
      [ImprovType.CURRENT_STATE, ImprovState.PROVISIONED],
      [ImprovType.CURRENT_STATE, ImprovState.READY],
    ]);
    // While credentials are tried, a drop is not the answer: wifiFailed or wifiUp is.
    d.rpc(ImprovCommand.SEND_WIFI_SETTINGS, wifi("MyNet", "secret"));
    d.take();
    d.p.wifiDown();
    expect(d.take()).toEqual([]);
    expect(d.p.state).toBe(ImprovState.PROVISIONING);
  });

  it("stores Wi-Fi settings, says Provisioning, and Provisioned with the result once Wi-Fi is up", () => {
    const d = device();
    d.rpc(ImprovCommand.SEND_WIFI_SETTINGS, wifi("MyNet", "secret"));
    expect(d.stored).toEqual([["MyNet", "secret"]]);
    expect(d.take()).toEqual([
      [ImprovType.ERROR_STATE, ImprovError.NONE],
      [ImprovType.CURRENT_STATE, ImprovState.PROVISIONING],
    ]);
    expect(d.p.state).toBe(ImprovState.PROVISIONING);
    d.p.wifiUp();
    expect(d.take()).toEqual([
      [ImprovType.CURRENT_STATE, ImprovState.PROVISIONED],
      [ImprovType.RPC_RESULT, ImprovCommand.SEND_WIFI_SETTINGS, 0],
    ]);
    d.p.wifiUp(); // already said
    expect(d.take()).toEqual([]);
  });

  it("says Unable to Connect and Ready when the credentials fail, and Unknown Error when they cannot be stored", () => {
    const d = device();
    d.rpc(ImprovCommand.SEND_WIFI_SETTINGS, wifi("MyNet", "wrong"));
    d.take();
    d.p.wifiFailed();
    expect(d.take()).toEqual([
      [ImprovType.ERROR_STATE, ImprovError.UNABLE_TO_CONNECT],
      [ImprovType.CURRENT_STATE, ImprovState.READY],
    ]);
    const full = device(false, "NVS full");
    full.rpc(ImprovCommand.SEND_WIFI_SETTINGS, wifi("MyNet", "secret"));
    expect(full.take()).toEqual([[ImprovType.ERROR_STATE, ImprovError.UNKNOWN]]);
    expect(full.p.state).toBe(ImprovState.READY);
  });

  it("answers bad frames, bad payloads and unknown commands with the protocol's errors, never a throw", () => {
    const d = device();
    d.rpc(ImprovCommand.REQUEST_WIFI_NETWORKS, []);
    d.rpc(ImprovCommand.SEND_WIFI_SETTINGS, [9, 1]);
    d.input.push(encodeImprovFrame(ImprovType.CURRENT_STATE, Uint8Array.of(2)));
    const broken = encodeImprovFrame(ImprovType.RPC, Uint8Array.of(2, 0));
    broken[broken.length - 2] ^= 0xff;
    d.input.push(broken);
    d.input.push(encodeImprovFrame(ImprovType.RPC, Uint8Array.of(2)));
    expect(d.take()).toEqual([
      [ImprovType.ERROR_STATE, ImprovError.UNKNOWN_RPC_COMMAND],
      [ImprovType.ERROR_STATE, ImprovError.INVALID_RPC_PACKET],
      [ImprovType.ERROR_STATE, ImprovError.INVALID_RPC_PACKET],
      [ImprovType.ERROR_STATE, ImprovError.INVALID_RPC_PACKET],
      [ImprovType.ERROR_STATE, ImprovError.INVALID_RPC_PACKET],
    ]);
    expect(d.p.errorsSent).toBe(5);
    expect(d.stored).toEqual([]);
  });
});
