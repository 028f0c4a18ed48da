/**
 * ESP32 only (excluded from the lin build by src/device/manifest.json; loaded by
 * esp32-platform.ts): the lab's buttons and LEDs over ECMA-419
 * `embedded:io/digital` (modules/io/digital, not built for lin).
 */
import Digital from "embedded:io/digital";
import Timer from "timer";
import type { Faults } from "./faults";
import type { Led } from "./status-leds";

export const DEBOUNCE_MS = 25;

/**
 * A button joining its GPIO to GND: input with the internal pull-up, active
 * low. Both edges wake `onReadable`; the level is read again once it has
 * been quiet for DEBOUNCE_MS (a one-shot Timer restarted by every edge), and
 * only a change of that settled level counts: contact chatter (Wokwi's
 * default bounce, ~1 ms) never makes two presses.
 */
export class DebouncedButton {
  private readonly pin: Digital;
  private timer: Timer | undefined;
  private pressed = false;
  edges = 0;

  constructor(
    readonly name: string,
    gpio: number,
    private readonly onPress: () => void,
    private readonly onRelease: () => void,
    private readonly faults: Faults,
  ) {
    const self = this;
    this.pin = new Digital({
      pin: gpio,
      mode: Digital.InputPullUp,
      edge: Digital.Rising | Digital.Falling,
      onReadable() {
        faults.guard("button " + name, () => self.edge());
      },
    });
    this.pressed = this.pin.read() === 0;
  }

  private edge(): void {
    this.edges++;
    if (this.timer !== undefined) {
      Timer.schedule(this.timer, DEBOUNCE_MS); // still bouncing: wait again
      return;
    }
    this.timer = Timer.set(() => {
      this.timer = undefined;
      this.faults.guard("button " + this.name, () => this.settle());
    }, DEBOUNCE_MS);
  }

  private settle(): void {
    const down = this.pin.read() === 0;
    if (down === this.pressed) return;
    this.pressed = down;
    if (down) this.onPress();
    else this.onRelease();
  }
}

/** The three status LEDs' outputs, active high. */
export class LedPins {
  private readonly pins: Record<Led, Digital>;

  constructor(green: number, yellow: number, red: number) {
    this.pins = {
      green: new Digital({ pin: green, mode: Digital.Output }),
      yellow: new Digital({ pin: yellow, mode: Digital.Output }),
      red: new Digital({ pin: red, mode: Digital.Output }),
    };
  }

  write(led: Led, on: boolean): void {
    this.pins[led].write(on ? 1 : 0);
  }
}
