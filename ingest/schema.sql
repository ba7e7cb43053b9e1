-- nudge's DuckDB schema. Applied at every start; every statement is idempotent.

-- Every accepted event, once, in stream order (seq = EVENTS stream sequence).
CREATE TABLE IF NOT EXISTS events (
  seq         BIGINT      NOT NULL,
  id          VARCHAR     NOT NULL,
  type        VARCHAR     NOT NULL,
  profile_id  VARCHAR     NOT NULL,
  ts          TIMESTAMPTZ NOT NULL,
  product_id  VARCHAR,
  quantity    INTEGER,
  price       DOUBLE,
  currency    VARCHAR,
  order_id    VARCHAR,
  session_id  VARCHAR,
  attributes  JSON,
  extra       JSON,
  received_at TIMESTAMPTZ NOT NULL
);

-- The items of each purchase event, flattened (one row per item).
CREATE TABLE IF NOT EXISTS purchase_items (
  seq        BIGINT      NOT NULL,
  event_id   VARCHAR     NOT NULL,
  profile_id VARCHAR     NOT NULL,
  ts         TIMESTAMPTZ NOT NULL,
  order_id   VARCHAR,
  product_id VARCHAR     NOT NULL,
  quantity   INTEGER     NOT NULL,
  price      DOUBLE
);

-- The last stream sequence whose effect is in this database, per consumer: written in the same
-- transaction as the rows, so a restart resumes exactly after it.
CREATE TABLE IF NOT EXISTS ingest_offsets (
  consumer VARCHAR PRIMARY KEY,
  last_seq BIGINT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS profiles (
  profile_id VARCHAR PRIMARY KEY,
  email      VARCHAR,
  first_name VARCHAR,
  last_name  VARCHAR,
  locale     VARCHAR,
  timezone   VARCHAR,
  consent    VARCHAR,
  city       VARCHAR,
  country    VARCHAR,
  created_at TIMESTAMPTZ,
  attributes JSON
);

CREATE TABLE IF NOT EXISTS products (
  product_id VARCHAR PRIMARY KEY,
  name       VARCHAR,
  category   VARCHAR,
  price      DOUBLE,
  currency   VARCHAR,
  stock      INTEGER,
  active     BOOLEAN,
  image_url  VARCHAR,
  url        VARCHAR
);

CREATE TABLE IF NOT EXISTS stores (
  store_id VARCHAR PRIMARY KEY,
  name     VARCHAR,
  city     VARCHAR,
  country  VARCHAR,
  timezone VARCHAR
);

CREATE TABLE IF NOT EXISTS orders (
  order_id   VARCHAR PRIMARY KEY,
  profile_id VARCHAR,
  store_id   VARCHAR,
  ordered_at TIMESTAMPTZ,
  total      DOUBLE,
  currency   VARCHAR,
  status     VARCHAR
);

CREATE TABLE IF NOT EXISTS order_items (
  order_id   VARCHAR,
  product_id VARCHAR,
  quantity   INTEGER,
  price      DOUBLE,
  PRIMARY KEY (order_id, product_id)
);

CREATE TABLE IF NOT EXISTS bookings (
  booking_id VARCHAR PRIMARY KEY,
  profile_id VARCHAR,
  store_id   VARCHAR,
  starts_at  TIMESTAMPTZ,
  service    VARCHAR,
  status     VARCHAR
);
