-- Email as a channel of the unified inbox (issue 5): a received message arrives as its raw
-- RFC 5322 text through `POST /webhooks/email` (from the team's mail server or an inbound-mail
-- service), is stored in `webhook_events` like Meta's bodies and read by the same worker; what
-- names no connected address is kept in `webhook_leftovers`. An email channel's sealed
-- `access_token` is the SMTP server its replies go out through.
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_kind_check;
ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_kind_check
  CHECK (kind IN ('whatsapp','messenger','instagram','email'));
ALTER TABLE webhook_leftovers DROP CONSTRAINT webhook_leftovers_kind_check;
ALTER TABLE webhook_leftovers ADD CONSTRAINT webhook_leftovers_kind_check
  CHECK (kind IN ('whatsapp','messenger','instagram','email'));
