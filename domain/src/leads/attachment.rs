//! Files an SDR sends a contact from the inbox: what each channel takes (the types and sizes Meta
//! publishes for the WhatsApp Cloud API, Messenger and Instagram; any file by email), what a file
//! is (read from its bytes, never from its name alone), and whether a caption goes with the file
//! or follows it as a text message.

use serde::{Deserialize, Serialize};

use super::reply::text_limit;
use super::ChannelKind;

const MB: usize = 1024 * 1024;

/// The largest file the inbox sends (and keeps): the same 16 MB as the media contacts send.
pub const ATTACHMENT_MAX: usize = 16 * MB;

/// The most characters of a WhatsApp caption.
pub const WHATSAPP_CAPTION_MAX: usize = 1024;

/// What a file goes out as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// A picture, shown in the chat.
    Image,
    /// A sound or voice message.
    Audio,
    /// A video.
    Video,
    /// Any other file (a PDF, a spreadsheet, …), to download.
    Document,
}

impl AttachmentKind {
    /// The message kind it is stored as (and WhatsApp's name for it).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Audio => "audio",
            Self::Video => "video",
            Self::Document => "document",
        }
    }

    /// The kind a stored message names, if it is an attachment's.
    pub fn parse(kind: &str) -> Option<Self> {
        match kind {
            "image" => Some(Self::Image),
            "audio" => Some(Self::Audio),
            "video" => Some(Self::Video),
            "document" => Some(Self::Document),
            _ => None,
        }
    }

    /// Messenger's and Instagram's name for it.
    pub fn messenger_type(self) -> &'static str {
        match self {
            Self::Document => "file",
            other => other.as_str(),
        }
    }

    fn plural(self) -> &'static str {
        match self {
            Self::Image => "images",
            Self::Audio => "audio files",
            Self::Video => "videos",
            Self::Document => "documents",
        }
    }
}

/// A file checked for a channel, ready to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// What it goes out as.
    pub kind: AttachmentKind,
    /// Its media type, read from its bytes.
    pub mime: String,
    /// Its name as the contact sees it.
    pub name: String,
    /// Its size in bytes.
    pub size: usize,
}

const WHATSAPP_DOCUMENTS: [&str; 8] = [
    "application/pdf",
    "text/plain",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
];

fn major(mime: &str) -> &str {
    mime.split('/').next().unwrap_or_default()
}

/// What `channel` takes of media type `mime`: its kind and the largest size Meta allows.
fn accepted(channel: ChannelKind, mime: &str) -> Option<(AttachmentKind, usize)> {
    use AttachmentKind::{Audio, Document, Image, Video};
    match channel {
        ChannelKind::Whatsapp => match mime {
            "image/jpeg" | "image/png" => Some((Image, 5 * MB)),
            "audio/aac" | "audio/amr" | "audio/mpeg" | "audio/mp4" | "audio/ogg" => {
                Some((Audio, 16 * MB))
            }
            "video/mp4" | "video/3gpp" => Some((Video, 16 * MB)),
            m if WHATSAPP_DOCUMENTS.contains(&m) => Some((Document, 100 * MB)),
            _ => None,
        },
        ChannelKind::Instagram => match mime {
            "image/jpeg" | "image/png" | "image/gif" => Some((Image, 8 * MB)),
            "audio/aac" | "audio/mp4" | "audio/wav" => Some((Audio, 25 * MB)),
            "video/mp4" | "video/ogg" | "video/x-msvideo" | "video/quicktime" | "video/webm" => {
                Some((Video, 25 * MB))
            }
            "application/pdf" => Some((Document, 25 * MB)),
            _ => None,
        },
        ChannelKind::Messenger | ChannelKind::Email => {
            let limit = if channel == ChannelKind::Email {
                ATTACHMENT_MAX
            } else {
                25 * MB
            };
            Some(match (channel, major(mime)) {
                (ChannelKind::Messenger, "image")
                    if !matches!(mime, "image/jpeg" | "image/png" | "image/gif") =>
                {
                    (Document, limit)
                }
                (_, "image") => (Image, limit),
                (_, "audio") => (Audio, limit),
                (_, "video") => (Video, limit),
                _ => (Document, limit),
            })
        }
    }
}

/// What `channel` takes, in words, for the composer and for a refused file.
pub fn accepted_hint(channel: ChannelKind) -> &'static str {
    match channel {
        ChannelKind::Whatsapp => {
            "JPEG or PNG images up to 5 MB; MP4 or 3GP videos and AAC, AMR, MP3, M4A or OGG audio up to 16 MB; PDF, Word, Excel, PowerPoint or text documents up to 16 MB"
        }
        ChannelKind::Instagram => {
            "JPEG, PNG or GIF images up to 8 MB; MP4, MOV, AVI, OGG or WebM videos, AAC, M4A or WAV audio and PDF files up to 16 MB"
        }
        ChannelKind::Messenger => "images, audio, video and other files up to 16 MB",
        ChannelKind::Email => "any file up to 16 MB",
    }
}

/// The file picker's `accept` list for `channel` (a hint to the browser; the server checks the
/// bytes).
pub fn accept_list(channel: ChannelKind) -> &'static str {
    match channel {
        ChannelKind::Whatsapp => {
            "image/jpeg,image/png,video/mp4,video/3gpp,audio/aac,audio/amr,audio/mpeg,audio/mp4,audio/ogg,.m4a,.pdf,.txt,.doc,.docx,.xls,.xlsx,.ppt,.pptx"
        }
        ChannelKind::Instagram => {
            "image/jpeg,image/png,image/gif,video/mp4,video/ogg,video/x-msvideo,video/quicktime,video/webm,audio/aac,audio/mp4,audio/wav,.m4a,.pdf"
        }
        ChannelKind::Messenger | ChannelKind::Email => "",
    }
}

fn megabytes(bytes: usize) -> String {
    let mb = bytes as f64 / MB as f64;
    if mb >= 10.0 {
        format!("{mb:.0} MB")
    } else {
        format!("{mb:.1} MB")
    }
}

/// Checks a file for `channel`: `mime` is its media type as read from its bytes, `size` its
/// length. Answers it ready to queue, or why it cannot go, in words the SDR can act on.
pub fn check_attachment(
    channel: ChannelKind,
    name: &str,
    mime: &str,
    size: usize,
) -> Result<Attachment, String> {
    if size == 0 {
        return Err("This file is empty; choose the file again.".into());
    }
    let Some((kind, most)) = accepted(channel, mime) else {
        return Err(format!(
            "{} does not take this kind of file ({mime}). It takes {}.",
            channel.label(),
            accepted_hint(channel)
        ));
    };
    let limit = most.min(ATTACHMENT_MAX);
    if size > limit {
        return Err(format!(
            "{} takes {} of at most {}; this one is {}. Send a smaller file, or a link to it.",
            channel.label(),
            kind.plural(),
            megabytes(limit),
            megabytes(size)
        ));
    }
    Ok(Attachment {
        kind,
        mime: mime.to_owned(),
        name: clean_name(name, mime),
        size,
    })
}

/// A file's name as it may go to the contact: its last part only (no folders), without control
/// characters or quotes, at most 120 characters (its extension kept); a nameless file is named
/// after its type.
pub fn clean_name(name: &str, mime: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        let ext = mime.rsplit('/').next().unwrap_or("bin");
        let ext: String = ext.chars().filter(char::is_ascii_alphanumeric).collect();
        return format!("{}.{ext}", major(mime).replace("application", "file"));
    }
    const MOST: usize = 120;
    if cleaned.chars().count() <= MOST {
        return cleaned.to_owned();
    }
    match cleaned.rsplit_once('.') {
        Some((stem, ext)) if ext.chars().count() <= 10 => {
            let keep = MOST - ext.chars().count() - 1;
            format!("{}.{ext}", stem.chars().take(keep).collect::<String>())
        }
        _ => cleaned.chars().take(MOST).collect(),
    }
}

/// Whether a caption goes with the file itself (WhatsApp images, videos and documents; an
/// email's text) rather than as a text message sent just after it.
pub fn caption_rides(channel: ChannelKind, kind: AttachmentKind) -> bool {
    match channel {
        ChannelKind::Whatsapp => kind != AttachmentKind::Audio,
        ChannelKind::Email => true,
        ChannelKind::Messenger | ChannelKind::Instagram => false,
    }
}

/// The caption trimmed (none when blank), or why it is too long.
pub fn check_caption(
    channel: ChannelKind,
    kind: AttachmentKind,
    caption: &str,
) -> Result<Option<String>, String> {
    let caption = caption.trim();
    if caption.is_empty() {
        return Ok(None);
    }
    let limit = if channel == ChannelKind::Whatsapp && caption_rides(channel, kind) {
        WHATSAPP_CAPTION_MAX
    } else {
        text_limit(channel)
    };
    let n = caption.chars().count();
    if n > limit {
        return Err(format!(
            "A {} caption has at most {limit} characters; this one has {n}.",
            channel.label()
        ));
    }
    Ok(Some(caption.to_owned()))
}

/// What a file is, from its bytes (by `infer`); a file whose bytes say nothing is plain text or
/// CSV when it reads as text (its name tells which), else of unknown type. The names browsers and
/// Meta use for the same type are made one (`audio/x-m4a` is `audio/mp4`).
#[cfg(feature = "server")]
pub fn sniff(name: &str, bytes: &[u8]) -> &'static str {
    if let Some(t) = infer::get(bytes) {
        return match t.mime_type() {
            "audio/m4a" | "audio/x-m4a" => "audio/mp4",
            "audio/x-wav" | "audio/wave" => "audio/wav",
            "audio/x-aac" => "audio/aac",
            "video/3gp" => "video/3gpp",
            "audio/opus" => "audio/ogg",
            other => other,
        };
    }
    let text = !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok();
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match (text, ext.as_str()) {
        (true, "csv") => "text/csv",
        (true, _) => "text/plain",
        (false, _) => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_channel_takes_what_meta_publishes() {
        use AttachmentKind::*;
        let cases = [
            (ChannelKind::Whatsapp, "image/jpeg", Some(Image)),
            (ChannelKind::Whatsapp, "image/gif", None),
            (ChannelKind::Whatsapp, "image/webp", None),
            (ChannelKind::Whatsapp, "audio/ogg", Some(Audio)),
            (ChannelKind::Whatsapp, "audio/wav", None),
            (ChannelKind::Whatsapp, "video/3gpp", Some(Video)),
            (ChannelKind::Whatsapp, "video/webm", None),
            (ChannelKind::Whatsapp, "application/pdf", Some(Document)),
            (ChannelKind::Whatsapp, "application/zip", None),
            (ChannelKind::Instagram, "image/gif", Some(Image)),
            (ChannelKind::Instagram, "video/quicktime", Some(Video)),
            (ChannelKind::Instagram, "audio/mpeg", None),
            (ChannelKind::Instagram, "text/plain", None),
            (ChannelKind::Messenger, "image/png", Some(Image)),
            (ChannelKind::Messenger, "image/tiff", Some(Document)),
            (ChannelKind::Messenger, "application/zip", Some(Document)),
            (
                ChannelKind::Email,
                "application/octet-stream",
                Some(Document),
            ),
            (ChannelKind::Email, "image/webp", Some(Image)),
        ];
        for (channel, mime, kind) in cases {
            let got = check_attachment(channel, "f", mime, 1000).map(|a| a.kind);
            assert_eq!(got.ok(), kind, "{channel:?} {mime}");
        }
        let refused =
            check_attachment(ChannelKind::Whatsapp, "a.gif", "image/gif", 10).unwrap_err();
        assert!(
            refused.contains("WhatsApp does not take this kind of file (image/gif)"),
            "{refused}"
        );
        assert!(refused.contains("JPEG or PNG images"), "{refused}");
    }

    #[test]
    fn sizes_are_held_to_the_channel_and_the_inbox() {
        let five = 5 * MB;
        assert!(check_attachment(ChannelKind::Whatsapp, "a.png", "image/png", five).is_ok());
        let too_big =
            check_attachment(ChannelKind::Whatsapp, "a.png", "image/png", five + 1).unwrap_err();
        assert_eq!(
            too_big,
            "WhatsApp takes images of at most 5.0 MB; this one is 5.0 MB. Send a smaller file, or a link to it."
        );
        // WhatsApp takes 100 MB documents; the inbox sends at most 16 MB.
        let pdf = check_attachment(ChannelKind::Whatsapp, "a.pdf", "application/pdf", 20 * MB);
        assert!(pdf
            .unwrap_err()
            .contains("at most 16 MB; this one is 20 MB"));
        assert!(
            check_attachment(ChannelKind::Email, "x", "application/pdf", ATTACHMENT_MAX).is_ok()
        );
        assert_eq!(
            check_attachment(ChannelKind::Email, "x", "text/plain", 0).unwrap_err(),
            "This file is empty; choose the file again."
        );
    }

    #[test]
    fn names_lose_folders_and_control_characters() {
        assert_eq!(
            clean_name("C:\\Users\\ana\\brief v2.pdf", "application/pdf"),
            "brief v2.pdf"
        );
        assert_eq!(clean_name("../../etc/passwd", "text/plain"), "passwd");
        assert_eq!(clean_name("a\u{0}b\r\n\"c\".txt", "text/plain"), "abc.txt");
        assert_eq!(clean_name("", "image/png"), "image.png");
        assert_eq!(clean_name("  .. ", "application/pdf"), "file.pdf");
        let long = format!("{}.pdf", "x".repeat(300));
        let short = clean_name(&long, "application/pdf");
        assert_eq!(short.chars().count(), 120);
        assert!(short.ends_with("x.pdf"));
    }

    #[test]
    fn captions_ride_where_the_channel_carries_them() {
        use AttachmentKind::*;
        assert!(caption_rides(ChannelKind::Whatsapp, Image));
        assert!(caption_rides(ChannelKind::Whatsapp, Document));
        assert!(!caption_rides(ChannelKind::Whatsapp, Audio));
        assert!(!caption_rides(ChannelKind::Messenger, Image));
        assert!(!caption_rides(ChannelKind::Instagram, Video));
        assert!(caption_rides(ChannelKind::Email, Audio));
        assert_eq!(check_caption(ChannelKind::Whatsapp, Image, "  "), Ok(None));
        assert_eq!(
            check_caption(ChannelKind::Whatsapp, Image, " The plan "),
            Ok(Some("The plan".into()))
        );
        let long = "a".repeat(1025);
        assert!(check_caption(ChannelKind::Whatsapp, Image, &long)
            .unwrap_err()
            .contains("at most 1024 characters; this one has 1025"));
        // A caption sent after WhatsApp audio is a text message: the text limit holds.
        assert!(check_caption(ChannelKind::Whatsapp, Audio, &long).is_ok());
    }

    #[cfg(feature = "server")]
    #[test]
    fn a_file_is_what_its_bytes_say() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(sniff("photo.pdf", png), "image/png");
        assert_eq!(sniff("brief.pdf", b"%PDF-1.7\n"), "application/pdf");
        let m4a = b"\0\0\0\x20ftypM4A \0\0\0\0M4A mp42isom\0\0";
        assert_eq!(sniff("note.m4a", m4a), "audio/mp4");
        let mp4 = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom";
        assert_eq!(sniff("clip.mp4", mp4), "video/mp4");
        assert_eq!(sniff("leads.csv", b"name,phone\nAna,1\n"), "text/csv");
        assert_eq!(sniff("notes", "Grüße".as_bytes()), "text/plain");
        assert_eq!(
            sniff("x.png", b"\0\x01\x02garbage"),
            "application/octet-stream"
        );
    }
}
