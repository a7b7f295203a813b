-- The workspace besides milestones and chat: tasks on a board, shared files, and the activity
-- feed (one line per thing people did, written in the same transaction as the deed; the audit
-- trail keeps the full record).

CREATE TABLE project_tasks (
  id           uuid PRIMARY KEY,
  project_id   uuid NOT NULL REFERENCES projects(id),
  title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  notes        text NOT NULL DEFAULT '' CHECK (length(notes) <= 5000),
  status       text NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'doing', 'done')),
  priority     text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  assignee_id  uuid REFERENCES users(id),
  due_on       date,
  created_by   uuid NOT NULL REFERENCES users(id),
  version      int NOT NULL DEFAULT 1,
  deleted_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX project_tasks_project ON project_tasks (project_id) WHERE deleted_at IS NULL;
CREATE TRIGGER project_tasks_touch BEFORE UPDATE ON project_tasks FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE project_files (
  id            uuid PRIMARY KEY,
  project_id    uuid NOT NULL REFERENCES projects(id),
  milestone_id  uuid REFERENCES milestones(id),
  uploader_id   uuid NOT NULL REFERENCES users(id),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
  content_type  text NOT NULL,
  bytes         bigint NOT NULL CHECK (bytes > 0),
  sha256        text NOT NULL,
  store_key     text NOT NULL,
  deleted_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX project_files_project ON project_files (project_id, created_at DESC) WHERE deleted_at IS NULL;
CREATE TRIGGER project_files_touch BEFORE UPDATE ON project_files FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE project_activity (
  id          uuid PRIMARY KEY,
  project_id  uuid NOT NULL REFERENCES projects(id),
  actor_id    uuid REFERENCES users(id),
  summary     text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX project_activity_project ON project_activity (project_id, id DESC);

GRANT SELECT, INSERT, UPDATE ON project_tasks, project_files TO fluxorae_app;
GRANT SELECT, INSERT ON project_activity TO fluxorae_app;
