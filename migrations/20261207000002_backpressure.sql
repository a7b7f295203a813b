-- Backpressure (issue 5, section 5): a team's backlog is counted per team, and the scoring worker
-- takes every team's oldest marks in turn, so both read the marks by team first.
DROP INDEX leads_score_requested;
CREATE INDEX leads_score_requested ON leads (tenant_id, score_requested_at)
  WHERE score_requested_at IS NOT NULL;
-- The replies a team has waiting.
CREATE INDEX channel_messages_queued_by_tenant ON channel_messages (tenant_id)
  WHERE status = 'queued';
