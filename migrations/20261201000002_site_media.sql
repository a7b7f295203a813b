-- The media library: images the content team uploads for pages. The bytes live in the object
-- store (a local folder by default, S3-compatible when configured) under `key`, which is the
-- content's SHA-256 prefix and its extension, so the same file uploaded twice is one item and a
-- served file never changes (it is cached for a year).
CREATE TABLE site_media (
  id            uuid PRIMARY KEY,
  key           text NOT NULL CHECK (key ~ '^[0-9a-f]{32}\.(png|jpg|webp|gif|avif)$'),
  sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  filename      text NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
  content_type  text NOT NULL CHECK (content_type IN ('image/png','image/jpeg','image/webp','image/gif','image/avif')),
  bytes         integer NOT NULL CHECK (bytes > 0),
  width         integer NOT NULL CHECK (width > 0),
  height        integer NOT NULL CHECK (height > 0),
  alt           text NOT NULL CHECK (length(btrim(alt)) BETWEEN 1 AND 160),
  uploaded_by   uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT site_media_key_key UNIQUE (key),
  CONSTRAINT site_media_sha256_key UNIQUE (sha256)
);
CREATE TRIGGER site_media_touch BEFORE UPDATE ON site_media FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE INDEX site_media_created_idx ON site_media (created_at DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON site_media TO fluxorae_app;
