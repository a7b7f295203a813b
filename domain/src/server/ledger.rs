//! The ledger in Postgres (`migrations/…_ledger.sql`): [`apply`] books a [`Movement`] inside the
//! caller's transaction, so a state change (a milestone approved) and its money move together or
//! not at all.
//!
//! Accounts owned by one party keep a running balance, locked in id order while a movement
//! changes it (no deadlocks between movements touching the same accounts) and checked before the
//! update (with a database CHECK behind it). The shared accounts (provider clearing, platform
//! revenue) keep none, so concurrent movements do not queue on one row. Money only leaves
//! clearing through a guarded account (a freelancer's payable, a customer's refunds) that was
//! filled from clearing first, so clearing cannot go below zero either.

use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::ledger::{Account, Applied, LedgerError, Movement};
use crate::money::{Currency, Money};
use crate::AppError;

fn normal_str(account: &Account) -> &'static str {
    match account.normal() {
        crate::ledger::Side::Debit => "debit",
        crate::ledger::Side::Credit => "credit",
    }
}

/// What a replay must match: the kind, the currency and the net postings.
pub fn fingerprint(m: &Movement) -> String {
    let mut h = Sha256::new();
    h.update(m.kind.as_str());
    h.update(b"|");
    h.update(m.currency.code());
    for (account, amount) in m.net() {
        h.update(b"|");
        h.update(account.code());
        h.update(b"=");
        h.update(amount.to_string());
    }
    hex::encode(h.finalize())
}

fn refused(e: LedgerError) -> AppError {
    match e {
        LedgerError::Insufficient { .. } | LedgerError::KeyReused(_) => {
            AppError::Conflict(e.to_string())
        }
        other => {
            tracing::error!(error = %other, "a malformed ledger movement");
            AppError::Internal
        }
    }
}

/// Books `m` in the caller's transaction, once: the same key again with the same content
/// answers [`Applied::Replayed`] and changes nothing; with other content, or when an account
/// would cross to the wrong side, it is refused (409) and the caller's transaction must not
/// commit what it did besides.
pub async fn apply(
    conn: &mut PgConnection,
    m: &Movement,
    memo: &Value,
) -> Result<Applied, AppError> {
    m.check().map_err(refused)?;
    let fp = fingerprint(m);
    let currency = m.currency.code();
    let id = Uuid::now_v7();
    let inserted = sqlx::query_scalar!(
        "INSERT INTO ledger_movements (id, key, kind, currency, fingerprint, memo)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT ON CONSTRAINT ledger_movements_key_key DO NOTHING RETURNING id",
        id,
        m.key,
        m.kind.as_str(),
        currency,
        fp,
        memo
    )
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_none() {
        let stored = sqlx::query_scalar!(
            "SELECT fingerprint FROM ledger_movements WHERE key = $1",
            m.key
        )
        .fetch_one(&mut *conn)
        .await?;
        return if stored == fp {
            Ok(Applied::Replayed)
        } else {
            Err(refused(LedgerError::KeyReused(m.key.clone())))
        };
    }

    let net: Vec<(Account, i64)> = m.net().into_iter().collect();
    let codes: Vec<String> = net.iter().map(|(a, _)| a.code()).collect();
    let mut rows = lock_accounts(conn, currency, &codes).await?;
    if rows.len() < codes.len() {
        // First use of an account (a new milestone's held funds, say): create it, then lock.
        let normals: Vec<String> = net.iter().map(|(a, _)| normal_str(a).to_owned()).collect();
        let guards: Vec<bool> = net.iter().map(|(a, _)| a.guarded()).collect();
        sqlx::query!(
            "INSERT INTO ledger_accounts (code, currency, normal, guarded)
             SELECT code, $2, normal, guarded FROM UNNEST($1::text[], $3::text[], $4::bool[]) AS n(code, normal, guarded)
             ON CONFLICT ON CONSTRAINT ledger_accounts_code_key DO NOTHING",
            &codes,
            currency,
            &normals,
            &guards
        )
        .execute(&mut *conn)
        .await?;
        rows = lock_accounts(conn, currency, &codes).await?;
    }

    let (mut account_ids, mut amounts) = (Vec::new(), Vec::new());
    let (mut guarded_ids, mut deltas) = (Vec::new(), Vec::new());
    for (account, delta) in &net {
        let code = account.code();
        let row = rows
            .iter()
            .find(|r| r.code == code)
            .ok_or(AppError::Internal)?;
        account_ids.push(row.id);
        amounts.push(*delta);
        if row.guarded {
            let after = row.balance.checked_add(*delta).ok_or(AppError::Internal)?;
            if account.normal_balance(after) < 0 {
                return Err(refused(LedgerError::Insufficient {
                    account: account.label().to_owned(),
                    available: Money::new(account.normal_balance(row.balance), m.currency),
                    needed: Money::new(-account.normal_balance(*delta), m.currency),
                }));
            }
            guarded_ids.push(row.id);
            deltas.push(*delta);
        }
    }
    sqlx::query!(
        "WITH moved AS (
           UPDATE ledger_accounts a SET balance = a.balance + d.delta
           FROM UNNEST($4::bigint[], $5::bigint[]) AS d(id, delta) WHERE a.id = d.id)
         INSERT INTO ledger_postings (movement_id, account_id, amount)
         SELECT $1, account_id, amount FROM UNNEST($2::bigint[], $3::bigint[]) AS p(account_id, amount)",
        id,
        &account_ids,
        &amounts,
        &guarded_ids,
        &deltas
    )
    .execute(&mut *conn)
    .await?;
    Ok(Applied::Booked)
}

struct Locked {
    id: i64,
    code: String,
    guarded: bool,
    balance: i64,
}

/// The accounts with these codes; the guarded ones locked in id order (so two movements on the
/// same accounts never wait for each other in a cycle), the shared ones only read.
async fn lock_accounts(
    conn: &mut PgConnection,
    currency: &str,
    codes: &[String],
) -> Result<Vec<Locked>, AppError> {
    Ok(sqlx::query_as!(
        Locked,
        r#"WITH g AS (
             SELECT id, code, guarded, balance FROM ledger_accounts
             WHERE currency = $1 AND code = ANY($2) AND guarded ORDER BY id FOR UPDATE)
           SELECT id AS "id!", code AS "code!", guarded AS "guarded!", balance AS "balance!" FROM g
           UNION ALL
           SELECT id, code, guarded, balance FROM ledger_accounts
           WHERE currency = $1 AND code = ANY($2) AND NOT guarded"#,
        currency,
        codes
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// An account's balance on its normal side (zero for an account nothing has touched).
pub async fn available(
    conn: &mut PgConnection,
    account: Account,
    currency: Currency,
) -> Result<Money, AppError> {
    let signed = sqlx::query_scalar!(
        r#"SELECT CASE WHEN a.guarded THEN a.balance
                       ELSE COALESCE((SELECT sum(p.amount) FROM ledger_postings p WHERE p.account_id = a.id), 0)::bigint
                  END AS "signed!"
           FROM ledger_accounts a WHERE a.code = $1 AND a.currency = $2"#,
        account.code(),
        currency.code()
    )
    .fetch_optional(&mut *conn)
    .await?
    .unwrap_or(0);
    Ok(Money::new(account.normal_balance(signed), currency))
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LedgerReport {
    /// Movements booked.
    pub movements: i64,
    /// Movements whose postings do not sum to zero.
    pub unbalanced: i64,
    /// Guarded accounts whose running balance differs from the sum of their postings.
    pub drifted: i64,
    /// Accounts whose balance sits on the wrong side.
    pub negative: i64,
}

impl LedgerReport {
    /// Whether the books are sound.
    pub fn ok(&self) -> bool {
        self.unbalanced == 0 && self.drifted == 0 && self.negative == 0
    }
}

/// Checks the whole ledger: every movement balances, every running balance equals its postings,
/// and no account sits on the wrong side.
pub async fn verify(conn: &mut PgConnection) -> Result<LedgerReport, AppError> {
    let r = sqlx::query!(
        r#"WITH sums AS (
             SELECT a.id, a.normal, a.guarded, a.balance,
                    COALESCE((SELECT sum(p.amount) FROM ledger_postings p WHERE p.account_id = a.id), 0) AS total
             FROM ledger_accounts a)
           SELECT
             (SELECT count(*) FROM ledger_movements) AS "movements!",
             (SELECT count(*) FROM (SELECT movement_id FROM ledger_postings GROUP BY movement_id
                                    HAVING sum(amount) <> 0) u) AS "unbalanced!",
             (SELECT count(*) FROM sums WHERE guarded AND balance <> total) AS "drifted!",
             (SELECT count(*) FROM sums WHERE (normal = 'debit' AND total < 0)
                                            OR (normal = 'credit' AND total > 0)) AS "negative!""#
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(LedgerReport {
        movements: r.movements,
        unbalanced: r.unbalanced,
        drifted: r.drifted,
        negative: r.negative,
    })
}
