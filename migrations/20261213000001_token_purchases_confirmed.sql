-- A token purchase whose card asked the buyer to confirm with their bank (3-D Secure): kept
-- here until they confirm it on the team's tokens page (`billing::confirm_purchase`), then
-- captured and added to the month as a top-up, once (`token_topups.payment_ref`). The pack and
-- the price are read from here when confirming, never from the form.
CREATE TABLE token_purchases (
  id           uuid PRIMARY KEY,
  tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  pack         text NOT NULL CHECK (length(pack) BETWEEN 1 AND 40),
  payment_ref  text NOT NULL UNIQUE,
  status       text NOT NULL DEFAULT 'requires_action'
               CHECK (status IN ('requires_action','added','declined')),
  bought_by    uuid NOT NULL REFERENCES users(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX token_purchases_waiting ON token_purchases (tenant_id, created_at)
  WHERE status = 'requires_action';
CREATE TRIGGER token_purchases_touch BEFORE UPDATE ON token_purchases
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE token_purchases ENABLE ROW LEVEL SECURITY;
ALTER TABLE token_purchases FORCE ROW LEVEL SECURITY;
CREATE POLICY token_purchases_isolation ON token_purchases
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());
GRANT SELECT, INSERT, UPDATE ON token_purchases TO fluxorae_app;
