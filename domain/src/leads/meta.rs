//! Meta's webhook payloads (WhatsApp Cloud API, Messenger, Instagram) read into what the inbox
//! stores: every `entry`, every `change`, every message and every status, not only the first.
//! Fields and types this code does not know are kept raw on the item, never dropped and never an
//! error; only a body that is not JSON at all is refused.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::window::ChannelKind;

/// A delivery status of a message we sent. They may arrive out of order; [`Delivery::rank`]
/// keeps a message from moving backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Accepted by Meta.
    Sent,
    /// On the contact's device.
    Delivered,
    /// Read by the contact.
    Read,
    /// Not delivered.
    Failed,
}

impl Delivery {
    /// Its stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
        }
    }

    /// Parses Meta's word for it.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    /// How far along it is: a status only replaces one of lower rank. A failure counts only
    /// before delivery (a late `failed` after `read` is stale).
    pub fn rank(self) -> u8 {
        match self {
            Self::Sent => 1,
            Self::Failed => 2,
            Self::Delivered => 3,
            Self::Read => 4,
        }
    }
}

/// One thing a payload says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum Item {
    /// A message, from the contact or (an echo) from the business on another device.
    Message(Message),
    /// A delivery status of one message.
    Status(Status),
    /// Everything up to `watermark` (ms since the epoch) was delivered or read (Messenger and
    /// Instagram report reads this way).
    Watermark {
        /// The channel's id at Meta (page or Instagram account).
        channel: String,
        /// The contact.
        contact: String,
        /// Delivered or read.
        status: Delivery,
        /// Milliseconds since the epoch.
        watermark: i64,
    },
    /// Something this code does not know; kept raw.
    Unknown {
        /// The channel's id at Meta, when the payload names one.
        channel: Option<String>,
        /// Where in the payload it was (`entry.changes.field=…`).
        at: String,
        /// As received.
        raw: Value,
    },
}

/// A message in or out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The channel's id at Meta (WhatsApp phone number id, page id, Instagram account id).
    pub channel: String,
    /// Meta's id for the message (`wamid.…`, `m_…`); duplicates share it.
    pub id: String,
    /// The contact: a WhatsApp id (their number's digits), a page-scoped or Instagram-scoped id.
    pub contact: String,
    /// Their profile name, when the payload carries it.
    pub contact_name: Option<String>,
    /// True for an echo: the business wrote it (from another app or device).
    pub outbound: bool,
    /// What kind: text, image, audio, video, document, sticker, interactive, button, reaction,
    /// edit, comment, location, contacts, or Meta's own word for one this code does not know.
    pub kind: String,
    /// Its text, or what stands for it (a caption, the chosen reply's title, a reaction emoji).
    pub text: Option<String>,
    /// The media id or URL to fetch through the Graph API, for media.
    pub media: Option<String>,
    /// The message it answers, reacts to or edits.
    pub refers_to: Option<String>,
    /// Seconds since the epoch.
    pub at: i64,
    /// The message object as received.
    pub raw: Value,
}

/// A delivery status of one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// The channel's id at Meta.
    pub channel: String,
    /// The message's id.
    pub message: String,
    /// The status.
    pub status: Delivery,
    /// Seconds since the epoch.
    pub at: i64,
    /// The errors Meta gave with a failure.
    pub error: Option<String>,
}

fn s(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    match cur {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn int(v: &Value, key: &str) -> i64 {
    match v.get(key) {
        Some(Value::String(s)) => s.parse().unwrap_or(0),
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        _ => 0,
    }
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Reads a payload of `kind`. Fails only when the body is not JSON.
pub fn parse(kind: ChannelKind, body: &[u8]) -> Result<Vec<Item>, String> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let mut out = Vec::new();
    for entry in list(&v, "entry") {
        match kind {
            ChannelKind::Whatsapp => whatsapp_entry(entry, &mut out),
            _ => social_entry(entry, &mut out),
        }
    }
    if out.is_empty() {
        out.push(Item::Unknown {
            channel: None,
            at: "payload".into(),
            raw: v,
        });
    }
    Ok(out)
}

fn whatsapp_entry(entry: &Value, out: &mut Vec<Item>) {
    for change in list(entry, "changes") {
        let value = change.get("value").unwrap_or(&Value::Null);
        let field = s(change, &["field"]).unwrap_or_default();
        let Some(channel) = s(value, &["metadata", "phone_number_id"]) else {
            out.push(Item::Unknown {
                channel: None,
                at: format!("entry.changes.field={field}"),
                raw: change.clone(),
            });
            continue;
        };
        let names: Vec<(String, String)> = list(value, "contacts")
            .iter()
            .filter_map(|c| Some((s(c, &["wa_id"])?, s(c, &["profile", "name"])?)))
            .collect();
        let mut known = false;
        for m in list(value, "messages") {
            known = true;
            let contact = s(m, &["from"]).unwrap_or_default();
            let contact_name = names
                .iter()
                .find(|(id, _)| *id == contact)
                .map(|(_, n)| n.clone());
            out.push(Item::Message(whatsapp_message(
                &channel,
                contact,
                contact_name,
                m,
            )));
        }
        // Echoes of what the business sent from the WhatsApp Business app.
        for m in list(value, "message_echoes") {
            known = true;
            let contact = s(m, &["to"]).unwrap_or_default();
            let mut msg = whatsapp_message(&channel, contact, None, m);
            msg.outbound = true;
            out.push(Item::Message(msg));
        }
        for st in list(value, "statuses") {
            known = true;
            let (Some(message), Some(status)) = (
                s(st, &["id"]),
                s(st, &["status"]).and_then(|x| Delivery::parse(&x)),
            ) else {
                out.push(Item::Unknown {
                    channel: Some(channel.clone()),
                    at: "entry.changes.value.statuses".into(),
                    raw: st.clone(),
                });
                continue;
            };
            let error = list(st, "errors")
                .iter()
                .filter_map(|e| s(e, &["title"]).or_else(|| s(e, &["message"])))
                .collect::<Vec<_>>();
            out.push(Item::Status(Status {
                channel: channel.clone(),
                message,
                status,
                at: int(st, "timestamp"),
                error: (!error.is_empty()).then(|| error.join("; ")),
            }));
        }
        if !known {
            out.push(Item::Unknown {
                channel: Some(channel),
                at: format!("entry.changes.field={field}"),
                raw: change.clone(),
            });
        }
    }
}

/// Whether a message of `kind` brings media the inbox fetches and keeps: an image, audio, a
/// video, a document or a sticker (WhatsApp), or a file (Messenger, Instagram).
pub fn keeps_media(kind: &str) -> bool {
    matches!(
        kind,
        "image" | "audio" | "video" | "document" | "sticker" | "file"
    )
}

fn whatsapp_message(
    channel: &str,
    contact: String,
    contact_name: Option<String>,
    m: &Value,
) -> Message {
    let kind = s(m, &["type"]).unwrap_or_else(|| "unknown".into());
    let body = m.get(kind.as_str()).unwrap_or(&Value::Null);
    let (text, media, refers_to) = match kind.as_str() {
        "text" => (s(body, &["body"]), None, None),
        "image" | "video" | "document" | "audio" | "sticker" => (
            s(body, &["caption"]).or_else(|| s(body, &["filename"])),
            s(body, &["id"]).or_else(|| s(body, &["link"])),
            None,
        ),
        "interactive" => {
            let reply = body
                .get("button_reply")
                .or_else(|| body.get("list_reply"))
                .unwrap_or(&Value::Null);
            let text = s(reply, &["title"]).or_else(|| {
                // A flow's answer comes back as JSON text.
                s(body, &["nfm_reply", "response_json"])
            });
            (text, None, None)
        }
        // A template's quick-reply button.
        "button" => (
            s(body, &["text"]).or_else(|| s(body, &["payload"])),
            None,
            None,
        ),
        "reaction" => (s(body, &["emoji"]), None, s(body, &["message_id"])),
        "location" => (
            s(body, &["name"]).or_else(|| {
                Some(format!(
                    "{}, {}",
                    s(body, &["latitude"])?,
                    s(body, &["longitude"])?
                ))
            }),
            None,
            None,
        ),
        "edit" => (
            s(body, &["message", "text", "body"]),
            None,
            s(body, &["original_message_id"]),
        ),
        _ => (None, None, None),
    };
    Message {
        channel: channel.to_owned(),
        id: s(m, &["id"]).unwrap_or_default(),
        contact,
        contact_name,
        outbound: false,
        kind,
        text,
        media,
        refers_to: refers_to.or_else(|| s(m, &["context", "id"])),
        at: int(m, "timestamp"),
        raw: m.clone(),
    }
}

fn social_entry(entry: &Value, out: &mut Vec<Item>) {
    let channel = s(entry, &["id"]).unwrap_or_default();
    for ev in list(entry, "messaging") {
        let sender = s(ev, &["sender", "id"]).unwrap_or_default();
        let recipient = s(ev, &["recipient", "id"]).unwrap_or_default();
        let at_ms = int(ev, "timestamp");
        if let Some(m) = ev.get("message") {
            let outbound = m.get("is_echo").and_then(Value::as_bool).unwrap_or(false);
            let contact = if outbound { recipient } else { sender };
            let attachment = list(m, "attachments").first();
            let (kind, text) = if let Some(q) = m.get("quick_reply") {
                (
                    "interactive".to_owned(),
                    s(m, &["text"]).or_else(|| s(q, &["payload"])),
                )
            } else if let Some(a) = attachment {
                (
                    s(a, &["type"]).unwrap_or_else(|| "attachment".into()),
                    s(m, &["text"]),
                )
            } else {
                ("text".to_owned(), s(m, &["text"]))
            };
            out.push(Item::Message(Message {
                channel: channel.clone(),
                id: s(m, &["mid"]).unwrap_or_default(),
                contact,
                contact_name: None,
                outbound,
                kind,
                text,
                media: attachment.and_then(|a| s(a, &["payload", "url"])),
                refers_to: s(m, &["reply_to", "mid"]),
                at: at_ms / 1000,
                raw: ev.clone(),
            }));
        } else if let Some(r) = ev.get("reaction") {
            out.push(Item::Message(Message {
                channel: channel.clone(),
                id: format!(
                    "reaction:{}:{}:{}",
                    s(r, &["mid"]).unwrap_or_default(),
                    sender,
                    at_ms
                ),
                contact: sender,
                contact_name: None,
                outbound: false,
                kind: "reaction".into(),
                text: s(r, &["emoji"]).or_else(|| s(r, &["reaction"])),
                media: None,
                refers_to: s(r, &["mid"]),
                at: at_ms / 1000,
                raw: ev.clone(),
            }));
        } else if let Some(d) = ev.get("delivery") {
            for mid in list(d, "mids").iter().filter_map(Value::as_str) {
                out.push(Item::Status(Status {
                    channel: channel.clone(),
                    message: mid.to_owned(),
                    status: Delivery::Delivered,
                    at: at_ms / 1000,
                    error: None,
                }));
            }
            let watermark = int(d, "watermark");
            if watermark > 0 {
                out.push(Item::Watermark {
                    channel: channel.clone(),
                    contact: sender,
                    status: Delivery::Delivered,
                    watermark,
                });
            }
        } else if let Some(r) = ev.get("read") {
            out.push(Item::Watermark {
                channel: channel.clone(),
                contact: sender,
                status: Delivery::Read,
                watermark: int(r, "watermark"),
            });
        } else {
            out.push(Item::Unknown {
                channel: Some(channel.clone()),
                at: "entry.messaging".into(),
                raw: ev.clone(),
            });
        }
    }
    for change in list(entry, "changes") {
        let field = s(change, &["field"]).unwrap_or_default();
        let value = change.get("value").unwrap_or(&Value::Null);
        if field == "comments"
            || (field == "feed" && s(value, &["item"]).as_deref() == Some("comment"))
        {
            let id = s(value, &["id"]).or_else(|| s(value, &["comment_id"]));
            let from = s(value, &["from", "id"]);
            if let (Some(id), Some(contact)) = (id, from) {
                out.push(Item::Message(Message {
                    channel: channel.clone(),
                    id,
                    contact,
                    contact_name: s(value, &["from", "username"])
                        .or_else(|| s(value, &["from", "name"])),
                    outbound: false,
                    kind: "comment".into(),
                    text: s(value, &["text"]).or_else(|| s(value, &["message"])),
                    media: None,
                    refers_to: s(value, &["media", "id"]).or_else(|| s(value, &["post_id"])),
                    at: int(entry, "time"),
                    raw: change.clone(),
                }));
                continue;
            }
        }
        out.push(Item::Unknown {
            channel: Some(channel.clone()),
            at: format!("entry.changes.field={field}"),
            raw: change.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(items: &[Item]) -> Vec<&Message> {
        items
            .iter()
            .filter_map(|i| match i {
                Item::Message(m) => Some(m),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_entry_change_message_and_status_of_a_whatsapp_payload_is_read() {
        let body = json!({
          "object": "whatsapp_business_account",
          "entry": [
            { "id": "WABA1", "changes": [
              { "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": { "display_phone_number": "15550001111", "phone_number_id": "PN1" },
                "contacts": [ { "profile": { "name": "Ana" }, "wa_id": "14155552671" } ],
                "messages": [
                  { "from": "14155552671", "id": "wamid.1", "timestamp": "1764590400", "type": "text", "text": { "body": "Hi, price?" } },
                  { "from": "14155552671", "id": "wamid.2", "timestamp": "1764590401", "type": "image", "image": { "id": "MEDIA9", "mime_type": "image/jpeg", "caption": "our logo" } },
                  { "from": "14155552671", "id": "wamid.3", "timestamp": "1764590402", "type": "interactive", "interactive": { "type": "button_reply", "button_reply": { "id": "yes", "title": "Book a call" } } },
                  { "from": "14155552671", "id": "wamid.4", "timestamp": "1764590403", "type": "reaction", "reaction": { "message_id": "wamid.out1", "emoji": "👍" } },
                  { "from": "14155552671", "id": "wamid.5", "timestamp": "1764590404", "type": "button", "button": { "text": "Stop promotions", "payload": "STOP" }, "context": { "id": "wamid.tpl" } },
                  { "from": "14155552671", "id": "wamid.6", "timestamp": "1764590405", "type": "hologram", "hologram": { "x": 1 } }
                ]
              } },
              { "field": "messages", "value": {
                "metadata": { "phone_number_id": "PN1" },
                "statuses": [
                  { "id": "wamid.out1", "status": "read", "timestamp": "1764590500", "recipient_id": "14155552671" },
                  { "id": "wamid.out2", "status": "failed", "timestamp": "1764590501", "errors": [ { "code": 131047, "title": "Re-engagement message" } ] }
                ]
              } }
            ] },
            { "id": "WABA2", "changes": [
              { "field": "messages", "value": { "metadata": { "phone_number_id": "PN2" },
                "messages": [ { "from": "447911123456", "id": "wamid.7", "timestamp": "1764590600", "type": "text", "text": { "body": "second entry" } } ] } },
              { "field": "account_update", "value": { "event": "VERIFIED_ACCOUNT" } }
            ] }
          ]
        });
        let items = parse(ChannelKind::Whatsapp, body.to_string().as_bytes()).unwrap();
        let ms = messages(&items);
        assert_eq!(ms.len(), 7);
        assert_eq!(ms[0].text.as_deref(), Some("Hi, price?"));
        assert_eq!(ms[0].contact_name.as_deref(), Some("Ana"));
        assert_eq!(ms[0].at, 1_764_590_400);
        assert_eq!(
            (
                ms[1].kind.as_str(),
                ms[1].media.as_deref(),
                ms[1].text.as_deref()
            ),
            ("image", Some("MEDIA9"), Some("our logo"))
        );
        assert_eq!(ms[2].text.as_deref(), Some("Book a call"));
        assert_eq!(
            (ms[3].text.as_deref(), ms[3].refers_to.as_deref()),
            (Some("👍"), Some("wamid.out1"))
        );
        assert_eq!(
            (ms[4].text.as_deref(), ms[4].refers_to.as_deref()),
            (Some("Stop promotions"), Some("wamid.tpl"))
        );
        // An unknown type is kept, whole, as a message of that type.
        assert_eq!(ms[5].kind, "hologram");
        assert_eq!(ms[5].raw["hologram"]["x"], 1);
        assert_eq!(
            (ms[6].channel.as_str(), ms[6].text.as_deref()),
            ("PN2", Some("second entry"))
        );
        let statuses: Vec<&Status> = items
            .iter()
            .filter_map(|i| match i {
                Item::Status(s) => Some(s),
                _ => None,
            })
            .collect();
        assert_eq!(statuses.len(), 2);
        assert_eq!(statuses[0].status, Delivery::Read);
        assert_eq!(statuses[1].error.as_deref(), Some("Re-engagement message"));
        assert!(items.iter().any(
            |i| matches!(i, Item::Unknown { at, .. } if at == "entry.changes.field=account_update")
        ));
    }

    #[test]
    fn messenger_and_instagram_events_are_read() {
        let body = json!({
          "object": "page",
          "entry": [ { "id": "PAGE1", "time": 1764590400000i64, "messaging": [
            { "sender": { "id": "PSID1" }, "recipient": { "id": "PAGE1" }, "timestamp": 1764590400000i64, "message": { "mid": "m_1", "text": "hello" } },
            { "sender": { "id": "PAGE1" }, "recipient": { "id": "PSID1" }, "timestamp": 1764590401000i64, "message": { "mid": "m_2", "text": "hi from the app", "is_echo": true } },
            { "sender": { "id": "PSID1" }, "recipient": { "id": "PAGE1" }, "timestamp": 1764590402000i64, "message": { "mid": "m_3", "text": "Yes", "quick_reply": { "payload": "YES" } } },
            { "sender": { "id": "PSID1" }, "recipient": { "id": "PAGE1" }, "timestamp": 1764590403000i64, "message": { "mid": "m_4", "attachments": [ { "type": "image", "payload": { "url": "https://cdn.example/x.jpg" } } ] } },
            { "sender": { "id": "PSID1" }, "recipient": { "id": "PAGE1" }, "timestamp": 1764590404000i64, "delivery": { "mids": [ "m_2" ], "watermark": 1764590404000i64 } },
            { "sender": { "id": "PSID1" }, "recipient": { "id": "PAGE1" }, "timestamp": 1764590405000i64, "read": { "watermark": 1764590405000i64 } },
            { "sender": { "id": "PSID1" }, "recipient": { "id": "PAGE1" }, "timestamp": 1764590406000i64, "reaction": { "mid": "m_2", "action": "react", "emoji": "❤" } },
            { "sender": { "id": "PSID1" }, "recipient": { "id": "PAGE1" }, "timestamp": 1764590407000i64, "postback": { "payload": "GET_STARTED" } }
          ] } ]
        });
        let items = parse(ChannelKind::Messenger, body.to_string().as_bytes()).unwrap();
        let ms = messages(&items);
        assert_eq!(ms.len(), 5);
        assert_eq!((ms[0].contact.as_str(), ms[0].outbound), ("PSID1", false));
        assert_eq!((ms[1].contact.as_str(), ms[1].outbound), ("PSID1", true));
        assert_eq!(
            (ms[2].kind.as_str(), ms[2].text.as_deref()),
            ("interactive", Some("Yes"))
        );
        assert_eq!(
            (ms[3].kind.as_str(), ms[3].media.as_deref()),
            ("image", Some("https://cdn.example/x.jpg"))
        );
        assert_eq!(
            (ms[4].kind.as_str(), ms[4].refers_to.as_deref()),
            ("reaction", Some("m_2"))
        );
        assert!(items.contains(&Item::Status(Status {
            channel: "PAGE1".into(),
            message: "m_2".into(),
            status: Delivery::Delivered,
            at: 1_764_590_404,
            error: None
        })));
        assert!(items.contains(&Item::Watermark {
            channel: "PAGE1".into(),
            contact: "PSID1".into(),
            status: Delivery::Read,
            watermark: 1_764_590_405_000
        }));
        assert!(items
            .iter()
            .any(|i| matches!(i, Item::Unknown { at, .. } if at == "entry.messaging")));

        let comments = json!({ "object": "instagram", "entry": [ { "id": "IG1", "time": 1764590400, "changes": [
            { "field": "comments", "value": { "id": "C1", "text": "How much?", "from": { "id": "IGSID9", "username": "ana.makes" }, "media": { "id": "POST1" } } }
        ] } ] });
        let items = parse(ChannelKind::Instagram, comments.to_string().as_bytes()).unwrap();
        let ms = messages(&items);
        assert_eq!(
            (
                ms[0].kind.as_str(),
                ms[0].contact_name.as_deref(),
                ms[0].refers_to.as_deref()
            ),
            ("comment", Some("ana.makes"), Some("POST1"))
        );
    }

    #[test]
    fn a_body_that_is_not_json_is_refused_and_an_empty_one_kept_raw() {
        assert!(parse(ChannelKind::Whatsapp, b"not json").is_err());
        let items = parse(
            ChannelKind::Whatsapp,
            br#"{"object":"whatsapp_business_account"}"#,
        )
        .unwrap();
        assert!(matches!(&items[..], [Item::Unknown { at, .. }] if at == "payload"));
    }

    #[test]
    fn statuses_only_move_forward() {
        assert!(Delivery::Read.rank() > Delivery::Delivered.rank());
        assert!(Delivery::Delivered.rank() > Delivery::Failed.rank());
        assert!(Delivery::Failed.rank() > Delivery::Sent.rank());
    }
}
