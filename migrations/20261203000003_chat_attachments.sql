-- Files sent with a chat message: workspace files (same checks, same store, same access) that
-- point at the message they went with. One message each; shown in the Files panel too.
ALTER TABLE project_files ADD COLUMN message_id uuid REFERENCES messages(id);
CREATE INDEX project_files_message ON project_files (message_id) WHERE message_id IS NOT NULL;
