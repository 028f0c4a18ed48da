/**
 * Offline validators for the Wokwi lab (diagram.json, wokwi.toml, the scenario
 * YAML) and for the device manifest it must agree with. Each validator returns
 * a list of human-readable problems (empty = valid), so a test can show all of
 * them at once and negative tests can feed broken copies.
 *
 * Part pin tables: Wokwi's board definition for board-esp32-devkit-c-v4
 * (wokwi/wokwi-boards boards/esp32-devkit-c-v4/board.json) and the part
 * reference pages (docs.wokwi.com/parts/wokwi-pushbutton, wokwi-led,
 * wokwi-resistor). Scenario steps: wokwi-cli's TestScenario and its
 * delay / wait-serial / set-control / expect-pin commands.
 *
 * The YAML and TOML readers below handle only the small subset these files
 * use (block mappings and sequences, quoted and plain scalars; [tables] and
 * key = value) and throw on anything else, rather than pulling in a parser
 * dependency.
 */

// ---------------------------------------------------------------------------
// Part tables

export interface BoardPin {
  /** The GPIO behind the header pin, if it is one. */
  gpio?: number;
  /** "GND", "3V3", "5V" or "EN". */
  rail?: "GND" | "3V3" | "5V" | "EN";
}

/** ESP32-DevKitC V4 header pins as Wokwi names them. Flash pins 6-11 carry their SD names. */
export const ESP32_DEVKITC_V4_PINS: Readonly<Record<string, BoardPin>> = {
  "3V3": { rail: "3V3" },
  EN: { rail: "EN" },
  VP: { gpio: 36 },
  VN: { gpio: 39 },
  "34": { gpio: 34 },
  "35": { gpio: 35 },
  "32": { gpio: 32 },
  "33": { gpio: 33 },
  "25": { gpio: 25 },
  "26": { gpio: 26 },
  "27": { gpio: 27 },
  "14": { gpio: 14 },
  "12": { gpio: 12 },
  "GND.1": { rail: "GND" },
  "13": { gpio: 13 },
  D2: { gpio: 9 },
  D3: { gpio: 10 },
  CMD: { gpio: 11 },
  "5V": { rail: "5V" },
  "GND.2": { rail: "GND" },
  "23": { gpio: 23 },
  "22": { gpio: 22 },
  TX: { gpio: 1 },
  RX: { gpio: 3 },
  "21": { gpio: 21 },
  "GND.3": { rail: "GND" },
  "19": { gpio: 19 },
  "18": { gpio: 18 },
  "5": { gpio: 5 },
  "17": { gpio: 17 },
  "16": { gpio: 16 },
  "4": { gpio: 4 },
  "0": { gpio: 0 },
  "2": { gpio: 2 },
  "15": { gpio: 15 },
  D1: { gpio: 8 },
  D0: { gpio: 7 },
  CLK: { gpio: 6 },
};

export const BOARD_TYPE = "board-esp32-devkit-c-v4";
export const SERIAL_MONITOR = "$serialMonitor";

/** Pins of every part type this lab may use. */
export const PART_PINS: Readonly<Record<string, readonly string[]>> = {
  [BOARD_TYPE]: Object.keys(ESP32_DEVKITC_V4_PINS),
  "wokwi-pushbutton": ["1.l", "1.r", "2.l", "2.r"],
  "wokwi-led": ["A", "C"],
  "wokwi-resistor": ["1", "2"],
};

/** Pins joined inside a part whatever its state (a pushbutton's two legs of one contact). */
const INTERNAL_LINKS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  "wokwi-pushbutton": [
    ["1.l", "1.r"],
    ["2.l", "2.r"],
  ],
};

/** Controls set-control may drive, per part type. */
export const PART_CONTROLS: Readonly<Record<string, readonly string[]>> = {
  "wokwi-pushbutton": ["pressed"],
};

const SERIAL_MONITOR_PINS = ["TX", "RX"];

/** GPIOs the ESP32 cannot give to buttons or LEDs. */
export const FLASH_GPIOS: readonly number[] = [6, 7, 8, 9, 10, 11];
export const SERIAL_GPIOS: readonly number[] = [1, 3];
/** Input only, and without internal pull-ups. */
export const INPUT_ONLY_GPIOS: readonly number[] = [34, 35, 36, 37, 38, 39];

// ---------------------------------------------------------------------------
// The lab's wiring contract: which part sits on which manifest config key.

export const LAB_BUTTONS = { btn_swipe: "pinSwipe", btn_card_test: "pinCardTest", btn_big_ticket: "pinBigTicket" } as const;
export const LAB_LEDS = {
  led_green: { pin: "pinLedGreen", color: "green" },
  led_yellow: { pin: "pinLedYellow", color: "yellow" },
  led_red: { pin: "pinLedRed", color: "red" },
} as const;
export const LED_RESISTOR_OHMS = "220";

export type PinKey = (typeof LAB_BUTTONS)[keyof typeof LAB_BUTTONS] | (typeof LAB_LEDS)[keyof typeof LAB_LEDS]["pin"];
export type PinConfig = Record<PinKey, number>;

export const PIN_KEYS: readonly PinKey[] = [...Object.values(LAB_BUTTONS), ...Object.values(LAB_LEDS).map((l) => l.pin)];

// ---------------------------------------------------------------------------
// diagram.json

export interface DiagramPart {
  type: string;
  id: string;
  top: number;
  left: number;
  rotate?: number;
  attrs: Record<string, string>;
}
export type DiagramConnection = [string, string, string, string[]];
export interface Diagram {
  version: number;
  author?: string;
  editor?: string;
  parts: DiagramPart[];
  connections: DiagramConnection[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function splitEndpoint(endpoint: string): [string, string] | undefined {
  const i = endpoint.indexOf(":");
  if (i <= 0 || i === endpoint.length - 1) return undefined;
  return [endpoint.slice(0, i), endpoint.slice(i + 1)];
}

/** Schema basics, known part types, unique ids, string attrs, and every connection endpoint. */
export function validateDiagram(input: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(input)) return ["diagram.json: the top level must be an object"];
  if (input.version !== 1) problems.push(`diagram.json: "version" must be 1, found ${JSON.stringify(input.version)}`);
  if (input.editor !== undefined && input.editor !== "wokwi") problems.push(`diagram.json: "editor" must be "wokwi", found ${JSON.stringify(input.editor)}`);
  if (input.author !== undefined && typeof input.author !== "string") problems.push(`diagram.json: "author" must be a string`);
  if (!Array.isArray(input.parts)) return [...problems, `diagram.json: "parts" must be an array`];
  if (!Array.isArray(input.connections)) return [...problems, `diagram.json: "connections" must be an array`];

  const types = new Map<string, string>();
  input.parts.forEach((p: unknown, i: number) => {
    const where = `diagram.json parts[${i}]`;
    if (!isRecord(p)) {
      problems.push(`${where}: must be an object`);
      return;
    }
    if (typeof p.id !== "string" || p.id === "") problems.push(`${where}: "id" must be a non-empty string`);
    const id = typeof p.id === "string" ? p.id : `#${i}`;
    if (typeof p.type !== "string") problems.push(`${where} (${id}): "type" must be a string`);
    else if (!(p.type in PART_PINS)) problems.push(`${where} (${id}): unknown part type "${p.type}"; this lab knows ${Object.keys(PART_PINS).join(", ")}`);
    for (const k of ["top", "left"]) if (typeof p[k] !== "number") problems.push(`${where} (${id}): "${k}" must be a number`);
    if (p.rotate !== undefined && typeof p.rotate !== "number") problems.push(`${where} (${id}): "rotate" must be a number`);
    if (!isRecord(p.attrs)) problems.push(`${where} (${id}): "attrs" must be an object`);
    else {
      for (const [k, v] of Object.entries(p.attrs)) {
        if (typeof v !== "string") problems.push(`${where} (${id}): attrs.${k} must be a string (Wokwi attrs are strings), found ${JSON.stringify(v)}`);
      }
    }
    if (typeof p.id === "string") {
      if (types.has(p.id)) problems.push(`${where}: duplicate part id "${p.id}"`);
      else if (typeof p.type === "string") types.set(p.id, p.type);
    }
  });
  if (types.get("esp") !== BOARD_TYPE) {
    problems.push(`diagram.json: the board must be a "${BOARD_TYPE}" with id "esp"`);
  }

  input.connections.forEach((c: unknown, i: number) => {
    const where = `diagram.json connections[${i}]`;
    if (!Array.isArray(c) || c.length !== 4) {
      problems.push(`${where}: must be [from, to, color, route[]]`);
      return;
    }
    const [from, to, color, route] = c as unknown[];
    if (typeof color !== "string") problems.push(`${where}: color must be a string`);
    if (!Array.isArray(route) || !route.every((r) => typeof r === "string")) problems.push(`${where}: route must be an array of strings`);
    for (const end of [from, to]) {
      if (typeof end !== "string") {
        problems.push(`${where}: endpoint ${JSON.stringify(end)} must be a "part:pin" string`);
        continue;
      }
      const parts = splitEndpoint(end);
      if (parts === undefined) {
        problems.push(`${where}: endpoint "${end}" is not "part:pin"`);
        continue;
      }
      const [id, pin] = parts;
      if (id === SERIAL_MONITOR) {
        if (!SERIAL_MONITOR_PINS.includes(pin)) problems.push(`${where}: "${end}": the serial monitor has pins ${SERIAL_MONITOR_PINS.join(", ")}`);
        continue;
      }
      const type = types.get(id);
      if (type === undefined) {
        problems.push(`${where}: "${end}" names no part (ids: ${[...types.keys()].join(", ")})`);
        continue;
      }
      const pins = PART_PINS[type];
      if (pins !== undefined && !pins.includes(pin)) problems.push(`${where}: "${end}": ${type} has no pin "${pin}" (pins: ${pins.join(" ")})`);
    }
  });

  const connections: unknown[] = input.connections;
  const has = (a: string, b: string) =>
    connections.some((c: unknown) => Array.isArray(c) && ((c[0] === a && c[1] === b) || (c[0] === b && c[1] === a)));
  if (!has("esp:TX", `${SERIAL_MONITOR}:RX`)) problems.push(`diagram.json: missing the serial monitor connection ["esp:TX", "${SERIAL_MONITOR}:RX", "", []]`);
  if (!has("esp:RX", `${SERIAL_MONITOR}:TX`)) problems.push(`diagram.json: missing the serial monitor connection ["esp:RX", "${SERIAL_MONITOR}:TX", "", []]`);
  return problems;
}

/** Electrical nets: endpoints joined by wires, by a part's internal links, and all board GND pins. */
class Nets {
  private parent = new Map<string, string>();
  find(x: string): string {
    let p = this.parent.get(x) ?? x;
    if (p !== x) {
      p = this.find(p);
      this.parent.set(x, p);
    }
    return p;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra, rb);
  }
  members(x: string, universe: Iterable<string>): string[] {
    const r = this.find(x);
    return [...universe].filter((e) => this.find(e) === r);
  }
}

const GND = "<GND>";

function buildNets(d: Diagram): { nets: Nets; endpoints: Set<string> } {
  const nets = new Nets();
  const endpoints = new Set<string>();
  for (const [from, to] of d.connections) {
    endpoints.add(from);
    endpoints.add(to);
    nets.union(from, to);
  }
  for (const part of d.parts) {
    for (const [a, b] of INTERNAL_LINKS[part.type] ?? []) nets.union(`${part.id}:${a}`, `${part.id}:${b}`);
    if (part.type === BOARD_TYPE) {
      for (const [pin, info] of Object.entries(ESP32_DEVKITC_V4_PINS)) if (info.rail === "GND") nets.union(`${part.id}:${pin}`, GND);
    }
  }
  endpoints.add(GND);
  return { nets, endpoints };
}

function boardPinName(gpio: number): string | undefined {
  return Object.entries(ESP32_DEVKITC_V4_PINS).find(([, info]) => info.gpio === gpio)?.[0];
}

/** GPIOs of the board that sit on the net of `endpoint`. */
function gpiosOnNet(nets: Nets, endpoints: Set<string>, endpoint: string): number[] {
  return nets
    .members(endpoint, endpoints)
    .filter((e) => e.startsWith("esp:"))
    .map((e) => ESP32_DEVKITC_V4_PINS[e.slice(4)]?.gpio)
    .filter((g): g is number => g !== undefined);
}

/**
 * The lab's circuit: each button joins its config GPIO to GND (one contact each),
 * each LED's anode is wired straight to its config GPIO and its cathode reaches
 * GND only through a 220 Ω resistor.
 */
export function validateWiring(d: Diagram, pins: PinConfig): string[] {
  const problems: string[] = [];
  const { nets, endpoints } = buildNets(d);
  const partById = new Map(d.parts.map((p) => [p.id, p]));
  const onGnd = (e: string) => nets.find(e) === nets.find(GND);

  for (const [id, key] of Object.entries(LAB_BUTTONS)) {
    const part = partById.get(id);
    const gpio = pins[key];
    if (part === undefined || part.type !== "wokwi-pushbutton") {
      problems.push(`diagram.json: no wokwi-pushbutton "${id}" (config ${key} = GPIO ${gpio})`);
      continue;
    }
    const pinName = boardPinName(gpio);
    const c1 = gpiosOnNet(nets, endpoints, `${id}:1.l`);
    const c2 = gpiosOnNet(nets, endpoints, `${id}:2.l`);
    const g1 = onGnd(`${id}:1.l`);
    const g2 = onGnd(`${id}:2.l`);
    const ok = (c1.length === 1 && c1[0] === gpio && !g1 && g2 && c2.length === 0) || (c2.length === 1 && c2[0] === gpio && !g2 && g1 && c1.length === 0);
    if (!ok) {
      problems.push(
        `diagram.json: button ${id} must join GPIO ${gpio} (esp:${pinName ?? "?"}, config ${key}) on one contact to GND on the other; ` +
          `found contact 1 on ${describeNet(c1, g1)}, contact 2 on ${describeNet(c2, g2)}`,
      );
    }
    const bounce = part.attrs.bounce;
    if (bounce !== undefined && bounce !== "0") problems.push(`diagram.json: ${id} attrs.bounce must be "0" or absent, found "${bounce}"`);
  }

  for (const [id, spec] of Object.entries(LAB_LEDS)) {
    const part = partById.get(id);
    const gpio = pins[spec.pin];
    if (part === undefined || part.type !== "wokwi-led") {
      problems.push(`diagram.json: no wokwi-led "${id}" (config ${spec.pin} = GPIO ${gpio})`);
      continue;
    }
    if (part.attrs.color !== spec.color) problems.push(`diagram.json: ${id} attrs.color must be "${spec.color}", found ${JSON.stringify(part.attrs.color)}`);
    const pinName = boardPinName(gpio);
    const direct = d.connections.some(
      ([a, b]) => (a === `esp:${pinName}` && b === `${id}:A`) || (b === `esp:${pinName}` && a === `${id}:A`),
    );
    if (!direct) problems.push(`diagram.json: ${id}:A (anode) must be wired directly to esp:${pinName ?? "?"} (GPIO ${gpio}, config ${spec.pin})`);
    const anodeGpios = gpiosOnNet(nets, endpoints, `${id}:A`);
    if (anodeGpios.length > 1 || onGnd(`${id}:A`)) problems.push(`diagram.json: ${id}:A shares its net with ${describeNet(anodeGpios, onGnd(`${id}:A`))}`);

    // Cathode -> resistor -> GND, and nothing else on the cathode's net.
    const cathodeNet = nets.members(`${id}:C`, endpoints);
    const resistorPins = cathodeNet.filter((e) => partById.get(e.split(":")[0])?.type === "wokwi-resistor");
    if (onGnd(`${id}:C`)) problems.push(`diagram.json: ${id}:C (cathode) is wired straight to GND; it must go through a ${LED_RESISTOR_OHMS} Ω resistor`);
    if (gpiosOnNet(nets, endpoints, `${id}:C`).length > 0) problems.push(`diagram.json: ${id}:C (cathode) touches a GPIO`);
    if (resistorPins.length !== 1) {
      problems.push(`diagram.json: ${id}:C (cathode) must connect to exactly one resistor pin, found ${resistorPins.length === 0 ? "none" : resistorPins.join(", ")}`);
      continue;
    }
    const [rid, rpin] = resistorPins[0].split(":");
    const other = `${rid}:${rpin === "1" ? "2" : "1"}`;
    if (!onGnd(other)) problems.push(`diagram.json: resistor ${rid} must connect ${id}:C to GND; its other pin ${other} is not on GND`);
    const ohms = partById.get(rid)?.attrs.value;
    if (ohms !== LED_RESISTOR_OHMS) problems.push(`diagram.json: resistor ${rid} (for ${id}) must be ${LED_RESISTOR_OHMS} Ω, found ${JSON.stringify(ohms)}`);
  }
  return problems;
}

function describeNet(gpios: number[], gnd: boolean): string {
  const parts = [...gpios.map((g) => `GPIO ${g}`), ...(gnd ? ["GND"] : [])];
  return parts.length === 0 ? "nothing" : parts.join(" + ");
}

/** GPIO choices: on the header, distinct, not flash/serial pins, no input-only pins for LEDs or pull-up buttons. */
export function validatePinChoices(pins: Partial<Record<PinKey, unknown>>): string[] {
  const problems: string[] = [];
  const seen = new Map<number, string>();
  const buttons = new Set<string>(Object.values(LAB_BUTTONS));
  for (const key of PIN_KEYS) {
    const v = pins[key];
    if (typeof v !== "number" || !Number.isInteger(v)) {
      problems.push(`manifest.json config.${key} must be a GPIO number, found ${JSON.stringify(v)}`);
      continue;
    }
    const role = buttons.has(key) ? "button (input with internal pull-up)" : "LED (output)";
    if (boardPinName(v) === undefined) problems.push(`config.${key} = GPIO ${v}: not a pin of the ESP32-DevKitC V4 header`);
    if (FLASH_GPIOS.includes(v)) problems.push(`config.${key} = GPIO ${v}: GPIO 6-11 drive the SPI flash; never use them for IO`);
    if (SERIAL_GPIOS.includes(v)) problems.push(`config.${key} = GPIO ${v}: GPIO 1/3 are the serial console (TX/RX)`);
    if (INPUT_ONLY_GPIOS.includes(v)) {
      problems.push(`config.${key} = GPIO ${v}: GPIO 34-39 are input-only without pull-ups; unusable for a ${role}`);
    }
    const prev = seen.get(v);
    if (prev !== undefined) problems.push(`config.${key} and config.${prev} both use GPIO ${v}`);
    seen.set(v, key);
  }
  return problems;
}

// ---------------------------------------------------------------------------
// Scenario (wokwi-cli automation YAML)

/** wokwi-cli's duration syntax (utils/parseTime.ts): a number with ns/us/ms/s, or 0. */
const DURATION = /^(\d+(\.\d*)?)\s*(ns|us|ms|s)$|^0(\.?0*)$/i;
export const SCENARIO_STEP_KEYS = ["delay", "wait-serial", "write-serial", "set-control", "expect-pin", "take-screenshot"] as const;

export interface ScenarioStep {
  [key: string]: unknown;
}

/** Structure as wokwi-cli validates it, plus part ids, controls and pins checked against the diagram. */
export function validateScenario(input: unknown, d: Diagram): string[] {
  const problems: string[] = [];
  if (!isRecord(input)) return ["scenario: the top level must be a mapping"];
  if (typeof input.name !== "string") problems.push(`scenario: "name" must be a string`);
  if (input.version !== 1) problems.push(`scenario: "version" must be 1, found ${JSON.stringify(input.version)}`);
  if (!Array.isArray(input.steps)) return [...problems, `scenario: "steps" must be a list`];
  const types = new Map(d.parts.map((p) => [p.id, p.type]));
  input.steps.forEach((step: unknown, i: number) => {
    const where = `scenario steps[${i}]`;
    if (!isRecord(step)) {
      problems.push(`${where}: must be a mapping`);
      return;
    }
    const keys = Object.keys(step).filter((k) => k !== "name");
    for (const k of keys) {
      if (!(SCENARIO_STEP_KEYS as readonly string[]).includes(k)) problems.push(`${where}: unknown step "${k}" (wokwi-cli knows ${SCENARIO_STEP_KEYS.join(", ")})`);
    }
    if (keys.length !== 1) problems.push(`${where}: needs exactly one command, found ${keys.length === 0 ? "none" : keys.join(", ")}`);
    if (step.name !== undefined && typeof step.name !== "string") problems.push(`${where}: "name" must be a string`);
    for (const k of keys) {
      const v = step[k];
      switch (k) {
        case "delay":
          if (typeof v !== "string" || !DURATION.test(v.trim())) problems.push(`${where}: delay must be a duration with units such as "100ms", found ${JSON.stringify(v)}`);
          break;
        case "wait-serial":
          if (typeof v !== "string" || v === "") problems.push(`${where}: wait-serial must be a non-empty string`);
          break;
        case "set-control":
        case "expect-pin": {
          if (!isRecord(v)) {
            problems.push(`${where}: ${k} must be a mapping`);
            break;
          }
          const id = v["part-id"];
          const type = typeof id === "string" ? types.get(id) : undefined;
          if (type === undefined) {
            problems.push(`${where}: ${k} part-id ${JSON.stringify(id)} is not a part of diagram.json`);
            break;
          }
          if (typeof v.value !== "number") problems.push(`${where}: ${k} value must be a number, found ${JSON.stringify(v.value)}`);
          if (k === "set-control") {
            const controls = PART_CONTROLS[type] ?? [];
            if (typeof v.control !== "string" || !controls.includes(v.control)) {
              problems.push(`${where}: set-control: ${type} "${id}" has no control ${JSON.stringify(v.control)} (controls: ${controls.join(", ") || "none"})`);
            }
          } else {
            const pins = PART_PINS[type] ?? [];
            if (typeof v.pin !== "string" || !pins.includes(v.pin)) problems.push(`${where}: expect-pin: ${type} "${id}" has no pin ${JSON.stringify(v.pin)} (pins: ${pins.join(" ")})`);
            if (v.value !== 0 && v.value !== 1) problems.push(`${where}: expect-pin value must be 0 or 1`);
          }
          break;
        }
      }
    }
  });
  return problems;
}

/**
 * The card-test lab flow: boot line, a press and release of btn_card_test, the
 * BURST_ATTACK alert line, then the red LED's anode high.
 */
export function validateCardTestFlow(input: unknown): string[] {
  if (!isRecord(input) || !Array.isArray(input.steps)) return ["scenario: no steps"];
  const steps = input.steps.filter(isRecord);
  const expectations: [string, (s: Record<string, unknown>) => boolean][] = [
    ["wait-serial containing 'paycard: ready'", (s) => typeof s["wait-serial"] === "string" && (s["wait-serial"] as string).includes("paycard: ready")],
    ["set-control btn_card_test pressed 1", (s) => isControl(s, "btn_card_test", 1)],
    ["delay", (s) => typeof s.delay === "string"],
    ["set-control btn_card_test pressed 0", (s) => isControl(s, "btn_card_test", 0)],
    ["wait-serial containing 'ALERT BURST_ATTACK'", (s) => typeof s["wait-serial"] === "string" && (s["wait-serial"] as string).includes("ALERT BURST_ATTACK")],
    ["expect-pin led_red A 1", (s) => isRecord(s["expect-pin"]) && s["expect-pin"]["part-id"] === "led_red" && s["expect-pin"].pin === "A" && s["expect-pin"].value === 1],
  ];
  const problems: string[] = [];
  let at = 0;
  for (const [what, test] of expectations) {
    const found = steps.findIndex((s, i) => i >= at && test(s));
    if (found < 0) {
      problems.push(`scenario: expected a step "${what}" after step ${at}`);
      continue;
    }
    at = found + 1;
  }
  return problems;
}

function isControl(s: Record<string, unknown>, id: string, value: number): boolean {
  const v = s["set-control"];
  return isRecord(v) && v["part-id"] === id && v.control === "pressed" && v.value === value;
}

// ---------------------------------------------------------------------------
// wokwi.toml

export function validateWokwiToml(toml: Record<string, Record<string, unknown>>, expected: { firmware: string; elf: string }): string[] {
  const problems: string[] = [];
  const w = toml.wokwi;
  if (w === undefined) return ["wokwi.toml: missing the [wokwi] table"];
  if (w.version !== 1) problems.push(`wokwi.toml: version must be 1, found ${JSON.stringify(w.version)}`);
  for (const key of ["firmware", "elf"] as const) {
    const v = w[key];
    if (typeof v !== "string") problems.push(`wokwi.toml: ${key} must be a string path, found ${JSON.stringify(v)}`);
    else if (normalize(v) !== normalize(expected[key])) {
      problems.push(`wokwi.toml: ${key} = "${v}", but the device build writes "${expected[key]}" (src/host/device-build.ts)`);
    }
  }
  if (typeof w.firmware === "string" && !w.firmware.endsWith("flasher_args.json") && !w.firmware.endsWith(".bin")) {
    problems.push(`wokwi.toml: firmware must be a flasher_args.json (a file of exactly that name) or a merged .bin image`);
  }
  return problems;
}

function normalize(p: string): string {
  return p.replace(/^\.\//, "");
}

// ---------------------------------------------------------------------------
// manifest.json

export const LAB_CONFIG_DEFAULTS: Readonly<Record<string, string | number | boolean>> = {
  terminalId: "",
  merchantId: "merch_demo_001",
  topicPrefix: "paycard",
  wifiSsid: "Wokwi-GUEST",
  wifiPassword: "",
  brokerHost: "test.mosquitto.org",
  brokerPort: 1883,
  brokerTls: false,
  brokerUser: "",
  brokerPassword: "",
  ntpServers: "0.pool.ntp.org,1.pool.ntp.org,2.pool.ntp.org",
  pinSwipe: 25,
  pinCardTest: 26,
  pinBigTicket: 27,
  pinLedGreen: 18,
  pinLedYellow: 19,
  pinLedRed: 21,
};
export const LIN_CONFIG_OVERRIDES: Readonly<Record<string, string | number | boolean>> = {
  brokerHost: "127.0.0.1",
  ntpServers: "127.0.0.1",
  scriptedSwipes: true,
};

/**
 * The device manifest: config defaults, the lin overrides, no SDK `ssid` (it would
 * make setup/network hold main until Wi-Fi is up) and main at device/main. The module
 * mappings and preload lists live in the folders' fragments (manifest-fragments.ts).
 */
export function validateManifest(manifest: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(manifest)) return ["manifest.json: the top level must be an object"];
  const config = isRecord(manifest.config) ? manifest.config : {};
  for (const [k, v] of Object.entries(LAB_CONFIG_DEFAULTS)) {
    if (config[k] !== v) problems.push(`manifest.json config.${k} must default to ${JSON.stringify(v)}, found ${JSON.stringify(config[k])}`);
  }
  const platforms = isRecord(manifest.platforms) ? manifest.platforms : {};
  const lin = isRecord(platforms.lin) ? platforms.lin : {};
  const linConfig = isRecord(lin.config) ? lin.config : {};
  for (const [k, v] of Object.entries(LIN_CONFIG_OVERRIDES)) {
    if (linConfig[k] !== v) problems.push(`manifest.json platforms.lin.config.${k} must be ${JSON.stringify(v)}, found ${JSON.stringify(linConfig[k])}`);
  }
  const configs: [string, Record<string, unknown>][] = [["config", config]];
  for (const [name, p] of Object.entries(platforms)) if (isRecord(p) && isRecord(p.config)) configs.push([`platforms.${name}.config`, p.config]);
  for (const [where, c] of configs) {
    if ("ssid" in c) problems.push(`manifest.json ${where}.ssid is set: the SDK's setup/network would block main until Wi-Fi connects; use wifiSsid`);
  }
  const creation = isRecord(manifest.creation) ? manifest.creation : {};
  if (creation.main !== "device/main") {
    problems.push(`manifest.json creation.main must be "device/main" (main's "../core/..." imports resolve only from device/), found ${JSON.stringify(creation.main)}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------
// Minimal YAML (block subset)

interface YamlLine {
  indent: number;
  text: string;
  no: number;
}

function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote !== null) {
      if (ch === quote) {
        if (quote === "'" && line[i + 1] === "'") i++;
        else quote = null;
      } else if (ch === "\\" && quote === '"') i++;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === "#" && (i === 0 || /\s/.test(line[i - 1]))) {
      return line.slice(0, i);
    }
  }
  return line;
}

function yamlScalar(raw: string, no: number): unknown {
  const s = raw.trim();
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) throw new Error(`YAML line ${no}: unterminated '...' string`);
    return s.slice(1, -1).replace(/''/g, "'");
  }
  if (s.startsWith('"')) {
    if (!s.endsWith('"') || s.length < 2) throw new Error(`YAML line ${no}: unterminated "..." string`);
    return s.slice(1, -1).replace(/\\(["\\nt])/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : c));
  }
  if (s.startsWith("[") || s.startsWith("{") || s.startsWith("&") || s.startsWith("*") || s.startsWith("|") || s.startsWith(">")) {
    throw new Error(`YAML line ${no}: flow collections, anchors and block scalars are not supported here`);
  }
  if (/^-?\d+$/.test(s)) return Number(s);
  if (/^-?\d+\.\d+$/.test(s)) return Number(s);
  if (s === "true") return true;
  if (s === "false") return false;
  if (s === "null" || s === "~" || s === "") return null;
  return s;
}

/** Splits "key: value" (value may be empty); undefined when the text is not a mapping entry. */
function splitKey(text: string): [string, string] | undefined {
  const m = /^([A-Za-z0-9_.-]+):(?:\s+(.*)|)$/.exec(text);
  return m === null ? undefined : [m[1], m[2] ?? ""];
}

export function parseMiniYaml(source: string): unknown {
  const lines: YamlLine[] = [];
  source.split(/\r?\n/).forEach((raw, i) => {
    if (/\t/.test(raw.slice(0, raw.length - raw.trimStart().length))) throw new Error(`YAML line ${i + 1}: tabs are not allowed for indentation`);
    const text = stripComment(raw).trimEnd();
    if (text.trim() === "" || text.trim() === "---") return;
    lines.push({ indent: text.length - text.trimStart().length, text: text.trimStart(), no: i + 1 });
  });
  let pos = 0;

  const parseBlock = (indent: number): unknown => {
    const first = lines[pos];
    if (first.text === "-" || first.text.startsWith("- ")) return parseSeq(indent);
    return parseMap(indent);
  };

  const parseSeq = (indent: number): unknown[] => {
    const out: unknown[] = [];
    while (pos < lines.length && lines[pos].indent === indent && (lines[pos].text === "-" || lines[pos].text.startsWith("- "))) {
      const line = lines[pos];
      const content = line.text === "-" ? "" : line.text.slice(2).trimStart();
      if (content === "") {
        pos++;
        out.push(pos < lines.length && lines[pos].indent > indent ? parseBlock(lines[pos].indent) : null);
      } else if (splitKey(content) !== undefined) {
        // "- key: value" opens a mapping whose keys line up with "key".
        const inner = indent + (line.text.length - content.length);
        lines[pos] = { indent: inner, text: content, no: line.no };
        out.push(parseMap(inner));
      } else {
        out.push(yamlScalar(content, line.no));
        pos++;
      }
    }
    if (pos < lines.length && lines[pos].indent > indent) throw new Error(`YAML line ${lines[pos].no}: unexpected indentation`);
    return out;
  };

  const parseMap = (indent: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    while (pos < lines.length && lines[pos].indent === indent && !(lines[pos].text === "-" || lines[pos].text.startsWith("- "))) {
      const line = lines[pos];
      const kv = splitKey(line.text);
      if (kv === undefined) throw new Error(`YAML line ${line.no}: expected "key: value", found ${JSON.stringify(line.text)}`);
      const [key, value] = kv;
      if (key in out) throw new Error(`YAML line ${line.no}: duplicate key "${key}"`);
      pos++;
      if (value !== "") out[key] = yamlScalar(value, line.no);
      else if (pos < lines.length && lines[pos].indent > indent) out[key] = parseBlock(lines[pos].indent);
      else if (pos < lines.length && lines[pos].indent === indent && lines[pos].text.startsWith("- ")) out[key] = parseSeq(indent);
      else out[key] = null;
    }
    if (pos < lines.length && lines[pos].indent > indent) throw new Error(`YAML line ${lines[pos].no}: unexpected indentation`);
    return out;
  };

  if (lines.length === 0) return null;
  const result = parseBlock(lines[0].indent);
  if (pos < lines.length) throw new Error(`YAML line ${lines[pos].no}: unexpected content ${JSON.stringify(lines[pos].text)}`);
  return result;
}

// ---------------------------------------------------------------------------
// Minimal TOML (tables and key = scalar)

function tomlValue(raw: string, no: number): unknown {
  const s = raw.trim();
  let m: RegExpExecArray | null;
  if ((m = /^"((?:[^"\\]|\\.)*)"$/.exec(s)) !== null) {
    return m[1].replace(/\\(["\\nt])/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : c));
  }
  if ((m = /^'([^']*)'$/.exec(s)) !== null) return m[1];
  if (/^[+-]?\d+$/.test(s)) return Number(s);
  if (/^[+-]?\d+\.\d+$/.test(s)) return Number(s);
  if (s === "true") return true;
  if (s === "false") return false;
  throw new Error(`TOML line ${no}: unsupported value ${JSON.stringify(s)}`);
}

export function parseMiniToml(source: string): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = { "": {} };
  let table = "";
  source.split(/\r?\n/).forEach((raw, i) => {
    const no = i + 1;
    const line = stripComment(raw).trim();
    if (line === "") return;
    let m: RegExpExecArray | null;
    if ((m = /^\[\s*([A-Za-z0-9_.-]+)\s*\]$/.exec(line)) !== null) {
      table = m[1];
      if (table in out) throw new Error(`TOML line ${no}: table [${table}] defined twice`);
      out[table] = {};
      return;
    }
    if ((m = /^([A-Za-z0-9_-]+)\s*=\s*(.+)$/.exec(line)) !== null) {
      if (m[1] in out[table]) throw new Error(`TOML line ${no}: duplicate key ${m[1]}`);
      out[table][m[1]] = tomlValue(m[2], no);
      return;
    }
    throw new Error(`TOML line ${no}: cannot parse ${JSON.stringify(line)}`);
  });
  return out;
}
