//! Outgoing email: always recorded in the outbox; sent over SMTP (lettre) when configured.

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use sqlx::PgPool;
use uuid::Uuid;

use super::rfc3339;
use crate::types::Email;
use crate::user::OutboxEmail;
use crate::AppError;

/// Sends an email.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends (or queues) a plain-text email.
    async fn send(&self, to: &Email, subject: &str, body: &str) -> Result<(), AppError>;
}

/// Keeps emails in the outbox for admins to read: the offline default.
pub struct OutboxMailer {
    pool: PgPool,
}

impl OutboxMailer {
    /// An outbox over the application pool.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, to: &Email, subject: &str, body: &str) -> Result<(), AppError> {
        sqlx::query!(
            "INSERT INTO email_outbox (id, to_address, subject, body_text, transport) VALUES ($1, $2, $3, $4, 'outbox')",
            Uuid::now_v7(),
            to.as_str(),
            subject,
            body
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Sends through an SMTP server and records the result in the outbox.
pub struct SmtpMailer {
    pool: PgPool,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// From an SMTP URL (`smtps://user:pass@host:465`, `smtp://host:25?tls=required`) and a sender.
    pub fn new(pool: PgPool, smtp_url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| format!("SMTP_URL is not valid: {e}"))?
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| format!("MAIL_FROM is not valid: {e}"))?;
        Ok(Self {
            pool,
            transport,
            from,
        })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, to: &Email, subject: &str, body: &str) -> Result<(), AppError> {
        let to_box: Mailbox = to
            .as_str()
            .parse()
            .map_err(|_| AppError::field("email", "That email address cannot receive mail."))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to_box)
            .subject(subject)
            .body(body.to_owned())
            .map_err(|e| {
                tracing::error!(error = %e, "building email failed");
                AppError::Internal
            })?;
        let result = self.transport.send(message).await;
        let error = result.as_ref().err().map(|e| e.to_string());
        if let Some(e) = &error {
            tracing::error!(error = %e, "SMTP send failed");
        }
        sqlx::query!(
            "INSERT INTO email_outbox (id, to_address, subject, body_text, transport, sent_at, error)
             VALUES ($1, $2, $3, $4, 'smtp', CASE WHEN $5::text IS NULL THEN now() END, $5)",
            Uuid::now_v7(),
            to.as_str(),
            subject,
            body,
            error
        )
        .execute(&self.pool)
        .await?;
        result.map(|_| ()).map_err(|_| AppError::Internal)
    }
}

/// The newest emails, for admins.
pub async fn recent(pool: &PgPool, limit: i64) -> Result<Vec<OutboxEmail>, AppError> {
    let rows = sqlx::query!(
        "SELECT to_address, subject, body_text, transport, created_at FROM email_outbox ORDER BY created_at DESC, id DESC LIMIT $1",
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| OutboxEmail {
            to: r.to_address,
            subject: r.subject,
            body: r.body_text,
            created_at: rfc3339(r.created_at),
            transport: r.transport,
        })
        .collect())
}
