-- Leaks (`domain::leads::leakage`): an open alert per conversation, SDR and kind while the lead
-- waits for an answer (30 minutes) or for their SDR to open what they wrote (15 minutes). The
-- scan opens and clears them every minute; the history records each leak.
CREATE TABLE lead_alerts (
  id          uuid PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  lead_id     uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN ('reply_pending','unseen')),
  -- The lead's message it is about.
  since       timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  cleared_at  timestamptz
);
CREATE UNIQUE INDEX lead_alerts_open ON lead_alerts (lead_id, user_id, kind) WHERE cleared_at IS NULL;
CREATE INDEX lead_alerts_user ON lead_alerts (tenant_id, user_id) WHERE cleared_at IS NULL;
ALTER TABLE lead_alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE lead_alerts FORCE ROW LEVEL SECURITY;
CREATE POLICY lead_alerts_isolation ON lead_alerts
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());
GRANT SELECT, INSERT, UPDATE ON lead_alerts TO fluxorae_app;

-- What the scan reads: open conversations with an SDR, by their last message.
CREATE INDEX leads_open_assigned ON leads (last_inbound_at)
  WHERE status = 'open' AND assignee IS NOT NULL AND merged_into IS NULL;

ALTER TABLE lead_events DROP CONSTRAINT lead_events_kind_check;
ALTER TABLE lead_events ADD CONSTRAINT lead_events_kind_check CHECK (kind IN (
  'created','identity_added','merged',
  'scored','assigned','waiting','nurture','junior_pool','first_response','sla_breached',
  'resolved','reopened','tagged','replied','escalated','leaked','stage'));

-- When the lead last moved stage by hand (won and lost count from then in the reports).
ALTER TABLE leads ADD COLUMN stage_at timestamptz;
