//! The AI re-engagement of COLD leads (issue 5, section 3): while a cold lead is with the AI (its
//! first 24 hours), one message tries to bring them back, on the channel they last wrote on, by
//! the same window rules as an agent's reply. Inside the window, a text the AI drafts from the
//! team's facts; outside it, an approved template, filled in with their first name; when neither
//! can go, nothing is sent and the history says why.

use super::reply::{ReplyTarget, TemplateCategory, TemplateChoice};

/// What the re-engagement sends, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// A text the AI drafts (the window is open and the team's facts are written).
    Draft,
    /// This template, with these values.
    Template {
        /// The template.
        template: uuid::Uuid,
        /// Its values, in order.
        values: Vec<String>,
    },
    /// Nothing: why.
    Skip(String),
}

/// The name a template's one value takes: the first word of the lead's name, else "there"
/// ("Hi there").
pub fn first_name(name: Option<&str>) -> String {
    name.and_then(|n| n.split_whitespace().next())
        .map(str::to_owned)
        .unwrap_or_else(|| "there".to_owned())
}

/// The template a re-engagement may use: one the automation can fill in alone (no value, or the
/// first name as its only one); a marketing template before a utility one, never an
/// authentication code.
pub fn pick_template(templates: &[TemplateChoice]) -> Option<&TemplateChoice> {
    let fits = |t: &&TemplateChoice| t.variables <= 1;
    templates
        .iter()
        .filter(fits)
        .find(|t| t.category == TemplateCategory::Marketing)
        .or_else(|| {
            templates
                .iter()
                .filter(fits)
                .find(|t| t.category == TemplateCategory::Utility)
        })
}

/// What to send on `target` (the channel the lead last wrote on), if anything; `has_facts`:
/// whether the team's business facts are written (the AI drafts from nothing else).
pub fn plan(target: Option<&ReplyTarget>, has_facts: bool, name: Option<&str>) -> Plan {
    let Some(target) = target else {
        return Plan::Skip("They have not written on any channel the team can answer on.".into());
    };
    if target.window.free_form() && has_facts {
        return Plan::Draft;
    }
    if let Some(t) = pick_template(&target.templates) {
        let values = if t.variables == 1 {
            vec![first_name(name)]
        } else {
            Vec::new()
        };
        return Plan::Template {
            template: t.id,
            values,
        };
    }
    let why = if target.window.free_form() {
        "The team's business facts are not written, so the AI has nothing to draft from, and there is no template it could send instead.".to_owned()
    } else {
        format!(
            "{} There is no marketing or utility template with at most one value (their first name) to send instead.",
            target
                .closed_reason
                .clone()
                .unwrap_or_else(|| "The window is closed.".into())
        )
    };
    Plan::Skip(why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leads::{ChannelKind, Window};

    fn template(name: &str, category: TemplateCategory, variables: u8) -> TemplateChoice {
        TemplateChoice {
            id: uuid::Uuid::now_v7(),
            name: name.into(),
            language: "en_US".into(),
            category,
            body: String::new(),
            variables,
        }
    }

    fn target(open: bool, templates: Vec<TemplateChoice>) -> ReplyTarget {
        ReplyTarget {
            channel: uuid::Uuid::now_v7(),
            kind: ChannelKind::Whatsapp,
            channel_name: "Sales line".into(),
            window: if open {
                Window::Open { closes: None }
            } else {
                Window::TemplatesOnly
            },
            closed_reason: (!open).then(|| "More than 24 hours have passed.".to_owned()),
            templates,
            held: None,
        }
    }

    #[test]
    fn inside_the_window_the_ai_drafts_from_the_facts() {
        assert_eq!(plan(Some(&target(true, vec![])), true, None), Plan::Draft);
    }

    #[test]
    fn outside_the_window_a_template_goes_with_their_first_name() {
        let t = vec![
            template("code", TemplateCategory::Authentication, 1),
            template("follow_up", TemplateCategory::Utility, 2),
            template("news", TemplateCategory::Utility, 1),
            template("come_back", TemplateCategory::Marketing, 1),
        ];
        let come_back = t[3].id;
        match plan(Some(&target(false, t)), true, Some("Lena Fischer")) {
            Plan::Template { template, values } => {
                assert_eq!(template, come_back);
                assert_eq!(values, vec!["Lena".to_owned()]);
            }
            other => panic!("{other:?}"),
        }
        // A template without values takes none; a lead without a name is "there".
        let t = vec![template("hello", TemplateCategory::Utility, 0)];
        assert!(matches!(
            plan(Some(&target(false, t)), true, None),
            Plan::Template { values, .. } if values.is_empty()
        ));
        assert_eq!(first_name(None), "there");
        assert_eq!(first_name(Some("  ")), "there");
    }

    #[test]
    fn without_facts_inside_the_window_a_template_stands_in() {
        let t = vec![template("hello", TemplateCategory::Utility, 1)];
        assert!(matches!(
            plan(Some(&target(true, t)), false, Some("Ana")),
            Plan::Template { .. }
        ));
    }

    #[test]
    fn when_nothing_may_go_the_reason_is_kept() {
        let only_two = vec![template("follow_up", TemplateCategory::Utility, 2)];
        match plan(Some(&target(false, only_two)), true, None) {
            Plan::Skip(why) => {
                assert!(why.starts_with("More than 24 hours have passed."), "{why}");
                assert!(why.contains("at most one value"), "{why}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(plan(Some(&target(true, vec![])), false, None), Plan::Skip(w) if w.contains("business facts"))
        );
        assert!(
            matches!(plan(None, true, None), Plan::Skip(w) if w.contains("not written on any channel"))
        );
    }
}
