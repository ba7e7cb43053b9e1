-- Profiles who added to cart in the 7 days before $now and have not bought since their last cart_add.
WITH carts AS (
  SELECT profile_id, max(ts) AS last_add
  FROM events
  WHERE type = 'cart_add'
    AND ts >= $now::TIMESTAMPTZ - INTERVAL '7 days'
    AND ts < $now::TIMESTAMPTZ
  GROUP BY profile_id
),
buys AS (
  SELECT profile_id, max(ts) AS last_buy
  FROM events
  WHERE type = 'purchase'
    AND ts >= $now::TIMESTAMPTZ - INTERVAL '7 days'
    AND ts < $now::TIMESTAMPTZ
  GROUP BY profile_id
)
SELECT carts.profile_id
FROM carts
LEFT JOIN buys USING (profile_id)
WHERE buys.last_buy IS NULL OR buys.last_buy < carts.last_add
