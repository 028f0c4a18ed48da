/**
 * Offline checks of the Wokwi lab: diagram.json, wokwi.toml and the card-test
 * scenario against each other, against Wokwi's part pin tables, against the
 * GPIOs in manifest.json's config and against the paths the device build
 * writes. No simulator, SDK or network needed. The negative cases feed broken
 * in-memory copies to the same validators, so each check is known to fail.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { WOKWI_ELF, WOKWI_FIRMWARE } from "../../src/host/device-build";
import {
  LAB_CONFIG_DEFAULTS,
  parseMiniToml,
  parseMiniYaml,
  PIN_KEYS,
  validateCardTestFlow,
  validateDiagram,
  validateManifest,
  validatePinChoices,
  validateScenario,
  validateWiring,
  validateWokwiToml,
  type Diagram,
  type PinConfig,
} from "../support/node/wokwi-lab";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const read = (rel: string) => readFileSync(path.join(root, rel), "utf8");

const diagram = JSON.parse(read("diagram.json")) as Diagram;
const manifest = JSON.parse(read("manifest.json")) as { config: Record<string, unknown> };
const scenario = parseMiniYaml(read("hosttest/wokwi/card-test.scenario.yaml"));
const toml = parseMiniToml(read("wokwi.toml"));
const pins = Object.fromEntries(PIN_KEYS.map((k) => [k, manifest.config[k]])) as PinConfig;

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe("Wokwi lab files as committed", () => {
  it("diagram.json: schema, known parts, unique ids, string attrs, valid endpoints and pins", () => {
    expect(validateDiagram(diagram)).toEqual([]);
  });

  it("manifest.json config GPIOs are usable on an ESP32-DevKitC V4", () => {
    expect(validatePinChoices(pins)).toEqual([]);
  });

  it("diagram.json wiring matches the manifest's GPIOs: buttons to GND, LEDs through 220 Ω to GND", () => {
    expect(validateWiring(diagram, pins)).toEqual([]);
  });

  it("card-test scenario: wokwi-cli structure, part ids and pins exist in diagram.json", () => {
    expect(validateScenario(scenario, diagram)).toEqual([]);
  });

  it("card-test scenario: ready line, press and release, BURST_ATTACK line, red LED high", () => {
    expect(validateCardTestFlow(scenario)).toEqual([]);
  });

  it("wokwi.toml points at the files the device build writes", () => {
    expect(validateWokwiToml(toml, { firmware: WOKWI_FIRMWARE, elf: WOKWI_ELF })).toEqual([]);
  });

  it("manifest.json: config defaults, lin overrides, no SDK ssid, device/main", () => {
    expect(validateManifest(manifest)).toEqual([]);
  });
});

describe("the validators reject broken copies", () => {
  it("diagram: wrong version, numeric attr, duplicate id, unknown type, bad endpoints", () => {
    const d = clone(diagram) as unknown as Record<string, unknown> & Diagram;
    d.version = 2;
    (d.parts[1].attrs as Record<string, unknown>).bounce = 0;
    d.parts.push({ ...clone(d.parts[2]) });
    d.parts.push({ type: "wokwi-buzzer", id: "bz", top: 0, left: 0, attrs: {} });
    d.connections.push(["esp:99", "led_red:K", "red", []], ["nope:1", "esp:GND.4", "", []], ["esp:TX", "$serialMonitor:CTS", "", []]);
    const problems = validateDiagram(d).join("\n");
    expect(problems).toContain(`"version" must be 1`);
    expect(problems).toContain("attrs.bounce must be a string");
    expect(problems).toContain(`duplicate part id "btn_card_test"`);
    expect(problems).toContain(`unknown part type "wokwi-buzzer"`);
    expect(problems).toContain(`"esp:99": board-esp32-devkit-c-v4 has no pin "99"`);
    expect(problems).toContain(`"led_red:K": wokwi-led has no pin "K"`);
    expect(problems).toContain(`"nope:1" names no part`);
    expect(problems).toContain(`"esp:GND.4": board-esp32-devkit-c-v4 has no pin "GND.4"`);
    expect(problems).toContain(`the serial monitor has pins TX, RX`);
  });

  it("diagram: a missing serial monitor link is reported", () => {
    const d = clone(diagram);
    d.connections = d.connections.filter(([a]) => a !== "esp:TX");
    expect(validateDiagram(d).join("\n")).toContain(`missing the serial monitor connection ["esp:TX"`);
  });

  it("wiring: button on the wrong GPIO, LED without resistor, LED anode not direct, wrong resistor value", () => {
    const d = clone(diagram);
    const swap = (from: string, to: string) => {
      d.connections = d.connections.map((c) => c.map((e) => (e === from ? to : e)) as typeof c);
    };
    swap("esp:26", "esp:14"); // card-test button moved off GPIO 26
    // Red LED cathode straight to GND, bypassing its resistor.
    d.connections = d.connections.filter(([a, b]) => !(a === "led_red:C" || b === "led_red:C"));
    d.connections.push(["led_red:C", "esp:GND.2", "black", []]);
    // Green LED anode through its resistor instead of directly.
    d.connections = d.connections.filter(([a, b]) => !(a === "esp:18" && b === "led_green:A"));
    d.connections.push(["esp:18", "r_green:1", "green", []]);
    d.parts.find((p) => p.id === "r_yellow")!.attrs.value = "10000";
    const problems = validateWiring(d, pins).join("\n");
    expect(problems).toContain("button btn_card_test must join GPIO 26");
    expect(problems).toContain("found contact 1 on GPIO 14");
    expect(problems).toContain("led_red:C (cathode) is wired straight to GND");
    expect(problems).toContain("led_green:A (anode) must be wired directly to esp:18");
    expect(problems).toContain(`resistor r_yellow (for led_yellow) must be 220 Ω, found "10000"`);
  });

  it("wiring: the manifest moving a GPIO without the diagram following is caught", () => {
    const moved = { ...pins, pinLedRed: 22 };
    expect(validateWiring(diagram, moved).join("\n")).toContain("led_red:A (anode) must be wired directly to esp:22");
  });

  it("pin choices: flash, serial, input-only and duplicate GPIOs", () => {
    const bad = { ...pins, pinSwipe: 34, pinCardTest: 7, pinBigTicket: 1, pinLedGreen: 36, pinLedYellow: 21 };
    const problems = validatePinChoices(bad).join("\n");
    expect(problems).toContain("config.pinSwipe = GPIO 34: GPIO 34-39 are input-only without pull-ups; unusable for a button");
    expect(problems).toContain("config.pinCardTest = GPIO 7: GPIO 6-11 drive the SPI flash");
    expect(problems).toContain("config.pinBigTicket = GPIO 1: GPIO 1/3 are the serial console");
    expect(problems).toContain("config.pinLedGreen = GPIO 36: GPIO 34-39 are input-only without pull-ups; unusable for a LED");
    expect(problems).toContain("config.pinLedRed and config.pinLedYellow both use GPIO 21");
    expect(validatePinChoices({ ...pins, pinLedRed: "21" }).join("\n")).toContain("config.pinLedRed must be a GPIO number");
  });

  it("scenario: unknown step, numeric delay, unknown part, pin and control", () => {
    const s = parseMiniYaml(`
name: broken
version: 1
steps:
  - wait-serial: 'paycard: ready'
  - press: btn_card_test
  - delay: 100
  - set-control:
      part-id: btn_ghost
      control: pressed
      value: 1
  - set-control:
      part-id: led_red
      control: pressed
      value: 1
  - expect-pin:
      part-id: led_red
      pin: K
      value: 1
`);
    const problems = validateScenario(s, diagram).join("\n");
    expect(problems).toContain(`unknown step "press"`);
    expect(problems).toContain(`delay must be a duration with units`);
    expect(problems).toContain(`part-id "btn_ghost" is not a part of diagram.json`);
    expect(problems).toContain(`wokwi-led "led_red" has no control "pressed"`);
    expect(problems).toContain(`wokwi-led "led_red" has no pin "K"`);
    expect(validateCardTestFlow(s).join("\n")).toContain(`expected a step "wait-serial containing 'ALERT BURST_ATTACK'"`);
  });

  it("wokwi.toml: wrong paths, missing elf and version", () => {
    const t = parseMiniToml(`[wokwi]\nversion = 2\nfirmware = "build/moddable/bin/esp32/instrument/main/xs_esp32.bin"\n`);
    const problems = validateWokwiToml(t, { firmware: WOKWI_FIRMWARE, elf: WOKWI_ELF }).join("\n");
    expect(problems).toContain("version must be 1");
    expect(problems).toContain(`firmware = "build/moddable/bin/esp32/instrument/main/xs_esp32.bin", but the device build writes "${WOKWI_FIRMWARE}"`);
    expect(problems).toContain("elf must be a string path");
    expect(validateWokwiToml(parseMiniToml("# empty\n"), { firmware: WOKWI_FIRMWARE, elf: WOKWI_ELF })).toEqual(["wokwi.toml: missing the [wokwi] table"]);
  });

  it("manifest: SDK ssid, wrong default, missing lin override, no main", () => {
    const m = clone(manifest) as Record<string, any>;
    m.config.ssid = "Wokwi-GUEST";
    m.config.brokerPort = "1883";
    delete m.platforms.lin.config.scriptedSwipes;
    delete m.creation.main;
    const problems = validateManifest(m).join("\n");
    expect(problems).toContain("config.ssid is set");
    expect(problems).toContain(`config.brokerPort must default to 1883, found "1883"`);
    expect(problems).toContain("platforms.lin.config.scriptedSwipes must be true");
    expect(problems).toContain(`creation.main must be "device/main"`);
    expect(Object.keys(LAB_CONFIG_DEFAULTS)).toEqual(expect.arrayContaining([...PIN_KEYS]));
  });
});

describe("the minimal YAML and TOML readers", () => {
  it("reads quoted strings with colons and hashes, nested mappings in lists, numbers and comments", () => {
    expect(
      parseMiniYaml(`# c
name: 'a: b # not a comment'
version: 1
steps:
- name: x
  wait-serial: "q\\"uote"   # comment
- set-control:
    part-id: p
    value: 0
`),
    ).toEqual({ name: "a: b # not a comment", version: 1, steps: [{ name: "x", "wait-serial": 'q"uote' }, { "set-control": { "part-id": "p", value: 0 } }] });
  });

  it("refuses YAML it does not understand instead of guessing", () => {
    expect(() => parseMiniYaml("steps: [a, b]\n")).toThrow(/flow collections/);
    expect(() => parseMiniYaml("a: 1\n   b: 2\n")).toThrow(/unexpected indentation/);
    expect(() => parseMiniYaml("a: 1\na: 2\n")).toThrow(/duplicate key/);
  });

  it("reads TOML tables, strings, integers and booleans; refuses arrays", () => {
    expect(parseMiniToml(`[wokwi]\nversion = 1 # v\nfirmware = 'a#b'\nelf = "x"\ngdb = true\n`)).toEqual({
      "": {},
      wokwi: { version: 1, firmware: "a#b", elf: "x", gdb: true },
    });
    expect(() => parseMiniToml(`[wokwi]\nparts = [1, 2]\n`)).toThrow(/unsupported value/);
  });
});
