-- Input of the co-occurrence models (a temp table while they build): each shopper's distinct viewed
-- products in [$since, $now) as item codes, at most $max_items most recent ones per shopper so that
-- one heavy browser cannot dominate the pairs.
SELECT e.profile_id, i.item
FROM events e
JOIN model_input_items i ON i.product_id = e.product_id
WHERE e.type = 'product_view' AND e.ts >= $since AND e.ts < $now
GROUP BY e.profile_id, i.item
QUALIFY row_number() OVER (PARTITION BY e.profile_id ORDER BY max(e.ts) DESC, i.item) <= $max_items
