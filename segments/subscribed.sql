-- Profiles that consented to email and have an address.
SELECT profile_id
FROM profiles
WHERE consent = 'subscribed'
  AND email IS NOT NULL
