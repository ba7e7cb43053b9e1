import type { ProfileAttributes, ShopEvent } from "./event.ts";
import { CATEGORIES } from "./generate-data.ts";
import type { OrderItemRow, OrderRow, ProductRow, ProfileRow } from "./generate-entities.ts";
import { ArrivalHeap } from "./generate-heap.ts";
import { type GeneratedLine, malformedLine } from "./generate-malformed.ts";
import { type Rng, WeightedSampler, zipfWeights } from "./generate-rng.ts";
import { isoFormatter, timeline } from "./generate-time.ts";

export type { GeneratedLine, MalformedReason } from "./generate-malformed.ts";

export interface SimulationInput {
  seed: number;
  sim: Rng;
  noise: Rng;
  profiles: readonly ProfileRow[];
  products: readonly ProductRow[];
  target: number;
  startMs: number;
  spanMs: number;
  malformedRate: number;
  duplicateRate: number;
  outOfOrderMs: number;
  lateRate: number;
  onOrder(order: OrderRow, items: OrderItemRow[]): void;
}

const S = 1_000;

/**
 * Simulates shopping sessions and streams their events in arrival order, with late arrivals,
 * duplicates and malformed lines mixed in. Memory is bounded by the sessions open at one time.
 */
export function* simulateEvents(input: SimulationInput): Generator<GeneratedLine> {
  const { seed, sim, noise, profiles, products, target, startMs, spanMs } = input;
  if (target <= 0 || profiles.length === 0) return;

  // Per category: its active products in a shuffled popularity order, drawn Zipf-like.
  const byCategory = CATEGORIES.map((c) =>
    sim.shuffle(products.flatMap((p, i) => (p.active && p.category === c.name ? [i] : []))),
  );
  const zipf = byCategory.map((list) => new WeightedSampler(zipfWeights(list.length, 1.1)));
  const catSampler = new WeightedSampler(
    CATEGORIES.map((c, i) => (byCategory[i]!.length > 0 ? c.weight : 0)),
  );
  const hasProducts = catSampler.total > 0;
  const catIndex = new Map(CATEGORIES.map((c, i) => [c.name, i]));
  const preferred = Int32Array.from(profiles, (p) => catIndex.get(p.attributes.preferredCategory) ?? 0);
  // Repeat visitors: a heavy-tailed (Pareto) activity per profile.
  const activity = new Float64Array(profiles.length);
  for (let i = 0; i < activity.length; i++) activity[i] = Math.min(60, (1 - sim.float()) ** (-1 / 1.4));
  const profileSampler = new WeightedSampler(activity);
  const seen = new Uint8Array(profiles.length);
  const at = timeline(startMs, spanMs);
  const heap = new ArrivalHeap<ShopEvent>();

  let created = 0;
  let seenCount = 0;
  let sessionN = 0;
  let orderN = 0;
  let malformedN = 0;
  let lastStart = startMs;

  const add = (tMs: number, ev: ShopEvent): boolean => {
    if (created >= target) return false;
    created++;
    const late =
      input.outOfOrderMs > 0 && noise.chance(input.lateRate) ? 1 + noise.int(input.outOfOrderMs) : 0;
    heap.push(tMs + late, created, ev);
    return true;
  };
  const nextId = () => `e${seed}-${created + 1}`;
  const drawProduct = (cat: number): ProductRow => {
    const list = byCategory[cat]!;
    return products[list[zipf[cat]!.draw(sim)]!]!;
  };

  // The open session; the helpers below read it (hoisted: closures made per session cost ~10%).
  let t = 0;
  let profileId = "";
  let sessionId = "";
  const iso = isoFormatter();
  const ts = () => iso(t);
  const view = (p: ProductRow) =>
    add(t, {
      id: nextId(),
      type: "product_view",
      profileId,
      ts: ts(),
      productId: p.product_id,
      price: p.price,
      currency: "EUR",
      sessionId,
    });
  const cartEvent = (type: "cart_add" | "cart_remove", p: ProductRow, quantity: number) =>
    add(t, {
      id: nextId(),
      type,
      profileId,
      ts: ts(),
      productId: p.product_id,
      quantity,
      price: p.price,
      currency: "EUR",
      sessionId,
    });

  const runSession = (t0: number) => {
    const pi = profileSampler.draw(sim);
    const prof = profiles[pi]!;
    profileId = prof.profile_id;
    sessionId = `s${seed}-${++sessionN}`;
    t = t0;
    if (!seen[pi]) {
      seen[pi] = 1;
      seenCount++;
      const attributes: ProfileAttributes = {
        email: prof.email,
        firstName: prof.first_name,
        locale: prof.locale,
        timezone: prof.timezone,
        consent: prof.consent,
      };
      add(t, { id: nextId(), type: "profile_update", profileId, ts: ts(), attributes });
      t += sim.logUniform(1 * S, 20 * S);
    }
    if (!hasProducts) return;
    let cat =
      sim.chance(0.7) && byCategory[preferred[pi]!]!.length > 0 ? preferred[pi]! : catSampler.draw(sim);
    const browseOnly = sim.chance(0.45);
    const views = 1 + sim.geometric(browseOnly ? 2.5 : 1.5);
    const viewed: ProductRow[] = [];
    for (let v = 0; v < views; v++) {
      if (v > 0) {
        t += sim.logUniform(8 * S, 240 * S);
        if (sim.chance(0.2)) cat = catSampler.draw(sim);
      }
      const p = drawProduct(cat);
      view(p);
      viewed.push(p);
    }
    if (browseOnly) return;

    const cart = new Map<ProductRow, number>();
    const adds = 1 + sim.geometric(0.5);
    for (let k = 0; k < adds; k++) {
      let p = k === 0 ? viewed[viewed.length - 1]! : sim.pick(viewed);
      if (k > 0 && sim.chance(0.5)) {
        t += sim.logUniform(8 * S, 120 * S);
        p = drawProduct(cat);
        view(p);
      }
      if (p.stock === 0) continue;
      t += sim.logUniform(2 * S, 45 * S);
      const q = sim.chance(0.85) ? 1 : sim.chance(0.7) ? 2 : 3;
      cartEvent("cart_add", p, q);
      cart.set(p, (cart.get(p) ?? 0) + q);
    }
    if (cart.size > 0 && sim.chance(0.15)) {
      const [p, q] = [...cart][sim.int(cart.size)]!;
      t += sim.logUniform(5 * S, 90 * S);
      cartEvent("cart_remove", p, q);
      cart.delete(p);
    }
    if (cart.size === 0 || !sim.chance(0.6)) return; // abandoned before checkout
    t += sim.logUniform(10 * S, 180 * S);
    add(t, { id: nextId(), type: "checkout_start", profileId, ts: ts(), sessionId });
    if (!sim.chance(0.72)) return; // abandoned at checkout
    t += sim.logUniform(30 * S, 300 * S);
    const orderId = `o${seed}-${++orderN}`;
    const items = [...cart].map(([p, quantity]) => ({ productId: p.product_id, quantity, price: p.price }));
    const purchaseTs = ts();
    const ok = add(t, {
      id: nextId(),
      type: "purchase",
      profileId,
      ts: purchaseTs,
      orderId,
      items,
      currency: "EUR",
      sessionId,
    });
    if (!ok) return;
    let total = 0;
    for (const i of items) total += i.quantity * i.price;
    input.onOrder(
      {
        order_id: orderId,
        profile_id: profileId,
        store_id: null,
        ordered_at: purchaseTs,
        total: Math.round(total * 100) / 100,
        currency: "EUR",
        status: "paid",
      },
      items.map((i) => ({
        order_id: orderId,
        product_id: i.productId,
        quantity: i.quantity,
        price: i.price,
      })),
    );
  };

  const malformed = (ev: ShopEvent) => malformedLine(ev, `e${seed}-m${++malformedN}`, noise);

  let exhausted = false;
  for (;;) {
    const done = created >= target || exhausted;
    let next = Number.POSITIVE_INFINITY;
    if (!done) {
      next = Math.max(lastStart, Math.round(at((created + noise.float() * 4) / target)));
      lastStart = next;
    }
    while (heap.size > 0 && heap.peekKey() <= next) {
      const ev = heap.pop()!;
      if (noise.chance(input.malformedRate)) yield malformed(ev);
      yield { kind: "event", event: ev };
      if (noise.chance(input.duplicateRate)) yield { kind: "event", event: ev };
    }
    if (done) return;
    runSession(next);
    // without products only first visits add events (profile_update): stop once every profile had one
    if (!hasProducts && seenCount === profiles.length) exhausted = true;
  }
}
