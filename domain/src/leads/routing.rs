//! Where a scored lead goes. HOT goes to an SDR who is online and has room, at once, with a
//! first-response SLA of ten minutes. WARM is spread evenly over the SDRs with room, online or
//! not, with an SLA of 24 hours (upper half of the band) or 72 hours (lower half). COLD spends 24
//! hours with the AI re-engagement, then goes to the junior pool. "Evenly" means the SDR with the
//! fewest open leads for their capacity, then the one who waited longest for a lead.
//!
//! These are the rules alone; `server::leads::routing` applies them under locks, so that a lead
//! is never assigned twice and an SDR never gets more than their capacity.

use serde::{Deserialize, Serialize};

use crate::ai::LeadBand;

/// Minutes a HOT lead may wait for its first answer.
pub const HOT_SLA_MINUTES: u32 = 10;
/// Minutes the upper half of WARM (46–60) may wait.
pub const WARM_UPPER_SLA_MINUTES: u32 = 24 * 60;
/// Minutes the lower half of WARM (31–45) may wait.
pub const WARM_LOWER_SLA_MINUTES: u32 = 72 * 60;
/// Minutes a lead from the junior pool may wait.
pub const JUNIOR_SLA_MINUTES: u32 = 72 * 60;
/// Minutes a COLD lead stays with the AI re-engagement before the junior pool.
pub const NURTURE_MINUTES: u32 = 24 * 60;

/// An SDR as routing sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sdr {
    /// Who.
    pub user: uuid::Uuid,
    /// In the junior pool (takes COLD leads after their re-engagement).
    pub junior: bool,
    /// Signed in and taking leads.
    pub online: bool,
    /// Most open leads at once.
    pub capacity: u32,
    /// Open leads now.
    pub open: u32,
    /// Seconds since their last assignment (None: never had one).
    pub idle_seconds: Option<i64>,
}

impl Sdr {
    fn has_room(&self) -> bool {
        self.open < self.capacity
    }
}

/// Where a lead is in routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Not routed yet, or waiting for an SDR with room.
    Unrouted,
    /// With the AI re-engagement until its time is up.
    Nurture,
    /// Its re-engagement time is up: for the junior pool.
    NurtureOver,
}

/// What to do with a lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Decision {
    /// Give it to `sdr`; they answer within `sla_minutes`.
    Assign {
        /// Who gets it.
        sdr: uuid::Uuid,
        /// Minutes to the first answer.
        sla_minutes: u32,
    },
    /// Hand it to the AI re-engagement for `minutes`.
    Nurture {
        /// How long.
        minutes: u32,
    },
    /// Nobody can take it now; it waits, first in line, and is routed again as soon as an SDR
    /// has room. The SLA runs from now all the same.
    Wait {
        /// Minutes to the first answer.
        sla_minutes: u32,
        /// Which pool it waits in.
        pool: Pool,
        /// Why, for the team to read.
        reason: String,
    },
}

/// The pool a waiting lead sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pool {
    /// For any SDR.
    Team,
    /// For the juniors.
    Junior,
}

/// Minutes to the first answer for a lead of `score`.
pub fn sla_minutes(score: u8) -> u32 {
    match super::band(score) {
        LeadBand::Hot => HOT_SLA_MINUTES,
        LeadBand::Warm if score >= 46 => WARM_UPPER_SLA_MINUTES,
        LeadBand::Warm => WARM_LOWER_SLA_MINUTES,
        LeadBand::Cold => JUNIOR_SLA_MINUTES,
    }
}

/// The SDR who should get the next lead among `candidates`: the lowest share of capacity in use,
/// then the longest wait since their last lead (never having had one counts as longest), then
/// the smaller id, so that the choice is the same on every instance.
fn evenly<'a>(candidates: impl Iterator<Item = &'a Sdr>) -> Option<&'a Sdr> {
    candidates.min_by(|a, b| {
        // open/capacity compared without division: a.open * b.capacity vs b.open * a.capacity.
        let load = (u64::from(a.open) * u64::from(b.capacity))
            .cmp(&(u64::from(b.open) * u64::from(a.capacity)));
        let idle = b
            .idle_seconds
            .unwrap_or(i64::MAX)
            .cmp(&a.idle_seconds.unwrap_or(i64::MAX));
        load.then(idle).then(a.user.cmp(&b.user))
    })
}

/// Where a lead of `score`, at `stage`, goes, given the tenant's SDRs. An escalated lead
/// ([`super::escalation`]) goes to a person as a HOT one does, whatever its score: at once, to an
/// SDR who is online, with the HOT first-response time, and never to the AI re-engagement.
pub fn route(score: u8, escalated: bool, stage: Stage, sdrs: &[Sdr]) -> Decision {
    let (band, sla) = if escalated {
        (LeadBand::Hot, HOT_SLA_MINUTES)
    } else {
        (super::band(score), sla_minutes(score))
    };
    match (band, stage) {
        (LeadBand::Hot, _) => match evenly(sdrs.iter().filter(|s| s.online && s.has_room())) {
            Some(s) => Decision::Assign {
                sdr: s.user,
                sla_minutes: sla,
            },
            None => Decision::Wait {
                sla_minutes: sla,
                pool: Pool::Team,
                reason: if sdrs.is_empty() {
                    "The team has no SDRs to take HOT leads.".into()
                } else if sdrs.iter().any(|s| s.online) {
                    "Every SDR online is at capacity.".into()
                } else {
                    "No SDR is online.".into()
                },
            },
        },
        (LeadBand::Warm, _) => match evenly(sdrs.iter().filter(|s| s.has_room())) {
            Some(s) => Decision::Assign {
                sdr: s.user,
                sla_minutes: sla,
            },
            None => Decision::Wait {
                sla_minutes: sla,
                pool: Pool::Team,
                reason: if sdrs.is_empty() {
                    "The team has no SDRs.".into()
                } else {
                    "Every SDR is at capacity.".into()
                },
            },
        },
        (LeadBand::Cold, Stage::Unrouted) => Decision::Nurture {
            minutes: NURTURE_MINUTES,
        },
        (LeadBand::Cold, Stage::Nurture) => Decision::Nurture { minutes: 0 },
        (LeadBand::Cold, Stage::NurtureOver) => {
            match evenly(sdrs.iter().filter(|s| s.junior && s.has_room())) {
                Some(s) => Decision::Assign {
                    sdr: s.user,
                    sla_minutes: JUNIOR_SLA_MINUTES,
                },
                None => Decision::Wait {
                    sla_minutes: JUNIOR_SLA_MINUTES,
                    pool: Pool::Junior,
                    reason: if sdrs.iter().any(|s| s.junior) {
                        "Every junior SDR is at capacity.".into()
                    } else {
                        "The team has no junior SDRs.".into()
                    },
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn sdr(n: u128, online: bool, open: u32, capacity: u32) -> Sdr {
        Sdr {
            user: Uuid::from_u128(n),
            junior: false,
            online,
            capacity,
            open,
            idle_seconds: Some(60),
        }
    }

    fn assigned(d: &Decision) -> Option<u128> {
        match d {
            Decision::Assign { sdr, .. } => Some(sdr.as_u128()),
            _ => None,
        }
    }

    #[test]
    fn slas_follow_the_bands() {
        assert_eq!(sla_minutes(100), 10);
        assert_eq!(sla_minutes(61), 10);
        assert_eq!(sla_minutes(60), 24 * 60);
        assert_eq!(sla_minutes(46), 24 * 60);
        assert_eq!(sla_minutes(45), 72 * 60);
        assert_eq!(sla_minutes(31), 72 * 60);
    }

    #[test]
    fn hot_goes_at_once_to_an_online_sdr_with_room() {
        let team = [
            sdr(1, false, 0, 10), // offline
            sdr(2, true, 10, 10), // full
            sdr(3, true, 4, 10),
            sdr(4, true, 2, 10),
        ];
        let d = route(80, false, Stage::Unrouted, &team);
        assert_eq!(assigned(&d), Some(4));
        assert!(matches!(
            d,
            Decision::Assign {
                sla_minutes: 10,
                ..
            }
        ));
    }

    #[test]
    fn an_escalated_lead_goes_to_a_person_at_once_whatever_its_score() {
        let team = [sdr(1, false, 0, 10), sdr(2, true, 1, 10)];
        for (score, stage) in [
            (20, Stage::Unrouted),
            (20, Stage::Nurture),
            (35, Stage::Unrouted),
            (50, Stage::NurtureOver),
        ] {
            assert_eq!(
                route(score, true, stage, &team),
                Decision::Assign {
                    sdr: Uuid::from_u128(2),
                    sla_minutes: 10
                },
                "{score} {stage:?}"
            );
        }
        // Nobody online: it waits for one, not for the AI or the juniors.
        assert!(matches!(
            route(20, true, Stage::Unrouted, &team[..1]),
            Decision::Wait {
                sla_minutes: 10,
                pool: Pool::Team,
                ..
            }
        ));
    }

    #[test]
    fn hot_waits_with_a_reason_when_nobody_can_take_it() {
        let offline = [sdr(1, false, 0, 10)];
        match route(90, false, Stage::Unrouted, &offline) {
            Decision::Wait {
                sla_minutes,
                pool,
                reason,
            } => {
                assert_eq!(sla_minutes, 10);
                assert_eq!(pool, Pool::Team);
                assert_eq!(reason, "No SDR is online.");
            }
            other => panic!("{other:?}"),
        }
        let full = [sdr(1, true, 3, 3)];
        assert!(
            matches!(route(90, false, Stage::Unrouted, &full), Decision::Wait { reason, .. } if reason.contains("capacity"))
        );
        assert!(
            matches!(route(90, false, Stage::Unrouted, &[]), Decision::Wait { reason, .. } if reason.contains("no SDRs"))
        );
    }

    #[test]
    fn warm_is_spread_by_share_of_capacity_then_by_who_waited_longest() {
        // 2 of 4 is more loaded than 3 of 10, whoever is online.
        let team = [sdr(1, true, 2, 4), sdr(2, false, 3, 10)];
        assert_eq!(assigned(&route(50, false, Stage::Unrouted, &team)), Some(2));
        // Equal load: the one idle longest; never assigned beats both.
        let mut a = sdr(1, true, 1, 5);
        let mut b = sdr(2, true, 1, 5);
        a.idle_seconds = Some(100);
        b.idle_seconds = Some(5000);
        assert_eq!(
            assigned(&route(50, false, Stage::Unrouted, &[a.clone(), b.clone()])),
            Some(2)
        );
        a.idle_seconds = None;
        assert_eq!(
            assigned(&route(50, false, Stage::Unrouted, &[a, b])),
            Some(1)
        );
    }

    #[test]
    fn warm_leads_in_turn_land_evenly() {
        let mut team: Vec<Sdr> = (1..=3).map(|n| sdr(n, true, 0, 100)).collect();
        for _ in 0..30 {
            let who = assigned(&route(40, false, Stage::Unrouted, &team)).expect("room");
            for s in &mut team {
                s.idle_seconds = s.idle_seconds.map(|i| i + 1);
                if s.user.as_u128() == who {
                    s.open += 1;
                    s.idle_seconds = Some(0);
                }
            }
        }
        assert!(team.iter().all(|s| s.open == 10), "{team:?}");
    }

    #[test]
    fn cold_is_nurtured_for_a_day_then_goes_to_the_juniors() {
        let mut junior = sdr(7, false, 0, 5);
        junior.junior = true;
        let team = [sdr(1, true, 0, 5), junior];
        assert_eq!(
            route(20, false, Stage::Unrouted, &team),
            Decision::Nurture {
                minutes: NURTURE_MINUTES
            }
        );
        assert_eq!(
            route(20, false, Stage::Nurture, &team),
            Decision::Nurture { minutes: 0 }
        );
        let d = route(20, false, Stage::NurtureOver, &team);
        assert_eq!(assigned(&d), Some(7));
        assert!(
            matches!(d, Decision::Assign { sla_minutes, .. } if sla_minutes == JUNIOR_SLA_MINUTES)
        );
        match route(20, false, Stage::NurtureOver, &team[..1]) {
            Decision::Wait { pool, reason, .. } => {
                assert_eq!(pool, Pool::Junior);
                assert_eq!(reason, "The team has no junior SDRs.");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_cold_lead_that_warms_up_leaves_the_nurture_for_an_sdr() {
        let team = [sdr(1, true, 0, 5)];
        assert_eq!(assigned(&route(55, false, Stage::Nurture, &team)), Some(1));
        assert_eq!(assigned(&route(75, false, Stage::Nurture, &team)), Some(1));
    }
}
