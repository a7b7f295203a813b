-- Projects from brief to delivery: the wizard's drafts, projects and who is on them, milestones
-- and their history, submissions, QA reviews and disputes; payments from the provider and its
-- webhook events; payouts; and the pricing rule admins set.

-- One row: the platform fee and the approval window admins set.
CREATE TABLE pricing_rules (
  id                 boolean PRIMARY KEY DEFAULT true CHECK (id),
  fee_bps            integer NOT NULL DEFAULT 2000 CHECK (fee_bps BETWEEN 0 AND 5000),
  auto_approve_days  integer NOT NULL DEFAULT 7 CHECK (auto_approve_days BETWEEN 1 AND 60),
  updated_by         uuid REFERENCES users(id),
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
INSERT INTO pricing_rules DEFAULT VALUES;
CREATE TRIGGER pricing_rules_touch BEFORE UPDATE ON pricing_rules FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- A customer's wizard, autosaved as they type: the brief, what the analyzers proposed, and the
-- scope as edited. `scope` is a domain::project::ScopeDraft.
CREATE TABLE project_drafts (
  id            uuid PRIMARY KEY,
  customer_id   uuid NOT NULL REFERENCES users(id),
  brief         text NOT NULL DEFAULT '' CHECK (length(brief) <= 20000),
  category      text,
  scope         jsonb,
  analysis      jsonb,
  requirements_run uuid REFERENCES ai_runs(id),
  estimate_run  uuid REFERENCES ai_runs(id),
  status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','quote_requested','confirmed')),
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX project_drafts_customer ON project_drafts (customer_id, updated_at DESC);
CREATE TRIGGER project_drafts_touch BEFORE UPDATE ON project_drafts FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- A custom quote: the thread between the customer and ops about a draft.
CREATE TABLE quote_messages (
  id          uuid PRIMARY KEY,
  draft_id    uuid NOT NULL REFERENCES project_drafts(id),
  author_id   uuid NOT NULL REFERENCES users(id),
  body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quote_messages_draft ON quote_messages (draft_id, created_at);

CREATE TABLE projects (
  id           uuid PRIMARY KEY,
  customer_id  uuid NOT NULL REFERENCES users(id),
  draft_id     uuid UNIQUE REFERENCES project_drafts(id),
  title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 120),
  summary      text NOT NULL,
  deliverables text[] NOT NULL DEFAULT '{}',
  currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active','completed','cancelled')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_customer ON projects (customer_id, created_at DESC);
CREATE TRIGGER projects_touch BEFORE UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Who works on a project besides its customer: assigned freelancers, and staff (PM, QA).
CREATE TABLE project_members (
  project_id  uuid NOT NULL REFERENCES projects(id),
  user_id     uuid NOT NULL REFERENCES users(id),
  role        text NOT NULL CHECK (role IN ('freelancer','pm','qa')),
  added_by    uuid REFERENCES users(id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members (user_id);

CREATE TABLE milestones (
  id                 uuid PRIMARY KEY,
  project_id         uuid NOT NULL REFERENCES projects(id),
  position           integer NOT NULL,
  title              text NOT NULL CHECK (length(title) BETWEEN 1 AND 120),
  acceptance_criteria text[] NOT NULL CHECK (cardinality(acceptance_criteria) >= 1),
  weeks              integer NOT NULL CHECK (weeks BETWEEN 1 AND 52),
  amount_minor       bigint NOT NULL CHECK (amount_minor > 0),
  currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status             text NOT NULL DEFAULT 'unfunded' CHECK (status IN
                       ('unfunded','funded','in_progress','submitted','awaiting_approval','disputed','released','refunded')),
  -- The fee rule when it was funded: what the customer agreed to.
  fee_bps            integer CHECK (fee_bps BETWEEN 0 AND 5000),
  freelancer_id      uuid REFERENCES users(id),
  due_at             timestamptz,
  funded_at          timestamptz,
  -- When QA passed it and the customer has not answered: approved automatically at this time.
  approve_by         timestamptz,
  reminded_at        timestamptz,
  released_minor     bigint NOT NULL DEFAULT 0,
  refunded_minor     bigint NOT NULL DEFAULT 0,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, position)
);
CREATE INDEX milestones_approve_by ON milestones (approve_by) WHERE status = 'awaiting_approval';
CREATE TRIGGER milestones_touch BEFORE UPDATE ON milestones FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Every step a milestone took, who took it and what they said.
CREATE TABLE milestone_events (
  id           uuid PRIMARY KEY,
  milestone_id uuid NOT NULL REFERENCES milestones(id),
  actor_id     uuid REFERENCES users(id),
  action       text NOT NULL,
  from_status  text NOT NULL,
  to_status    text NOT NULL,
  note         text NOT NULL DEFAULT '',
  data         jsonb NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX milestone_events_milestone ON milestone_events (milestone_id, created_at);

CREATE TABLE submissions (
  id           uuid PRIMARY KEY,
  milestone_id uuid NOT NULL REFERENCES milestones(id),
  author_id    uuid NOT NULL REFERENCES users(id),
  notes        text NOT NULL CHECK (length(notes) BETWEEN 1 AND 10000),
  links        text[] NOT NULL DEFAULT '{}',
  -- The QA analyzer's check of it, run once when it arrives.
  qa_run       uuid REFERENCES ai_runs(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX submissions_milestone ON submissions (milestone_id, created_at DESC);

-- A QA reviewer's checklist: one verdict per acceptance criterion, and the QA analyzer's run.
CREATE TABLE qa_reviews (
  id            uuid PRIMARY KEY,
  milestone_id  uuid NOT NULL REFERENCES milestones(id),
  submission_id uuid NOT NULL REFERENCES submissions(id),
  reviewer_id   uuid NOT NULL REFERENCES users(id),
  checklist     jsonb NOT NULL,
  passed        boolean NOT NULL,
  note          text NOT NULL DEFAULT '',
  ai_run        uuid REFERENCES ai_runs(id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE disputes (
  id            uuid PRIMARY KEY,
  milestone_id  uuid NOT NULL REFERENCES milestones(id),
  opened_by     uuid NOT NULL REFERENCES users(id),
  reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 5000),
  outcome       text CHECK (outcome IN ('release','partial','refund')),
  release_minor bigint,
  resolved_by   uuid REFERENCES users(id),
  resolved_at   timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX disputes_open ON disputes (milestone_id) WHERE resolved_at IS NULL;
CREATE TRIGGER disputes_touch BEFORE UPDATE ON disputes FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- A customer's payment at the provider (a Stripe PaymentIntent, or the built-in provider's).
CREATE TABLE payments (
  id            uuid PRIMARY KEY,
  provider      text NOT NULL CHECK (provider IN ('builtin','stripe')),
  provider_ref  text,
  customer_id   uuid NOT NULL REFERENCES users(id),
  project_id    uuid REFERENCES projects(id),
  milestone_ids uuid[] NOT NULL DEFAULT '{}',
  amount_minor  bigint NOT NULL CHECK (amount_minor > 0),
  currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status        text NOT NULL CHECK (status IN ('requires_action','authorized','captured','declined','cancelled')),
  decline_reason text,
  refunded_minor bigint NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (provider, provider_ref)
);
CREATE INDEX payments_project ON payments (project_id);
CREATE TRIGGER payments_touch BEFORE UPDATE ON payments FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Every webhook event as it arrived (raw body kept), once per event id.
CREATE TABLE payment_events (
  id           text PRIMARY KEY,
  provider     text NOT NULL,
  type         text NOT NULL,
  raw          jsonb NOT NULL,
  status       text NOT NULL DEFAULT 'received' CHECK (status IN ('received','applied','deferred','ignored','failed')),
  error        text,
  attempts     integer NOT NULL DEFAULT 0,
  applied_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_events_deferred ON payment_events (created_at) WHERE status = 'deferred';
CREATE TRIGGER payment_events_touch BEFORE UPDATE ON payment_events FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- A freelancer's request to be paid their balance.
CREATE TABLE payouts (
  id            uuid PRIMARY KEY,
  freelancer_id uuid NOT NULL REFERENCES users(id),
  amount_minor  bigint NOT NULL CHECK (amount_minor > 0),
  currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status        text NOT NULL CHECK (status IN ('pending','paid','failed')),
  provider_ref  text,
  failure       text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payouts_freelancer ON payouts (freelancer_id, created_at DESC);
CREATE TRIGGER payouts_touch BEFORE UPDATE ON payouts FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- The workspace chat. Edits and deletes keep the earlier text in message_revisions.
CREATE TABLE messages (
  id          uuid PRIMARY KEY,
  project_id  uuid NOT NULL REFERENCES projects(id),
  author_id   uuid NOT NULL REFERENCES users(id),
  body        text NOT NULL CHECK (length(body) <= 5000),
  edited_at   timestamptz,
  deleted_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_project ON messages (project_id, id DESC);
CREATE TRIGGER messages_touch BEFORE UPDATE ON messages FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE message_revisions (
  message_id  uuid NOT NULL REFERENCES messages(id),
  body        text NOT NULL,
  replaced_by uuid NOT NULL REFERENCES users(id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX message_revisions_message ON message_revisions (message_id, created_at);

-- How far each participant has read.
CREATE TABLE message_reads (
  project_id  uuid NOT NULL REFERENCES projects(id),
  user_id     uuid NOT NULL REFERENCES users(id),
  last_read   uuid NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, user_id)
);
CREATE TRIGGER message_reads_touch BEFORE UPDATE ON message_reads FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

GRANT SELECT, UPDATE ON pricing_rules TO fluxorae_app;
GRANT SELECT, INSERT, UPDATE ON project_drafts, projects, milestones, disputes, payments,
  payment_events, payouts, messages, message_reads TO fluxorae_app;
GRANT SELECT, INSERT, DELETE ON project_members TO fluxorae_app;
GRANT SELECT, INSERT ON quote_messages, milestone_events, submissions, qa_reviews,
  message_revisions TO fluxorae_app;
