import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../ingest/index.ts";
import { type Recommendation, recommend, refreshModels } from "../queries/index.ts";
import { EVENTS, fixtureDb, NOW, PRODUCTS } from "./recommend-fixtures.ts";

// Same shop as recommend-strategies.test.ts: pool A B C D E H I ranked overall B E H C D A I;
// F is out of stock, G inactive; t viewed A and bought H; u1 bought B and D.
const ids = (recs: Recommendation[]) => recs.map((r) => r.productId);
const pairs = (recs: Recommendation[]) => recs.map((r) => [r.productId, r.reason]);

describe("recommendation rules", () => {
  let db: Db;
  beforeAll(async () => {
    db = await fixtureDb(PRODUCTS, EVENTS);
    await refreshModels(db, { now: NOW });
  });
  afterAll(() => db.close());

  it("never recommends what the shopper bought, out-of-stock or inactive products; stops when the catalog does", async () => {
    // viewed_viewed scores F and G for t (u3 viewed A F G) and H is popular, yet none may appear;
    // 6 eligible products minus H leave 6, so a limit of 9 gets 6.
    const recs = await recommend(db, [{ profileId: "t" }], { strategy: "viewed_viewed", limit: 9, now: NOW });
    expect(pairs(recs)).toEqual([
      ["B", "viewed_viewed: 2 shoppers also viewed"],
      ["C", "viewed_viewed: 2 shoppers also viewed"],
      ["D", "viewed_viewed: 2 shoppers also viewed"],
      ["A", "backup: popular in Outerwear"],
      ["E", "backup: popular overall"],
      ["I", "backup: popular overall"],
    ]);
  });

  it("never recommends the items already in the email, listed once however often they are given", async () => {
    const recs = await recommend(db, [{ profileId: "t", context: ["B", "C", "B"] }], {
      strategy: "viewed_viewed",
      limit: 3,
      now: NOW,
    });
    // seeds A B C: D is viewed with A by 2 shoppers and with B by 2; A with B/C by 2; E with B by 1.
    expect(pairs(recs)).toEqual([
      ["D", "viewed_viewed: 2 shoppers also viewed"],
      ["A", "viewed_viewed: 2 shoppers also viewed"],
      ["E", "viewed_viewed: 1 shopper also viewed"],
    ]);
  });

  it("excludes purchases only inside the lookback window", async () => {
    // "old" bought A and I 60 days ago: with a 30-day lookback both may come back.
    const recent = await recommend(db, [{ profileId: "old" }], { strategy: "popular", limit: 7, now: NOW });
    expect(ids(recent)).toEqual(["B", "E", "H", "C", "D", "A", "I"]);
    const long = await recommend(db, [{ profileId: "old" }], {
      strategy: "popular",
      limit: 7,
      now: NOW,
      lookbackMs: 90 * 86_400_000,
    });
    // with 90 days both purchases are excluded, and the views of A (Outerwear) and I (Hats) make
    // Hats (first by name among equally viewed categories) the shopper's interest: H leads.
    expect(ids(long)).toEqual(["H", "B", "E", "C", "D"]);
  });

  it("sameCategory keeps only the categories of the items in the email, backup included", async () => {
    // u1's email shows B (Outerwear): E (Shoes) and H (Hats) drop out; B is in the email, so C and A remain.
    const recs = await recommend(db, [{ profileId: "u1", context: ["B"] }], {
      strategy: "viewed_viewed",
      limit: 4,
      now: NOW,
      sameCategory: true,
    });
    expect(pairs(recs)).toEqual([
      ["C", "viewed_viewed: 2 shoppers also viewed"],
      ["A", "viewed_viewed: 2 shoppers also viewed"],
    ]);
    // without context items there is no category to keep to: the list is as without the rule
    const free = await recommend(db, [{ profileId: "nobody" }], {
      strategy: "viewed_viewed",
      limit: 4,
      now: NOW,
      sameCategory: true,
    });
    expect(ids(free)).toEqual(["B", "E", "H", "C"]);
  });

  it("a price band keeps candidates and backup inside [priceMin, priceMax]", async () => {
    // A 100 and B 80 are in [70, 110]; C 120, D 60, E 50, H 25, I 30 are not.
    const recs = await recommend(db, [{ profileId: "t" }], {
      strategy: "viewed_viewed",
      limit: 4,
      now: NOW,
      priceMin: 70,
      priceMax: 110,
    });
    expect(pairs(recs)).toEqual([
      ["B", "viewed_viewed: 2 shoppers also viewed"],
      ["A", "backup: popular in Outerwear"],
    ]);
  });

  it("fills a shopper with no history from popular products, and a stale one category-aware", async () => {
    const recs = await recommend(db, [{ profileId: "stranger" }, { profileId: "visitor", context: ["E"] }], {
      strategy: "recently_viewed",
      limit: 3,
      now: NOW,
    });
    // neither viewed anything. The visitor's email shows E (Shoes): the rest of Shoes (D) first,
    // then overall (B, then H; E is in the email).
    expect(recs.map((r) => [r.profileId, r.productId, r.reason])).toEqual([
      ["stranger", "B", "backup: popular overall"],
      ["stranger", "E", "backup: popular overall"],
      ["stranger", "H", "backup: popular overall"],
      ["visitor", "D", "backup: popular in Shoes"],
      ["visitor", "B", "backup: popular overall"],
      ["visitor", "H", "backup: popular overall"],
    ]);
  });

  it("ranks stably: the same list alone, in a batch, and on every call", async () => {
    const opts = { strategy: "viewed_viewed", limit: 5, now: NOW };
    const alone = await recommend(db, [{ profileId: "u1" }], opts);
    const batch = await recommend(db, [{ profileId: "t" }, { profileId: "u1" }, { profileId: "x" }], opts);
    const again = await recommend(db, [{ profileId: "u1" }], opts);
    expect(batch.filter((r) => r.profileId === "u1")).toEqual(alone);
    expect(again).toEqual(alone);
    expect(new Set(ids(alone)).size).toBe(alone.length);
  });

  it("returns nothing for an empty batch and rejects a bad limit", async () => {
    expect(await recommend(db, [], { strategy: "popular", limit: 3, now: NOW })).toEqual([]);
    await expect(
      recommend(db, [{ profileId: "t" }], { strategy: "popular", limit: 0, now: NOW }),
    ).rejects.toThrow();
  });
});
