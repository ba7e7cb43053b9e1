-- The nudge tables in PostgreSQL (bench:queries only), in their own schema.
DROP SCHEMA IF EXISTS nudge_bench CASCADE;
CREATE SCHEMA nudge_bench;
SET search_path TO nudge_bench;
CREATE UNLOGGED TABLE events (
  seq BIGINT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, profile_id TEXT NOT NULL,
  ts TIMESTAMPTZ NOT NULL, product_id TEXT, quantity INTEGER, price DOUBLE PRECISION,
  currency TEXT, order_id TEXT, session_id TEXT, received_at TIMESTAMPTZ NOT NULL
);
CREATE UNLOGGED TABLE purchase_items (
  seq BIGINT NOT NULL, event_id TEXT NOT NULL, profile_id TEXT NOT NULL, ts TIMESTAMPTZ NOT NULL,
  order_id TEXT, product_id TEXT NOT NULL, quantity INTEGER NOT NULL, price DOUBLE PRECISION
);
CREATE UNLOGGED TABLE profiles (
  profile_id TEXT, email TEXT, first_name TEXT, last_name TEXT, locale TEXT, timezone TEXT,
  consent TEXT, city TEXT, country TEXT, created_at TIMESTAMPTZ
);
CREATE UNLOGGED TABLE products (
  product_id TEXT, name TEXT, category TEXT, price DOUBLE PRECISION, currency TEXT, stock INTEGER,
  active BOOLEAN, image_url TEXT, url TEXT
);
CREATE UNLOGGED TABLE stores (store_id TEXT, name TEXT, city TEXT, country TEXT, timezone TEXT);
CREATE UNLOGGED TABLE orders (
  order_id TEXT, profile_id TEXT, store_id TEXT, ordered_at TIMESTAMPTZ, total DOUBLE PRECISION,
  currency TEXT, status TEXT
);
CREATE UNLOGGED TABLE order_items (order_id TEXT, product_id TEXT, quantity INTEGER, price DOUBLE PRECISION);
CREATE UNLOGGED TABLE bookings (
  booking_id TEXT, profile_id TEXT, store_id TEXT, starts_at TIMESTAMPTZ, service TEXT, status TEXT
);
CREATE TABLE bench_meta (shape TEXT);
