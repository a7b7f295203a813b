-- `ledger_book` becomes the only way to write the ledger: it runs as the ledger's owner
-- (SECURITY DEFINER, with a fixed search_path), and the application role keeps SELECT only. With
-- one writer, what the database checked row by row on every movement can be checked once, in
-- the function, by construction:
--   * a movement balances: the function refuses amounts that do not sum to zero, and writes
--     exactly one posting per amount (it counts them); the deferred trigger that summed the
--     postings again at commit is gone;
--   * postings name real accounts and movements: the function takes the account ids from the
--     accounts table and writes the movement first, and accounts can no longer be deleted; the
--     two foreign keys are gone. Their checks locked the shared accounts (provider clearing,
--     platform revenue) in KEY SHARE mode from every concurrent movement, which Postgres keeps
--     as multixacts: a fifth of the database's CPU per movement under 16 workers.
-- A refusal (insufficient funds) now writes no movement at all, so a caller that commits after
-- one leaves nothing half-booked. `server::ledger::verify` still checks the whole book.
DROP TRIGGER ledger_movements_balanced ON ledger_movements;
DROP FUNCTION ledger_balanced();
ALTER TABLE ledger_postings DROP CONSTRAINT ledger_postings_account_id_fkey;
ALTER TABLE ledger_postings DROP CONSTRAINT ledger_postings_movement_id_fkey;
REVOKE INSERT, UPDATE ON ledger_accounts FROM fluxorae_app;
REVOKE USAGE ON SEQUENCE ledger_accounts_id_seq FROM fluxorae_app;
REVOKE INSERT ON ledger_movements, ledger_postings FROM fluxorae_app;
CREATE TRIGGER ledger_accounts_kept BEFORE DELETE ON ledger_accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_immutable();

-- Outcomes as before: 'booked', 'replayed', 'key_reused', and 'insufficient' with the account's
-- code and its signed balance. The order changed: the guarded accounts are locked and checked
-- before the movement is written, so a refusal writes nothing. A replay is still answered as a
-- replay when the funds have moved on since: a refusal looks the key up before it answers.
CREATE OR REPLACE FUNCTION ledger_book(
  p_id uuid, p_key text, p_kind text, p_currency text, p_fingerprint text, p_memo jsonb,
  p_codes text[], p_normals text[], p_guarded boolean[], p_amounts bigint[],
  OUT outcome text, OUT code text, OUT balance bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
  parts integer := cardinality(p_codes);
  stored text;
  known integer;
  delta bigint;
  written integer;
  r record;
BEGIN
  -- Balanced, with one account, side and guard per amount.
  IF coalesce(parts, 0) < 2 OR cardinality(p_normals) <> parts OR cardinality(p_guarded) <> parts
     OR cardinality(p_amounts) <> parts
     OR (SELECT sum(x) FROM unnest(p_amounts) x) IS DISTINCT FROM 0 THEN
    RAISE EXCEPTION 'ledger movement % does not balance', p_key USING ERRCODE = 'check_violation';
  END IF;

  -- Every statement reaches the accounts through their (code, currency) index with
  -- `code = ANY(p_codes)`: a join with unnest() would let the cached plan scan the whole table.
  SELECT count(*) INTO known FROM ledger_accounts a
  WHERE a.currency = p_currency AND a.code = ANY(p_codes);
  IF known < parts THEN
    -- First use of an account (a new milestone's held funds, say).
    INSERT INTO ledger_accounts (code, currency, normal, guarded)
    SELECT n.code, p_currency, n.normal, n.guarded
    FROM unnest(p_codes, p_normals, p_guarded) AS n(code, normal, guarded)
    ON CONFLICT ON CONSTRAINT ledger_accounts_code_key DO NOTHING;
  END IF;

  -- The guarded accounts, locked in id order so two movements never wait on each other in a
  -- cycle, each checked against its side before anything is written.
  FOR r IN
    SELECT a.id, a.code, a.normal, a.balance FROM ledger_accounts a
    WHERE a.currency = p_currency AND a.code = ANY(p_codes) AND a.guarded
    ORDER BY a.id FOR UPDATE
  LOOP
    delta := p_amounts[array_position(p_codes, r.code)];
    IF (r.normal = 'debit' AND r.balance + delta < 0)
       OR (r.normal = 'credit' AND r.balance + delta > 0) THEN
      SELECT m.fingerprint INTO stored FROM ledger_movements m WHERE m.key = p_key;
      IF FOUND THEN
        outcome := CASE WHEN stored = p_fingerprint THEN 'replayed' ELSE 'key_reused' END;
      ELSE
        outcome := 'insufficient'; code := r.code; balance := r.balance;
      END IF;
      RETURN;
    END IF;
  END LOOP;

  -- The key: a concurrent booking of the same key that committed while this one waited for
  -- the locks makes this a replay.
  INSERT INTO ledger_movements (id, key, kind, currency, fingerprint, memo)
  VALUES (p_id, p_key, p_kind, p_currency, p_fingerprint, p_memo)
  ON CONFLICT ON CONSTRAINT ledger_movements_key_key DO NOTHING;
  IF NOT FOUND THEN
    SELECT m.fingerprint INTO stored FROM ledger_movements m WHERE m.key = p_key;
    outcome := CASE WHEN stored = p_fingerprint THEN 'replayed' ELSE 'key_reused' END;
    RETURN;
  END IF;

  UPDATE ledger_accounts a SET balance = a.balance + p_amounts[array_position(p_codes, a.code)]
  WHERE a.currency = p_currency AND a.code = ANY(p_codes) AND a.guarded;

  INSERT INTO ledger_postings (movement_id, account_id, amount)
  SELECT p_id, a.id, p_amounts[array_position(p_codes, a.code)]
  FROM ledger_accounts a WHERE a.currency = p_currency AND a.code = ANY(p_codes);
  GET DIAGNOSTICS written = ROW_COUNT;
  IF written <> parts THEN
    RAISE EXCEPTION 'ledger movement % lost a posting', p_key USING ERRCODE = 'check_violation';
  END IF;

  outcome := 'booked';
END $$;

-- Run as the owner, so only the application may call it.
REVOKE EXECUTE ON FUNCTION ledger_book(uuid, text, text, text, text, jsonb, text[], text[], boolean[], bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_book(uuid, text, text, text, text, jsonb, text[], text[], boolean[], bigint[]) TO fluxorae_app;
