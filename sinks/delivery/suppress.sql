-- Suppresses an address after a permanent rejection.
INSERT INTO email_suppressions (email, reason, smtp_response, created_at)
VALUES (lower($email), $reason, $smtp_response, $at)
ON CONFLICT DO NOTHING
