-- Profiles who added to cart in the 7 days before $now and have not bought since their last cart_add.
SELECT profile_id
FROM events
WHERE type IN ('cart_add', 'purchase')
  AND ts >= $now::TIMESTAMPTZ - INTERVAL '7 days'
  AND ts < $now::TIMESTAMPTZ
GROUP BY profile_id
HAVING max(ts) FILTER (WHERE type = 'cart_add')
  > coalesce(max(ts) FILTER (WHERE type = 'purchase'), '-infinity'::TIMESTAMPTZ)
