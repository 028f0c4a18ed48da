/**
 * paycard's Improv serial codec against the browser's own: npm improv-wifi-serial-sdk (what ESP Web
 * Tools runs) over a fake Web Serial port whose other end is a device made of our codec. The SDK
 * writes its RPC frames; our reader must find them among console lines and parse them; our frames
 * (states, errors, RPC results) go through the SDK's real stream reader and parser and must say
 * what we meant. Node only: the SDK is a browser module.
 */
import { describe, expect, it } from "vitest";
import { ImprovSerial } from "improv-wifi-serial-sdk/dist/serial.js";
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
import { ImprovProvisioner } from "../../src/core/settings/improv-provisioner";

const text = (s: string) => new TextEncoder().encode(s);
const quiet = { log() {}, error() {}, debug() {} };

/** A fake serial port whose far end is a device answering with our codec. */
function devicePort(answer: (command: number, payload: Uint8Array) => Uint8Array[]) {
  let toBrowser!: ReadableStreamDefaultController<Uint8Array>;
  const readable = new ReadableStream<Uint8Array>({ start: (c) => void (toBrowser = c) });
  const seen = { lines: [] as string[], rpcs: [] as { command: number; payload: number[] }[], bad: [] as string[] };
  const reader = new ImprovSerialReader({
    onLine: (l) => seen.lines.push(l),
    onBadFrame: (why) => seen.bad.push(why),
    onFrame: (type, data) => {
      if (type !== ImprovType.RPC) return;
      const rpc = parseRpc(data);
      if (!rpc.ok) {
        toBrowser.enqueue(encodeImprovFrame(ImprovType.ERROR_STATE, Uint8Array.of(rpc.error)));
        return;
      }
      seen.rpcs.push({ command: rpc.command, payload: Array.from(rpc.payload) });
      // The device's log goes on between frames: the browser must skip it.
      toBrowser.enqueue(text("paycard: console lines from the UART (type help)\n"));
      for (const frame of answer(rpc.command, rpc.payload)) toBrowser.enqueue(frame);
    },
  });
  const writable = { getWriter: () => ({ write: async (b: Uint8Array) => reader.push(b), releaseLock() {} }) };
  const port = { readable, writable } as unknown as ConstructorParameters<typeof ImprovSerial>[0];
  return { port, seen, close: () => toBrowser.close() };
}

const state = (s: number) => encodeImprovFrame(ImprovType.CURRENT_STATE, Uint8Array.of(s));
const result = (command: number, strings: string[]) => encodeImprovFrame(ImprovType.RPC_RESULT, encodeRpcResult(command, strings));

describe("Improv serial against improv-wifi-serial-sdk", () => {
  it("the SDK initializes, reads the device info (10 data bytes too) and provisions Wi-Fi through our codec", async () => {
    let provisioned: { ssid: string; password: string } | null = null;
    const { port, seen, close } = devicePort((command, payload) => {
      switch (command) {
        case ImprovCommand.REQUEST_CURRENT_STATE:
          return [state(ImprovState.READY)];
        case ImprovCommand.REQUEST_INFO:
          // 2 + (1+1) + (1+1) + (1+1) + (1+1) = 10 bytes of data: the SDK's reader would drop it unpadded.
          return [result(command, ["p", "1", "E", "t"])];
        case ImprovCommand.SEND_WIFI_SETTINGS: {
          const wifi = parseWifiSettings(payload);
          if (!wifi.ok) return [encodeImprovFrame(ImprovType.ERROR_STATE, Uint8Array.of(wifi.error))];
          provisioned = { ssid: wifi.ssid, password: wifi.password };
          return [state(ImprovState.PROVISIONING), state(ImprovState.PROVISIONED), result(command, ["http://term-1.local/"])];
        }
        default:
          return [encodeImprovFrame(ImprovType.ERROR_STATE, Uint8Array.of(ImprovError.UNKNOWN_RPC_COMMAND))];
      }
    });
    const sdk = new ImprovSerial(port, quiet);
    try {
      const info = await sdk.initialize(2_000);
      expect(sdk.state).toBe(ImprovState.READY);
      expect(info).toEqual({ firmware: "p", version: "1", chipFamily: "E", name: "t", osName: null, osVersion: null });
      await sdk.provision("Café Wi-Fi", "pässwörd 12", 2_000);
      expect(provisioned).toEqual({ ssid: "Café Wi-Fi", password: "pässwörd 12" });
      expect(sdk.state).toBe(ImprovState.PROVISIONED);
      expect(sdk.nextUrl).toBe("http://term-1.local/");
      expect(seen.rpcs.map((r) => r.command)).toEqual([ImprovCommand.REQUEST_CURRENT_STATE, ImprovCommand.REQUEST_INFO, ImprovCommand.SEND_WIFI_SETTINGS]);
      expect(seen.bad).toEqual([]);
    } finally {
      close();
    }
  });

  it("an error state from our codec rejects the SDK's RPC with that error's name", async () => {
    const { port, close } = devicePort((command) =>
      command === ImprovCommand.SEND_WIFI_SETTINGS
        ? [encodeImprovFrame(ImprovType.ERROR_STATE, Uint8Array.of(ImprovError.UNABLE_TO_CONNECT))]
        : command === ImprovCommand.REQUEST_CURRENT_STATE
          ? [state(ImprovState.READY)]
          : [result(command, ["paycard", "0.1.0", "ESP32", "term-1"])],
    );
    const sdk = new ImprovSerial(port, quiet);
    try {
      await sdk.initialize(2_000);
      await expect(sdk.provision("MyNet", "wrong", 2_000)).rejects.toBe("UNABLE_TO_CONNECT");
      expect(sdk.error).toBe(ImprovError.UNABLE_TO_CONNECT);
    } finally {
      close();
    }
  });

  /** paycard's own provisioner behind our reader, as the far end of a fake Web Serial port. */
  function provisionerPort(provisioned: boolean) {
    let toBrowser!: ReadableStreamDefaultController<Uint8Array>;
    const readable = new ReadableStream<Uint8Array>({ start: (c) => void (toBrowser = c) });
    const stored: [string, string][] = [];
    const provisioner = new ImprovProvisioner(
      {
        write: (f) => toBrowser.enqueue(f),
        storeWifi: (ssid, password) => {
          stored.push([ssid, password]);
          // The device brings Wi-Fi up a little later.
          setTimeout(() => provisioner.wifiUp(), 20);
          return null;
        },
      },
      { firmware: "paycard", version: "0.1.0", chip: "ESP32", name: "term-87ab0892" },
      provisioned,
    );
    const reader = new ImprovSerialReader({
      onLine: () => {},
      onBadFrame: () => provisioner.onBadFrame(),
      onFrame: (t, d) => provisioner.onFrame(t, d),
    });
    const port = { readable, writable: { getWriter: () => ({ write: async (b: Uint8Array) => reader.push(b), releaseLock() {} }) } };
    return { port: port as unknown as ConstructorParameters<typeof ImprovSerial>[0], stored, provisioner, close: () => toBrowser.close() };
  }

  it("the SDK provisions paycard's own provisioner: info, Wi-Fi stored, Provisioned once Wi-Fi is up", async () => {
    const { port, stored, close } = provisionerPort(false);
    const sdk = new ImprovSerial(port, quiet);
    try {
      const info = await sdk.initialize(2_000);
      expect(info).toMatchObject({ firmware: "paycard", version: "0.1.0", chipFamily: "ESP32", name: "term-87ab0892" });
      expect(sdk.state).toBe(ImprovState.READY);
      await sdk.provision("Lab Wi-Fi", "s3cret", 2_000);
      expect(stored).toEqual([["Lab Wi-Fi", "s3cret"]]);
      expect(sdk.state).toBe(ImprovState.PROVISIONED);
      expect(sdk.nextUrl).toBeUndefined();
    } finally {
      close();
    }
  });

  it("the SDK initializes against a terminal already on Wi-Fi (it waits for the state's RPC result too)", async () => {
    const { port, close } = provisionerPort(true);
    const sdk = new ImprovSerial(port, quiet);
    try {
      const info = await sdk.initialize(1_500);
      expect(sdk.state).toBe(ImprovState.PROVISIONED);
      expect(info?.name).toBe("term-87ab0892");
      expect(sdk.nextUrl).toBeUndefined();
    } finally {
      close();
    }
  });
});
