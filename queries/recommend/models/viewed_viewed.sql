-- model_viewed_viewed(a, b, shoppers): for every ordered pair of different products, how many
-- distinct shoppers viewed both in [$since, $now); each product keeps its $max_neighbours strongest
-- partners. Each shopper counts with at most
-- $max_items of their most recently viewed products, so one heavy browser cannot dominate.
WITH seen AS (
  SELECT profile_id, product_id
  FROM events
  WHERE type = 'product_view' AND product_id IS NOT NULL AND ts >= $since AND ts < $now
  GROUP BY profile_id, product_id
  QUALIFY row_number() OVER (PARTITION BY profile_id ORDER BY max(ts) DESC, product_id) <= $max_items
)
SELECT x.product_id AS a, y.product_id AS b, count(*)::INTEGER AS shoppers
FROM seen x
JOIN seen y ON x.profile_id = y.profile_id AND x.product_id <> y.product_id
GROUP BY x.product_id, y.product_id
HAVING count(*) >= $min_shoppers
QUALIFY row_number() OVER (PARTITION BY x.product_id ORDER BY count(*) DESC, y.product_id) <= $max_neighbours
