-- Refunds paid back through the payment provider, one row each, so a refund the provider did
-- not take is retried by the scheduler until it is paid (or ops are told it keeps failing),
-- and credit notes for refunds and for fees given back.

-- What a release taken back by ops returned (a refund after approval).
ALTER TABLE milestones ADD COLUMN reversed_minor bigint NOT NULL DEFAULT 0 CHECK (reversed_minor >= 0);

CREATE TABLE refunds (
  id              uuid PRIMARY KEY,
  payment_id      uuid NOT NULL REFERENCES payments(id),
  milestone_id    uuid NOT NULL REFERENCES milestones(id),
  customer_id     uuid NOT NULL REFERENCES users(id),
  amount_minor    bigint NOT NULL CHECK (amount_minor > 0),
  currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- 'dispute': a resolved dispute's refund; 'after_release': ops took a release back.
  reason          text NOT NULL CHECK (reason IN ('dispute','after_release')),
  note            text NOT NULL DEFAULT '',
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','paid','failed')),
  provider_ref    text,
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text,
  -- When the scheduler tries the provider again (pending only).
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  paid_at         timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (milestone_id, reason)
);
CREATE INDEX refunds_due ON refunds (next_attempt_at) WHERE status = 'pending';
CREATE INDEX refunds_payment ON refunds (payment_id);
CREATE TRIGGER refunds_touch BEFORE UPDATE ON refunds FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
GRANT SELECT, INSERT, UPDATE ON refunds TO fluxorae_app;

ALTER TABLE ops_alerts DROP CONSTRAINT ops_alerts_rule_check;
ALTER TABLE ops_alerts ADD CONSTRAINT ops_alerts_rule_check CHECK (rule IN
  ('pm_suggested', 'milestone_overdue', 'funds_held_long', 'customer_idle', 'rating_low', 'refund_failing'));

ALTER TABLE document_counters DROP CONSTRAINT document_counters_kind_check;
ALTER TABLE document_counters ADD CONSTRAINT document_counters_kind_check CHECK (kind IN
  ('receipt','fee_invoice','credit_note','fee_credit_note'));
ALTER TABLE documents DROP CONSTRAINT documents_kind_check;
ALTER TABLE documents ADD CONSTRAINT documents_kind_check CHECK (kind IN
  ('receipt','fee_invoice','credit_note','fee_credit_note'));
