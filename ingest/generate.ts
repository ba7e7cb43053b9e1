import { NudgeError } from "./errors.ts";
import {
  type BookingRow,
  makeBookings,
  makePastOrders,
  makeProducts,
  makeProfiles,
  makeStores,
  type OrderItemRow,
  type OrderRow,
  type ProductRow,
  type ProfileRow,
  type StoreRow,
} from "./generate-entities.ts";
import { type GeneratedLine, simulateEvents } from "./generate-events.ts";
import { Rng } from "./generate-rng.ts";

export type {
  BookingRow,
  OrderItemRow,
  OrderRow,
  ProductRow,
  ProfileRow,
  StoreRow,
} from "./generate-entities.ts";
export type { GeneratedLine, MalformedReason } from "./generate-malformed.ts";

export interface ShopOptions {
  seed: number;
  profiles: number;
  products: number;
  stores: number;
  /** Valid, distinct events to generate (duplicates and malformed lines come on top). */
  events: number;
  /** Event time of the span's start, epoch ms. */
  startMs: number;
  spanMs: number;
  /** Share of events preceded by a malformed line (default 0.001). */
  malformedRate?: number;
  /** Share of events delivered twice (default 0.002). */
  duplicateRate?: number;
  /** Largest arrival delay of a late event, ms (default 3000). */
  outOfOrderMs?: number;
  /** Share of events that arrive late, by up to `outOfOrderMs` (default 0.01). */
  lateRate?: number;
  /** Bookings to create (default 10% of profiles). */
  bookings?: number;
}

export interface EventHooks {
  onOrder?(order: OrderRow, items: OrderItemRow[]): void;
}

export interface Shop {
  readonly options: Readonly<Required<ShopOptions>>;
  readonly profiles: readonly ProfileRow[];
  readonly products: readonly ProductRow[];
  readonly stores: readonly StoreRow[];
  readonly bookings: readonly BookingRow[];
  /** Past orders (before the span) and the orders of the span's purchase events. */
  readonly orders: readonly OrderRow[];
  readonly orderItems: readonly OrderItemRow[];
  /**
   * The event log in arrival order; a fresh, identical stream on every call. With `onOrder`, every
   * order (past ones first, then each purchase's as it happens) is handed over instead of kept, so a
   * writer can stream `orders` without holding them all.
   */
  events(hooks?: EventHooks): Generator<GeneratedLine>;
}

/** The entity tables a shop fills, in the order files are written and loaded. */
export const SHOP_TABLES = ["profiles", "products", "stores", "bookings", "orders", "order_items"] as const;
export type ShopTable = (typeof SHOP_TABLES)[number];

/** A shop's rows for one table. */
export function shopRows(shop: Shop, table: ShopTable): readonly Record<string, unknown>[] {
  return table === "order_items" ? shop.orderItems : shop[table];
}

const count = (name: string, n: number) => {
  if (!Number.isInteger(n) || n < 0)
    throw new NudgeError("NUDGE_ERR_CONFIG", `${name} must be an integer ≥ 0, got ${n}`);
};

/**
 * A synthetic shop, deterministic from `seed`: the same options give the same rows and the same event
 * log, byte for byte. Entities are built at once; events stream lazily, so tens of millions fit.
 *
 * @example
 * const shop = generateShop({ seed: 42, profiles: 2000, products: 500, stores: 20, events: 100_000,
 *   startMs: Date.parse("2026-11-01T00:00:00Z"), spanMs: 7 * 86_400_000 });
 * for (const line of shop.events()) if (line.kind === "event") publish(line.event);
 */
export function generateShop(opts: ShopOptions): Shop {
  const options: Required<ShopOptions> = {
    malformedRate: 0.001,
    duplicateRate: 0.002,
    outOfOrderMs: 3_000,
    lateRate: 0.01,
    bookings: Math.round(opts.profiles * 0.1),
    ...opts,
  };
  for (const k of ["profiles", "products", "stores", "events", "bookings", "outOfOrderMs"] as const)
    count(k, options[k]);
  if (!Number.isFinite(options.startMs) || !(options.spanMs > 0)) {
    throw new NudgeError("NUDGE_ERR_CONFIG", "startMs must be a time and spanMs > 0");
  }
  if (options.events > 0 && options.profiles === 0) {
    throw new NudgeError("NUDGE_ERR_CONFIG", "events need at least one profile");
  }
  const { seed, startMs, spanMs } = options;
  const root = new Rng(seed);
  const entityRng = root.fork();
  const simSeed = root.fork();
  const noiseSeed = root.fork();

  const profiles = makeProfiles(entityRng.fork(), options.profiles, startMs);
  const products = makeProducts(entityRng.fork(), options.products);
  const stores = makeStores(entityRng.fork(), options.stores);
  const bookings = makeBookings(
    entityRng.fork(),
    options.bookings,
    profiles,
    stores,
    startMs,
    startMs + spanMs,
  );
  const past = makePastOrders(entityRng.fork(), seed, profiles, products, stores, startMs);

  let spanOrders: { orders: OrderRow[]; items: OrderItemRow[] } | undefined;

  function* events(hooks: EventHooks = {}): Generator<GeneratedLine> {
    const orders: OrderRow[] = [];
    const items: OrderItemRow[] = [];
    const onOrder =
      hooks.onOrder ??
      ((order: OrderRow, lines: OrderItemRow[]) => {
        orders.push(order);
        items.push(...lines);
      });
    if (hooks.onOrder) {
      // past orders' items are stored contiguously, in order order
      let k = 0;
      for (const order of past.orders) {
        const start = k;
        while (k < past.items.length && past.items[k]!.order_id === order.order_id) k++;
        hooks.onOrder(order, past.items.slice(start, k));
      }
    }
    yield* simulateEvents({
      ...options,
      target: options.events,
      // clones, so every call replays the same stream
      sim: simSeed.clone(),
      noise: noiseSeed.clone(),
      profiles,
      products,
      onOrder,
    });
    if (!hooks.onOrder) spanOrders ??= { orders, items };
  }

  const ordersOfSpan = () => {
    if (!spanOrders) for (const _ of events());
    return spanOrders!;
  };

  return {
    options,
    profiles,
    products,
    stores,
    bookings,
    get orders() {
      return [...past.orders, ...ordersOfSpan().orders];
    },
    get orderItems() {
      return [...past.items, ...ordersOfSpan().items];
    },
    events,
  };
}
