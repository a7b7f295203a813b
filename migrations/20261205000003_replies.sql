-- Replies from the unified inbox (issue 5). A reply is a channel message of ours (`direction`
-- 'out') that starts `queued`: the worker sends it through Meta's Graph API with the channel's
-- access token, then it carries Meta's id like any other message, and the delivery statuses
-- Meta reports move it on (sent, delivered, read, failed). Until it is sent its `provider_id` is
-- `local:{id}`, and `error` says why it waits: the channel has no access token yet, or Meta
-- could not be reached and it is tried again at `next_attempt_at`.

-- The channel's access token for sending, sealed with the deployment's DATA_KEY and bound to the
-- channel's id; NULL: the channel only receives, and replies queue until a token is added.
ALTER TABLE channels ADD COLUMN access_token bytea;

ALTER TABLE channel_messages DROP CONSTRAINT channel_messages_status_check;
ALTER TABLE channel_messages ADD CONSTRAINT channel_messages_status_check
  CHECK (status IN ('queued','sent','delivered','read','failed'));
ALTER TABLE channel_messages
  -- Who on the team wrote it (NULL: it came from elsewhere, as an echo from the business app).
  ADD COLUMN author_id uuid REFERENCES users(id),
  -- A template message: its name, language and the values of its variables.
  ADD COLUMN template jsonb,
  -- Tries to send so far, and when the next may start (also a claim: a worker that takes a
  -- message moves this ahead, so no other sends it meanwhile).
  ADD COLUMN attempts smallint NOT NULL DEFAULT 0,
  ADD COLUMN next_attempt_at timestamptz;
CREATE INDEX channel_messages_outbox ON channel_messages (next_attempt_at) WHERE status = 'queued';

-- Message templates a channel may send outside the messaging window, as approved in Meta's
-- WhatsApp Manager (the name and language must match there). `body` shows where the variables
-- go ({{1}}, {{2}}, …); `variables` is how many it has.
CREATE TABLE message_templates (
  id          uuid PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  channel_id  uuid NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
  name        text NOT NULL CHECK (name ~ '^[a-z0-9_]+$' AND length(name) <= 512),
  language    text NOT NULL CHECK (language ~ '^[a-z]{2,3}(_[A-Z]{2})?$'),
  category    text NOT NULL CHECK (category IN ('marketing','utility','authentication')),
  body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 1024),
  variables   smallint NOT NULL CHECK (variables BETWEEN 0 AND 20),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT message_templates_key UNIQUE (channel_id, name, language)
);
CREATE INDEX message_templates_tenant ON message_templates (tenant_id);
CREATE TRIGGER message_templates_touch BEFORE UPDATE ON message_templates FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE message_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_templates FORCE ROW LEVEL SECURITY;
CREATE POLICY message_templates_isolation ON message_templates
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());

-- Canned responses: a team's saved answers, put into the composer to edit before sending.
CREATE TABLE canned_responses (
  id          uuid PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 80),
  body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 4096),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT canned_responses_title_key UNIQUE (tenant_id, title)
);
CREATE TRIGGER canned_responses_touch BEFORE UPDATE ON canned_responses FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE canned_responses ENABLE ROW LEVEL SECURITY;
ALTER TABLE canned_responses FORCE ROW LEVEL SECURITY;
CREATE POLICY canned_responses_isolation ON canned_responses
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());

ALTER TABLE lead_events DROP CONSTRAINT lead_events_kind_check;
ALTER TABLE lead_events ADD CONSTRAINT lead_events_kind_check CHECK (kind IN (
  'created','identity_added','merged',
  'scored','assigned','waiting','nurture','junior_pool','first_response','sla_breached',
  'resolved','reopened','tagged','replied'));

-- DELETE: a status or echo Meta delivered before a reply was given its id is folded into it.
GRANT DELETE ON channel_messages TO fluxorae_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON message_templates TO fluxorae_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON canned_responses TO fluxorae_app;
