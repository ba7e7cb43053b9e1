-- model_viewed_viewed(a, b, shoppers): for every ordered pair of different products, how many
-- distinct shoppers viewed both in the window (model_input_seen); pairs seen by fewer than
-- $min_shoppers are dropped and each product keeps its $max_neighbours strongest partners.
SELECT x.product_id AS a, y.product_id AS b, count(*)::INTEGER AS shoppers
FROM model_input_seen x
JOIN model_input_seen y ON x.profile_id = y.profile_id AND x.product_id <> y.product_id
GROUP BY x.product_id, y.product_id
HAVING count(*) >= $min_shoppers
QUALIFY row_number() OVER (PARTITION BY x.product_id ORDER BY count(*) DESC, y.product_id) <= $max_neighbours
