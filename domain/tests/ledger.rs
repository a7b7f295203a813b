//! The ledger's rules under random sequences of money movements (proptest), and the Postgres
//! ledger against those rules: the same sequences booked in both must agree on every answer and
//! every balance; concurrent movements on one milestone cannot both take its funds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::services;
use domain::ledger::{Account, Applied, Book, LedgerError, Movement, MovementKind};
use domain::money::{Currency, Money};
use domain::server::{db, ledger};
use domain::AppError;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

/// One step a test takes; parties are small indices so steps meet on the same accounts.
#[derive(Debug, Clone)]
enum Op {
    Capture {
        customer: u8,
        amount: i64,
    },
    Hold {
        customer: u8,
        milestone: u8,
        amount: i64,
    },
    Release {
        milestone: u8,
        freelancer: u8,
        amount: i64,
    },
    /// A dispute's outcome: part released, the rest refunded.
    Split {
        milestone: u8,
        freelancer: u8,
        customer: u8,
        released: i64,
        refunded: i64,
    },
    Refund {
        milestone: u8,
        customer: u8,
        amount: i64,
    },
    RefundFunding {
        customer: u8,
        amount: i64,
    },
    Settle {
        customer: u8,
        amount: i64,
    },
    /// Undoes an earlier step if it was a release (a refund after approval).
    Reverse {
        step: usize,
    },
    Payout {
        freelancer: u8,
        amount: i64,
    },
    /// Books an earlier step's movement again (a replayed webhook or a retried request).
    Replay {
        step: usize,
    },
}

fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![1i64..100, 100i64..50_000, Just(10_000i64)]
}

fn op() -> impl Strategy<Value = Op> {
    let p = || 0u8..2;
    prop_oneof![
        3 => (p(), amount()).prop_map(|(customer, amount)| Op::Capture { customer, amount }),
        3 => (p(), p(), amount()).prop_map(|(customer, milestone, amount)| Op::Hold { customer, milestone, amount }),
        3 => (p(), p(), amount()).prop_map(|(milestone, freelancer, amount)| Op::Release { milestone, freelancer, amount }),
        1 => (p(), p(), p(), amount(), amount()).prop_map(|(milestone, freelancer, customer, released, refunded)| Op::Split { milestone, freelancer, customer, released, refunded }),
        2 => (p(), p(), amount()).prop_map(|(milestone, customer, amount)| Op::Refund { milestone, customer, amount }),
        1 => (p(), amount()).prop_map(|(customer, amount)| Op::RefundFunding { customer, amount }),
        2 => (p(), amount()).prop_map(|(customer, amount)| Op::Settle { customer, amount }),
        2 => (0usize..40).prop_map(|step| Op::Reverse { step }),
        2 => (p(), amount()).prop_map(|(freelancer, amount)| Op::Payout { freelancer, amount }),
        2 => (0usize..40).prop_map(|step| Op::Replay { step }),
    ]
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 1..40)
}

const FEE_BPS: u32 = 2_000;

fn usd(n: i64) -> Money {
    Money::new(n, Currency::USD)
}

/// Turns steps into movements; `run` keeps parties and keys apart between runs.
fn movements(run: u128, ops: &[Op]) -> Vec<Vec<Movement>> {
    let id = |kind: u128, n: u8| Uuid::from_u128((run << 16) | (kind << 8) | u128::from(n));
    let (c, m, f) = (|n| id(1, n), |n| id(2, n), |n| id(3, n));
    let mut out: Vec<Vec<Movement>> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let key = |part: &str| format!("run{run}-step{i}-{part}");
        let mvs = match *op {
            Op::Capture { customer, amount } => {
                vec![Movement::capture(key("cap"), c(customer), usd(amount))]
            }
            Op::Hold {
                customer,
                milestone,
                amount,
            } => vec![Movement::hold(
                key("hold"),
                c(customer),
                m(milestone),
                usd(amount),
            )],
            Op::Release {
                milestone,
                freelancer,
                amount,
            } => vec![Movement::release(
                key("rel"),
                m(milestone),
                f(freelancer),
                usd(amount),
                FEE_BPS,
            )],
            Op::Split {
                milestone,
                freelancer,
                customer,
                released,
                refunded,
            } => vec![
                Movement::release(
                    key("rel"),
                    m(milestone),
                    f(freelancer),
                    usd(released),
                    FEE_BPS,
                ),
                Movement::refund(key("ref"), m(milestone), c(customer), usd(refunded)),
            ],
            Op::Refund {
                milestone,
                customer,
                amount,
            } => vec![Movement::refund(
                key("ref"),
                m(milestone),
                c(customer),
                usd(amount),
            )],
            Op::RefundFunding { customer, amount } => vec![Movement::refund_funding(
                key("reff"),
                c(customer),
                usd(amount),
            )],
            Op::Settle { customer, amount } => vec![Movement::refund_settled(
                key("set"),
                c(customer),
                usd(amount),
            )],
            Op::Reverse { step } => match ops.get(step) {
                Some(Op::Release {
                    milestone,
                    freelancer,
                    amount,
                }) if step < i => vec![Movement::reverse_release(
                    format!("run{run}-step{step}-rev"),
                    m(*milestone),
                    f(*freelancer),
                    usd(*amount),
                    FEE_BPS,
                )],
                _ => vec![],
            },
            Op::Payout { freelancer, amount } => {
                vec![Movement::payout(key("pay"), f(freelancer), usd(amount))]
            }
            Op::Replay { step } => match out.get(step) {
                Some(earlier) => earlier.iter().map(|mv| Ok(mv.clone())).collect(),
                None => vec![],
            },
        };
        out.push(mvs.into_iter().map(|r| r.unwrap()).collect());
    }
    out
}

/// A reversal stands for a refund after an approval: it only exists when the release did.
fn reverses_nothing(book: &Book, mv: &Movement) -> bool {
    mv.kind == MovementKind::ReverseRelease && !book.contains(&mv.key.replace("-rev", "-rel"))
}

fn total(book: &Book) -> i64 {
    book.balances().map(|(_, v)| *v).sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Whatever happens, in whatever order, with whatever replays: the books balance, no account
    /// crosses to the wrong side, a refused movement and a replay change nothing.
    #[test]
    fn the_books_always_balance(ops in ops()) {
        let mut book = Book::new();
        for step in movements(1, &ops) {
            for mv in step {
                if reverses_nothing(&book, &mv) {
                    continue;
                }
                let before = book.clone();
                match book.apply(&mv) {
                    Ok(Applied::Booked) => {}
                    Ok(Applied::Replayed) | Err(_) => {
                        let same: Vec<_> = before.balances().collect();
                        prop_assert_eq!(same.len(), book.balances().count());
                        for ((acct, cur), v) in before.balances() {
                            prop_assert_eq!(book.balance(*acct, *cur), *v);
                        }
                    }
                }
                prop_assert_eq!(total(&book), 0);
                for ((acct, _), v) in book.balances() {
                    prop_assert!(acct.normal_balance(*v) >= 0, "{} went to {}", acct, v);
                }
            }
        }
        // Clearing always covers what is owed out of it.
        let owed: i64 = book
            .balances()
            .filter(|((a, _), _)| matches!(a, Account::FreelancerPayable(_) | Account::Refunds(_)))
            .map(|((a, _), v)| a.normal_balance(*v))
            .sum();
        prop_assert!(book.available(Account::ProviderClearing, Currency::USD).minor >= owed);
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn postgres_books_what_the_rules_book(owner: PgPool) {
    let svc = services(&owner).await;
    let mut runner = TestRunner::deterministic();
    let mut booked = 0;
    // One book for every run: the parties differ between runs, the shared accounts add up.
    let mut book = Book::new();
    for run in 0..100u128 {
        let ops = ops().new_tree(&mut runner).unwrap().current();
        for step in movements(run + 100, &ops) {
            for mv in step {
                if reverses_nothing(&book, &mv) {
                    continue;
                }
                let model = book.apply(&mv);
                let mut tx = db::begin(&svc.db).await.unwrap();
                let db = ledger::apply(&mut tx, &mv, &json!({"test": run})).await;
                match (&model, &db) {
                    (Ok(a), Ok(b)) => {
                        assert_eq!(a, b, "{mv:?}");
                        tx.commit().await.unwrap();
                        booked += usize::from(*a == Applied::Booked);
                    }
                    (Err(LedgerError::Insufficient { .. }), Err(AppError::Conflict(msg))) => {
                        assert_eq!(msg, &model.as_ref().unwrap_err().to_string());
                        // A refusal writes nothing: committing after it leaves no half-booked
                        // movement (the count below would see one).
                        if run % 2 == 0 {
                            tx.commit().await.unwrap();
                        } else {
                            tx.rollback().await.unwrap();
                        }
                    }
                    other => panic!("the rules and Postgres disagree on {mv:?}: {other:?}"),
                }
            }
        }
        let mut conn = svc.db.acquire().await.unwrap();
        for ((account, currency), signed) in book.balances() {
            let shown = ledger::available(&mut conn, *account, *currency)
                .await
                .unwrap();
            assert_eq!(shown.minor, account.normal_balance(*signed), "{account}");
        }
    }
    assert!(booked > 250, "the sequences did book money ({booked})");
    let mut conn = svc.db.acquire().await.unwrap();
    let report = ledger::verify(&mut conn).await.unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.movements as usize, booked);

    // Entries cannot be changed or removed, even by a query that tries.
    let err = sqlx::query("UPDATE ledger_postings SET amount = amount + 1")
        .execute(&svc.db)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("permission denied") || err.to_string().contains("immutable"),
        "{err}"
    );
    let err = sqlx::query("DELETE FROM ledger_movements")
        .execute(&owner)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("immutable"), "{err}");
}

#[sqlx::test(migrations = "../migrations")]
async fn concurrent_claims_on_one_milestone_cannot_both_win(owner: PgPool) {
    let svc = services(&owner).await;
    let (c, m, f) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let mut tx = db::begin(&svc.db).await.unwrap();
    for mv in [
        Movement::capture("cap", c, usd(50_000)).unwrap(),
        Movement::hold("hold", c, m, usd(50_000)).unwrap(),
    ] {
        ledger::apply(&mut tx, &mv, &json!({})).await.unwrap();
    }
    tx.commit().await.unwrap();

    // An approval (release everything) and a dispute's refund (everything back) at once, ten
    // times over: exactly one takes the held funds.
    let mut tasks = Vec::new();
    for i in 0..10 {
        let db = svc.db.clone();
        tasks.push(tokio::spawn(async move {
            let mv = if i % 2 == 0 {
                Movement::release(format!("approve-{i}"), m, f, usd(50_000), FEE_BPS)
            } else {
                Movement::refund(format!("dispute-{i}"), m, c, usd(50_000))
            }
            .unwrap();
            let mut tx = db::begin(&db).await.unwrap();
            let r = ledger::apply(&mut tx, &mv, &json!({})).await;
            if r.is_ok() {
                tx.commit().await.unwrap();
            }
            r
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(Applied::Booked) => won += 1,
            Err(AppError::Conflict(msg)) => {
                assert!(msg.contains("Held funds has $0.00 available"), "{msg}")
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(won, 1);

    // The same key from many requests at once is booked once.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let db = svc.db.clone();
        tasks.push(tokio::spawn(async move {
            let mv = Movement::capture("cap-again", c, usd(700)).unwrap();
            let mut tx = db::begin(&db).await.unwrap();
            let r = ledger::apply(&mut tx, &mv, &json!({})).await.unwrap();
            tx.commit().await.unwrap();
            r
        }));
    }
    let mut booked = 0;
    for t in tasks {
        booked += usize::from(t.await.unwrap() == Applied::Booked);
    }
    assert_eq!(booked, 1);
    let mut conn = svc.db.acquire().await.unwrap();
    assert_eq!(
        ledger::available(&mut conn, Account::CustomerFunding(c), Currency::USD)
            .await
            .unwrap(),
        usd(700)
    );
    assert!(ledger::verify(&mut conn).await.unwrap().ok());
}

#[sqlx::test(migrations = "../migrations")]
async fn only_the_booking_function_writes_the_ledger(owner: PgPool) {
    let svc = services(&owner).await;
    let (c, m) = (Uuid::now_v7(), Uuid::now_v7());
    let mut tx = db::begin(&svc.db).await.unwrap();
    for mv in [
        Movement::capture("cap", c, usd(10_000)).unwrap(),
        Movement::hold("hold", c, m, usd(10_000)).unwrap(),
    ] {
        assert_eq!(
            ledger::apply(&mut tx, &mv, &json!({})).await.unwrap(),
            Applied::Booked
        );
    }
    tx.commit().await.unwrap();

    // The hold again, after its funds have moved on: still a replay, not a refusal.
    let mut tx = db::begin(&svc.db).await.unwrap();
    let again = Movement::hold("hold", c, m, usd(10_000)).unwrap();
    assert_eq!(
        ledger::apply(&mut tx, &again, &json!({})).await.unwrap(),
        Applied::Replayed
    );
    tx.commit().await.unwrap();

    // The application role cannot write the tables directly.
    for sql in [
        "INSERT INTO ledger_movements (id, key, kind, currency, fingerprint) \
         VALUES (gen_random_uuid(), 'forged', 'capture', 'USD', 'x')",
        "INSERT INTO ledger_postings (movement_id, account_id, amount) \
         SELECT id, 1, 5 FROM ledger_movements LIMIT 1",
        "UPDATE ledger_accounts SET balance = balance - 1",
        "INSERT INTO ledger_accounts (code, currency, normal, guarded) \
         VALUES ('provider_clearing', 'EUR', 'debit', false)",
    ] {
        let err = sqlx::query(sql).execute(&svc.db).await.unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "{sql}: {err}"
        );
    }
    // Nor make the function book what does not balance.
    for (codes, amounts) in [
        (
            vec!["provider_clearing", "platform_revenue"],
            vec![5i64, -4],
        ),
        (vec!["provider_clearing"], vec![0]),
    ] {
        let n = codes.len();
        let err = sqlx::query(
            "SELECT * FROM ledger_book(gen_random_uuid(), 'forged', 'capture', 'USD', 'x', '{}', \
             $1, $2, $3, $4)",
        )
        .bind(&codes)
        .bind(vec!["debit"; n])
        .bind(vec![false; n])
        .bind(&amounts)
        .execute(&svc.db)
        .await
        .unwrap_err();
        assert!(err.to_string().contains("does not balance"), "{err}");
    }
    // And no one deletes an account.
    let err = sqlx::query("DELETE FROM ledger_accounts")
        .execute(&owner)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("immutable"), "{err}");

    let mut conn = svc.db.acquire().await.unwrap();
    let report = ledger::verify(&mut conn).await.unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.movements, 2);
}
