//! Email as an inbox channel, against real Postgres and Redis and a stand-in SMTP server on a
//! local port: a team connects its address; a received message (raw RFC 5322, as a mail server
//! posts it) becomes a lead known by the sender's address, once however often it is delivered;
//! what names no connected address is kept for the admins; a reply waits until the channel has
//! an SMTP server, then goes out in the thread (subject, In-Reply-To, References), and the
//! person's answer to it joins the same conversation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::{all_rows, leads_grant, services};
use domain::leads::reply::Compose;
use domain::leads::{ChannelKind, Window};
use domain::server::channels::intake::{self, Received};
use domain::server::leads::replies::{self, Delivered};
use domain::server::leads::{inbox, scoring};
use domain::server::Services;
use domain::AppError;
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The messages a stand-in SMTP server took, as their DATA.
type Taken = Arc<Mutex<Vec<String>>>;

/// Serves SMTP on a local port: takes every message, except one whose text asks to be refused
/// (answered 550, a permanent refusal).
async fn smtp_sink() -> (String, Taken) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let taken: Taken = Arc::default();
    let keep = taken.clone();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let keep = keep.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "DATA" => {
                            write.write_all(b"354 go on\r\n").await.unwrap();
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            if data.contains("please refuse") {
                                b"550 5.7.1 Message refused by policy\r\n"
                            } else {
                                keep.lock().unwrap().push(data);
                                b"250 2.0.0 queued\r\n"
                            }
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(answer).await.unwrap();
                }
            });
        }
    });
    (url, taken)
}

async fn deliver_email(svc: &Services, raw: &str) -> Received {
    let r = intake::receive(svc, ChannelKind::Email, raw.as_bytes())
        .await
        .unwrap();
    intake::process_pending(svc, 10).await.unwrap();
    r
}

const FIRST: &str = "From: Ana Diaz <Ana@Example.com>\r\n\
To: Sales <sales@team-a.test>\r\n\
Cc: friend@elsewhere.test\r\n\
Subject: Booking app\r\n\
Date: Thu, 03 Dec 2026 10:00:00 +0000\r\n\
Message-ID: <ana-1@example.com>\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Hello! We run 12 clinics and need a booking app. Our budget is $60,000 and we want to start next week. Can we book a call?\r\n";

fn text(body: &str) -> Compose {
    Compose::Text { body: body.into() }
}

#[sqlx::test(migrations = "../migrations")]
async fn emails_become_leads_and_replies_go_out_in_the_thread(owner: PgPool) {
    let svc = services(&owner).await;
    let common::SalesTeam {
        tenant: _t,
        boss,
        sam,
    } = common::sales_team(&svc, &owner).await;
    let (gs, gb) = (
        leads_grant(&svc, &sam).await,
        leads_grant(&svc, &boss).await,
    );

    // Connecting: only who may connect channels; the address must read, and is kept
    // lower-cased; one team per address.
    let e = replies::connect(&svc, &gs, "email", "sales@team-a.test", "Sales email")
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden));
    let e = replies::connect(&svc, &gb, "email", "sales@", "Sales email")
        .await
        .unwrap_err();
    assert_eq!(
        e.message_for("external_id"),
        Some("Enter the inbox's email address, like sales@example.com.")
    );
    let e = replies::connect(&svc, &gb, "fax", "123", "Fax")
        .await
        .unwrap_err();
    assert!(e.message_for("kind").is_some());
    let channel = replies::connect(&svc, &gb, "email", " Sales@Team-A.test ", "Sales email")
        .await
        .unwrap();
    assert_eq!(channel.external_id, "sales@team-a.test");
    let e = replies::connect(&svc, &gb, "email", "sales@team-a.test", "Again")
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::Conflict(m) if m.starts_with("This address is already connected"))
    );

    // Ana writes. The same text delivered again is a retry; the same message arriving through
    // another path (other bytes, the same Message-ID) is stored once too.
    assert!(matches!(
        deliver_email(&svc, FIRST).await,
        Received::Stored(_)
    ));
    assert_eq!(deliver_email(&svc, FIRST).await, Received::Duplicate);
    let relayed = format!("Received: from relay.example.com\r\n{FIRST}");
    assert!(matches!(
        deliver_email(&svc, &relayed).await,
        Received::Stored(_)
    ));
    let all = all_rows(&owner).await;
    let stored = sqlx::query!(
        r#"SELECT contact, contact_name, kind, body, provider_id, lead_id AS "lead!", raw->>'subject' AS subject
           FROM channel_messages WHERE channel_id = $1"#,
        channel.id
    )
    .fetch_all(&all)
    .await
    .unwrap();
    assert_eq!(stored.len(), 1);
    let m = &stored[0];
    assert_eq!(m.contact.as_deref(), Some("ana@example.com"));
    assert_eq!(m.contact_name.as_deref(), Some("Ana Diaz"));
    assert_eq!(m.kind.as_deref(), Some("email"));
    assert_eq!(m.provider_id, "ana-1@example.com");
    assert_eq!(m.subject.as_deref(), Some("Booking app"));
    let ana = m.lead;
    let lead = sqlx::query!(
        r#"SELECT l.name, l.source, array_agg(i.identity) AS "ids!"
           FROM leads l JOIN lead_identities i ON i.lead_id = l.id WHERE l.id = $1
           GROUP BY l.id"#,
        ana
    )
    .fetch_one(&all)
    .await
    .unwrap();
    assert_eq!(lead.name.as_deref(), Some("Ana Diaz"));
    assert_eq!(lead.source, "email");
    assert_eq!(lead.ids, vec!["email:ana@example.com".to_owned()]);
    // The other recipient is no team's channel, and the message is not kept twice for it.
    let leftovers = sqlx::query_scalar!("SELECT count(*) FROM webhook_leftovers")
        .fetch_one(&all)
        .await
        .unwrap();
    assert_eq!(leftovers, Some(0));

    // A message to an address no team connected is kept raw for the admins.
    deliver_email(
        &svc,
        "From: bob@example.com\r\nTo: info@nobody.test\r\nSubject: Hi\r\nMessage-ID: <bob-1@example.com>\r\n\r\nHello",
    )
    .await;
    let left = sqlx::query!("SELECT kind, reason, external_id, location FROM webhook_leftovers")
        .fetch_all(&all)
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(
        (
            left[0].kind.as_str(),
            left[0].reason.as_str(),
            left[0].external_id.as_deref(),
            left[0].location.as_str()
        ),
        ("email", "unrouted", Some("info@nobody.test"), "message")
    );
    // What is not an email at all fails with the reason.
    deliver_email(&svc, "just some words, no headers").await;
    let failed = sqlx::query_scalar!("SELECT error FROM webhook_events WHERE status = 'failed'")
        .fetch_all(&all)
        .await
        .unwrap();
    assert_eq!(
        failed,
        vec![Some("the email has no sender address to answer".to_owned())]
    );

    // Ana is scored and routed like anyone who writes: HOT, to Sam.
    scoring::score_pending(&svc, 10).await.unwrap();
    let c = inbox::conversation(&svc, &gs, sam.id, ana).await.unwrap();
    assert_eq!(c.lead.assignee.as_ref().map(|a| a.0), Some(sam.id.0));
    assert_eq!(c.messages.len(), 1);
    assert_eq!(c.messages[0].subject.as_deref(), Some("Booking app"));
    assert_eq!(c.messages[0].channel, ChannelKind::Email);
    // Email has no reply window; without an SMTP server a reply waits, and says why.
    let composer = c.composer.expect("Sam works the conversation");
    let target = &composer.targets[0];
    assert_eq!(target.window, Window::Open { closes: None });
    assert!(target.templates.is_empty());
    assert!(target
        .held
        .as_deref()
        .unwrap()
        .contains("“Sales email” has no SMTP server yet"));
    let reply = "Thanks Ana! Thursday at 10:00 works for a call.";
    let id = replies::send(&svc, &gs, sam.id, ana, channel.id, &text(reply))
        .await
        .unwrap();
    let (url, taken) = smtp_sink().await;
    assert_eq!(
        replies::deliver(&svc, 10).await.unwrap(),
        Delivered::default()
    );

    // The SMTP server is a URL; what is not one is refused at the field.
    let e = replies::set_token(&svc, &gb, channel.id, "EAAB-meta-token")
        .await
        .unwrap_err();
    assert!(e
        .message_for("token")
        .unwrap()
        .starts_with("Enter the SMTP server as a URL"));
    replies::set_token(&svc, &gb, channel.id, &url)
        .await
        .unwrap();
    let sent = replies::deliver(&svc, 10).await.unwrap();
    assert_eq!(sent.sent, 1, "{sent:?}");
    let mail = taken
        .lock()
        .unwrap()
        .pop()
        .expect("the reply reached the SMTP server");
    assert!(
        mail.contains("From: \"Sales email\" <sales@team-a.test>"),
        "{mail}"
    );
    assert!(mail.contains("To: ana@example.com"), "{mail}");
    assert!(mail.contains("Subject: Re: Booking app"), "{mail}");
    assert!(mail.contains("In-Reply-To: <ana-1@example.com>"), "{mail}");
    assert!(mail.contains("References: <ana-1@example.com>"), "{mail}");
    assert!(mail.contains(reply), "{mail}");
    let ours = format!("{}@team-a.test", id.simple());
    assert!(mail.contains(&format!("Message-ID: <{ours}>")), "{mail}");
    let row = sqlx::query!(
        "SELECT provider_id, status, error FROM channel_messages WHERE id = $1",
        id
    )
    .fetch_one(&all)
    .await
    .unwrap();
    assert_eq!(
        (row.provider_id.as_str(), row.status.as_deref(), row.error),
        (ours.as_str(), Some("sent"), None)
    );

    // Ana answers the reply: the same conversation, her new words only, linked to ours.
    let later = (time::OffsetDateTime::now_utc() + time::Duration::seconds(2))
        .format(&time::format_description::well_known::Rfc2822)
        .unwrap();
    let answer = format!(
        "From: Ana Diaz <ana@example.com>\r\nTo: sales@team-a.test\r\nSubject: Re: Booking app\r\nDate: {later}\r\n\
         Message-ID: <ana-2@example.com>\r\nIn-Reply-To: <{ours}>\r\n\
         References: <ana-1@example.com> <{ours}>\r\n\r\n\
         Perfect, talk on Thursday.\r\n\r\nOn Thu, 3 Dec 2026, Sales email <sales@team-a.test> wrote:\r\n> {reply}\r\n"
    );
    deliver_email(&svc, &answer).await;
    let c = inbox::conversation(&svc, &gs, sam.id, ana).await.unwrap();
    let bodies: Vec<(bool, Option<&str>, Option<&str>)> = c
        .messages
        .iter()
        .map(|m| (m.inbound, m.subject.as_deref(), m.body.as_deref()))
        .collect();
    assert_eq!(
        bodies,
        vec![
            (
                true,
                Some("Booking app"),
                Some(FIRST.rsplit("\r\n\r\n").next().unwrap().trim())
            ),
            (false, Some("Re: Booking app"), Some(reply)),
            (
                true,
                Some("Re: Booking app"),
                Some("Perfect, talk on Thursday.")
            ),
        ]
    );
    let refers = sqlx::query_scalar!(
        "SELECT refers_to FROM channel_messages WHERE provider_id = 'ana-2@example.com'"
    )
    .fetch_one(&all)
    .await
    .unwrap();
    assert_eq!(refers.as_deref(), Some(ours.as_str()));

    // The next reply answers her latest message, carrying the whole thread.
    let second = replies::send(&svc, &gs, sam.id, ana, channel.id, &text("See you then."))
        .await
        .unwrap();
    assert_eq!(replies::deliver(&svc, 10).await.unwrap().sent, 1);
    // Long header lines are folded: read them unfolded.
    let mail = taken.lock().unwrap().pop().unwrap().replace("\n ", " ");
    assert!(mail.contains("In-Reply-To: <ana-2@example.com>"), "{mail}");
    assert!(
        mail.contains(&format!(
            "References: <ana-1@example.com> <{ours}> <ana-2@example.com>"
        )),
        "{mail}"
    );
    assert_ne!(second, id);

    // A permanent refusal by the mail server fails the reply with its words; no retry.
    let refused = replies::send(
        &svc,
        &gs,
        sam.id,
        ana,
        channel.id,
        &text("please refuse this"),
    )
    .await
    .unwrap();
    let done = replies::deliver(&svc, 10).await.unwrap();
    assert_eq!((done.sent, done.failed), (0, 1));
    let row = sqlx::query!(
        "SELECT status, error FROM channel_messages WHERE id = $1",
        refused
    )
    .fetch_one(&all)
    .await
    .unwrap();
    assert_eq!(row.status.as_deref(), Some("failed"));
    assert!(row.error.unwrap().contains("The mail server refused it"));
}
