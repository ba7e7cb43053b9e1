import { type Config, type Db, loadConfig, openDb } from "../../ingest/index.ts";

/** The fixed "now" of the email tests: Monday 23 Nov 2026, 15:00 UTC (10:00 in New York). */
export const EMAIL_NOW = Date.parse("2026-11-23T15:00:00Z");

export const SECRET = "test-unsubscribe-secret-0123456789";

/**
 * A DuckDB in memory with profiles, products and a little history so every strategy has data:
 * p1 Ada (New York, subscribed), p2 Bob (unsubscribed), p3 Cy (an address the SMTP server rejects),
 * p4 Dee (Tokyo), and 10 products, one with a hostile name.
 */
export async function emailDb(path = ":memory:"): Promise<Db> {
  const db = await openDb(path);
  await db.conn.run(`
    INSERT INTO profiles (profile_id, email, first_name, locale, timezone, consent) VALUES
      ('p1', 'ada@example.com', 'Ada', 'en-US', 'America/New_York', 'subscribed'),
      ('p2', 'bob@example.com', 'Bob', 'en-US', 'Europe/London', 'unsubscribed'),
      ('p3', 'bounce@example.com', 'Cy', 'en-US', 'UTC', 'subscribed'),
      ('p4', 'dee@example.com', 'Dee', 'ja-JP', 'Asia/Tokyo', 'subscribed'),
      ('p5', NULL, 'Eve', 'en-US', 'UTC', 'subscribed');
    INSERT INTO products (product_id, name, category, price, currency, stock, active, image_url, url)
    SELECT 'sku-' || i, CASE WHEN i = 2 THEN 'Mug <script>alert(1)</script>' ELSE 'Product ' || i END,
           'cat-' || (i % 3), 10.0 * i, 'USD', 100, true,
           'https://cdn.example.com/sku-' || i || '.jpg', 'https://shop.example.com/p/sku-' || i
    FROM range(1, 11) t(i);
    INSERT INTO events (seq, id, type, profile_id, ts, product_id, quantity, received_at)
    SELECT row_number() OVER (), 'e' || row_number() OVER (), type, profile_id,
           TIMESTAMPTZ '2026-11-20 10:00:00+00', product_id, 1, TIMESTAMPTZ '2026-11-20 10:00:00+00'
    FROM (VALUES
      ('product_view', 'q1', 'sku-1'), ('product_view', 'q1', 'sku-5'), ('product_view', 'q1', 'sku-6'),
      ('product_view', 'q2', 'sku-1'), ('product_view', 'q2', 'sku-5'), ('product_view', 'q3', 'sku-7'),
      ('product_view', 'q3', 'sku-3'), ('product_view', 'q3', 'sku-1'),
      ('cart_add', 'q1', 'sku-1'), ('cart_add', 'q2', 'sku-1'), ('cart_add', 'q3', 'sku-3')
    ) v(type, profile_id, product_id);
    INSERT INTO purchase_items (seq, event_id, profile_id, ts, order_id, product_id, quantity, price)
    VALUES (100, 'b1', 'q1', TIMESTAMPTZ '2026-11-20 11:00:00+00', 'o1', 'sku-8', 1, 80),
           (101, 'b2', 'q2', TIMESTAMPTZ '2026-11-20 11:00:00+00', 'o2', 'sku-8', 1, 80),
           (102, 'b3', 'q2', TIMESTAMPTZ '2026-11-20 11:00:00+00', 'o2', 'sku-9', 1, 90),
           (103, 'b4', 'q3', TIMESTAMPTZ '2026-11-20 11:00:00+00', 'o3', 'sku-4', 1, 40);
  `);
  return db;
}

/** Config for the email tests (fast batches, no rate limit to speak of). */
export function emailConfig(
  smtpUrl: string | undefined,
  over: Record<string, string> = {},
): Readonly<Config> {
  return loadConfig({
    SMTP_URL: smtpUrl,
    PUBLIC_URL: "https://nudge.example.com",
    MAIL_FROM: "Shop <shop@example.com>",
    UNSUBSCRIBE_SECRET: SECRET,
    BATCH_SIZE: "50",
    BATCH_DELAY: "20ms",
    SEND_RATE: "100000",
    ...over,
  });
}
