//! The payment provider behind one trait: the built-in provider (demos, tests, offline) and
//! Stripe over HTTP. Every call that moves money carries an idempotency key, so a retried
//! request never charges, refunds or pays twice.
//!
//! Customers' payments are PaymentIntents with manual capture: authorized first (the card is
//! checked and the amount reserved), captured once the platform has recorded what it funds.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::Duration;

use crate::money::Money;

/// What a customer pays with: a test card number on the built-in provider, or a provider's
/// payment method id (`pm_…`; Stripe's test ids such as `pm_card_visa` work in test mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethod(pub String);

/// A request to authorize a payment.
#[derive(Debug, Clone)]
pub struct Authorize<'a> {
    /// How much.
    pub amount: Money,
    /// With what.
    pub method: &'a PaymentMethod,
    /// What the customer's statement and the dashboard show.
    pub description: &'a str,
    /// Our ids, echoed back in webhooks (`payment_id`, `customer_id`).
    pub metadata: &'a [(&'a str, String)],
    /// The same key always answers the same payment.
    pub idempotency_key: &'a str,
}

/// Where a payment stands at the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderStatus {
    /// The bank wants the customer to confirm (3-D Secure).
    RequiresAction,
    /// Reserved on the card; not yet taken.
    Authorized,
    /// Taken.
    Captured,
    /// Refused.
    Declined,
    /// Cancelled before capture.
    Cancelled,
}

impl ProviderStatus {
    /// The `payments.status` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RequiresAction => "requires_action",
            Self::Authorized => "authorized",
            Self::Captured => "captured",
            Self::Declined => "declined",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A payment as the provider sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPayment {
    /// The provider's id (`pi_…`).
    pub id: String,
    /// Where it stands.
    pub status: ProviderStatus,
    /// Why it was declined, in words for the customer.
    pub decline_reason: Option<String>,
}

/// Why a provider call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The card or method was refused; the message is for the customer.
    #[error("{0}")]
    Declined(String),
    /// The request was wrong (an unknown payment, an amount above what is held).
    #[error("the payment provider refused the request: {0}")]
    Invalid(String),
    /// The provider could not be reached or answered with an error; safe to retry with the
    /// same idempotency key.
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
}

/// A payment provider.
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// `builtin` or `stripe`: the `payments.provider` value.
    fn name(&self) -> &'static str;
    /// Authorizes a payment for capture later.
    async fn authorize(&self, req: &Authorize<'_>) -> Result<ProviderPayment, PaymentError>;
    /// Where a payment stands now (after the customer confirmed with their bank).
    async fn retrieve(&self, payment: &str) -> Result<ProviderPayment, PaymentError>;
    /// Takes `amount` of an authorized payment.
    async fn capture(
        &self,
        payment: &str,
        amount: Money,
        key: &str,
    ) -> Result<ProviderPayment, PaymentError>;
    /// Returns `amount` of a captured payment to the customer; answers the refund's id.
    async fn refund(&self, payment: &str, amount: Money, key: &str)
        -> Result<String, PaymentError>;
    /// Sends `amount` to a connected account (a freelancer's); answers the transfer's id.
    async fn transfer(
        &self,
        destination: &str,
        amount: Money,
        key: &str,
    ) -> Result<String, PaymentError>;
    /// Opens a connected account for a freelancer to be paid through; answers its id.
    async fn create_account(&self, email: &str, key: &str) -> Result<String, PaymentError>;
    /// Where the freelancer finishes setting the account up (identity, bank): a page of the
    /// provider's that sends them back to `return_url` (or `refresh_url` when the link expired).
    async fn account_link(
        &self,
        account: &str,
        refresh_url: &str,
        return_url: &str,
    ) -> Result<String, PaymentError>;
    /// Whether the account can be paid out to yet.
    async fn account_ready(&self, account: &str) -> Result<bool, PaymentError>;
    /// Pays `amount` from the connected account's balance to its bank account.
    async fn payout(
        &self,
        account: &str,
        amount: Money,
        key: &str,
    ) -> Result<ProviderPayout, PaymentError>;
}

/// A payout to a freelancer's bank as the provider sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPayout {
    /// The provider's id (`po_…`).
    pub id: String,
    /// Whether the bank has it already (else it is on its way, and a webhook says when).
    pub arrived: bool,
}

/// A stable provider-style id from an idempotency key: the same key, the same id.
fn id_from_key(prefix: &str, key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    format!("{prefix}_{}", &hex::encode(digest)[..24])
}

/// The test cards the built-in provider knows (Stripe's test numbers, so the same habits work).
pub const TEST_CARDS: &[(&str, &str)] = &[
    ("4242 4242 4242 4242", "succeeds"),
    (
        "4000 0025 0000 3155",
        "asks the customer to confirm with their bank",
    ),
    ("4000 0000 0000 0002", "is declined"),
    ("4000 0000 0000 9995", "is declined for insufficient funds"),
];

/// What the built-in provider does with a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CardBehaviour {
    Succeeds,
    RequiresAction,
    Declined(&'static str),
}

fn behaviour(method: &PaymentMethod) -> Result<CardBehaviour, PaymentError> {
    let digits: String = method.0.chars().filter(|c| c.is_ascii_digit()).collect();
    Ok(match (digits.as_str(), method.0.trim()) {
        ("4242424242424242", _) | (_, "pm_card_visa") => CardBehaviour::Succeeds,
        ("4000002500003155", _) | (_, "pm_card_authenticationRequired") => {
            CardBehaviour::RequiresAction
        }
        ("4000000000000002", _) | (_, "pm_card_chargeDeclined") => {
            CardBehaviour::Declined("Your card was declined. Try another card.")
        }
        ("4000000000009995", _) | (_, "pm_card_chargeDeclinedInsufficientFunds") => {
            CardBehaviour::Declined("Your card has insufficient funds. Try another card.")
        }
        _ if digits.len() < 12 => {
            return Err(PaymentError::Declined(
                "Enter a card number (on this demo, a test card such as 4242 4242 4242 4242)."
                    .into(),
            ))
        }
        _ => {
            CardBehaviour::Declined("This demo takes test cards only, such as 4242 4242 4242 4242.")
        }
    })
}

/// The provider that needs nothing outside: test cards decide what happens, and ids come from
/// idempotency keys, so it keeps no state of its own and a replay answers the same payment.
/// A payment that needed the customer's confirmation is authorized once they confirm
/// (`retrieve` after the confirm step), which the platform records in its own tables.
#[derive(Debug, Default, Clone)]
pub struct BuiltinProvider;

/// The prefix of the built-in provider's payments that still wait for the customer.
const ACTION_PREFIX: &str = "bi_pi_act";

#[async_trait]
impl PaymentProvider for BuiltinProvider {
    fn name(&self) -> &'static str {
        "builtin"
    }

    async fn authorize(&self, req: &Authorize<'_>) -> Result<ProviderPayment, PaymentError> {
        if req.amount.minor <= 0 {
            return Err(PaymentError::Invalid("the amount must be positive".into()));
        }
        Ok(match behaviour(req.method)? {
            CardBehaviour::Succeeds => ProviderPayment {
                id: id_from_key("bi_pi", req.idempotency_key),
                status: ProviderStatus::Authorized,
                decline_reason: None,
            },
            CardBehaviour::RequiresAction => ProviderPayment {
                id: id_from_key(ACTION_PREFIX, req.idempotency_key),
                status: ProviderStatus::RequiresAction,
                decline_reason: None,
            },
            CardBehaviour::Declined(why) => ProviderPayment {
                id: id_from_key("bi_pi_dec", req.idempotency_key),
                status: ProviderStatus::Declined,
                decline_reason: Some(why.into()),
            },
        })
    }

    async fn retrieve(&self, payment: &str) -> Result<ProviderPayment, PaymentError> {
        // The customer's confirmation is the platform's confirm step, so by the time anyone
        // asks again the bank has said yes.
        if !payment.starts_with("bi_pi") {
            return Err(PaymentError::Invalid(format!("no such payment {payment}")));
        }
        let declined = payment.starts_with("bi_pi_dec");
        Ok(ProviderPayment {
            id: payment.to_owned(),
            status: if declined {
                ProviderStatus::Declined
            } else {
                ProviderStatus::Authorized
            },
            decline_reason: None,
        })
    }

    async fn capture(
        &self,
        payment: &str,
        amount: Money,
        _key: &str,
    ) -> Result<ProviderPayment, PaymentError> {
        if payment.starts_with("bi_pi_dec") || !payment.starts_with("bi_pi") || amount.minor <= 0 {
            return Err(PaymentError::Invalid(format!(
                "{payment} cannot be captured"
            )));
        }
        Ok(ProviderPayment {
            id: payment.to_owned(),
            status: ProviderStatus::Captured,
            decline_reason: None,
        })
    }

    async fn refund(
        &self,
        payment: &str,
        amount: Money,
        key: &str,
    ) -> Result<String, PaymentError> {
        if !payment.starts_with("bi_pi") || amount.minor <= 0 {
            return Err(PaymentError::Invalid(format!(
                "{payment} cannot be refunded"
            )));
        }
        Ok(id_from_key("bi_re", key))
    }

    async fn transfer(
        &self,
        _destination: &str,
        amount: Money,
        key: &str,
    ) -> Result<String, PaymentError> {
        if amount.minor <= 0 {
            return Err(PaymentError::Invalid("the amount must be positive".into()));
        }
        Ok(id_from_key("bi_tr", key))
    }

    async fn create_account(&self, _email: &str, key: &str) -> Result<String, PaymentError> {
        Ok(id_from_key("bi_acct", key))
    }

    async fn account_link(
        &self,
        account: &str,
        _refresh_url: &str,
        return_url: &str,
    ) -> Result<String, PaymentError> {
        if !account.starts_with("bi_acct") {
            return Err(PaymentError::Invalid(format!("no such account {account}")));
        }
        // Nothing to fill in offline: straight back to the platform.
        Ok(return_url.to_owned())
    }

    async fn account_ready(&self, account: &str) -> Result<bool, PaymentError> {
        Ok(account.starts_with("bi_acct"))
    }

    async fn payout(
        &self,
        account: &str,
        amount: Money,
        key: &str,
    ) -> Result<ProviderPayout, PaymentError> {
        if !account.starts_with("bi_acct") || amount.minor <= 0 {
            return Err(PaymentError::Invalid(format!(
                "{account} cannot be paid out"
            )));
        }
        Ok(ProviderPayout {
            id: id_from_key("bi_po", key),
            arrived: true,
        })
    }
}

// ----------------------------------------------------------------------------------------------
// Stripe

/// How to reach Stripe.
#[derive(Clone)]
pub struct StripeConfig {
    /// `https://api.stripe.com` (a test server in tests).
    pub base_url: String,
    /// The secret key (`sk_test_…`, `sk_live_…`); never logged.
    pub secret_key: String,
    /// How long one call may take.
    pub timeout: Duration,
    /// How many times a call that failed for the network or a 5xx/429 is retried (with the same
    /// idempotency key, so a retry cannot double a charge).
    pub retries: u32,
}

impl std::fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeConfig")
            .field("base_url", &self.base_url)
            .field("secret_key", &"***")
            .finish_non_exhaustive()
    }
}

impl StripeConfig {
    /// Stripe's API with `secret_key`.
    pub fn new(secret_key: impl Into<String>) -> Self {
        Self {
            base_url: "https://api.stripe.com".into(),
            secret_key: secret_key.into(),
            timeout: Duration::from_secs(20),
            retries: 2,
        }
    }
}

/// Stripe's REST API: PaymentIntents with manual capture, refunds, and Connect (Express
/// accounts with hosted onboarding, transfers to them, payouts from them to their banks).
pub struct StripeProvider {
    http: reqwest::Client,
    config: StripeConfig,
}

impl StripeProvider {
    /// A client for `config`.
    pub fn new(config: StripeConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
            .build()?;
        Ok(Self { http, config })
    }

    /// POSTs a form to `path`, retrying transient failures with the same idempotency key.
    async fn post(
        &self,
        path: &str,
        form: &[(String, String)],
        key: Option<&str>,
    ) -> Result<serde_json::Value, PaymentError> {
        self.send(reqwest::Method::POST, path, form, key).await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        form: &[(String, String)],
        key: Option<&str>,
    ) -> Result<serde_json::Value, PaymentError> {
        self.send_as(method, path, form, key, None).await
    }

    /// [`Self::send`] on behalf of a connected account (`Stripe-Account`), when given.
    async fn send_as(
        &self,
        method: reqwest::Method,
        path: &str,
        form: &[(String, String)],
        key: Option<&str>,
        account: Option<&str>,
    ) -> Result<serde_json::Value, PaymentError> {
        let url = format!("{}/v1/{path}", self.config.base_url.trim_end_matches('/'));
        let mut attempt = 0;
        loop {
            let mut req = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(&self.config.secret_key)
                .header("Stripe-Version", "2024-06-20");
            if method == reqwest::Method::POST {
                req = req.form(form);
            }
            if let Some(key) = key {
                req = req.header("Idempotency-Key", key);
            }
            if let Some(account) = account {
                req = req.header("Stripe-Account", account);
            }
            let outcome = match req.send().await {
                Ok(res) => {
                    let status = res.status();
                    let body: serde_json::Value = res.json().await.unwrap_or_default();
                    if status.is_success() {
                        return Ok(body);
                    }
                    let message = body
                        .pointer("/error/message")
                        .and_then(|m| m.as_str())
                        .unwrap_or("no message")
                        .to_owned();
                    if status.as_u16() == 402 {
                        return Err(PaymentError::Declined(message));
                    }
                    if status.is_client_error() && status.as_u16() != 429 && status.as_u16() != 409
                    {
                        return Err(PaymentError::Invalid(message));
                    }
                    PaymentError::Unavailable(format!("{status}: {message}"))
                }
                Err(e) => PaymentError::Unavailable(e.to_string()),
            };
            if attempt >= self.config.retries {
                return Err(outcome);
            }
            attempt += 1;
            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
        }
    }
}

fn currency_param(m: Money) -> String {
    m.currency.code().to_ascii_lowercase()
}

/// A PaymentIntent's JSON as our status.
fn intent(body: &serde_json::Value) -> Result<ProviderPayment, PaymentError> {
    let id = body
        .get("id")
        .and_then(|v| v.as_str())
        .ok_or_else(|| PaymentError::Unavailable("a PaymentIntent without an id".into()))?;
    let status = match body.get("status").and_then(|v| v.as_str()).unwrap_or("") {
        "requires_action" | "requires_confirmation" => ProviderStatus::RequiresAction,
        "requires_capture" => ProviderStatus::Authorized,
        "succeeded" => ProviderStatus::Captured,
        "canceled" => ProviderStatus::Cancelled,
        "requires_payment_method" => ProviderStatus::Declined,
        other => {
            return Err(PaymentError::Unavailable(format!(
                "an unexpected PaymentIntent status {other:?}"
            )))
        }
    };
    let decline_reason = body
        .pointer("/last_payment_error/message")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    Ok(ProviderPayment {
        id: id.to_owned(),
        status,
        decline_reason,
    })
}

fn id_of(body: &serde_json::Value) -> Result<String, PaymentError> {
    body.get("id")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .ok_or_else(|| PaymentError::Unavailable("an answer without an id".into()))
}

#[async_trait]
impl PaymentProvider for StripeProvider {
    fn name(&self) -> &'static str {
        "stripe"
    }

    async fn authorize(&self, req: &Authorize<'_>) -> Result<ProviderPayment, PaymentError> {
        let mut form = vec![
            ("amount".to_owned(), req.amount.minor.to_string()),
            ("currency".to_owned(), currency_param(req.amount)),
            ("capture_method".to_owned(), "manual".to_owned()),
            ("confirm".to_owned(), "true".to_owned()),
            ("payment_method".to_owned(), req.method.0.clone()),
            ("description".to_owned(), req.description.to_owned()),
            (
                "automatic_payment_methods[enabled]".to_owned(),
                "true".to_owned(),
            ),
            (
                "automatic_payment_methods[allow_redirects]".to_owned(),
                "never".to_owned(),
            ),
        ];
        for (k, v) in req.metadata {
            form.push((format!("metadata[{k}]"), v.clone()));
        }
        match self
            .post("payment_intents", &form, Some(req.idempotency_key))
            .await
        {
            Ok(body) => intent(&body),
            // A card error answers 402 with the intent inside; the customer reads the message.
            Err(PaymentError::Declined(message)) => Ok(ProviderPayment {
                id: String::new(),
                status: ProviderStatus::Declined,
                decline_reason: Some(message),
            }),
            Err(e) => Err(e),
        }
    }

    async fn retrieve(&self, payment: &str) -> Result<ProviderPayment, PaymentError> {
        let body = self
            .send(
                reqwest::Method::GET,
                &format!("payment_intents/{payment}"),
                &[],
                None,
            )
            .await?;
        intent(&body)
    }

    async fn capture(
        &self,
        payment: &str,
        amount: Money,
        key: &str,
    ) -> Result<ProviderPayment, PaymentError> {
        let form = [("amount_to_capture".to_owned(), amount.minor.to_string())];
        let body = self
            .post(
                &format!("payment_intents/{payment}/capture"),
                &form,
                Some(key),
            )
            .await?;
        intent(&body)
    }

    async fn refund(
        &self,
        payment: &str,
        amount: Money,
        key: &str,
    ) -> Result<String, PaymentError> {
        let form = [
            ("payment_intent".to_owned(), payment.to_owned()),
            ("amount".to_owned(), amount.minor.to_string()),
        ];
        id_of(&self.post("refunds", &form, Some(key)).await?)
    }

    async fn transfer(
        &self,
        destination: &str,
        amount: Money,
        key: &str,
    ) -> Result<String, PaymentError> {
        let form = [
            ("amount".to_owned(), amount.minor.to_string()),
            ("currency".to_owned(), currency_param(amount)),
            ("destination".to_owned(), destination.to_owned()),
        ];
        id_of(&self.post("transfers", &form, Some(key)).await?)
    }

    async fn create_account(&self, email: &str, key: &str) -> Result<String, PaymentError> {
        let form = [
            ("type".to_owned(), "express".to_owned()),
            ("email".to_owned(), email.to_owned()),
            (
                "capabilities[transfers][requested]".to_owned(),
                "true".to_owned(),
            ),
        ];
        id_of(&self.post("accounts", &form, Some(key)).await?)
    }

    async fn account_link(
        &self,
        account: &str,
        refresh_url: &str,
        return_url: &str,
    ) -> Result<String, PaymentError> {
        let form = [
            ("account".to_owned(), account.to_owned()),
            ("refresh_url".to_owned(), refresh_url.to_owned()),
            ("return_url".to_owned(), return_url.to_owned()),
            ("type".to_owned(), "account_onboarding".to_owned()),
        ];
        let body = self.post("account_links", &form, None).await?;
        body.get("url")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .ok_or_else(|| PaymentError::Unavailable("an account link without a url".into()))
    }

    async fn account_ready(&self, account: &str) -> Result<bool, PaymentError> {
        let body = self
            .send(
                reqwest::Method::GET,
                &format!("accounts/{account}"),
                &[],
                None,
            )
            .await?;
        Ok(account_ready(&body))
    }

    async fn payout(
        &self,
        account: &str,
        amount: Money,
        key: &str,
    ) -> Result<ProviderPayout, PaymentError> {
        let form = [
            ("amount".to_owned(), amount.minor.to_string()),
            ("currency".to_owned(), currency_param(amount)),
        ];
        let body = self
            .send_as(
                reqwest::Method::POST,
                "payouts",
                &form,
                Some(key),
                Some(account),
            )
            .await?;
        Ok(ProviderPayout {
            id: id_of(&body)?,
            arrived: body.get("status").and_then(|v| v.as_str()) == Some("paid"),
        })
    }
}

/// Whether a connected account's JSON says it can be paid out to.
pub fn account_ready(body: &serde_json::Value) -> bool {
    let flag = |k: &str| body.get(k).and_then(|v| v.as_bool()).unwrap_or(false);
    flag("payouts_enabled")
        && body
            .pointer("/capabilities/transfers")
            .and_then(|v| v.as_str())
            == Some("active")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    async fn authorize(card: &str, key: &str) -> Result<ProviderPayment, PaymentError> {
        BuiltinProvider
            .authorize(&Authorize {
                amount: usd(10_000),
                method: &PaymentMethod(card.into()),
                description: "test",
                metadata: &[],
                idempotency_key: key,
            })
            .await
    }

    #[tokio::test]
    async fn test_cards_succeed_decline_or_ask_for_action() {
        let ok = authorize("4242 4242 4242 4242", "k1").await.unwrap();
        assert_eq!(ok.status, ProviderStatus::Authorized);
        let act = authorize("4000002500003155", "k2").await.unwrap();
        assert_eq!(act.status, ProviderStatus::RequiresAction);
        assert_eq!(
            BuiltinProvider.retrieve(&act.id).await.unwrap().status,
            ProviderStatus::Authorized
        );
        let no = authorize("4000 0000 0000 0002", "k3").await.unwrap();
        assert_eq!(no.status, ProviderStatus::Declined);
        assert!(no.decline_reason.unwrap().contains("declined"));
        assert!(BuiltinProvider.capture(&no.id, usd(1), "c").await.is_err());
        assert!(matches!(
            authorize("12", "k4").await,
            Err(PaymentError::Declined(_))
        ));
    }

    #[tokio::test]
    async fn the_same_key_is_the_same_payment() {
        let a = authorize("4242424242424242", "fund:1").await.unwrap();
        let b = authorize("4242424242424242", "fund:1").await.unwrap();
        let c = authorize("4242424242424242", "fund:2").await.unwrap();
        assert_eq!(a.id, b.id);
        assert_ne!(a.id, c.id);
    }

    #[tokio::test]
    async fn the_builtin_provider_opens_accounts_ready_to_be_paid() {
        let acct = BuiltinProvider
            .create_account("fern@example.com", "account:1")
            .await
            .unwrap();
        assert_eq!(
            acct,
            BuiltinProvider
                .create_account("fern@example.com", "account:1")
                .await
                .unwrap()
        );
        assert!(BuiltinProvider.account_ready(&acct).await.unwrap());
        assert_eq!(
            BuiltinProvider
                .account_link(&acct, "/earnings", "/earnings?payouts=return")
                .await
                .unwrap(),
            "/earnings?payouts=return"
        );
        let po = BuiltinProvider
            .payout(&acct, usd(1_000), "payout:1")
            .await
            .unwrap();
        assert!(po.arrived && po.id.starts_with("bi_po_"));
        assert!(BuiltinProvider
            .payout("acct_elsewhere", usd(1_000), "payout:2")
            .await
            .is_err());
    }

    #[test]
    fn a_connected_account_is_ready_once_payouts_and_transfers_are_on() {
        let ready = serde_json::json!({ "id": "acct_1", "payouts_enabled": true, "capabilities": { "transfers": "active" } });
        assert!(account_ready(&ready));
        let pending = serde_json::json!({ "id": "acct_1", "payouts_enabled": false, "capabilities": { "transfers": "pending" } });
        assert!(!account_ready(&pending));
        assert!(!account_ready(&serde_json::json!({ "id": "acct_1" })));
    }

    #[test]
    fn stripe_statuses_map_to_ours() {
        let s = |status: &str| {
            intent(&serde_json::json!({ "id": "pi_1", "status": status }))
                .unwrap()
                .status
        };
        assert_eq!(s("requires_capture"), ProviderStatus::Authorized);
        assert_eq!(s("requires_action"), ProviderStatus::RequiresAction);
        assert_eq!(s("succeeded"), ProviderStatus::Captured);
        assert_eq!(s("requires_payment_method"), ProviderStatus::Declined);
        assert!(intent(&serde_json::json!({ "id": "pi_1", "status": "weird" })).is_err());
    }
}
