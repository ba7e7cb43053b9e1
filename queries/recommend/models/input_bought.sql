-- Input of the co-occurrence models: each shopper's distinct bought products in [$since, $now),
-- at most $max_items most recent ones per shopper.
SELECT profile_id, product_id
FROM purchase_items
WHERE ts >= $since AND ts < $now
GROUP BY profile_id, product_id
QUALIFY row_number() OVER (PARTITION BY profile_id ORDER BY max(ts) DESC, product_id) <= $max_items
