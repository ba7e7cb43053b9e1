-- Profiles in Paris who viewed Outerwear at least twice in the 14 days before $now
-- and have a (not cancelled) booking starting next calendar month.
SELECT p.profile_id
FROM profiles AS p
WHERE p.city = 'Paris'
  AND p.profile_id IN (
    SELECT e.profile_id
    FROM events AS e
    JOIN products AS pr ON pr.product_id = e.product_id
    WHERE e.type = 'product_view'
      AND pr.category = 'Outerwear'
      AND e.ts >= $now::TIMESTAMPTZ - INTERVAL '14 days'
      AND e.ts < $now::TIMESTAMPTZ
    GROUP BY e.profile_id
    HAVING count(*) >= 2
  )
  AND p.profile_id IN (
    SELECT b.profile_id
    FROM bookings AS b
    WHERE b.starts_at >= date_trunc('month', $now::TIMESTAMPTZ) + INTERVAL '1 month'
      AND b.starts_at < date_trunc('month', $now::TIMESTAMPTZ) + INTERVAL '2 months'
      AND coalesce(b.status, '') <> 'cancelled'
  )
