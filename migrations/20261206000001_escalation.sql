-- Escalation to a person (`domain::leads::escalation`): the reasons the AI's reading found
-- (low confidence, a big budget, ready to buy, a call, a sensitive subject, a competitor, many
-- objections) and when the conversation was first handed over. Only resolving it closes an
-- escalation; a calmer reading never does.
ALTER TABLE leads
  ADD COLUMN escalated_at timestamptz,
  ADD COLUMN escalation jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(escalation) = 'array');

-- The team's competitors: a lead who names one goes to a person at once.
ALTER TABLE tenant_settings ADD COLUMN competitors text[] NOT NULL DEFAULT '{}';

ALTER TABLE lead_events DROP CONSTRAINT lead_events_kind_check;
ALTER TABLE lead_events ADD CONSTRAINT lead_events_kind_check CHECK (kind IN (
  'created','identity_added','merged',
  'scored','assigned','waiting','nurture','junior_pool','first_response','sla_breached',
  'resolved','reopened','tagged','replied','escalated'));
