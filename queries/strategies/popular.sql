-- popular: the best sellers of the recent window (model_popular: distinct buyers, then viewers), in
-- the shopper's interest categories (those of the email's items, else their most viewed one), or
-- overall for a shopper with neither. Score: distinct buyers in the window.
SELECT i.profile_id, p.product_id, p.buyers::DOUBLE AS score,
  'popular in ' || p.category || ': ' || p.buyers || CASE WHEN p.buyers = 1 THEN ' buyer' ELSE ' buyers' END AS reason
FROM interest i
JOIN caps c ON c.profile_id = i.profile_id
JOIN pop p ON p.category = i.category AND p.r_cat <= c.cap
UNION ALL
SELECT c.profile_id, p.product_id, p.buyers::DOUBLE,
  'popular: ' || p.buyers || CASE WHEN p.buyers = 1 THEN ' buyer' ELSE ' buyers' END
FROM caps c
JOIN pop p ON p.r_all <= c.cap
ANTI JOIN interest i ON i.profile_id = c.profile_id
