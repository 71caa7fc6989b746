-- name: access/held_orders
-- answers: For each data subject of an access pack, their orders placed before as_of?
-- params: as_of
-- requires: orders
-- notice: §3, §7
-- gdpr: Art. 15(1), Art. 15(3)
-- note: access packs only; pack_subjects holds the pack's subjects
SELECT o.order_id, o.customer_id, o.ordered_at, o.product, o.channel, o.quantity, o.total_eur, o.status
FROM orders AS o
JOIN pack_subjects AS s ON o.customer_id = s.customer_id
WHERE o.ordered_at < $as_of
ORDER BY o.customer_id, o.ordered_at, o.order_id
