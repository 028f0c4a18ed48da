/**
 * bench:mqtt still runs end to end, small: the codec in a fresh process, the device's XS steps, and
 * the three QoS 1 clients (two of them in fresh processes), paced and flat out, against a real
 * mosquitto, each client's messages counted by a subscriber. Figures are not judged here (they live
 * in docs/benchmarks.md): only that each is measured and what it says about itself holds together.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { findMosquitto, findMosquittoTool, MOSQUITTO_MISSING } from "../../src/host/mosquitto-broker";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const available = findMosquitto() !== null && findMosquittoTool("mosquitto_pub") !== null;
if (!available && process.env.CI === "true") throw new Error(`CI=true: ${MOSQUITTO_MISSING}`);
if (!available) console.log(`skipped bench:mqtt smoke run: ${MOSQUITTO_MISSING}`);

describe.skipIf(!available)("bench:mqtt, small", () => {
  it("measures CPU per message of each client, the codec ratio, the XS steps and the broker apart", () => {
    const r = spawnSync(process.execPath, ["src/host/paycard.mjs", "bench-mqtt", "--json", "--messages", "500", "--rate", "2000", "--rounds", "1", "--codec-processes", "1"], {
      cwd: root,
      encoding: "utf8",
      timeout: 180_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").pop() as string) as {
      cpu_per_msg_us: Record<string, number>;
      cpu_per_msg_ratio_vs_mqttjs: number;
      offered_rate_msgs_per_s: number;
      paced_kept_offered_rate: boolean;
      msgs_per_s: Record<string, number>;
      flat_out: { cpu_per_msg_us: Record<string, number>; cpu_per_msg_ratio_vs_mqttjs: number; msgs_per_s: Record<string, number> };
      codec_ratio_vs_mqtt_packet: number;
      codec_ratio_spread: number[];
      xs_steps_per_qos1_message: number;
      broker: { ceiling_msgs_per_s: number; cpu_per_msg_us: number };
      delivered_in_warmup: Record<string, number>;
    };
    for (const who of ["paycard", "mqttjs", "mosquitto_pub"]) {
      expect(out.cpu_per_msg_us[who]).toBeGreaterThan(0);
      expect(out.flat_out.cpu_per_msg_us[who]).toBeGreaterThan(0);
      // Paced: no client sends faster than offered (500 messages at 2 000/s take at least ~250 ms).
      expect(out.msgs_per_s[who]).toBeLessThanOrEqual(out.offered_rate_msgs_per_s * 1.05);
    }
    expect(out.offered_rate_msgs_per_s).toBe(2_000);
    expect(typeof out.paced_kept_offered_rate).toBe("boolean");
    // One round: the median of the rounds' ratios is that round's ratio.
    expect(out.cpu_per_msg_ratio_vs_mqttjs).toBeCloseTo(out.cpu_per_msg_us.paycard! / out.cpu_per_msg_us.mqttjs!, 1);
    expect(out.flat_out.cpu_per_msg_ratio_vs_mqttjs).toBeCloseTo(out.flat_out.cpu_per_msg_us.paycard! / out.flat_out.cpu_per_msg_us.mqttjs!, 1);
    expect(out.codec_ratio_vs_mqtt_packet).toBeGreaterThan(0);
    expect(out.codec_ratio_spread[0]).toBeLessThanOrEqual(out.codec_ratio_spread[1]!);
    // Deterministic: the same code gives the same steps on any machine (within the far end's share).
    expect(out.xs_steps_per_qos1_message).toBeGreaterThan(500);
    expect(out.xs_steps_per_qos1_message).toBeLessThan(20_000);
    expect(out.broker.ceiling_msgs_per_s).toBeGreaterThan(0);
    // Warm-up round: 4 warm-up runs of 1 000 and 500 flat out and 500 paced for the in-process
    // clients; N + 2N of each load for mosquitto_pub.
    expect(out.delivered_in_warmup).toEqual({ paycard: 5_000, mqttjs: 5_000, mosquitto_pub: 3_000 });
    expect(r.stdout).toContain("targets");
  }, 200_000);
});
