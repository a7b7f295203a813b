-- The unified inbox (issue 5): one conversation per lead across every channel. A conversation is
-- open or resolved (a new message from the lead opens it again), carries tags, and has private
-- notes the lead never sees; each member's last read marks what is unread for them.
ALTER TABLE leads
  ADD COLUMN status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open','resolved')),
  ADD COLUMN resolved_at  timestamptz,
  ADD COLUMN tags         text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 20),
  -- When the lead's last message arrived; the inbox lists the latest first.
  ADD COLUMN last_message_at timestamptz,
  ADD CONSTRAINT leads_resolved CHECK ((status = 'resolved') = (resolved_at IS NOT NULL));
CREATE INDEX leads_inbox ON leads (tenant_id, last_message_at DESC NULLS LAST, id) WHERE merged_into IS NULL;
UPDATE leads l SET last_message_at = (SELECT max(sent_at) FROM channel_messages m WHERE m.lead_id = l.id);

CREATE TABLE lead_notes (
  id          uuid PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  lead_id     uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
  author_id   uuid NOT NULL REFERENCES users(id),
  body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lead_notes_lead ON lead_notes (lead_id, created_at);
CREATE TRIGGER lead_notes_touch BEFORE UPDATE ON lead_notes FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE lead_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE lead_notes FORCE ROW LEVEL SECURITY;
CREATE POLICY lead_notes_isolation ON lead_notes
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());

CREATE TABLE lead_reads (
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  lead_id     uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  read_at     timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (lead_id, user_id)
);
CREATE TRIGGER lead_reads_touch BEFORE UPDATE ON lead_reads FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE lead_reads ENABLE ROW LEVEL SECURITY;
ALTER TABLE lead_reads FORCE ROW LEVEL SECURITY;
CREATE POLICY lead_reads_isolation ON lead_reads
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());

ALTER TABLE lead_events DROP CONSTRAINT lead_events_kind_check;
ALTER TABLE lead_events ADD CONSTRAINT lead_events_kind_check CHECK (kind IN (
  'created','identity_added','merged',
  'scored','assigned','waiting','nurture','junior_pool','first_response','sla_breached',
  'resolved','reopened','tagged'));

-- UPDATE: a merge moves the merged lead's notes and read marks to the lead it joined.
GRANT SELECT, INSERT, UPDATE ON lead_notes TO fluxorae_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON lead_reads TO fluxorae_app;
