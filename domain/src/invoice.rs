//! Receipts and invoices: a customer's receipt for each payment into held funds, and a
//! freelancer's invoice for the platform fee on each release. A document is built once, when
//! it is first asked for, numbered without gaps, and kept as issued; the HTML page and the PDF
//! both show that same record.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::Money;
use crate::project::str_enum;

str_enum!(
    /// What a document is.
    DocKind {
        /// What a customer paid into held funds.
        Receipt => "receipt", "Receipt",
        /// The platform fee charged to a freelancer on a release.
        FeeInvoice => "fee_invoice", "Fee invoice",
        /// Money returned to a customer (a refund).
        CreditNote => "credit_note", "Credit note",
        /// A fee given back to a freelancer when ops take a release back.
        FeeCreditNote => "fee_credit_note", "Fee credit note",
    }
);

impl DocKind {
    /// The prefix of its numbers.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Receipt => "R",
            Self::FeeInvoice => "FI",
            Self::CreditNote => "CN",
            Self::FeeCreditNote => "FCN",
        }
    }
}

/// `R-2026-000042`: the kind's prefix, the year of issue and the kind's running count.
pub fn number(kind: DocKind, year: i32, seq: i64) -> String {
    format!("{}-{year}-{seq:06}", kind.prefix())
}

/// Who issues or receives a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocParty {
    /// Name.
    pub name: String,
    /// Address lines, email.
    pub lines: Vec<String>,
}

/// One line of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocLine {
    /// What it is for.
    pub description: String,
    /// How much.
    pub amount: Money,
}

/// A receipt or invoice as issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// What it is.
    pub kind: DocKind,
    /// Its number.
    pub number: String,
    /// The day it was issued, `YYYY-MM-DD`.
    pub issued: String,
    /// The project it belongs to.
    pub project: String,
    /// The issuer.
    pub from: DocParty,
    /// The recipient.
    pub to: DocParty,
    /// Its lines; they add up to the total.
    pub lines: Vec<DocLine>,
    /// What the total is ("Paid", "Fee charged").
    pub total_label: String,
    /// The total.
    pub total: Money,
    /// Notes under the total.
    pub notes: Vec<String>,
}

impl Document {
    /// The title shown on it: "Receipt R-2026-000042".
    pub fn title(&self) -> String {
        format!("{} {}", self.kind.label(), self.number)
    }
}

/// A document someone may open, as listed on a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentLink {
    /// What it is.
    pub kind: DocKind,
    /// What it is about: a payment (receipts), a milestone (fee invoices and fee credit notes)
    /// or a refund (credit notes).
    pub subject: Uuid,
    /// What the list says.
    pub title: String,
    /// Its total.
    pub amount: Money,
    /// When the money moved (RFC 3339).
    pub at: String,
}

impl DocumentLink {
    /// Its page; the PDF is at this path followed by `/pdf`.
    pub fn href(&self) -> String {
        format!("/documents/{}/{}", self.kind.as_str(), self.subject)
    }
}

/// Fluxorae as the issuer.
pub fn issuer() -> DocParty {
    DocParty {
        name: "Fluxorae".into(),
        lines: vec!["Services platform".into(), "billing@fluxorae.test".into()],
    }
}

/// A customer's receipt for a payment into held funds: one line per milestone it funded.
pub fn receipt(
    number: String,
    issued: String,
    project: String,
    customer: DocParty,
    milestones: &[(String, Money)],
    paid_with: &str,
) -> Document {
    let currency = milestones
        .first()
        .map(|(_, m)| m.currency)
        .unwrap_or(crate::money::Currency::USD);
    let lines: Vec<DocLine> = milestones
        .iter()
        .map(|(title, amount)| DocLine {
            description: format!("Milestone “{title}”, held until you approve it"),
            amount: *amount,
        })
        .collect();
    let total = Money::new(lines.iter().map(|l| l.amount.minor).sum(), currency);
    Document {
        kind: DocKind::Receipt,
        number,
        issued,
        project,
        from: issuer(),
        to: customer,
        lines,
        total_label: "Paid".into(),
        total,
        notes: vec![
            format!("Paid with {paid_with}."),
            "Held funds are released to the freelancer when you approve a milestone, or \
             returned to you as a dispute decides."
                .into(),
        ],
    }
}

/// A freelancer's invoice for the platform fee on one release.
pub fn fee_invoice(
    number: String,
    issued: String,
    project: String,
    freelancer: DocParty,
    milestone: &str,
    released: Money,
    fee_bps: u32,
) -> Document {
    let fee = crate::project::fee(released, fee_bps);
    let net = Money::new(released.minor - fee.minor, released.currency);
    Document {
        kind: DocKind::FeeInvoice,
        number,
        issued,
        project,
        from: issuer(),
        to: freelancer,
        lines: vec![DocLine {
            description: format!(
                "Platform fee, {} of {released} released for “{milestone}”",
                percent(fee_bps)
            ),
            amount: fee,
        }],
        total_label: "Fee charged".into(),
        total: fee,
        notes: vec![
            format!("Released {released}; fee {fee}; {net} added to your balance."),
            "The fee was taken from the release; nothing is due.".into(),
        ],
    }
}

/// A customer's credit note for a refund of `amount` on the milestone `milestone`, against
/// the receipt `receipt` when one was issued.
#[allow(clippy::too_many_arguments)]
pub fn credit_note(
    number: String,
    issued: String,
    project: String,
    customer: DocParty,
    milestone: &str,
    amount: Money,
    after_release: bool,
    receipt: Option<&str>,
) -> Document {
    let why = if after_release {
        "returned after its release"
    } else {
        "returned as the dispute decided"
    };
    let mut notes = vec![];
    if let Some(r) = receipt {
        notes.push(format!("This credits receipt {r}."));
    }
    notes.push(
        "Refunded to the card that paid; banks take 5–10 working days to show it.".to_owned(),
    );
    Document {
        kind: DocKind::CreditNote,
        number,
        issued,
        project,
        from: issuer(),
        to: customer,
        lines: vec![DocLine {
            description: format!("Milestone “{milestone}”, {why}"),
            amount,
        }],
        total_label: "Refunded".into(),
        total: amount,
        notes,
    }
}

#[allow(clippy::too_many_arguments)]
/// A freelancer's credit note for the fee given back when a release of `released` (charged
/// `fee_bps`) was taken back, against the fee invoice `invoice` when one was issued.
pub fn fee_credit_note(
    number: String,
    issued: String,
    project: String,
    freelancer: DocParty,
    milestone: &str,
    released: Money,
    fee_bps: u32,
    invoice: Option<&str>,
) -> Document {
    let fee = crate::project::fee(released, fee_bps);
    let net = Money::new(released.minor - fee.minor, released.currency);
    let mut notes = vec![format!(
        "The release of {released} was returned to the customer: {net} was taken from your balance and the fee of {fee} is credited."
    )];
    if let Some(i) = invoice {
        notes.push(format!("This credits fee invoice {i}."));
    }
    Document {
        kind: DocKind::FeeCreditNote,
        number,
        issued,
        project,
        from: issuer(),
        to: freelancer,
        lines: vec![DocLine {
            description: format!(
                "Platform fee given back, {} of {released} for “{milestone}”",
                percent(fee_bps)
            ),
            amount: fee,
        }],
        total_label: "Fee credited".into(),
        total: fee,
        notes,
    }
}

fn percent(bps: u32) -> String {
    if bps.is_multiple_of(100) {
        format!("{} %", bps / 100)
    } else {
        format!("{}.{:02} %", bps / 100, bps % 100)
    }
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.title())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    fn nia() -> DocParty {
        DocParty {
            name: "Nia".into(),
            lines: vec!["nia@example.com".into()],
        }
    }

    #[test]
    fn numbers_run_per_kind_and_year() {
        assert_eq!(number(DocKind::Receipt, 2026, 42), "R-2026-000042");
        assert_eq!(number(DocKind::FeeInvoice, 2027, 1), "FI-2027-000001");
        assert_eq!(number(DocKind::CreditNote, 2026, 7), "CN-2026-000007");
        assert_eq!(number(DocKind::FeeCreditNote, 2026, 7), "FCN-2026-000007");
    }

    #[test]
    fn credit_notes_credit_what_went_back_and_name_what_they_credit() {
        let c = credit_note(
            "CN-2026-000001".into(),
            "2026-12-03".into(),
            "Store".into(),
            nia(),
            "Design",
            usd(150_000),
            true,
            Some("R-2026-000004"),
        );
        assert_eq!(c.total, usd(150_000));
        assert_eq!(c.total_label, "Refunded");
        assert_eq!(
            c.lines[0].description,
            "Milestone “Design”, returned after its release"
        );
        assert_eq!(c.notes[0], "This credits receipt R-2026-000004.");
        let f = fee_credit_note(
            "FCN-2026-000001".into(),
            "2026-12-03".into(),
            "Store".into(),
            nia(),
            "Design",
            usd(150_000),
            2_000,
            None,
        );
        assert_eq!(f.total, usd(30_000));
        assert!(
            f.notes[0].contains("$1,200.00 was taken from your balance"),
            "{}",
            f.notes[0]
        );
        assert_eq!(f.notes.len(), 1);
    }

    #[test]
    fn a_receipt_adds_up_its_milestones() {
        let r = receipt(
            "R-2026-000001".into(),
            "2026-12-02".into(),
            "Store".into(),
            nia(),
            &[
                ("Design".into(), usd(150_000)),
                ("Build".into(), usd(250_000)),
            ],
            "a card, through Stripe",
        );
        assert_eq!(r.total, usd(400_000));
        assert_eq!(r.lines.len(), 2);
        assert_eq!(r.title(), "Receipt R-2026-000001");
        assert_eq!(r.notes[0], "Paid with a card, through Stripe.");
    }

    #[test]
    fn a_fee_invoice_charges_the_fee_and_says_the_net() {
        let i = fee_invoice(
            "FI-2026-000001".into(),
            "2026-12-02".into(),
            "Store".into(),
            nia(),
            "Design",
            usd(150_000),
            2_000,
        );
        assert_eq!(i.total, usd(30_000));
        assert_eq!(
            i.lines.iter().map(|l| l.amount.minor).sum::<i64>(),
            i.total.minor
        );
        assert!(i.lines[0].description.contains("20 %"));
        assert!(i.notes[0].contains("$1,200.00 added"), "{}", i.notes[0]);
        let odd = fee_invoice(
            "FI-2026-000002".into(),
            "2026-12-02".into(),
            "Store".into(),
            nia(),
            "Design",
            usd(10_000),
            1_250,
        );
        assert!(odd.lines[0].description.contains("12.50 %"));
        assert_eq!(odd.total, usd(1_250));
    }
}
