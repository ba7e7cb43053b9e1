-- The profiles of one batch, with their suppression state. $profile_ids: VARCHAR[].
SELECT
  p.profile_id,
  p.email,
  p.first_name,
  p.locale,
  p.timezone,
  p.consent,
  s.email IS NOT NULL AS suppressed
FROM profiles AS p
JOIN (SELECT DISTINCT unnest($profile_ids::VARCHAR[]) AS id) AS b ON b.id = p.profile_id
LEFT JOIN email_suppressions AS s ON s.email = lower(p.email)
