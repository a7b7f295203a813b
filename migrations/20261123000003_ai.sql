-- The AI layer: every analyzer run, the admins' per-analyzer switches, and the delivered
-- projects the estimator compares with, and the talent the matcher ranks.

CREATE TABLE ai_runs (
  id                uuid PRIMARY KEY,
  -- The tenant whose data was analysed; NULL for platform work (wizard, matching, support).
  tenant_id         uuid REFERENCES tenants(id) ON DELETE CASCADE,
  analyzer          text NOT NULL CHECK (analyzer IN ('requirements','estimate','matching','message',
                      'qualify','reply','project_risk','qa_check','support')),
  engine            text NOT NULL CHECK (engine IN ('builtin','model')),
  model             text,
  -- ok: the output was used as a suggestion; rejected: it failed schema or honesty checks;
  -- failed: no usable answer (timeout, HTTP error, open breaker, malformed JSON).
  status            text NOT NULL CHECK (status IN ('ok','rejected','failed')),
  -- For a built-in run that replaced a failed or rejected model run: that run.
  fallback_of       uuid REFERENCES ai_runs(id) ON DELETE SET NULL,
  input_redacted    jsonb NOT NULL,
  input_hash        text NOT NULL CHECK (input_hash ~ '^[0-9a-f]{64}$'),
  output            jsonb,
  confidence        real CHECK (confidence BETWEEN 0 AND 1),
  reason            text,
  error             text,
  latency_us        bigint NOT NULL CHECK (latency_us >= 0),
  prompt_tokens     integer,
  completion_tokens integer,
  cost_micros       bigint,
  triggered_by      uuid REFERENCES users(id) ON DELETE SET NULL,
  subject           text,
  decision          text CHECK (decision IN ('accepted','edited','rejected')),
  decided_by        uuid REFERENCES users(id) ON DELETE SET NULL,
  decided_at        timestamptz,
  edited_output     jsonb,
  created_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ai_runs_decision_complete CHECK ((decision IS NULL) = (decided_at IS NULL)),
  CONSTRAINT ai_runs_only_ok_decided CHECK (decision IS NULL OR status = 'ok')
);
CREATE INDEX ai_runs_created ON ai_runs (created_at DESC, id DESC);
CREATE INDEX ai_runs_analyzer ON ai_runs (analyzer, created_at DESC);
CREATE INDEX ai_runs_tenant ON ai_runs (tenant_id, created_at DESC) WHERE tenant_id IS NOT NULL;
CREATE INDEX ai_runs_hash ON ai_runs (input_hash);
ALTER TABLE ai_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE ai_runs FORCE ROW LEVEL SECURITY;
-- A tenant sees its own runs; platform scope sees all; platform runs (no tenant) are platform's.
CREATE POLICY ai_runs_isolation ON ai_runs
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());

CREATE TABLE ai_analyzer_settings (
  analyzer       text PRIMARY KEY CHECK (analyzer IN ('requirements','estimate','matching','message',
                   'qualify','reply','project_risk','qa_check','support')),
  -- An admin's switch: false keeps this analyzer on the built-in engine even when config
  -- chooses the model.
  model_enabled  boolean NOT NULL DEFAULT true,
  updated_by     uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER ai_analyzer_settings_touch BEFORE UPDATE ON ai_analyzer_settings
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Delivered projects: the estimator's evidence. Projects completed on the platform are added
-- here; the demo seed adds a realistic history.
CREATE TABLE delivered_projects (
  id            uuid PRIMARY KEY,
  title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  description   text NOT NULL,
  category      text NOT NULL CHECK (category IN ('web','mobile','design','marketing','content','data_ai','video')),
  deliverables  text[] NOT NULL,
  budget_usd    integer NOT NULL CHECK (budget_usd > 0),
  weeks         smallint NOT NULL CHECK (weeks > 0),
  delivered_at  date NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delivered_projects_category ON delivered_projects (category);

-- Talent the matcher ranks: freelancers and experts with their skills, rating and availability.
CREATE TABLE talent_profiles (
  id                  uuid PRIMARY KEY,
  user_id             uuid REFERENCES users(id) ON DELETE CASCADE,
  name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  kind                text NOT NULL CHECK (kind IN ('freelancer','expert')),
  headline            text NOT NULL,
  bio                 text NOT NULL,
  skills              text[] NOT NULL,
  rating              real NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5),
  reviews             integer NOT NULL DEFAULT 0 CHECK (reviews >= 0),
  available_hours     smallint NOT NULL DEFAULT 0 CHECK (available_hours BETWEEN 0 AND 80),
  utc_offset_minutes  integer NOT NULL DEFAULT 0 CHECK (utc_offset_minutes BETWEEN -720 AND 840),
  hourly_rate_usd     integer NOT NULL CHECK (hourly_rate_usd > 0),
  active              boolean NOT NULL DEFAULT true,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER talent_profiles_touch BEFORE UPDATE ON talent_profiles
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

GRANT SELECT, INSERT, UPDATE ON ai_runs TO fluxorae_app;
GRANT SELECT, INSERT, UPDATE ON ai_analyzer_settings TO fluxorae_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON delivered_projects, talent_profiles TO fluxorae_app;
