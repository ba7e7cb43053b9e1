-- Input of the co-occurrence models: each shopper's distinct products added to a cart in
-- [$since, $now) as item codes, at most $max_items most recent ones per shopper.
SELECT e.profile_id, i.item
FROM events e
JOIN model_input_items i ON i.product_id = e.product_id
WHERE e.type = 'cart_add' AND e.ts >= $since AND e.ts < $now
GROUP BY e.profile_id, i.item
QUALIFY row_number() OVER (PARTITION BY e.profile_id ORDER BY max(e.ts) DESC, i.item) <= $max_items
