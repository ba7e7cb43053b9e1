-- Follows `WITH <inputs>, candidates AS (<strategy>)`: applies the rules and ranks.
-- 1. backup: popular products in the shopper's interest categories (tier 1), then overall (tier 2;
--    left out under $same_category for a shopper whose email has categorised items);
-- 2. drop excluded (bought, in the email) and ineligible (inactive, out of stock, outside the price
--    band, outside the context categories under $same_category) products;
-- 3. keep each product once per shopper (its best tier, then score);
-- 4. rank: tier, score DESC, overall popularity, product_id — deterministic, then keep $limit.
backup AS (
  SELECT i.profile_id, p.product_id, p.buyers::DOUBLE AS score, 'backup: popular in ' || p.category AS reason, 1 AS tier
  FROM interest i
  JOIN caps c ON c.profile_id = i.profile_id
  JOIN pop p ON p.category = i.category AND p.r_cat <= c.cap
  UNION ALL
  SELECT c.profile_id, p.product_id, p.buyers::DOUBLE, 'backup: popular overall', 2
  FROM caps c
  JOIN pop p ON p.r_all <= c.cap
  WHERE NOT $same_category OR c.profile_id NOT IN (SELECT profile_id FROM context_categories)
),
kept AS (
  -- the strategy's candidates that pass the rules; only the best $limit per shopper can be shown
  SELECT c.profile_id, c.product_id, c.score::DOUBLE AS score, c.reason, 0 AS tier, p.r_all
  FROM candidates c
  JOIN pop p ON p.product_id = c.product_id
  ANTI JOIN excluded x ON x.profile_id = c.profile_id AND x.product_id = c.product_id
  WHERE NOT $same_category
    OR c.profile_id NOT IN (SELECT profile_id FROM context_categories)
    OR EXISTS (SELECT 1 FROM context_categories cc WHERE cc.profile_id = c.profile_id AND cc.category = p.category)
  QUALIFY row_number() OVER (PARTITION BY c.profile_id ORDER BY c.score DESC, p.r_all, c.product_id) <= $limit
  UNION ALL
  SELECT b.profile_id, b.product_id, b.score, b.reason, b.tier, p.r_all
  FROM backup b
  JOIN pop p ON p.product_id = b.product_id
  ANTI JOIN excluded x ON x.profile_id = b.profile_id AND x.product_id = b.product_id
  WHERE NOT $same_category
    OR b.profile_id NOT IN (SELECT profile_id FROM context_categories)
    OR EXISTS (SELECT 1 FROM context_categories cc WHERE cc.profile_id = b.profile_id AND cc.category = p.category)
),
best AS (
  SELECT *
  FROM kept
  QUALIFY row_number() OVER (PARTITION BY profile_id, product_id ORDER BY tier, score DESC, reason) = 1
),
ranked AS (
  SELECT *, row_number() OVER (PARTITION BY profile_id ORDER BY tier, score DESC, r_all, product_id) AS rank
  FROM best
)
SELECT r.profile_id, r.product_id, r.score, r.reason, r.rank::INTEGER AS rank,
  q.name, q.category, q.price, q.image_url, q.url
FROM ranked r
JOIN pool q ON q.product_id = r.product_id
WHERE r.rank <= $limit
ORDER BY r.profile_id, r.rank
