//! Email as an inbox channel: a received message's raw RFC 5322 text read into the intake's
//! items ([`parse`], by `mail-parser`), and replies sent over the channel's own SMTP server
//! (`lettre`), threaded by `Message-ID`, `In-Reply-To` and `References` ([`send`]).
//!
//! A received message is addressed to the channel that receives it: the envelope recipient the
//! mail server records (`Delivered-To`, `X-Original-To`), else each `To` and `Cc` address. The
//! intake keeps the first of these that a team has connected; a message that names none is kept
//! raw for the platform's admins.

use lettre::message::header::ContentType;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MessageBuilder, MultiPart, SinglePart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Tokio1Executor};
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::json;

use super::graph::SendError;
use crate::leads::contact;
use crate::leads::email::{new_text, whole_text};
use crate::leads::meta::{Item, Message};

/// The most recipients of one received message that are tried as the channel it came to.
const RECIPIENTS_MAX: usize = 50;

fn ids(value: &mail_parser::HeaderValue<'_>) -> Vec<String> {
    match value {
        mail_parser::HeaderValue::Text(t) => vec![t.to_string()],
        mail_parser::HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// Reads a received email. One message item per address it may have come to (see the module's
/// notes), the same message in each; fails only when the text is not an email at all (no sender
/// address to answer).
pub fn parse(raw: &[u8]) -> Result<Vec<Item>, String> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| "the body is not an email message".to_owned())?;
    let from = message.from().and_then(|a| a.first());
    let Some(sender) = from.and_then(|a| a.address()).and_then(contact::email) else {
        return Err("the email has no sender address to answer".into());
    };
    let sender_name = from
        .and_then(|a| a.name())
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(200).collect::<String>());

    // Where it was delivered: the envelope recipient when the mail server recorded it.
    let mut recipients: Vec<String> = Vec::new();
    for header in ["Delivered-To", "X-Original-To"] {
        for value in message.header_values(header) {
            if let Some(a) = value.as_text().and_then(contact::email) {
                recipients.push(a);
            }
        }
    }
    if recipients.is_empty() {
        for list in [message.to(), message.cc()].into_iter().flatten() {
            recipients.extend(
                list.iter()
                    .filter_map(|a| a.address())
                    .filter_map(contact::email),
            );
        }
    }
    let mut seen = std::collections::HashSet::new();
    recipients.retain(|r| seen.insert(r.clone()));
    recipients.truncate(RECIPIENTS_MAX);

    let subject = message.subject().map(|s| s.trim().to_owned());
    let message_id = message
        .message_id()
        .map(str::to_owned)
        // No Message-ID (rare, but allowed): the text itself names it, so a retry is still one.
        .unwrap_or_else(|| {
            use sha2::{Digest, Sha256};
            format!(
                "sha256-{}@fluxorae.invalid",
                hex::encode(Sha256::digest(raw))
            )
        });
    let in_reply_to = ids(message.in_reply_to()).into_iter().next();
    let references = ids(message.references());
    let at = message
        .date()
        .map(mail_parser::DateTime::to_timestamp)
        .filter(|t| *t > 0)
        .unwrap_or_else(|| time::OffsetDateTime::now_utc().unix_timestamp());
    // Only a reply has a quoted history to cut: a first message (a visitor's form, a forward, a
    // new enquiry) is kept whole, even a line of it that reads like "On Monday, Sam wrote:".
    let reply = in_reply_to.is_some() || !references.is_empty();
    let text = message
        .body_text(0)
        .map(|t| if reply { new_text(&t) } else { whole_text(&t) })
        .unwrap_or_default();
    let attachments: Vec<serde_json::Value> = message
        .attachments()
        .map(|a| {
            json!({
                "name": a.attachment_name().unwrap_or("attachment"),
                "type": a.content_type().map(|c| match c.subtype() {
                    Some(sub) => format!("{}/{sub}", c.ctype()),
                    None => c.ctype().to_owned(),
                }),
                "bytes": a.len(),
            })
        })
        .collect();
    let mut body = text;
    if !attachments.is_empty() {
        let names: Vec<&str> = attachments
            .iter()
            .filter_map(|a| a["name"].as_str())
            .collect();
        if !body.is_empty() {
            body.push_str("\n\n");
        }
        body.push_str(&format!("Attached: {}", names.join(", ")));
    }
    let raw_json = json!({
        "subject": subject,
        "from": sender,
        "to": recipients,
        "message_id": message_id,
        "in_reply_to": in_reply_to,
        "references": references,
        "attachments": attachments,
    });
    if recipients.is_empty() {
        return Ok(vec![Item::Unknown {
            channel: None,
            at: "email without a recipient".into(),
            raw: raw_json,
        }]);
    }
    Ok(recipients
        .into_iter()
        .map(|channel| {
            Item::Message(Message {
                channel,
                id: message_id.clone(),
                contact: sender.clone(),
                contact_name: sender_name.clone(),
                outbound: false,
                kind: "email".into(),
                text: (!body.is_empty()).then(|| body.clone()),
                media: None,
                refers_to: in_reply_to.clone(),
                at,
                raw: raw_json.clone(),
            })
        })
        .collect())
}

/// A reply by email, ready to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The channel's name, shown as the sender's.
    pub from_name: String,
    /// The channel's address.
    pub from: String,
    /// The contact's address.
    pub to: String,
    /// Its subject.
    pub subject: String,
    /// Its text.
    pub body: String,
    /// Its own id, without angle brackets.
    pub message_id: String,
    /// The message it answers.
    pub in_reply_to: Option<String>,
    /// The thread's ids, oldest first.
    pub references: Vec<String>,
    /// A file it carries.
    pub attachment: Option<File>,
}

/// A file attached to a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Its name.
    pub name: String,
    /// Its media type.
    pub mime: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

fn bracketed(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("<{id}>"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The message as it goes over SMTP.
pub fn build(out: &Outgoing) -> Result<lettre::Message, String> {
    let address: lettre::Address = out
        .from
        .parse()
        .map_err(|_| format!("The channel's address “{}” cannot send mail.", out.from))?;
    let name = out.from_name.trim();
    let from = Mailbox::new((!name.is_empty()).then(|| name.to_owned()), address);
    let to: Mailbox = out
        .to
        .parse()
        .map_err(|_| format!("“{}” cannot receive mail.", out.to))?;
    let mut builder: MessageBuilder = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(out.subject.clone())
        .message_id(Some(format!("<{}>", out.message_id)));
    if let Some(parent) = &out.in_reply_to {
        builder = builder.in_reply_to(format!("<{parent}>"));
    }
    if !out.references.is_empty() {
        builder = builder.references(bracketed(&out.references));
    }
    let written = match &out.attachment {
        None => builder.body(out.body.clone()),
        Some(f) => {
            let kind = ContentType::parse(&f.mime)
                .map_err(|_| format!("“{}” is not a media type.", f.mime))?;
            let file = lettre::message::Attachment::new(f.name.clone()).body(f.bytes.clone(), kind);
            let parts = if out.body.is_empty() {
                MultiPart::mixed().singlepart(file)
            } else {
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(out.body.clone()))
                    .singlepart(file)
            };
            builder.multipart(parts)
        }
    };
    let mut message = written.map_err(|e| format!("The email could not be written: {e}."))?;
    // Marks it as sent by a person's tool, not an autoresponder (RFC 3834).
    message.headers_mut().insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("Auto-Submitted"),
        "no".to_owned(),
    ));
    Ok(message)
}

/// Whether `url` names an SMTP server lettre can send through (`smtp://` or `smtps://`, with a
/// host).
pub fn check_smtp_url(url: &str) -> Result<(), String> {
    let ok = (url.starts_with("smtp://") || url.starts_with("smtps://"))
        && AsyncSmtpTransport::<Tokio1Executor>::from_url(url).is_ok();
    if ok {
        Ok(())
    } else {
        Err("Enter the SMTP server as a URL, like smtps://user:password@smtp.example.com:465 (or smtp://…:587?tls=required).".into())
    }
}

/// Sends `out` through the SMTP server at `smtp_url`. A refusal the server calls permanent
/// (a 5xx) is [`SendError::Refused`]; anything else is worth another try.
pub async fn send(smtp_url: &str, out: &Outgoing) -> Result<(), SendError> {
    let message = build(out).map_err(SendError::Refused)?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
        .map_err(|_| {
            SendError::Refused(
                "The channel's SMTP server URL does not read; an admin sets it again.".into(),
            )
        })?
        .timeout(Some(std::time::Duration::from_secs(20)))
        .build();
    match transport.send(message).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_permanent() => Err(SendError::Refused(format!(
            "The mail server refused it: {e}."
        ))),
        Err(e) => Err(SendError::Unavailable(format!(
            "The mail server could not take it: {e}."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPLY: &str = "Delivered-To: sales@acme.test\r\n\
From: \"Ana Diaz\" <Ana.Diaz@Example.com>\r\n\
To: Acme Sales <sales@acme.test>, other@example.org\r\n\
Subject: Re: Booking app\r\n\
Date: Thu, 03 Dec 2026 10:00:00 +0000\r\n\
Message-ID: <reply-1@example.com>\r\n\
In-Reply-To: <first@acme.test>\r\n\
References: <start@example.com> <first@acme.test>\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Thursday works. Our budget is $40,000.\r\n\
\r\n\
On Wed, 2 Dec 2026 at 09:00, Acme Sales <sales@acme.test> wrote:\r\n\
> Which day suits you?\r\n";

    fn message(items: &[Item]) -> &Message {
        match &items[0] {
            Item::Message(m) => m,
            other => panic!("not a message: {other:?}"),
        }
    }

    #[test]
    fn a_first_message_is_kept_whole_even_where_it_reads_like_a_quote() {
        let first = "To: sales@acme.test\r\nFrom: Noor <noor@haddad.example>\r\n\
Subject: Website: a message from the contact form\r\nMessage-ID: <site-7@acme.test>\r\n\
Date: Thu, 03 Dec 2026 10:00:00 +0000\r\n\r\n\
Our driver said:\r\n\r\nOn Monday, Sam wrote:\r\n> the truck is late again\r\n\r\n-- \r\nNoor, +44 20 7946 0958\r\n";
        let items = parse(first.as_bytes()).unwrap();
        assert_eq!(
            message(&items).text.as_deref(),
            Some(
                "Our driver said:\n\nOn Monday, Sam wrote:\n> the truck is late again\n\n-- \nNoor, +44 20 7946 0958"
            )
        );
    }

    #[test]
    fn a_reply_reads_with_its_thread_sender_and_new_text() {
        let items = parse(REPLY.as_bytes()).unwrap();
        // Delivered-To names the channel: the other recipients are not tried.
        assert_eq!(items.len(), 1);
        let m = message(&items);
        assert_eq!(m.channel, "sales@acme.test");
        assert_eq!(m.contact, "ana.diaz@example.com");
        assert_eq!(m.contact_name.as_deref(), Some("Ana Diaz"));
        assert_eq!(m.id, "reply-1@example.com");
        assert_eq!(m.refers_to.as_deref(), Some("first@acme.test"));
        assert_eq!(m.kind, "email");
        assert!(!m.outbound);
        assert_eq!(
            m.text.as_deref(),
            Some("Thursday works. Our budget is $40,000.")
        );
        assert_eq!(m.at, 1_796_292_000);
        assert_eq!(m.raw["subject"], "Re: Booking app");
        assert_eq!(
            m.raw["references"],
            json!(["start@example.com", "first@acme.test"])
        );
    }

    #[test]
    fn without_an_envelope_recipient_every_to_and_cc_address_is_tried() {
        let raw = "From: ana@example.com\r\nTo: Sales <SALES@acme.test>\r\nCc: help@acme.test, sales@acme.test\r\nSubject: Hi\r\n\r\nHello";
        let items = parse(raw.as_bytes()).unwrap();
        let channels: Vec<&str> = items
            .iter()
            .map(|i| match i {
                Item::Message(m) => m.channel.as_str(),
                _ => "",
            })
            .collect();
        assert_eq!(channels, ["sales@acme.test", "help@acme.test"]);
        // No Message-ID: one derived from the text, the same on every delivery.
        let again = parse(raw.as_bytes()).unwrap();
        assert_eq!(message(&items).id, message(&again).id);
        assert!(message(&items).id.starts_with("sha256-"));
    }

    #[test]
    fn html_only_mail_and_attachments_are_read() {
        let raw = "From: ana@example.com\r\nTo: sales@acme.test\r\nSubject: Brief\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>See the <b>brief</b>.</p>\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"brief.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n";
        let items = parse(raw.as_bytes()).unwrap();
        let m = message(&items);
        assert_eq!(
            m.text.as_deref(),
            Some("See the brief.\n\nAttached: brief.pdf")
        );
        assert_eq!(m.raw["attachments"][0]["type"], "application/pdf");
        assert_eq!(m.raw["attachments"][0]["bytes"], 9);
    }

    #[test]
    fn what_is_not_an_answerable_email_is_refused_or_kept() {
        assert!(parse(b"").is_err());
        assert_eq!(
            parse(b"To: sales@acme.test\r\nSubject: x\r\n\r\nno sender").unwrap_err(),
            "the email has no sender address to answer"
        );
        let items = parse(b"From: ana@example.com\r\nSubject: x\r\n\r\nno recipient").unwrap();
        assert!(matches!(&items[0], Item::Unknown { .. }));
    }

    #[test]
    fn a_reply_joins_the_thread() {
        let out = Outgoing {
            from_name: "Acme Sales".into(),
            from: "sales@acme.test".into(),
            to: "ana.diaz@example.com".into(),
            subject: "Re: Booking app".into(),
            body: "Thursday at 10 then.".into(),
            message_id: "abc@acme.test".into(),
            in_reply_to: Some("reply-1@example.com".into()),
            references: vec!["first@acme.test".into(), "reply-1@example.com".into()],
            attachment: None,
        };
        let text = String::from_utf8(build(&out).unwrap().formatted()).unwrap();
        assert!(
            text.contains("From: \"Acme Sales\" <sales@acme.test>"),
            "{text}"
        );
        assert!(text.contains("Message-ID: <abc@acme.test>"), "{text}");
        assert!(
            text.contains("In-Reply-To: <reply-1@example.com>"),
            "{text}"
        );
        assert!(
            text.contains("References: <first@acme.test> <reply-1@example.com>"),
            "{text}"
        );
        assert!(text.contains("Subject: Re: Booking app"), "{text}");
        assert!(text.contains("Auto-Submitted: no"), "{text}");
        let bad = Outgoing {
            to: "not an address".into(),
            ..out
        };
        assert!(build(&bad).unwrap_err().contains("cannot receive mail"));
    }

    #[test]
    fn a_file_goes_as_an_attachment_beside_the_text() {
        let out = Outgoing {
            from_name: "Acme Sales".into(),
            from: "sales@acme.test".into(),
            to: "ana.diaz@example.com".into(),
            subject: "Re: Booking app".into(),
            body: "The plan, as promised.".into(),
            message_id: "abc@acme.test".into(),
            in_reply_to: None,
            references: Vec::new(),
            attachment: Some(File {
                name: "plan v2.pdf".into(),
                mime: "application/pdf".into(),
                bytes: b"%PDF-1.7 the plan".to_vec(),
            }),
        };
        let raw = build(&out).unwrap().formatted();
        let parsed = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(
            parsed.body_text(0).as_deref().map(str::trim),
            Some("The plan, as promised.")
        );
        let files: Vec<_> = parsed.attachments().collect();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].attachment_name(), Some("plan v2.pdf"));
        assert_eq!(files[0].contents(), b"%PDF-1.7 the plan");
        let kind = files[0].content_type().unwrap();
        assert_eq!((kind.ctype(), kind.subtype()), ("application", Some("pdf")));
        let bad = Outgoing {
            attachment: Some(File {
                name: "x".into(),
                mime: "not a type".into(),
                bytes: vec![1],
            }),
            ..out
        };
        assert!(build(&bad).unwrap_err().contains("is not a media type"));
    }

    #[test]
    fn smtp_urls_are_checked() {
        assert!(check_smtp_url("smtps://u:p@smtp.example.com:465").is_ok());
        assert!(check_smtp_url("smtp://127.0.0.1:2525").is_ok());
        assert!(check_smtp_url("EAAG-not-a-url").is_err());
        assert!(check_smtp_url("https://smtp.example.com").is_err());
    }
}
