/**
 * Device entry point (Moddable; esp32 and the lin simulator).
 *
 * Composes the engine-neutral TerminalApp (src/core/app) with the device's
 * ports:
 *   clock      DisciplinedEventClock = DisciplinedClock + SntpClient over
 *              embedded:io/socket/udp, Net.resolve and Time.microseconds
 *   transport  embedded:io/socket/tcp, the broker's name resolved first; with
 *              brokerTls the SDK's TLS session on it (ecma419-tls-transport)
 *   journal    SegmentedJournal: CRC frames in segment files, also the
 *              store-and-forward backlog (littlefs on the ESP32, /tmp on lin)
 *   boot id    Preference (NVS);  random: the hardware RNG
 * and drives it from a 50 ms Timer. Input: on the ESP32 three buttons and
 * JSON lines on the serial console (esp32-platform.ts, loaded dynamically:
 * that module does not exist in the lin build); on lin a timer script.
 *
 * Composition only: the serial log's lines are serial-log.ts's, the lin lab's
 * script is lab-script.ts, the board's wiring board-io.ts.
 *
 * Nothing may escape a callback (an uncaught exception reboots the ESP32):
 * every Timer, socket, pin and Wi-Fi callback runs under guard() (faults.ts),
 * the app's observers are guarded by the app, and the one promise (the
 * dynamic import) has a rejection handler.
 */
import config from "mc/config";
import Time from "time";
import Timer from "timer";
import type { Alert } from "../core/model/alert";
import { DisciplinedEventClock } from "../core/app/disciplined-event-clock";
import { terminalCommands } from "../core/app/console-reports";
import { createTimeReading } from "../core/app/event-clock";
import { HeapMargin } from "../core/app/heap-margin";
import { nativeCrc32 } from "./native-crc32";
import { SwipeDecision } from "../core/app/swipe-decision";
import { TerminalApp, type TerminalCounters } from "../core/app/terminal-app";
import { DisciplinedClock } from "../core/clock/discipline/disciplined-clock";
import { SntpClient } from "../core/clock/sntp/sntp-client";
import type { JournalRecord } from "../core/outbox/journal-record";
import { SegmentedJournal } from "../core/outbox/segmented-journal";
import { PreferenceBootCounter } from "./boot-counter";
import { brokerTransportFactory, createBrokerTransportCounters } from "./broker-transport";
import { deviceConfig, type DeviceConfig, deviceStorageOptions } from "../core/settings/device-config";
import { InstallerLock } from "../core/settings/installer-lock";
import { SettingsConsole, startupConfig, storedSettings } from "../core/settings/settings-console";
import { resolveTerminalId, type TerminalIdentity } from "../core/settings/terminal-identity";
import { chipMac } from "./chip-mac";
import { ConsoleFile } from "./console-file";
import { FIRMWARE_NAME, FIRMWARE_VERSION } from "./firmware-info";
import { PreferenceSettingsStore } from "./preference-settings-store";
import type { Board } from "./esp32-platform";
import { Faults } from "./faults";
import { HardwareRandom } from "./hardware-random";
import { XsInstrumentation, type XsUse } from "./instrumentation-port";
import { LittlefsSegmentStore } from "./littlefs-segment-store";
import { ModdableMonotonicClock } from "./moddable-clock";
import { moddableUdpSocketFactory } from "./moddable-udp";
import { NetResolver } from "./net-resolver";
import { StatusLeds, type Led } from "./status-leds";
import { ackLine, alertLine, clockLine, linkUpLine, statusLine, swipeLine, unparsableLine } from "./serial-log";
import { runLabScript, SCRIPT_CARD_POOL } from "./lab-script";
import { startBoardIo } from "./board-io";
import { SerialProvisioning } from "./serial-provisioning";
import { SwipeMaker, type ReaderSwipe } from "./swipe-source";

/** XS's native UTF-8 encoding: a JS loop would cost ~90 steps a character. */
const NATIVE_UTF8 = { encode: (s: string) => new Uint8Array(ArrayBuffer.fromString(s)) };
/**
 * The main loop's period. 50 ms: the LEDs, the console and the MQTT and SNTP timers need no finer,
 * most ticks find nothing due (TerminalApp.tick), and it is what bench:core's device figure ticks at.
 */
const TICK_MS = 50;
/** NVS domain of the provisioned settings, the passphrase hash and the derived terminal id (at most 15 characters). */
const SETTINGS_DOMAIN = "paycard.cfg";
const STATUS_EVERY_MS = 15_000;
const SYNC_REMOVALS_EVERY_MS = 1_000;
export const CARD_TEST_SWIPES = 12;
export const CARD_TEST_SPACING_MS = 150;

/** The terminal as built from its config: the app and its ports, the LEDs, the swipe maker, the journal. */
class Terminal {
  readonly app: TerminalApp;
  readonly leds: StatusLeds;
  readonly maker: SwipeMaker;
  readonly journal: SegmentedJournal;
  readonly mono: ModdableMonotonicClock;
  readonly eventClock: DisciplinedEventClock;
  readonly sntp: SntpClient;
  readonly random = new HardwareRandom();
  readonly faults: Faults;
  readonly resolver: NetResolver;
  readonly transportCounters = createBrokerTransportCounters();
  readonly xs = new XsInstrumentation();
  /** The heap's peaks against this build's creation budget (instrumented builds: STATUS, metrics xs_*). */
  readonly margin: HeapMargin;
  /** Instrumented builds only: a release build has no heap figures to read at each tick. */
  private readonly measuresHeap = this.xs.available;
  private board: Board | null = null;
  private settings: SettingsConsole | null = null;
  private provisioning: SerialProvisioning | null = null;
  private linkUp = false;
  private cardTestTimer: Timer | null = null;
  private clockState = "unsynced";
  private readonly reading = createTimeReading();
  private readonly use: XsUse = { slotBytes: 0, chunkBytes: 0, stackPeakBytes: 0, gcs: 0 };
  private nextStatusAt: number;
  private nextRemovalSyncAt: number;

  constructor(
    readonly cfg: DeviceConfig,
    faults: Faults,
  ) {
    const t = cfg.terminal;
    const d = cfg.device;
    this.faults = faults;
    this.margin = new HeapMargin(d.heapBudget);
    this.resolver = new NetResolver(faults);
    this.mono = new ModdableMonotonicClock();
    const disciplined = new DisciplinedClock(this.mono);
    const sntp = (this.sntp = new SntpClient(
      { servers: t.ntpServers, port: d.ntpPort, burstSpacingMs: d.ntpBurstSpacingMs },
      { clock: this.mono, udp: moddableUdpSocketFactory(faults), resolver: this.resolver, random: this.random },
      disciplined,
    ));
    this.eventClock = new DisciplinedEventClock(disciplined, sntp, this.mono);
    const root = typeof config.file?.root === "string" ? config.file.root : "/";
    // Frames in C and XS's own UTF-8 (in JavaScript a transaction's frame costs ~19 000 steps).
    this.journal = new SegmentedJournal(new LittlefsSegmentStore(root, d.journalFile), { ...deviceStorageOptions(d.backlogKb), codec: { crc32: nativeCrc32, utf8: NATIVE_UTF8 } });
    this.leds = new StatusLeds((led, on) => this.writeLed(led, on));
    this.app = new TerminalApp(
      t,
      {
        clock: this.eventClock,
        transport: brokerTransportFactory(
          {
            host: t.broker.host,
            port: t.broker.port,
            tls: t.broker.tls ? d.tls : null,
            resolver: this.resolver,
            // Once per refused handshake: the link backs off and tries again, swipes are journaled meanwhile.
            onTlsFailure: (cause, detail) => trace(`TLS refused: ${cause} (${detail}) broker=${t.broker.host}:${t.broker.port}\n`),
          },
          this.transportCounters,
        ),
        tlsFailures: t.broker.tls ? () => this.transportCounters.tlsFailures : undefined,
        journal: this.journal,
        bootCounter: new PreferenceBootCounter(),
        random: this.random,
        // Only where the build reports it (instrumented builds); otherwise the metric is left out.
        heapBytes: this.measuresHeap ? () => this.xs.heapBytes() : undefined,
        heapMargin: this.measuresHeap ? this.margin : undefined,
        utf8: NATIVE_UTF8,
      },
      {
        onAlert: (a, queued) => this.onAlert(a, queued),
        onAcknowledged: (r) => this.onAcknowledged(r),
        onLink: (up) => this.onLink(up),
      },
    );
    this.maker = new SwipeMaker(this.app.pipeline.requestIds.bootPart, this.random, SCRIPT_CARD_POOL);
    const now = this.mono.nowMs();
    this.nextStatusAt = now + STATUS_EVERY_MS;
    this.nextRemovalSyncAt = now + SYNC_REMOVALS_EVERY_MS;
    const r = this.app.restored;
    const jc = this.journal.counters;
    trace(
      `paycard: journal ${root}${d.journalFile}.*: ${this.journal.segments} segments, ${this.journal.bytes} B of ${d.backlogKb} KB; ` +
        `restored ${r.records} messages to RAM (${r.bytes} B), ${r.backlog} transactions wait in flash` +
        (jc.discardedBytes > 0 ? `, cut off ${jc.discardedBytes} B that did not read back` : "") +
        (jc.lastError !== "" ? ` (storage: ${jc.lastError})` : "") +
        `; monotonic clock from Time.${this.mono.source}\n`,
    );
    sntp.start();
    this.app.start();
    Timer.repeat(() => faults.guard("tick", () => this.tick()), TICK_MS);
  }

  // ------------------------------------------------------------ input

  swipe(input: unknown, source: string): void {
    const a = this.app.swipe(input);
    const tx = typeof input === "object" && input !== null ? String((input as Record<string, unknown>).transaction_id) : "?";
    if (a.decision === SwipeDecision.DECLINED_BACKPRESSURE) this.leds.declinedForBackpressure(this.mono.nowMs());
    trace(swipeLine(a, tx, source));
  }

  normalSwipe(source: string): void {
    this.swipe(this.maker.normal(), source);
  }

  bigTicket(source: string): void {
    this.swipe(this.maker.bigTicket(), source);
  }

  /** 12 small swipes on one fresh card, CARD_TEST_SPACING_MS apart, the first one spacing after the call (after the button's release). */
  cardTest(source: string): void {
    if (this.cardTestTimer !== null) {
      trace("paycard: card test already running\n");
      return;
    }
    const card = this.maker.newTestCard();
    let n = 0;
    trace(`paycard: card test on ${card}: ${CARD_TEST_SWIPES} swipes ${CARD_TEST_SPACING_MS} ms apart\n`);
    this.cardTestTimer = Timer.repeat(() => {
      this.faults.guard("card test", () => {
        // Stop first, so that nothing below can leave the timer repeating.
        if (++n >= CARD_TEST_SWIPES && this.cardTestTimer !== null) {
          Timer.clear(this.cardTestTimer);
          this.cardTestTimer = null;
        }
        const s: ReaderSwipe = this.maker.cardTest(card);
        this.swipe(s, source);
      });
    }, CARD_TEST_SPACING_MS);
  }

  attachSettings(settings: SettingsConsole, provisioning: SerialProvisioning): void {
    this.settings = settings;
    this.provisioning = provisioning;
  }

  /** The serial console's bytes: lines to consoleLine, Improv frames to the provisioner. */
  consoleBytes(bytes: Uint8Array): void {
    this.provisioning?.push(bytes);
  }

  /** A console line: a JSON swipe when it starts with "{", else a settings command. */
  consoleLine(line: string): void {
    if (!line.trimStart().startsWith("{")) {
      if (this.settings === null) return;
      for (const answer of this.settings.handle(line)) trace(`console: ${answer}\n`);
      return;
    }
    let input: unknown;
    try {
      input = JSON.parse(line);
    } catch (e) {
      trace(unparsableLine(this.app.swipeUnparsable("console line is not JSON: " + String(e))));
      return;
    }
    // Anything else that is not a swipe is rejected by the pipeline (NOT_AN_OBJECT, a field's reason), counted.
    this.swipe(input, "console");
  }


  /** The monotonic clock, ms (for the lab script). */
  nowMs(): number {
    return this.mono.nowMs();
  }

  get counters(): TerminalCounters {
    return this.app.counters;
  }

  attachBoard(board: Board): void {
    this.board = board;
    this.provisioning?.attachStation(board.station);
    this.leds.rewrite();
  }

  // ------------------------------------------------------------ app events

  private onAlert(a: Alert, queued: boolean): void {
    this.leds.alert(); // the red pin goes high before the line is printed
    trace(alertLine(a, queued));
  }

  private onAcknowledged(r: JournalRecord): void {
    this.leds.acknowledged(this.mono.nowMs());
    trace(ackLine(r));
  }

  private onLink(up: boolean): void {
    this.linkUp = up;
    if (!up) {
      trace("LINK down\n");
      return;
    }
    trace(linkUpLine(this.transportCounters.lastAddress, this.cfg.terminal.broker.port, this.cfg.terminal.broker.tls, this.xs.read(this.use)));
  }

  onWifi(up: boolean, address: string): void {
    trace(up ? `WIFI up ip=${address}\n` : "WIFI down\n");
    if (up) this.provisioning?.wifiUp();
    else this.provisioning?.wifiDown();
  }

  onWifiFailed(): void {
    this.provisioning?.wifiFailed();
  }

  private writeLed(led: Led, on: boolean): void {
    if (this.board !== null) this.board.leds.write(led, on);
  }

  // ------------------------------------------------------------ the loop

  private tick(): void {
    this.app.tick();
    if (this.measuresHeap) this.xs.noteStack(this.margin);
    const now = this.mono.nowMs();
    this.leds.update(now, this.linkUp, this.app.outbox.messages);
    this.watchClock();
    if (now >= this.nextRemovalSyncAt) {
      this.nextRemovalSyncAt = now + SYNC_REMOVALS_EVERY_MS;
      this.journal.syncRemovals();
    }
    if (now >= this.nextStatusAt) {
      this.nextStatusAt = now + STATUS_EVERY_MS;
      this.status();
    }
  }

  private watchClock(): void {
    const t = this.app.clockReading(this.reading);
    if (t.state === this.clockState) return;
    this.clockState = t.state;
    const tele = this.eventClock.telemetry();
    if (t.state === "synced") {
      // The system clock (Date.now) is what TLS checks certificate dates against; the app keeps its own
      // disciplined clock, so set the system one from it (on the ESP32; a no-op on lin).
      try {
        Time.set(Math.floor(t.utcMs / 1000));
      } catch (e) {
        this.faults.report("Time.set", e);
      }
    }
    trace(clockLine(t, tele));
  }

  private status(): void {
    this.xs.noteLive(this.margin);
    trace(
      statusLine({
        app: this.app, journal: this.journal, linkUp: this.linkUp, clockState: this.clockState, reading: this.reading,
        clock: this.eventClock.telemetry(), dns: this.resolver, tlsFailures: this.transportCounters.tlsFailures,
        settings: this.settings, improv: this.provisioning?.provisioner ?? null, faults: this.faults.count, heap: this.xs.read(this.use), margin: this.margin,
      }),
    );
  }
}

const ID_SOURCES: Record<TerminalIdentity["source"], string> = { set: "set", kept: "kept in NVS", mac: "from the chip's MAC", generated: "generated, kept in NVS" };

export default function main(): void {
  const faults = new Faults();
  try {
    // The build's config, then what was provisioned on this terminal (NVS), then its id.
    const build = config as Record<string, unknown>;
    const store = new PreferenceSettingsStore(SETTINGS_DOMAIN);
    const random = new HardwareRandom();
    const stored = storedSettings(store);
    // Math.random is the hardware RNG on an ESP32, but seeded the same on every lin run: mix in the wall clock, so
    // two simulators (two students) do not draw the same id.
    const idRandom = { nextUint32: () => (random.nextUint32() ^ Date.now() ^ Math.floor(Date.now() / 4294967296)) >>> 0 };
    const mac = chipMac();
    let identity = resolveTerminalId("terminalId" in stored ? stored.terminalId : build.terminalId, store, mac, idRandom);
    let start = startupConfig(build, store, identity);
    if (start.setAside !== null && "terminalId" in stored) {
      // The stored settings are set aside, the stored terminal id with them.
      identity = resolveTerminalId(build.terminalId, store, mac, idRandom);
      start = { ...start, config: { ...start.config, terminalId: identity.id } };
    }
    if (start.setAside !== null) trace(`paycard: stored settings set aside, the build's values apply: ${start.setAside}\n`);
    let cfg: DeviceConfig;
    try {
      cfg = deviceConfig(start.config);
    } catch (e) {
      trace(`paycard: bad configuration: ${(e as Error).message}\n`);
      return;
    }
    const d = cfg.device;
    const term = new Terminal(cfg, faults);
    const lock = new InstallerLock(store, random, () => term.mono.nowMs());
    const now = createTimeReading();
    const settings = new SettingsConsole(build, store, lock, identity, terminalCommands(term.app, () => term.app.clockReading(now)));
    const chip = typeof build.chipFamily === "string" ? build.chipFamily : "ESP32";
    const info = { firmware: FIRMWARE_NAME, version: FIRMWARE_VERSION, chip, name: cfg.terminal.terminalId };
    // Without board IO there is no Wi-Fi station (lin): stored Wi-Fi settings are what "provisioned" can mean.
    const provisioned = !d.boardIo && "wifiSsid" in start.stored;
    term.attachSettings(settings, new SerialProvisioning(info, settings, (line) => term.consoleLine(line), faults, provisioned));
    trace(
      `paycard: terminal ${cfg.terminal.terminalId} (${ID_SOURCES[identity.source]}), ${Object.keys(start.stored).length} stored setting(s), merchant ${cfg.terminal.merchantId}, ` +
        `boot ${term.app.pipeline.requestIds.bootPart}, broker ${cfg.terminal.broker.host}:${cfg.terminal.broker.port}, ` +
        `ntp ${cfg.terminal.ntpServers.join(",")}:${d.ntpPort}\n`,
    );
    if (d.consoleFile !== "") {
      new ConsoleFile(d.consoleFile, (bytes) => term.consoleBytes(bytes), faults);
      trace(`paycard: console lines from ${d.consoleFile} (type help)\n`);
    }
    if (d.boardIo) startBoardIo(term, d);
    if (d.scriptedSwipes) runLabScript(term, d.scriptSeconds);
    if (!d.boardIo) trace(`paycard: ready (${d.scriptedSwipes ? "scripted swipes, " : ""}no board IO)\n`);
  } catch (e) {
    // An exception escaping main would reboot the device.
    faults.report("main", e);
    trace(`paycard: start failed: ${String(e)}\n`);
  }
}
