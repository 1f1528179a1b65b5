-- A subscription taken from a promotion's subscription offer on the customer's page (issue
-- #22): the price the customer agreed to for its whole term (the promoted one; NULL: the
-- package's catalogue price, as every subscription before) and the promotion it came from
-- (NULL: none). Taking the same promotion again for the household finds it.
ALTER TABLE subscriptions ADD COLUMN price_cents BIGINT;
ALTER TABLE subscriptions ADD COLUMN promotion_id BIGINT;
