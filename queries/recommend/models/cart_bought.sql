-- model_cart_bought(a, b, shoppers): how many distinct shoppers added product a to their cart and
-- bought a different product b in the window: "bought together with what is in your cart".
SELECT x.product_id AS a, y.product_id AS b, count(*)::INTEGER AS shoppers
FROM model_input_carted x
JOIN model_input_bought y ON x.profile_id = y.profile_id AND x.product_id <> y.product_id
GROUP BY x.product_id, y.product_id
HAVING count(*) >= $min_shoppers
QUALIFY row_number() OVER (PARTITION BY x.product_id ORDER BY count(*) DESC, y.product_id) <= $max_neighbours
