-- recently_viewed: the products the shopper viewed last in the lookback window, most recent first.
-- Score: the time of the last view (epoch seconds).
SELECT profile_id, product_id, epoch(last_ts)::DOUBLE AS score,
  'recently_viewed: viewed ' || views || CASE WHEN views = 1 THEN ' time' ELSE ' times' END AS reason
FROM viewed
