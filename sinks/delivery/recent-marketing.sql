-- Marketing emails sent since $since, to rebuild the frequency cap at start.
SELECT profile_id, epoch_ms(sent_at) AS sent_ms
FROM send_log
WHERE status = 'sent' AND kind = 'marketing' AND sent_at > $since
