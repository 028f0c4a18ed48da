import type { Writable } from "node:stream";

/** Buffers output lines and writes them in chunks, waiting when the stream asks it to. */
export class LineWriter {
  private chunk: string[] = [];

  constructor(private readonly out: Writable, private readonly chunkLines = 512) {}

  line(s: string): void {
    this.chunk.push(s);
  }

  get pending(): number {
    return this.chunk.length;
  }

  async flushIfFull(): Promise<void> {
    if (this.chunk.length >= this.chunkLines) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.chunk.length === 0) return;
    const text = this.chunk.join("\n") + "\n";
    this.chunk = [];
    if (!this.out.write(text)) await new Promise<void>((resolve) => this.out.once("drain", resolve));
  }
}
