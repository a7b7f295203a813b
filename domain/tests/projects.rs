//! Projects against real Postgres and Redis: the wizard from brief to funded project, the
//! milestone flow with its money, who may see and act, one winner when two act at once,
//! disputes, earnings and payouts, and Stripe's webhook events in any order.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{meta, services, user};
use domain::ledger::Account;
use domain::money::{Currency, Money};
use domain::project::{
    CheckItem, FundChoice, MilestoneAction as A, MilestoneStatus as S, Party, Resolution, StepInput,
};
use domain::server::payments::provider::{ProviderPayment, ProviderStatus};
use domain::server::payments::webhook::{self, Received};
use domain::server::projects::flow::{self, Actor};
use domain::server::projects::{self as projects, earnings, funding, wizard};
use domain::server::{db, ledger, seed, Services};
use domain::user::SessionUser;
use domain::AppError;
use sqlx::PgPool;
use uuid::Uuid;

const BRIEF: &str = "We need an online store for our handmade ceramics with Stripe payments, \
    product pages, a blog and SEO. Launch in about two months.";

struct Cast {
    customer: SessionUser,
    other_customer: SessionUser,
    freelancer: SessionUser,
    employee: SessionUser,
    expert: SessionUser,
}

async fn cast(svc: &Services) -> Cast {
    seed::seed_demo(svc).await.unwrap();
    Cast {
        customer: user(svc, "customer@demo.fluxorae.test").await,
        other_customer: user(svc, "owner@acme.fluxorae.test").await,
        freelancer: user(svc, "freelancer@demo.fluxorae.test").await,
        employee: user(svc, "employee@demo.fluxorae.test").await,
        expert: user(svc, "expert@demo.fluxorae.test").await,
    }
}

/// A project confirmed from the brief with the first milestone funded on the good test card,
/// and the demo freelancer assigned.
async fn funded_project(svc: &Services, c: &Cast) -> (Uuid, Vec<Uuid>) {
    let draft = wizard::analyze(svc, &c.customer, None, BRIEF, None)
        .await
        .unwrap();
    let out = wizard::confirm(
        svc,
        &c.customer,
        draft.id,
        draft.version,
        FundChoice::First,
        "4242 4242 4242 4242",
        &meta("203.0.113.60"),
    )
    .await
    .unwrap();
    assert!(!out.needs_action);
    flow::assign(
        svc,
        &c.employee,
        out.project_id,
        c.freelancer.id.0,
        &meta("203.0.113.61"),
    )
    .await
    .unwrap();
    let ws = projects::workspace(svc, &c.customer, out.project_id)
        .await
        .unwrap();
    (out.project_id, ws.milestones.iter().map(|m| m.id).collect())
}

async fn step(
    svc: &Services,
    who: &SessionUser,
    m: Uuid,
    a: A,
    input: StepInput,
) -> Result<S, AppError> {
    flow::act(svc, Actor::Person(who), m, a, &input, &meta("203.0.113.62")).await
}

fn delivery() -> StepInput {
    StepInput {
        notes: "Mockups for home, product and checkout are in the Figma file.".into(),
        links: vec!["https://figma.com/file/demo".into()],
        ..Default::default()
    }
}

fn all_met(criteria: &[String]) -> StepInput {
    StepInput {
        checklist: criteria
            .iter()
            .map(|c| CheckItem {
                criterion: c.clone(),
                met: true,
            })
            .collect(),
        ..Default::default()
    }
}

/// Started, delivered and passed by QA: waiting for the customer.
async fn awaiting_approval(svc: &Services, c: &Cast, m: Uuid) {
    step(svc, &c.freelancer, m, A::Start, StepInput::default())
        .await
        .unwrap();
    step(svc, &c.freelancer, m, A::Submit, delivery())
        .await
        .unwrap();
    let criteria = sqlx::query_scalar!(
        "SELECT acceptance_criteria FROM milestones WHERE id = $1",
        m
    )
    .fetch_one(&svc.db)
    .await
    .unwrap();
    step(svc, &c.employee, m, A::QaPass, all_met(&criteria))
        .await
        .unwrap();
}

async fn balance(svc: &Services, account: Account) -> i64 {
    let mut conn = svc.db.acquire().await.unwrap();
    ledger::available(&mut conn, account, Currency::USD)
        .await
        .unwrap()
        .minor
}

async fn verify(svc: &Services) {
    let mut conn = svc.db.acquire().await.unwrap();
    let report = ledger::verify(&mut conn).await.unwrap();
    assert!(report.ok(), "{report:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_brief_becomes_a_funded_project_delivered_and_paid_minus_the_fee(owner: PgPool) {
    let svc = services(&owner).await;
    let c = cast(&svc).await;

    // Too short a brief: a message, nothing saved.
    let e = wizard::analyze(&svc, &c.customer, None, "a shop", None)
        .await
        .unwrap_err();
    assert!(e.message_for("brief").is_some());

    let draft = wizard::analyze(&svc, &c.customer, None, BRIEF, None)
        .await
        .unwrap();
    let mut scope = draft.scope.clone().expect("a proposed scope");
    assert!(!scope.milestones.is_empty());
    let analysis = draft.analysis.clone().unwrap();
    assert!(analysis.budget_usd.0 <= analysis.budget_usd.1);

    // The customer edits; a stale tab's save is refused and the edit is kept.
    scope.title = "Ceramics store".into();
    scope.milestones[0].amount_minor = 150_000;
    let v2 = wizard::save(&svc, &c.customer, draft.id, draft.version, &scope)
        .await
        .unwrap();
    let stale = wizard::save(&svc, &c.customer, draft.id, draft.version, &scope).await;
    assert!(matches!(stale, Err(AppError::Conflict(_))));
    assert_eq!(
        wizard::get(&svc, &c.customer, draft.id)
            .await
            .unwrap()
            .scope
            .unwrap()
            .title,
        "Ceramics store"
    );

    // A bad amount and no card: every problem at once, and no project.
    let mut bad = scope.clone();
    bad.milestones[0].amount_minor = 5;
    let v3 = wizard::save(&svc, &c.customer, draft.id, v2, &bad)
        .await
        .unwrap();
    let e = wizard::confirm(
        &svc,
        &c.customer,
        draft.id,
        v3,
        FundChoice::First,
        " ",
        &meta("203.0.113.63"),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.message_for("milestones.0.amount"),
        Some("At least $10.00.")
    );
    assert!(e.message_for("card").is_some());
    let v4 = wizard::save(&svc, &c.customer, draft.id, v3, &scope)
        .await
        .unwrap();

    // A declined card says why; nothing is created.
    let e = wizard::confirm(
        &svc,
        &c.customer,
        draft.id,
        v4,
        FundChoice::First,
        "4000 0000 0000 0002",
        &meta("203.0.113.63"),
    )
    .await
    .unwrap_err();
    assert!(e.message_for("card").unwrap().contains("declined"));
    assert!(projects::list(&svc.db, &c.customer)
        .await
        .unwrap()
        .is_empty());

    let out = wizard::confirm(
        &svc,
        &c.customer,
        draft.id,
        v4,
        FundChoice::First,
        "4242424242424242",
        &meta("203.0.113.63"),
    )
    .await
    .unwrap();
    // Confirming again (a double click) answers the same project.
    let again = wizard::confirm(
        &svc,
        &c.customer,
        draft.id,
        v4,
        FundChoice::First,
        "4242424242424242",
        &meta("203.0.113.63"),
    )
    .await
    .unwrap();
    assert_eq!(again.project_id, out.project_id);
    let ws = projects::workspace(&svc, &c.customer, out.project_id)
        .await
        .unwrap();
    assert_eq!(ws.title, "Ceramics store");
    let m = &ws.milestones[0];
    assert_eq!(m.status, S::Funded);
    assert_eq!(m.fee_bps, Some(2_000));
    assert!(ws.milestones[1..].iter().all(|m| m.status == S::Unfunded));
    assert_eq!(balance(&svc, Account::Held(m.id)).await, 150_000);

    // Nobody can start before a freelancer is assigned.
    assert!(
        step(&svc, &c.freelancer, m.id, A::Start, StepInput::default())
            .await
            .is_err()
    );
    flow::assign(
        &svc,
        &c.employee,
        out.project_id,
        c.freelancer.id.0,
        &meta("203.0.113.64"),
    )
    .await
    .unwrap();
    assert_eq!(
        step(&svc, &c.freelancer, m.id, A::Start, StepInput::default())
            .await
            .unwrap(),
        S::InProgress
    );

    // A delivery needs notes; the QA analyzer checks it once and staff see its suggestion.
    let e = step(&svc, &c.freelancer, m.id, A::Submit, StepInput::default())
        .await
        .unwrap_err();
    assert!(e.message_for("notes").is_some());
    assert_eq!(
        step(&svc, &c.freelancer, m.id, A::Submit, delivery())
            .await
            .unwrap(),
        S::Submitted
    );
    let staff_view = projects::workspace(&svc, &c.employee, out.project_id)
        .await
        .unwrap();
    assert!(staff_view.milestones[0].qa_suggestion.is_some());
    assert!(projects::workspace(&svc, &c.customer, out.project_id)
        .await
        .unwrap()
        .milestones[0]
        .qa_suggestion
        .is_none());

    // QA must check every criterion.
    let e = step(&svc, &c.employee, m.id, A::QaPass, StepInput::default())
        .await
        .unwrap_err();
    assert!(e.message_for("checklist").is_some());
    assert_eq!(
        step(
            &svc,
            &c.employee,
            m.id,
            A::QaPass,
            all_met(&m.acceptance_criteria)
        )
        .await
        .unwrap(),
        S::AwaitingApproval
    );
    assert!(projects::workspace(&svc, &c.customer, out.project_id)
        .await
        .unwrap()
        .milestones[0]
        .approve_by
        .is_some());

    // The freelancer cannot approve their own work; the customer can.
    assert_eq!(
        step(&svc, &c.freelancer, m.id, A::Approve, StepInput::default()).await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        step(&svc, &c.customer, m.id, A::Approve, StepInput::default())
            .await
            .unwrap(),
        S::Released
    );
    assert_eq!(balance(&svc, Account::Held(m.id)).await, 0);
    assert_eq!(
        balance(&svc, Account::FreelancerPayable(c.freelancer.id.0)).await,
        120_000
    );

    let e = earnings::earnings(&svc, &c.freelancer).await.unwrap();
    assert_eq!(
        (e.gross.minor, e.fees.minor, e.net.minor, e.available.minor),
        (150_000, 30_000, 120_000, 120_000)
    );

    // Payouts: not above the balance, then paid and booked.
    let too_much = earnings::request_payout(&svc, &c.freelancer, "1,500", &meta("203.0.113.65"))
        .await
        .unwrap_err();
    assert_eq!(
        too_much.message_for("amount"),
        Some("You can be paid at most $1,200.00 now.")
    );
    // Paid only to an account of theirs at the provider, set up once.
    let no_account =
        earnings::request_payout(&svc, &c.freelancer, "1,000.50", &meta("203.0.113.65"))
            .await
            .unwrap_err();
    assert_eq!(
        no_account.message_for("amount"),
        Some("Set up where you are paid first (Set up payouts).")
    );
    assert_eq!(e.payout_account, "none");
    let back = earnings::set_up_payouts(&svc, &c.freelancer, &meta("203.0.113.65"))
        .await
        .unwrap();
    assert_eq!(back, "http://localhost:3000/earnings");
    assert_eq!(
        earnings::set_up_payouts(&svc, &c.customer, &meta("203.0.113.65")).await,
        Err(AppError::Forbidden)
    );
    let p = earnings::request_payout(&svc, &c.freelancer, "1,000.50", &meta("203.0.113.65"))
        .await
        .unwrap();
    assert_eq!(p.status, "paid");
    let e = earnings::earnings(&svc, &c.freelancer).await.unwrap();
    assert_eq!((e.available.minor, e.paid_out.minor), (19_950, 100_050));
    assert_eq!(e.payout_account, "ready");
    verify(&svc).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn only_the_customer_assigned_freelancers_and_staff_see_or_act(owner: PgPool) {
    let svc = services(&owner).await;
    let c = cast(&svc).await;
    let (project, ms) = funded_project(&svc, &c).await;

    for (who, party) in [
        (&c.customer, Some(Party::Customer)),
        (&c.freelancer, Some(Party::Freelancer)),
        (&c.employee, Some(Party::Staff)),
        (&c.other_customer, None),
        (&c.expert, None),
    ] {
        let ws = projects::workspace(&svc, who, project).await;
        match party {
            Some(p) => assert_eq!(ws.unwrap().party, p, "{}", who.email),
            None => {
                assert_eq!(ws.unwrap_err(), AppError::NotFound, "{}", who.email);
                assert_eq!(
                    step(&svc, who, ms[0], A::Start, StepInput::default()).await,
                    Err(AppError::NotFound),
                    "{}",
                    who.email
                );
                assert!(
                    projects::list(&svc.db, who).await.unwrap().is_empty(),
                    "{}",
                    who.email
                );
            }
        }
    }
    // Staff may not deliver, customers may not pass QA.
    assert_eq!(
        step(&svc, &c.employee, ms[0], A::Start, StepInput::default()).await,
        Err(AppError::Forbidden)
    );
    // Assigning is for staff.
    assert_eq!(
        flow::assign(
            &svc,
            &c.customer,
            project,
            c.freelancer.id.0,
            &meta("203.0.113.66")
        )
        .await,
        Err(AppError::Forbidden)
    );
    // Only freelancers can be assigned.
    let e = flow::assign(
        &svc,
        &c.employee,
        project,
        c.expert.id.0,
        &meta("203.0.113.66"),
    )
    .await
    .unwrap_err();
    assert!(e.message_for("freelancer").is_some());
    // Nor a freelancer whose profile ops have not approved.
    sqlx::query("UPDATE talent_profiles SET status = 'changes_requested' WHERE user_id = $1")
        .bind(c.freelancer.id.0)
        .execute(&owner)
        .await
        .unwrap();
    let e = flow::assign(
        &svc,
        &c.employee,
        project,
        c.freelancer.id.0,
        &meta("203.0.113.66"),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.message_for("freelancer"),
        Some("Fern Freelancer cannot be assigned until ops approve their freelancer profile.")
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_approve_and_a_dispute_at_once_have_one_winner(owner: PgPool) {
    let svc = services(&owner).await;
    let c = cast(&svc).await;
    let (_, ms) = funded_project(&svc, &c).await;
    let m = ms[0];
    awaiting_approval(&svc, &c, m).await;

    let dispute = StepInput {
        note: "The checkout does not work on phones.".into(),
        ..Default::default()
    };
    let (a, b) = tokio::join!(
        step(&svc, &c.customer, m, A::Approve, StepInput::default()),
        step(&svc, &c.freelancer, m, A::Dispute, dispute),
    );
    assert!(a.is_ok() != b.is_ok(), "exactly one wins: {a:?} {b:?}");
    let approved = a.is_ok();
    let loser = if approved { b } else { a };
    assert!(matches!(loser, Err(AppError::Conflict(_))), "{loser:?}");
    let held = balance(&svc, Account::Held(m)).await;
    let payable = balance(&svc, Account::FreelancerPayable(c.freelancer.id.0)).await;
    if approved {
        assert_eq!((held, payable > 0), (0, true));
    } else {
        assert_eq!((held > 0, payable), (true, 0));
    }
    verify(&svc).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn ops_resolve_a_dispute_with_a_partial_release_and_a_refund(owner: PgPool) {
    let svc = services(&owner).await;
    let c = cast(&svc).await;
    let (_, ms) = funded_project(&svc, &c).await;
    let m = ms[0];
    let amount = sqlx::query_scalar!("SELECT amount_minor FROM milestones WHERE id = $1", m)
        .fetch_one(&svc.db)
        .await
        .unwrap();
    step(&svc, &c.freelancer, m, A::Start, StepInput::default())
        .await
        .unwrap();
    let e = step(&svc, &c.customer, m, A::Dispute, StepInput::default())
        .await
        .unwrap_err();
    assert!(e.message_for("note").is_some());
    step(
        &svc,
        &c.customer,
        m,
        A::Dispute,
        StepInput {
            note: "Nothing was delivered in six weeks.".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // Only ops resolve; a partial release must leave something for each side.
    let res = |r| StepInput {
        note: "Half the work was done.".into(),
        resolution: Some(r),
        ..Default::default()
    };
    assert_eq!(
        step(&svc, &c.customer, m, A::Resolve, res(Resolution::Refund)).await,
        Err(AppError::Forbidden)
    );
    let e = step(
        &svc,
        &c.employee,
        m,
        A::Resolve,
        res(Resolution::Partial(amount)),
    )
    .await
    .unwrap_err();
    assert!(e.message_for("release").is_some());

    let half = amount / 2;
    assert_eq!(
        step(
            &svc,
            &c.employee,
            m,
            A::Resolve,
            res(Resolution::Partial(half))
        )
        .await
        .unwrap(),
        S::Released
    );
    let fee = Money::new(half, Currency::USD).share(2_000).minor;
    assert_eq!(
        balance(&svc, Account::FreelancerPayable(c.freelancer.id.0)).await,
        half - fee
    );
    // The refund went back through the provider: nothing is left owed.
    assert_eq!(balance(&svc, Account::Refunds(c.customer.id.0)).await, 0);
    assert_eq!(balance(&svc, Account::Held(m)).await, 0);
    let ws = projects::workspace(
        &svc,
        &c.customer,
        sqlx::query_scalar!("SELECT project_id FROM milestones WHERE id = $1", m)
            .fetch_one(&svc.db)
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    let mv = &ws.milestones[0];
    assert_eq!(
        (mv.released.minor, mv.refunded.minor),
        (half, amount - half)
    );
    assert_eq!(
        mv.dispute.as_ref().unwrap().outcome.as_deref(),
        Some("partial")
    );
    verify(&svc).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_card_that_needs_the_bank_is_held_once_the_customer_confirms(owner: PgPool) {
    let svc = services(&owner).await;
    let c = cast(&svc).await;
    let draft = wizard::analyze(&svc, &c.customer, None, BRIEF, None)
        .await
        .unwrap();
    let out = wizard::confirm(
        &svc,
        &c.customer,
        draft.id,
        draft.version,
        FundChoice::All,
        "4000 0025 0000 3155",
        &meta("203.0.113.67"),
    )
    .await
    .unwrap();
    assert!(out.needs_action);
    let ws = projects::workspace(&svc, &c.customer, out.project_id)
        .await
        .unwrap();
    assert_eq!(ws.pending_payment, Some(out.payment_id));
    assert!(ws.milestones.iter().all(|m| m.status == S::Unfunded));
    // Someone else cannot confirm it.
    assert_eq!(
        funding::confirm(&svc, &c.other_customer, out.payment_id).await,
        Err(AppError::NotFound)
    );
    let done = funding::confirm(&svc, &c.customer, out.payment_id)
        .await
        .unwrap();
    assert!(!done.needs_action);
    let ws = projects::workspace(&svc, &c.customer, out.project_id)
        .await
        .unwrap();
    assert!(ws.milestones.iter().all(|m| m.status == S::Funded));
    assert_eq!(ws.pending_payment, None);
    // Confirming again changes nothing.
    funding::confirm(&svc, &c.customer, out.payment_id)
        .await
        .unwrap();
    let total: i64 = ws.milestones.iter().map(|m| m.amount.minor).sum();
    assert_eq!(
        balance(&svc, Account::CustomerFunding(c.customer.id.0)).await,
        0
    );
    let mut held = 0;
    for m in &ws.milestones {
        held += balance(&svc, Account::Held(m.id)).await;
    }
    assert_eq!(held, total);
    verify(&svc).await;
}

fn event(id: &str, kind: &str, intent: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id, "type": kind, "data": { "object": { "id": intent, "object": "payment_intent" } }
    }))
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn stripe_events_apply_once_in_any_order(owner: PgPool) {
    let svc = services(&owner).await;
    let c = cast(&svc).await;
    let (project, ms) = funded_project(&svc, &c).await;
    let unfunded = ms[1];

    // The webhook beats the request: the event waits.
    let intent = "pi_test_webhook_1";
    assert_eq!(
        webhook::receive(&svc, &event("evt_1", "payment_intent.succeeded", intent))
            .await
            .unwrap(),
        Received::Deferred
    );
    // Stripe retries it: still one row, still waiting.
    assert_eq!(
        webhook::receive(&svc, &event("evt_1", "payment_intent.succeeded", intent))
            .await
            .unwrap(),
        Received::Deferred
    );

    let amount = sqlx::query_scalar!(
        "SELECT amount_minor FROM milestones WHERE id = $1",
        unfunded
    )
    .fetch_one(&svc.db)
    .await
    .unwrap();
    let mut tx = db::begin(&svc.db).await.unwrap();
    let authorized = ProviderPayment {
        id: intent.into(),
        status: ProviderStatus::Authorized,
        decline_reason: None,
    };
    let payment = funding::record(
        &mut tx,
        &c.customer,
        project,
        &[unfunded],
        Money::new(amount, Currency::USD),
        &authorized,
        "stripe",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // Once the payment is recorded, the waiting event applies.
    assert_eq!(webhook::retry_deferred(&svc).await.unwrap(), 1);
    let status = sqlx::query_scalar!("SELECT status FROM milestones WHERE id = $1", unfunded)
        .fetch_one(&svc.db)
        .await
        .unwrap();
    assert_eq!(status, "funded");
    assert_eq!(balance(&svc, Account::Held(unfunded)).await, amount);

    // Replays and stale events change nothing.
    assert_eq!(
        webhook::receive(&svc, &event("evt_1", "payment_intent.succeeded", intent))
            .await
            .unwrap(),
        Received::Duplicate
    );
    assert_eq!(
        webhook::receive(&svc, &event("evt_2", "payment_intent.succeeded", intent))
            .await
            .unwrap(),
        Received::Applied
    );
    assert_eq!(
        webhook::receive(
            &svc,
            &event("evt_3", "payment_intent.payment_failed", intent)
        )
        .await
        .unwrap(),
        Received::Applied
    );
    let p = sqlx::query_scalar!("SELECT status FROM payments WHERE id = $1", payment)
        .fetch_one(&svc.db)
        .await
        .unwrap();
    assert_eq!(p, "captured");
    assert_eq!(balance(&svc, Account::Held(unfunded)).await, amount);
    assert_eq!(
        webhook::receive(&svc, &event("evt_4", "charge.dispute.created", intent))
            .await
            .unwrap(),
        Received::Ignored
    );
    assert!(webhook::receive(&svc, b"not json").await.is_err());
    verify(&svc).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_approval_window_approves_and_reminds(owner: PgPool) {
    let svc = services(&owner).await;
    let c = cast(&svc).await;
    let (_, ms) = funded_project(&svc, &c).await;
    let m = ms[0];
    awaiting_approval(&svc, &c, m).await;
    assert_eq!(
        flow::remind_due(&svc).await.unwrap(),
        0,
        "seven days out: no reminder yet"
    );
    assert_eq!(flow::auto_approve_due(&svc).await.unwrap(), 0);

    sqlx::query!(
        "UPDATE milestones SET approve_by = now() + interval '1 day' WHERE id = $1",
        m
    )
    .execute(&owner)
    .await
    .unwrap();
    assert_eq!(flow::remind_due(&svc).await.unwrap(), 1);
    assert_eq!(flow::remind_due(&svc).await.unwrap(), 0, "once");
    let mail =
        sqlx::query_scalar!("SELECT subject FROM email_outbox ORDER BY created_at DESC LIMIT 1")
            .fetch_one(&owner)
            .await
            .unwrap();
    assert!(mail.starts_with("Waiting for your approval"), "{mail}");

    sqlx::query!(
        "UPDATE milestones SET approve_by = now() - interval '1 minute' WHERE id = $1",
        m
    )
    .execute(&owner)
    .await
    .unwrap();
    assert_eq!(flow::auto_approve_due(&svc).await.unwrap(), 1);
    let status = sqlx::query_scalar!("SELECT status FROM milestones WHERE id = $1", m)
        .fetch_one(&svc.db)
        .await
        .unwrap();
    assert_eq!(status, "released");
    assert!(balance(&svc, Account::FreelancerPayable(c.freelancer.id.0)).await > 0);
    verify(&svc).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_chat_keeps_history_read_marks_and_its_participants(owner: PgPool) {
    use domain::server::projects::chat;
    use futures::StreamExt;
    let svc = services(&owner).await;
    let c = cast(&svc).await;
    let (project, _) = funded_project(&svc, &c).await;
    let m = meta("203.0.113.70");

    // Everyone on the project hears a new message through Redis, whichever instance posts it.
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let mut sub = redis::Client::open(url)
        .unwrap()
        .get_async_pubsub()
        .await
        .unwrap();
    sub.subscribe(projects::channel(&svc.settings.redis_prefix))
        .await
        .unwrap();

    let e = chat::post(&svc, &c.customer, project, "   ", &[], &m)
        .await
        .unwrap_err();
    assert_eq!(e.message_for("body"), Some("Write a message first."));
    // Files go with a message: shared first, then sent with it, once, by their uploader.
    let notes = projects::workspace::upload(
        &svc,
        &c.customer,
        project,
        None,
        "logo-notes.txt",
        b"Blue and sand, the round mark only.".to_vec(),
        &m,
    )
    .await
    .unwrap();
    let e = chat::post(&svc, &c.freelancer, project, "Mine now", &[notes], &m)
        .await
        .unwrap_err();
    assert!(e.message_for("attachments").is_some(), "{e:?}");
    let first = chat::post(
        &svc,
        &c.customer,
        project,
        "Hi Fern, the logo files are attached.",
        &[notes],
        &m,
    )
    .await
    .unwrap();
    assert_eq!(first.attachments.len(), 1);
    assert_eq!(
        (
            first.attachments[0].name.as_str(),
            first.attachments[0].content_type.as_str()
        ),
        ("logo-notes.txt", "text/plain")
    );
    let again = chat::post(&svc, &c.customer, project, "", &[notes], &m)
        .await
        .unwrap_err();
    assert!(again.message_for("attachments").is_some(), "{again:?}");
    // The upload announced itself first ("files"); the message follows.
    let mut heard = sub.on_message();
    let ev = loop {
        let payload: String = heard.next().await.unwrap().get_payload().unwrap();
        let ev: projects::ProjectEvent = serde_json::from_str(&payload).unwrap();
        if ev.kind != "files" {
            break ev;
        }
    };
    drop(heard);
    assert_eq!((ev.project, ev.kind.as_str()), (project, "message"));
    assert_eq!(ev.data["body"], "Hi Fern, the logo files are attached.");
    assert_eq!(ev.data["attachments"][0]["name"], "logo-notes.txt");

    let reply = chat::post(
        &svc,
        &c.freelancer,
        project,
        "Thanks, starting today.",
        &[],
        &m,
    )
    .await
    .unwrap();
    let staff = chat::post(
        &svc,
        &c.employee,
        project,
        "I am your PM for this project.",
        &[],
        &m,
    )
    .await
    .unwrap();
    assert!(first.id < reply.id && reply.id < staff.id);

    // Outsiders can neither read nor post.
    for who in [&c.other_customer, &c.expert] {
        assert_eq!(
            chat::list(&svc, who, project, None).await.unwrap_err(),
            AppError::NotFound
        );
        assert_eq!(
            chat::post(&svc, who, project, "hello", &[], &m)
                .await
                .unwrap_err(),
            AppError::NotFound
        );
    }

    // Only the author edits or deletes; earlier texts stay in the history.
    assert_eq!(
        chat::revise(&svc, &c.freelancer, first.id, Some("changed"), &m)
            .await
            .unwrap_err(),
        AppError::Forbidden
    );
    let edited = chat::revise(
        &svc,
        &c.customer,
        first.id,
        Some("Hi Fern, the logo files are in the shared folder."),
        &m,
    )
    .await
    .unwrap();
    assert!(edited.edited_at.is_some());
    assert_eq!(
        edited.attachments, first.attachments,
        "an edit keeps the files"
    );
    let deleted = chat::revise(&svc, &c.freelancer, reply.id, None, &m)
        .await
        .unwrap();
    assert!(deleted.deleted && deleted.body.is_empty());
    assert!(
        chat::revise(&svc, &c.freelancer, reply.id, Some("again"), &m)
            .await
            .is_err()
    );
    let h = chat::history(&svc, &c.employee, first.id).await.unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].body, "Hi Fern, the logo files are attached.");
    assert_eq!(
        chat::history(&svc, &c.freelancer, reply.id).await.unwrap()[0].body,
        "Thanks, starting today."
    );

    // Read marks move forward only; writers have read what they wrote.
    chat::mark_read(&svc, &c.customer, project, staff.id)
        .await
        .unwrap();
    chat::mark_read(&svc, &c.customer, project, first.id)
        .await
        .unwrap();
    let view = chat::list(&svc, &c.customer, project, None).await.unwrap();
    assert_eq!(
        view.messages.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![first.id, reply.id, staff.id]
    );
    assert_eq!(view.messages[0].attachments, first.attachments);
    assert!(view.messages[1].attachments.is_empty());
    let read = |u: uuid::Uuid| {
        view.reads
            .iter()
            .find(|r| r.user_id == u)
            .map(|r| r.last_read)
    };
    assert_eq!(read(c.customer.id.0), Some(staff.id));
    assert_eq!(read(c.freelancer.id.0), Some(reply.id));
    assert_eq!(
        chat::mark_read(&svc, &c.customer, project, Uuid::now_v7()).await,
        Err(AppError::NotFound)
    );

    // Presence: who has the workspace open, until they leave.
    assert_eq!(
        chat::heartbeat(&svc, &c.customer, project).await.unwrap(),
        vec!["Cai Customer".to_owned()]
    );
    let both = chat::heartbeat(&svc, &c.freelancer, project).await.unwrap();
    assert_eq!(
        both,
        vec!["Cai Customer".to_owned(), "Fern Freelancer".to_owned()]
    );
    chat::left(&svc, &c.customer, project).await;
    assert_eq!(
        chat::heartbeat(&svc, &c.freelancer, project).await.unwrap(),
        vec!["Fern Freelancer".to_owned()]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn tasks_move_on_the_board_and_the_feed_says_who_did_what(owner: PgPool) {
    use domain::server::projects::workspace::{self as ws, TaskChange};
    use domain::workspace::{Priority, TaskInput, TaskStatus};
    let svc = services(&owner).await;
    let c = cast(&svc).await;
    let (project, _) = funded_project(&svc, &c).await;
    let m = meta("203.0.113.80");

    // Bad input: every field says what is wrong, nothing is written.
    let bad = TaskInput {
        title: " ".into(),
        due: "next friday".into(),
        ..TaskInput::default()
    };
    let e = ws::add_task(&svc, &c.customer, project, &bad, &m)
        .await
        .unwrap_err();
    assert!(e.message_for("title").is_some() && e.message_for("due").is_some());
    // Only people on the project may be assigned.
    let outsider = TaskInput {
        title: "Review copy".into(),
        assignee: c.other_customer.id.0.to_string(),
        ..TaskInput::default()
    };
    let e = ws::add_task(&svc, &c.employee, project, &outsider, &m)
        .await
        .unwrap_err();
    assert!(e.message_for("assignee").is_some());
    assert!(ws::tasks(&svc, &c.customer, project)
        .await
        .unwrap()
        .is_empty());

    let logo = ws::add_task(
        &svc,
        &c.customer,
        project,
        &TaskInput {
            title: "Send the logo files".into(),
            assignee: c.customer.id.0.to_string(),
            due: "2020-01-31".into(),
            priority: "high".into(),
            ..TaskInput::default()
        },
        &m,
    )
    .await
    .unwrap();
    let copy = ws::add_task(
        &svc,
        &c.freelancer,
        project,
        &TaskInput {
            title: "Write the product copy".into(),
            assignee: c.freelancer.id.0.to_string(),
            ..TaskInput::default()
        },
        &m,
    )
    .await
    .unwrap();
    let tasks = ws::tasks(&svc, &c.customer, project).await.unwrap();
    assert_eq!(tasks.len(), 2);
    let t = tasks.iter().find(|t| t.id == logo).unwrap();
    assert_eq!(
        (t.priority, t.status, t.overdue, t.assignee.as_deref()),
        (
            Priority::High,
            TaskStatus::Todo,
            true,
            Some(c.customer.display_name.as_str())
        )
    );
    // The customer changes their own tasks, not the freelancer's.
    let theirs = tasks.iter().find(|t| t.id == copy).unwrap();
    assert!(t.editable && !theirs.editable);
    assert_eq!(
        ws::change_task(
            &svc,
            &c.customer,
            copy,
            theirs.version,
            TaskChange::Move(TaskStatus::Done),
            &m
        )
        .await,
        Err(AppError::Forbidden)
    );
    // People off the project do not see that it exists.
    assert_eq!(
        ws::change_task(&svc, &c.other_customer, copy, 1, TaskChange::Remove, &m).await,
        Err(AppError::NotFound)
    );
    assert_eq!(
        ws::tasks(&svc, &c.other_customer, project)
            .await
            .unwrap_err(),
        AppError::NotFound
    );

    // The freelancer moves it; a second move from the same stale view is refused.
    ws::change_task(
        &svc,
        &c.freelancer,
        copy,
        1,
        TaskChange::Move(TaskStatus::Doing),
        &m,
    )
    .await
    .unwrap();
    assert!(matches!(
        ws::change_task(
            &svc,
            &c.employee,
            copy,
            1,
            TaskChange::Move(TaskStatus::Done),
            &m
        )
        .await,
        Err(AppError::Conflict(_))
    ));
    ws::change_task(
        &svc,
        &c.employee,
        copy,
        2,
        TaskChange::Move(TaskStatus::Done),
        &m,
    )
    .await
    .unwrap();
    ws::change_task(&svc, &c.customer, logo, 1, TaskChange::Remove, &m)
        .await
        .unwrap();
    let tasks = ws::tasks(&svc, &c.freelancer, project).await.unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        (tasks[0].status, tasks[0].overdue),
        (TaskStatus::Done, false)
    );

    let view = projects::workspace(&svc, &c.customer, project)
        .await
        .unwrap();
    let feed: Vec<String> = view
        .activity
        .iter()
        .map(|a| format!("{}: {}", a.actor.clone().unwrap_or_default(), a.summary))
        .collect();
    let f = &c.freelancer.display_name;
    let e = &c.employee.display_name;
    let cu = &c.customer.display_name;
    assert_eq!(
        feed[..5],
        [
            format!("{cu}: removed the task “Send the logo files”"),
            format!("{e}: moved “Write the product copy” to Done"),
            format!("{f}: moved “Write the product copy” to In progress"),
            format!("{f}: added the task “Write the product copy”"),
            format!("{cu}: added the task “Send the logo files”"),
        ]
    );
    // The project's start is in the feed too: created, funded, assigned.
    assert!(
        feed.iter()
            .any(|l| l == &format!("{cu}: created the project")),
        "{feed:?}"
    );
    assert!(
        feed.iter()
            .any(|l| l.starts_with(&format!("{cu}: milestone “")) && l.ends_with(": funded")),
        "{feed:?}"
    );
    assert!(
        feed.iter()
            .any(|l| l == &format!("{e}: assigned {f} to deliver the project")),
        "{feed:?}"
    );
    verify(&svc).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn files_are_shared_only_with_the_projects_people(owner: PgPool) {
    use domain::server::projects::workspace as ws;
    let svc = services(&owner).await;
    let c = cast(&svc).await;
    let (project, ms) = funded_project(&svc, &c).await;
    let m = meta("203.0.113.81");

    let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\n".to_vec();
    let id = ws::upload(
        &svc,
        &c.freelancer,
        project,
        Some(ms[0]),
        "Mockups v1.pdf",
        pdf.clone(),
        &m,
    )
    .await
    .unwrap();
    // A program renamed as a picture is refused with a message, and nothing is listed.
    let e = ws::upload(
        &svc,
        &c.customer,
        project,
        None,
        "photo.png",
        b"MZ\x90\x00\x03".to_vec(),
        &m,
    )
    .await
    .unwrap_err();
    assert!(e.message_for("file").unwrap().contains("photo.png"));
    // A milestone of another project is refused.
    let e = ws::upload(
        &svc,
        &c.customer,
        project,
        Some(Uuid::now_v7()),
        "a.txt",
        b"hi".to_vec(),
        &m,
    )
    .await
    .unwrap_err();
    assert!(e.message_for("milestone").is_some());
    // Outsiders can neither share nor fetch.
    assert_eq!(
        ws::upload(
            &svc,
            &c.other_customer,
            project,
            None,
            "a.txt",
            b"hi".to_vec(),
            &m
        )
        .await,
        Err(AppError::NotFound)
    );
    assert!(matches!(
        ws::download(&svc, &c.other_customer, id).await,
        Err(AppError::NotFound)
    ));

    let files = ws::files(&svc, &c.customer, project).await.unwrap();
    assert_eq!(files.len(), 1);
    let f = &files[0];
    assert_eq!(
        (
            f.name.as_str(),
            f.content_type.as_str(),
            f.bytes,
            f.removable
        ),
        ("Mockups v1.pdf", "application/pdf", pdf.len() as i64, false)
    );
    assert!(f.milestone.is_some());
    let got = ws::download(&svc, &c.employee, id).await.unwrap();
    assert_eq!(got.bytes.as_ref(), pdf.as_slice());
    assert_eq!(got.content_type, "application/pdf");

    // Only its uploader or staff remove it; then it is neither listed nor served.
    assert_eq!(
        ws::remove_file(&svc, &c.customer, id, &m).await,
        Err(AppError::Forbidden)
    );
    ws::remove_file(&svc, &c.freelancer, id, &m).await.unwrap();
    assert!(ws::files(&svc, &c.customer, project)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        ws::download(&svc, &c.customer, id).await,
        Err(AppError::NotFound)
    ));
    let view = projects::workspace(&svc, &c.customer, project)
        .await
        .unwrap();
    assert_eq!(
        view.activity[0].summary,
        "removed the file “Mockups v1.pdf”"
    );
    assert_eq!(view.activity[1].summary, "shared the file “Mockups v1.pdf”");
    verify(&svc).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_automation_rules_raise_each_finding_once_and_staff_act_on_them(owner: PgPool) {
    use domain::automation::AlertRule;
    use domain::server::projects::automation::{self, Handling};
    let svc = services(&owner).await;
    let c = cast(&svc).await;
    let (project, ms) = funded_project(&svc, &c).await;
    let m = meta("203.0.113.82");

    // A new project gets a suggested PM as it is created; nothing else is wrong yet, and a
    // rerun (or a restart) raises nothing new.
    let open = automation::alerts(&svc).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].rule, AlertRule::PmSuggested);
    assert_eq!(automation::run(&svc).await.unwrap().total(), 0);

    // The first milestone is late and its funds have been held for 50 days; the second is
    // delivered and waiting for a customer who has said nothing for 4 days.
    sqlx::query("UPDATE milestones SET due_at = now() - interval '3 days', funded_at = now() - interval '50 days' WHERE id = $1")
        .bind(ms[0])
        .execute(&owner)
        .await
        .unwrap();
    funding::fund(&svc, &c.customer, project, &[ms[1]], "4242 4242 4242 4242")
        .await
        .unwrap();
    awaiting_approval(&svc, &c, ms[1]).await;
    sqlx::query("UPDATE milestone_events SET created_at = now() - interval '4 days' WHERE milestone_id = $1 AND action = 'qa_pass'")
        .bind(ms[1])
        .execute(&owner)
        .await
        .unwrap();
    // The freelancer's rating fell to 3.1 over 8 reviews.
    sqlx::query("UPDATE talent_profiles SET rating = 3.1, reviews = 8 WHERE user_id = $1")
        .bind(c.freelancer.id.0)
        .execute(&owner)
        .await
        .unwrap();
    let found = automation::run(&svc).await.unwrap();
    assert_eq!(
        (
            found.overdue,
            found.held_long,
            found.idle,
            found.low_ratings,
            found.pm_suggested
        ),
        (1, 1, 1, 1, 0)
    );
    assert_eq!(automation::run(&svc).await.unwrap().total(), 0);

    let alerts = automation::alerts(&svc).await.unwrap();
    let by = |r: AlertRule| alerts.iter().find(|a| a.rule == r).unwrap().clone();
    assert!(by(AlertRule::MilestoneOverdue)
        .title
        .ends_with("is 3 days past due"));
    assert!(by(AlertRule::FundsHeldLong).title.contains("for 50 days"));
    let idle = by(AlertRule::CustomerIdle);
    assert!(
        idle.body.starts_with("Hi Cai,") && idle.body.contains("4 days ago"),
        "{}",
        idle.body
    );
    let audit = by(AlertRule::RatingLow);
    assert!(
        audit.title.contains("rated 3.1 over 8 reviews") && audit.project_id.is_none(),
        "{}",
        audit.title
    );
    let pm = by(AlertRule::PmSuggested);
    assert_eq!(
        pm.suggested.as_deref(),
        Some(c.employee.display_name.as_str())
    );

    // Only staff handle alerts; accepting the PM puts them on the project; twice is refused.
    assert_eq!(
        automation::handle(&svc, &c.customer, pm.id, Handling::Accept, &m).await,
        Err(AppError::Forbidden)
    );
    automation::handle(&svc, &c.employee, pm.id, Handling::Accept, &m)
        .await
        .unwrap();
    assert!(matches!(
        automation::handle(&svc, &c.employee, pm.id, Handling::Dismiss, &m).await,
        Err(AppError::Conflict(_))
    ));
    // Only a suggestion can be accepted.
    assert!(matches!(
        automation::handle(&svc, &c.employee, idle.id, Handling::Accept, &m).await,
        Err(AppError::BadRequest(_))
    ));
    automation::handle(&svc, &c.employee, idle.id, Handling::Done, &m)
        .await
        .unwrap();
    let ws = projects::workspace(&svc, &c.customer, project)
        .await
        .unwrap();
    assert!(ws
        .members
        .iter()
        .any(|x| x.id == c.employee.id.0 && x.role == "pm"));
    assert_eq!(
        ws.activity[0].summary,
        format!("made {} the project's PM", c.employee.display_name)
    );
    let alerts = automation::alerts(&svc).await.unwrap();
    assert_eq!(alerts.iter().filter(|a| a.status == "open").count(), 3);
    verify(&svc).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn receipts_and_fee_invoices_are_issued_once_numbered_and_shown_to_their_readers(
    owner: PgPool,
) {
    use domain::invoice::DocKind;
    use domain::server::invoices;
    let svc = services(&owner).await;
    let c = cast(&svc).await;
    let (project, ms) = funded_project(&svc, &c).await;

    // The customer's receipt: listed, issued on first asking, numbered, the same every time,
    // once even when asked for twice at once.
    let links = invoices::for_project(&svc, &c.customer, project)
        .await
        .unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].kind, DocKind::Receipt);
    let payment = links[0].subject;
    let (a, b) = tokio::join!(
        invoices::receipt_for(&svc, &c.customer, payment),
        invoices::receipt_for(&svc, &c.employee, payment),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b);
    assert!(
        a.number.starts_with("R-") && a.number.ends_with("000001"),
        "{}",
        a.number
    );
    assert_eq!(a.total, links[0].amount);
    assert_eq!(a.to.name, "Cai Customer");
    let issued: i64 = sqlx::query_scalar("SELECT count(*) FROM documents")
        .fetch_one(&owner)
        .await
        .unwrap();
    assert_eq!(issued, 1);
    // Not the freelancer's, nor another customer's: as if it did not exist.
    for who in [&c.freelancer, &c.other_customer] {
        assert_eq!(
            invoices::receipt_for(&svc, who, payment).await.unwrap_err(),
            AppError::NotFound
        );
    }

    // No fee invoice before the release; after it, the freelancer's, with the fee.
    assert!(matches!(
        invoices::fee_invoice_for(&svc, &c.freelancer, ms[0]).await,
        Err(AppError::Conflict(_))
    ));
    awaiting_approval(&svc, &c, ms[0]).await;
    step(&svc, &c.customer, ms[0], A::Approve, StepInput::default())
        .await
        .unwrap();
    let links = invoices::for_project(&svc, &c.freelancer, project)
        .await
        .unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].kind, DocKind::FeeInvoice);
    let inv = invoices::fee_invoice_for(&svc, &c.freelancer, ms[0])
        .await
        .unwrap();
    assert!(inv.number.starts_with("FI-"), "{}", inv.number);
    assert_eq!(inv.total, links[0].amount);
    let released: i64 = sqlx::query_scalar("SELECT released_minor FROM milestones WHERE id = $1")
        .bind(ms[0])
        .fetch_one(&owner)
        .await
        .unwrap();
    assert_eq!(inv.total.minor, released / 5, "the default 20 % fee");
    assert_eq!(
        invoices::fee_invoice_for(&svc, &c.customer, ms[0])
            .await
            .unwrap_err(),
        AppError::NotFound
    );
    let pdf = invoices::pdf(&inv);
    assert!(pdf.starts_with(b"%PDF-"));
    // Staff see both kinds on the project.
    assert_eq!(
        invoices::for_project(&svc, &c.employee, project)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn ops_take_a_release_back_the_fee_returns_and_both_sides_get_credit_notes(owner: PgPool) {
    use domain::invoice::DocKind;
    use domain::server::invoices;
    let svc = services(&owner).await;
    let c = cast(&svc).await;
    let (project, ms) = funded_project(&svc, &c).await;
    let m = ms[0];
    awaiting_approval(&svc, &c, m).await;
    step(&svc, &c.customer, m, A::Approve, StepInput::default())
        .await
        .unwrap();
    let amount: i64 = sqlx::query_scalar("SELECT amount_minor FROM milestones WHERE id = $1")
        .bind(m)
        .fetch_one(&owner)
        .await
        .unwrap();
    let fee = Money::new(amount, Currency::USD).share(2_000).minor;
    let revenue_before = balance(&svc, Account::PlatformRevenue).await;
    // The receipt and the fee invoice exist before the refund, so the credit notes name them.
    let payment = invoices::for_project(&svc, &c.customer, project)
        .await
        .unwrap()[0]
        .subject;
    let receipt = invoices::receipt_for(&svc, &c.customer, payment)
        .await
        .unwrap();
    let invoice = invoices::fee_invoice_for(&svc, &c.freelancer, m)
        .await
        .unwrap();

    let why = |note: &str| StepInput {
        note: note.into(),
        ..Default::default()
    };
    for who in [&c.customer, &c.freelancer] {
        assert_eq!(
            step(&svc, who, m, A::Reverse, why("The work was plagiarised.")).await,
            Err(AppError::Forbidden)
        );
    }
    let e = step(&svc, &c.employee, m, A::Reverse, why("refund"))
        .await
        .unwrap_err();
    assert!(e.message_for("note").is_some(), "{e:?}");
    assert_eq!(
        step(
            &svc,
            &c.employee,
            m,
            A::Reverse,
            why("The delivered design was copied from a template.")
        )
        .await
        .unwrap(),
        S::Refunded
    );
    // Taken back once: a second try is refused and moves nothing.
    assert!(matches!(
        step(
            &svc,
            &c.employee,
            m,
            A::Reverse,
            why("The delivered design was copied from a template.")
        )
        .await,
        Err(AppError::Conflict(_))
    ));

    // The freelancer's share and the fee came back, and the customer was repaid through the
    // provider: nothing is left owed to anyone.
    assert_eq!(
        balance(&svc, Account::FreelancerPayable(c.freelancer.id.0)).await,
        0
    );
    assert_eq!(
        balance(&svc, Account::PlatformRevenue).await,
        revenue_before - fee
    );
    assert_eq!(balance(&svc, Account::Held(m)).await, 0);
    assert_eq!(balance(&svc, Account::Refunds(c.customer.id.0)).await, 0);
    let (status, attempts, refund): (String, i32, Uuid) =
        sqlx::query_as("SELECT status, attempts, id FROM refunds WHERE milestone_id = $1")
            .bind(m)
            .fetch_one(&owner)
            .await
            .unwrap();
    assert_eq!((status.as_str(), attempts), ("paid", 1));
    let refunded: i64 = sqlx::query_scalar("SELECT refunded_minor FROM payments WHERE id = $1")
        .bind(payment)
        .fetch_one(&owner)
        .await
        .unwrap();
    assert_eq!(refunded, amount);
    verify(&svc).await;

    // The freelancer's earnings say what was taken back.
    let e = earnings::earnings(&svc, &c.freelancer).await.unwrap();
    assert_eq!(e.lines.len(), 1);
    assert_eq!(e.lines[0].reversed.map(|r| r.minor), Some(amount));
    assert_eq!((e.gross.minor, e.fees.minor, e.net.minor), (0, 0, 0));
    assert_eq!(e.available.minor, 0);

    // A credit note for the customer, a fee credit note for the freelancer: each names the
    // document it credits and is for its reader only.
    let links = invoices::for_project(&svc, &c.customer, project)
        .await
        .unwrap();
    let kinds: Vec<DocKind> = links.iter().map(|l| l.kind).collect();
    assert_eq!(kinds, vec![DocKind::Receipt, DocKind::CreditNote]);
    assert_eq!(links[1].subject, refund);
    let cn = invoices::credit_note_for(&svc, &c.customer, refund)
        .await
        .unwrap();
    assert!(cn.number.starts_with("CN-"), "{}", cn.number);
    assert_eq!(cn.total.minor, amount);
    assert_eq!(
        cn.notes[0],
        format!("This credits receipt {}.", receipt.number)
    );
    let fcn = invoices::fee_credit_note_for(&svc, &c.freelancer, m)
        .await
        .unwrap();
    assert!(fcn.number.starts_with("FCN-"), "{}", fcn.number);
    assert_eq!(fcn.total.minor, fee);
    assert!(fcn
        .notes
        .contains(&format!("This credits fee invoice {}.", invoice.number)));
    assert_eq!(
        invoices::credit_note_for(&svc, &c.freelancer, refund)
            .await
            .unwrap_err(),
        AppError::NotFound
    );
    for who in [&c.customer, &c.other_customer] {
        assert_eq!(
            invoices::fee_credit_note_for(&svc, who, m)
                .await
                .unwrap_err(),
            AppError::NotFound
        );
    }
    let kinds: Vec<DocKind> = invoices::for_project(&svc, &c.freelancer, project)
        .await
        .unwrap()
        .iter()
        .map(|l| l.kind)
        .collect();
    assert_eq!(kinds, vec![DocKind::FeeInvoice, DocKind::FeeCreditNote]);
    assert!(invoices::pdf(&cn).starts_with(b"%PDF-"));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_release_already_paid_out_is_not_taken_back(owner: PgPool) {
    let svc = services(&owner).await;
    let c = cast(&svc).await;
    let (_, ms) = funded_project(&svc, &c).await;
    let m = ms[0];
    awaiting_approval(&svc, &c, m).await;
    step(&svc, &c.customer, m, A::Approve, StepInput::default())
        .await
        .unwrap();
    let available = balance(&svc, Account::FreelancerPayable(c.freelancer.id.0)).await;
    earnings::set_up_payouts(&svc, &c.freelancer, &meta("203.0.113.63"))
        .await
        .unwrap();
    earnings::request_payout(
        &svc,
        &c.freelancer,
        &Money::new(available, Currency::USD).to_string(),
        &meta("203.0.113.63"),
    )
    .await
    .unwrap();
    let e = step(
        &svc,
        &c.employee,
        m,
        A::Reverse,
        StepInput {
            note: "The customer reported the site down.".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    match e {
        AppError::Conflict(msg) => assert!(msg.contains("paid out"), "{msg}"),
        other => panic!("{other:?}"),
    }
    let status: String = sqlx::query_scalar("SELECT status FROM milestones WHERE id = $1")
        .bind(m)
        .fetch_one(&owner)
        .await
        .unwrap();
    assert_eq!(status, "released");
    let refunds: i64 = sqlx::query_scalar("SELECT count(*) FROM refunds")
        .fetch_one(&owner)
        .await
        .unwrap();
    assert_eq!(refunds, 0);
    verify(&svc).await;
}

/// A payment provider that speaks Stripe's refunds API and fails as told: `unavailable` more
/// answers of 503 first, or 400 (a refusal it will repeat) while `refuse` is set. It keeps the
/// idempotency key of every call.
#[derive(Clone, Default)]
struct FlakyStripe {
    unavailable: std::sync::Arc<std::sync::atomic::AtomicU32>,
    refuse: std::sync::Arc<std::sync::atomic::AtomicBool>,
    keys: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

async fn flaky_stripe(f: FlakyStripe) -> String {
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    use std::sync::atomic::Ordering;
    async fn refunds(
        axum::extract::State(f): axum::extract::State<FlakyStripe>,
        headers: HeaderMap,
    ) -> axum::response::Response {
        let key = headers
            .get("Idempotency-Key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        f.keys.lock().unwrap().push(key.clone());
        if f.refuse.load(Ordering::SeqCst) {
            let body =
                serde_json::json!({ "error": { "message": "Charge ch_1 has been disputed." } });
            return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
        }
        if f.unavailable
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            let body = serde_json::json!({ "error": { "message": "Service unavailable" } });
            return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
        }
        let id = format!("re_{}", &key.replace([':', '-'], "")[..16]);
        axum::Json(serde_json::json!({ "id": id, "object": "refund", "status": "succeeded" }))
            .into_response()
    }
    serve_stripe(
        axum::Router::new()
            .route("/v1/refunds", axum::routing::post(refunds))
            .with_state(f),
    )
    .await
}

#[sqlx::test(migrations = "../migrations")]
async fn refunds_the_provider_does_not_take_are_retried_and_ops_are_told(owner: PgPool) {
    use domain::server::projects::automation::{self, Handling};
    use domain::server::projects::refunds;
    use std::sync::atomic::Ordering;
    let svc = services(&owner).await;
    let c = cast(&svc).await;
    let (_, first) = funded_project(&svc, &c).await;
    let (_, second) = funded_project(&svc, &c).await;
    // Funded through the built-in provider; refunds go to a Stripe that fails as told.
    let flaky = FlakyStripe::default();
    let svc = on_stripe(svc, flaky_stripe(flaky.clone()).await);
    let dispute_and_refund = |m: Uuid| {
        let (svc, c) = (&svc, &c);
        async move {
            step(svc, &c.freelancer, m, A::Start, StepInput::default())
                .await
                .unwrap();
            step(
                svc,
                &c.customer,
                m,
                A::Dispute,
                StepInput {
                    note: "Nothing was delivered in six weeks.".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            step(
                svc,
                &c.employee,
                m,
                A::Resolve,
                StepInput {
                    note: "No delivery; the customer is refunded.".into(),
                    resolution: Some(Resolution::Refund),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
        }
    };
    let state = |m: Uuid| {
        let owner = owner.clone();
        async move {
            sqlx::query_as::<_, (Uuid, String, i32)>(
                "SELECT id, status, attempts FROM refunds WHERE milestone_id = $1",
            )
            .bind(m)
            .fetch_one(&owner)
            .await
            .unwrap()
        }
    };
    let due_now = || async {
        sqlx::query("UPDATE refunds SET next_attempt_at = now() WHERE status = 'pending'")
            .execute(&owner)
            .await
            .unwrap();
    };

    // The provider is down for two attempts: the dispute is resolved all the same, the refund
    // waits, and the scheduler pays it once its wait is over, under one idempotency key.
    flaky.unavailable.store(2, Ordering::SeqCst);
    assert_eq!(dispute_and_refund(first[0]).await, S::Refunded);
    let (refund, status, attempts) = state(first[0]).await;
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    assert_eq!(refunds::retry_due(&svc).await.unwrap(), 0, "not due yet");
    due_now().await;
    assert_eq!(refunds::retry_due(&svc).await.unwrap(), 0);
    assert_eq!(state(first[0]).await.2, 2);
    due_now().await;
    assert_eq!(refunds::retry_due(&svc).await.unwrap(), 1);
    assert_eq!(state(first[0]).await.1, "paid");
    assert_eq!(balance(&svc, Account::Refunds(c.customer.id.0)).await, 0);
    let keys = flaky.keys.lock().unwrap().clone();
    assert_eq!(keys, vec![format!("refund:{refund}"); 3]);
    // Paid refunds are not tried again.
    due_now().await;
    assert_eq!(refunds::retry_due(&svc).await.unwrap(), 0);
    assert_eq!(flaky.keys.lock().unwrap().len(), 3);

    // A refusal the provider will repeat fails at once, stays owed, and admins are told once.
    flaky.refuse.store(true, Ordering::SeqCst);
    dispute_and_refund(second[0]).await;
    let (refund, status, _) = state(second[0]).await;
    assert_eq!(status, "failed");
    let owed = balance(&svc, Account::Refunds(c.customer.id.0)).await;
    assert!(owed > 0);
    due_now().await;
    refunds::retry_due(&svc).await.unwrap();
    assert_eq!(
        state(second[0]).await.2,
        1,
        "failed refunds wait for a person"
    );
    assert_eq!(automation::run(&svc).await.unwrap().refunds_failing, 1);
    assert_eq!(automation::run(&svc).await.unwrap().refunds_failing, 0);
    let alert = automation::alerts(&svc)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.rule == domain::automation::AlertRule::RefundFailing)
        .unwrap();
    assert!(alert.retry);
    assert!(
        alert.body.contains("Charge ch_1 has been disputed"),
        "{}",
        alert.body
    );
    // Trying again while the provider still refuses keeps the alert open and says why.
    match automation::handle(
        &svc,
        &c.employee,
        alert.id,
        Handling::Accept,
        &meta("203.0.113.64"),
    )
    .await
    {
        Err(AppError::Conflict(m)) => assert!(m.contains("still did not take"), "{m}"),
        other => panic!("{other:?}"),
    }
    // Once the cause is fixed, trying again pays it and closes the alert.
    flaky.refuse.store(false, Ordering::SeqCst);
    automation::handle(
        &svc,
        &c.employee,
        alert.id,
        Handling::Accept,
        &meta("203.0.113.64"),
    )
    .await
    .unwrap();
    assert_eq!(state(second[0]).await.1, "paid");
    assert_eq!(balance(&svc, Account::Refunds(c.customer.id.0)).await, 0);
    assert_eq!(
        flaky.keys.lock().unwrap().last().unwrap(),
        &format!("refund:{refund}")
    );
    let status: String = sqlx::query_scalar("SELECT status FROM ops_alerts WHERE id = $1")
        .bind(alert.id)
        .fetch_one(&owner)
        .await
        .unwrap();
    assert_eq!(status, "accepted");
    verify(&svc).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn staff_check_a_projects_risk_and_accepting_puts_its_actions_on_the_board(owner: PgPool) {
    use domain::ai::RiskLevel;
    use domain::server::projects::{risk, workspace};
    let svc = services(&owner).await;
    let c = cast(&svc).await;
    let (project, ms) = funded_project(&svc, &c).await;
    // Work started, the milestone ten days late and a task past its date.
    step(&svc, &c.freelancer, ms[0], A::Start, StepInput::default())
        .await
        .unwrap();
    sqlx::query("UPDATE milestones SET due_at = now() - interval '9 days 23 hours' WHERE id = $1")
        .bind(ms[0])
        .execute(&owner)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO project_tasks (id, project_id, title, due_on, created_by)
         VALUES ($1, $2, 'Wire the checkout', current_date - 3, $3)",
    )
    .bind(Uuid::now_v7())
    .bind(project)
    .bind(c.freelancer.id.0)
    .execute(&owner)
    .await
    .unwrap();

    // Staff only: the project's other people are refused, strangers do not see the project.
    for who in [&c.customer, &c.freelancer] {
        assert_eq!(
            risk::assess(&svc, who, project).await.unwrap_err(),
            AppError::Forbidden
        );
    }
    assert_eq!(
        risk::current(&svc, &c.other_customer, project)
            .await
            .unwrap_err(),
        AppError::NotFound
    );
    assert_eq!(
        risk::current(&svc, &c.employee, project).await.unwrap(),
        None
    );

    let r = risk::assess(&svc, &c.employee, project).await.unwrap();
    assert_eq!(r.level, RiskLevel::High);
    assert!(
        r.signals
            .iter()
            .any(|s| s.kind == "delay" && s.detail.contains("10 day(s) overdue")),
        "{:?}",
        r.signals
    );
    assert!(r
        .signals
        .iter()
        .any(|s| s.detail == "1 of 1 open tasks are past due"));
    assert_eq!(r.actions.len(), 2, "{:?}", r.actions);
    assert_eq!(
        risk::current(&svc, &c.employee, project).await.unwrap(),
        Some(r.clone())
    );
    // Logged as an AI run about the project (runs are read in the platform's scope).
    let mut tx = domain::server::db::platform_tx(&svc.db).await.unwrap();
    let logged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ai_runs WHERE analyzer = 'project_risk' AND subject = $1",
    )
    .bind(format!("project:{project}"))
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(logged, 1);

    // Accepting puts each suggested action on the board, once.
    let added = risk::decide(
        &svc,
        &c.employee,
        project,
        r.run,
        true,
        &meta("203.0.113.66"),
    )
    .await
    .unwrap();
    assert_eq!(added, 2);
    let board = workspace::tasks(&svc, &c.customer, project).await.unwrap();
    for action in &r.actions {
        let t = board.iter().find(|t| &t.title == action).expect(action);
        assert_eq!(t.priority.as_str(), "high");
        assert!(
            t.notes.starts_with("From the AI risk check (high risk)"),
            "{}",
            t.notes
        );
    }
    assert!(matches!(
        risk::decide(
            &svc,
            &c.employee,
            project,
            r.run,
            true,
            &meta("203.0.113.66")
        )
        .await,
        Err(AppError::Conflict(_))
    ));
    assert_eq!(
        workspace::tasks(&svc, &c.customer, project)
            .await
            .unwrap()
            .len(),
        3
    );
    let now = risk::current(&svc, &c.employee, project)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.decision.as_deref(), Some("accepted"));

    // A newer check replaces it: the old one can no longer be decided; dismissing adds nothing.
    let r2 = risk::assess(&svc, &c.employee, project).await.unwrap();
    assert!(matches!(
        risk::decide(
            &svc,
            &c.employee,
            project,
            r.run,
            false,
            &meta("203.0.113.66")
        )
        .await,
        Err(AppError::Conflict(_))
    ));
    assert_eq!(
        risk::decide(
            &svc,
            &c.employee,
            project,
            r2.run,
            false,
            &meta("203.0.113.66")
        )
        .await
        .unwrap(),
        0
    );
    assert_eq!(
        workspace::tasks(&svc, &c.customer, project)
            .await
            .unwrap()
            .len(),
        3,
        "dismissing adds no task"
    );
    let feed = workspace::activity(&svc, &c.customer, project)
        .await
        .unwrap();
    assert!(feed
        .iter()
        .any(|a| a.summary.contains("accepted the AI risk check (high risk)")));
    assert!(feed
        .iter()
        .any(|a| a.summary.contains("dismissed the AI risk check")));
}

/// Stripe's Connect endpoints as a local server: one Express account, ready once `ready` is
/// set; it keeps what each call carried.
#[derive(Clone, Default)]
struct ConnectStripe {
    ready: std::sync::Arc<std::sync::atomic::AtomicBool>,
    calls: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

async fn connect_stripe(s: ConnectStripe) -> String {
    use axum::extract::{Form, State};
    use axum::http::HeaderMap;
    use axum::routing::{get, post};
    use axum::Json;
    use serde_json::{json, Value};
    use std::collections::HashMap;
    type F = Form<HashMap<String, String>>;
    fn note(s: &ConnectStripe, what: String) {
        s.calls.lock().unwrap().push(what);
    }
    fn header(h: &HeaderMap, name: &str) -> String {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_owned()
    }
    let app = axum::Router::new()
        .route(
            "/v1/accounts",
            post(|State(s): State<ConnectStripe>, Form(f): F| async move {
                note(&s, format!("account {} {}", f["type"], f["email"]));
                Json(json!({ "id": "acct_test1" }))
            }),
        )
        .route(
            "/v1/account_links",
            post(|State(s): State<ConnectStripe>, Form(f): F| async move {
                note(
                    &s,
                    format!("link {} back to {}", f["account"], f["return_url"]),
                );
                Json(json!({ "url": "https://connect.stripe.test/setup/acct_test1" }))
            }),
        )
        .route(
            "/v1/accounts/{id}",
            get(|State(s): State<ConnectStripe>| async move {
                let ready = s.ready.load(std::sync::atomic::Ordering::SeqCst);
                Json(json!({
                    "id": "acct_test1",
                    "payouts_enabled": ready,
                    "capabilities": { "transfers": if ready { "active" } else { "inactive" } }
                }))
            }),
        )
        .route(
            "/v1/transfers",
            post(
                |State(s): State<ConnectStripe>, h: HeaderMap, Form(f): F| async move {
                    note(
                        &s,
                        format!(
                            "transfer {} {} to {} key {}",
                            f["amount"],
                            f["currency"],
                            f["destination"],
                            header(&h, "Idempotency-Key")
                        ),
                    );
                    Json(json!({ "id": "tr_1" }))
                },
            ),
        )
        .route(
            "/v1/payouts",
            post(
                |State(s): State<ConnectStripe>, h: HeaderMap, Form(f): F| async move {
                    note(
                        &s,
                        format!(
                            "payout {} {} as {} key {}",
                            f["amount"],
                            f["currency"],
                            header(&h, "Stripe-Account"),
                            header(&h, "Idempotency-Key")
                        ),
                    );
                    Json::<Value>(json!({ "id": "po_1", "status": "pending" }))
                },
            ),
        )
        .with_state(s);
    serve_stripe(app).await
}

/// The services with payments going to the Stripe API at `base_url`, with no retries.
fn on_stripe(svc: Services, base_url: String) -> Services {
    use domain::server::payments::provider::{StripeConfig, StripeProvider};
    let mut config = StripeConfig::new("sk_test_local");
    config.base_url = base_url;
    config.retries = 0;
    Services {
        payments: std::sync::Arc::new(StripeProvider::new(config).unwrap()),
        ..svc
    }
}

/// Serves a local stand-in for Stripe's API and answers its base URL.
async fn serve_stripe(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[sqlx::test(migrations = "../migrations")]
async fn freelancers_are_paid_through_their_connected_account(owner: PgPool) {
    use std::sync::atomic::Ordering;
    let svc = services(&owner).await;
    let c = cast(&svc).await;
    let (_, ms) = funded_project(&svc, &c).await;
    awaiting_approval(&svc, &c, ms[0]).await;
    step(&svc, &c.customer, ms[0], A::Approve, StepInput::default())
        .await
        .unwrap();
    let stripe = ConnectStripe::default();
    let svc = on_stripe(svc, connect_stripe(stripe.clone()).await);
    let m = meta("203.0.113.67");
    let before = balance(&svc, Account::FreelancerPayable(c.freelancer.id.0)).await;
    assert!(before > 10_000);

    // Setting up opens an Express account once and sends the freelancer to Stripe's form.
    let url = earnings::set_up_payouts(&svc, &c.freelancer, &m)
        .await
        .unwrap();
    assert_eq!(url, "https://connect.stripe.test/setup/acct_test1");
    assert_eq!(
        earnings::set_up_payouts(&svc, &c.freelancer, &m)
            .await
            .unwrap(),
        url
    );
    assert_eq!(
        earnings::earnings(&svc, &c.freelancer)
            .await
            .unwrap()
            .payout_account,
        "onboarding"
    );
    let e = earnings::request_payout(&svc, &c.freelancer, "100", &m)
        .await
        .unwrap_err();
    assert_eq!(
        e.message_for("amount"),
        Some("Finish setting up where you are paid first (Set up payouts).")
    );

    // Once Stripe says payouts are on, the money goes to the account, then to the bank.
    stripe.ready.store(true, Ordering::SeqCst);
    assert_eq!(
        earnings::earnings(&svc, &c.freelancer)
            .await
            .unwrap()
            .payout_account,
        "ready"
    );
    let p = earnings::request_payout(&svc, &c.freelancer, "100", &m)
        .await
        .unwrap();
    assert_eq!(p.status, "in_transit");
    let calls = stripe.calls.lock().unwrap().clone();
    assert_eq!(
        calls,
        vec![
            "account express freelancer@demo.fluxorae.test".to_owned(),
            "link acct_test1 back to http://localhost:3000/earnings".to_owned(),
            "link acct_test1 back to http://localhost:3000/earnings".to_owned(),
            format!("transfer 10000 usd to acct_test1 key payout:{}", p.id),
            format!("payout 10000 usd as acct_test1 key payout:{}:bank", p.id),
        ]
    );
    // It left the platform's books at the transfer; the bank's arrival comes by webhook.
    assert_eq!(
        balance(&svc, Account::FreelancerPayable(c.freelancer.id.0)).await,
        before - 10_000
    );
    let e = earnings::earnings(&svc, &c.freelancer).await.unwrap();
    assert_eq!(e.paid_out.minor, 0);
    let event = |id: &str, kind: &str| {
        serde_json::to_vec(&serde_json::json!({
            "id": id, "type": kind, "account": "acct_test1",
            "data": { "object": { "id": "po_1", "object": "payout" } }
        }))
        .unwrap()
    };
    assert_eq!(
        webhook::receive(&svc, &event("evt_po_1", "payout.paid"))
            .await
            .unwrap(),
        Received::Applied
    );
    let e = earnings::earnings(&svc, &c.freelancer).await.unwrap();
    assert_eq!(e.payouts[0].status, "paid");
    assert_eq!(e.paid_out.minor, 10_000);
    // A payout this platform never made waits (it may have beaten the request that made it).
    let stray = serde_json::to_vec(&serde_json::json!({
        "id": "evt_po_2", "type": "payout.paid", "account": "acct_test1",
        "data": { "object": { "id": "po_unknown", "object": "payout" } }
    }))
    .unwrap();
    assert_eq!(
        webhook::receive(&svc, &stray).await.unwrap(),
        Received::Deferred
    );
    verify(&svc).await;
}
