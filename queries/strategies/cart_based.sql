-- cart_based: "bought together with what is in your cart". Seeds: the items in the email (the cart);
-- a shopper without context items falls back to what they added to a cart in the lookback window.
-- Score: the most distinct shoppers who had a seed in their cart and bought the candidate
-- (model_cart_bought_by_item).
-- Reads the inputs described in queries/recommend/inputs.sql; returns (profile_id, product_id, score, reason).
-- A seed's neighbours are ranked as rank.sql ranks (shoppers, then popularity), so only its first
-- `keep` eligible ones can be shown: each seed reads its first keep + (its neighbours that are not
-- eligible now) ones. Same lists as reading every neighbour, a fraction of the rows.
WITH seeds AS (
  SELECT s.profile_id, i.item, k.keep
  FROM (
    SELECT profile_id, product_id FROM context
    UNION
    SELECT h.profile_id, h.product_id
    FROM history h
    ANTI JOIN context c ON c.profile_id = h.profile_id
    WHERE h.type = 'cart_add'
  ) s
  JOIN model_items i ON i.product_id = s.product_id
  JOIN caps k ON k.profile_id = s.profile_id
),
slack AS (
  -- per seed: its neighbours that cannot be shown now (inactive, out of stock, outside the price band)
  SELECT m.a, count(*) AS n
  FROM model_cart_bought_by_item m
  SEMI JOIN seeds s ON s.item = m.a
  ANTI JOIN pop p ON p.item = m.b
  GROUP BY m.a
)
SELECT c.profile_id, p.product_id, c.shoppers::DOUBLE AS score,
  'cart_based: ' || c.shoppers || CASE WHEN c.shoppers = 1 THEN ' shopper' ELSE ' shoppers' END
    || ' with it in their cart bought this' AS reason
FROM (
  SELECT s.profile_id, m.b, max(m.shoppers) AS shoppers
  FROM seeds s
  LEFT JOIN slack x ON x.a = s.item
  JOIN model_cart_bought_by_item m ON m.a = s.item AND m.rank <= s.keep + coalesce(x.n, 0)
  GROUP BY s.profile_id, m.b
) c
JOIN pop p ON p.item = c.b
