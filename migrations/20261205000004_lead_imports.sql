-- Lead imports from CSV files (issue 5). The file is kept with its import until every row was
-- read; the worker reads it a chunk per transaction and records where the next chunk starts
-- (`byte_offset`, `next_line`), so a crash loses nothing and a restart resumes there. Every row
-- is counted once: created, matched (a lead already known, or an earlier row of the file),
-- merged (it brought known leads together) or failed, with the reason in `lead_import_errors`.
CREATE TABLE lead_imports (
  id             uuid PRIMARY KEY,
  tenant_id      uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  created_by     uuid NOT NULL REFERENCES users(id),
  file_name      text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 200),
  -- The file; emptied once every row was read.
  body           bytea NOT NULL,
  -- Numbers without a country code are read as this country's.
  country        text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  headers        text[] NOT NULL,
  preview        jsonb NOT NULL DEFAULT '[]',
  -- Which columns hold the name, phone numbers and emails.
  mapping        jsonb NOT NULL DEFAULT '{}',
  state          text NOT NULL DEFAULT 'mapping'
                 CHECK (state IN ('mapping','queued','running','done','failed')),
  total_rows     bigint NOT NULL DEFAULT 0 CHECK (total_rows >= 0),
  byte_offset    bigint NOT NULL DEFAULT 0 CHECK (byte_offset >= 0),
  -- The last row number read (the header is row 1).
  next_line      bigint NOT NULL DEFAULT 1,
  processed      integer NOT NULL DEFAULT 0,
  created        integer NOT NULL DEFAULT 0,
  matched        integer NOT NULL DEFAULT 0,
  merged         integer NOT NULL DEFAULT 0,
  failed         integer NOT NULL DEFAULT 0,
  error          text,
  claimed_until  timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lead_imports_tenant ON lead_imports (tenant_id, created_at DESC);
CREATE INDEX lead_imports_pending ON lead_imports (created_at) WHERE state IN ('queued','running');
CREATE TRIGGER lead_imports_touch BEFORE UPDATE ON lead_imports FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE lead_imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE lead_imports FORCE ROW LEVEL SECURITY;
CREATE POLICY lead_imports_isolation ON lead_imports
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());

CREATE TABLE lead_import_errors (
  import_id   uuid NOT NULL REFERENCES lead_imports(id) ON DELETE CASCADE,
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  line        bigint NOT NULL,
  error       text NOT NULL,
  raw         text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (import_id, line)
);
CREATE INDEX lead_import_errors_tenant ON lead_import_errors (tenant_id);
ALTER TABLE lead_import_errors ENABLE ROW LEVEL SECURITY;
ALTER TABLE lead_import_errors FORCE ROW LEVEL SECURITY;
CREATE POLICY lead_import_errors_isolation ON lead_import_errors
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());

GRANT SELECT, INSERT, UPDATE ON lead_imports TO fluxorae_app;
GRANT SELECT, INSERT ON lead_import_errors TO fluxorae_app;
