-- Events beyond the lateness: older than the highest event time that arrived before them minus $lateness.
SELECT count(*) AS late
FROM (
  SELECT ts_ms, max(ts_ms) OVER (ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_max
  FROM log
)
WHERE ts_ms < prev_max - $lateness
