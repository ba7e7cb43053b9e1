-- Input of the co-occurrence models (a temp table while they build): each shopper's distinct viewed
-- products in [$since, $now), at most $max_items most recent ones per shopper so that one heavy
-- browser cannot dominate the pairs.
SELECT profile_id, product_id
FROM events
WHERE type = 'product_view' AND product_id IS NOT NULL AND ts >= $since AND ts < $now
GROUP BY profile_id, product_id
QUALIFY row_number() OVER (PARTITION BY profile_id ORDER BY max(ts) DESC, product_id) <= $max_items
