-- bought_bought: "shoppers who bought this also bought". Seeds: the items in the email and what the
-- shopper bought in the lookback window. Score: the most distinct shoppers who bought a seed and
-- the candidate (model_bought_bought).
SELECT s.profile_id, m.b AS product_id, max(m.shoppers)::DOUBLE AS score,
  'bought_bought: ' || max(m.shoppers) || CASE WHEN max(m.shoppers) = 1 THEN ' shopper' ELSE ' shoppers' END
    || ' also bought' AS reason
FROM (
  SELECT profile_id, product_id FROM context
  UNION
  SELECT profile_id, product_id FROM bought
) s
JOIN model_bought_bought m ON m.a = s.product_id
GROUP BY s.profile_id, m.b
