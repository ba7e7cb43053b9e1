import { rmSync } from "node:fs";
import { join } from "node:path";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import pino from "pino";
import {
  generateShop,
  loadConfig,
  loadDir,
  publishStream,
  shopMessages,
  writeShop,
} from "../../ingest/index.ts";
import { findOrStartNats, startHost } from "../host.ts";

interface DemoOpts {
  events: string;
  profiles: string;
  products: string;
  seed: string;
  keep?: boolean;
  serve?: boolean;
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
    .option("--serve", "keep running afterwards with the API and the manager page on HTTP_HOST:HTTP_PORT")
    .action(async (o: DemoOpts) => {
      const dir = join("data", "demo");
      if (!o.keep) rmSync(dir, { recursive: true, force: true });
      const config = loadConfig({
        ...process.env,
        DUCKDB_PATH: process.env.DUCKDB_PATH || join(dir, "nudge.duckdb"),
        DATA_DIR: process.env.DATA_DIR || dir,
        // A demo replays a week of events at once: let the email go out quickly.
        SEND_RATE: process.env.SEND_RATE || "5000",
        FREQUENCY_CAP: process.env.FREQUENCY_CAP || "10",
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
        parts: o.serve ? ["history", "processors", "email", "api"] : ["history", "processors", "email"],
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
        // From the generator rather than the file, so lines meant for a wrong subject keep it.
        const pub = await publishStream(host.nc, shopMessages(shop), {
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

        // Detection: the processors replay the same stream in event time.
        const proc = host.processors!;
        await waitFor(() => proc.stats().lastSeq >= pub.lastSeq, 120_000);
        const ps = proc.stats();
        const triggers = ps.triggersOut.cart_abandoned + ps.triggersOut.browse_abandoned;
        say(
          `triggers found        cart_abandoned ${ps.triggersOut.cart_abandoned}, browse_abandoned ${ps.triggersOut.browse_abandoned}  → stream TRIGGERS`,
        );
        say(
          `  still open          ${ps.openCarts} carts, ${ps.openSessions} sessions (their wait has not passed in event time)`,
        );
        say(`  late / duplicates   ${ps.late} late (→ dlq.events.late), ${ps.duplicates} repeated ids`);

        // Email: one per trigger, through the ledger, consent and caps.
        const email = host.email!.sink.counters;
        const settled = () =>
          email.sent +
          email.failed +
          email.held +
          Object.values(email.skipped).reduce((a, n) => a + (n ?? 0), 0);
        await waitFor(() => settled() >= triggers, 300_000);
        say(
          `emails sent           ${email.sent}  (failed ${email.failed}, held ${email.held}, skipped ${JSON.stringify(email.skipped)})`,
        );
        say(
          config.SMTP_URL
            ? `emails went to        ${config.SMTP_URL.replace(/\/\/[^@]*@/, "//")}`
            : `emails written to     ${join(config.DATA_DIR, "outbox")}/*.eml  (open one in a mail client)`,
        );
        say(`send log              SELECT * FROM send_log  in ${config.DUCKDB_PATH}`);
        say(`total time            ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        if (o.serve && host.api) {
          say(
            `\nmanager page          ${host.api.url}/   (API docs at ${host.api.url}/docs; Ctrl-C to stop)`,
          );
          await new Promise<void>((resolve) => {
            process.once("SIGINT", resolve);
            process.once("SIGTERM", resolve);
          });
        }
      } finally {
        await host.stop();
      }
    });
}

async function waitFor(done: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error(`demo: gave up waiting after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
