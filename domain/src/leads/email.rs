//! Email's rules in the inbox: what of a received message is new (the quoted history below a
//! reply is cut off), and how a reply joins the thread (its subject, `In-Reply-To` and
//! `References`).

/// The most characters of an email's text kept as the message's body.
pub const BODY_MAX: usize = 20_000;

/// The most message ids a reply's `References` carries (the first and the latest ones, as
/// RFC 5322 advises when a thread grows long).
pub const REFERENCES_MAX: usize = 20;

/// Whether `line` starts the quoted history a mail client puts under a reply.
fn starts_quote(line: &str, next: Option<&str>) -> bool {
    let t = line.trim();
    if t.starts_with("-----Original Message-----")
        || t.starts_with("________________________________")
        || t.eq_ignore_ascii_case("-- Forwarded message --")
    {
        return true;
    }
    // "On Tue, 3 Dec 2026 at 10:00, Ana <ana@example.com> wrote:", which some clients wrap onto
    // a second line.
    if t.starts_with("On ") {
        if t.ends_with("wrote:") {
            return true;
        }
        if let Some(n) = next {
            let n = n.trim();
            return n.ends_with("wrote:") && !n.starts_with('>');
        }
    }
    false
}

/// The new part of a received email's text: everything above the quoted history (an "On …
/// wrote:" line, an "Original Message" divider, or the `>` lines that end it), with its
/// trailing blank lines and signature divider trimmed. A message that is nothing but a quote
/// is kept whole, so nothing the person wrote is ever lost.
pub fn new_text(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let lines: Vec<&str> = text.lines().collect();
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate() {
        if starts_quote(line, lines.get(i + 1).copied()) {
            end = i;
            break;
        }
    }
    // `>` lines at the end are the quote of a client that writes no header for it.
    while end > 0 && {
        let l = lines[end - 1].trim();
        l.starts_with('>') || l.is_empty()
    } {
        end -= 1;
    }
    let mut kept: Vec<&str> = lines[..end].to_vec();
    // A signature divider left dangling at the end.
    while kept
        .last()
        .is_some_and(|l| l.trim().is_empty() || *l == "-- ")
    {
        kept.pop();
    }
    let out = kept.join("\n").trim().to_owned();
    if out.is_empty() {
        return whole_text(&text);
    }
    out.chars().take(BODY_MAX).collect()
}

/// A received email's text as it is (a first message has no quoted history to cut): its line
/// ends made `\n`, trimmed, at most as long as a body may be.
pub fn whole_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .trim()
        .chars()
        .take(BODY_MAX)
        .collect()
}

/// The subject of a reply to a message with `subject`: "Re: " once, never "Re: Re: ".
pub fn reply_subject(subject: Option<&str>) -> String {
    let s = subject.map(str::trim).unwrap_or_default();
    if s.is_empty() {
        return "Re: your message".into();
    }
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("re:") || lower.starts_with("aw:") || lower.starts_with("sv:") {
        s.to_owned()
    } else {
        format!("Re: {s}")
    }
}

/// A reply's `References`: those of the message it answers, then that message's own id; the
/// first and the latest ids when there are too many, each once.
pub fn references(parent_references: &[String], parent: &str) -> Vec<String> {
    let mut all: Vec<String> = Vec::with_capacity(parent_references.len() + 1);
    for id in parent_references
        .iter()
        .map(String::as_str)
        .chain(std::iter::once(parent))
    {
        let id = id.trim().trim_matches(|c| c == '<' || c == '>');
        if !id.is_empty() && !all.iter().any(|a| a == id) {
            all.push(id.to_owned());
        }
    }
    if all.len() > REFERENCES_MAX {
        let tail = all.split_off(all.len() - (REFERENCES_MAX - 1));
        all.truncate(1);
        all.extend(tail);
    }
    all
}

/// A new message id (without angle brackets) for a message sent from `from`: unique by `id`,
/// under the sender's own domain as RFC 5322 asks.
pub fn message_id(id: uuid::Uuid, from: &str) -> String {
    let domain = from
        .rsplit_once('@')
        .map(|(_, d)| d.trim())
        .filter(|d| !d.is_empty())
        .unwrap_or("fluxorae.invalid");
    format!("{}@{domain}", id.simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quoted_history_under_a_reply_is_cut_off() {
        let gmail = "Yes, Thursday works.\r\n\r\nAna\r\n\r\nOn Tue, 3 Dec 2026 at 10:00, Sam <sales@acme.test> wrote:\r\n> Which day suits you?\r\n";
        assert_eq!(new_text(gmail), "Yes, Thursday works.\n\nAna");
        let wrapped = "Sounds good.\n\nOn Tue, 3 Dec 2026 at 10:00, Sam Example\n<sales@acme.test> wrote:\n> Which day?";
        assert_eq!(new_text(wrapped), "Sounds good.");
        let outlook =
            "Please call me.\n\n-----Original Message-----\nFrom: Sam\nSent: Tuesday\n\nWhich day?";
        assert_eq!(new_text(outlook), "Please call me.");
        let bare = "Agreed.\n\n> Shall we start on Monday?\n> Sam";
        assert_eq!(new_text(bare), "Agreed.");
        let signed = "Thanks!\n-- \n";
        assert_eq!(new_text(signed), "Thanks!");
    }

    #[test]
    fn text_that_is_only_a_quote_or_mentions_on_is_kept() {
        assert_eq!(new_text("> only a quote\n> here"), "> only a quote\n> here");
        // "On" starting a line of the message itself is not a quote header.
        let text = "On Monday we open a new clinic.\nCan you help before then?";
        assert_eq!(new_text(text), text);
        // Quotes inside the message, followed by new text, stay.
        let inline = "> your price\nIs that with VAT?";
        assert_eq!(new_text(inline), inline);
    }

    #[test]
    fn a_long_body_is_cut_to_the_limit() {
        let long = "a".repeat(BODY_MAX + 10);
        assert_eq!(new_text(&long).chars().count(), BODY_MAX);
    }

    #[test]
    fn a_reply_subject_says_re_once() {
        assert_eq!(reply_subject(Some("Booking app")), "Re: Booking app");
        assert_eq!(reply_subject(Some("RE: Booking app")), "RE: Booking app");
        assert_eq!(reply_subject(Some("  ")), "Re: your message");
        assert_eq!(reply_subject(None), "Re: your message");
    }

    #[test]
    fn references_carry_the_thread_and_stay_short() {
        let parent_refs = vec!["<a@x>".to_owned(), "b@x".to_owned()];
        assert_eq!(references(&parent_refs, "<c@x>"), vec!["a@x", "b@x", "c@x"]);
        assert_eq!(references(&[], "c@x"), vec!["c@x"]);
        // Each id once.
        assert_eq!(references(&["c@x".to_owned()], "c@x"), vec!["c@x"]);
        let many: Vec<String> = (0..30).map(|i| format!("m{i}@x")).collect();
        let refs = references(&many, "last@x");
        assert_eq!(refs.len(), REFERENCES_MAX);
        assert_eq!(refs[0], "m0@x");
        assert_eq!(refs[REFERENCES_MAX - 1], "last@x");
        assert_eq!(refs[1], "m12@x");
    }

    #[test]
    fn message_ids_are_under_the_senders_domain() {
        let id = uuid::Uuid::nil();
        assert_eq!(
            message_id(id, "sales@acme.test"),
            "00000000000000000000000000000000@acme.test"
        );
        assert_eq!(
            message_id(id, "nobody"),
            "00000000000000000000000000000000@fluxorae.invalid"
        );
    }
}
