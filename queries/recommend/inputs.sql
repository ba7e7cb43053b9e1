-- The named inputs every strategy may read (the CTE list that opens each recommendation statement).
-- rec_batch(profile_id, product_id, pos) is the batch: one row per context item (the items already
-- in the email, e.g. the cart), or a single row with product_id NULL for a profile without context.
--
--   profiles(profile_id)                     the batch's profiles
--   context(profile_id, product_id, pos)     items already in the email
--   history(profile_id, type, product_id, ts) the batch's own events in [$since, $now)
--   viewed(profile_id, product_id, views, last_ts) the $max_seeds products each shopper viewed last
--   bought(profile_id, product_id)           what each shopper bought in [$since, $now)
--   excluded(profile_id, product_id)         bought ∪ context: never recommended
--   context_categories(profile_id, category) categories of the context items
--   caps(profile_id, cap, keep)              cap: $limit + count(excluded), enough rows to survive
--                                            exclusion; keep: the most candidates per shopper that
--                                            rank.sql can use (cap, or all under $same_category)
--   interest(profile_id, category)           context categories, else the most viewed category
--   pool(product_id, category, …)            eligible products: active, in stock, in the price band
--   pop(product_id, item, category, buyers, r_all, r_cat) pool ranked by model_popular, overall and
--                                            per category; item: its code in model_items (or NULL)
--
-- A strategy may return every candidate it scores; returning only each shopper's best `keep`
-- eligible ones (JOIN pop, ORDER BY score DESC, r_all) gives the same lists faster, as the built-in
-- co-occurrence strategies do.
profiles AS (
  SELECT DISTINCT profile_id FROM rec_batch
),
context AS (
  SELECT profile_id, product_id, min(pos) AS pos
  FROM rec_batch
  WHERE product_id IS NOT NULL
  GROUP BY profile_id, product_id
),
history AS (
  SELECT e.profile_id, e.type, e.product_id, e.ts
  FROM events e
  SEMI JOIN profiles p ON e.profile_id = p.profile_id
  WHERE e.ts >= $since AND e.ts < $now AND e.product_id IS NOT NULL
),
viewed AS (
  SELECT profile_id, product_id, count(*) AS views, max(ts) AS last_ts
  FROM history
  WHERE type = 'product_view'
  GROUP BY profile_id, product_id
  QUALIFY row_number() OVER (PARTITION BY profile_id ORDER BY max(ts) DESC, product_id) <= $max_seeds
),
bought AS (
  SELECT DISTINCT i.profile_id, i.product_id
  FROM purchase_items i
  SEMI JOIN profiles p ON i.profile_id = p.profile_id
  WHERE i.ts >= $since AND i.ts < $now
),
excluded AS (
  SELECT profile_id, product_id FROM context
  UNION
  SELECT profile_id, product_id FROM bought
),
context_categories AS (
  SELECT DISTINCT c.profile_id, p.category
  FROM context c
  JOIN products p ON p.product_id = c.product_id
  WHERE p.category IS NOT NULL
),
caps AS (
  SELECT p.profile_id, $limit + count(x.product_id) AS cap,
    CASE
      WHEN $same_category AND p.profile_id IN (SELECT profile_id FROM context_categories) THEN 2147483647
      ELSE $limit + count(x.product_id)
    END AS keep
  FROM profiles p
  LEFT JOIN excluded x ON x.profile_id = p.profile_id
  GROUP BY p.profile_id
),
interest AS (
  SELECT profile_id, category FROM context_categories
  UNION ALL
  SELECT profile_id, category
  FROM (
    SELECT h.profile_id, p.category,
      row_number() OVER (PARTITION BY h.profile_id ORDER BY count(*) DESC, p.category) AS r
    FROM history h
    JOIN products p ON p.product_id = h.product_id
    ANTI JOIN context_categories cc ON cc.profile_id = h.profile_id
    WHERE h.type = 'product_view' AND p.category IS NOT NULL
    GROUP BY h.profile_id, p.category
  )
  WHERE r = 1
),
pool AS (
  SELECT product_id, category, name, price, image_url, url
  FROM products
  WHERE active AND stock > 0
    AND ($price_min IS NULL OR price >= $price_min)
    AND ($price_max IS NULL OR price <= $price_max)
),
pop AS (
  SELECT q.product_id, i.item, q.category, coalesce(m.buyers, 0) AS buyers,
    row_number() OVER (ORDER BY coalesce(m.buyers, 0) DESC, coalesce(m.viewers, 0) DESC, q.product_id) AS r_all,
    row_number() OVER (
      PARTITION BY q.category ORDER BY coalesce(m.buyers, 0) DESC, coalesce(m.viewers, 0) DESC, q.product_id
    ) AS r_cat
  FROM pool q
  LEFT JOIN model_popular m ON m.product_id = q.product_id
  LEFT JOIN model_items i ON i.product_id = q.product_id
)
