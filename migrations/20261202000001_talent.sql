-- Freelancer onboarding: a review status on the talent profile, weekly availability with time
-- off, portfolio pieces, identity documents encrypted under per-user data keys (envelope
-- encryption), and applications to projects.

-- Profiles that exist already were curated by hand: they count as approved. New ones start as
-- drafts and stay out of matching (active = false) until ops approves them.
ALTER TABLE talent_profiles
  ADD COLUMN status text NOT NULL DEFAULT 'approved'
    CHECK (status IN ('draft','submitted','approved','changes_requested')),
  ADD COLUMN review_note  text,
  ADD COLUMN submitted_at timestamptz,
  ADD COLUMN reviewed_by  uuid REFERENCES users(id),
  ADD COLUMN reviewed_at  timestamptz,
  -- Hours offered Monday to Sunday; available_hours is kept as the four-week average.
  ADD COLUMN weekly_hours smallint[] NOT NULL DEFAULT '{0,0,0,0,0,0,0}'
    CHECK (cardinality(weekly_hours) = 7 AND 0 <= ALL (weekly_hours) AND 12 >= ALL (weekly_hours)),
  -- [{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD", "note": "…"}], checked by the domain.
  ADD COLUMN time_off jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(time_off) = 'array');
ALTER TABLE talent_profiles ALTER COLUMN status SET DEFAULT 'draft';
UPDATE talent_profiles
   SET weekly_hours = array_fill(least(12, ceil(available_hours / 5.0))::smallint, ARRAY[5]) || '{0,0}'::smallint[];
CREATE UNIQUE INDEX talent_profiles_user ON talent_profiles (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX talent_profiles_review ON talent_profiles (submitted_at) WHERE status = 'submitted';

CREATE TABLE talent_portfolio (
  id            uuid PRIMARY KEY,
  talent_id     uuid NOT NULL REFERENCES talent_profiles(id) ON DELETE CASCADE,
  title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 120),
  description   text NOT NULL DEFAULT '',
  url           text CHECK (url ~ '^https?://'),
  file_name     text,
  content_type  text,
  bytes         bigint CHECK (bytes > 0),
  store_key     text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  deleted_at    timestamptz,
  CHECK (url IS NOT NULL OR store_key IS NOT NULL),
  CHECK ((store_key IS NULL) = (content_type IS NULL))
);
CREATE INDEX talent_portfolio_talent ON talent_portfolio (talent_id, created_at) WHERE deleted_at IS NULL;

-- Each user's data key: 32 random bytes, sealed (AES-256-GCM) under the deployment's
-- key-wrapping key, which is derived from DATA_KEY. Deleting this row shreds every document
-- sealed with it.
CREATE TABLE user_data_keys (
  user_id     uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  wrapped     bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Identity documents. The bytes live in the object store, sealed with the owner's data key and
-- bound to the document's id; this row holds only what reviewers list.
CREATE TABLE kyc_documents (
  id            uuid PRIMARY KEY,
  user_id       uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind          text NOT NULL CHECK (kind IN ('passport','national_id','driving_licence','proof_of_address','tax_form')),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  content_type  text NOT NULL,
  bytes         bigint NOT NULL CHECK (bytes > 0),
  store_key     text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  deleted_at    timestamptz
);
CREATE INDEX kyc_documents_user ON kyc_documents (user_id, created_at) WHERE deleted_at IS NULL;

CREATE TABLE project_applications (
  id             uuid PRIMARY KEY,
  project_id     uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  freelancer_id  uuid NOT NULL REFERENCES users(id),
  proposal       text NOT NULL CHECK (length(proposal) BETWEEN 1 AND 5000),
  price_usd      bigint NOT NULL CHECK (price_usd > 0),
  weeks          smallint NOT NULL CHECK (weeks BETWEEN 1 AND 104),
  status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','accepted','declined','withdrawn')),
  decided_by     uuid REFERENCES users(id),
  decided_at     timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, freelancer_id)
);
CREATE INDEX project_applications_project ON project_applications (project_id, created_at);
CREATE TRIGGER project_applications_touch BEFORE UPDATE ON project_applications
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

GRANT SELECT, INSERT, UPDATE ON talent_portfolio, kyc_documents, project_applications TO fluxorae_app;
GRANT SELECT, INSERT ON user_data_keys TO fluxorae_app;
