import { jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { connectNats, isNudgeError, provision, STREAMS, startNats } from "../ingest/index.ts";
import { startTestNats } from "./helpers/nats.ts";

describe("NATS provisioning", () => {
  it("creates the three streams and is idempotent", async () => {
    await using nats = await startTestNats();
    await provision(nats.nc);
    await provision(nats.nc);
    const jsm = await jetstreamManager(nats.nc);
    for (const name of Object.keys(STREAMS)) {
      const info = await jsm.streams.info(name);
      expect(info.config.storage).toBe("file");
      expect(info.config.max_bytes).toBeGreaterThan(0);
      expect(info.config.duplicate_window).toBeGreaterThan(0);
    }
    const kvs = await jsm.streams.names().next();
    expect(kvs).toContain("KV_nudge_checkpoints");
  });

  it("says clearly when the server has no JetStream", async () => {
    const { spawn } = await import("node:child_process");
    const { findNatsServer } = await import("../ingest/index.ts");
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn(findNatsServer()!, ["-a", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
    try {
      let nc: Awaited<ReturnType<typeof connectNats>> | undefined;
      for (let i = 0; i < 100 && !nc; i++) {
        nc = await connectNats(`nats://127.0.0.1:${port}`).catch(() => undefined);
        if (!nc) await new Promise((r) => setTimeout(r, 50));
      }
      const err = await provision(nc!).catch((e: unknown) => e);
      expect(isNudgeError(err, "NUDGE_ERR_NO_JETSTREAM")).toBe(true);
      await nc!.close();
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("binds the embedded server to loopback", async () => {
    await using server = await startNats();
    expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
  });
});
