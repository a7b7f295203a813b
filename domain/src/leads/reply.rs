//! Replies from the inbox, shared by the server and the browser: what the composer may send on a
//! channel, message templates and their variables, and the Graph API request a reply becomes.
//!
//! A free-form reply may go out only inside the messaging window ([`super::window`]); outside it
//! only an approved template may, and templates are WhatsApp's (Messenger and Instagram have the
//! human-agent tag instead, which stretches their window to 7 days).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::attachment::AttachmentKind;
use super::window::{ChannelKind, Window};
use crate::error::FieldError;
use crate::project::str_enum;

/// Most variables a template may have.
pub const TEMPLATE_VARIABLES_MAX: u8 = 20;
/// Most characters of a template's body.
pub const TEMPLATE_BODY_MAX: usize = 1024;
/// Most characters of a template variable's value.
pub const VARIABLE_MAX: usize = 1024;
/// Most characters of a canned response's title.
pub const CANNED_TITLE_MAX: usize = 80;
/// Most characters of a canned response.
pub const CANNED_BODY_MAX: usize = 4096;

/// Most characters of a free-form message on `kind`, as Meta takes them.
pub fn text_limit(kind: ChannelKind) -> usize {
    match kind {
        ChannelKind::Whatsapp => 4096,
        ChannelKind::Messenger => 2000,
        ChannelKind::Instagram => 1000,
        ChannelKind::Email => 20_000,
    }
}

/// Whether `kind` sends templates outside the window.
pub fn has_templates(kind: ChannelKind) -> bool {
    kind == ChannelKind::Whatsapp
}

str_enum!(
    /// A template's category, as Meta files it.
    TemplateCategory {
        /// Offers and news.
        Marketing => "marketing", "Marketing",
        /// About something the person asked for or did.
        Utility => "utility", "Utility",
        /// One-time codes.
        Authentication => "authentication", "Authentication",
    }
);

/// What an agent sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Compose {
    /// A free-form text (inside the window only).
    Text {
        /// What it says.
        body: String,
    },
    /// An approved template with its variables filled in (at any time).
    Template {
        /// Which of the channel's templates.
        template: uuid::Uuid,
        /// The values of {{1}}, {{2}}, … in order.
        variables: Vec<String>,
    },
}

/// A template as the composer offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateChoice {
    /// Its id.
    pub id: uuid::Uuid,
    /// Its name at Meta.
    pub name: String,
    /// Its language code (`en_US`).
    pub language: String,
    /// Its category.
    pub category: TemplateCategory,
    /// Its text, with {{1}}, {{2}}, … where the variables go.
    pub body: String,
    /// How many variables it has.
    pub variables: u8,
}

/// A canned response: a saved answer the agent puts in the composer and edits before sending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Canned {
    /// Its id.
    pub id: uuid::Uuid,
    /// What the team calls it.
    pub title: String,
    /// What it says.
    pub body: String,
}

/// A channel a conversation can be answered on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyTarget {
    /// The channel.
    pub channel: uuid::Uuid,
    /// Its kind.
    pub kind: ChannelKind,
    /// What the team calls it.
    pub channel_name: String,
    /// What may be sent now.
    pub window: Window,
    /// Why only templates may go now, when so.
    pub closed_reason: Option<String>,
    /// Its templates.
    pub templates: Vec<TemplateChoice>,
    /// Why replies on it wait instead of going out (no access token yet).
    pub held: Option<String>,
}

/// What a conversation can be answered with: its channels, the latest first, and the team's
/// canned responses.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Composer {
    /// Where a reply can go.
    pub targets: Vec<ReplyTarget>,
    /// The team's canned responses.
    pub canned: Vec<Canned>,
}

/// A channel as its settings page shows it. The access token itself never leaves the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSettings {
    /// The channel.
    pub id: uuid::Uuid,
    /// Its kind.
    pub kind: ChannelKind,
    /// What the team calls it.
    pub name: String,
    /// Meta's id for it.
    pub external_id: String,
    /// Replies may use the human-agent tag (Messenger and Instagram: a 7-day window).
    pub human_agent: bool,
    /// An access token is stored: replies go out.
    pub has_token: bool,
    /// Replies waiting to go out.
    pub queued: u32,
    /// Its templates.
    pub templates: Vec<TemplateChoice>,
}

/// The team's channels page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelsPage {
    /// The team's name.
    pub team: String,
    /// Its channels.
    pub channels: Vec<ChannelSettings>,
    /// Its canned responses.
    pub canned: Vec<Canned>,
    /// The asker may set access tokens and the human-agent tag (owners, admins, devops).
    pub can_connect: bool,
    /// The asker may change templates and canned responses (owners, admins, product).
    pub can_edit: bool,
}

/// A template as an admin enters it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSpec {
    /// Its name at Meta: lowercase letters, digits and underscores.
    pub name: String,
    /// Its language code (`en`, `en_US`, `pt_BR`).
    pub language: String,
    /// Its category (`marketing`, `utility`, `authentication`).
    pub category: String,
    /// Its text with {{1}}, {{2}}, … where the variables go.
    pub body: String,
}

/// How many variables `body` has: {{1}} to {{n}}, each number at least once and none skipped.
pub fn template_variables(body: &str) -> Result<u8, String> {
    let mut seen: Vec<u32> = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err("A variable opens with {{ but never closes with }}.".into());
        };
        let inner = after[..end].trim();
        let n: u32 = inner.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
            format!("Variables are numbered {{{{1}}}}, {{{{2}}}}, …: “{{{{{inner}}}}}” is not.")
        })?;
        if !seen.contains(&n) {
            seen.push(n);
        }
        rest = &after[end + 2..];
    }
    seen.sort_unstable();
    let count = u32::try_from(seen.len()).unwrap_or(u32::MAX);
    if seen.last().is_some_and(|&last| last != count) {
        let missing = (1..=count).find(|i| !seen.contains(i)).unwrap_or(count);
        return Err(format!(
            "Variables must be numbered from {{{{1}}}} without gaps: {{{{{missing}}}}} is missing."
        ));
    }
    u8::try_from(count)
        .ok()
        .filter(|c| *c <= TEMPLATE_VARIABLES_MAX)
        .ok_or_else(|| format!("A template has at most {TEMPLATE_VARIABLES_MAX} variables."))
}

/// `spec` checked, with its category and number of variables; or what is wrong, field by field.
pub fn check_template(spec: &TemplateSpec) -> Result<(TemplateCategory, u8), Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = spec.name.trim();
    if name.is_empty()
        || name.len() > 512
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        errors.push(FieldError::new(
            "name",
            "Use the template's name from WhatsApp Manager: lowercase letters, digits and underscores.",
        ));
    }
    let language = spec.language.trim();
    if !valid_language(language) {
        errors.push(FieldError::new(
            "language",
            "Use a language code such as en, en_US or pt_BR.",
        ));
    }
    let category = TemplateCategory::parse(spec.category.trim());
    if category.is_none() {
        errors.push(FieldError::new(
            "category",
            "Choose marketing, utility or authentication.",
        ));
    }
    let body = spec.body.trim();
    let mut variables = 0;
    if body.is_empty() || body.chars().count() > TEMPLATE_BODY_MAX {
        errors.push(FieldError::new(
            "body",
            "Copy the template's text (1 to 1,024 characters).",
        ));
    } else {
        match template_variables(body) {
            Ok(n) => variables = n,
            Err(m) => errors.push(FieldError::new("body", m)),
        }
    }
    match category {
        Some(c) if errors.is_empty() => Ok((c, variables)),
        _ => Err(errors),
    }
}

fn valid_language(code: &str) -> bool {
    let (lang, region) = match code.split_once('_') {
        Some((l, r)) => (l, Some(r)),
        None => (code, None),
    };
    (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_lowercase())
        && region.is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()))
}

/// `body` with its variables replaced by `values` ({{1}} by the first, …); or what is wrong.
pub fn render(body: &str, values: &[String]) -> Result<String, String> {
    let expected = template_variables(body)?;
    if values.len() != usize::from(expected) {
        return Err(format!(
            "This template takes {expected} value{}; {} given.",
            if expected == 1 { "" } else { "s" },
            values.len()
        ));
    }
    if let Some(i) = values.iter().position(|v| v.trim().is_empty()) {
        return Err(format!("Fill in {{{{{}}}}}.", i + 1));
    }
    if values.iter().any(|v| v.chars().count() > VARIABLE_MAX) {
        return Err("A value has at most 1,024 characters.".into());
    }
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").unwrap_or(after.len());
        let n: usize = after[..end].trim().parse().unwrap_or(0);
        out.push_str(values.get(n.wrapping_sub(1)).map_or("", |v| v.trim()));
        rest = after.get(end + 2..).unwrap_or("");
    }
    out.push_str(rest);
    Ok(out)
}

/// A free-form text trimmed and checked against `kind`'s limit; or what is wrong.
pub fn check_text(kind: ChannelKind, body: &str) -> Result<String, String> {
    let body = body.trim();
    let limit = text_limit(kind);
    if body.is_empty() {
        Err("Write the reply first.".into())
    } else if body.chars().count() > limit {
        Err(format!(
            "A {} message has at most {limit} characters; this one has {}.",
            kind.label(),
            body.chars().count()
        ))
    } else {
        Ok(body.to_owned())
    }
}

/// A reply as it goes to the Graph API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outgoing<'a> {
    /// Free-form text.
    Text(&'a str),
    /// A template by name and language, with its variables' values.
    Template {
        /// Its name at Meta.
        name: &'a str,
        /// Its language code.
        language: &'a str,
        /// {{1}}, {{2}}, … in order.
        values: &'a [String],
    },
    /// A file WhatsApp already holds (uploaded first, see [`media_upload`]).
    Media {
        /// What it goes out as.
        kind: AttachmentKind,
        /// WhatsApp's id for the uploaded file.
        id: &'a str,
        /// Words sent with it (images, videos and documents only).
        caption: Option<&'a str>,
        /// Its name (shown for documents).
        name: &'a str,
    },
}

/// The Graph API call that sends `out` from the channel `sender` (the WhatsApp phone number id,
/// the page id or the Instagram account id) to `contact`: its path under the API's base URL and
/// its JSON body. `human_agent` sends a Messenger or Instagram text with the human-agent tag
/// (when the 24 hours are over and the 7 days are not). `None`: the kind does not send this
/// (email, or a template off WhatsApp).
pub fn graph_request(
    kind: ChannelKind,
    sender: &str,
    contact: &str,
    out: Outgoing<'_>,
    human_agent: bool,
) -> Option<(String, Value)> {
    let path = format!("{sender}/messages");
    let body = match (kind, out) {
        (ChannelKind::Whatsapp, Outgoing::Text(text)) => json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": contact,
            "type": "text",
            "text": { "preview_url": false, "body": text },
        }),
        (
            ChannelKind::Whatsapp,
            Outgoing::Template {
                name,
                language,
                values,
            },
        ) => {
            let mut template = json!({ "name": name, "language": { "code": language } });
            if !values.is_empty() {
                let parameters: Vec<Value> = values
                    .iter()
                    .map(|v| json!({ "type": "text", "text": v.trim() }))
                    .collect();
                template["components"] = json!([{ "type": "body", "parameters": parameters }]);
            }
            json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": contact,
                "type": "template",
                "template": template,
            })
        }
        (
            ChannelKind::Whatsapp,
            Outgoing::Media {
                kind,
                id,
                caption,
                name,
            },
        ) => {
            let mut media = json!({ "id": id });
            if let Some(c) = caption.filter(|_| kind != AttachmentKind::Audio) {
                media["caption"] = json!(c);
            }
            if kind == AttachmentKind::Document {
                media["filename"] = json!(name);
            }
            let mut body = json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": contact,
                "type": kind.as_str(),
            });
            body[kind.as_str()] = media;
            body
        }
        (ChannelKind::Messenger | ChannelKind::Instagram, Outgoing::Text(text)) => {
            let mut body = json!({
                "recipient": { "id": contact },
                "message": { "text": text },
            });
            for (name, value) in messaging_type(human_agent) {
                body[name] = json!(value);
            }
            body
        }
        _ => return None,
    };
    Some((path, body))
}

/// Messenger's and Instagram's `messaging_type` (and `tag`): a reply, or past the first 24 hours
/// a human agent's.
fn messaging_type(human_agent: bool) -> Vec<(&'static str, &'static str)> {
    if human_agent {
        vec![("messaging_type", "MESSAGE_TAG"), ("tag", "HUMAN_AGENT")]
    } else {
        vec![("messaging_type", "RESPONSE")]
    }
}

/// A file's trip to Meta: a multipart POST of `fields` and the file (in `file_field`) to `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaUpload {
    /// Under the API's base URL.
    pub path: String,
    /// The form's text fields.
    pub fields: Vec<(&'static str, String)>,
    /// The form field that carries the file.
    pub file_field: &'static str,
}

/// How a file of `kind` and type `mime` goes from the channel `sender` to `contact`. On WhatsApp
/// it is uploaded to `{sender}/media`, which answers a media id that [`graph_request`] then sends
/// as [`Outgoing::Media`]; on Messenger and Instagram one form to `{sender}/messages` uploads and
/// sends it (with the human-agent tag when `human_agent`). `None` for email.
pub fn media_upload(
    channel: ChannelKind,
    sender: &str,
    contact: &str,
    kind: AttachmentKind,
    mime: &str,
    human_agent: bool,
) -> Option<MediaUpload> {
    match channel {
        ChannelKind::Whatsapp => Some(MediaUpload {
            path: format!("{sender}/media"),
            fields: vec![
                ("messaging_product", "whatsapp".to_owned()),
                ("type", mime.to_owned()),
            ],
            file_field: "file",
        }),
        ChannelKind::Messenger | ChannelKind::Instagram => {
            let attachment = json!({
                "attachment": { "type": kind.messenger_type(), "payload": { "is_reusable": false } }
            });
            let mut fields = vec![
                ("recipient", json!({ "id": contact }).to_string()),
                ("message", attachment.to_string()),
            ];
            fields.extend(
                messaging_type(human_agent)
                    .into_iter()
                    .map(|(k, v)| (k, v.to_owned())),
            );
            Some(MediaUpload {
                path: format!("{sender}/messages"),
                fields,
                file_field: "filedata",
            })
        }
        ChannelKind::Email => None,
    }
}

/// WhatsApp's id for an uploaded file, from its answer.
pub fn uploaded_id(answer: &Value) -> Option<String> {
    answer
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Meta's id for the message it accepted, from the Graph API's answer.
pub fn sent_id(answer: &Value) -> Option<String> {
    answer
        .pointer("/messages/0/id")
        .or_else(|| answer.get("message_id"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// What Meta said was wrong, from a Graph API error answer.
pub fn graph_error(answer: &Value) -> Option<String> {
    let e = answer.get("error")?;
    let message = e
        .get("error_user_msg")
        .or_else(|| e.get("message"))
        .and_then(Value::as_str)?;
    Some(match e.get("code").and_then(Value::as_i64) {
        Some(code) => format!("{message} (Meta error {code})"),
        None => message.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, language: &str, category: &str, body: &str) -> TemplateSpec {
        TemplateSpec {
            name: name.into(),
            language: language.into(),
            category: category.into(),
            body: body.into(),
        }
    }

    #[test]
    fn variables_are_counted_from_one_without_gaps() {
        assert_eq!(template_variables("Hello"), Ok(0));
        assert_eq!(template_variables("Hi {{1}}, about {{2}}. {{1}}!"), Ok(2));
        assert_eq!(template_variables("Hi {{ 1 }}"), Ok(1));
        assert!(template_variables("Hi {{2}}")
            .unwrap_err()
            .contains("{{1}} is missing"));
        assert!(template_variables("Hi {{name}}")
            .unwrap_err()
            .contains("“{{name}}” is not"));
        assert!(template_variables("Hi {{0}}").is_err());
        assert!(template_variables("Hi {{1")
            .unwrap_err()
            .contains("never closes"));
        let many: String = (1..=21).map(|i| format!("{{{{{i}}}}}")).collect();
        assert!(template_variables(&many)
            .unwrap_err()
            .contains("at most 20"));
    }

    #[test]
    fn a_template_is_checked_field_by_field() {
        let ok = spec(
            "follow_up",
            "en_US",
            "utility",
            "Hi {{1}}, still keen on {{2}}?",
        );
        assert_eq!(check_template(&ok), Ok((TemplateCategory::Utility, 2)));
        let bad = spec("Follow Up", "english", "sales", "Hi {{3}}");
        let fields: Vec<String> = check_template(&bad)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["name", "language", "category", "body"]);
        assert!(check_template(&spec("x", "pt_BR", "marketing", "Oi")).is_ok());
        assert!(check_template(&spec("x", "en_us", "marketing", "Hi")).is_err());
    }

    #[test]
    fn rendering_fills_each_variable_and_checks_the_values() {
        let body = "Hi {{1}}, still keen on {{2}}? — {{1}}";
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            render(body, &v(&["Ana", " the audit "])).unwrap(),
            "Hi Ana, still keen on the audit? — Ana"
        );
        assert_eq!(
            render(body, &v(&["Ana"])).unwrap_err(),
            "This template takes 2 values; 1 given."
        );
        assert_eq!(
            render(body, &v(&["Ana", " "])).unwrap_err(),
            "Fill in {{2}}."
        );
        assert_eq!(render("Hello", &[]).unwrap(), "Hello");
    }

    #[test]
    fn text_is_trimmed_and_held_to_the_channel_limit() {
        assert_eq!(check_text(ChannelKind::Whatsapp, "  hi "), Ok("hi".into()));
        assert_eq!(
            check_text(ChannelKind::Whatsapp, "  ").unwrap_err(),
            "Write the reply first."
        );
        let long = "é".repeat(1001);
        assert!(check_text(ChannelKind::Instagram, &long)
            .unwrap_err()
            .contains("at most 1000 characters; this one has 1001"));
        assert!(check_text(ChannelKind::Messenger, &long).is_ok());
    }

    #[test]
    fn whatsapp_requests_follow_the_cloud_api() {
        let (path, body) = graph_request(
            ChannelKind::Whatsapp,
            "1055",
            "14155552671",
            Outgoing::Text("Hello"),
            false,
        )
        .unwrap();
        assert_eq!(path, "1055/messages");
        assert_eq!(body["messaging_product"], "whatsapp");
        assert_eq!(body["to"], "14155552671");
        assert_eq!(body["text"]["body"], "Hello");
        let values = vec!["Ana".to_owned()];
        let (_, t) = graph_request(
            ChannelKind::Whatsapp,
            "1055",
            "14155552671",
            Outgoing::Template {
                name: "follow_up",
                language: "en_US",
                values: &values,
            },
            false,
        )
        .unwrap();
        assert_eq!(t["type"], "template");
        assert_eq!(t["template"]["language"]["code"], "en_US");
        assert_eq!(
            t["template"]["components"][0]["parameters"][0]["text"],
            "Ana"
        );
    }

    #[test]
    fn whatsapp_media_is_uploaded_then_sent_by_its_id() {
        let up = media_upload(
            ChannelKind::Whatsapp,
            "1065",
            "4915",
            AttachmentKind::Image,
            "image/png",
            false,
        )
        .unwrap();
        assert_eq!(up.path, "1065/media");
        assert_eq!(up.file_field, "file");
        assert_eq!(
            up.fields,
            vec![
                ("messaging_product", "whatsapp".to_owned()),
                ("type", "image/png".to_owned())
            ]
        );
        assert_eq!(
            uploaded_id(&json!({ "id": "MEDIA1" })).as_deref(),
            Some("MEDIA1")
        );
        assert_eq!(uploaded_id(&json!({ "id": "" })), None);

        let image = Outgoing::Media {
            kind: AttachmentKind::Image,
            id: "MEDIA1",
            caption: Some("The plan"),
            name: "plan.png",
        };
        let (path, body) =
            graph_request(ChannelKind::Whatsapp, "1065", "4915", image, false).unwrap();
        assert_eq!(path, "1065/messages");
        assert_eq!(body["type"], "image");
        assert_eq!(
            body["image"],
            json!({ "id": "MEDIA1", "caption": "The plan" })
        );
        assert_eq!(body["to"], "4915");

        let document = Outgoing::Media {
            kind: AttachmentKind::Document,
            id: "MEDIA2",
            caption: None,
            name: "brief.pdf",
        };
        let (_, body) =
            graph_request(ChannelKind::Whatsapp, "1065", "4915", document, false).unwrap();
        assert_eq!(
            body["document"],
            json!({ "id": "MEDIA2", "filename": "brief.pdf" })
        );

        // WhatsApp audio carries no caption.
        let audio = Outgoing::Media {
            kind: AttachmentKind::Audio,
            id: "MEDIA3",
            caption: Some("listen"),
            name: "a.ogg",
        };
        let (_, body) = graph_request(ChannelKind::Whatsapp, "1065", "4915", audio, false).unwrap();
        assert_eq!(body["audio"], json!({ "id": "MEDIA3" }));
        assert!(media_upload(
            ChannelKind::Email,
            "a@b.c",
            "d@e.f",
            AttachmentKind::Image,
            "image/png",
            false
        )
        .is_none());
    }

    #[test]
    fn messenger_and_instagram_upload_and_send_in_one_form() {
        for kind in [ChannelKind::Messenger, ChannelKind::Instagram] {
            let up = media_upload(
                kind,
                "77",
                "psid",
                AttachmentKind::Document,
                "application/pdf",
                true,
            )
            .unwrap();
            assert_eq!(up.path, "77/messages");
            assert_eq!(up.file_field, "filedata");
            let field = |name: &str| {
                up.fields
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.clone())
            };
            let recipient: Value = serde_json::from_str(&field("recipient").unwrap()).unwrap();
            assert_eq!(recipient, json!({ "id": "psid" }));
            let message: Value = serde_json::from_str(&field("message").unwrap()).unwrap();
            assert_eq!(message["attachment"]["type"], "file");
            assert_eq!(message["attachment"]["payload"]["is_reusable"], false);
            assert_eq!(field("messaging_type").as_deref(), Some("MESSAGE_TAG"));
            assert_eq!(field("tag").as_deref(), Some("HUMAN_AGENT"));
            let plain = media_upload(
                kind,
                "77",
                "psid",
                AttachmentKind::Image,
                "image/png",
                false,
            )
            .unwrap();
            assert!(plain
                .fields
                .contains(&("messaging_type", "RESPONSE".to_owned())));
            assert!(!plain.fields.iter().any(|(k, _)| *k == "tag"));
        }
    }

    #[test]
    fn messenger_and_instagram_tag_late_replies_as_a_human_agent() {
        for kind in [ChannelKind::Messenger, ChannelKind::Instagram] {
            let (_, plain) =
                graph_request(kind, "77", "psid", Outgoing::Text("Hi"), false).unwrap();
            assert_eq!(plain["messaging_type"], "RESPONSE");
            assert!(plain.get("tag").is_none());
            let (_, tagged) =
                graph_request(kind, "77", "psid", Outgoing::Text("Hi"), true).unwrap();
            assert_eq!(tagged["messaging_type"], "MESSAGE_TAG");
            assert_eq!(tagged["tag"], "HUMAN_AGENT");
            assert_eq!(tagged["recipient"]["id"], "psid");
        }
        let values: Vec<String> = Vec::new();
        let template = Outgoing::Template {
            name: "t",
            language: "en",
            values: &values,
        };
        assert!(graph_request(ChannelKind::Messenger, "77", "p", template, false).is_none());
        assert!(graph_request(
            ChannelKind::Email,
            "a@b.c",
            "d@e.f",
            Outgoing::Text("Hi"),
            false
        )
        .is_none());
    }

    #[test]
    fn meta_answers_are_read() {
        let wa = json!({ "messaging_product": "whatsapp", "messages": [{ "id": "wamid.X" }] });
        assert_eq!(sent_id(&wa).as_deref(), Some("wamid.X"));
        let fb = json!({ "recipient_id": "1", "message_id": "m_1" });
        assert_eq!(sent_id(&fb).as_deref(), Some("m_1"));
        assert_eq!(sent_id(&json!({})), None);
        let err = json!({ "error": { "message": "Invalid OAuth access token.", "code": 190 } });
        assert_eq!(
            graph_error(&err).as_deref(),
            Some("Invalid OAuth access token. (Meta error 190)")
        );
    }
}
