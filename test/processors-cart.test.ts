import { describe, expect, it } from "vitest";
import { detectStats } from "../processors/index.ts";
import {
  add,
  brief,
  checkout,
  HOUR,
  iso,
  OPTS,
  profileUpdate,
  purchase,
  remove,
  run,
  view,
} from "./processors-fixtures.ts";

// Times are minutes after T0; OPTS: abandon after 120m, lateness 5m. Every run ends with a flush.
const cases: {
  name: string;
  events: ReturnType<typeof add>[];
  want: string[];
  opts?: Partial<typeof OPTS>;
}[] = [
  {
    name: "a lone cart fires abandonAfter after its last activity",
    events: [add(0, "a", 1, 9.5)],
    want: ["cart p1 at 120 [0..0] ax1@9.5"],
  },
  { name: "a purchase at 1h59m of a 2h wait: no trigger", events: [add(0, "a"), purchase(119)], want: [] },
  {
    name: "a purchase exactly 2h later comes too late: the cart fired",
    events: [add(0, "a"), purchase(120)],
    want: ["cart p1 at 120 [0..0] ax1"],
  },
  {
    name: "a cart emptied by removals fires nothing",
    events: [add(0, "a", 2), remove(10, "a", 1), remove(20, "a", 1)],
    want: [],
  },
  {
    name: "removing more than the cart holds empties it",
    events: [add(0, "a", 1), remove(10, "a", 5)],
    want: [],
  },
  {
    name: "new activity pushes the deadline",
    events: [add(0, "a"), add(60, "b", 2)],
    want: ["cart p1 at 180 [0..60] ax1,bx2"],
  },
  {
    name: "a partial removal keeps the rest and pushes the deadline",
    events: [add(0, "a", 3), remove(30, "a", 2)],
    want: ["cart p1 at 150 [0..30] ax1"],
  },
  {
    name: "checkout_start counts as cart activity",
    events: [add(0, "a"), checkout(100)],
    want: ["cart p1 at 220 [0..100] ax1"],
  },
  {
    name: "product_view is not cart activity",
    events: [add(0, "a"), view(100, "x")],
    want: ["cart p1 at 120 [0..0] ax1"],
  },
  { name: "checkout_start on an empty cart does nothing", events: [checkout(0)], want: [] },
  { name: "a removal from an empty cart does nothing", events: [remove(0, "a")], want: [] },
  {
    name: "a removal of an absent item is still activity on a non-empty cart",
    events: [add(0, "a"), remove(60, "b")],
    want: ["cart p1 at 180 [0..60] ax1"],
  },
  {
    name: "quantities add up and the last price wins",
    events: [add(0, "a", 1, 10), add(5, "a", 2, 12), add(6, "a", 1)],
    want: ["cart p1 at 126 [0..6] ax4@12"],
  },
  {
    name: "after firing, later activity opens a new window with the whole cart",
    events: [add(0, "a"), add(300, "b")],
    want: ["cart p1 at 120 [0..0] ax1", "cart p1 at 420 [300..300] ax1,bx1"],
  },
  {
    name: "a purchase starts a fresh cart",
    events: [add(0, "a"), purchase(30), add(60, "b")],
    want: ["cart p1 at 180 [60..60] bx1"],
  },
  { name: "a purchase with an empty cart does nothing", events: [purchase(0)], want: [] },
  {
    name: "a fired cart is forgotten after cartTtl",
    events: [add(0, "a"), add(48 * 60, "b")],
    opts: { cartTtlMs: 24 * HOUR },
    want: ["cart p1 at 120 [0..0] ax1", "cart p1 at 3000 [2880..2880] bx1"],
  },
  {
    name: "profiles are independent; triggers come in (at, profile) order",
    events: [
      add(0, "a", 1, undefined, "p2"),
      add(0, "a", 1, undefined, "p1"),
      add(1, "c", 1, undefined, "p0"),
    ],
    want: ["cart p1 at 120 [0..0] ax1", "cart p2 at 120 [0..0] ax1", "cart p0 at 121 [1..1] cx1"],
  },
  {
    name: "items keep first-add order; re-adding after removal moves to the end",
    events: [add(0, "a"), add(1, "b"), remove(2, "a"), add(3, "a")],
    want: ["cart p1 at 123 [0..3] bx1,ax1"],
  },
];

describe("cart abandonment (table)", () => {
  it.each(cases)("$name", ({ events, want, opts }) => {
    const r = run(events, { ...OPTS, ...opts });
    expect(r.triggers.map(brief)).toEqual(want);
    expect(r.late).toEqual([]);
  });

  it("derives the trigger from the window: id, at, windowStart, windowEnd", () => {
    const [t] = run([add(0, "a", 1, 3), add(30, "b")]).triggers;
    expect(t).toEqual({
      id: `cart_abandoned:p1:${iso(0)}`,
      kind: "cart_abandoned",
      profileId: "p1",
      at: iso(150),
      items: [
        { productId: "a", quantity: 1, price: 3 },
        { productId: "b", quantity: 1 },
      ],
      windowStart: iso(0),
      windowEnd: iso(30),
    });
  });

  it("fires only once the watermark passes the deadline", () => {
    const opts = OPTS; // deadline 120, lateness 5: needs an event after 125
    const r1 = run([add(0, "a"), add(125, "x", 1, undefined, "other")], opts, { flush: false });
    expect(r1.triggers).toEqual([]);
    const r2 = run([add(125.001, "y", 1, undefined, "other2")], opts, { flush: false, state: r1.state });
    expect(r2.triggers.map(brief)).toEqual(["cart p1 at 120 [0..0] ax1"]);
    expect(detectStats(r2.state)).toMatchObject({ openCarts: 0, firedCarts: 1, pendingEvents: 2 }); // the two later adds wait for the watermark;
  });

  it("keeps state only for open carts and recently fired ones", () => {
    const r = run(
      [
        add(0, "a"),
        add(0, "b", 1, undefined, "p2"),
        remove(1, "b", 1, "p2"),
        purchase(2, "p3"),
        profileUpdate(10, "p4"),
      ],
      OPTS,
      { flush: false },
    );
    expect(detectStats(r.state)).toMatchObject({ openCarts: 1, profiles: 1 });
    const done = run([], OPTS, { state: r.state });
    expect(detectStats(done.state)).toMatchObject({
      openCarts: 0,
      firedCarts: 0,
      profiles: 0,
      pendingEvents: 0,
    });
  });
});
