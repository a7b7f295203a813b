-- Scoring and routing of leads (issue 5).
--
-- A lead is scored again whenever something that counts happens (a message from them); the
-- score, its band, its top three factors and the reasoning are kept on the lead and, with the
-- AI run that read the conversation, in `lead_scores`, its history. A scored lead is routed to
-- an SDR (`sdr_profiles`: capacity, online, junior pool) by the rules in `domain::leads::routing`,
-- under locks that keep a lead from being assigned twice and an SDR from going over capacity.

-- A member who works leads. Only members of the tenant can have one.
CREATE TABLE sdr_profiles (
  tenant_id         uuid NOT NULL,
  user_id           uuid NOT NULL,
  junior            boolean NOT NULL DEFAULT false,
  capacity          integer NOT NULL DEFAULT 25 CHECK (capacity BETWEEN 1 AND 1000),
  online            boolean NOT NULL DEFAULT false,
  last_assigned_at  timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES tenant_members (tenant_id, user_id) ON DELETE CASCADE
);
CREATE TRIGGER sdr_profiles_touch BEFORE UPDATE ON sdr_profiles FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE sdr_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE sdr_profiles FORCE ROW LEVEL SECURITY;
CREATE POLICY sdr_profiles_isolation ON sdr_profiles
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());

ALTER TABLE leads
  ADD COLUMN score               smallint CHECK (score BETWEEN 0 AND 100),
  ADD COLUMN band                text CHECK (band IN ('hot','warm','cold')),
  -- The top three factors with their reasons, and the sentence that sums them up.
  ADD COLUMN score_factors       jsonb,
  ADD COLUMN score_reasoning     text,
  ADD COLUMN scored_at           timestamptz,
  -- Set when something happened that may change the score; cleared by the scoring that saw it.
  ADD COLUMN score_requested_at  timestamptz,
  -- A scorer has it until then (another instance leaves it alone).
  ADD COLUMN score_claimed_until timestamptz,
  ADD COLUMN routing             text NOT NULL DEFAULT 'new'
                                 CHECK (routing IN ('new','waiting','nurture','junior_pool','assigned')),
  -- Why it waits, in words for the team.
  ADD COLUMN routing_note        text,
  ADD COLUMN assignee            uuid REFERENCES users(id),
  ADD COLUMN assigned_at         timestamptz,
  ADD COLUMN nurture_until       timestamptz,
  ADD COLUMN first_response_due  timestamptz,
  ADD COLUMN first_response_at   timestamptz,
  ADD COLUMN sla_breached_at     timestamptz,
  ADD CONSTRAINT leads_assigned CHECK ((routing = 'assigned') = (assignee IS NOT NULL)),
  ADD CONSTRAINT leads_nurtured CHECK ((routing = 'nurture') = (nurture_until IS NOT NULL)),
  ADD CONSTRAINT leads_scored CHECK ((score IS NULL) = (band IS NULL));
CREATE INDEX leads_score_requested ON leads (score_requested_at) WHERE score_requested_at IS NOT NULL;
CREATE INDEX leads_assignee ON leads (tenant_id, assignee) WHERE assignee IS NOT NULL AND merged_into IS NULL;
CREATE INDEX leads_routing_due ON leads (tenant_id, routing)
  WHERE routing IN ('waiting','nurture','junior_pool') AND merged_into IS NULL;
CREATE INDEX leads_sla_due ON leads (first_response_due)
  WHERE first_response_at IS NULL AND sla_breached_at IS NULL AND first_response_due IS NOT NULL;

-- Every score a lead had, newest last.
CREATE TABLE lead_scores (
  id          bigserial PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  lead_id     uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
  score       smallint NOT NULL CHECK (score BETWEEN 0 AND 100),
  band        text NOT NULL CHECK (band IN ('hot','warm','cold')),
  factors     jsonb NOT NULL,
  reasoning   text NOT NULL,
  -- The AI run that read the conversation (None: nothing to read, e.g. only media).
  ai_run_id   uuid REFERENCES ai_runs(id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lead_scores_lead ON lead_scores (lead_id, id);
CREATE TRIGGER lead_scores_touch BEFORE UPDATE ON lead_scores FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE lead_scores ENABLE ROW LEVEL SECURITY;
ALTER TABLE lead_scores FORCE ROW LEVEL SECURITY;
CREATE POLICY lead_scores_isolation ON lead_scores
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());

ALTER TABLE lead_events DROP CONSTRAINT lead_events_kind_check;
ALTER TABLE lead_events ADD CONSTRAINT lead_events_kind_check CHECK (kind IN (
  'created','identity_added','merged',
  'scored','assigned','waiting','nurture','junior_pool','first_response','sla_breached'));

GRANT SELECT, INSERT, UPDATE, DELETE ON sdr_profiles TO fluxorae_app;
-- UPDATE: a merge moves the merged lead's scores to the lead it joined.
GRANT SELECT, INSERT, UPDATE ON lead_scores TO fluxorae_app;
GRANT USAGE ON SEQUENCE lead_scores_id_seq TO fluxorae_app;
