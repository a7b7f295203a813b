-- The ledger all money in the platform moves through: double entry, integers in minor units,
-- idempotent on a key, immutable once written (a correction is a new movement).
--
-- Postings are signed: debits positive, credits negative; the postings of a movement sum to
-- zero (checked at commit). Accounts owned by one party (a milestone's held funds, a
-- customer's funding, a freelancer's payable, a customer's refunds) keep a running balance that
-- is locked while a movement changes it and can never cross to the wrong side. The two shared
-- accounts every movement touches (provider clearing, platform revenue) keep no running balance,
-- so movements do not queue behind one row; their balance is the sum of their postings.
CREATE TABLE ledger_accounts (
  id          bigserial PRIMARY KEY,
  code        text NOT NULL CHECK (code ~ '^[a-z_]+(:[0-9a-f-]{36})?$'),
  currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  normal      text NOT NULL CHECK (normal IN ('debit','credit')),
  guarded     boolean NOT NULL,
  balance     bigint NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ledger_accounts_code_key UNIQUE (code, currency),
  CONSTRAINT ledger_accounts_side CHECK (
    NOT guarded OR (normal = 'debit' AND balance >= 0) OR (normal = 'credit' AND balance <= 0)),
  CONSTRAINT ledger_accounts_unguarded_balance CHECK (guarded OR balance = 0)
);
CREATE TRIGGER ledger_accounts_touch BEFORE UPDATE ON ledger_accounts FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE ledger_movements (
  id          uuid PRIMARY KEY,
  key         text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
  kind        text NOT NULL CHECK (kind IN ('capture','hold','release','refund','refund_settled','reverse_release','payout')),
  currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- SHA-256 of the movement's kind, currency and postings: a replay must match it.
  fingerprint text NOT NULL,
  memo        jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ledger_movements_key_key UNIQUE (key)
);

CREATE TABLE ledger_postings (
  movement_id uuid NOT NULL REFERENCES ledger_movements(id),
  account_id  bigint NOT NULL REFERENCES ledger_accounts(id),
  amount      bigint NOT NULL CHECK (amount <> 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (movement_id, account_id)
);
CREATE INDEX ledger_postings_account ON ledger_postings (account_id);

CREATE FUNCTION ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger entries are immutable: book a correcting movement instead'
    USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER ledger_movements_immutable BEFORE UPDATE OR DELETE ON ledger_movements
  FOR EACH ROW EXECUTE FUNCTION ledger_immutable();
CREATE TRIGGER ledger_postings_immutable BEFORE UPDATE OR DELETE ON ledger_postings
  FOR EACH ROW EXECUTE FUNCTION ledger_immutable();

-- Balanced: checked once per movement when its transaction commits.
CREATE FUNCTION ledger_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE total numeric;
BEGIN
  SELECT sum(amount) INTO total FROM ledger_postings WHERE movement_id = NEW.id;
  IF total IS DISTINCT FROM 0 THEN
    RAISE EXCEPTION 'ledger movement % does not balance (sum %)', NEW.key, total
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_movements_balanced AFTER INSERT ON ledger_movements
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_balanced();

GRANT SELECT, INSERT, UPDATE ON ledger_accounts TO fluxorae_app;
GRANT USAGE ON SEQUENCE ledger_accounts_id_seq TO fluxorae_app;
GRANT SELECT, INSERT ON ledger_movements, ledger_postings TO fluxorae_app;
