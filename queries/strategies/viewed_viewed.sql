-- viewed_viewed: "shoppers who viewed this also viewed". Seeds: the items in the email and what the
-- shopper viewed last in the lookback window. Score: the most distinct shoppers who viewed a seed and
-- the candidate (model_viewed_viewed, rebuilt by refreshModels).
-- Reads the inputs described in queries/recommend/inputs.sql; returns (profile_id, product_id, score, reason).
SELECT s.profile_id, m.b AS product_id, max(m.shoppers)::DOUBLE AS score,
  'viewed_viewed: ' || max(m.shoppers) || CASE WHEN max(m.shoppers) = 1 THEN ' shopper' ELSE ' shoppers' END
    || ' also viewed' AS reason
FROM (
  SELECT profile_id, product_id FROM context
  UNION
  SELECT profile_id, product_id FROM viewed
) s
JOIN model_viewed_viewed m ON m.a = s.product_id
GROUP BY s.profile_id, m.b
