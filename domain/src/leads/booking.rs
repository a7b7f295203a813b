//! Appointment booking from a conversation (issue 5, section 3): the team writes its booking
//! hours (a time zone, a meeting length, the weekly hours); an SDR offers a lead three quick
//! times in the next 7 days and a link to every free time; a time is booked once, by the SDR or
//! by the lead through the link, and never twice for the same host.
//!
//! The views and the weekly hours are shared with the browser; the slot arithmetic, which needs
//! the time zone database, is server-side ([`Rules`]).

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// The meeting lengths a team may choose, in minutes.
pub const LENGTHS: [u16; 4] = [15, 30, 45, 60];
/// How many quick times an offer gives.
pub const QUICK: usize = 3;
/// How far ahead an offer and the lead's link reach, in days.
pub const HORIZON_DAYS: i64 = 7;
/// How soon the first time offered may start, in minutes from now.
pub const NOTICE_MINUTES: i64 = 120;
/// How far ahead a person of the team may book, in days.
pub const BOOK_AHEAD_DAYS: i64 = 60;
/// The most lines the weekly hours take.
pub const HOURS_LINES: usize = 14;

/// The booking hours as the form holds them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoursForm {
    /// An IANA time zone name, like `Europe/London`.
    pub time_zone: String,
    /// The meeting length in minutes (one of [`LENGTHS`]).
    pub minutes: String,
    /// The weekly hours, a line each: `Mon-Fri 09:00-17:00`, `Sat 10:00-13:00`.
    pub hours: String,
}

impl HoursForm {
    /// What a team starts from.
    pub fn example() -> Self {
        Self {
            time_zone: "UTC".into(),
            minutes: "30".into(),
            hours: "Mon-Fri 09:00-17:00".into(),
        }
    }
}

/// The weekly hours: for each weekday (Monday first) its ranges, in minutes from midnight,
/// sorted and not overlapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeeklyHours(pub [Vec<(u16, u16)>; 7]);

const DAYS: [[&str; 3]; 7] = [
    ["mon", "monday", "mo"],
    ["tue", "tuesday", "tu"],
    ["wed", "wednesday", "we"],
    ["thu", "thursday", "th"],
    ["fri", "friday", "fr"],
    ["sat", "saturday", "sa"],
    ["sun", "sunday", "su"],
];

fn day(word: &str) -> Option<usize> {
    let w = word.trim().trim_end_matches('.').to_lowercase();
    DAYS.iter()
        .position(|names| names.contains(&w.as_str()) || (w.len() >= 3 && names[1].starts_with(&w)))
}

fn clock(s: &str) -> Option<u16> {
    let s = s.trim();
    let (h, m) = s.split_once(':').or_else(|| s.split_once('.'))?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    if m.to_string().len() > 2 || m >= 60 || h > 24 || (h == 24 && m > 0) {
        return None;
    }
    Some(h * 60 + m)
}

/// Dashes people type between days and times: hyphen, en dash, em dash.
fn dashes(s: &str) -> String {
    s.replace(['–', '—'], "-")
}

/// Reads the weekly hours, a line each: the days (`Mon`, `Mon-Fri`, `Mon, Wed`) then one or
/// more ranges (`09:00-12:00, 13:00-17:00`). A day written twice keeps every range (merged
/// where they touch). Each wrong line says why.
pub fn parse_hours(text: &str) -> Result<WeeklyHours, String> {
    let mut week: [Vec<(u16, u16)>; 7] = Default::default();
    let lines: Vec<(usize, String)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, dashes(l.trim())))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    if lines.is_empty() {
        return Err("Write at least one line, like “Mon-Fri 09:00-17:00”.".into());
    }
    if lines.len() > HOURS_LINES {
        return Err(format!("Keep it to {HOURS_LINES} lines."));
    }
    for (n, line) in lines {
        let example = "like “Mon-Fri 09:00-17:00”";
        let Some(first_digit) = line.find(|c: char| c.is_ascii_digit()) else {
            return Err(format!("Line {n}: add the hours, {example}."));
        };
        let (days_part, times_part) = line.split_at(first_digit);
        let mut days = Vec::new();
        for piece in days_part.split([',', '&', '/']).map(str::trim) {
            if piece.is_empty() {
                continue;
            }
            let piece = piece.trim_end_matches(':').trim();
            match piece.split_once('-') {
                Some((a, b)) => {
                    let (Some(a), Some(b)) = (day(a), day(b)) else {
                        return Err(format!(
                            "Line {n}: “{piece}” is not a range of days, {example}."
                        ));
                    };
                    let mut d = a;
                    loop {
                        days.push(d);
                        if d == b {
                            break;
                        }
                        d = (d + 1) % 7;
                    }
                }
                None => match day(piece) {
                    Some(d) => days.push(d),
                    None => {
                        return Err(format!("Line {n}: “{piece}” is not a day, {example}."));
                    }
                },
            }
        }
        if days.is_empty() {
            return Err(format!("Line {n}: write the days first, {example}."));
        }
        let mut ranges = Vec::new();
        for piece in times_part
            .split([',', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let Some((a, b)) = piece.split_once('-') else {
                return Err(format!(
                    "Line {n}: “{piece}” is not a range of hours, {example}."
                ));
            };
            let (Some(a), Some(b)) = (clock(a), clock(b)) else {
                return Err(format!(
                    "Line {n}: “{piece}” is not a range of hours; write the times as 09:00 to 24:00."
                ));
            };
            if b <= a {
                return Err(format!("Line {n}: “{piece}” ends before it starts."));
            }
            ranges.push((a, b));
        }
        for d in days {
            week[d].extend(ranges.iter().copied());
        }
    }
    for ranges in &mut week {
        ranges.sort_unstable();
        let mut merged: Vec<(u16, u16)> = Vec::with_capacity(ranges.len());
        for &(a, b) in ranges.iter() {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        *ranges = merged;
    }
    Ok(WeeklyHours(week))
}

/// Checks the meeting length field.
pub fn parse_minutes(text: &str) -> Result<u16, String> {
    text.trim()
        .parse::<u16>()
        .ok()
        .filter(|m| LENGTHS.contains(m))
        .ok_or_else(|| "Choose 15, 30, 45 or 60 minutes.".to_owned())
}

/// Which of `count` offered times a lead's answer picks, if it clearly picks one: a number
/// ("2", "option 2", "#2"), an ordinal ("the second one", "3rd"), or the weekday of exactly one
/// of them (`weekdays`, Monday = 0). A suggestion only: a person books it.
pub fn picked(text: &str, weekdays: &[usize]) -> Option<usize> {
    let count = weekdays.len();
    let lower = text.to_lowercase();
    let mut found: Vec<usize> = Vec::new();
    for word in lower.split(|c: char| !(c.is_alphanumeric() || c == ':')) {
        let n = match word {
            "first" | "1st" => Some(1),
            "second" | "2nd" => Some(2),
            "third" | "3rd" => Some(3),
            w if w.len() == 1 => w.parse::<usize>().ok(),
            _ => None,
        };
        if let Some(n) = n.filter(|n| (1..=count).contains(n)) {
            found.push(n - 1);
        }
    }
    found.dedup();
    if found.len() == 1 {
        return found.first().copied();
    }
    if !found.is_empty() {
        return None;
    }
    // "Tuesday works": the one time on that day.
    let mut by_day = None;
    for word in lower.split(|c: char| !c.is_alphabetic()) {
        if word.len() < 3 {
            continue;
        }
        if let Some(d) = day(word) {
            let on: Vec<usize> = (0..count).filter(|&i| weekdays[i] == d).collect();
            match (on.as_slice(), by_day) {
                ([one], None) => by_day = Some(*one),
                ([one], Some(b)) if b == *one => {}
                _ => return None,
            }
        }
    }
    by_day
}

/// The message that offers the times: the quick times numbered, the time zone, and the link to
/// every free time.
pub fn offer_text(labels: &[String], time_zone: &str, minutes: u16, link: &str) -> String {
    let mut t = format!("Would one of these times work for a {minutes}-minute call?\n");
    for (i, l) in labels.iter().enumerate() {
        t.push_str(&format!("{}. {l}\n", i + 1));
    }
    t.push_str(&format!(
        "(Times are {time_zone}.) Just reply with the number, or pick any time that suits you: {link}"
    ));
    t
}

/// A time offered, as the conversation shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotView {
    /// Its start (RFC 3339), what booking it sends back.
    pub start: String,
    /// "Tue 8 Dec, 10:00", in the team's time zone.
    pub label: String,
    /// Booked for someone else (or this lead) since it was offered.
    pub taken: bool,
}

/// A call booked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppointmentView {
    /// Its id.
    pub id: uuid::Uuid,
    /// "Tue 8 Dec, 10:00–10:30", in the team's time zone.
    pub when: String,
    /// The team's time zone.
    pub time_zone: String,
    /// Who takes the call.
    pub host: String,
    /// Who booked it: a person's name, or "the lead (through their link)".
    pub booked_by: String,
}

/// The conversation's booking panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingPanel {
    /// The team has written its booking hours.
    pub ready: bool,
    /// The lead's next call, if booked.
    pub upcoming: Option<AppointmentView>,
    /// The times last offered (within their week), with the lead's link.
    pub offered: Vec<SlotView>,
    /// Which offered time the lead's latest answer seems to pick (an index into `offered`).
    pub picked: Option<usize>,
}

/// What offering times gives the agent: the text for the composer, and the times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// The message, to check and send.
    pub text: String,
    /// The times offered.
    pub slots: Vec<SlotView>,
}

/// A day of the lead's booking page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicDay {
    /// "Tuesday 8 December".
    pub label: String,
    /// Its free times.
    pub slots: Vec<SlotView>,
}

/// The lead's booking page (through the link in the offer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicBooking {
    /// The team's name.
    pub team: String,
    /// Who the call is with.
    pub host: String,
    /// The meeting length in minutes.
    pub minutes: u16,
    /// The team's time zone.
    pub time_zone: String,
    /// The free times, by day.
    pub days: Vec<PublicDay>,
    /// The lead's call, when one is booked: what it says.
    pub booked: Option<String>,
}

/// A form's fields as checked: the field errors of a wrong form.
pub fn check_form(form: &HoursForm) -> Result<(u16, WeeklyHours), Vec<FieldError>> {
    let mut errors = Vec::new();
    let minutes = parse_minutes(&form.minutes)
        .map_err(|m| errors.push(FieldError::new("minutes", m)))
        .ok();
    let hours = parse_hours(&form.hours)
        .map_err(|m| errors.push(FieldError::new("hours", m)))
        .ok();
    match (minutes, hours) {
        (Some(m), Some(h)) if errors.is_empty() => Ok((m, h)),
        _ => Err(errors),
    }
}

#[cfg(feature = "server")]
pub use rules::Rules;

#[cfg(feature = "server")]
mod rules {
    use jiff::civil::{Date, Time};
    use jiff::tz::TimeZone;
    use jiff::{SignedDuration, Timestamp};

    use super::{HoursForm, WeeklyHours, NOTICE_MINUTES, QUICK};
    use crate::FieldError;

    /// A team's booking hours, ready for arithmetic.
    #[derive(Debug, Clone)]
    pub struct Rules {
        /// The team's time zone.
        pub tz: TimeZone,
        /// Its IANA name.
        pub tz_name: String,
        /// The meeting length.
        pub minutes: u16,
        /// The weekly hours.
        pub week: WeeklyHours,
    }

    impl Rules {
        /// Checks the whole form; every wrong field says why.
        pub fn from_form(form: &HoursForm) -> Result<Self, Vec<FieldError>> {
            let name = form.time_zone.trim();
            let tz = if name.is_empty() {
                Err(FieldError::new(
                    "time_zone",
                    "Write the team's time zone, like Europe/London or America/New_York.",
                ))
            } else {
                TimeZone::get(name).map_err(|_| {
                    FieldError::new(
                        "time_zone",
                        format!("“{name}” is not a time zone we know; write it like Europe/London or America/New_York."),
                    )
                })
            };
            let rest = super::check_form(form);
            match (tz, rest) {
                (Ok(tz), Ok((minutes, week))) => Ok(Self {
                    tz_name: tz.iana_name().unwrap_or(name).to_owned(),
                    tz,
                    minutes,
                    week,
                }),
                (tz, rest) => {
                    let mut errors: Vec<FieldError> = tz.err().into_iter().collect();
                    errors.extend(rest.err().unwrap_or_default());
                    Err(errors)
                }
            }
        }

        fn length(&self) -> SignedDuration {
            SignedDuration::from_mins(i64::from(self.minutes))
        }

        /// Every start on the hours' grid from `from` to `to`, in order.
        fn grid(&self, from: Timestamp, to: Timestamp) -> Vec<Timestamp> {
            let mut out = Vec::new();
            let first = from.to_zoned_datetime(self.tz.clone()).date();
            let last = to.to_zoned_datetime(self.tz.clone()).date();
            let mut date = first;
            while date <= last {
                out.extend(
                    self.starts_on(date)
                        .into_iter()
                        .filter(|t| *t >= from && *t <= to),
                );
                match date.tomorrow() {
                    Ok(d) => date = d,
                    Err(_) => break,
                }
            }
            out
        }

        /// The starts on one day of the team's calendar.
        fn starts_on(&self, date: Date) -> Vec<Timestamp> {
            let wd = usize::try_from(date.weekday().to_monday_zero_offset()).unwrap_or(0);
            let mut out = Vec::new();
            for &(a, b) in &self.week.0[wd] {
                let mut m = a;
                while m + self.minutes <= b {
                    let (h, min) = (
                        i8::try_from(m / 60).unwrap_or(0),
                        i8::try_from(m % 60).unwrap_or(0),
                    );
                    let civil = if h == 24 {
                        None
                    } else {
                        Time::new(h, min, 0, 0).ok().map(|t| date.to_datetime(t))
                    };
                    if let Some(ts) =
                        civil.and_then(|dt| self.tz.to_ambiguous_timestamp(dt).compatible().ok())
                    {
                        // A start skipped over by a clock change lands on a time already
                        // given: keep it once.
                        if out.last() != Some(&ts) {
                            out.push(ts);
                        }
                    }
                    m += self.minutes;
                }
            }
            out
        }

        /// Whether `start` is a start of the hours (on the grid of its day).
        pub fn fits(&self, start: Timestamp) -> bool {
            let date = start.to_zoned_datetime(self.tz.clone()).date();
            self.starts_on(date).contains(&start)
        }

        /// When a call starting at `start` ends.
        pub fn end(&self, start: Timestamp) -> Timestamp {
            start + self.length()
        }

        /// The free starts between `now` + the notice and `now` + `days`, not overlapping any
        /// of `busy` (start, end).
        pub fn free(
            &self,
            now: Timestamp,
            days: i64,
            busy: &[(Timestamp, Timestamp)],
        ) -> Vec<Timestamp> {
            let from = now + SignedDuration::from_mins(NOTICE_MINUTES);
            let to = now + SignedDuration::from_hours(24 * days);
            self.grid(from, to)
                .into_iter()
                .filter(|s| {
                    let e = self.end(*s);
                    !busy.iter().any(|(bs, be)| *s < *be && *bs < e)
                })
                .collect()
        }

        /// The quick times of an offer: the first free time, then the first on each later day,
        /// so the lead has days to choose from; filled from the earliest left when the week has
        /// fewer days free.
        pub fn quick(&self, free: &[Timestamp]) -> Vec<Timestamp> {
            let mut out: Vec<Timestamp> = Vec::new();
            let mut days: Vec<Date> = Vec::new();
            for s in free {
                let d = self.date_of(*s);
                if !days.contains(&d) {
                    days.push(d);
                    out.push(*s);
                    if out.len() == QUICK {
                        return out;
                    }
                }
            }
            for s in free {
                if out.len() == QUICK {
                    break;
                }
                if !out.contains(s) {
                    out.push(*s);
                }
            }
            out.sort();
            out
        }

        /// The calendar date of `t` in the team's time zone.
        pub fn date_of(&self, t: Timestamp) -> Date {
            t.to_zoned_datetime(self.tz.clone()).date()
        }

        /// Monday = 0.
        pub fn weekday_of(&self, t: Timestamp) -> usize {
            usize::try_from(self.date_of(t).weekday().to_monday_zero_offset()).unwrap_or(0)
        }

        /// "Tue 8 Dec, 10:00".
        pub fn label(&self, t: Timestamp) -> String {
            t.to_zoned_datetime(self.tz.clone())
                .strftime("%a %-d %b, %H:%M")
                .to_string()
        }

        /// "Tue 8 Dec, 10:00–10:30".
        pub fn span(&self, start: Timestamp, end: Timestamp) -> String {
            format!(
                "{}–{}",
                self.label(start),
                end.to_zoned_datetime(self.tz.clone()).strftime("%H:%M")
            )
        }

        /// "Tuesday 8 December".
        pub fn day_label(&self, date: Date) -> String {
            date.strftime("%A %-d %B").to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_read_days_ranges_and_dashes() {
        let w =
            parse_hours("Mon–Fri 09:00-12:00, 13:00–17:30\nSat: 10.00-13:00\n\nsunday 9:00-10:00")
                .unwrap();
        assert_eq!(w.0[0], vec![(540, 720), (780, 1050)]);
        assert_eq!(w.0[4], vec![(540, 720), (780, 1050)]);
        assert_eq!(w.0[5], vec![(600, 780)]);
        assert_eq!(w.0[6], vec![(540, 600)]);
        // A range of days may wrap over the weekend; lists with commas.
        let w = parse_hours("Fri-Mon 09:00-10:00\nWed, Thu 14:00-15:00").unwrap();
        assert!(w.0[0].len() == 1 && w.0[4].len() == 1 && w.0[5].len() == 1 && w.0[6].len() == 1);
        assert!(w.0[1].is_empty());
        assert_eq!(w.0[2], vec![(840, 900)]);
    }

    #[test]
    fn a_day_written_twice_keeps_both_merged() {
        let w = parse_hours("Mon 09:00-12:00\nMon 11:00-13:00\nMon 15:00-16:00").unwrap();
        assert_eq!(w.0[0], vec![(540, 780), (900, 960)]);
    }

    #[test]
    fn wrong_hours_name_the_line_and_why() {
        let e = parse_hours("").unwrap_err();
        assert!(e.contains("at least one line"), "{e}");
        let e = parse_hours("Mon-Fri 09:00-17:00\nFunday 09:00-10:00").unwrap_err();
        assert!(e.starts_with("Line 2:") && e.contains("Funday"), "{e}");
        let e = parse_hours("Mon 17:00-09:00").unwrap_err();
        assert!(e.contains("ends before it starts"), "{e}");
        let e = parse_hours("Mon 25:00-26:00").unwrap_err();
        assert!(e.contains("09:00 to 24:00"), "{e}");
        let e = parse_hours("Mon-Fri").unwrap_err();
        assert!(e.contains("add the hours"), "{e}");
        let e = parse_hours("09:00-17:00").unwrap_err();
        assert!(e.contains("days first"), "{e}");
        assert!(parse_hours(&"Mon 09:00-10:00\n".repeat(15)).is_err());
    }

    #[test]
    fn meeting_lengths_are_the_four_offered() {
        assert_eq!(parse_minutes(" 45 "), Ok(45));
        assert!(parse_minutes("20").is_err());
        assert!(parse_minutes("thirty").is_err());
    }

    #[test]
    fn the_form_names_each_wrong_field() {
        let e = check_form(&HoursForm {
            time_zone: "UTC".into(),
            minutes: "7".into(),
            hours: "nope".into(),
        })
        .unwrap_err();
        let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["minutes", "hours"]);
    }

    #[test]
    fn an_answer_picks_a_time_by_number_ordinal_or_day() {
        let days = [1, 2, 3]; // Tue, Wed, Thu
        assert_eq!(picked("2", &days), Some(1));
        assert_eq!(picked("Option 3 please!", &days), Some(2));
        assert_eq!(picked("#1", &days), Some(0));
        assert_eq!(picked("the second one works", &days), Some(1));
        assert_eq!(picked("3rd", &days), Some(2));
        assert_eq!(picked("Thursday is good for me", &days), Some(2));
        // "one" is not a number here: "the first one".
        assert_eq!(picked("The first one, please", &days), Some(0));
        // Not clear: two numbers, none, or numbers out of range, times of day.
        assert_eq!(picked("1 or 2", &days), None);
        assert_eq!(picked("sounds good", &days), None);
        assert_eq!(picked("7", &days), None);
        assert_eq!(picked("can we do 10:00?", &days), None);
        // Two times on one day: the day alone does not pick.
        assert_eq!(picked("tuesday", &[1, 1, 3]), None);
    }

    #[test]
    fn the_offer_lists_the_times_and_the_link() {
        let t = offer_text(
            &["Tue 8 Dec, 10:00".into(), "Wed 9 Dec, 09:00".into()],
            "Europe/London",
            30,
            "https://x.test/book/abc",
        );
        assert!(
            t.contains("1. Tue 8 Dec, 10:00\n2. Wed 9 Dec, 09:00\n"),
            "{t}"
        );
        assert!(
            t.contains("30-minute")
                && t.contains("Europe/London")
                && t.ends_with("https://x.test/book/abc")
        );
    }

    #[cfg(feature = "server")]
    mod slots {
        use jiff::Timestamp;

        use super::super::{HoursForm, Rules};

        fn rules(tz: &str, minutes: &str, hours: &str) -> Rules {
            Rules::from_form(&HoursForm {
                time_zone: tz.into(),
                minutes: minutes.into(),
                hours: hours.into(),
            })
            .unwrap()
        }

        fn ts(s: &str) -> Timestamp {
            s.parse().unwrap()
        }

        #[test]
        fn an_unknown_time_zone_is_named() {
            let e = Rules::from_form(&HoursForm {
                time_zone: "Mars/Olympus".into(),
                minutes: "30".into(),
                hours: "Mon 09:00-10:00".into(),
            })
            .unwrap_err();
            assert_eq!(e[0].field, "time_zone");
            assert!(e[0].message.contains("Mars/Olympus"));
        }

        #[test]
        fn free_times_keep_the_notice_the_grid_and_the_busy() {
            let r = rules("Europe/London", "30", "Mon-Fri 09:00-11:00");
            // Monday 7 December 2026, 08:30 in London (UTC in winter).
            let now = ts("2026-12-07T08:30:00Z");
            let busy = [(ts("2026-12-07T10:30:00Z"), ts("2026-12-07T11:00:00Z"))];
            let free = r.free(now, 7, &busy);
            // Two hours' notice: Monday from 10:30, which is busy.
            assert_eq!(free[0], ts("2026-12-08T09:00:00Z"));
            assert!(!free.contains(&ts("2026-12-07T10:30:00Z")));
            // Four a day, Tuesday to Friday, then Monday 14th up to 08:30.
            assert_eq!(free.len(), 16);
            assert!(free.iter().all(|t| r.fits(*t)));
            assert!(!r.fits(ts("2026-12-08T09:10:00Z")));
            assert!(!r.fits(ts("2026-12-12T09:00:00Z"))); // Saturday
        }

        #[test]
        fn quick_times_are_on_different_days() {
            let r = rules("America/New_York", "60", "Mon-Fri 09:00-12:00");
            let now = ts("2026-12-07T12:00:00Z"); // Monday 07:00 in New York
            let quick = r.quick(&r.free(now, 7, &[]));
            let labels: Vec<String> = quick.iter().map(|t| r.label(*t)).collect();
            assert_eq!(
                labels,
                ["Mon 7 Dec, 09:00", "Tue 8 Dec, 09:00", "Wed 9 Dec, 09:00"]
            );
            // One day free only: its first three times.
            let r = rules("UTC", "60", "Tue 09:00-17:00");
            let quick = r.quick(&r.free(now, 7, &[]));
            let labels: Vec<String> = quick.iter().map(|t| r.label(*t)).collect();
            assert_eq!(
                labels,
                ["Tue 8 Dec, 09:00", "Tue 8 Dec, 10:00", "Tue 8 Dec, 11:00"]
            );
        }

        #[test]
        fn clock_changes_keep_local_hours() {
            // Berlin leaves summer time on Sunday 25 October 2026.
            let r = rules("Europe/Berlin", "60", "Fri-Mon 09:00-10:00");
            let free = r.free(ts("2026-10-22T00:00:00Z"), 7, &[]);
            let utc: Vec<String> = free.iter().map(|t| t.to_string()).collect();
            assert_eq!(
                utc,
                [
                    "2026-10-23T07:00:00Z",
                    "2026-10-24T07:00:00Z",
                    "2026-10-25T08:00:00Z",
                    "2026-10-26T08:00:00Z"
                ]
            );
            assert_eq!(r.span(free[2], r.end(free[2])), "Sun 25 Oct, 09:00–10:00");
        }
    }
}
