//! Receipts, fee invoices and their credit notes in Postgres, and their PDF.
//!
//! A document is issued the first time someone asks for it: numbered from a per-kind, per-year
//! counter whose row lock serialises issuing (so numbers have no gaps and a document asked for
//! twice at once is issued once), and stored as issued. Later requests get that stored record,
//! whatever has changed since.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use serde_json::json;
use uuid::Uuid;

use super::projects::{access, is_staff};
use crate::invoice::{
    credit_note, fee_credit_note, fee_invoice, number, receipt, DocKind, DocParty, Document,
    DocumentLink,
};
use crate::money::{Currency, Money};
use crate::project::Party;
use crate::server::audit::{self, AuditEvent};
use crate::server::db;
use crate::server::{rfc3339, RequestMeta, Services};
use crate::user::SessionUser;
use crate::workspace::{format_date, today};
use crate::AppError;

fn currency(code: &str) -> Currency {
    code.parse().unwrap_or(Currency::USD)
}

fn party(name: String, email: String) -> DocParty {
    DocParty {
        name,
        lines: vec![email],
    }
}

/// The receipt for a captured payment, for its customer or staff.
pub async fn receipt_for(
    svc: &Services,
    user: &SessionUser,
    payment: Uuid,
) -> Result<Document, AppError> {
    let p = sqlx::query!(
        r#"SELECT p.customer_id, p.project_id, p.milestone_ids, p.status, p.provider,
                  u.display_name, u.email, coalesce(pr.title, '') AS "project!"
           FROM payments p
           JOIN users u ON u.id = p.customer_id
           LEFT JOIN projects pr ON pr.id = p.project_id
           WHERE p.id = $1"#,
        payment
    )
    .fetch_optional(&svc.db)
    .await?
    .ok_or(AppError::NotFound)?;
    if p.customer_id != user.id.0 && !is_staff(user) {
        return Err(AppError::NotFound);
    }
    if p.status != "captured" {
        return Err(AppError::Conflict(format!(
            "A receipt is issued once the payment has gone through; this one is {}.",
            p.status.replace('_', " ")
        )));
    }
    let milestones: Vec<(String, Money)> = sqlx::query!(
        "SELECT title, amount_minor, currency FROM milestones WHERE id = ANY($1) ORDER BY position",
        &p.milestone_ids
    )
    .fetch_all(&svc.db)
    .await?
    .into_iter()
    .map(|m| (m.title, Money::new(m.amount_minor, currency(&m.currency))))
    .collect();
    let paid_with = if p.provider == "stripe" {
        "a card, through Stripe"
    } else {
        "a card, through the built-in test provider"
    };
    let draft = receipt(
        String::new(),
        String::new(),
        p.project,
        party(p.display_name, p.email),
        &milestones,
        paid_with,
    );
    issue(
        svc,
        &format!("payment:{payment}"),
        p.customer_id,
        p.project_id,
        draft,
    )
    .await
}

/// A milestone's facts for the documents its freelancer gets.
struct WorkDone {
    title: String,
    project: String,
    project_id: Uuid,
    freelancer: Uuid,
    to: DocParty,
    released: Money,
    reversed: Money,
    fee_bps: u32,
}

/// The milestone, for its freelancer or staff (404 for anyone else, or with no freelancer).
async fn work_done(
    svc: &Services,
    user: &SessionUser,
    milestone: Uuid,
) -> Result<WorkDone, AppError> {
    let m = sqlx::query!(
        r#"SELECT m.title, m.released_minor, m.reversed_minor, m.fee_bps, m.currency,
                  m.freelancer_id, m.project_id,
                  p.title AS project, u.display_name AS "name?", u.email AS "email?"
           FROM milestones m
           JOIN projects p ON p.id = m.project_id
           LEFT JOIN users u ON u.id = m.freelancer_id
           WHERE m.id = $1"#,
        milestone
    )
    .fetch_optional(&svc.db)
    .await?
    .ok_or(AppError::NotFound)?;
    let Some(freelancer) = m.freelancer_id else {
        return Err(AppError::NotFound);
    };
    if freelancer != user.id.0 && !is_staff(user) {
        return Err(AppError::NotFound);
    }
    let c = currency(&m.currency);
    Ok(WorkDone {
        title: m.title,
        project: m.project,
        project_id: m.project_id,
        freelancer,
        to: party(m.name.unwrap_or_default(), m.email.unwrap_or_default()),
        released: Money::new(m.released_minor, c),
        reversed: Money::new(m.reversed_minor, c),
        fee_bps: m.fee_bps.unwrap_or(0).max(0) as u32,
    })
}

/// The fee invoice for a released milestone, for its freelancer or staff.
pub async fn fee_invoice_for(
    svc: &Services,
    user: &SessionUser,
    milestone: Uuid,
) -> Result<Document, AppError> {
    let m = work_done(svc, user, milestone).await?;
    if m.released.minor <= 0 {
        return Err(AppError::Conflict(
            "A fee invoice is issued once the milestone's money is released.".into(),
        ));
    }
    let draft = fee_invoice(
        String::new(),
        String::new(),
        m.project,
        m.to,
        &m.title,
        m.released,
        m.fee_bps,
    );
    issue(
        svc,
        &format!("milestone:{milestone}"),
        m.freelancer,
        Some(m.project_id),
        draft,
    )
    .await
}

/// The number of the document of `kind` about `subject`, if it was issued.
async fn issued_number(
    svc: &Services,
    kind: DocKind,
    subject: &str,
) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar!(
        "SELECT number FROM documents WHERE kind = $1 AND subject = $2",
        kind.as_str(),
        subject
    )
    .fetch_optional(&svc.db)
    .await?)
}

/// The credit note for a refund, for its customer or staff.
pub async fn credit_note_for(
    svc: &Services,
    user: &SessionUser,
    refund: Uuid,
) -> Result<Document, AppError> {
    let r = sqlx::query!(
        r#"SELECT r.customer_id, r.payment_id, r.amount_minor, r.currency, r.reason,
                  m.title, m.project_id, p.title AS project, u.display_name, u.email
           FROM refunds r
           JOIN milestones m ON m.id = r.milestone_id
           JOIN projects p ON p.id = m.project_id
           JOIN users u ON u.id = r.customer_id
           WHERE r.id = $1"#,
        refund
    )
    .fetch_optional(&svc.db)
    .await?
    .ok_or(AppError::NotFound)?;
    if r.customer_id != user.id.0 && !is_staff(user) {
        return Err(AppError::NotFound);
    }
    let receipt =
        issued_number(svc, DocKind::Receipt, &format!("payment:{}", r.payment_id)).await?;
    let draft = credit_note(
        String::new(),
        String::new(),
        r.project,
        party(r.display_name, r.email),
        &r.title,
        Money::new(r.amount_minor, currency(&r.currency)),
        r.reason == "after_release",
        receipt.as_deref(),
    );
    issue(
        svc,
        &format!("refund:{refund}"),
        r.customer_id,
        Some(r.project_id),
        draft,
    )
    .await
}

/// The fee credit note for a release that was taken back, for its freelancer or staff.
pub async fn fee_credit_note_for(
    svc: &Services,
    user: &SessionUser,
    milestone: Uuid,
) -> Result<Document, AppError> {
    let m = work_done(svc, user, milestone).await?;
    if m.reversed.minor <= 0 {
        return Err(AppError::Conflict(
            "A fee credit note is issued once a release is taken back.".into(),
        ));
    }
    let invoice =
        issued_number(svc, DocKind::FeeInvoice, &format!("milestone:{milestone}")).await?;
    let draft = fee_credit_note(
        String::new(),
        String::new(),
        m.project,
        m.to,
        &m.title,
        m.reversed,
        m.fee_bps,
        invoice.as_deref(),
    );
    issue(
        svc,
        &format!("milestone:{milestone}"),
        m.freelancer,
        Some(m.project_id),
        draft,
    )
    .await
}

/// The document of `kind` about `subject` (a payment, a milestone or a refund id).
pub async fn get(
    svc: &Services,
    user: &SessionUser,
    kind: DocKind,
    subject: Uuid,
) -> Result<Document, AppError> {
    match kind {
        DocKind::Receipt => receipt_for(svc, user, subject).await,
        DocKind::FeeInvoice => fee_invoice_for(svc, user, subject).await,
        DocKind::CreditNote => credit_note_for(svc, user, subject).await,
        DocKind::FeeCreditNote => fee_credit_note_for(svc, user, subject).await,
    }
}

fn stored(body: serde_json::Value) -> Result<Document, AppError> {
    serde_json::from_value(body).map_err(|e| {
        tracing::error!(error = %e, "an issued document does not read");
        AppError::Internal
    })
}

async fn issue(
    svc: &Services,
    subject: &str,
    owner: Uuid,
    project: Option<Uuid>,
    mut doc: Document,
) -> Result<Document, AppError> {
    let kind = doc.kind.as_str();
    let find = || {
        sqlx::query_scalar!(
            "SELECT body FROM documents WHERE kind = $1 AND subject = $2",
            kind,
            subject
        )
    };
    if let Some(body) = find().fetch_optional(&svc.db).await? {
        return stored(body);
    }
    let day = today();
    let year = day.year();
    let mut tx = db::begin(&svc.db).await?;
    sqlx::query!(
        "INSERT INTO document_counters (kind, year) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        kind,
        year
    )
    .execute(&mut *tx)
    .await?;
    let last = sqlx::query_scalar!(
        "SELECT last FROM document_counters WHERE kind = $1 AND year = $2 FOR UPDATE",
        kind,
        year
    )
    .fetch_one(&mut *tx)
    .await?;
    // Someone issued it while this request waited for the counter.
    if let Some(body) = find().fetch_optional(&mut *tx).await? {
        return stored(body);
    }
    let seq = last + 1;
    sqlx::query!(
        "UPDATE document_counters SET last = $3 WHERE kind = $1 AND year = $2",
        kind,
        year,
        seq
    )
    .execute(&mut *tx)
    .await?;
    doc.number = number(doc.kind, year, seq);
    doc.issued = format_date(day);
    let id = Uuid::now_v7();
    let body = serde_json::to_value(&doc).map_err(|_| AppError::Internal)?;
    sqlx::query!(
        "INSERT INTO documents (id, kind, number, subject, owner_id, project_id, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        id,
        kind,
        doc.number,
        subject,
        owner,
        project,
        body
    )
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        AuditEvent::new("document.issued")
            .target(format!("document:{id}"))
            .details(json!({ "number": doc.number, "subject": subject, "total": doc.total.minor })),
        &RequestMeta::default(),
    )
    .await?;
    tx.commit().await?;
    Ok(doc)
}

/// The documents of a project that `user` may open: receipts and credit notes for its
/// customer, fee invoices and fee credit notes for its freelancers (their own), all of them for
/// staff.
pub async fn for_project(
    svc: &Services,
    user: &SessionUser,
    project: Uuid,
) -> Result<Vec<DocumentLink>, AppError> {
    let party = access(&svc.db, user, project).await?.party;
    let mut out = vec![];
    if matches!(party, Party::Customer | Party::Staff) {
        for p in sqlx::query!(
            "SELECT id, amount_minor, currency, cardinality(milestone_ids) AS n, updated_at
             FROM payments WHERE project_id = $1 AND status = 'captured' ORDER BY created_at",
            project
        )
        .fetch_all(&svc.db)
        .await?
        {
            let n = p.n.unwrap_or(0);
            out.push(DocumentLink {
                kind: DocKind::Receipt,
                subject: p.id,
                title: format!("Receipt for {n} milestone{}", if n == 1 { "" } else { "s" }),
                amount: Money::new(p.amount_minor, currency(&p.currency)),
                at: rfc3339(p.updated_at),
            });
        }
        for r in sqlx::query!(
            "SELECT r.id, r.amount_minor, r.currency, r.created_at, m.title FROM refunds r
             JOIN milestones m ON m.id = r.milestone_id
             WHERE m.project_id = $1 ORDER BY r.created_at",
            project
        )
        .fetch_all(&svc.db)
        .await?
        {
            out.push(DocumentLink {
                kind: DocKind::CreditNote,
                subject: r.id,
                title: format!("Credit note for “{}”", r.title),
                amount: Money::new(r.amount_minor, currency(&r.currency)),
                at: rfc3339(r.created_at),
            });
        }
    }
    if matches!(party, Party::Freelancer | Party::Staff) {
        for m in sqlx::query!(
            "SELECT id, title, released_minor, reversed_minor, fee_bps, currency, updated_at FROM milestones
             WHERE project_id = $1 AND released_minor > 0 AND ($2 OR freelancer_id = $3)
             ORDER BY position",
            project,
            party == Party::Staff,
            user.id.0
        )
        .fetch_all(&svc.db)
        .await?
        {
            let released = Money::new(m.released_minor, currency(&m.currency));
            let fee_bps = m.fee_bps.unwrap_or(0).max(0) as u32;
            out.push(DocumentLink {
                kind: DocKind::FeeInvoice,
                subject: m.id,
                title: format!("Fee invoice for “{}”", m.title),
                amount: crate::project::fee(released, fee_bps),
                at: rfc3339(m.updated_at),
            });
            if m.reversed_minor > 0 {
                let reversed = Money::new(m.reversed_minor, currency(&m.currency));
                out.push(DocumentLink {
                    kind: DocKind::FeeCreditNote,
                    subject: m.id,
                    title: format!("Fee credit note for “{}”", m.title),
                    amount: crate::project::fee(reversed, fee_bps),
                    at: rfc3339(m.updated_at),
                });
            }
        }
    }
    Ok(out)
}

// ----------------------------------------------------------------------------------------------
// PDF

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const LEFT: f32 = 56.0;
const RIGHT: f32 = PAGE_W - 56.0;

/// Text for a standard PDF font: Windows-1252, anything outside it shown as `?` (the rupee
/// sign as `Rs`).
fn winansi(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut buf = [0u8; 4];
    for c in s.chars() {
        if c == '₹' {
            out.extend_from_slice(b"Rs");
            continue;
        }
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(c.encode_utf8(&mut buf));
        if unmappable || bytes.len() != 1 {
            out.push(b'?');
        } else {
            out.push(bytes[0]);
        }
    }
    out
}

/// Words of `text` in lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![];
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

struct Page {
    content: Content,
}

impl Page {
    fn text(&mut self, font: &[u8], size: f32, x: f32, y: f32, s: &str) {
        let bytes = winansi(s);
        self.content
            .begin_text()
            .set_font(Name(font), size)
            .next_line(x, y)
            .show(Str(&bytes))
            .end_text();
    }

    /// Right-aligned at `right` in Courier (every glyph 0.6 em wide).
    fn amount(&mut self, bold: bool, size: f32, right: f32, y: f32, s: &str) {
        let width = winansi(s).len() as f32 * 0.6 * size;
        let font: &[u8] = if bold { b"F4" } else { b"F3" };
        self.text(font, size, right - width, y, s);
    }

    fn rule(&mut self, y: f32) {
        self.content
            .set_line_width(0.5)
            .move_to(LEFT, y)
            .line_to(RIGHT, y)
            .stroke();
    }
}

/// The document as a one-page A4 PDF in the standard fonts.
pub fn pdf(doc: &Document) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let (catalog, tree, page_id, content_id, info) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
    );
    let fonts = [
        (b"F1", b"Helvetica".as_slice(), Ref::new(6)),
        (b"F2", b"Helvetica-Bold".as_slice(), Ref::new(7)),
        (b"F3", b"Courier".as_slice(), Ref::new(8)),
        (b"F4", b"Courier-Bold".as_slice(), Ref::new(9)),
    ];
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page_id]).count(1);
    {
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(tree);
        page.contents(content_id);
        let mut resources = page.resources();
        let mut f = resources.fonts();
        for (name, _, id) in &fonts {
            f.pair(Name(name.as_slice()), *id);
        }
        f.finish();
        resources.finish();
        page.finish();
    }
    for (_, base, id) in &fonts {
        pdf.type1_font(*id)
            .base_font(Name(base))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info)
        .title(TextStr(&doc.title()))
        .producer(TextStr("Fluxorae"));

    let mut p = Page {
        content: Content::new(),
    };
    let mut y = PAGE_H - 72.0;
    p.text(b"F2", 22.0, LEFT, y, doc.kind.label());
    y -= 22.0;
    p.text(
        b"F1",
        10.0,
        LEFT,
        y,
        &format!("No. {}   ·   Issued {}", doc.number, doc.issued),
    );
    y -= 14.0;
    p.text(b"F1", 10.0, LEFT, y, &format!("Project: {}", doc.project));
    y -= 36.0;
    for (x, heading, who) in [(LEFT, "From", &doc.from), (320.0, "To", &doc.to)] {
        let mut yy = y;
        p.text(b"F2", 9.0, x, yy, heading);
        yy -= 14.0;
        p.text(b"F2", 11.0, x, yy, &who.name);
        for line in &who.lines {
            yy -= 13.0;
            p.text(b"F1", 10.0, x, yy, line);
        }
    }
    y -= 80.0;
    p.text(b"F2", 10.0, LEFT, y, "Description");
    p.amount(true, 10.0, RIGHT, y, "Amount");
    y -= 8.0;
    p.rule(y);
    y -= 16.0;
    for line in doc.lines.iter().take(30) {
        let wrapped = wrap(&line.description, 70);
        p.amount(false, 10.0, RIGHT, y, &line.amount.to_string());
        for (i, part) in wrapped.iter().enumerate() {
            if i > 0 {
                y -= 13.0;
            }
            p.text(b"F1", 10.0, LEFT, y, part);
        }
        y -= 18.0;
    }
    p.rule(y + 8.0);
    y -= 8.0;
    p.text(b"F2", 12.0, LEFT, y, &doc.total_label);
    p.amount(true, 12.0, RIGHT, y, &doc.total.to_string());
    y -= 36.0;
    for note in &doc.notes {
        for part in wrap(note, 100) {
            p.text(b"F1", 9.0, LEFT, y, &part);
            y -= 12.0;
        }
        y -= 4.0;
    }
    p.text(
        b"F1",
        8.0,
        LEFT,
        48.0,
        &format!("{} · issued by Fluxorae from its ledger", doc.title()),
    );
    pdf.stream(content_id, &p.content.finish());
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoice::fee_invoice;

    fn doc() -> Document {
        fee_invoice(
            "FI-2026-000007".into(),
            "2026-12-02".into(),
            "Ceramics store".into(),
            DocParty {
                name: "Fern Freelancer".into(),
                lines: vec!["fern@example.com".into()],
            },
            "Design — first pass",
            Money::new(150_000, Currency::EUR),
            2_000,
        )
    }

    #[test]
    fn the_pdf_is_a_pdf_with_the_documents_words() {
        let bytes = pdf(&doc());
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(bytes.trim_ascii_end().ends_with(b"%%EOF"));
        let has = |s: &[u8]| bytes.windows(s.len()).any(|w| w == s);
        assert!(has(b"(Fee invoice)"));
        assert!(has(b"FI-2026-000007"));
        assert!(has(b"/BaseFont /Helvetica"));
        assert!(has(b"/WinAnsiEncoding"));
        // Text beyond ASCII goes out as hex strings of Windows-1252: the euro sign, the dash.
        let hex = |s: &str| -> Vec<u8> {
            winansi(s)
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect::<String>()
                .into_bytes()
        };
        assert!(has(&hex("€300.00")));
        assert!(has(&hex("Design — first pass")));
    }

    #[test]
    fn text_outside_windows_1252_degrades_visibly() {
        assert_eq!(winansi("Café €5"), b"Caf\xe9 \x805");
        assert_eq!(winansi("₹500"), b"Rs500");
        assert_eq!(winansi("日本"), b"??");
    }

    #[test]
    fn wrapping_keeps_words_whole() {
        assert_eq!(
            wrap("one two three four five", 9),
            ["one two", "three", "four five"]
        );
        assert!(wrap("", 10).is_empty());
    }
}
