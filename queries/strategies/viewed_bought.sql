-- viewed_bought: "shoppers who viewed this bought". Seeds: the items in the email and what the
-- shopper viewed last in the lookback window. Score: the most distinct shoppers who viewed a seed and
-- bought the candidate (model_viewed_bought).
SELECT s.profile_id, m.b AS product_id, max(m.shoppers)::DOUBLE AS score,
  'viewed_bought: ' || max(m.shoppers) || CASE WHEN max(m.shoppers) = 1 THEN ' shopper' ELSE ' shoppers' END
    || ' who viewed it bought this' AS reason
FROM (
  SELECT profile_id, product_id FROM context
  UNION
  SELECT profile_id, product_id FROM viewed
) s
JOIN model_viewed_bought m ON m.a = s.product_id
GROUP BY s.profile_id, m.b
