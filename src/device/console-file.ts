import { File } from "file";
import Timer from "timer";
import { MAX_CONSOLE_LINE } from "../core/settings/console-command";
import type { Faults } from "./faults";

export const POLL_MS = 100;
/** After a failed open, polls skipped before the next try (5 s). */
const REOPEN_POLLS = 50;

/**
 * The serial console's bytes from a file, for the `lin` simulator, which has no serial console:
 * every POLL_MS the file's new bytes are read and handed on (to SerialProvisioning, which splits
 * them into console lines and Improv frames). `/dev/stdin` works when the simulator's input is a
 * regular file (`mcsim mc.so < commands.txt`); a file another program appends to works as well
 * (`consoleFile` in the manifest or `npm run build:lin -- consoleFile=/tmp/console.txt`). A file
 * that does not exist yet is looked for again at every poll.
 */
export class ConsoleFile {
  private file: File | null = null;
  private offset = 0;
  private skip = 0;
  private reported = false;
  private readonly timer: Timer;

  constructor(
    private readonly path: string,
    private readonly onBytes: (bytes: Uint8Array) => void,
    private readonly faults: Faults,
  ) {
    this.timer = Timer.repeat(() => this.faults.guard("console file", () => this.poll()), POLL_MS);
  }

  close(): void {
    Timer.clear(this.timer);
    this.file?.close();
    this.file = null;
  }

  private poll(): void {
    if (this.file === null) {
      if (this.skip > 0) {
        this.skip--;
        return;
      }
      if (!File.exists(this.path)) return;
      try {
        this.file = new File(this.path);
      } catch (e) {
        // A pipe or terminal on stdin may not open as a file: say so once, try again now and then.
        this.skip = REOPEN_POLLS;
        if (!this.reported) trace(`paycard: console file ${this.path} cannot be read (${String(e)}); give it a regular file, e.g. mcsim mc.so < commands.txt\n`);
        this.reported = true;
        return;
      }
    }
    const length = this.file.length;
    if (length <= this.offset) return;
    this.file.position = this.offset;
    const bytes = Math.min(length - this.offset, 4 * MAX_CONSOLE_LINE);
    const chunk = this.file.read(ArrayBuffer, bytes);
    this.offset += bytes;
    this.onBytes(new Uint8Array(chunk));
  }
}
