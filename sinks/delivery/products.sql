-- The products of one batch (cart, viewed and recommended items). $product_ids: VARCHAR[].
SELECT p.product_id, p.name, p.price, p.currency, p.stock, p.active, p.image_url, p.url
FROM products AS p
JOIN (SELECT DISTINCT unnest($product_ids::VARCHAR[]) AS id) AS b ON b.id = p.product_id
