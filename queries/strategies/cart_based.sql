-- cart_based: "bought together with what is in your cart". Seeds: the items in the email (the cart);
-- a shopper without context items falls back to what they added to a cart in the lookback window.
-- Score: the most distinct shoppers who had a seed in their cart and bought the candidate
-- (model_cart_bought).
SELECT s.profile_id, m.b AS product_id, max(m.shoppers)::DOUBLE AS score,
  'cart_based: ' || max(m.shoppers) || CASE WHEN max(m.shoppers) = 1 THEN ' shopper' ELSE ' shoppers' END
    || ' with it in their cart bought this' AS reason
FROM (
  SELECT profile_id, product_id FROM context
  UNION
  SELECT h.profile_id, h.product_id
  FROM history h
  ANTI JOIN context c ON c.profile_id = h.profile_id
  WHERE h.type = 'cart_add'
) s
JOIN model_cart_bought m ON m.a = s.product_id
GROUP BY s.profile_id, m.b
