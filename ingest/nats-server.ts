import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { NudgeError } from "./errors.ts";

const CANDIDATES = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];

/** The path of an installed nats-server binary, or undefined. */
export function findNatsServer(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, "nats-server"))) return join(dir, "nats-server");
  }
  return CANDIDATES.find((p) => existsSync(p));
}

export interface EmbeddedNats extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
  /** SIGKILL, for crash tests. */
  kill(): void;
}

export interface StartNatsOptions {
  /** JetStream store directory; a temp dir (removed on stop) when omitted. */
  storeDir?: string;
  /** Extra config file text (e.g. subject mappings), written next to the store. */
  configText?: string;
  /** Fixed port; a free one (0) when omitted. */
  port?: number;
}

/**
 * Starts a nats-server with JetStream bound to 127.0.0.1 on a free port, and waits until it listens.
 *
 * @example
 * await using nats = await startNats();
 * const nc = await connectNats(nats.url);
 */
export async function startNats(opts: StartNatsOptions = {}): Promise<EmbeddedNats> {
  const bin = findNatsServer();
  if (!bin) {
    throw new NudgeError(
      "NUDGE_ERR_NATS_SERVER_MISSING",
      "nats-server is not installed: run `sudo apt-get install -y nats-server` (Debian/Ubuntu), or set NATS_URL to a server with JetStream",
    );
  }
  const temp = opts.storeDir === undefined;
  const storeDir = opts.storeDir ?? mkdtempSync(join(tmpdir(), "nudge-nats-"));
  mkdirSync(storeDir, { recursive: true });
  const portsDir = mkdtempSync(join(tmpdir(), "nudge-nats-ports-"));
  const args = [
    "-a",
    "127.0.0.1",
    "-p",
    String(opts.port ?? -1),
    "-js",
    "-sd",
    storeDir,
    "--ports_file_dir",
    portsDir,
  ];
  if (opts.configText) {
    const conf = join(portsDir, "nats.conf");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(conf, opts.configText);
    args.push("-c", conf);
  }
  const child = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });

  let port = 0;
  for (let i = 0; i < 200 && !port; i++) {
    if (exited) break;
    const file = readdirSync(portsDir).find((f) => f.endsWith(".ports"));
    if (file) {
      // The server may still be writing the file: read the port with a regex, retry until complete.
      const m = /"nats"\s*:\s*\[\s*"[^"]*:(\d+)"/.exec(readFileSync(join(portsDir, file), "utf8"));
      if (m) port = Number(m[1]);
    }
    if (!port) await sleep(25);
  }
  if (!port) {
    child.kill("SIGKILL");
    throw new NudgeError("NUDGE_ERR_NATS_UNREACHABLE", `nats-server did not start: ${stderr.trim()}`);
  }

  const stop = async () => {
    if (!exited) {
      const done = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([done, sleep(5_000)]);
      if (!exited) child.kill("SIGKILL");
    }
    rmSync(portsDir, { recursive: true, force: true });
    if (temp) rmSync(storeDir, { recursive: true, force: true });
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    process: child,
    stop,
    kill: () => child.kill("SIGKILL"),
    [Symbol.asyncDispose]: stop,
  };
}
