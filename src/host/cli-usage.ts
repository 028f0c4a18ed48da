/**
 * What each paycard command says for `--help`, and the overview `paycard help` prints. The device
 * builds (build-esp32, flash, build-lin, build-lin-instrumented) answer --help themselves
 * (device-build.ts).
 */

export const COMMAND_USAGE: Readonly<Record<string, string>> = Object.freeze({
  replay: `paycard replay [options] [file.jsonl | -]
  Runs JSON swipes, one per line (stdin when no file), through the core pipeline and
  prints windows, alerts, late data, rejects and a summary, one JSON object per line.
  Processing time is each line's terminal_time. examples/swipes.jsonl is a sample.

  --config FILE        pipeline settings (windows, watermark, detectors) as JSON
  --terminal ID        terminal id in request ids (default "replay"; checked like
                       the terminal_id of a swipe)
  --boot N             boot number in request ids (default 1)
  --events             also print each accepted swipe with its request id
  --only TYPES         print only these record types, comma-separated, of:
                       window, alert, late, reject, event, summary
  --iso                times as ISO-8601 (UTC) instead of epoch milliseconds
  --strict             exit 1 when any line is rejected (default: exit 0)
  -h, --help           this help

  Exit status: 0 done (1 with --strict and a reject), 2 bad usage or config.`,
  run: `paycard run [options]          (npm start)
  Runs terminals on this host against an embedded aedes broker (or --broker), fed by
  seeded swipes with injected card-testing bursts and big tickets; a subscriber of its
  own counts what arrives. Default: 1 terminal, 20 swipes/s for 20 s.

  --terminals N        terminals (1..1000, default 1)
  --rate R             swipes per second over all terminals (default 20)
  --duration S         seconds of traffic (default 20)
  --seed N             traffic seed (default 1)
  --broker URL         mqtt://[user[:password]@]host[:port] or mqtts://... instead of
                       the embedded broker
  --ntp HOST:PORT      discipline each terminal's clock with SNTP from this server
  --config FILE        terminal settings as JSON
  --state-dir DIR      journals and boot counters (default .paycard)
  --watch              print alerts, late data and rejects as they arrive
  --json               the summary as one JSON object
  --quiet              no progress line
  -h, --help           this help

  Exit status: 0 every accepted swipe delivered, 1 something lost or still held,
  2 bad usage or a broker that refuses or cannot be reached.`,
  simulate: `paycard simulate [options]
  The core pipeline alone in simulated time (hours in seconds): detection quality
  against the injected truth.

  --seed N             traffic seed (default 1)
  --rate R             swipes per second (default 5)
  --duration S         simulated seconds (default 3600)
  --config FILE        pipeline settings as JSON
  --json               the result as one JSON object
  -h, --help           this help`,
  build: `paycard build
  Compiles src/core and src/device to build/dist for the Moddable manifest.`,
  "bench-core": `paycard bench-core [--json] [--swipes N] [--measured N] [--device]
  Window-engine benchmark under the XS engine (docs/benchmarks.md).`,
  "bench-device32": `paycard bench-device32 [--json] [--rounds N] [--swipes N] [--outage N] [--headroom PCT]
  The device app on a 32-bit XS with the ESP32's fixed heap (needs gcc-multilib).`,
  "bench-mqtt": `paycard bench-mqtt [--json] [--messages N] [--window W] [--payload BYTES] [--rate R] [--rounds R] [--codec-processes P]
  CPU per QoS 1 message of paycard's client, MQTT.js and mosquitto_pub (each in its own process,
  against one mosquitto), paced at R messages/s (default 10000) and flat out; the codec against
  mqtt-packet in P fresh processes; XS steps per message.
  --messages N is at most 32767 (mosquitto_pub runs 2N, and its packet ids wrap past 65535).`,
  "bench-clock": `paycard bench-clock [--json] [--hours H] [--seeds N]
  SNTP client and disciplined clock in the seeded network simulation.`,
  "bench-fleet": `paycard bench-fleet [--json] [--duration S] [--rates a,b,...] [--terminals N]
       paycard bench-fleet --scenario course [--json] [--terminals N] [--rate R] [--duration S] [--storm S]
                           [--processes P] [--per-broker N] [--sources a,b,...]
  Terminals against mosquitto at rising rates: max sustained rate, latency. --scenario course: the
  course's fleet (default 50000 terminals, 2000 swipes/s for 60 s, a 20 s storm of broker restarts)
  over worker processes and brokers sized by the open-files limit.`,
});

export function overview(version: string): string {
  return [
    `paycard ${version}: ESP32 payment terminal firmware, host tools`,
    "",
    "Usage: paycard <command> [options]      paycard <command> --help for its options",
    "",
    "  replay                 JSON swipes through the core pipeline, results as JSON lines",
    "  run                    terminals against a broker, with a summary (npm start)",
    "  simulate               the pipeline alone in simulated time: detection quality",
    "  build                  compile src/core and src/device for the Moddable manifest",
    "  build-esp32, flash     the ESP32 image (Moddable SDK and ESP-IDF)",
    "  build-lin, build-lin-instrumented   the Linux simulator build",
    "  bench-core, bench-device32, bench-mqtt, bench-clock, bench-fleet   benchmarks",
    "  help                   this overview;  --version  the version",
  ].join("\n");
}
