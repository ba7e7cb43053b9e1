-- Expected triggers for a log, computed independently of processors/: set-based over the whole log.
-- Table log(seq, id, type, profile_id, ts_ms, product_id, quantity); seq = arrival order.
-- Params: $lateness, $abandon_after, $session_gap, $min_views (ms / count).
WITH arrived AS (
  SELECT *, max(ts_ms) OVER (ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_max
  FROM log
),
accepted AS (
  SELECT * FROM arrived WHERE prev_max IS NULL OR ts_ms >= prev_max - $lateness
),
cart_ev AS (
  SELECT profile_id, ts_ms, id, type,
    CASE type WHEN 'cart_add' THEN quantity WHEN 'cart_remove' THEN -quantity ELSE 0 END AS delta,
    sum(CASE WHEN type = 'purchase' THEN 1 ELSE 0 END)
      OVER (PARTITION BY profile_id ORDER BY ts_ms, id ROWS UNBOUNDED PRECEDING) AS epoch
  FROM accepted
  WHERE type IN ('cart_add', 'cart_remove', 'checkout_start', 'purchase')
),
sized AS (
  SELECT *,
    sum(delta) OVER (PARTITION BY profile_id, epoch ORDER BY ts_ms, id ROWS UNBOUNDED PRECEDING) AS size_after
  FROM cart_ev
),
linked AS (
  SELECT *,
    lead(ts_ms) OVER p AS next_ts,
    lag(ts_ms) OVER p AS prev_ts,
    lag(size_after) OVER p AS prev_size
  FROM sized
  WINDOW p AS (PARTITION BY profile_id ORDER BY ts_ms, id)
),
active AS (
  -- cart activity that leaves a non-empty cart: it (re)sets the deadline
  SELECT *,
    CASE WHEN prev_ts IS NULL OR prev_size = 0 OR ts_ms - prev_ts >= $abandon_after THEN 1 ELSE 0 END AS starts
  FROM linked
),
windows AS (
  SELECT *,
    sum(starts) OVER (PARTITION BY profile_id ORDER BY ts_ms, id ROWS UNBOUNDED PRECEDING) AS wid
  FROM active
),
carts AS (
  SELECT 'cart_abandoned' AS kind, profile_id,
    first_value(ts_ms) OVER (PARTITION BY profile_id, wid ORDER BY ts_ms, id) AS window_start_ms,
    ts_ms AS window_end_ms,
    ts_ms + $abandon_after AS at_ms,
    type, size_after, next_ts
  FROM windows
),
views AS (
  SELECT profile_id, ts_ms, id,
    CASE WHEN ts_ms - lag(ts_ms) OVER (PARTITION BY profile_id ORDER BY ts_ms, id) < $session_gap THEN 0 ELSE 1 END AS starts
  FROM accepted
  WHERE type = 'product_view'
),
numbered AS (
  SELECT *, sum(starts) OVER (PARTITION BY profile_id ORDER BY ts_ms, id ROWS UNBOUNDED PRECEDING) AS sid
  FROM views
),
sessions AS (
  SELECT profile_id, sid, min(ts_ms) AS start_ms, max(ts_ms) AS last_ms, count(*) AS n_views
  FROM numbered GROUP BY profile_id, sid
)
SELECT kind, profile_id, window_start_ms, window_end_ms, at_ms
FROM carts
WHERE type IN ('cart_add', 'cart_remove', 'checkout_start') AND size_after > 0
  AND (next_ts IS NULL OR next_ts >= window_end_ms + $abandon_after)
UNION ALL
SELECT 'browse_abandoned', s.profile_id, s.start_ms, s.last_ms, s.last_ms + $session_gap
FROM sessions s
WHERE s.n_views >= $min_views
  AND NOT EXISTS (
    SELECT 1 FROM accepted a
    WHERE a.profile_id = s.profile_id AND a.type IN ('cart_add', 'purchase')
      AND a.ts_ms >= s.start_ms AND a.ts_ms < s.last_ms + $session_gap
  )
