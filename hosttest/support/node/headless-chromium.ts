/**
 * A page in a real headless Chromium (Debian's `chromium`), driven over the DevTools protocol: load
 * a URL, wait for its load event, evaluate an expression (awaited), and report every console
 * error, uncaught exception and failed or 4xx/5xx request the page met. For the web installer's
 * check; `findChromium()` is null where Chromium is not installed (suites then skip with one line;
 * under CI=true they fail).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";

export function findChromium(): string | null {
  return ["/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p)) ?? null;
}

export interface PageReport<T> {
  value: T;
  problems: string[];
}

export async function inspectPage<T>(chromium: string, url: string, expression: string, timeoutMs = 30_000): Promise<PageReport<T>> {
  const profile = mkdtempSync(path.join(os.tmpdir(), "paycard-chromium-"));
  const args = ["--headless=new", "--remote-debugging-port=0", `--user-data-dir=${profile}`, "--no-first-run", "--no-default-browser-check", "--disable-gpu", "about:blank"];
  if (process.getuid?.() === 0) args.unshift("--no-sandbox");
  const child = spawn(chromium, args, { stdio: ["ignore", "ignore", "pipe"] });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const browserUrl = await new Promise<string>((resolve, reject) => {
      let err = "";
      child.stderr!.on("data", (d: Buffer) => {
        err += d.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (m !== null) resolve(m[1]!);
      });
      child.on("exit", () => reject(new Error(`chromium exited before listening:\n${err}`)));
    });
    const port = new URL(browserUrl).port;
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { type: string; webSocketDebuggerUrl: string }[];
    const page = targets.find((t) => t.type === "page");
    if (page === undefined) throw new Error("chromium has no page target");
    const ws = new WebSocket(page.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    let id = 0;
    const pending = new Map<number, (r: { result?: unknown; error?: { message: string } }) => void>();
    const problems: string[] = [];
    let loaded: () => void = () => {};
    const load = new Promise<void>((resolve) => (loaded = resolve));
    ws.on("message", (raw: Buffer) => {
      const msg = JSON.parse(raw.toString()) as { id?: number; method?: string; params?: Record<string, any>; result?: unknown; error?: { message: string } };
      if (msg.id !== undefined) {
        pending.get(msg.id)?.(msg);
        pending.delete(msg.id);
        return;
      }
      const p = msg.params ?? {};
      switch (msg.method) {
        case "Page.loadEventFired":
          loaded();
          break;
        case "Runtime.exceptionThrown":
          problems.push(`exception: ${p.exceptionDetails?.exception?.description ?? p.exceptionDetails?.text}`);
          break;
        case "Runtime.consoleAPICalled":
          if (p.type === "error") problems.push(`console.error: ${(p.args ?? []).map((a: { value?: unknown; description?: string }) => a.value ?? a.description).join(" ")}`);
          break;
        case "Log.entryAdded":
          if (p.entry?.level === "error") problems.push(`log: ${p.entry.text} ${p.entry.url ?? ""}`.trim());
          break;
        case "Network.loadingFailed":
          problems.push(`request failed: ${p.errorText} (${p.type})`);
          break;
        case "Network.responseReceived":
          if (p.response?.status >= 400) problems.push(`HTTP ${p.response.status}: ${p.response.url}`);
          break;
      }
    });
    ws.on("close", () => {
      for (const resolve of pending.values()) resolve({ error: { message: "the browser went away" } });
      pending.clear();
    });
    const send = (method: string, params: Record<string, unknown> = {}) =>
      new Promise<{ result?: any; error?: { message: string } }>((resolve) => {
        const n = ++id;
        pending.set(n, resolve);
        ws.send(JSON.stringify({ id: n, method, params }));
      });
    for (const domain of ["Page", "Runtime", "Log", "Network"]) await send(`${domain}.enable`);
    await send("Page.navigate", { url });
    await load;
    const r = await send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
    ws.close();
    if (r.error !== undefined) throw new Error(`evaluate: ${r.error.message}`);
    if (r.result?.exceptionDetails !== undefined) throw new Error(`evaluate threw: ${JSON.stringify(r.result.exceptionDetails)}`);
    return { value: r.result?.result?.value as T, problems };
  } finally {
    clearTimeout(timer);
    child.kill("SIGKILL");
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve)));
    rmSync(profile, { recursive: true, force: true });
  }
}
