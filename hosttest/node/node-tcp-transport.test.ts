/**
 * NodeTcpTransport against a plain TCP server on loopback: links that share the process's read
 * buffer each get their own bytes, a turn's writes arrive whole and in order, and `localAddress`
 * picks the source address the server sees.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { TransportHandlers } from "../../src/core/mqtt/session/transport-port";
import { NodeTcpTransport } from "../../src/host/node-tcp-transport";

interface Link {
  transport: NodeTcpTransport;
  received: number[];
  connected: Promise<void>;
  closed: Promise<string>;
}

function open(port: number, localAddress?: string): Link {
  const transport = new NodeTcpTransport({ host: "127.0.0.1", port, ...(localAddress !== undefined ? { localAddress } : {}) });
  const received: number[] = [];
  let connected!: () => void;
  let closed!: (reason: string) => void;
  const link: Link = {
    transport,
    received,
    connected: new Promise<void>((r) => (connected = r)),
    closed: new Promise<string>((r) => (closed = r)),
  };
  const handlers: TransportHandlers = {
    onConnected: () => connected(),
    // A copy: the view is valid only during the call.
    onData: (bytes) => {
      for (const b of bytes) received.push(b);
    },
    onWritable: () => {},
    onClosed: (reason) => closed(reason),
  };
  transport.connect(handlers);
  return link;
}

const servers: net.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function listen(onSocket: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer(onSocket);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as net.AddressInfo).port;
}

/** `n` bytes of a pattern that names its link: byte i of link k is (k * 31 + i) & 0xff. */
const pattern = (k: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (k * 31 + i) & 0xff);

describe("NodeTcpTransport", () => {
  it("gives each of many links its own bytes, though they share one read buffer", async () => {
    const links = 8;
    const bytes = 100_000; // > the 16 KB read buffer, sent in chunks that interleave the links
    let next = 0;
    const port = await listen((s) => {
      const k = next++;
      const data = pattern(k, bytes);
      let off = 0;
      const step = () => {
        if (off >= data.length) return void s.end();
        const n = 1 + ((off * 7919) % 9_000);
        s.write(data.subarray(off, off + n), () => setImmediate(step));
        off += n;
      };
      step();
      s.on("error", () => {});
    });
    const opened: Link[] = [];
    for (let k = 0; k < links; k++) {
      const l = open(port);
      await l.connected; // the server numbers links in the order they connect
      opened.push(l);
    }
    await Promise.all(opened.map((l) => l.closed));
    for (let k = 0; k < links; k++) {
      expect(opened[k]!.received.length).toBe(bytes);
      expect(Uint8Array.from(opened[k]!.received)).toEqual(pattern(k, bytes));
    }
  });

  it("sends a turn's writes whole and in order, then ends the link gracefully on close", async () => {
    const got: Buffer[] = [];
    let ended!: () => void;
    const endedP = new Promise<void>((r) => (ended = r));
    const port = await listen((s) => {
      s.on("data", (b: Buffer) => got.push(b));
      s.on("end", () => {
        ended();
        s.end();
      });
    });
    const l = open(port);
    await l.connected;
    const sent: number[] = [];
    for (let i = 0; i < 300; i++) {
      // Each write's bytes are valid only during the call: overwrite them after, as the session does.
      const chunk = pattern(i, 1 + (i % 50));
      expect(l.transport.write(chunk)).toBe(chunk.length);
      for (const b of chunk) sent.push(b);
      chunk.fill(0xee);
    }
    l.transport.close();
    await endedP;
    expect(Uint8Array.from(Buffer.concat(got))).toEqual(Uint8Array.from(sent));
  });

  it("connects from the local address asked for", async () => {
    const seen: string[] = [];
    const port = await listen((s) => {
      seen.push(s.remoteAddress ?? "");
      s.end();
    });
    for (const from of ["127.0.0.2", "127.0.0.3"]) {
      const l = open(port, from);
      await l.connected;
      await l.closed;
    }
    expect(seen).toEqual(["127.0.0.2", "127.0.0.3"]);
  });

  it("reports a local address it cannot bind as the link's close, not a throw", async () => {
    const port = await listen((s) => s.end());
    const l = open(port, "192.0.2.1"); // TEST-NET-1: not an address of this host
    expect(await l.closed).toMatch(/EADDRNOTAVAIL|address not available/i);
  });
});
