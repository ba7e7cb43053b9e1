-- model_viewed_viewed_by_item(a, b, shoppers, rank): for every ordered pair of different items, how
-- many distinct shoppers viewed both in the window (model_input_seen); pairs seen by fewer than
-- $min_shoppers are dropped and each item keeps its $max_neighbours strongest partners, ranked
-- 1, 2, … (ties: the more popular partner first, the order recommendations break ties with).
-- model_viewed_viewed(a, b, shoppers) is the same by product id (a view).
SELECT c.a, c.b, c.shoppers,
  row_number() OVER (PARTITION BY c.a ORDER BY c.shoppers DESC, o.popularity)::INTEGER AS rank
FROM (
  SELECT x.item AS a, y.item AS b, count(*)::INTEGER AS shoppers
  FROM model_input_seen x
  JOIN model_input_seen y ON x.profile_id = y.profile_id AND x.item <> y.item
  GROUP BY x.item, y.item
  HAVING count(*) >= $min_shoppers
) c
JOIN model_input_order o ON o.item = c.b
QUALIFY rank <= $max_neighbours
