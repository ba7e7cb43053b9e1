-- The history writer's transaction, after the Arrow batches were appended to events and purchase_items.
-- _profile_updates is the connection's temp table of this batch's profile updates; $consumer and
-- $last_seq are bound.
INSERT INTO profiles (profile_id, email, first_name, last_name, locale, timezone, consent, created_at, attributes)
SELECT profile_id,
       arg_max(attributes ->> 'email', ts_ms) FILTER (WHERE attributes ->> 'email' IS NOT NULL),
       arg_max(attributes ->> 'firstName', ts_ms) FILTER (WHERE attributes ->> 'firstName' IS NOT NULL),
       arg_max(attributes ->> 'lastName', ts_ms) FILTER (WHERE attributes ->> 'lastName' IS NOT NULL),
       arg_max(attributes ->> 'locale', ts_ms) FILTER (WHERE attributes ->> 'locale' IS NOT NULL),
       arg_max(attributes ->> 'timezone', ts_ms) FILTER (WHERE attributes ->> 'timezone' IS NOT NULL),
       arg_max(attributes ->> 'consent', ts_ms) FILTER (WHERE attributes ->> 'consent' IS NOT NULL),
       to_timestamp(min(ts_ms) / 1000),
       CAST(arg_max(attributes, ts_ms) AS JSON)
FROM _profile_updates
GROUP BY profile_id
ON CONFLICT (profile_id) DO UPDATE SET
  email = coalesce(EXCLUDED.email, email),
  first_name = coalesce(EXCLUDED.first_name, first_name),
  last_name = coalesce(EXCLUDED.last_name, last_name),
  locale = coalesce(EXCLUDED.locale, locale),
  timezone = coalesce(EXCLUDED.timezone, timezone),
  consent = coalesce(EXCLUDED.consent, consent),
  attributes = json_merge_patch(coalesce(attributes, '{}'), EXCLUDED.attributes);

INSERT INTO ingest_offsets VALUES ($consumer, $last_seq, now())
ON CONFLICT (consumer) DO UPDATE SET last_seq = EXCLUDED.last_seq, updated_at = EXCLUDED.updated_at;
