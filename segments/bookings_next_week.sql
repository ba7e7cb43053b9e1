-- One row per booking starting in the 7 days after $now (not cancelled): one email per booking.
SELECT b.profile_id, b.booking_id
FROM bookings AS b
WHERE b.starts_at >= $now::TIMESTAMPTZ
  AND b.starts_at < $now::TIMESTAMPTZ + INTERVAL '7 days'
  AND coalesce(b.status, '') <> 'cancelled'
