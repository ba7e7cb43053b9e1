-- After the load: DuckDB's primary keys, plus the secondary indexes PostgreSQL needs for these segments.
SET search_path TO nudge_bench;
ALTER TABLE profiles ADD PRIMARY KEY (profile_id);
ALTER TABLE products ADD PRIMARY KEY (product_id);
ALTER TABLE stores ADD PRIMARY KEY (store_id);
ALTER TABLE orders ADD PRIMARY KEY (order_id);
ALTER TABLE order_items ADD PRIMARY KEY (order_id, product_id);
ALTER TABLE bookings ADD PRIMARY KEY (booking_id);
CREATE INDEX events_type_ts ON events (type, ts);
CREATE INDEX events_profile ON events (profile_id);
CREATE INDEX purchase_items_profile_product ON purchase_items (profile_id, product_id);
CREATE INDEX orders_profile ON orders (profile_id, ordered_at);
CREATE INDEX bookings_starts ON bookings (starts_at);
ANALYZE;
