//! Talent matching: candidates ranked by skills overlap, text similarity, rating, availability
//! and timezone, each factor with its own score and reason.
//!
//! [`TalentIndex`] holds the tokenized profiles so that a server can build it once and rank many
//! needs against it; [`rank`] builds one on the fly.

use std::collections::HashSet;

use crate::ai::text::{normalize, Corpus};
use crate::ai::{Analysis, Factor, Match, MatchInput, Need, Ranking, TalentProfile};

/// Profiles prepared for ranking.
pub struct TalentIndex {
    profiles: Vec<TalentProfile>,
    skills: Vec<HashSet<String>>,
    corpus: Corpus,
}

fn skill_key(s: &str) -> String {
    normalize(s).trim().replace(' ', "")
}

impl TalentIndex {
    /// Tokenizes every profile.
    pub fn new(profiles: Vec<TalentProfile>) -> Self {
        let skills = profiles
            .iter()
            .map(|p| p.skills.iter().map(|s| skill_key(s)).collect())
            .collect();
        let texts: Vec<String> = profiles
            .iter()
            .map(|p| format!("{} {} {}", p.headline, p.skills.join(" "), p.bio))
            .collect();
        let corpus = Corpus::new(texts.iter().map(String::as_str));
        Self {
            profiles,
            skills,
            corpus,
        }
    }

    /// Ranks the profiles for a need.
    pub fn rank(&self, need: &Need) -> Analysis<Ranking> {
        let limit = need.limit.unwrap_or(5).clamp(1, 50) as usize;
        let wanted: Vec<String> = need
            .skills
            .iter()
            .map(|s| skill_key(s))
            .filter(|s| !s.is_empty())
            .collect();
        let query = self
            .corpus
            .query(&format!("{} {}", need.text, need.skills.join(" ")));
        // Weights: timezone counts only when the customer's is known.
        let tz_weight = if need.utc_offset_minutes.is_some() {
            0.10
        } else {
            0.0
        };
        let skill_weight = if wanted.is_empty() { 0.0 } else { 0.35 };
        let total = 0.25 + 0.15 + 0.15 + tz_weight + skill_weight;
        let w = |x: f32| x / total;
        let hours_needed = need.hours_per_week.unwrap_or(20).max(1) as f32;

        let mut scored: Vec<(usize, f32, [f32; 5])> = Vec::with_capacity(self.profiles.len());
        for (i, p) in self.profiles.iter().enumerate() {
            if need.kind.is_some_and(|k| k != p.kind) {
                continue;
            }
            let skills = if wanted.is_empty() {
                0.0
            } else {
                wanted
                    .iter()
                    .filter(|s| self.skills[i].contains(*s))
                    .count() as f32
                    / wanted.len() as f32
            };
            let text = self.corpus.docs[i].cosine(&query);
            // Bayesian average: a 5.0 from 1 review is not a 4.9 from 200.
            let rating = ((p.rating.clamp(0.0, 5.0) * p.reviews as f32 + 4.0 * 5.0)
                / (p.reviews as f32 + 5.0))
                / 5.0;
            let availability = (p.available_hours as f32 / hours_needed).min(1.0);
            let timezone = need.utc_offset_minutes.map_or(0.0, |o| {
                let hours = ((o - p.utc_offset_minutes).abs() as f32 / 60.0).min(24.0);
                let hours = hours.min(24.0 - hours);
                (1.0 - hours / 12.0).max(0.0)
            });
            let score = w(skill_weight) * skills
                + w(0.25) * text
                + w(0.15) * rating
                + w(0.15) * availability
                + w(tz_weight) * timezone;
            scored.push((i, score, [skills, text, rating, availability, timezone]));
        }
        let by_score = |a: &(usize, f32, [f32; 5]), b: &(usize, f32, [f32; 5])| {
            b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
        };
        if scored.len() > limit {
            scored.select_nth_unstable_by(limit - 1, by_score);
            scored.truncate(limit);
        }
        scored.sort_by(by_score);

        let matches: Vec<Match> = scored
            .iter()
            .map(|(i, score, f)| {
                let p = &self.profiles[*i];
                let mut factors = Vec::new();
                if skill_weight > 0.0 {
                    let have: Vec<&str> = need
                        .skills
                        .iter()
                        .filter(|s| self.skills[*i].contains(&skill_key(s)))
                        .map(String::as_str)
                        .collect();
                    factors.push(Factor {
                        name: "skills".into(),
                        score: f[0],
                        weight: w(skill_weight),
                        reason: if have.is_empty() {
                            "none of the required skills listed".into()
                        } else {
                            format!(
                                "has {} of {}: {}",
                                have.len(),
                                need.skills.len(),
                                have.join(", ")
                            )
                        },
                    });
                }
                factors.push(Factor {
                    name: "text".into(),
                    score: f[1],
                    weight: w(0.25),
                    reason: format!("profile is {:.0}% similar to the need", f[1] * 100.0),
                });
                factors.push(Factor {
                    name: "rating".into(),
                    score: f[2],
                    weight: w(0.15),
                    reason: format!("{:.1}★ from {} reviews", p.rating, p.reviews),
                });
                factors.push(Factor {
                    name: "availability".into(),
                    score: f[3],
                    weight: w(0.15),
                    reason: format!(
                        "{} h/week free of {} needed",
                        p.available_hours, hours_needed
                    ),
                });
                if tz_weight > 0.0 {
                    let off = p.utc_offset_minutes;
                    factors.push(Factor {
                        name: "timezone".into(),
                        score: f[4],
                        weight: w(tz_weight),
                        reason: format!(
                            "UTC{}{:02}:{:02}",
                            if off < 0 { '-' } else { '+' },
                            off.abs() / 60,
                            off.abs() % 60
                        ),
                    });
                }
                Match {
                    id: p.id,
                    name: p.name.clone(),
                    score: (score.clamp(0.0, 1.0) * 1000.0).round() / 1000.0,
                    factors,
                }
            })
            .collect();
        let (confidence, reason) = match (matches.first(), matches.get(1)) {
            (None, _) => (0.0, "No candidate fits the need's kind.".to_string()),
            (Some(a), b) => {
                let gap = b.map_or(a.score, |b| a.score - b.score);
                (
                    (0.3 + a.score * 0.5 + gap).min(0.95),
                    format!(
                        "{} ranks first with {:.0}% overall.",
                        a.name,
                        a.score * 100.0
                    ),
                )
            }
        };
        Analysis::new(Ranking { matches }, confidence, reason)
    }
}

impl TalentIndex {
    /// The profiles, in index order.
    pub fn profiles(&self) -> &[TalentProfile] {
        &self.profiles
    }
}

/// Ranks the input's candidates for its need.
pub fn rank(input: &MatchInput) -> Analysis<Ranking> {
    TalentIndex::new(input.candidates.clone()).rank(&input.need)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::TalentKind;
    use uuid::Uuid;

    #[allow(clippy::too_many_arguments)]
    fn person(
        n: u128,
        name: &str,
        skills: &[&str],
        bio: &str,
        rating: f32,
        reviews: u32,
        hours: u16,
        tz: i32,
    ) -> TalentProfile {
        TalentProfile {
            id: Uuid::from_u128(n),
            name: name.into(),
            kind: TalentKind::Freelancer,
            headline: bio.into(),
            bio: bio.into(),
            skills: skills.iter().map(|s| s.to_string()).collect(),
            rating,
            reviews,
            available_hours: hours,
            utc_offset_minutes: tz,
            hourly_rate_usd: 50,
        }
    }

    #[test]
    fn ranks_the_fitting_person_first_with_reasons() {
        let people = vec![
            person(
                1,
                "Asha",
                &["Rust", "Postgres"],
                "Backend engineer building APIs in Rust",
                4.9,
                40,
                30,
                330,
            ),
            person(
                2,
                "Ben",
                &["Figma", "UI design"],
                "Product designer for mobile apps",
                5.0,
                2,
                40,
                0,
            ),
            person(3, "Caro", &["Rust"], "Rust developer", 4.2, 10, 5, -300),
        ];
        let need = Need {
            text: "Build a Rust API on Postgres".into(),
            skills: vec!["rust".into(), "postgres".into()],
            kind: None,
            utc_offset_minutes: Some(330),
            hours_per_week: Some(20),
            limit: Some(2),
        };
        let r = rank(&MatchInput {
            need,
            candidates: people,
        })
        .output;
        assert_eq!(r.matches.len(), 2);
        assert_eq!(r.matches[0].name, "Asha");
        assert_eq!(r.matches[1].name, "Caro");
        let skills = &r.matches[0].factors[0];
        assert_eq!((skills.name.as_str(), skills.score), ("skills", 1.0));
        let weights: f32 = r.matches[0].factors.iter().map(|f| f.weight).sum();
        assert!((weights - 1.0).abs() < 1e-4);
    }

    #[test]
    fn filters_by_kind_and_handles_no_candidates() {
        let r = rank(&MatchInput {
            need: Need {
                text: "x".into(),
                skills: vec![],
                kind: Some(TalentKind::Expert),
                utc_offset_minutes: None,
                hours_per_week: None,
                limit: None,
            },
            candidates: vec![person(1, "A", &[], "a", 4.0, 1, 10, 0)],
        });
        assert!(r.output.matches.is_empty());
        assert_eq!(r.confidence, 0.0);
    }
}
