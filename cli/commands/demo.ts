import { rmSync } from "node:fs";
import { join } from "node:path";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import pino from "pino";
import { generateShop, loadConfig, loadDir, publishFile, writeShop } from "../../ingest/index.ts";
import { findOrStartNats, startHost } from "../host.ts";

interface DemoOpts {
  events: string;
  profiles: string;
  products: string;
  seed: string;
  keep?: boolean;
}

const DAY = 86_400_000;

export function register(program: Command): void {
  program
    .command("demo")
    .description(
      "The main job on embedded defaults: start (or find) NATS, provision, generate a synthetic shop, publish " +
        "its events, consume them into the DuckDB history, and print what happened",
    )
    .option("--events <n>", "events to generate", "200000")
    .option("--profiles <n>", "shoppers", "5000")
    .option("--products <n>", "catalog size", "1000")
    .option("--seed <n>", "random seed", "42")
    .option("--keep", "keep ./data/demo from the last run instead of starting fresh")
    .action(async (o: DemoOpts) => {
      const dir = join("data", "demo");
      if (!o.keep) rmSync(dir, { recursive: true, force: true });
      const config = loadConfig({
        ...process.env,
        DUCKDB_PATH: process.env.DUCKDB_PATH || join(dir, "nudge.duckdb"),
        DATA_DIR: process.env.DATA_DIR || dir,
      });
      const say = (s: string) => process.stdout.write(`${s}\n`);
      const t0 = performance.now();

      const nats = await findOrStartNats(config, join(dir, "nats"), {
        explicit: Boolean(process.env.NATS_URL),
      });
      say(
        nats.embedded
          ? `NATS: started nats-server on ${nats.url} (store ${join(dir, "nats")})`
          : `NATS: ${nats.url}`,
      );
      const host = await startHost(config, {
        natsUrl: nats.url,
        embedded: nats.embedded,
        logger: pino({ level: process.env.LOG_LEVEL ?? "warn" }),
      });
      try {
        const spanMs = 7 * DAY;
        const shop = generateShop({
          seed: Number(o.seed),
          events: Number(o.events),
          profiles: Number(o.profiles),
          products: Number(o.products),
          stores: 20,
          startMs: Date.parse("2026-11-01T00:00:00Z"),
          spanMs,
        });
        const files = await writeShop(shop, join(dir, "shop"));
        say(
          `shop: ${shop.profiles.length} profiles, ${shop.products.length} products, ${shop.stores.length} stores, ${shop.bookings.length} bookings; ${files.events.lines} event lines in ${files.events.file}`,
        );
        const loaded = await loadDir(host.db, join(dir, "shop"), { mode: "replace" });
        say(`entities loaded into DuckDB: ${loaded.map((l) => `${l.table} ${l.rows}`).join(", ")}`);

        const bar = new SingleBar({
          format: "publish+ingest |{bar}| {value}/{total} events  {rate}/s",
          hideCursor: true,
        });
        bar.start(files.events.lines, 0, { rate: 0 });
        const tp = performance.now();
        const pub = await publishFile(host.nc, files.events.file, {
          onProgress: (s) =>
            bar.update(s.lines, { rate: Math.round(s.lines / ((performance.now() - tp) / 1000)) }),
        });
        await host.history!.caughtUp(pub.lastSeq);
        bar.stop();
        const secs = (performance.now() - tp) / 1000;

        const st = host.history!.stats();
        const r = await host.db.conn.runAndReadAll(
          "SELECT type, count(*)::INT n FROM events GROUP BY type ORDER BY n DESC",
        );
        say("");
        say("── summary ─────────────────────────────────────────────");
        say(
          `events published      ${pub.published}  (${pub.duplicates} duplicates dropped by NATS's duplicate window)`,
        );
        say(`events accepted       ${st.accepted}`);
        say(`duplicates dropped    ${st.duplicates}  (same event id, caught by ingest)`);
        const dl = Object.entries(st.deadLettered);
        say(
          `dead-lettered         ${dl.reduce((a, [, n]) => a + (n ?? 0), 0)}  ${dl.map(([k, n]) => `${k}: ${n}`).join(", ")}  → stream DLQ, subjects dlq.events.<reason>`,
        );
        say(
          `rows in history       ${r
            .getRows()
            .map(([t, n]) => `${t} ${n}`)
            .join(", ")}`,
        );
        say(
          `throughput            ${Math.round(pub.lines / secs)} events/s publish → DuckDB (${secs.toFixed(1)} s)`,
        );
        say(`DuckDB file           ${config.DUCKDB_PATH}`);
        say(`total time            ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      } finally {
        await host.stop();
      }
    });
}
