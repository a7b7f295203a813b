-- Tokens bought by card from the team's tokens page (`domain::server::leads::billing::buy`): a
-- top-up like staff's, with the captured payment it came from, once per payment.
ALTER TABLE token_topups
  ADD COLUMN payment_ref  text UNIQUE,
  ADD COLUMN amount_minor bigint CHECK (amount_minor > 0);
