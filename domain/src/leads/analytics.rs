//! What a sales team's managers look at: the SDR leaderboard, where the period's leads stand
//! (the funnel), new leads a day by band, and the leads as a CSV file. These are the shapes and
//! the arithmetic; `server::leads::analytics` reads the numbers.

use serde::{Deserialize, Serialize};

use super::score::Lifecycle;

/// The periods a report covers, in days.
pub const PERIODS: [u32; 3] = [7, 30, 90];

/// One SDR on the leaderboard, over the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdrStats {
    /// Who.
    pub user: uuid::Uuid,
    /// Their name.
    pub name: String,
    /// Taking HOT leads now.
    pub online: bool,
    /// Open leads now.
    pub open: u32,
    /// Most open leads.
    pub capacity: u32,
    /// Leads given to them in the period.
    pub assigned: u32,
    /// Of the leads they have, first answers given in the period.
    pub answered: u32,
    /// The median minutes from getting a lead to its first answer.
    pub median_first_answer_minutes: Option<u32>,
    /// First answers in time.
    pub sla_met: u32,
    /// First answers late, or still missing past their time.
    pub sla_missed: u32,
    /// Leads of theirs won in the period.
    pub won: u32,
    /// Leads of theirs lost in the period.
    pub lost: u32,
}

impl SdrStats {
    /// Share of first answers in time, in whole percents (None: nothing to count yet).
    pub fn sla_percent(&self) -> Option<u32> {
        percent(self.sla_met, self.sla_met + self.sla_missed)
    }

    /// Share of their decided leads that were won (None: none decided yet).
    pub fn win_percent(&self) -> Option<u32> {
        percent(self.won, self.won + self.lost)
    }
}

/// `part` of `whole` in whole percents, rounded half up; None for an empty whole.
pub fn percent(part: u32, whole: u32) -> Option<u32> {
    (whole > 0)
        .then(|| ((u64::from(part) * 200 + u64::from(whole)) / (2 * u64::from(whole))) as u32)
}

/// The leaderboard's order: most won, then the best first-answer record, then the quickest,
/// then the name.
pub fn rank(rows: &mut [SdrStats]) {
    rows.sort_by(|a, b| {
        b.won
            .cmp(&a.won)
            .then(
                b.sla_percent()
                    .unwrap_or(0)
                    .cmp(&a.sla_percent().unwrap_or(0)),
            )
            .then(
                a.median_first_answer_minutes
                    .unwrap_or(u32::MAX)
                    .cmp(&b.median_first_answer_minutes.unwrap_or(u32::MAX)),
            )
            .then(a.name.cmp(&b.name))
    });
}

/// New leads of one day (UTC), by band.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// HOT.
    pub hot: u32,
    /// WARM.
    pub warm: u32,
    /// COLD.
    pub cold: u32,
    /// Not scored yet.
    pub unscored: u32,
}

impl DayCount {
    /// Every lead of the day.
    pub fn total(&self) -> u32 {
        self.hot + self.warm + self.cold + self.unscored
    }
}

/// A team's report over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The team's name.
    pub team: String,
    /// Days covered, ending now.
    pub days: u32,
    /// The period's new leads by where they stand now, in stage order.
    pub funnel: Vec<(Lifecycle, u32)>,
    /// New leads a day, oldest first, every day of the period (empty days too).
    pub by_day: Vec<DayCount>,
    /// The SDRs, best first.
    pub leaderboard: Vec<SdrStats>,
}

impl Report {
    /// New leads in the period.
    pub fn leads(&self) -> u32 {
        self.funnel.iter().map(|(_, n)| n).sum()
    }

    /// How many of the period's leads reached `stage` or beyond (lost ones count where they
    /// are not known to have been: only for `New`).
    pub fn reached(&self, stage: Lifecycle) -> u32 {
        let order = |l: Lifecycle| Lifecycle::ALL.iter().position(|x| *x == l).unwrap_or(0);
        self.funnel
            .iter()
            .filter(|(l, _)| {
                if *l == Lifecycle::Lost {
                    stage == Lifecycle::New
                } else {
                    order(*l) >= order(stage)
                }
            })
            .map(|(_, n)| n)
            .sum()
    }

    /// Won as a share of the period's leads, in whole percents.
    pub fn conversion_percent(&self) -> Option<u32> {
        percent(self.reached(Lifecycle::Won), self.leads())
    }
}

/// A CSV cell a spreadsheet opens as text: quoted when it must be (RFC 4180), and with a `'` in
/// front of what a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, return).
pub fn cell(s: &str) -> String {
    let safe = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    super::import::csv_field(&safe)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdr(name: &str, won: u32, met: u32, missed: u32, median: Option<u32>) -> SdrStats {
        SdrStats {
            user: uuid::Uuid::nil(),
            name: name.into(),
            online: true,
            open: 0,
            capacity: 10,
            assigned: 0,
            answered: met + missed,
            median_first_answer_minutes: median,
            sla_met: met,
            sla_missed: missed,
            won,
            lost: 0,
        }
    }

    #[test]
    fn percents_round_half_up_and_skip_empty_wholes() {
        assert_eq!(percent(0, 0), None);
        assert_eq!(percent(1, 3), Some(33));
        assert_eq!(percent(2, 3), Some(67));
        assert_eq!(percent(1, 8), Some(13));
        assert_eq!(percent(5, 5), Some(100));
    }

    #[test]
    fn the_leaderboard_puts_wins_first_then_answers_in_time_then_speed() {
        let mut rows = vec![
            sdr("Cy", 1, 1, 1, Some(5)),
            sdr("Ana", 1, 2, 0, Some(30)),
            sdr("Bo", 3, 0, 4, None),
            sdr("Di", 1, 2, 0, Some(12)),
        ];
        rank(&mut rows);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Bo", "Di", "Ana", "Cy"]);
        assert_eq!(rows[3].sla_percent(), Some(50));
    }

    #[test]
    fn the_funnel_counts_each_lead_at_every_stage_it_reached() {
        let r = Report {
            team: "T".into(),
            days: 7,
            funnel: vec![
                (Lifecycle::New, 4),
                (Lifecycle::Contacted, 3),
                (Lifecycle::Qualified, 2),
                (Lifecycle::Won, 1),
                (Lifecycle::Lost, 2),
            ],
            by_day: Vec::new(),
            leaderboard: Vec::new(),
        };
        assert_eq!(r.leads(), 12);
        assert_eq!(r.reached(Lifecycle::New), 12);
        assert_eq!(r.reached(Lifecycle::Contacted), 6);
        assert_eq!(r.reached(Lifecycle::Qualified), 3);
        assert_eq!(r.reached(Lifecycle::Won), 1);
        assert_eq!(r.conversion_percent(), Some(8));
    }

    #[test]
    fn cells_never_run_as_formulas() {
        assert_eq!(cell("Ana"), "Ana");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+14155552671"), "'+14155552671");
        assert_eq!(cell("a,b"), "\"a,b\"");
    }
}
