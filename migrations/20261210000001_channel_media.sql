-- Media that contacts send (images, audio, video, documents, stickers), fetched through the
-- Graph API once the channel has an access token, and kept for the team's inbox.
--
-- The message carries where its media stands: `waiting` (to fetch, again at media_next_at after
-- a failed try), `fetched` (the bytes are in channel_media), `failed` (Meta refused, or five
-- tries failed: media_error says why) or `too_large` (over what the inbox keeps).
ALTER TABLE channel_messages
  ADD COLUMN media_state text CHECK (media_state IN ('waiting','fetched','failed','too_large')),
  ADD COLUMN media_error text,
  ADD COLUMN media_attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN media_next_at timestamptz;
UPDATE channel_messages SET media_state = 'waiting'
  WHERE media IS NOT NULL AND NOT status_only
    AND kind IN ('image','audio','video','document','sticker','file');
CREATE INDEX channel_messages_media_waiting ON channel_messages (media_next_at NULLS FIRST, id)
  WHERE media_state = 'waiting';

CREATE TABLE channel_media (
  message_id  uuid PRIMARY KEY REFERENCES channel_messages(id) ON DELETE CASCADE,
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  mime        text NOT NULL CHECK (length(mime) BETWEEN 1 AND 200),
  size        bigint NOT NULL CHECK (size >= 0),
  bytes       bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX channel_media_tenant ON channel_media (tenant_id);
CREATE TRIGGER channel_media_touch BEFORE UPDATE ON channel_media FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE channel_media ENABLE ROW LEVEL SECURITY;
ALTER TABLE channel_media FORCE ROW LEVEL SECURITY;
CREATE POLICY channel_media_isolation ON channel_media
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());
GRANT SELECT, INSERT ON channel_media TO fluxorae_app;
