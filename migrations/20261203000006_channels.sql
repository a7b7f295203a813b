-- The unified inbox's channels and the intake of Meta's webhooks (issue 5).
--
-- One URL per channel kind serves every tenant: a verified POST is stored raw in
-- `webhook_events` before the 200 goes out, then a worker reads it from there (a crash loses
-- nothing, a restart resumes) and routes each message and status to the tenant's channel by the
-- phone number id or page/account id the payload names. What names no known channel, and what
-- this code cannot read, is kept raw in `webhook_leftovers` for the platform's admins.

-- A tenant's connected channel. `external_id` is Meta's id for it: the WhatsApp phone number id,
-- the Facebook page id or the Instagram account id; for email, the inbox's address.
CREATE TABLE channels (
  id           uuid PRIMARY KEY,
  tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind IN ('whatsapp','messenger','instagram','email')),
  external_id  text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  -- Messenger and Instagram: replies may use the human-agent tag (a 7-day window, not 24 h).
  human_agent  boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  -- One tenant per Meta id: that is what routes an event.
  CONSTRAINT channels_external_key UNIQUE (kind, external_id)
);
CREATE INDEX channels_tenant ON channels (tenant_id);
CREATE TRIGGER channels_touch BEFORE UPDATE ON channels FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE channels ENABLE ROW LEVEL SECURITY;
ALTER TABLE channels FORCE ROW LEVEL SECURITY;
CREATE POLICY channels_isolation ON channels
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());

-- Verified POSTs as received. The same body delivered twice is stored once (Meta retries until
-- it gets a 200). Only the server's own worker (platform scope) reads them.
CREATE TABLE webhook_events (
  id            bigserial PRIMARY KEY,
  kind          text NOT NULL CHECK (kind IN ('whatsapp','messenger','instagram')),
  body          bytea NOT NULL,
  body_sha256   bytea NOT NULL CHECK (length(body_sha256) = 32),
  status        text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending','processed','failed')),
  -- Why it failed: the body was not JSON. Kept for an admin to read; never retried.
  error         text,
  received_at   timestamptz NOT NULL DEFAULT now(),
  processed_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT webhook_events_body_key UNIQUE (kind, body_sha256),
  CONSTRAINT webhook_events_processed CHECK ((status = 'pending') = (processed_at IS NULL))
);
CREATE INDEX webhook_events_pending ON webhook_events (id) WHERE status = 'pending';
CREATE TRIGGER webhook_events_touch BEFORE UPDATE ON webhook_events FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE webhook_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_events FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_events_platform ON webhook_events
  USING (app_platform_scope()) WITH CHECK (app_platform_scope());

-- What an event said that reached no channel: an id no tenant has connected (`unrouted`), or a
-- field or type this code does not read (`unknown`). Kept raw, shown to the platform's admins.
CREATE TABLE webhook_leftovers (
  id           bigserial PRIMARY KEY,
  event_id     bigint NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind IN ('whatsapp','messenger','instagram')),
  reason       text NOT NULL CHECK (reason IN ('unrouted','unknown')),
  external_id  text,
  location     text NOT NULL,
  raw          jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_leftovers_created ON webhook_leftovers (created_at DESC, id DESC);
CREATE INDEX webhook_leftovers_event ON webhook_leftovers (event_id);
ALTER TABLE webhook_leftovers ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_leftovers FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_leftovers_platform ON webhook_leftovers
  USING (app_platform_scope()) WITH CHECK (app_platform_scope());

-- Messages on a channel, in and out. Meta's id is unique per channel: a duplicate delivery
-- changes nothing. Delivery statuses only move forward (`status_rank`: sent 1, failed 2,
-- delivered 3, read 4), whatever order they arrive in; a status for a message not seen yet
-- waits in a row of its own (`status_only`) that the message fills in when it arrives.
CREATE TABLE channel_messages (
  id            uuid PRIMARY KEY,
  tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  channel_id    uuid NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
  provider_id   text NOT NULL CHECK (length(provider_id) BETWEEN 1 AND 400),
  status_only   boolean NOT NULL DEFAULT false,
  direction     text CHECK (direction IN ('in','out')),
  -- The contact's id on the channel (WhatsApp id, page- or Instagram-scoped id).
  contact       text,
  contact_name  text,
  kind          text,
  body          text,
  media         text,
  refers_to     text,
  sent_at       timestamptz,
  status        text CHECK (status IN ('sent','delivered','read','failed')),
  status_rank   smallint NOT NULL DEFAULT 0 CHECK (status_rank BETWEEN 0 AND 4),
  status_at     timestamptz,
  error         text,
  raw           jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT channel_messages_provider_key UNIQUE (channel_id, provider_id),
  CONSTRAINT channel_messages_complete CHECK (
    status_only OR (direction IS NOT NULL AND contact IS NOT NULL AND kind IS NOT NULL
                    AND sent_at IS NOT NULL AND raw IS NOT NULL))
);
CREATE INDEX channel_messages_conversation ON channel_messages (channel_id, contact, sent_at);
CREATE INDEX channel_messages_tenant ON channel_messages (tenant_id, sent_at DESC);
CREATE TRIGGER channel_messages_touch BEFORE UPDATE ON channel_messages FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE channel_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE channel_messages FORCE ROW LEVEL SECURITY;
CREATE POLICY channel_messages_isolation ON channel_messages
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());

GRANT SELECT, INSERT, UPDATE, DELETE ON channels TO fluxorae_app;
GRANT SELECT, INSERT, UPDATE ON webhook_events TO fluxorae_app;
GRANT USAGE ON SEQUENCE webhook_events_id_seq TO fluxorae_app;
GRANT SELECT, INSERT ON webhook_leftovers TO fluxorae_app;
GRANT USAGE ON SEQUENCE webhook_leftovers_id_seq TO fluxorae_app;
GRANT SELECT, INSERT, UPDATE ON channel_messages TO fluxorae_app;
