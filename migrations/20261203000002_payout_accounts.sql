-- Where freelancers are paid: a connected account at the payment provider (Stripe Connect
-- Express; the built-in provider's accounts are ready at once). A payout is a transfer from the
-- platform to that account, then a payout from it to the freelancer's bank.

CREATE TABLE payout_accounts (
  user_id      uuid PRIMARY KEY REFERENCES users(id),
  provider     text NOT NULL CHECK (provider IN ('builtin','stripe')),
  account_ref  text NOT NULL,
  -- onboarding: the freelancer has not finished the provider's form; ready: payouts enabled.
  status       text NOT NULL DEFAULT 'onboarding' CHECK (status IN ('onboarding','ready')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (provider, account_ref)
);
CREATE TRIGGER payout_accounts_touch BEFORE UPDATE ON payout_accounts FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
GRANT SELECT, INSERT, UPDATE ON payout_accounts TO fluxorae_app;

-- provider_ref stays the transfer; payout_ref is the bank payout, in transit until the
-- provider says it arrived (or failed: the money then waits on the connected account).
ALTER TABLE payouts ADD COLUMN payout_ref text;
ALTER TABLE payouts DROP CONSTRAINT payouts_status_check;
ALTER TABLE payouts ADD CONSTRAINT payouts_status_check CHECK (status IN ('pending','in_transit','paid','failed'));
CREATE UNIQUE INDEX payouts_payout_ref ON payouts (payout_ref) WHERE payout_ref IS NOT NULL;
GRANT UPDATE ON payouts TO fluxorae_app;
