-- A synthetic shop generated inside DuckDB (bench only): hash-based randomness, deterministic.
-- Parameters: $profiles, $products, $events, $now. Statements are separated by blank-line + ';'.
-- Events come in time order (seq order = event time, as the stream appends them).
-- Products: category = id % 20. Shoppers browse their favourite category 70% of the time,
-- products within a category are Zipf-like (low ids popular), active shoppers are skewed too.

CREATE OR REPLACE TEMP MACRO u(i, k) AS (hash(i, k) % 1000003) / 1000003.0
;
CREATE OR REPLACE TEMP MACRO cat_name(c) AS (['Outerwear', 'Shoes', 'Bags', 'Knitwear', 'Dresses', 'Shirts', 'Trousers', 'Jeans', 'Skirts', 'Accessories', 'Jewellery', 'Watches', 'Sportswear', 'Swimwear', 'Lingerie', 'Nightwear', 'Hats', 'Scarves', 'Gloves', 'Belts'])[1 + c::BIGINT]
;
CREATE OR REPLACE TEMP MACRO city_name(c) AS (['Paris', 'Paris', 'Paris', 'Lyon', 'Marseille', 'Berlin', 'London', 'Madrid', 'Milan', 'Brussels'])[1 + c::BIGINT]
;
CREATE OR REPLACE TEMP MACRO pick_product(pn, i, k, nproducts) AS
  (floor(pow(u(i, k * 10 + 1), 3) * (nproducts // 20))::BIGINT * 20
   + CASE WHEN u(i, k * 10 + 2) < 0.7 THEN hash(pn, 99) % 20 ELSE hash(i, k * 10 + 3) % 20 END)
;
CREATE OR REPLACE TEMP MACRO price_of(pnum) AS round(5 + u(pnum, 1000) * 295, 2)
;
INSERT INTO stores
SELECT 'st-' || i, 'Store ' || i, city_name(hash(i, 1001) % 10), 'FR', 'Europe/Paris'
FROM range(200) t(i)
;
INSERT INTO products
SELECT 'sku-' || i, 'Product ' || i, cat_name(i % 20), price_of(i), 'EUR',
       CASE WHEN u(i, 1002) < 0.05 THEN 0 ELSE 1 + (u(i, 1003) * 100)::INTEGER END,
       u(i, 1004) >= 0.02, 'https://img.example.test/' || i || '.jpg', 'https://shop.example.test/p/' || i
FROM range($products::BIGINT) t(i)
;
INSERT INTO profiles
SELECT 'p' || i,
       CASE WHEN u(i, 1005) < 0.05 THEN NULL ELSE 'p' || i || '@example.test' END,
       'First' || (i % 1000), 'Last' || (i % 997), 'fr-FR', 'Europe/Paris',
       CASE WHEN u(i, 1006) < 0.7 THEN 'subscribed' WHEN u(i, 1006) < 0.9 THEN 'unsubscribed' END,
       city_name(hash(i, 1001) % 10), 'FR',
       $now::TIMESTAMPTZ - to_microseconds((u(i, 1007) * 720 * 86400e6)::BIGINT),
       NULL
FROM range($profiles::BIGINT) t(i)
;
INSERT INTO events (seq, id, type, profile_id, ts, product_id, quantity, price, currency, order_id, session_id, received_at)
SELECT i + 1, 'e' || i, type, 'p' || pn, ts,
       CASE WHEN type IN ('product_view', 'cart_add', 'cart_remove') THEN 'sku-' || prod END,
       CASE WHEN type IN ('cart_add', 'cart_remove') THEN 1 + hash(i, 1008) % 3 END,
       CASE WHEN type IN ('product_view', 'cart_add', 'cart_remove') THEN price_of(prod) END,
       'EUR',
       CASE WHEN type = 'purchase' THEN 'o' || i END,
       's' || pn || '-' || (epoch(ts) // 1800)::BIGINT,
       ts
FROM (
  SELECT i, pn, pick_product(pn, i, 1, $products::BIGINT) AS prod,
         CASE WHEN ut < 0.72 THEN 'product_view' WHEN ut < 0.87 THEN 'cart_add' WHEN ut < 0.90 THEN 'cart_remove'
              WHEN ut < 0.95 THEN 'purchase' ELSE 'checkout_start' END AS type,
         $now::TIMESTAMPTZ - to_microseconds((uts * 60 * 86400e6)::BIGINT) AS ts
  FROM (
    SELECT i, floor(pow(u(i, 1009), 1.5) * $profiles::BIGINT)::BIGINT AS pn, u(i, 1010) AS ut, 1.0 - (i + u(i, 1011)) / $events::BIGINT AS uts
    FROM range($events::BIGINT) t(i)
  )
)
;
INSERT INTO purchase_items
SELECT seq, id, profile_id, ts, order_id, 'sku-' || prod, 1 + hash(seq, k, 1008) % 2, price_of(prod)
FROM (
  SELECT e.seq, e.id, e.profile_id, e.ts, e.order_id,
         pick_product(substr(e.profile_id, 2)::BIGINT, e.seq, 10 + k, $products::BIGINT) AS prod, k
  FROM events e, range((1 + hash(e.seq, 1012) % 3)::BIGINT) r(k)
  WHERE e.type = 'purchase'
)
;
INSERT INTO order_items
SELECT order_id, product_id, sum(quantity), max(price)
FROM purchase_items
GROUP BY order_id, product_id
;
INSERT INTO orders
SELECT e.order_id, e.profile_id,
       CASE WHEN u(e.seq, 1013) < 0.4 THEN NULL ELSE 'st-' || hash(e.seq, 1014) % 200 END,
       e.ts, t.total, 'EUR', CASE WHEN u(e.seq, 1015) < 0.05 THEN 'refunded' ELSE 'paid' END
FROM events e
JOIN (SELECT order_id, sum(quantity * price) AS total FROM purchase_items GROUP BY order_id) t USING (order_id)
WHERE e.type = 'purchase'
;
INSERT INTO bookings
SELECT 'bk-' || i, 'p' || floor(u(i, 1016) * $profiles::BIGINT)::BIGINT, 'st-' || hash(i, 1017) % 200,
       $now::TIMESTAMPTZ + to_microseconds(((u(i, 1018) * 90 - 30) * 86400e6)::BIGINT),
       (['fitting', 'styling', 'alterations'])[1 + (hash(i, 1019) % 3)::BIGINT],
       CASE WHEN u(i, 1020) < 0.1 THEN 'cancelled' ELSE 'confirmed' END
FROM range($profiles::BIGINT // 5) t(i)
