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
restricted AS (
  -- under $same_category: the shoppers whose email has categorised items, and their categories
  SELECT profile_id, category FROM context_categories WHERE $same_category
),
candidates_ok AS (
  SELECT c.profile_id, c.product_id, c.score::DOUBLE AS score, c.reason, p.r_all
  FROM candidates c
  JOIN pop p ON p.product_id = c.product_id
  LEFT JOIN restricted r ON r.profile_id = c.profile_id AND r.category = p.category
  ANTI JOIN excluded x ON x.profile_id = c.profile_id AND x.product_id = c.product_id
  WHERE r.profile_id IS NOT NULL OR c.profile_id NOT IN (SELECT profile_id FROM restricted)
),
kept AS (
  -- only the best $limit candidates per shopper can be shown: keep those (top-N aggregate)
  SELECT profile_id, unnest(top) AS row, 0 AS tier
  FROM (
    SELECT profile_id,
      arg_max({product_id: product_id, score: score, reason: reason, r_all: r_all}, {s: score, r: -r_all}, $limit) AS top
    FROM candidates_ok
    GROUP BY profile_id
  )
  UNION ALL
  SELECT b.profile_id, {product_id: b.product_id, score: b.score, reason: b.reason, r_all: p.r_all}, b.tier
  FROM backup b
  JOIN pop p ON p.product_id = b.product_id
  LEFT JOIN restricted r ON r.profile_id = b.profile_id AND r.category = p.category
  ANTI JOIN excluded x ON x.profile_id = b.profile_id AND x.product_id = b.product_id
  WHERE r.profile_id IS NOT NULL OR b.profile_id NOT IN (SELECT profile_id FROM restricted)
),
best AS (
  -- each product once per shopper: its best tier (a product appears at most once per tier)
  SELECT profile_id, row.product_id AS product_id,
    arg_min(row.score, tier) AS score, arg_min(row.reason, tier) AS reason, min(tier) AS tier, any_value(row.r_all) AS r_all
  FROM kept
  GROUP BY profile_id, row.product_id
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
