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

    // A file goes as an attachment, with the words beside it, in the same thread.
    let file = replies::FileReply {
        name: "proposal.pdf".into(),
        bytes: b"%PDF-1.7 the proposal".to_vec(),
        caption: "The proposal, as promised.".into(),
    };
    let sent_file = replies::send_file(&svc, &gs, sam.id, ana, channel.id, &file)
        .await
        .unwrap();
    assert_eq!(replies::deliver(&svc, 10).await.unwrap().sent, 1);
    let mail = taken
        .lock()
        .unwrap()
        .pop()
        .expect("the file reached the SMTP server");
    let crlf = mail.replace('\n', "\r\n");
    let parsed = mail_parser::MessageParser::default()
        .parse(crlf.as_bytes())
        .unwrap();
    assert_eq!(parsed.subject(), Some("Re: Booking app"));
    assert_eq!(parsed.in_reply_to().as_text(), Some("ana-1@example.com"));
    assert!(parsed
        .body_text(0)
        .unwrap()
        .contains("The proposal, as promised."));
    let attached: Vec<_> = parsed.attachments().collect();
    assert_eq!(attached.len(), 1, "{mail}");
    assert_eq!(
        mail_parser::MimeHeaders::attachment_name(attached[0]),
        Some("proposal.pdf")
    );
    assert_eq!(attached[0].contents(), b"%PDF-1.7 the proposal");
    let c = inbox::conversation(&svc, &gs, sam.id, ana).await.unwrap();
    let m = c.messages.iter().find(|m| m.id == sent_file).unwrap();
    assert_eq!(
        (m.kind.as_str(), m.status.as_deref()),
        ("document", Some("sent"))
    );
    assert_eq!(m.body.as_deref(), Some("The proposal, as promised."));

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
                false,
                Some("Re: Booking app"),
                Some("The proposal, as promised.")
            ),
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

/// A site form as a visitor sends it, `seconds` after the page gave it its token.
fn site_form(svc: &Services, pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    use domain::server::site::leads;
    let token = leads::form_token(
        svc,
        time::OffsetDateTime::now_utc() - time::Duration::seconds(8),
    );
    let mut f: std::collections::BTreeMap<String, String> = [
        ("token", token.as_str()),
        ("source_page", "/pricing"),
        ("consent", "on"),
        ("website", ""),
    ]
    .iter()
    .chain(pairs)
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    f.entry("form".into()).or_insert_with(|| "contact".into());
    f
}

#[sqlx::test(migrations = "../migrations")]
async fn site_leads_reach_the_chosen_team_and_are_answered_by_email(owner: PgPool) {
    use domain::server::site::{intake as site, leads as forms};
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
    let all = all_rows(&owner).await;
    let channel = replies::connect(&svc, &gb, "email", "sales@team-a.test", "Sales email")
        .await
        .unwrap();
    replies::connect(&svc, &gb, "whatsapp", "PN1", "WhatsApp")
        .await
        .unwrap();

    // Before the admins choose a team, a lead stays on their list only.
    let before = forms::submit(
        &svc,
        site_form(
            &svc,
            &[
                ("name", "Early Bird"),
                ("email", "early@example.com"),
                ("message", "Hello, do you build mobile apps?"),
            ],
        ),
        &common::meta("198.51.100.1"),
    )
    .await
    .unwrap();
    assert!(matches!(before, forms::Submission::Stored { .. }));
    assert_eq!(
        site::forward_pending(&svc, 10).await.unwrap(),
        site::Forwarded::default()
    );
    let v = site::view(&svc).await.unwrap();
    assert_eq!(v.current, None);
    assert_eq!(v.choices.len(), 1);
    assert_eq!(
        (v.choices[0].team.as_str(), v.choices[0].address.as_str()),
        ("team-a", "sales@team-a.test")
    );

    // Only an email channel that exists can be chosen.
    let m = common::meta("10.0.0.1");
    let e = site::set(&svc, &boss, Some(uuid::Uuid::now_v7()), &m)
        .await
        .unwrap_err();
    assert!(e
        .message_for("channel")
        .unwrap()
        .starts_with("Choose one of the teams' email channels"));
    let v = site::set(&svc, &boss, Some(channel.id), &m).await.unwrap();
    assert_eq!(v.current.as_ref().map(|c| c.channel), Some(channel.id));
    assert!(v.since.is_some());

    // Dev wrote on WhatsApp first; then he asks for a proposal on the site with the same number.
    common::deliver_whatsapp(
        &svc,
        &common::wa_text(
            "919876543210",
            "Dev",
            "wamid.dev1",
            common::now_ts() - 60,
            "Hi, are you there?",
        ),
    )
    .await;
    let Ok(forms::Submission::Stored { id, .. }) = forms::submit(
        &svc,
        site_form(
            &svc,
            &[
                ("form", "proposal"),
                ("name", "Dev Patel"),
                ("email", "Dev@Kestrel.io"),
                ("company", "Kestrel"),
                ("phone", "+91 98765 43210"),
                ("budget", "50k_plus"),
                ("timeline", "1_3_months"),
                (
                    "message",
                    "A dispatch dashboard for 400 drivers, with live tracking and SLA alerts.",
                ),
            ],
        ),
        &common::meta("198.51.100.2"),
    )
    .await
    else {
        panic!("a good proposal is stored")
    };
    // Forwarded once, however often the worker runs: the person the team knew, not a new lead.
    assert_eq!(
        site::forward_pending(&svc, 10).await.unwrap(),
        site::Forwarded {
            forwarded: 1,
            new_leads: 0
        }
    );
    assert_eq!(
        site::forward_pending(&svc, 10).await.unwrap(),
        site::Forwarded::default()
    );
    intake::process_pending(&svc, 10).await.unwrap();
    let dev = common::lead_named(&owner, "Dev").await;
    let lead = sqlx::query!(
        r#"SELECT array_agg(i.identity ORDER BY i.identity) AS "ids!"
           FROM lead_identities i WHERE i.lead_id = $1"#,
        dev
    )
    .fetch_one(&all)
    .await
    .unwrap();
    assert_eq!(
        lead.ids,
        vec![
            "email:dev@kestrel.io".to_owned(),
            "phone:+919876543210".to_owned()
        ]
    );
    let row = sqlx::query!(
        "SELECT picked_up_at, inbox_lead FROM site_leads WHERE id = $1",
        id
    )
    .fetch_one(&owner)
    .await
    .unwrap();
    assert!(row.picked_up_at.is_some());
    assert_eq!(row.inbox_lead, Some(dev));
    let listed = forms::recent_leads(&owner, 10).await.unwrap();
    let teams: Vec<(&str, Option<&str>)> = listed
        .iter()
        .map(|l| (l.name.as_str(), l.team.as_deref()))
        .collect();
    assert_eq!(
        teams,
        vec![("Dev Patel", Some("team-a")), ("Early Bird", None)]
    );

    // In the inbox: the form as an email from Dev, on the email channel, in one history with
    // his WhatsApp message; scored and routed like anyone who writes.
    scoring::score_pending(&svc, 10).await.unwrap();
    let c = inbox::conversation(&svc, &gs, sam.id, dev).await.unwrap();
    assert_eq!(c.lead.assignee.as_ref().map(|a| a.0), Some(sam.id.0));
    let site_msg = c
        .messages
        .iter()
        .find(|m| m.channel == ChannelKind::Email)
        .expect("the form arrived");
    assert!(site_msg.inbound);
    assert_eq!(
        site_msg.subject.as_deref(),
        Some("Website: a request for a proposal")
    );
    let body = site_msg.body.as_deref().unwrap();
    assert!(
        body.starts_with("A dispatch dashboard for 400 drivers"),
        "{body}"
    );
    assert!(
        body.contains("Budget: $50,000 or more\nStart: In 1–3 months"),
        "{body}"
    );
    assert!(
        body.ends_with("Sent with the proposal form on /pricing"),
        "{body}"
    );
    assert_eq!(c.messages.len(), 2);

    // Sam answers by email, in the thread the form started.
    let (url, taken) = smtp_sink().await;
    replies::set_token(&svc, &gb, channel.id, &url)
        .await
        .unwrap();
    replies::send(
        &svc,
        &gs,
        sam.id,
        dev,
        channel.id,
        &text("Thanks Dev, a proposal outline follows this week."),
    )
    .await
    .unwrap();
    assert_eq!(replies::deliver(&svc, 10).await.unwrap().sent, 1);
    let mail = taken.lock().unwrap().pop().expect("the reply went out");
    assert!(mail.contains("To: dev@kestrel.io"), "{mail}");
    assert!(
        mail.contains("Subject: Re: Website: a request for a proposal"),
        "{mail}"
    );
    assert!(
        mail.contains(&format!("In-Reply-To: <site-{id}@team-a.test>")),
        "{mail}"
    );

    // Switched off: the next lead stays on the list.
    let v = site::set(&svc, &boss, None, &m).await.unwrap();
    assert_eq!((v.current, v.since), (None, None));
    forms::submit(
        &svc,
        site_form(
            &svc,
            &[
                ("name", "Late Comer"),
                ("email", "late@example.com"),
                ("message", "Do you do design audits?"),
            ],
        ),
        &common::meta("198.51.100.3"),
    )
    .await
    .unwrap();
    assert_eq!(
        site::forward_pending(&svc, 10).await.unwrap(),
        site::Forwarded::default()
    );
    let audited: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM audit_log WHERE action = 'site.intake_set'"#
    )
    .fetch_one(&all)
    .await
    .unwrap();
    assert_eq!(audited, 2);
}
