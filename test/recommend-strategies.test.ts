import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../ingest/index.ts";
import {
  productDetails,
  type Recommendation,
  recommend,
  refreshModels,
  type StrategyName,
} from "../queries/index.ts";
import { EVENTS, fixtureDb, NOW, PRODUCTS } from "./recommend-fixtures.ts";

// Every expected row below is computed by hand from recommend-fixtures.ts (the comments show how).
// Popularity (7 days): buyers B2 E2 H2 C1 D1; viewers A4 B3 C2 D2 E1. Eligible pool: A B C D E H I
// (F out of stock, G inactive), ranked overall B E H C D A I; Outerwear B C A; Shoes E D; Hats H I.
// Shopper t viewed A twice (5h and 10h ago) and bought H. u1 viewed A B C D and bought B D.

type Row = [profile: string, product: string, score: number, reason: string];
const rows = (recs: Recommendation[]): Row[] =>
  recs.map((r) => [r.profileId, r.productId, r.score, r.reason]);

const NOBODY: Row[] = [
  ["nobody", "B", 2, "backup: popular overall"],
  ["nobody", "E", 2, "backup: popular overall"],
  ["nobody", "H", 2, "backup: popular overall"],
  ["nobody", "C", 1, "backup: popular overall"],
];
const T_VIEW = 1780254000; // epoch seconds of NOW - 5h, t's last view of A
const U1_VIEW = 1780099200; // NOW - 48h

const EXPECTED: Record<StrategyName, Row[]> = {
  // t: seeds {A}: A-B, A-C, A-D each viewed by 2 shoppers (ties by popularity), F G ineligible; backup Outerwear adds A.
  // u1 (context B): seeds {A B C D}: C2 A2 E1 (B, D bought), then the overall backup adds H.
  viewed_viewed: [
    ...NOBODY,
    ["t", "B", 2, "viewed_viewed: 2 shoppers also viewed"],
    ["t", "C", 2, "viewed_viewed: 2 shoppers also viewed"],
    ["t", "D", 2, "viewed_viewed: 2 shoppers also viewed"],
    ["t", "A", 0, "backup: popular in Outerwear"],
    ["u1", "C", 2, "viewed_viewed: 2 shoppers also viewed"],
    ["u1", "A", 2, "viewed_viewed: 2 shoppers also viewed"],
    ["u1", "E", 1, "viewed_viewed: 1 shopper also viewed"],
    ["u1", "H", 2, "backup: popular overall"],
  ],
  // viewers of A bought B (u1, u2), D, E, C, H (t's own H is excluded).
  viewed_bought: [
    ...NOBODY,
    ["t", "B", 2, "viewed_bought: 2 shoppers who viewed it bought this"],
    ["t", "E", 1, "viewed_bought: 1 shopper who viewed it bought this"],
    ["t", "C", 1, "viewed_bought: 1 shopper who viewed it bought this"],
    ["t", "D", 1, "viewed_bought: 1 shopper who viewed it bought this"],
    ["u1", "E", 2, "viewed_bought: 2 shoppers who viewed it bought this"],
    ["u1", "H", 1, "viewed_bought: 1 shopper who viewed it bought this"],
    ["u1", "C", 1, "viewed_bought: 1 shopper who viewed it bought this"],
    ["u1", "A", 0, "backup: popular in Outerwear"],
  ],
  // t bought H; H's other buyer u4 bought E. u1's seeds B D: B's buyers also bought D (excluded) and E.
  bought_bought: [
    ...NOBODY,
    ["t", "E", 1, "bought_bought: 1 shopper also bought"],
    ["t", "B", 2, "backup: popular in Outerwear"],
    ["t", "C", 1, "backup: popular in Outerwear"],
    ["t", "A", 0, "backup: popular in Outerwear"],
    ["u1", "E", 1, "bought_bought: 1 shopper also bought"],
    ["u1", "C", 1, "backup: popular in Outerwear"],
    ["u1", "A", 0, "backup: popular in Outerwear"],
    ["u1", "H", 2, "backup: popular overall"],
  ],
  // t never added to a cart: backup only. u1's cart {B}: B's carters bought D (excluded) and E.
  cart_based: [
    ...NOBODY,
    ["t", "B", 2, "backup: popular in Outerwear"],
    ["t", "C", 1, "backup: popular in Outerwear"],
    ["t", "A", 0, "backup: popular in Outerwear"],
    ["t", "E", 2, "backup: popular overall"],
    ["u1", "E", 1, "cart_based: 1 shopper with it in their cart bought this"],
    ["u1", "C", 1, "backup: popular in Outerwear"],
    ["u1", "A", 0, "backup: popular in Outerwear"],
    ["u1", "H", 2, "backup: popular overall"],
  ],
  popular: [
    ["nobody", "B", 2, "popular: 2 buyers"],
    ["nobody", "E", 2, "popular: 2 buyers"],
    ["nobody", "H", 2, "popular: 2 buyers"],
    ["nobody", "C", 1, "popular: 1 buyer"],
    ["t", "B", 2, "popular in Outerwear: 2 buyers"],
    ["t", "C", 1, "popular in Outerwear: 1 buyer"],
    ["t", "A", 0, "popular in Outerwear: 0 buyers"],
    ["t", "E", 2, "backup: popular overall"],
    ["u1", "C", 1, "popular in Outerwear: 1 buyer"],
    ["u1", "A", 0, "popular in Outerwear: 0 buyers"],
    ["u1", "E", 2, "backup: popular overall"],
    ["u1", "H", 2, "backup: popular overall"],
  ],
  // most recent view first; u1's A and C were viewed at the same time: the more popular C first.
  recently_viewed: [
    ...NOBODY,
    ["t", "A", T_VIEW, "recently_viewed: viewed 2 times"],
    ["t", "B", 2, "backup: popular in Outerwear"],
    ["t", "C", 1, "backup: popular in Outerwear"],
    ["t", "E", 2, "backup: popular overall"],
    ["u1", "C", U1_VIEW, "recently_viewed: viewed 1 time"],
    ["u1", "A", U1_VIEW, "recently_viewed: viewed 1 time"],
    ["u1", "E", 2, "backup: popular overall"],
    ["u1", "H", 2, "backup: popular overall"],
  ],
};

const BATCH = [{ profileId: "t" }, { profileId: "nobody" }, { profileId: "u1", context: ["B"] }];

describe("recommendation strategies on a hand-made shop", () => {
  let db: Db;
  beforeAll(async () => {
    db = await fixtureDb(PRODUCTS, EVENTS);
    await refreshModels(db, { now: NOW });
  });
  afterAll(() => db.close());

  for (const [strategy, expected] of Object.entries(EXPECTED)) {
    it(`${strategy}: exact rows for a batch of three shoppers in one call`, async () => {
      const recs = await recommend(db, BATCH, { strategy, limit: 4, now: NOW });
      expect(rows(recs)).toEqual(expected);
      expect(recs.map((r) => r.rank)).toEqual(expected.map((_, i) => (i % 4) + 1));
    });
  }

  it("carries the product details the email needs", async () => {
    const [first] = await recommend(db, [{ profileId: "t" }], {
      strategy: "viewed_viewed",
      limit: 1,
      now: NOW,
    });
    expect(first).toEqual({
      profileId: "t",
      productId: "B",
      score: 2,
      reason: "viewed_viewed: 2 shoppers also viewed",
      rank: 1,
      product: {
        name: "Product B",
        category: "Outerwear",
        price: 80,
        imageUrl: "https://shop.test/img/B.jpg",
        url: "https://shop.test/p/B",
      },
    });
  });

  it("productDetails answers the email's product fields for known ids, in the order asked", async () => {
    const details = await productDetails(db, ["C", "zz", "A"]);
    expect([...details.keys()]).toEqual(["C", "A"]);
    expect(details.get("C")).toEqual({
      name: "Product C",
      category: "Outerwear",
      price: 120,
      imageUrl: "https://shop.test/img/C.jpg",
      url: "https://shop.test/p/C",
    });
  });

  it("refuses an unknown strategy with NUDGE_ERR_STRATEGY", async () => {
    await expect(recommend(db, BATCH, { strategy: "nope", limit: 4, now: NOW })).rejects.toMatchObject({
      code: "NUDGE_ERR_STRATEGY",
    });
  });
});
