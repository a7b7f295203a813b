-- The site's leads into a sales team's inbox (`domain::server::site::intake`): the platform
-- admins choose one team's email channel; each site lead sent after that becomes the team's
-- lead and arrives on the channel as an email from the visitor. One row at most.
CREATE TABLE site_intake (
  only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  channel_id  uuid REFERENCES channels(id) ON DELETE SET NULL,
  since       timestamptz NOT NULL DEFAULT now(),
  updated_by  uuid REFERENCES users(id) ON DELETE SET NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER site_intake_touch BEFORE UPDATE ON site_intake FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
GRANT SELECT, INSERT, UPDATE ON site_intake TO fluxorae_app;

-- Where each site lead went (picked_up_at, set then, was already there): the team and its lead.
ALTER TABLE site_leads
  ADD COLUMN forwarded_to  uuid REFERENCES tenants(id) ON DELETE SET NULL,
  ADD COLUMN inbox_lead    uuid;
