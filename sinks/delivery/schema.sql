-- The email sink's tables. Applied at sink start; every statement is idempotent.

-- One row per email outcome (sent, failed, skipped, held), appended in batches.
CREATE TABLE IF NOT EXISTS send_log (
  send_id         VARCHAR     NOT NULL,
  idem_key        VARCHAR     NOT NULL,
  message_id      VARCHAR,
  profile_id      VARCHAR     NOT NULL,
  email           VARCHAR,
  campaign        VARCHAR,
  trigger_id      VARCHAR,
  template        VARCHAR,
  kind            VARCHAR,
  recommendations JSON,
  status          VARCHAR     NOT NULL,
  reason          VARCHAR,
  attempts        INTEGER,
  created_at      TIMESTAMPTZ NOT NULL,
  sent_at         TIMESTAMPTZ,
  smtp_response   VARCHAR,
  error           VARCHAR
);

-- Addresses that answered a permanent (5xx) rejection; never mailed again.
CREATE TABLE IF NOT EXISTS email_suppressions (
  email         VARCHAR PRIMARY KEY,
  reason        VARCHAR,
  smtp_response VARCHAR,
  created_at    TIMESTAMPTZ
);
