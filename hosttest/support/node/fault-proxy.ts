/**
 * A loopback TCP proxy for fault tests: client <-> proxy <-> target. It
 * fragments the byte stream into random pieces, delays some pieces (order
 * kept per direction), and cuts every open link abruptly (RST) at random
 * byte counts in either direction: mid-packet, between a PUBLISH and its
 * PUBACK, anywhere. `cutAtClientBytes()` adds cuts at given client-to-target
 * byte counts, `killAll()` cuts on demand; `accepting = false` refuses new
 * links. Seeded, so a failing run can be replayed.
 */
import net from "node:net";
import { SeededRandom } from "../../../src/sim/seeded-random";

export interface FaultProxyOptions {
  seed: number;
  /** Largest piece forwarded at once (0: no fragmentation). */
  fragmentMax?: number;
  /** Probability that a piece waits 1..delayMaxMs before it is forwarded. */
  delayProbability?: number;
  delayMaxMs?: number;
  /** Cut all links after a random number of forwarded bytes in [min, max] (both directions counted); null: never. */
  cutEveryBytes?: { min: number; max: number } | null;
}

class Pipe {
  private readonly queue: Buffer[] = [];
  private busy = false;
  constructor(
    private readonly proxy: FaultProxy,
    private readonly to: net.Socket,
    /** True for the client-to-target direction. */
    private readonly fromClient: boolean,
  ) {}

  push(b: Buffer): void {
    this.queue.push(b);
    if (!this.busy) this.drain();
  }

  private drain(): void {
    this.busy = true;
    while (this.queue.length > 0) {
      if (this.to.destroyed) {
        this.queue.length = 0;
        break;
      }
      const b = this.queue.shift()!;
      const piece = this.proxy.pieceOf(b);
      if (piece.length < b.length) this.queue.unshift(b.subarray(piece.length));
      if (!this.proxy.forward(this.to, piece, this.fromClient)) {
        this.queue.length = 0;
        break;
      }
      const delay = this.proxy.delayMs();
      if (delay > 0 && this.queue.length > 0) {
        setTimeout(() => this.drain(), delay);
        return;
      }
    }
    this.busy = false;
  }
}

export class FaultProxy {
  port = 0;
  accepting = true;
  /** Cuts done (random and on demand), each resetting every open link. */
  cuts = 0;
  randomCuts = 0;
  links = 0;
  refusedUpstream = 0;
  bytesForwarded = 0;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly rnd: SeededRandom;
  private readonly o: Required<Omit<FaultProxyOptions, "cutEveryBytes">> & { cutEveryBytes: { min: number; max: number } | null };
  private nextCutAt = Infinity;
  private clientBytes = 0;
  private clientCutAt: number[] = [];

  constructor(
    private readonly targetPort: number,
    options: FaultProxyOptions,
  ) {
    this.rnd = new SeededRandom(options.seed);
    this.o = {
      seed: options.seed,
      fragmentMax: options.fragmentMax ?? 0,
      delayProbability: options.delayProbability ?? 0,
      delayMaxMs: options.delayMaxMs ?? 0,
      cutEveryBytes: options.cutEveryBytes ?? null,
    };
    this.scheduleCut();
    this.server = net.createServer((client) => this.accept(client));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** Also cuts every link once the clients have sent these many bytes in total (client to target, all links), often mid-packet. */
  cutAtClientBytes(points: number[]): void {
    this.clientCutAt = points.slice().sort((a, b) => a - b);
  }

  /** Resets every open link at once (no FIN, no DISCONNECT). */
  killAll(): void {
    this.cuts++;
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.accepting = false;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next piece of `b` to forward (internal, used by Pipe). */
  pieceOf(b: Buffer): Buffer {
    if (this.o.fragmentMax <= 0 || b.length <= 1) return b;
    const n = 1 + this.rnd.below(this.o.fragmentMax);
    return n >= b.length ? b : b.subarray(0, n);
  }

  delayMs(): number {
    if (this.o.delayProbability <= 0 || this.rnd.next() >= this.o.delayProbability) return 0;
    return 1 + this.rnd.below(Math.max(1, this.o.delayMaxMs));
  }

  /** Writes a piece, or part of it and then cuts; false when the link was cut. */
  forward(to: net.Socket, piece: Buffer, fromClient: boolean): boolean {
    const untilRandom = this.nextCutAt - this.bytesForwarded;
    const planned = this.clientCutAt[0];
    const untilPlanned = fromClient && planned !== undefined ? planned - this.clientBytes : Infinity;
    const keep = Math.min(untilRandom, untilPlanned);
    if (piece.length >= keep) {
      this.bytesForwarded += keep;
      if (fromClient) this.clientBytes += keep;
      if (keep === untilRandom) {
        this.scheduleCut();
        this.randomCuts++;
      }
      if (keep === untilPlanned) this.clientCutAt.shift();
      if (keep > 0) to.write(piece.subarray(0, keep), () => this.killAll());
      else this.killAll();
      return false;
    }
    this.bytesForwarded += piece.length;
    if (fromClient) this.clientBytes += piece.length;
    to.write(piece);
    return true;
  }

  private scheduleCut(): void {
    const c = this.o.cutEveryBytes;
    if (c === null) {
      this.nextCutAt = Infinity;
      return;
    }
    this.nextCutAt = this.bytesForwarded + c.min + this.rnd.below(c.max - c.min + 1);
  }

  private accept(client: net.Socket): void {
    if (!this.accepting) {
      client.resetAndDestroy();
      return;
    }
    this.links++;
    client.setNoDelay(true);
    const upstream = net.connect(this.targetPort, "127.0.0.1");
    upstream.setNoDelay(true);
    let connected = false;
    upstream.once("connect", () => (connected = true));
    upstream.on("error", () => {
      if (!connected) this.refusedUpstream++;
    });
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    const toClient = new Pipe(this, client, false);
    const toUpstream = new Pipe(this, upstream, true);
    upstream.on("data", (b: Buffer) => toClient.push(b));
    client.on("data", (b: Buffer) => toUpstream.push(b));
  }
}
