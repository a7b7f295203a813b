-- Token billing for sales teams (`domain::leads::billing`): a plan's monthly credits and daily
-- burn limit, top-ups, and every deduction as an idempotent row. Amounts are tenths of a token.

-- A team's plan; a team without a row is on the starter plan.
CREATE TABLE token_plans (
  tenant_id           uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  plan                text NOT NULL CHECK (plan IN ('starter','growth','scale')),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER token_plans_touch BEFORE UPDATE ON token_plans FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Each deduction, once: the same key (`score:<lead>:<mark>`, `in:<message>`, …) is charged once.
CREATE TABLE token_charges (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  operation   text NOT NULL,
  tenths      integer NOT NULL CHECK (tenths > 0),
  key         text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
  subject     text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, key)
);
CREATE INDEX token_charges_tenant ON token_charges (tenant_id, created_at);

-- What each day cost (UTC days), kept with the charges in the same transaction: the month's and
-- the day's usage are read from at most 31 rows. Today's row is also the lock that puts a team's
-- charges in line, so two of them never both fit in the last tokens.
CREATE TABLE token_days (
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  day         date NOT NULL,
  tenths      bigint NOT NULL DEFAULT 0 CHECK (tenths >= 0),
  PRIMARY KEY (tenant_id, day)
);

-- Credits added to a month by the platform's staff (a sale, a goodwill gesture), with why.
CREATE TABLE token_topups (
  id          uuid PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  month       date NOT NULL CHECK (extract(day FROM month) = 1),
  tenths      bigint NOT NULL CHECK (tenths > 0),
  note        text NOT NULL CHECK (length(note) BETWEEN 1 AND 200),
  added_by    uuid NOT NULL REFERENCES users(id),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX token_topups_tenant ON token_topups (tenant_id, month);

-- The warnings a team was given in a month (50 %, 80 %, paused), each once.
CREATE TABLE token_warnings (
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  month       date NOT NULL,
  level       text NOT NULL CHECK (level IN ('half','most','paused')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, month, level)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['token_plans','token_charges','token_days','token_topups','token_warnings'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I USING (tenant_id = app_tenant_id() OR app_platform_scope())
                    WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope())', t || '_isolation', t);
  END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE ON token_plans, token_days TO fluxorae_app;
GRANT SELECT, INSERT ON token_charges, token_topups, token_warnings TO fluxorae_app;
GRANT USAGE ON SEQUENCE token_charges_id_seq TO fluxorae_app;
