/**
 * Device entry point (Moddable). For now it builds the core pipeline with the
 * device's ports and reports on the serial log; card reader input, buttons,
 * LEDs and MQTT publishing are wired in by the firmware issues that follow.
 */
import { Pipeline, type PipelineSink } from "../core/pipeline";
import { defaultPipelineConfig } from "../core/pipeline-config";
import { PreferenceBootCounter } from "./boot-counter";
import { HardwareRandom } from "./hardware-random";

const sink: PipelineSink = {
  onWindow() {},
  onAlert(a) {
    trace(`ALERT ${a.type} ${a.keyField}=${a.key} id=${a.id}\n`);
  },
  onLate(l) {
    trace(`LATE window=${l.window} tx=${l.transaction_id} reason=${l.reason}\n`);
  },
  onReject(r) {
    trace(`REJECT ${r.reason} field=${r.field} tx=${r.transaction_id}\n`);
  },
  onAccepted() {},
};

export default function main(): void {
  try {
    const pipeline = new Pipeline(defaultPipelineConfig(), sink, { bootCounter: new PreferenceBootCounter(), random: new HardwareRandom() }, "term_1");
    trace(`paycard: core pipeline ready, request ids ${pipeline.requestIds.format(1)}...\n`);
  } catch (e) {
    // An exception escaping main would reboot the device.
    trace(`paycard: start failed: ${String(e)}\n`);
  }
}
