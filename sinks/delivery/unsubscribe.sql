-- One-click unsubscribe: the profile's consent becomes 'unsubscribed' (a row is made if none exists).
INSERT INTO profiles (profile_id, consent) VALUES ($profile_id, 'unsubscribed')
ON CONFLICT (profile_id) DO UPDATE SET consent = 'unsubscribed'
