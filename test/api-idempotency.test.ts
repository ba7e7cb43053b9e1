import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson, idempotencyStore } from "../api/index.ts";
import { NudgeError, openBucket } from "../ingest/index.ts";
import { startApi, type TestApi } from "./api-fakes.ts";

let api: TestApi;
const clock = Date.parse("2026-11-23T10:00:00Z");
beforeAll(async () => {
  api = await startApi({}, { now: () => clock });
});
afterAll(() => api[Symbol.asyncDispose]());

const trigger = (key: string | undefined, body: unknown, name = "welcome") =>
  api.app.inject({
    method: "POST",
    url: `/v1/campaigns/${name}/trigger`,
    headers: key === undefined ? {} : { "idempotency-key": key },
    payload: body as object,
  });

describe("Idempotency-Key on POST /v1/campaigns/:name/trigger", () => {
  it("the same key and body return the same answer and send once", async () => {
    const body = { profileId: "p1", data: { order: "o-1", total: 12.5 } };
    const first = await trigger("k-1", body);
    expect(first.statusCode).toBe(200);
    const again = await trigger("k-1", { data: { total: 12.5, order: "o-1" }, profileId: "p1" }); // same body, keys reordered
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(api.campaigns.sends.filter((s) => s.key === "k-1")).toHaveLength(1);
  });

  it("the same key with another body is 422 and sends nothing", async () => {
    await trigger("k-2", { profileId: "p1" });
    const other = await trigger("k-2", { profileId: "p2" });
    expect(other.statusCode).toBe(422);
    expect(other.json().message).toMatch(/different request body/);
    expect(api.campaigns.sends.filter((s) => s.key === "k-2")).toHaveLength(1);
  });

  it("keys are per campaign; without a key every call sends", async () => {
    await trigger("k-3", { profileId: "p1" });
    const otherCampaign = await trigger("k-3", { profileId: "p1" }, "nope");
    expect(otherCampaign.statusCode).toBe(404);
    const before = api.campaigns.sends.length;
    await trigger(undefined, { profileId: "p9" });
    await trigger(undefined, { profileId: "p9" });
    expect(api.campaigns.sends.length).toBe(before + 2);
  });

  it("concurrent requests with one key send once", async () => {
    const body = { profileId: "p5" };
    const answers = await Promise.all(Array.from({ length: 8 }, () => trigger("k-race", body)));
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    expect(statuses).toContain(200);
    expect(api.campaigns.sends.filter((s) => s.key === "k-race")).toHaveLength(1);
    const later = await trigger("k-race", body);
    expect(later.statusCode).toBe(200);
    expect(api.campaigns.sends.filter((s) => s.key === "k-race")).toHaveLength(1);
  });

  it("a failed send frees the key so a retry can send", async () => {
    const original = api.campaigns.trigger;
    api.campaigns.trigger = async () => {
      throw new NudgeError("NUDGE_ERR_SMTP", "SMTP down");
    };
    const failed = await trigger("k-4", { profileId: "p1" });
    expect(failed.statusCode).toBe(502);
    api.campaigns.trigger = original;
    const retry = await trigger("k-4", { profileId: "p1" });
    expect(retry.statusCode).toBe(200);
    expect(api.campaigns.sends.filter((s) => s.key === "k-4")).toHaveLength(1);
  });

  it("rejects a malformed key with a path", async () => {
    const res = await trigger("has space", { profileId: "p1" });
    expect(res.statusCode).toBe(400);
    expect(res.json().issues[0].path).toBe("headers.idempotency-key");
  });
});

describe("idempotencyStore", () => {
  it("takes over a pending entry only once it is stale (controlled clock)", async () => {
    let now = 1_000_000;
    const store = idempotencyStore(await openBucket(api.deps.nc, "idempotency"), () => now);
    expect((await store.begin("s", "k", { a: 1 })).kind).toBe("new");
    expect((await store.begin("s", "k", { a: 1 })).kind).toBe("in_progress");
    now += 61_000;
    expect((await store.begin("s", "k", { a: 1 })).kind).toBe("new");
    await store.complete("s", "k", { a: 1 }, 200, { sendId: "x", status: "sent" });
    expect(await store.begin("s", "k", { a: 1 })).toEqual({
      kind: "replay",
      status: 200,
      body: { sendId: "x", status: "sent" },
    });
    expect((await store.begin("s", "k", { a: 2 })).kind).toBe("mismatch");
  });

  it("canonicalJson sorts keys at every level", () => {
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: null, u: undefined })).toBe(
      '{"a":null,"b":[{"c":2,"d":1}]}',
    );
  });
});
