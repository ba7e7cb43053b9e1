-- recently_viewed: what the shopper viewed in the lookback window, most recent first.
-- Score: the time of the last view (epoch seconds).
SELECT profile_id, product_id, epoch(max(ts))::DOUBLE AS score,
  'recently_viewed: viewed ' || count(*) || CASE WHEN count(*) = 1 THEN ' time' ELSE ' times' END AS reason
FROM history
WHERE type = 'product_view'
GROUP BY profile_id, product_id
