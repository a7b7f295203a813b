-- Leads of a sales team (issue 5): one row per person, whatever channel or import they came
-- through. A person is known by identities (`phone:+14155552671`, `email:ana@example.com`,
-- `messenger:{psid}`, `instagram:{igsid}`), each owned by one lead of the tenant; a contact that
-- brings identities of two leads merges them into the older one, with their messages and history.
CREATE TABLE leads (
  id               uuid PRIMARY KEY,
  tenant_id        uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name             text CHECK (name IS NULL OR length(name) BETWEEN 1 AND 200),
  source           text NOT NULL
                   CHECK (source IN ('csv','form','api','whatsapp','messenger','instagram','email')),
  lifecycle        text NOT NULL DEFAULT 'new'
                   CHECK (lifecycle IN ('new','contacted','engaged','qualified','proposal','won','lost')),
  -- Numbers and addresses that did not read: kept with the lead, flagged, never matched on.
  invalid_phones   text[] NOT NULL DEFAULT '{}',
  invalid_emails   text[] NOT NULL DEFAULT '{}',
  -- Set when this lead was merged into another; its identities and messages moved there.
  merged_into      uuid REFERENCES leads(id),
  last_inbound_at  timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX leads_tenant ON leads (tenant_id, created_at DESC) WHERE merged_into IS NULL;
CREATE TRIGGER leads_touch BEFORE UPDATE ON leads FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE leads ENABLE ROW LEVEL SECURITY;
ALTER TABLE leads FORCE ROW LEVEL SECURITY;
CREATE POLICY leads_isolation ON leads
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());

CREATE TABLE lead_identities (
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  identity    text NOT NULL CHECK (identity ~ '^(phone|email|messenger|instagram):.+$'),
  lead_id     uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, identity)
);
CREATE INDEX lead_identities_lead ON lead_identities (lead_id);
CREATE TRIGGER lead_identities_touch BEFORE UPDATE ON lead_identities FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE lead_identities ENABLE ROW LEVEL SECURITY;
ALTER TABLE lead_identities FORCE ROW LEVEL SECURITY;
CREATE POLICY lead_identities_isolation ON lead_identities
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());

-- A lead's history: created, an identity added, another lead merged in.
CREATE TABLE lead_events (
  id          bigserial PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  lead_id     uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN ('created','identity_added','merged')),
  detail      jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lead_events_lead ON lead_events (lead_id, id);
CREATE TRIGGER lead_events_touch BEFORE UPDATE ON lead_events FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE lead_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE lead_events FORCE ROW LEVEL SECURITY;
CREATE POLICY lead_events_isolation ON lead_events
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());

-- Whose conversation a channel message belongs to.
ALTER TABLE channel_messages ADD COLUMN lead_id uuid REFERENCES leads(id);
CREATE INDEX channel_messages_lead ON channel_messages (lead_id, sent_at) WHERE lead_id IS NOT NULL;

GRANT SELECT, INSERT, UPDATE ON leads TO fluxorae_app;
GRANT SELECT, INSERT, UPDATE ON lead_identities TO fluxorae_app;
-- UPDATE: a merge moves the merged lead's history to the lead it joined.
GRANT SELECT, INSERT, UPDATE ON lead_events TO fluxorae_app;
GRANT USAGE ON SEQUENCE lead_events_id_seq TO fluxorae_app;
