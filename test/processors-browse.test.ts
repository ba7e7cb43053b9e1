import { describe, expect, it } from "vitest";
import { add, brief, iso, OPTS, purchase, run, view } from "./processors-fixtures.ts";

// Times are minutes after T0; OPTS: session gap 30m, min views 2, abandon after 120m. Every run ends with a flush.
const cases: { name: string; events: ReturnType<typeof view>[]; want: string[]; minViews?: number }[] = [
  {
    name: "two views then silence: fires when the session closes",
    events: [view(0, "x"), view(5, "y")],
    want: ["browse p1 at 35 [0..5] xx1,yx1"],
  },
  { name: "one view is below minViews", events: [view(0, "x")], want: [] },
  {
    name: "a gap just under sessionGap keeps the session",
    events: [view(0, "x"), view(29, "y")],
    want: ["browse p1 at 59 [0..29] xx1,yx1"],
  },
  {
    name: "a gap of exactly sessionGap starts a new session",
    events: [view(0, "x"), view(30, "y")],
    want: [],
  },
  {
    name: "two sessions, each with enough views",
    events: [view(0, "x"), view(1, "x"), view(40, "y"), view(41, "z")],
    want: ["browse p1 at 31 [0..1] xx2", "browse p1 at 71 [40..41] yx1,zx1"],
  },
  {
    name: "views count, not distinct products",
    events: [view(0, "x"), view(1, "x")],
    want: ["browse p1 at 31 [0..1] xx2"],
  },
  { name: "minViews 3 needs three views", events: [view(0, "x"), view(1, "y")], minViews: 3, want: [] },
  {
    name: "a cart_add in the session: no browse trigger (the cart fires)",
    events: [view(0, "x"), view(5, "y"), add(10, "y")],
    want: ["cart p1 at 130 [10..10] yx1"],
  },
  {
    name: "a cart_add after the last view but before the close still converts",
    events: [view(0, "x"), view(5, "y"), add(34, "y")],
    want: ["cart p1 at 154 [34..34] yx1"],
  },
  {
    name: "a cart_add at the very instant of the first view converts the session (whatever the ids)",
    events: [add(0, "y"), view(0, "x"), view(1, "y")],
    want: ["cart p1 at 120 [0..0] yx1"],
  },
  {
    name: "a cart_add exactly at the close comes after it",
    events: [view(0, "x"), view(5, "y"), add(35, "y")],
    want: ["browse p1 at 35 [0..5] xx1,yx1", "cart p1 at 155 [35..35] yx1"],
  },
  { name: "a purchase in the session: nothing", events: [view(0, "x"), view(5, "y"), purchase(6)], want: [] },
  {
    name: "a converted session keeps absorbing views",
    events: [view(0, "x"), add(1, "x"), purchase(2), view(20, "y"), view(45, "z")],
    want: [],
  },
  {
    name: "a cart_add before the session does not convert it",
    events: [add(0, "a"), purchase(1), view(10, "x"), view(15, "y")],
    want: ["browse p1 at 45 [10..15] xx1,yx1"],
  },
  {
    name: "products ranked by views, ties by first view",
    events: [
      view(0, "a"),
      view(1, "b"),
      view(2, "b"),
      view(3, "c"),
      view(4, "a"),
      view(5, "b"),
      view(6, "d"),
      view(7, "c"),
    ],
    want: ["browse p1 at 37 [0..7] bx3,ax2,cx2,dx1"],
  },
  {
    name: "the last price seen on a view is kept",
    events: [view(0, "x", "p1", 10), view(1, "x", "p1", 8), view(2, "y")],
    want: ["browse p1 at 32 [0..2] xx2@8,yx1"],
  },
  {
    name: "sessions of different profiles are independent",
    events: [
      view(0, "x", "p2"),
      view(1, "x", "p1"),
      view(2, "y", "p2"),
      add(3, "x", 1, undefined, "p1"),
      view(4, "y", "p1"),
    ],
    want: ["browse p2 at 32 [0..2] xx1,yx1", "cart p1 at 123 [3..3] xx1"],
  },
];

describe("browse sessions (table)", () => {
  it.each(cases)("$name", ({ events, want, minViews }) => {
    const r = run(events, { ...OPTS, minViews: minViews ?? OPTS.minViews });
    expect(r.triggers.map(brief)).toEqual(want);
  });

  it("derives the trigger from the session", () => {
    const [t] = run([view(0, "x"), view(10, "y"), view(12, "y")]).triggers;
    expect(t).toEqual({
      id: `browse_abandoned:p1:${iso(0)}`,
      kind: "browse_abandoned",
      profileId: "p1",
      at: iso(42),
      items: [
        { productId: "y", quantity: 2 },
        { productId: "x", quantity: 1 },
      ],
      windowStart: iso(0),
      windowEnd: iso(12),
    });
  });

  it("runs browse alone when kinds says so", () => {
    const r = run([view(0, "x"), view(1, "y"), add(50, "a")], { ...OPTS, kinds: ["browse_abandoned"] });
    expect(r.triggers.map(brief)).toEqual(["browse p1 at 31 [0..1] xx1,yx1"]);
  });
});
