/**
 * The 10 representative segments of bench:queries: the four stored examples in `segments/` and six
 * more, in SQL that DuckDB and PostgreSQL both accept (so the same text runs on both).
 */
export interface BenchSegment {
  readonly name: string;
  /** Inline SQL; absent for a stored segment (read from segments/<name>.sql). */
  readonly sql?: string;
}

export const BENCH_SEGMENTS: readonly BenchSegment[] = [
  { name: "subscribed" },
  { name: "cart_abandoners_7d" },
  { name: "paris_outerwear_bookers" },
  { name: "bookings_next_week" },
  {
    name: "viewed_shoes_30d",
    sql: `SELECT DISTINCT e.profile_id FROM events e JOIN products p ON p.product_id = e.product_id
          WHERE e.type = 'product_view' AND p.category = 'Shoes'
            AND e.ts >= $now::TIMESTAMPTZ - INTERVAL '30 days' AND e.ts < $now::TIMESTAMPTZ`,
  },
  {
    name: "repeat_buyers_60d",
    sql: `SELECT profile_id FROM orders
          WHERE ordered_at >= $now::TIMESTAMPTZ - INTERVAL '60 days' AND status = 'paid'
          GROUP BY profile_id HAVING count(*) >= 2`,
  },
  {
    name: "subscribed_big_spenders",
    sql: `SELECT o.profile_id FROM orders o JOIN profiles p ON p.profile_id = o.profile_id
          WHERE p.consent = 'subscribed' AND o.status = 'paid'
          GROUP BY o.profile_id HAVING sum(o.total) > 400`,
  },
  {
    name: "lapsed_buyers",
    sql: `SELECT profile_id FROM orders GROUP BY profile_id
          HAVING max(ordered_at) < $now::TIMESTAMPTZ - INTERVAL '30 days'`,
  },
  {
    name: "paris_store_shoppers",
    sql: `SELECT DISTINCT o.profile_id, o.order_id FROM orders o JOIN stores s ON s.store_id = o.store_id
          WHERE s.city = 'Paris' AND o.ordered_at >= $now::TIMESTAMPTZ - INTERVAL '14 days'`,
  },
  {
    name: "viewed_pricey_not_bought_7d",
    sql: `SELECT DISTINCT e.profile_id FROM events e JOIN products p ON p.product_id = e.product_id
          WHERE e.type = 'product_view' AND p.price > 250
            AND e.ts >= $now::TIMESTAMPTZ - INTERVAL '7 days' AND e.ts < $now::TIMESTAMPTZ
            AND NOT EXISTS (SELECT 1 FROM purchase_items i
                            WHERE i.profile_id = e.profile_id AND i.product_id = e.product_id)`,
  },
];
