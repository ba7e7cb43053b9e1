-- Follows `WITH <inputs>, candidates AS (<strategy>)`: applies the rules and ranks.
-- 1. drop excluded (bought, in the email) and ineligible (inactive, out of stock, outside the price
--    band, outside the context categories under $same_category) candidates, then keep each
--    shopper's best $limit (score, then overall popularity), each product once;
-- 2. backup: popular products in the shopper's interest categories (tier 1), then overall (tier 2;
--    left out under $same_category for a shopper whose email has categorised items), minus the
--    excluded and the chosen ones;
-- 3. rank: tier, score DESC, overall popularity — deterministic (r_all is unique per product), then
--    keep $limit.
-- Every join, aggregate and window costs ~1-3 ms of CPU whatever its size (a batch is small), so
-- the fewer the better: a dedupe by aggregate rather than a window, one anti join for excluded and
-- chosen, the $same_category rules written so that the planner drops them when it is off.
candidates_ok AS (
  -- under $same_category, a shopper whose email has categorised items keeps only their categories
  -- (written so that without $same_category the planner drops both subqueries)
  SELECT c.profile_id, c.product_id, c.score::DOUBLE AS score, c.reason, p.r_all
  FROM candidates c
  JOIN pop p ON p.product_id = c.product_id
  ANTI JOIN excluded x ON x.profile_id = c.profile_id AND x.product_id = c.product_id
  WHERE NOT $same_category
    OR c.profile_id NOT IN (SELECT profile_id FROM context_categories)
    OR (c.profile_id, p.category) IN (SELECT profile_id, category FROM context_categories)
),
chosen AS (
  -- only the best $limit candidates per shopper can be shown (top-N aggregate); a product a
  -- strategy scored twice keeps its best row
  SELECT profile_id, row.product_id, max(row.score) AS score,
    arg_min(row.reason, {s: -row.score, r: row.reason}) AS reason, any_value(row.r_all) AS r_all,
    0 AS tier, NULL::VARCHAR AS category
  FROM (
    SELECT profile_id,
      unnest(arg_max({product_id: product_id, score: score, reason: reason, r_all: r_all}, {s: score, r: -r_all}, $limit)) AS row
    FROM candidates_ok
    GROUP BY profile_id
  )
  GROUP BY profile_id, row.product_id
),
top_pop AS (
  -- the only popular products a backup can reach (r_all <= cap implies r_cat <= cap)
  SELECT * FROM pop WHERE r_cat <= (SELECT max(cap) FROM caps)
),
backup AS (
  SELECT i.profile_id, p.product_id, p.buyers::DOUBLE AS score, p.r_all, 1 AS tier, p.category
  FROM interest i
  JOIN caps c ON c.profile_id = i.profile_id
  JOIN top_pop p ON p.category = i.category AND p.r_cat <= c.cap
  UNION ALL
  -- overall, without the shopper's interest categories: those products are in tier 1 already
  -- (a product's rank in its category is at most its overall rank)
  SELECT c.profile_id, p.product_id, p.buyers::DOUBLE, p.r_all, 2, p.category
  FROM caps c
  JOIN top_pop p ON p.r_all <= c.cap
  ANTI JOIN interest i ON i.profile_id = c.profile_id AND i.category = p.category
  WHERE NOT $same_category OR c.profile_id NOT IN (SELECT profile_id FROM context_categories)
),
ranked AS (
  SELECT *, row_number() OVER (PARTITION BY profile_id ORDER BY tier, score DESC, r_all) AS rank
  FROM (
    SELECT * FROM chosen
    UNION ALL
    SELECT b.profile_id, b.product_id, b.score, NULL, b.r_all, b.tier, b.category
    FROM backup b
    ANTI JOIN (
      SELECT profile_id, product_id FROM excluded
      UNION ALL
      SELECT profile_id, product_id FROM chosen
    ) x ON x.profile_id = b.profile_id AND x.product_id = b.product_id
  )
)
-- Shaped for read-rows.ts, which decodes as few strings as it can (a string costs more than the rest
-- of a row): profile_id only on each shopper's first row (NULL after it: the rows are in profile
-- order); product_key, unique per product in the result, so that a product's id and details are
-- decoded once; tier, because a backup's reason depends only on its tier and its product's category.
SELECT CASE WHEN r.rank = 1 THEN r.profile_id END AS profile_id, r.product_id, r.score,
  CASE r.tier
    WHEN 0 THEN r.reason
    WHEN 1 THEN 'backup: popular in ' || r.category
    ELSE 'backup: popular overall'
  END AS reason,
  r.rank::INTEGER AS rank, q.name, q.category, q.price, q.image_url, q.url,
  r.r_all::INTEGER AS product_key, r.tier::INTEGER AS tier
FROM ranked r
JOIN pool q ON q.product_id = r.product_id
WHERE r.rank <= $limit
ORDER BY r.profile_id, r.rank
