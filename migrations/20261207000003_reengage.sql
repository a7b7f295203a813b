-- The AI re-engagement (issue 5): a COLD lead routed to the AI is due for one message from the
-- moment its nurture starts; the worker claims due leads by moving this on, and clears it once
-- the message is queued or it is clear that nothing may go.
ALTER TABLE leads ADD COLUMN reengage_after timestamptz;
CREATE INDEX leads_reengage ON leads (reengage_after) WHERE reengage_after IS NOT NULL;

ALTER TABLE lead_events DROP CONSTRAINT lead_events_kind_check;
ALTER TABLE lead_events ADD CONSTRAINT lead_events_kind_check CHECK (kind IN (
  'created','identity_added','merged',
  'scored','assigned','waiting','nurture','junior_pool','first_response','sla_breached',
  'resolved','reopened','tagged','replied','escalated','leaked','stage',
  'reengaged','reengage_skipped'));
