-- model_popular(product_id, buyers, viewers): distinct buyers and distinct viewers of each product
-- in the recent window [$popular_since, $now). Products nobody touched are absent (score 0).
SELECT product_id, max(buyers)::INTEGER AS buyers, max(viewers)::INTEGER AS viewers
FROM (
  SELECT product_id, count(DISTINCT profile_id) AS buyers, 0 AS viewers
  FROM purchase_items
  WHERE ts >= $popular_since AND ts < $now
  GROUP BY product_id
  UNION ALL
  SELECT product_id, 0, count(DISTINCT profile_id)
  FROM events
  WHERE type = 'product_view' AND product_id IS NOT NULL AND ts >= $popular_since AND ts < $now
  GROUP BY product_id
)
GROUP BY product_id
