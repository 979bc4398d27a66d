//! innohub-pilot-rules: the rules of pilots and benefits (DOMAIN.md §3) that the pilots
//! service, the projections and the gateway all need, as pure functions over the contract's
//! messages, so each is written once and none of them links another's crate:
//!
//! - [`missing_topics`]: which topics of the roadmap a plan has not filled (the pilots
//!   service refuses to start it; the views show the plan's completeness);
//! - [`lens_means`]: the mean rating of each lens of an evaluation;
//! - [`realisation`]: how much of a benefit is realised, `(latest − baseline) / (target −
//!   baseline)`, for rising and falling indicators alike.
//!
//! The messages are validated where they are written; these functions only compute.

use innohub_proto::innohub::common::v1::{Benefit, Reading};
use innohub_proto::innohub::pilots::v1::{Evaluation, PilotPlan, PilotTopic, Rating, ScopeGrowth};

/// Every topic of the roadmap, in the roadmap's order.
pub const TOPICS: [PilotTopic; 13] = [
    PilotTopic::Goals,
    PilotTopic::LearningGoals,
    PilotTopic::Scope,
    PilotTopic::Dates,
    PilotTopic::Participants,
    PilotTopic::Information,
    PilotTopic::Training,
    PilotTopic::ErrorHandling,
    PilotTopic::Measurement,
    PilotTopic::Observation,
    PilotTopic::Documentation,
    PilotTopic::Responsible,
    PilotTopic::Anchoring,
];

/// The name of a topic as the plan's fields and the errors name it (`"learning_goals"`).
pub fn topic_name(topic: PilotTopic) -> &'static str {
    match topic {
        PilotTopic::Unspecified => "unspecified",
        PilotTopic::Goals => "goals",
        PilotTopic::LearningGoals => "learning_goals",
        PilotTopic::Scope => "scope",
        PilotTopic::Dates => "dates",
        PilotTopic::Participants => "participants",
        PilotTopic::Information => "information",
        PilotTopic::Training => "training",
        PilotTopic::ErrorHandling => "error_handling",
        PilotTopic::Measurement => "measurement",
        PilotTopic::Observation => "observation",
        PilotTopic::Documentation => "documentation",
        PilotTopic::Responsible => "responsible",
        PilotTopic::Anchoring => "anchoring",
    }
}

fn filled(text: &str) -> bool {
    !text.trim().is_empty()
}

/// Whether `plan` fills `topic`. The scope is filled by a touchpoint or a work process and
/// a stated growth; the dates by both dates; the participants by at least one kind, each
/// described and with its recruitment.
pub fn fills(plan: &PilotPlan, topic: PilotTopic) -> bool {
    match topic {
        PilotTopic::Unspecified => true,
        PilotTopic::Goals => filled(&plan.goals),
        PilotTopic::LearningGoals => filled(&plan.learning_goals),
        PilotTopic::Scope => plan.scope.as_ref().is_some_and(|scope| {
            (scope.touchpoints.iter().any(|t| filled(t))
                || scope.work_processes.iter().any(|w| filled(w)))
                && scope.growth() != ScopeGrowth::Unspecified
        }),
        PilotTopic::Dates => filled(&plan.start_date) && filled(&plan.end_date),
        PilotTopic::Participants => {
            !plan.participants.is_empty()
                && plan
                    .participants
                    .iter()
                    .all(|p| filled(&p.description) && filled(&p.recruitment))
        }
        PilotTopic::Information => filled(&plan.information),
        PilotTopic::Training => filled(&plan.training),
        PilotTopic::ErrorHandling => filled(&plan.error_handling),
        PilotTopic::Measurement => filled(&plan.measurement),
        PilotTopic::Observation => filled(&plan.observation),
        PilotTopic::Documentation => filled(&plan.documentation),
        PilotTopic::Responsible => filled(&plan.responsible),
        PilotTopic::Anchoring => plan.anchoring.iter().any(|d| filled(d)),
    }
}

/// The topics `plan` has not filled, in the roadmap's order; empty = the plan is complete.
pub fn missing_topics(plan: &PilotPlan) -> Vec<PilotTopic> {
    TOPICS
        .into_iter()
        .filter(|topic| !fills(plan, *topic))
        .collect()
}

/// The mean ratings of an evaluation's three lenses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LensMeans {
    /// Users' experience, staff's experience, touchpoints.
    pub people: f64,
    /// Flow of work, value of each step, routines, roles and responsibilities.
    pub organisation: f64,
    /// Works as intended, meets needs, stable and secure, integrates.
    pub technology: f64,
}

fn mean(ratings: &[&Option<Rating>]) -> f64 {
    let scores: Vec<f64> = ratings
        .iter()
        .filter_map(|r| r.as_ref().map(|r| f64::from(r.score)))
        .collect();
    if scores.is_empty() {
        0.0
    } else {
        scores.iter().sum::<f64>() / scores.len() as f64
    }
}

/// The mean rating (1–5) of each lens of `evaluation`.
pub fn lens_means(evaluation: &Evaluation) -> LensMeans {
    let e = evaluation;
    LensMeans {
        people: mean(&[&e.users_experience, &e.staff_experience, &e.touchpoints]),
        organisation: mean(&[&e.flow_of_work, &e.value_of_steps, &e.routines, &e.roles]),
        technology: mean(&[
            &e.works_as_intended,
            &e.meets_needs,
            &e.stable_and_secure,
            &e.integrates,
        ]),
    }
}

/// How much of `benefit` the reading `latest` realises, in percent: `(latest − baseline) /
/// (target − baseline) × 100`. 0 at the baseline, 100 at the target, above 100 beyond it
/// and below 0 when the indicator moved the wrong way, whether the target lies above the
/// baseline (revenue) or below it (hours spent). `None` without a baseline and a target
/// that differ.
pub fn realisation(benefit: &Benefit, latest: &Reading) -> Option<f64> {
    let baseline = benefit.baseline.as_ref()?.value;
    let target = benefit.target.as_ref()?.value;
    let span = target - baseline;
    (span != 0.0 && span.is_finite()).then(|| (latest.value - baseline) / span * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use innohub_proto::innohub::pilots::v1::{Participants, Scope};

    fn benefit(baseline: f64, target: f64) -> Benefit {
        Benefit {
            baseline: Some(Reading {
                value: baseline,
                date: "2026-01-01".into(),
            }),
            target: Some(Reading {
                value: target,
                date: "2026-12-31".into(),
            }),
            ..Default::default()
        }
    }

    fn reading(value: f64) -> Reading {
        Reading {
            value,
            date: "2026-06-01".into(),
        }
    }

    #[test]
    fn a_rising_indicator_is_realised_as_it_climbs_to_its_target() {
        // Given a benefit from 100 to 200 (revenue), when it reads 150, 250 or 80, then it
        // is half, one and a half and minus a fifth realised.
        let b = benefit(100.0, 200.0);
        assert_eq!(realisation(&b, &reading(150.0)), Some(50.0));
        assert_eq!(realisation(&b, &reading(250.0)), Some(150.0));
        assert_eq!(realisation(&b, &reading(80.0)), Some(-20.0));
    }

    #[test]
    fn a_falling_indicator_is_realised_as_it_drops_to_its_target() {
        // Given hours spent from 40 to 10 a week (lower is better), when they read 25, 5
        // or 46, then the benefit is half, more than fully and minus a fifth realised.
        let b = benefit(40.0, 10.0);
        assert_eq!(realisation(&b, &reading(25.0)), Some(50.0));
        assert_eq!(realisation(&b, &reading(4.0)), Some(120.0));
        assert_eq!(realisation(&b, &reading(46.0)), Some(-20.0));
    }

    #[test]
    fn a_benefit_without_a_span_has_no_realisation() {
        assert_eq!(realisation(&benefit(5.0, 5.0), &reading(6.0)), None);
        assert_eq!(realisation(&Benefit::default(), &reading(6.0)), None);
    }

    #[test]
    fn an_empty_plan_misses_every_topic_and_a_full_one_none() {
        assert_eq!(missing_topics(&PilotPlan::default()), TOPICS.to_vec());
        let full = PilotPlan {
            goals: "g".into(),
            learning_goals: "l".into(),
            scope: Some(Scope {
                touchpoints: vec!["app".into()],
                growth: ScopeGrowth::Fixed as i32,
                ..Default::default()
            }),
            start_date: "2026-01-01".into(),
            end_date: "2026-03-01".into(),
            participants: vec![Participants {
                description: "staff".into(),
                recruitment: "asked".into(),
                ..Default::default()
            }],
            information: "i".into(),
            training: "t".into(),
            error_handling: "e".into(),
            measurement: "m".into(),
            observation: "o".into(),
            documentation: "d".into(),
            responsible: "kari".into(),
            anchoring: vec!["d1".into()],
            ..Default::default()
        };
        assert!(missing_topics(&full).is_empty());
        let without_growth = PilotPlan {
            scope: Some(Scope {
                touchpoints: vec!["app".into()],
                ..Default::default()
            }),
            ..full
        };
        assert_eq!(missing_topics(&without_growth), vec![PilotTopic::Scope]);
    }

    #[test]
    fn lens_means_average_each_lens() {
        let r = |score| {
            Some(Rating {
                score,
                notes: String::new(),
            })
        };
        let e = Evaluation {
            users_experience: r(5),
            staff_experience: r(3),
            touchpoints: r(4),
            flow_of_work: r(2),
            value_of_steps: r(2),
            routines: r(4),
            roles: r(4),
            works_as_intended: r(1),
            meets_needs: r(1),
            stable_and_secure: r(1),
            integrates: r(5),
            benefit_review: None,
        };
        assert_eq!(
            lens_means(&e),
            LensMeans {
                people: 4.0,
                organisation: 3.0,
                technology: 2.0
            }
        );
    }
}
