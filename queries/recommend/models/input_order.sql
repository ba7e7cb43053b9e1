-- Input of the co-occurrence models: each item's place in the popularity order the recommendations
-- break ties with (distinct buyers, then viewers, in model_input_popular; then product id).
SELECT i.item, row_number() OVER (
    ORDER BY coalesce(p.buyers, 0) DESC, coalesce(p.viewers, 0) DESC, i.product_id
  )::INTEGER AS popularity
FROM model_input_items i
LEFT JOIN model_input_popular p ON p.product_id = i.product_id
