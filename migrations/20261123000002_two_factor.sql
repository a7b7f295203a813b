-- Two-factor sign-in (TOTP) and recovery codes.

-- One authenticator per person. The secret is AES-256-GCM-encrypted by the application under a
-- key derived from DATA_KEY and bound to the user id; the database never sees it in clear.
-- `enabled_at` is NULL while the person is still setting it up. `last_used_step` is the newest
-- TOTP time step accepted, so a code works once (RFC 6238 §5.2).
CREATE TABLE user_totp (
  user_id         uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  secret_sealed   bytea NOT NULL,
  enabled_at      timestamptz,
  last_used_step  bigint NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER user_totp_touch BEFORE UPDATE ON user_totp FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Recovery codes: only their SHA-256 is kept; each works once.
CREATE TABLE recovery_codes (
  user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash   text NOT NULL,
  used_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, code_hash)
);
CREATE TRIGGER recovery_codes_touch BEFORE UPDATE ON recovery_codes FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

GRANT SELECT, INSERT, UPDATE, DELETE ON user_totp, recovery_codes TO fluxorae_app;
