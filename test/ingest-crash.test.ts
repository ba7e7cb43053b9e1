import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDb, publishEvents, type ShopEvent } from "../ingest/index.ts";
import { startTestNats } from "./helpers/nats.ts";

const WORKER = join(import.meta.dirname, "helpers", "history-worker.ts");

/** Runs the worker; kills it with SIGKILL once it has committed past `killAfterSeq` (if given). */
function runWorker(
  url: string,
  path: string,
  until: number,
  killAfterSeq?: number,
): Promise<"killed" | "done"> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", WORKER, url, path, String(until)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    child.stdout.on("data", (d: Buffer) => {
      const seqs = [...d.toString().matchAll(/seq (\d+)/g)].map((m) => Number(m[1]));
      if (killAfterSeq !== undefined && seqs.some((s) => s > killAfterSeq)) child.kill("SIGKILL");
    });
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      signal === "SIGKILL"
        ? resolve("killed")
        : code === 0
          ? resolve("done")
          : reject(new Error(`worker exited ${code}`)),
    );
  });
}

describe("history survives SIGKILL", () => {
  it("holds each event exactly once after kills at several points", async () => {
    await using nats = await startTestNats();
    const dir = mkdtempSync(join(tmpdir(), "nudge-crash-"));
    const path = join(dir, "h.duckdb");
    const N = 30_000;
    const t0 = Date.parse("2026-11-23T00:00:00Z");
    const events: ShopEvent[] = Array.from({ length: N }, (_, i) => ({
      id: `e${i}`,
      type: "product_view",
      profileId: `p${i % 997}`,
      ts: new Date(t0 + i * 1000).toISOString(),
      productId: `sku-${i % 101}`,
    }));
    const published = await publishEvents(nats.nc, events);
    expect(published.every((r) => r.ok)).toBe(true);
    try {
      // Kill points spread over the replay (deterministic so a failure can be replayed).
      for (const at of [2_000, 9_000, 17_000, 26_000]) {
        expect(await runWorker(nats.url, path, N, at)).toBe("killed");
      }
      expect(await runWorker(nats.url, path, N)).toBe("done");
      const db = await openDb(path);
      const r = await db.conn.runAndReadAll(
        "SELECT count(*)::INT n, count(DISTINCT id)::INT ids, min(seq)::INT lo, max(seq)::INT hi FROM events",
      );
      db.close();
      expect(r.getRowObjectsJson()[0]).toEqual({ n: N, ids: N, lo: 1, hi: N });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000); // five worker processes, each loading tsx and DuckDB
});
