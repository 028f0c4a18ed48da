import { Aedes } from "aedes";
import net from "node:net";

/** An in-process aedes MQTT broker on a free 127.0.0.1 port (the default broker of `paycard run`). */
export class EmbeddedBroker {
  private constructor(
    private readonly aedes: Aedes,
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(): Promise<EmbeddedBroker> {
    const aedes = await Aedes.createBroker();
    const server = net.createServer(aedes.handle);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return new EmbeddedBroker(aedes, server, (server.address() as net.AddressInfo).port);
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }
}
