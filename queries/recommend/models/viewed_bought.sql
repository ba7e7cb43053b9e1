-- model_viewed_bought(a, b, shoppers): how many distinct shoppers viewed product a and bought a
-- different product b in [$since, $now). Capped at $max_items products per shopper and side.
-- Each product keeps only its $max_neighbours strongest partners.
WITH seen AS (
  SELECT profile_id, product_id
  FROM events
  WHERE type = 'product_view' AND product_id IS NOT NULL AND ts >= $since AND ts < $now
  GROUP BY profile_id, product_id
  QUALIFY row_number() OVER (PARTITION BY profile_id ORDER BY max(ts) DESC, product_id) <= $max_items
),
bought AS (
  SELECT profile_id, product_id
  FROM purchase_items
  WHERE ts >= $since AND ts < $now
  GROUP BY profile_id, product_id
  QUALIFY row_number() OVER (PARTITION BY profile_id ORDER BY max(ts) DESC, product_id) <= $max_items
)
SELECT x.product_id AS a, y.product_id AS b, count(*)::INTEGER AS shoppers
FROM seen x
JOIN bought y ON x.profile_id = y.profile_id AND x.product_id <> y.product_id
GROUP BY x.product_id, y.product_id
HAVING count(*) >= $min_shoppers
QUALIFY row_number() OVER (PARTITION BY x.product_id ORDER BY count(*) DESC, y.product_id) <= $max_neighbours
