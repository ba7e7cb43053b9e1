// Campaign definitions through the API (GET/PUT/DELETE /v1/campaigns/:name) over the real stack: NATS,
// DuckDB, the email sink and an SMTP server, the scheduler and the journey engine following the
// registry, and a campaigns folder on disk that a second app (a restart) reads back.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import type { InjectOptions } from "fastify";
import { describe, expect, it, vi } from "vitest";
import { buildApp, createMetrics, defaultEmail, defaultRecommend, defaultSegments } from "../api/index.ts";
import { openBucket } from "../ingest/index.ts";
import {
  CampaignRegistry,
  createCampaigns,
  createRenderer,
  followCampaigns,
  startCampaignScheduler,
  startJourneys,
  systemClock,
} from "../sinks/index.ts";
import {
  cartTrigger,
  HOUR,
  type JourneyWorld,
  journeyWorld,
  publishTrigger,
  recommendedIds,
  T0,
} from "./journeys-helpers.ts";

const KEY = "campaign-definitions-key-01";
const wait = { timeout: 15_000, interval: 20 };

/** The API over a registry of `dir`: what `nudge run` builds (campaigns service, API, both sharing one registry). */
async function apiOver(w: JourneyWorld, dir: string) {
  const registry = CampaignRegistry.fromDir(dir);
  const config = { ...w.config, API_KEYS: [KEY], LOG_LEVEL: "silent" as const };
  const campaigns = await createCampaigns({
    nc: w.nats.nc,
    db: w.db,
    config,
    sink: w.email.sink,
    runner: w.runner,
    renderer: createRenderer(),
    clock: { now: () => w.clock.now(), sleep: systemClock.sleep },
    campaigns: registry,
  });
  const app = await buildApp({
    config,
    nc: w.nats.nc,
    db: w.db,
    segments: await defaultSegments(w.db, { SEGMENTS_DIR: "./segments" }),
    recommend: defaultRecommend(w.db, () => w.clock.now()),
    campaigns,
    email: await defaultEmail(w.nats.nc, w.db, config),
    metrics: createMetrics(),
    now: () => w.clock.now(),
  });
  const call = (opts: InjectOptions) =>
    app.inject({ ...opts, headers: { authorization: `Bearer ${KEY}`, ...opts.headers } });
  return { registry, campaigns, app, call };
}

const names = (api: { call: (o: InjectOptions) => Promise<{ json(): unknown }> }) =>
  api
    .call({ method: "GET", url: "/v1/campaigns" })
    .then((r) => (r.json() as { name: string }[]).map((c) => c.name));

describe("campaign definitions through the API", () => {
  it("create, list, run, trigger, update (scheduler re-armed, journeys on new steps), delete; a restart sees them", async () => {
    await using w = await journeyWorld();
    const dir = mkdtempSync(join(tmpdir(), "nudge-campaigns-"));
    const api = await apiOver(w, dir);
    const scheduler = startCampaignScheduler({
      campaigns: api.campaigns,
      defs: api.registry.values(),
      clock: w.clock,
      state: await openBucket(w.nats.nc, "state"),
      runner: w.runner,
    });
    const journeys = await startJourneys({
      nc: w.nats.nc,
      config: w.config,
      sink: w.email.sink,
      runner: w.runner,
      campaigns: api.registry.values(),
      clock: w.clock,
    });
    const unfollow = followCampaigns(api.registry, { scheduler, journeys });
    let restarted: Awaited<ReturnType<typeof apiOver>> | undefined;
    try {
      expect(await names(api)).toEqual([]);
      expect((await api.call({ method: "GET", url: "/v1/campaigns/confirm" })).statusCode).toBe(404);

      // Create: the name comes from the URL; the file is written into the folder.
      const created = await api.call({
        method: "PUT",
        url: "/v1/campaigns/confirm",
        payload: { kind: "api", template: "order-confirmation", description: "order confirmation" },
      });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toEqual({
        name: "confirm",
        kind: "api",
        template: "order-confirmation",
        description: "order confirmation",
      });
      expect(readdirSync(dir)).toEqual(["confirm.yaml"]);
      const trigger = await api.call({
        method: "POST",
        url: "/v1/campaigns/confirm/trigger",
        payload: { profileId: "p1", data: { orderId: "o-1", total: 10 } },
      });
      expect(trigger.statusCode).toBe(200);
      expect(trigger.json()).toMatchObject({ status: "sent" });
      await w.smtp.waitFor(1);

      // An action campaign on a schedule: armed at once, and a dry run counts its audience.
      const weekly = {
        kind: "action",
        audience: { sql: "SELECT profile_id FROM profiles WHERE profile_id IN ('p1', 'p4')" },
        template: "browse-reminder",
        strategy: "popular",
        schedule: { cron: "0 9 * * 1", timezone: "Europe/Paris" },
      };
      expect(
        (await api.call({ method: "PUT", url: "/v1/campaigns/weekly", payload: weekly })).statusCode,
      ).toBe(201);
      expect(new Date(scheduler.next().weekly ?? 0).toISOString()).toBe("2026-11-30T08:00:00.000Z");
      const dry = await api.call({
        method: "POST",
        url: "/v1/campaigns/weekly/runs",
        payload: { dryRun: true },
      });
      expect(dry.statusCode).toBe(200);
      expect(dry.json().steps.at(-1).count).toBe(2);
      expect(await names(api)).toEqual(["confirm", "weekly"]);

      // Update: daily at 10:00 Paris. The scheduler re-arms (no restart), and fires at the new time.
      const daily = { ...weekly, name: "weekly", schedule: { cron: "0 10 * * *", timezone: "Europe/Paris" } };
      const replaced = await api.call({ method: "PUT", url: "/v1/campaigns/weekly", payload: daily });
      expect(replaced.statusCode).toBe(200);
      expect(new Date(scheduler.next().weekly ?? 0).toISOString()).toBe("2026-11-24T09:00:00.000Z");
      expect((await api.call({ method: "GET", url: "/v1/campaigns/weekly" })).json()).toEqual(daily);
      await w.clock.set(Date.parse("2026-11-24T09:00:00Z"));
      await scheduler.idle();
      await w.smtp.waitFor(3);
      const fired = await api.campaigns.getRun("weekly", "2026-11-24T09:00:00.000Z");
      expect(fired).toMatchObject({ status: "done", sends: { sent: 2 } });

      // A journey: new entries follow the definition in force when they enter.
      const journey = (template: string) => ({
        kind: "journey",
        trigger: "cart_abandoned",
        steps: [{ send: { template, strategy: "cart_based" } }],
      });
      expect(
        (await api.call({ method: "PUT", url: "/v1/campaigns/carts", payload: journey("cart-reminder") }))
          .statusCode,
      ).toBe(201);
      await publishTrigger(w.nats.nc, cartTrigger("p1", T0 + HOUR, ["sku-1"]));
      await w.smtp.waitFor(4);
      expect(
        (await api.call({ method: "PUT", url: "/v1/campaigns/carts", payload: journey("cart-reminder-2") }))
          .statusCode,
      ).toBe(200);
      await publishTrigger(w.nats.nc, cartTrigger("p4", T0 + HOUR, ["sku-1"]));
      await w.smtp.waitFor(5);
      await vi.waitFor(async () => {
        expect((await recommendedIds(w.db, "p1")).map((s) => s.template)).toContain("cart-reminder");
        expect((await recommendedIds(w.db, "p4")).map((s) => s.template)).toContain("cart-reminder-2");
      }, wait);
      expect((await recommendedIds(w.db, "p4")).map((s) => s.template)).not.toContain("cart-reminder");

      // Delete: the file goes, the schedule stops, the name is unknown everywhere.
      expect((await api.call({ method: "DELETE", url: "/v1/campaigns/weekly" })).statusCode).toBe(204);
      expect(scheduler.next()).not.toHaveProperty("weekly");
      expect(existsSync(join(dir, "weekly.yaml"))).toBe(false);
      for (const r of [
        { method: "GET", url: "/v1/campaigns/weekly" },
        { method: "DELETE", url: "/v1/campaigns/weekly" },
        { method: "POST", url: "/v1/campaigns/weekly/runs", payload: { dryRun: true } },
      ] as const) {
        expect((await api.call(r)).statusCode, `${r.method} ${r.url}`).toBe(404);
      }
      expect(await names(api)).toEqual(["carts", "confirm"]);

      // Created again a day later: the fire it missed while deleted is not owed.
      await w.clock.set(Date.parse("2026-11-25T12:00:00Z"));
      expect(
        (await api.call({ method: "PUT", url: "/v1/campaigns/weekly", payload: daily })).statusCode,
      ).toBe(201);
      await scheduler.idle();
      expect(new Date(scheduler.next().weekly ?? 0).toISOString()).toBe("2026-11-26T09:00:00.000Z");
      expect(await api.campaigns.getRun("weekly", "2026-11-25T09:00:00.000Z")).toBeUndefined();
      expect((await api.call({ method: "DELETE", url: "/v1/campaigns/weekly" })).statusCode).toBe(204);

      // A restart (a new registry, service and app over the same folder) sees what the API stored.
      restarted = await apiOver(w, dir);
      expect(await names(restarted)).toEqual(["carts", "confirm"]);
      expect((await restarted.call({ method: "GET", url: "/v1/campaigns/carts" })).json()).toEqual({
        name: "carts",
        ...journey("cart-reminder-2"),
      });
      const again = await restarted.call({
        method: "POST",
        url: "/v1/campaigns/confirm/trigger",
        payload: { profileId: "p4", data: { orderId: "o-2", total: 20 } },
      });
      expect(again.json()).toMatchObject({ status: "sent" });
      await w.smtp.waitFor(6);
    } finally {
      unfollow();
      scheduler.stop();
      await journeys.stop();
      await api.app.close();
      await restarted?.app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses bad definitions with the path of each problem, and writes nothing", async () => {
    await using w = await journeyWorld();
    const dir = mkdtempSync(join(tmpdir(), "nudge-campaigns-"));
    const api = await apiOver(w, dir);
    try {
      const put = (name: string, payload: unknown) =>
        api.call({ method: "PUT", url: `/v1/campaigns/${name}`, payload: payload as object });
      const cases: { name: string; payload: unknown; paths: string[] }[] = [
        { name: "a", payload: { kind: "action" }, paths: ["body.audience", "body.template"] },
        { name: "a", payload: { kind: "api", template: "x", extra: 1 }, paths: ["body.extra"] },
        { name: "a", payload: { kind: "nope" }, paths: ["body.kind"] },
        { name: "a", payload: { name: "b", kind: "api", template: "x" }, paths: ["body.name"] },
        { name: "Big", payload: { kind: "api", template: "x" }, paths: ["body.name"] },
        {
          name: "a",
          payload: { kind: "action", audience: { segment: "s" }, template: "x", rate: -1 },
          paths: ["body.rate"],
        },
        {
          name: "a",
          payload: { kind: "orchestrated", audience: { sql: "SELECT 1" }, steps: [{ type: "filter" }] },
          paths: ["body.steps.0.where"],
        },
      ];
      for (const c of cases) {
        const res = await put(c.name, c.payload);
        expect(res.statusCode, JSON.stringify(c.payload)).toBe(400);
        const got = res.json().issues.map((i: { path: string }) => i.path);
        for (const p of c.paths) expect(got, JSON.stringify(c.payload)).toContain(p);
      }
      // Valid by the schema, but a cron that cannot be read or a condition that does not compile: 422.
      const badCron = await put("a", {
        kind: "action",
        audience: { segment: "s" },
        template: "x",
        schedule: { cron: "every monday", timezone: "Europe/Paris" },
      });
      expect(badCron.statusCode).toBe(422);
      expect(badCron.json().code).toBe("NUDGE_ERR_CAMPAIGN");
      const badCondition = await put("j", {
        kind: "journey",
        trigger: "cart_abandoned",
        steps: [{ condition: { sql: "SELECT nope AS ok FROM nowhere" } }],
      });
      expect(badCondition.statusCode).toBe(422);
      expect(badCondition.json().message).toMatch(/steps\.0\.condition/);
      expect(readdirSync(dir)).toEqual([]);
      expect(await names(api)).toEqual([]);

      // Fuzzed names and bodies (near-valid ones too): never a 500, and the folder always loads.
      const nearValid = fc.record(
        {
          kind: fc.constantFrom("api", "action", "journey", "orchestrated", "other"),
          template: fc.constantFrom("order-confirmation", "", 7),
          audience: fc.oneof(fc.record({ segment: fc.string() }), fc.record({ sql: fc.string() })),
          trigger: fc.constantFrom("cart_abandoned", "nope"),
          steps: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 2 }),
          schedule: fc.oneof(fc.record({ at: fc.string() }), fc.record({ cron: fc.string() })),
        },
        { requiredKeys: ["kind"] },
      );
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.constantFrom("fz", "fz-1"), fc.string({ maxLength: 70 })),
          fc.oneof(nearValid, fc.jsonValue({ maxDepth: 3 })),
          async (name, body) => {
            const res = await api.call({
              method: "PUT",
              url: `/v1/campaigns/${encodeURIComponent(name)}`,
              headers: { "content-type": "application/json" },
              payload: JSON.stringify(body),
            });
            expect(res.statusCode, res.body).toBeLessThan(500);
            expect(res.body).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+/);
          },
        ),
        { numRuns: 150 },
      );
      expect(() => CampaignRegistry.fromDir(dir)).not.toThrow();
      for (const n of await names(api)) {
        expect((await api.call({ method: "DELETE", url: `/v1/campaigns/${n}` })).statusCode).toBe(204);
      }
      expect(readdirSync(dir)).toEqual([]);

      // JSON files keep their format when replaced through the API.
      const json = join(dir, "hello.json");
      const { writeFileSync } = await import("node:fs");
      writeFileSync(json, '{"name":"hello","kind":"api","template":"order-confirmation"}');
      const again = await apiOver(w, dir);
      const res = await again.call({
        method: "PUT",
        url: "/v1/campaigns/hello",
        payload: { kind: "api", template: "order-confirmation", transactional: false },
      });
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(readFileSync(json, "utf8"))).toEqual({
        kind: "api",
        template: "order-confirmation",
        transactional: false,
        name: "hello",
      });
      expect(readdirSync(dir)).toEqual(["hello.json"]);
      await again.app.close();
    } finally {
      await api.app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("another process's change reaches this one through the folder (watch)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nudge-campaigns-"));
    const here = CampaignRegistry.fromDir(dir);
    const there = CampaignRegistry.fromDir(dir);
    const seen: string[] = [];
    here.subscribe((changes) => {
      for (const c of changes) seen.push(`${c.name}:${c.after ? "put" : "deleted"}`);
    });
    const unwatch = here.watch({ debounceMs: 20 });
    try {
      await new Promise((r) => setTimeout(r, 50)); // the watch starts after its mkdir
      await there.put("hello", { kind: "api", template: "order-confirmation" });
      await vi.waitFor(() => expect(here.get("hello")?.kind).toBe("api"), wait);
      await there.delete("hello");
      await vi.waitFor(() => expect(here.get("hello")).toBeUndefined(), wait);
      expect(seen).toEqual(["hello:put", "hello:deleted"]);
    } finally {
      unwatch();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
