-- A team's business facts (`domain::leads::facts`): the only source the AI may draft inbox
-- replies from (names, prices, proof, links, availability). Kept as the AI layer's
-- `TenantFacts` JSON; empty until an admin writes them on the channels page.
ALTER TABLE tenant_settings ADD COLUMN reply_facts jsonb NOT NULL DEFAULT '{}'::jsonb
  CHECK (jsonb_typeof(reply_facts) = 'object');
