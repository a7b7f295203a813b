//! Freelancer onboarding: the profile a freelancer builds (skills from the taxonomy, portfolio,
//! weekly availability with time off, identity documents), what it needs before ops reviews it,
//! and applications to projects. Rules and view types only; compiled for the browser too, so
//! the forms check what the server checks.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Weekday};
use uuid::Uuid;

use crate::error::FieldError;
use crate::project::str_enum;
use crate::workspace::{format_date, parse_date};
use crate::AppError;

/// The skills a profile may list, by category. Matching compares these names, so a profile
/// picks from here rather than typing its own spellings.
pub const TAXONOMY: &[(&str, &[&str])] = &[
    (
        "Web development",
        &[
            "React",
            "Next.js",
            "TypeScript",
            "Node.js",
            "Rust",
            "Go",
            "Python",
            "PHP",
            "WordPress",
            "WooCommerce",
            "Shopify",
            "Postgres",
            "APIs",
            "Stripe",
            "Razorpay",
            "Dashboards",
        ],
    ),
    (
        "Mobile",
        &[
            "Flutter",
            "Kotlin",
            "Swift",
            "iOS",
            "Android",
            "React Native",
            "Firebase",
        ],
    ),
    (
        "Design",
        &[
            "Figma",
            "UI design",
            "UX research",
            "Design systems",
            "Logo design",
            "Branding",
            "Illustrator",
            "Packaging",
        ],
    ),
    (
        "Marketing",
        &[
            "SEO",
            "Technical SEO",
            "Search Console",
            "Google Ads",
            "Meta Ads",
            "Analytics",
            "Landing pages",
            "Social media",
            "Instagram",
            "Content calendar",
            "Email marketing",
            "Growth",
            "E-commerce",
        ],
    ),
    (
        "Writing",
        &[
            "Copywriting",
            "SEO writing",
            "Blog writing",
            "Content strategy",
            "Translation",
            "Arabic",
            "Spanish",
        ],
    ),
    (
        "Data and AI",
        &[
            "SQL",
            "dbt",
            "BigQuery",
            "ETL",
            "Airflow",
            "Power BI",
            "PyTorch",
            "Forecasting",
            "NLP",
            "MLOps",
            "LLM",
            "Chatbots",
            "WhatsApp API",
        ],
    ),
    (
        "Video",
        &[
            "Video editing",
            "After Effects",
            "Animation",
            "Motion graphics",
            "Reels",
        ],
    ),
    (
        "Strategy",
        &[
            "Architecture",
            "Fintech",
            "Marketplaces",
            "Hiring",
            "Brand strategy",
            "Positioning",
            "Arabic market",
        ],
    ),
];

/// The taxonomy's spelling of `skill`, matched without regard to case or spacing.
pub fn known_skill(skill: &str) -> Option<&'static str> {
    let want = skill.trim();
    TAXONOMY
        .iter()
        .flat_map(|(_, skills)| skills.iter())
        .find(|s| s.eq_ignore_ascii_case(want))
        .copied()
}

/// The most skills a profile lists.
pub const MAX_SKILLS: usize = 15;
/// The longest headline.
pub const MAX_HEADLINE: usize = 120;
/// The longest bio.
pub const MAX_BIO: usize = 3_000;
/// The most hours a day offers.
pub const MAX_DAY_HOURS: u8 = 12;
/// The most hours a week offers (the matcher's scale).
pub const MAX_WEEK_HOURS: u32 = 80;
/// The most time-off ranges kept.
pub const MAX_TIME_OFF: usize = 20;
/// How far ahead time off may be entered, in days.
pub const TIME_OFF_HORIZON_DAYS: i64 = 366;

str_enum!(
    /// Where a profile is in review.
    ProfileStatus {
        /// Being filled in; not visible to matching.
        Draft => "draft", "Draft",
        /// Sent to ops; waiting for review.
        Submitted => "submitted", "In review",
        /// Approved: matched to projects and assignable.
        Approved => "approved", "Approved",
        /// Ops asked for changes; the note says what.
        ChangesRequested => "changes_requested", "Changes requested",
    }
);

str_enum!(
    /// What an identity document is.
    KycKind {
        /// A passport.
        Passport => "passport", "Passport",
        /// A national identity card.
        NationalId => "national_id", "National ID card",
        /// A driving licence.
        DrivingLicence => "driving_licence", "Driving licence",
        /// A utility bill or bank statement.
        ProofOfAddress => "proof_of_address", "Proof of address",
        /// A tax form (W-8BEN, W-9, PAN card…).
        TaxForm => "tax_form", "Tax form",
    }
);

impl KycKind {
    /// Whether it proves who someone is (one of these is needed).
    pub fn proves_identity(self) -> bool {
        matches!(
            self,
            Self::Passport | Self::NationalId | Self::DrivingLicence
        )
    }
}

/// The time zones the profile form offers, as minutes from UTC.
pub const UTC_OFFSETS: &[i32] = &[
    -600, -480, -420, -360, -300, -240, -180, 0, 60, 120, 180, 240, 270, 300, 330, 345, 360, 420,
    480, 540, 570, 600, 720,
];

/// `UTC+05:30` for 330.
pub fn offset_label(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}

/// The profile form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileInput {
    /// One line on what they do.
    pub headline: String,
    /// About them and their work.
    #[serde(default)]
    pub bio: String,
    /// Hourly rate in whole US dollars, as typed.
    pub hourly_rate: String,
    /// Minutes from UTC, as chosen.
    pub utc_offset: String,
    /// Skills from [`TAXONOMY`].
    #[serde(default)]
    pub skills: Vec<String>,
}

/// A profile that passed [`ProfileInput::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedProfile {
    /// Trimmed headline.
    pub headline: String,
    /// Trimmed bio.
    pub bio: String,
    /// Whole dollars an hour.
    pub hourly_rate_usd: i32,
    /// Minutes from UTC.
    pub utc_offset_minutes: i32,
    /// Skills in the taxonomy's spelling, without repeats, in the order chosen.
    pub skills: Vec<String>,
}

impl ProfileInput {
    /// Checks every field, saying what is wrong with each.
    pub fn check(&self) -> Result<CheckedProfile, AppError> {
        let mut errors = vec![];
        let headline = self.headline.trim();
        if headline.is_empty() {
            errors.push(FieldError::new(
                "headline",
                "Say in a line what you do, e.g. “Flutter developer for delivery apps”.",
            ));
        } else if headline.chars().count() > MAX_HEADLINE {
            errors.push(FieldError::new(
                "headline",
                format!("Keep the headline to {MAX_HEADLINE} characters; the bio takes the rest."),
            ));
        }
        let bio = self.bio.trim();
        if bio.chars().count() > MAX_BIO {
            errors.push(FieldError::new(
                "bio",
                format!("Keep the bio to {MAX_BIO} characters."),
            ));
        }
        let rate = match self
            .hourly_rate
            .trim()
            .trim_start_matches('$')
            .parse::<i32>()
        {
            Ok(r) if (5..=1_000).contains(&r) => r,
            Ok(_) => {
                errors.push(FieldError::new(
                    "hourly_rate",
                    "Choose an hourly rate between $5 and $1,000.",
                ));
                0
            }
            Err(_) => {
                errors.push(FieldError::new(
                    "hourly_rate",
                    "Give your hourly rate in whole US dollars, e.g. 45.",
                ));
                0
            }
        };
        let offset = match self.utc_offset.trim().parse::<i32>() {
            Ok(o) if UTC_OFFSETS.contains(&o) => o,
            _ => {
                errors.push(FieldError::new(
                    "utc_offset",
                    "Choose your time zone from the list.",
                ));
                0
            }
        };
        let mut skills: Vec<String> = vec![];
        let mut unknown = vec![];
        for s in &self.skills {
            match known_skill(s) {
                Some(k) if !skills.iter().any(|have| have == k) => skills.push(k.to_owned()),
                Some(_) => {}
                None if s.trim().is_empty() => {}
                None => unknown.push(s.trim().to_owned()),
            }
        }
        if !unknown.is_empty() {
            errors.push(FieldError::new(
                "skills",
                format!(
                    "{} {} not in the skills list; pick the nearest ones from it.",
                    unknown.join(", "),
                    if unknown.len() == 1 { "is" } else { "are" }
                ),
            ));
        } else if skills.len() > MAX_SKILLS {
            errors.push(FieldError::new(
                "skills",
                format!(
                    "Pick at most {MAX_SKILLS} skills, the ones you are best at; you picked {}.",
                    skills.len()
                ),
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(CheckedProfile {
            headline: headline.to_owned(),
            bio: bio.to_owned(),
            hourly_rate_usd: rate,
            utc_offset_minutes: offset,
            skills,
        })
    }
}

/// A stretch of days off, both ends included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeOff {
    /// The first day off, `YYYY-MM-DD`.
    pub from: String,
    /// The last day off, `YYYY-MM-DD`.
    pub to: String,
    /// Why, for their own memory (optional).
    #[serde(default)]
    pub note: String,
}

/// When a freelancer works: hours on each weekday, Monday first, and time off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    /// Hours offered on each weekday, Monday to Sunday.
    pub weekly: [u8; 7],
    /// Days off.
    #[serde(default)]
    pub time_off: Vec<TimeOff>,
}

/// Availability that passed [`Availability::check`]: dates read, ranges sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedAvailability {
    /// Hours on each weekday, Monday first.
    pub weekly: [u8; 7],
    /// Days off as (first, last, note), sorted by first day.
    pub time_off: Vec<(Date, Date, String)>,
}

/// The weekday names, Monday first.
pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

impl Availability {
    /// Checks hours and ranges against `today`, saying what is wrong with each.
    pub fn check(&self, today: Date) -> Result<CheckedAvailability, AppError> {
        let mut errors = vec![];
        for (i, h) in self.weekly.iter().enumerate() {
            if *h > MAX_DAY_HOURS {
                errors.push(FieldError::new(
                    format!("weekly.{i}"),
                    format!("{}: at most {MAX_DAY_HOURS} hours a day.", WEEKDAYS[i]),
                ));
            }
        }
        let total: u32 = self.weekly.iter().map(|h| u32::from(*h)).sum();
        if total > MAX_WEEK_HOURS {
            errors.push(FieldError::new(
                "weekly",
                format!("At most {MAX_WEEK_HOURS} hours a week; you offered {total}."),
            ));
        }
        if self.time_off.len() > MAX_TIME_OFF {
            errors.push(FieldError::new(
                "time_off",
                format!("Keep at most {MAX_TIME_OFF} stretches of time off."),
            ));
        }
        let horizon = today + Duration::days(TIME_OFF_HORIZON_DAYS);
        let mut ranges = vec![];
        for (i, t) in self.time_off.iter().enumerate() {
            let field = format!("time_off.{i}");
            match (parse_date(&t.from), parse_date(&t.to)) {
                (Some(a), Some(b)) if b < a => errors.push(FieldError::new(
                    field,
                    "The last day off comes before the first; swap them.",
                )),
                (Some(_), Some(b)) if b < today => errors.push(FieldError::new(
                    field,
                    "This time off is already over; remove it.",
                )),
                (Some(a), Some(_)) if a > horizon => {
                    errors.push(FieldError::new(field, "Enter time off up to a year ahead."))
                }
                (Some(a), Some(b)) => {
                    let note: String = t.note.trim().chars().take(120).collect();
                    ranges.push((a, b, note));
                }
                _ => errors.push(FieldError::new(
                    field,
                    "Give the first and last day off as dates.",
                )),
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        ranges.sort();
        Ok(CheckedAvailability {
            weekly: self.weekly,
            time_off: ranges,
        })
    }
}

impl CheckedAvailability {
    /// Whether `day` falls in time off.
    pub fn is_off(&self, day: Date) -> bool {
        self.time_off.iter().any(|(a, b, _)| *a <= day && day <= *b)
    }

    /// Hours offered on `day`.
    pub fn hours_on(&self, day: Date) -> u8 {
        if self.is_off(day) {
            0
        } else {
            self.weekly[usize::from(day.weekday().number_days_from_monday())]
        }
    }

    /// Hours a week to count on over the next four weeks from `today`, time off taken out:
    /// what the matcher uses.
    pub fn hours_per_week(&self, today: Date) -> u32 {
        let total: u32 = (0..28)
            .map(|d| u32::from(self.hours_on(today + Duration::days(d))))
            .sum();
        total.div_ceil(4)
    }

    /// The calendar from the Monday of `today`'s week for `weeks` weeks.
    pub fn calendar(&self, today: Date, weeks: u8) -> Vec<CalendarDay> {
        let monday = today - Duration::days(i64::from(today.weekday().number_days_from_monday()));
        (0..i64::from(weeks) * 7)
            .map(|d| {
                let day = monday + Duration::days(d);
                CalendarDay {
                    date: format_date(day),
                    day: day.day(),
                    hours: self.hours_on(day),
                    off: self.is_off(day),
                    past: day < today,
                    weekend: matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday),
                }
            })
            .collect()
    }

    /// Back to the form's shape.
    pub fn to_input(&self) -> Availability {
        Availability {
            weekly: self.weekly,
            time_off: self
                .time_off
                .iter()
                .map(|(a, b, n)| TimeOff {
                    from: format_date(*a),
                    to: format_date(*b),
                    note: n.clone(),
                })
                .collect(),
        }
    }
}

/// One day of the availability calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Day of the month.
    pub day: u8,
    /// Hours offered.
    pub hours: u8,
    /// Whether it is time off.
    pub off: bool,
    /// Whether it is before today.
    pub past: bool,
    /// Saturday or Sunday.
    pub weekend: bool,
}

/// A portfolio piece.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortfolioItem {
    /// Its id.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// What it was, and their part in it.
    pub description: String,
    /// A link to the live work, if any.
    pub url: Option<String>,
    /// The uploaded file's id (served at `/talent/portfolio/{id}`), if any.
    pub file: Option<String>,
    /// The file's media type.
    pub content_type: Option<String>,
}

/// The longest portfolio title.
pub const MAX_PIECE_TITLE: usize = 120;
/// The longest portfolio description.
pub const MAX_PIECE_DESCRIPTION: usize = 1_000;
/// The most portfolio pieces.
pub const MAX_PIECES: usize = 20;

/// A portfolio piece as typed (the file comes alongside).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PieceInput {
    /// Its title.
    pub title: String,
    /// What it was.
    #[serde(default)]
    pub description: String,
    /// A link, `https://…`, or empty.
    #[serde(default)]
    pub url: String,
}

impl PieceInput {
    /// Checks the fields; `has_file` says whether a file came with it (a piece needs a file
    /// or a link).
    pub fn check(&self, has_file: bool) -> Result<(String, String, Option<String>), AppError> {
        let mut errors = vec![];
        let title = self.title.trim();
        if title.is_empty() {
            errors.push(FieldError::new("title", "Give the piece a title."));
        } else if title.chars().count() > MAX_PIECE_TITLE {
            errors.push(FieldError::new(
                "title",
                format!("Keep the title to {MAX_PIECE_TITLE} characters."),
            ));
        }
        let description = self.description.trim();
        if description.chars().count() > MAX_PIECE_DESCRIPTION {
            errors.push(FieldError::new(
                "description",
                format!("Keep the description to {MAX_PIECE_DESCRIPTION} characters."),
            ));
        }
        let url = self.url.trim();
        let url = if url.is_empty() {
            None
        } else {
            match url::Url::parse(url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                    Some(u.to_string())
                }
                _ => {
                    errors.push(FieldError::new(
                        "url",
                        "Give a full web address, starting with https://.",
                    ));
                    None
                }
            }
        };
        if errors.is_empty() && url.is_none() && !has_file {
            errors.push(FieldError::new(
                "file",
                "Add a file or a link so reviewers can see the work.",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok((title.to_owned(), description.to_owned(), url))
    }
}

/// An identity document as its owner or a reviewer sees it (never its contents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KycDocument {
    /// Its id.
    pub id: Uuid,
    /// What it is.
    pub kind: KycKind,
    /// Its file name.
    pub name: String,
    /// Its size in bytes.
    pub bytes: i64,
    /// When it was uploaded (RFC 3339).
    pub at: String,
}

/// A freelancer's whole profile, as they or ops see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileView {
    /// The user.
    pub user_id: Uuid,
    /// Their name.
    pub name: String,
    /// Review status.
    pub status: ProfileStatus,
    /// What ops said when asking for changes, or when approving.
    pub review_note: Option<String>,
    /// The profile fields.
    pub input: ProfileInput,
    /// Availability.
    pub availability: Availability,
    /// The next four weeks.
    pub calendar: Vec<CalendarDay>,
    /// Hours a week over the next four weeks.
    pub hours_per_week: u32,
    /// Portfolio.
    pub portfolio: Vec<PortfolioItem>,
    /// Identity documents.
    pub documents: Vec<KycDocument>,
    /// When it was submitted for review (RFC 3339).
    pub submitted_at: Option<String>,
    /// Rating from reviews.
    pub rating: f32,
    /// How many reviews.
    pub reviews: i32,
}

impl ProfileView {
    /// What is still needed before it can go to review; empty when ready.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut m = vec![];
        if self.input.headline.trim().is_empty() {
            m.push("a headline");
        }
        if self.input.bio.trim().chars().count() < 40 {
            m.push("a bio of a few sentences");
        }
        if self.input.skills.is_empty() {
            m.push("at least one skill");
        }
        if self.availability.weekly.iter().all(|h| *h == 0) {
            m.push("the hours you can work");
        }
        if self.portfolio.is_empty() {
            m.push("a portfolio piece");
        }
        if !self.documents.iter().any(|d| d.kind.proves_identity()) {
            m.push("an identity document (passport, ID card or driving licence)");
        }
        m
    }

    /// Whether its owner may change it now (not while ops reviews it).
    pub fn editable(&self) -> bool {
        self.status != ProfileStatus::Submitted
    }
}

/// A profile waiting in the ops review queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewItem {
    /// The profile.
    pub profile: ProfileView,
    /// The account's email.
    pub email: String,
}

/// How ops decides on a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Approve: matched and assignable from now.
    Approve,
    /// Send back with a note of what to change.
    RequestChanges,
}

/// The longest review note.
pub const MAX_REVIEW_NOTE: usize = 1_000;

/// Checks a reviewer's note: asking for changes needs one.
pub fn check_review_note(decision: ReviewDecision, note: &str) -> Result<Option<String>, AppError> {
    let note = note.trim();
    if note.chars().count() > MAX_REVIEW_NOTE {
        return Err(AppError::field(
            "note",
            format!("Keep the note to {MAX_REVIEW_NOTE} characters."),
        ));
    }
    if decision == ReviewDecision::RequestChanges && note.is_empty() {
        return Err(AppError::field(
            "note",
            "Say what the freelancer should change.",
        ));
    }
    Ok((!note.is_empty()).then(|| note.to_owned()))
}

str_enum!(
    /// Where an application to a project is.
    ApplicationStatus {
        /// Waiting for ops.
        Pending => "pending", "Waiting",
        /// Ops assigned the applicant.
        Accepted => "accepted", "Accepted",
        /// Ops chose otherwise.
        Declined => "declined", "Declined",
        /// The applicant took it back.
        Withdrawn => "withdrawn", "Withdrawn",
    }
);

/// The shortest proposal.
pub const MIN_PROPOSAL: usize = 50;
/// The longest proposal.
pub const MAX_PROPOSAL: usize = 5_000;

/// An application as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationInput {
    /// How they would do it, and why them.
    pub proposal: String,
    /// Their price for the whole project in whole US dollars, as typed.
    pub price: String,
    /// How many weeks they need, as typed.
    pub weeks: String,
}

/// An application that passed [`ApplicationInput::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedApplication {
    /// Trimmed proposal.
    pub proposal: String,
    /// Price in whole US dollars.
    pub price_usd: i64,
    /// Weeks.
    pub weeks: i16,
}

impl ApplicationInput {
    /// Checks every field, saying what is wrong with each.
    pub fn check(&self) -> Result<CheckedApplication, AppError> {
        let mut errors = vec![];
        let proposal = self.proposal.trim();
        let n = proposal.chars().count();
        if n < MIN_PROPOSAL {
            errors.push(FieldError::new(
                "proposal",
                format!(
                    "Say how you would do it and why you: at least {MIN_PROPOSAL} characters ({n} so far)."
                ),
            ));
        } else if n > MAX_PROPOSAL {
            errors.push(FieldError::new(
                "proposal",
                format!("Keep the proposal to {MAX_PROPOSAL} characters."),
            ));
        }
        let price = self
            .price
            .trim()
            .trim_start_matches('$')
            .replace(',', "")
            .parse::<i64>();
        let price = match price {
            Ok(p) if (50..=10_000_000).contains(&p) => p,
            _ => {
                errors.push(FieldError::new(
                    "price",
                    "Give your price for the whole project in whole US dollars (at least $50).",
                ));
                0
            }
        };
        let weeks = match self.weeks.trim().parse::<i16>() {
            Ok(w) if (1..=104).contains(&w) => w,
            _ => {
                errors.push(FieldError::new(
                    "weeks",
                    "Give the weeks you need, from 1 to 104.",
                ));
                0
            }
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(CheckedApplication {
            proposal: proposal.to_owned(),
            price_usd: price,
            weeks,
        })
    }
}

/// An application to a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationView {
    /// Its id.
    pub id: Uuid,
    /// The project.
    pub project_id: Uuid,
    /// The project's title.
    pub project: String,
    /// The applicant.
    pub freelancer_id: Uuid,
    /// The applicant's name.
    pub freelancer: String,
    /// The applicant's headline.
    pub headline: String,
    /// The proposal.
    pub proposal: String,
    /// Price in whole US dollars.
    pub price_usd: i64,
    /// Weeks.
    pub weeks: i16,
    /// Where it is.
    pub status: ApplicationStatus,
    /// When it was sent (RFC 3339).
    pub at: String,
}

/// A project open to applications, as a freelancer sees it: the brief, not the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenProject {
    /// The project.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// Its summary.
    pub summary: String,
    /// What is to be delivered.
    pub deliverables: Vec<String>,
    /// Its budget in whole units of its currency.
    pub budget: String,
    /// How many milestones.
    pub milestones: usize,
    /// This freelancer's application, if they sent one.
    pub mine: Option<ApplicationView>,
}

impl fmt::Display for ReviewDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Approve => "approve",
            Self::RequestChanges => "request changes",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn profile() -> ProfileInput {
        ProfileInput {
            headline: "Flutter developer".into(),
            bio: "I build apps.".into(),
            hourly_rate: "45".into(),
            utc_offset: "330".into(),
            skills: vec!["flutter".into(), "Kotlin".into(), "FLUTTER".into()],
        }
    }

    fn fields(e: AppError) -> Vec<String> {
        match e {
            AppError::Validation(v) => v.into_iter().map(|f| f.field).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn skills_take_the_taxonomy_spelling_once_each() {
        let p = profile().check().unwrap();
        assert_eq!(p.skills, ["Flutter", "Kotlin"]);
        assert_eq!(p.hourly_rate_usd, 45);
        assert_eq!(p.utc_offset_minutes, 330);
    }

    #[test]
    fn every_seeded_skill_is_in_the_taxonomy_once() {
        let all: Vec<&str> = TAXONOMY
            .iter()
            .flat_map(|(_, s)| s.iter().copied())
            .collect();
        for s in &all {
            assert_eq!(
                all.iter().filter(|x| x.eq_ignore_ascii_case(s)).count(),
                1,
                "{s} listed twice"
            );
        }
    }

    #[test]
    fn a_bad_profile_names_each_field() {
        let bad = ProfileInput {
            headline: " ".into(),
            bio: "x".repeat(MAX_BIO + 1),
            hourly_rate: "cheap".into(),
            utc_offset: "17".into(),
            skills: vec!["Basket weaving".into()],
        };
        let f = fields(bad.check().unwrap_err());
        assert_eq!(
            f,
            ["headline", "bio", "hourly_rate", "utc_offset", "skills"]
        );
        let mut too_many = profile();
        too_many.skills = TAXONOMY[0].1.iter().map(|s| s.to_string()).collect();
        assert_eq!(fields(too_many.check().unwrap_err()), ["skills"]);
        let mut rate = profile();
        rate.hourly_rate = "2".into();
        assert_eq!(fields(rate.check().unwrap_err()), ["hourly_rate"]);
    }

    #[test]
    fn offsets_read_as_utc() {
        assert_eq!(offset_label(330), "UTC+05:30");
        assert_eq!(offset_label(-300), "UTC-05:00");
        assert_eq!(offset_label(0), "UTC+00:00");
    }

    fn week(hours: [u8; 7]) -> Availability {
        Availability {
            weekly: hours,
            time_off: vec![],
        }
    }

    #[test]
    fn time_off_comes_out_of_the_weekly_hours() {
        // 2026-12-07 is a Monday.
        let today = date!(2026 - 12 - 07);
        let mut a = week([8, 8, 8, 8, 8, 0, 0]);
        assert_eq!(a.check(today).unwrap().hours_per_week(today), 40);
        a.time_off.push(TimeOff {
            from: "2026-12-14".into(),
            to: "2026-12-20".into(),
            note: "Holiday".into(),
        });
        let c = a.check(today).unwrap();
        assert_eq!(c.hours_per_week(today), 30);
        assert_eq!(c.hours_on(date!(2026 - 12 - 15)), 0);
        assert_eq!(c.hours_on(date!(2026 - 12 - 21)), 8);
        let cal = c.calendar(date!(2026 - 12 - 09), 4);
        assert_eq!(cal.len(), 28);
        assert_eq!(cal[0].date, "2026-12-07");
        assert!(cal[0].past && !cal[2].past);
        assert!(cal[7].off && cal[13].off && !cal[14].off);
        assert!(cal[5].weekend && cal[6].weekend && !cal[4].weekend);
    }

    #[test]
    fn bad_availability_names_the_day_or_range() {
        let today = date!(2026 - 12 - 07);
        let mut a = week([13, 8, 8, 8, 8, 0, 0]);
        a.time_off = vec![
            TimeOff {
                from: "2026-12-20".into(),
                to: "2026-12-10".into(),
                note: String::new(),
            },
            TimeOff {
                from: "2026-11-01".into(),
                to: "2026-11-03".into(),
                note: String::new(),
            },
            TimeOff {
                from: "next week".into(),
                to: "2026-12-10".into(),
                note: String::new(),
            },
            TimeOff {
                from: "2028-01-01".into(),
                to: "2028-01-02".into(),
                note: String::new(),
            },
        ];
        assert_eq!(
            fields(a.check(today).unwrap_err()),
            [
                "weekly.0",
                "time_off.0",
                "time_off.1",
                "time_off.2",
                "time_off.3"
            ]
        );
        assert_eq!(fields(week([12; 7]).check(today).unwrap_err()), ["weekly"]);
    }

    #[test]
    fn a_piece_needs_a_file_or_a_link() {
        let p = PieceInput {
            title: "Delivery app".into(),
            description: String::new(),
            url: String::new(),
        };
        assert_eq!(fields(p.check(false).unwrap_err()), ["file"]);
        assert!(p.check(true).is_ok());
        let linked = PieceInput {
            url: "https://example.com/work".into(),
            ..p.clone()
        };
        assert_eq!(
            linked.check(false).unwrap().2.as_deref(),
            Some("https://example.com/work")
        );
        let bad = PieceInput {
            url: "javascript:alert(1)".into(),
            ..p
        };
        assert_eq!(fields(bad.check(true).unwrap_err()), ["url"]);
    }

    #[test]
    fn an_application_says_what_is_wrong() {
        let ok = ApplicationInput {
            proposal: "I have shipped three delivery apps in Flutter and can start on Monday."
                .into(),
            price: "$4,500".into(),
            weeks: "6".into(),
        };
        let c = ok.check().unwrap();
        assert_eq!((c.price_usd, c.weeks), (4_500, 6));
        let bad = ApplicationInput {
            proposal: "Hire me".into(),
            price: "lots".into(),
            weeks: "0".into(),
        };
        assert_eq!(
            fields(bad.check().unwrap_err()),
            ["proposal", "price", "weeks"]
        );
    }

    #[test]
    fn changes_need_a_note_approval_does_not() {
        assert!(check_review_note(ReviewDecision::RequestChanges, " ").is_err());
        assert_eq!(
            check_review_note(ReviewDecision::Approve, "").unwrap(),
            None
        );
        assert_eq!(
            check_review_note(ReviewDecision::RequestChanges, "Add a portfolio piece")
                .unwrap()
                .as_deref(),
            Some("Add a portfolio piece")
        );
    }

    #[test]
    fn missing_lists_what_review_needs() {
        let mut v = ProfileView {
            user_id: Uuid::nil(),
            name: "Fern".into(),
            status: ProfileStatus::Draft,
            review_note: None,
            input: ProfileInput::default(),
            availability: Availability::default(),
            calendar: vec![],
            hours_per_week: 0,
            portfolio: vec![],
            documents: vec![],
            submitted_at: None,
            rating: 0.0,
            reviews: 0,
        };
        assert_eq!(v.missing().len(), 6);
        v.input = profile();
        v.input.bio = "I build delivery apps for restaurants and shops.".into();
        v.availability.weekly = [4; 7];
        v.portfolio.push(PortfolioItem {
            id: Uuid::nil(),
            title: "App".into(),
            description: String::new(),
            url: Some("https://example.com".into()),
            file: None,
            content_type: None,
        });
        v.documents.push(KycDocument {
            id: Uuid::nil(),
            kind: KycKind::ProofOfAddress,
            name: "bill.pdf".into(),
            bytes: 10,
            at: String::new(),
        });
        assert_eq!(
            v.missing(),
            ["an identity document (passport, ID card or driving licence)"]
        );
        v.documents[0].kind = KycKind::Passport;
        assert!(v.missing().is_empty());
        v.status = ProfileStatus::Submitted;
        assert!(!v.editable());
    }
}
