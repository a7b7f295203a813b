//! The platform's money rules as double-entry bookkeeping: every movement of money is a set of
//! postings that balance to zero in its currency, on accounts whose balances may never cross to
//! the wrong side. The same rules run in memory ([`Book`], for tests and previews) and in
//! Postgres (`server::ledger`).
//!
//! Postings are signed: a debit is positive, a credit negative. The provider's clearing account
//! (money the payment provider holds for us) is debit-normal; every other account is
//! credit-normal (what the platform owes someone, or has earned).

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use uuid::Uuid;

use crate::money::{Currency, Money};

/// A ledger account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "owner", rename_all = "snake_case")]
pub enum Account {
    /// Money the payment provider holds for the platform (captured, not yet paid out).
    ProviderClearing,
    /// A customer's payments not yet held for a milestone.
    CustomerFunding(Uuid),
    /// A milestone's held funds: released to the freelancer or refunded to the customer.
    Held(Uuid),
    /// What the platform owes a freelancer and has not paid out.
    FreelancerPayable(Uuid),
    /// The platform's fees.
    PlatformRevenue,
    /// Refunds owed to a customer, until the provider confirms them.
    Refunds(Uuid),
}

/// Which side an account's balance normally sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Debits increase it (an asset).
    Debit,
    /// Credits increase it (a liability or income).
    Credit,
}

impl Account {
    /// The side its balance sits on.
    pub fn normal(&self) -> Side {
        match self {
            Self::ProviderClearing => Side::Debit,
            _ => Side::Credit,
        }
    }

    /// Whether the ledger keeps a locked running balance for it and refuses a movement that
    /// would take it past zero. The two shared accounts every movement touches (provider
    /// clearing, platform revenue) are not guarded: money reaches them only through guarded
    /// accounts, so they cannot go below zero either (the property tests check it), and
    /// movements do not queue behind one row.
    pub fn guarded(&self) -> bool {
        !matches!(self, Self::ProviderClearing | Self::PlatformRevenue)
    }

    /// Its stable code in the database (`held:{uuid}`).
    pub fn code(&self) -> String {
        match self {
            Self::ProviderClearing => "provider_clearing".into(),
            Self::PlatformRevenue => "platform_revenue".into(),
            Self::CustomerFunding(id) => format!("customer_funding:{id}"),
            Self::Held(id) => format!("held:{id}"),
            Self::FreelancerPayable(id) => format!("freelancer_payable:{id}"),
            Self::Refunds(id) => format!("refunds:{id}"),
        }
    }

    /// The account a code names.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "provider_clearing" => return Some(Self::ProviderClearing),
            "platform_revenue" => return Some(Self::PlatformRevenue),
            _ => {}
        }
        let (kind, id) = code.split_once(':')?;
        let id = Uuid::parse_str(id).ok()?;
        Some(match kind {
            "customer_funding" => Self::CustomerFunding(id),
            "held" => Self::Held(id),
            "freelancer_payable" => Self::FreelancerPayable(id),
            "refunds" => Self::Refunds(id),
            _ => return None,
        })
    }

    /// Its name for people.
    pub fn label(&self) -> &'static str {
        match self {
            Self::ProviderClearing => "Payment provider clearing",
            Self::CustomerFunding(_) => "Customer funding",
            Self::Held(_) => "Held funds",
            Self::FreelancerPayable(_) => "Freelancer payable",
            Self::PlatformRevenue => "Platform revenue",
            Self::Refunds(_) => "Refunds owed",
        }
    }

    /// A signed ledger balance as the amount on the account's normal side (never negative in
    /// a consistent ledger).
    pub fn normal_balance(&self, signed: i64) -> i64 {
        match self.normal() {
            Side::Debit => signed,
            Side::Credit => -signed,
        }
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

/// What a movement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// A customer's payment was captured.
    Capture,
    /// Part of a customer's funding is held for a milestone.
    Hold,
    /// Held funds go to the freelancer, minus the platform's fee.
    Release,
    /// Held (or unallocated) funds are owed back to the customer.
    Refund,
    /// The provider confirmed a refund.
    RefundSettled,
    /// A release is undone (a refund after approval): the fee comes back too.
    ReverseRelease,
    /// A freelancer's balance was paid out.
    Payout,
}

impl MovementKind {
    /// Its code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Capture => "capture",
            Self::Hold => "hold",
            Self::Release => "release",
            Self::Refund => "refund",
            Self::RefundSettled => "refund_settled",
            Self::ReverseRelease => "reverse_release",
            Self::Payout => "payout",
        }
    }

    /// The kind a code names.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Capture,
            Self::Hold,
            Self::Release,
            Self::Refund,
            Self::RefundSettled,
            Self::ReverseRelease,
            Self::Payout,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One side of a movement: a signed amount (debit positive) on an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    /// The account.
    pub account: Account,
    /// Minor units; debit positive, credit negative, never zero.
    pub amount: i64,
}

/// A balanced set of postings, applied once per idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    /// The idempotency key: applying the same key again changes nothing.
    pub key: String,
    /// What it is.
    pub kind: MovementKind,
    /// The currency of every posting.
    pub currency: Currency,
    /// The postings.
    pub postings: Vec<Posting>,
}

/// Why a movement cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// An amount that must be positive is not.
    #[error("The amount must be more than zero.")]
    NotPositive,
    /// The postings do not sum to zero.
    #[error("The postings do not balance (they sum to {0}).")]
    Unbalanced(i64),
    /// A movement without postings, or with a zero posting.
    #[error("A movement needs postings of non-zero amounts.")]
    Empty,
    /// An account would cross to the wrong side.
    #[error("{account} has {available} available; {needed} is needed.")]
    Insufficient {
        /// Which.
        account: String,
        /// Its normal balance now.
        available: Money,
        /// What the movement takes from it.
        needed: Money,
    },
    /// The key was used for a different movement.
    #[error("The idempotency key {0} was already used for a different movement.")]
    KeyReused(String),
    /// Too large to add up.
    #[error("The amounts are too large.")]
    Overflow,
}

impl Movement {
    fn new(
        key: impl Into<String>,
        kind: MovementKind,
        amount: Money,
        legs: &[(Account, i64)],
    ) -> Result<Self, LedgerError> {
        if amount.minor <= 0 {
            return Err(LedgerError::NotPositive);
        }
        let m = Movement {
            key: key.into(),
            kind,
            currency: amount.currency,
            postings: legs
                .iter()
                .filter(|(_, a)| *a != 0)
                .map(|&(account, amount)| Posting { account, amount })
                .collect(),
        };
        m.check()?;
        Ok(m)
    }

    /// `amount` from one account to another: a debit of `debit`, a credit of `credit`.
    fn pair(
        key: impl Into<String>,
        kind: MovementKind,
        amount: Money,
        debit: Account,
        credit: Account,
    ) -> Result<Self, LedgerError> {
        Self::new(
            key,
            kind,
            amount,
            &[(debit, amount.minor), (credit, -amount.minor)],
        )
    }

    /// A customer's captured payment: the provider holds it, the customer is owed it until
    /// it is held for a milestone.
    pub fn capture(
        key: impl Into<String>,
        customer: Uuid,
        amount: Money,
    ) -> Result<Self, LedgerError> {
        Self::pair(
            key,
            MovementKind::Capture,
            amount,
            Account::ProviderClearing,
            Account::CustomerFunding(customer),
        )
    }

    /// Part of a customer's funding held for a milestone.
    pub fn hold(
        key: impl Into<String>,
        customer: Uuid,
        milestone: Uuid,
        amount: Money,
    ) -> Result<Self, LedgerError> {
        Self::pair(
            key,
            MovementKind::Hold,
            amount,
            Account::CustomerFunding(customer),
            Account::Held(milestone),
        )
    }

    /// Held funds released to a freelancer; the platform keeps `fee_bps` of them.
    pub fn release(
        key: impl Into<String>,
        milestone: Uuid,
        freelancer: Uuid,
        amount: Money,
        fee_bps: u32,
    ) -> Result<Self, LedgerError> {
        let fee = amount.share(fee_bps.min(10_000)).minor;
        Self::new(
            key,
            MovementKind::Release,
            amount,
            &[
                (Account::Held(milestone), amount.minor),
                (
                    Account::FreelancerPayable(freelancer),
                    -(amount.minor - fee),
                ),
                (Account::PlatformRevenue, -fee),
            ],
        )
    }

    /// Held funds owed back to the customer.
    pub fn refund(
        key: impl Into<String>,
        milestone: Uuid,
        customer: Uuid,
        amount: Money,
    ) -> Result<Self, LedgerError> {
        Self::pair(
            key,
            MovementKind::Refund,
            amount,
            Account::Held(milestone),
            Account::Refunds(customer),
        )
    }

    /// Unallocated funding owed back to the customer.
    pub fn refund_funding(
        key: impl Into<String>,
        customer: Uuid,
        amount: Money,
    ) -> Result<Self, LedgerError> {
        Self::pair(
            key,
            MovementKind::Refund,
            amount,
            Account::CustomerFunding(customer),
            Account::Refunds(customer),
        )
    }

    /// The provider paid a refund back to the customer.
    pub fn refund_settled(
        key: impl Into<String>,
        customer: Uuid,
        amount: Money,
    ) -> Result<Self, LedgerError> {
        Self::pair(
            key,
            MovementKind::RefundSettled,
            amount,
            Account::Refunds(customer),
            Account::ProviderClearing,
        )
    }

    /// A release undone: the freelancer's share and the platform's fee go back to held funds.
    /// Only ever for a release that was booked, with its amount and fee.
    pub fn reverse_release(
        key: impl Into<String>,
        milestone: Uuid,
        freelancer: Uuid,
        amount: Money,
        fee_bps: u32,
    ) -> Result<Self, LedgerError> {
        let fee = amount.share(fee_bps.min(10_000)).minor;
        Self::new(
            key,
            MovementKind::ReverseRelease,
            amount,
            &[
                (Account::FreelancerPayable(freelancer), amount.minor - fee),
                (Account::PlatformRevenue, fee),
                (Account::Held(milestone), -amount.minor),
            ],
        )
    }

    /// A freelancer's balance paid out by the provider.
    pub fn payout(
        key: impl Into<String>,
        freelancer: Uuid,
        amount: Money,
    ) -> Result<Self, LedgerError> {
        Self::pair(
            key,
            MovementKind::Payout,
            amount,
            Account::FreelancerPayable(freelancer),
            Account::ProviderClearing,
        )
    }

    /// Checks that it has postings, none zero, summing to zero.
    pub fn check(&self) -> Result<(), LedgerError> {
        if self.postings.is_empty() || self.postings.iter().any(|p| p.amount == 0) {
            return Err(LedgerError::Empty);
        }
        let sum = self
            .postings
            .iter()
            .try_fold(0i64, |s, p| s.checked_add(p.amount))
            .ok_or(LedgerError::Overflow)?;
        if sum != 0 {
            return Err(LedgerError::Unbalanced(sum));
        }
        Ok(())
    }

    /// The postings merged per account, in account order (the order rows are locked in).
    pub fn net(&self) -> BTreeMap<Account, i64> {
        let mut out = BTreeMap::new();
        for p in &self.postings {
            *out.entry(p.account).or_insert(0i64) += p.amount;
        }
        out.retain(|_, v| *v != 0);
        out
    }
}

/// Whether applying a movement changed the books.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// It was new and is now booked.
    Booked,
    /// The same movement was booked before; nothing changed.
    Replayed,
}

/// The ledger in memory: the rules without a database.
#[derive(Debug, Default, Clone)]
pub struct Book {
    balances: HashMap<(Account, Currency), i64>,
    movements: HashMap<String, Movement>,
}

impl Book {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// An account's signed balance.
    pub fn balance(&self, account: Account, currency: Currency) -> i64 {
        self.balances
            .get(&(account, currency))
            .copied()
            .unwrap_or(0)
    }

    /// What an account holds on its normal side.
    pub fn available(&self, account: Account, currency: Currency) -> Money {
        Money::new(
            account.normal_balance(self.balance(account, currency)),
            currency,
        )
    }

    /// Every balance.
    pub fn balances(&self) -> impl Iterator<Item = (&(Account, Currency), &i64)> {
        self.balances.iter()
    }

    /// Whether a movement with this key is booked.
    pub fn contains(&self, key: &str) -> bool {
        self.movements.contains_key(key)
    }

    /// How many movements are booked.
    pub fn len(&self) -> usize {
        self.movements.len()
    }

    /// Whether nothing is booked.
    pub fn is_empty(&self) -> bool {
        self.movements.is_empty()
    }

    /// Books a movement once: a replay of the same key and content changes nothing; the same
    /// key with other content, or a movement that would take any account past zero, is refused
    /// and changes nothing.
    pub fn apply(&mut self, m: &Movement) -> Result<Applied, LedgerError> {
        m.check()?;
        if let Some(old) = self.movements.get(&m.key) {
            return if old == m {
                Ok(Applied::Replayed)
            } else {
                Err(LedgerError::KeyReused(m.key.clone()))
            };
        }
        let net = m.net();
        let mut next = Vec::with_capacity(net.len());
        for (account, delta) in &net {
            let now = self.balance(*account, m.currency);
            let after = now.checked_add(*delta).ok_or(LedgerError::Overflow)?;
            if account.guarded() && account.normal_balance(after) < 0 {
                return Err(LedgerError::Insufficient {
                    account: account.label().to_owned(),
                    available: Money::new(account.normal_balance(now), m.currency),
                    needed: Money::new(-account.normal_balance(*delta), m.currency),
                });
            }
            next.push((*account, after));
        }
        for (account, after) in next {
            self.balances.insert((account, m.currency), after);
        }
        self.movements.insert(m.key.clone(), m.clone());
        Ok(Applied::Booked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(n: i64) -> Money {
        Money::new(n, Currency::USD)
    }

    #[test]
    fn a_milestone_is_funded_released_and_paid_out() {
        let (c, m, f) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let mut b = Book::new();
        b.apply(&Movement::capture("cap", c, usd(100_000)).unwrap())
            .unwrap();
        b.apply(&Movement::hold("hold", c, m, usd(100_000)).unwrap())
            .unwrap();
        assert_eq!(b.available(Account::Held(m), Currency::USD), usd(100_000));
        b.apply(&Movement::release("rel", m, f, usd(100_000), 2_000).unwrap())
            .unwrap();
        assert_eq!(
            b.available(Account::FreelancerPayable(f), Currency::USD),
            usd(80_000)
        );
        assert_eq!(
            b.available(Account::PlatformRevenue, Currency::USD),
            usd(20_000)
        );
        assert_eq!(b.available(Account::Held(m), Currency::USD), usd(0));
        b.apply(&Movement::payout("pay", f, usd(80_000)).unwrap())
            .unwrap();
        assert_eq!(
            b.available(Account::ProviderClearing, Currency::USD),
            usd(20_000)
        );
        let total: i64 = b.balances().map(|(_, v)| v).sum();
        assert_eq!(total, 0, "the books balance");
    }

    #[test]
    fn nothing_is_released_twice_or_beyond_what_is_held() {
        let (c, m, f) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let mut b = Book::new();
        b.apply(&Movement::capture("cap", c, usd(5_000)).unwrap())
            .unwrap();
        let hold = Movement::hold("hold", c, m, usd(5_000)).unwrap();
        assert_eq!(b.apply(&hold), Ok(Applied::Booked));
        assert_eq!(b.apply(&hold), Ok(Applied::Replayed));
        assert_eq!(b.available(Account::Held(m), Currency::USD), usd(5_000));
        let other = Movement::hold("hold", c, m, usd(1)).unwrap();
        assert!(matches!(b.apply(&other), Err(LedgerError::KeyReused(_))));
        let too_much = Movement::release("rel", m, f, usd(5_001), 2_000).unwrap();
        let err = b.apply(&too_much).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Held funds has $50.00 available; $50.01 is needed."
        );
        assert_eq!(
            b.available(Account::Held(m), Currency::USD),
            usd(5_000),
            "nothing moved"
        );
    }

    #[test]
    fn a_refund_after_release_brings_the_fee_back() {
        let (c, m, f) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let mut b = Book::new();
        for mv in [
            Movement::capture("cap", c, usd(1_003)).unwrap(),
            Movement::hold("hold", c, m, usd(1_003)).unwrap(),
            Movement::release("rel", m, f, usd(1_003), 2_000).unwrap(),
            Movement::reverse_release("rev", m, f, usd(1_003), 2_000).unwrap(),
            Movement::refund("ref", m, c, usd(1_003)).unwrap(),
            Movement::refund_settled("ref-ok", c, usd(1_003)).unwrap(),
        ] {
            b.apply(&mv).unwrap();
        }
        for (_, v) in b.balances() {
            assert_eq!(*v, 0, "everything is back where it started");
        }
    }

    #[test]
    fn movements_are_checked() {
        assert_eq!(
            Movement::capture("k", Uuid::nil(), usd(0)).unwrap_err(),
            LedgerError::NotPositive
        );
        let mut m = Movement::capture("k", Uuid::nil(), usd(10)).unwrap();
        m.postings[0].amount = 11;
        assert_eq!(m.check(), Err(LedgerError::Unbalanced(1)));
        assert_eq!(
            Account::from_code(&Account::Held(Uuid::from_u128(9)).code()),
            Some(Account::Held(Uuid::from_u128(9)))
        );
        assert_eq!(Account::from_code("held:nope"), None);
        // A 100 % fee leaves the freelancer nothing: that posting is left out, not zero.
        let all = Movement::release("k", Uuid::nil(), Uuid::nil(), usd(10), 10_000).unwrap();
        assert_eq!(all.postings.len(), 2);
    }
}
