-- model_bought_bought_by_item(a, b, shoppers, rank): how many distinct shoppers bought both items
-- (a <> b) in the window; same pruning and ranking as model_viewed_viewed.
SELECT c.a, c.b, c.shoppers,
  row_number() OVER (PARTITION BY c.a ORDER BY c.shoppers DESC, o.popularity)::INTEGER AS rank
FROM (
  SELECT x.item AS a, y.item AS b, count(*)::INTEGER AS shoppers
  FROM model_input_bought x
  JOIN model_input_bought y ON x.profile_id = y.profile_id AND x.item <> y.item
  GROUP BY x.item, y.item
  HAVING count(*) >= $min_shoppers
) c
JOIN model_input_order o ON o.item = c.b
QUALIFY rank <= $max_neighbours
