-- Automation rules, run by the scheduler from what the database says (so a restart loses
-- nothing and a rerun adds nothing): each finding is one alert, unique per rule and subject.

CREATE TABLE ops_alerts (
  id              uuid PRIMARY KEY,
  rule            text NOT NULL CHECK (rule IN ('pm_suggested', 'milestone_overdue', 'funds_held_long', 'customer_idle', 'rating_low')),
  subject         text NOT NULL,
  project_id      uuid REFERENCES projects(id),
  -- The freelancer concerned (rating_low).
  talent_user     uuid REFERENCES users(id),
  milestone_id    uuid REFERENCES milestones(id),
  title           text NOT NULL,
  body            text NOT NULL,
  -- The PM the rule suggests (pm_suggested).
  suggested_user  uuid REFERENCES users(id),
  status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'done', 'dismissed')),
  resolved_by     uuid REFERENCES users(id),
  resolved_at     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (rule, subject)
);
CREATE INDEX ops_alerts_open ON ops_alerts (created_at DESC) WHERE status = 'open';
CREATE TRIGGER ops_alerts_touch BEFORE UPDATE ON ops_alerts FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

GRANT SELECT, INSERT, UPDATE ON ops_alerts TO fluxorae_app;
