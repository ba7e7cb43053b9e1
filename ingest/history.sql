-- The history writer's transaction: staged Arrow rows → events, purchase_items, profiles, offset.
-- $consumer and $last_seq are bound; _staging is the connection's temp table, filled by the appender.
INSERT INTO events
SELECT CAST(seq AS BIGINT), id, type, profile_id, to_timestamp(ts_ms / 1000), product_id, quantity, price,
       currency, order_id, session_id, CAST(attributes AS JSON), CAST(extra AS JSON), to_timestamp(received_ms / 1000)
FROM _staging;

INSERT INTO purchase_items
SELECT CAST(s.seq AS BIGINT), s.id, s.profile_id, to_timestamp(s.ts_ms / 1000), s.order_id,
       i.productId, coalesce(i.quantity, 1), i.price
FROM _staging s,
     unnest(from_json(s.items, '[{"productId":"VARCHAR","quantity":"INTEGER","price":"DOUBLE"}]')) AS t(i)
WHERE s.items IS NOT NULL;

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
FROM _staging WHERE type = 'profile_update'
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
