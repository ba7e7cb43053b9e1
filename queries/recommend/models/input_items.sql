-- model_items(item, product_id): an integer code for every product the models may name (the
-- catalog, and the products of the window's events and purchases), numbered in product_id order so
-- that ordering by item is ordering by product_id. The co-occurrence models are keyed by these codes:
-- joining and grouping integers is several times cheaper than joining and grouping product ids.
SELECT row_number() OVER (ORDER BY product_id)::INTEGER AS item, product_id
FROM (
  SELECT product_id FROM products
  UNION
  SELECT product_id FROM events WHERE product_id IS NOT NULL AND ts >= $since AND ts < $now
  UNION
  SELECT product_id FROM purchase_items WHERE ts >= $since AND ts < $now
)
