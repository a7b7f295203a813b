-- Foundation: accounts, sessions' companions, tenants, the audit chain, the email outbox.
-- Migrations run as the database owner; the application works as `fluxorae_app`, a role that
-- owns nothing and has no BYPASSRLS, so row-level security is the floor under every query.

-- The application role is cluster-wide; several test databases may race to create it, and
-- a concurrent GRANT of the same membership can fail with "tuple concurrently updated" (XX000).
-- The owner must be able to SET ROLE to it (a superuser can anyway).
DO $$
BEGIN
  BEGIN
    CREATE ROLE fluxorae_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
  END;
  IF NOT pg_has_role(current_user, 'fluxorae_app', 'MEMBER') THEN
    BEGIN
      EXECUTE format('GRANT fluxorae_app TO %I', current_user);
    EXCEPTION WHEN unique_violation OR internal_error THEN
      NULL;
    END;
  END IF;
END
$$;

-- The tenant a transaction works for: set with set_config('app.tenant_id', id, true).
CREATE FUNCTION app_tenant_id() RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

-- The user a transaction works for (lets a person list their own memberships).
CREATE FUNCTION app_user_id() RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

-- 'platform' once the server has checked that a platform ADMIN is asking.
CREATE FUNCTION app_platform_scope() RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT coalesce(current_setting('app.scope', true), '') = 'platform' $$;

CREATE FUNCTION touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;

-- ---------------------------------------------------------------------------------------------
-- Users
CREATE TABLE users (
  id            uuid PRIMARY KEY,
  email         text NOT NULL,
  display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 80),
  password_hash text NOT NULL,
  role          text NOT NULL DEFAULT 'CUSTOMER'
                CHECK (role IN ('CUSTOMER','FREELANCER','EXPERT','EMPLOYEE','CONTENT_EDITOR','ADMIN')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_email_key UNIQUE (email),
  CONSTRAINT users_email_lower CHECK (email = lower(email))
);
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Password reset links: only the SHA-256 of the token is kept.
CREATE TABLE password_resets (
  token_hash  text PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_resets_user ON password_resets(user_id);
CREATE TRIGGER password_resets_touch BEFORE UPDATE ON password_resets FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- API refresh tokens: rotated on every use; a reused one revokes its whole family.
CREATE TABLE refresh_tokens (
  id          uuid PRIMARY KEY,
  family_id   uuid NOT NULL,
  user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash  text NOT NULL UNIQUE,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  revoked_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
CREATE TRIGGER refresh_tokens_touch BEFORE UPDATE ON refresh_tokens FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Outgoing email. Always recorded; sent by SMTP when configured, else read by admins here.
CREATE TABLE email_outbox (
  id          uuid PRIMARY KEY,
  to_address  text NOT NULL,
  subject     text NOT NULL,
  body_text   text NOT NULL,
  transport   text NOT NULL CHECK (transport IN ('outbox','smtp')),
  sent_at     timestamptz,
  error       text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_outbox_created ON email_outbox(created_at DESC);
CREATE TRIGGER email_outbox_touch BEFORE UPDATE ON email_outbox FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Tenants: sales teams and stores. Tenant-owned tables carry tenant_id and force RLS.
CREATE TABLE tenants (
  id          uuid PRIMARY KEY,
  slug        text NOT NULL,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  kind        text NOT NULL CHECK (kind IN ('SALES_TEAM','STORE')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT tenants_slug_key UNIQUE (slug)
);
CREATE TRIGGER tenants_touch BEFORE UPDATE ON tenants FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE tenant_members (
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role        text NOT NULL
              CHECK (role IN ('OWNER','ADMIN','MANAGER','SDR','PRODUCT','DEVOPS','AUDITOR','READONLY')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX tenant_members_user ON tenant_members(user_id);
CREATE TRIGGER tenant_members_touch BEFORE UPDATE ON tenant_members FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE tenant_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_members FORCE ROW LEVEL SECURITY;
-- A member row is visible inside its tenant, and to the member themself (to list "my teams").
CREATE POLICY tenant_members_isolation ON tenant_members
  USING (tenant_id = app_tenant_id() OR user_id = app_user_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());

CREATE TABLE tenant_settings (
  tenant_id        uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  default_country  text NOT NULL DEFAULT 'US' CHECK (default_country ~ '^[A-Z]{2}$'),
  timezone         text NOT NULL DEFAULT 'UTC',
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER tenant_settings_touch BEFORE UPDATE ON tenant_settings FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE tenant_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_settings_isolation ON tenant_settings
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());

-- ---------------------------------------------------------------------------------------------
-- The audit trail: append-only, hash-chained. Each row's hash is
--   sha256(prev_hash || '\n' || canonical)
-- where `canonical` is the row's own content as canonical JSON. Personal data (IP, user agent,
-- e-mail) lives in audit_personal, outside the hashed content, so erasing a person keeps the
-- chain verifiable.
CREATE TABLE audit_log (
  seq         bigint PRIMARY KEY,
  at          timestamptz NOT NULL,
  tenant_id   uuid,
  actor_id    uuid,
  action      text NOT NULL,
  target      text,
  details     jsonb NOT NULL DEFAULT '{}'::jsonb,
  canonical   text NOT NULL,
  prev_hash   text NOT NULL,
  hash        text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant ON audit_log(tenant_id, seq DESC);
CREATE INDEX audit_log_actor ON audit_log(actor_id, seq DESC);

-- The head of the chain: one row, locked by each append, so appends are serialised.
CREATE TABLE audit_head (
  id          int PRIMARY KEY CHECK (id = 1),
  seq         bigint NOT NULL,
  hash        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, repeat('0', 64));
CREATE TRIGGER audit_head_touch BEFORE UPDATE ON audit_head FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE audit_personal (
  seq         bigint PRIMARY KEY REFERENCES audit_log(seq),
  actor_email text,
  ip          text,
  user_agent  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION audit_log_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_immutable();

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_log_read ON audit_log FOR SELECT
  USING (tenant_id = app_tenant_id() OR app_platform_scope());
CREATE POLICY audit_log_append ON audit_log FOR INSERT WITH CHECK (true);

ALTER TABLE audit_personal ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_personal FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_personal_read ON audit_personal FOR SELECT USING (app_platform_scope());
CREATE POLICY audit_personal_append ON audit_personal FOR INSERT WITH CHECK (true);
CREATE POLICY audit_personal_erase ON audit_personal FOR DELETE USING (app_platform_scope());

-- ---------------------------------------------------------------------------------------------
-- What the application role may do. It owns nothing.
GRANT USAGE ON SCHEMA public TO fluxorae_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON users, password_resets, refresh_tokens, email_outbox,
  tenants, tenant_members, tenant_settings TO fluxorae_app;
GRANT SELECT, INSERT ON audit_log TO fluxorae_app;
GRANT SELECT, UPDATE ON audit_head TO fluxorae_app;
GRANT SELECT, INSERT, DELETE ON audit_personal TO fluxorae_app;
