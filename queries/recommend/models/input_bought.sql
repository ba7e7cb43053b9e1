-- Input of the co-occurrence models: each shopper's distinct bought products in [$since, $now) as
-- item codes, at most $max_items most recent ones per shopper.
SELECT p.profile_id, i.item
FROM purchase_items p
JOIN model_input_items i ON i.product_id = p.product_id
WHERE p.ts >= $since AND p.ts < $now
GROUP BY p.profile_id, i.item
QUALIFY row_number() OVER (PARTITION BY p.profile_id ORDER BY max(p.ts) DESC, i.item) <= $max_items
