//! The ledger in Postgres (`migrations/…_ledger.sql`, `…_ledger_book.sql`,
//! `…_ledger_one_door.sql`): [`apply`] books a [`Movement`] inside the caller's transaction, so a
//! state change (a milestone approved) and its money move together or not at all. The booking
//! function is the only way in: the application role may read the ledger's tables but not write
//! them, and the function refuses a movement that does not balance.
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

/// Books `m` in the caller's transaction, once, in one round trip (the `ledger_book` function
/// in `migrations/…_ledger_book.sql`): the same key again with the same content answers
/// [`Applied::Replayed`] and changes nothing; with other content, or when an account would
/// cross to the wrong side, it is refused (409) and nothing of it is written (the caller still
/// rolls back what it did besides).
pub async fn apply(
    conn: &mut PgConnection,
    m: &Movement,
    memo: &Value,
) -> Result<Applied, AppError> {
    m.check().map_err(refused)?;
    let net: Vec<(Account, i64)> = m.net().into_iter().collect();
    let codes: Vec<String> = net.iter().map(|(a, _)| a.code()).collect();
    let normals: Vec<&str> = net.iter().map(|(a, _)| normal_str(a)).collect();
    let guards: Vec<bool> = net.iter().map(|(a, _)| a.guarded()).collect();
    let amounts: Vec<i64> = net.iter().map(|(_, delta)| *delta).collect();
    let booked = sqlx::query!(
        r#"SELECT outcome AS "outcome!", code, balance
           FROM ledger_book($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"#,
        Uuid::now_v7(),
        m.key,
        m.kind.as_str(),
        m.currency.code(),
        fingerprint(m),
        memo,
        &codes,
        &normals as &[&str],
        &guards,
        &amounts
    )
    .fetch_one(&mut *conn)
    .await?;
    match booked.outcome.as_str() {
        "booked" => Ok(Applied::Booked),
        "replayed" => Ok(Applied::Replayed),
        "key_reused" => Err(refused(LedgerError::KeyReused(m.key.clone()))),
        "insufficient" => {
            let (account, delta) = net
                .iter()
                .find(|(a, _)| booked.code.as_deref() == Some(a.code().as_str()))
                .ok_or(AppError::Internal)?;
            let balance = booked.balance.ok_or(AppError::Internal)?;
            Err(refused(LedgerError::Insufficient {
                account: account.label().to_owned(),
                available: Money::new(account.normal_balance(balance), m.currency),
                needed: Money::new(-account.normal_balance(*delta), m.currency),
            }))
        }
        other => {
            tracing::error!(outcome = other, "ledger_book answered what it never should");
            Err(AppError::Internal)
        }
    }
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
