//! innohub-priority: the priority rules of automation candidates (DOMAIN.md §1, "Volume and
//! savings", "Assessment", "Priority"), as pure functions over the contract's messages of
//! `innohub.processes.v1`. The processes service, the projections and the gateway all use
//! them, so each rule is written once and none of them links another's crate.
//!
//! - derived figures: [`manual_hours`], [`hours_saved`], [`automation_potential`],
//!   [`ease_of_implementation`];
//! - the priority score with a municipality's weights: [`priority_score`],
//!   [`default_weights`];
//! - the backlog order: [`place`].
//!
//! The messages are validated where they are written (ratings 1–5, shares 0–100 %); these
//! functions only compute.

use innohub_proto::innohub::processes::v1::{Assessment, ScoringWeights, Volume};

/// Hours saved per year at which the hours component reaches 100 (log scale below it).
const HOURS_SATURATION: f64 = 10_000.0;

/// The weights of a municipality that has not set its own.
pub fn default_weights() -> ScoringWeights {
    ScoringWeights {
        hours_saved: 3.0,
        automation_potential: 2.0,
        ease: 2.0,
        strategic_fit: 2.0,
        risk: 1.0,
    }
}

/// Manual hours per year: cases × minutes / 60.
pub fn manual_hours(volume: &Volume) -> f64 {
    f64::from(volume.cases_per_year) * volume.minutes_per_case / 60.0
}

/// Potential hours saved per year: manual hours × automation share.
pub fn hours_saved(volume: &Volume) -> f64 {
    manual_hours(volume) * f64::from(volume.automation_share) / 100.0
}

/// A 1–5 rating on 0–100: 1 → 0, 5 → 100.
fn normalised(rating: u32) -> f64 {
    f64::from(rating.clamp(1, 5) - 1) * 25.0
}

/// A 1–5 rating where more means worse, on 0–100: 1 → 100, 5 → 0.
fn inverted(rating: u32) -> f64 {
    100.0 - normalised(rating)
}

/// Mean of the known values.
fn mean<const N: usize>(values: [Option<f64>; N]) -> Option<f64> {
    let known: Vec<f64> = values.into_iter().flatten().collect();
    (!known.is_empty()).then(|| known.iter().sum::<f64>() / known.len() as f64)
}

/// How much of the work a machine could do, 0–100: rules, structured input, low variation,
/// and the gains in quality, speed and routine relief. `None` if all are unknown.
pub fn automation_potential(a: &Assessment) -> Option<f64> {
    mean([
        a.rules_based.map(normalised),
        a.structured_input.map(normalised),
        a.case_variation.map(inverted),
        a.quality_gain.map(normalised),
        a.speed_gain.map(normalised),
        a.routine_relief.map(normalised),
    ])
}

/// How easy it is to build, 0–100: input quality, stability, documentation and low data
/// sensitivity. `None` if all are unknown.
pub fn ease_of_implementation(a: &Assessment) -> Option<f64> {
    mean([
        a.input_quality.map(normalised),
        a.process_stability.map(normalised),
        a.documentation.map(normalised),
        a.data_sensitivity.map(inverted),
    ])
}

/// The hours component, 0–100 on a log scale saturating at 10,000 hours/year.
pub fn hours_component(hours_saved: f64) -> f64 {
    (100.0 * (1.0 + hours_saved.max(0.0)).log10() / (1.0 + HOURS_SATURATION).log10()).min(100.0)
}

/// The priority score, 0–100, rounded to one decimal. Unknown components are left out of
/// both the sum and the weights, so an unassessed process is scored on hours alone.
pub fn priority_score(
    volume: &Volume,
    assessment: Option<&Assessment>,
    weights: &ScoringWeights,
) -> f64 {
    let a = assessment.cloned().unwrap_or_default();
    let parts = [
        (
            weights.hours_saved,
            Some(hours_component(hours_saved(volume))),
        ),
        (weights.automation_potential, automation_potential(&a)),
        (weights.ease, ease_of_implementation(&a)),
        (weights.strategic_fit, a.strategic_fit.map(normalised)),
        (weights.risk, a.risk.map(inverted)),
    ];
    let (sum, total) = parts
        .iter()
        .filter_map(|(w, v)| v.map(|v| (w * v, *w)))
        .fold((0.0, 0.0), |(s, t), (wv, w)| (s + wv, t + w));
    if total <= 0.0 {
        return 0.0;
    }
    (sum / total * 10.0).round() / 10.0
}

/// Move `item` in a backlog's explicit ranking to directly after `after` (first when `None`,
/// or when `after` is not ranked): the one rule the backlog aggregate and its read model
/// both apply.
pub fn place<T: PartialEq>(order: &mut Vec<T>, item: T, after: Option<&T>) {
    order.retain(|p| *p != item);
    let at = after
        .and_then(|a| order.iter().position(|p| p == a).map(|i| i + 1))
        .unwrap_or(0);
    order.insert(at, item);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(hours: u32) -> Volume {
        // 60 minutes per case at 100 %: hours saved = cases.
        Volume {
            cases_per_year: hours,
            minutes_per_case: 60.0,
            employees: None,
            automation_share: 100,
        }
    }

    #[test]
    fn hours_saved_is_manual_hours_times_share() {
        let v = Volume {
            cases_per_year: 1200,
            minutes_per_case: 15.0,
            employees: Some(3),
            automation_share: 60,
        };
        assert!((manual_hours(&v) - 300.0).abs() < 1e-9);
        assert!((hours_saved(&v) - 180.0).abs() < 1e-9);
    }

    #[test]
    fn derived_scores_ignore_unknowns_and_invert_harder_criteria() {
        let a = Assessment {
            rules_based: Some(5),
            case_variation: Some(5),
            data_sensitivity: Some(1),
            documentation: Some(3),
            ..Default::default()
        };
        // rules 100, variation inverted 0 → 50.
        assert_eq!(automation_potential(&a), Some(50.0));
        // sensitivity inverted 100, documentation 50 → 75.
        assert_eq!(ease_of_implementation(&a), Some(75.0));
        assert_eq!(automation_potential(&Assessment::default()), None);
    }

    #[test]
    fn more_hours_saved_scores_higher_and_saturates() {
        let w = default_weights();
        let low = priority_score(&volume(10), None, &w);
        let high = priority_score(&volume(1000), None, &w);
        assert!(high > low);
        assert_eq!(priority_score(&volume(50_000), None, &w), 100.0);
    }

    #[test]
    fn weights_change_the_order() {
        let easy_small = Assessment {
            input_quality: Some(5),
            process_stability: Some(5),
            ..Default::default()
        };
        let hard_big = Assessment {
            input_quality: Some(1),
            process_stability: Some(1),
            ..Default::default()
        };
        let weights = |hours_saved, ease| ScoringWeights {
            hours_saved,
            automation_potential: 0.0,
            ease,
            strategic_fit: 0.0,
            risk: 0.0,
        };
        let hours_first = weights(10.0, 1.0);
        let ease_first = weights(1.0, 10.0);
        let small = |w| priority_score(&volume(20), Some(&easy_small), w);
        let big = |w| priority_score(&volume(5000), Some(&hard_big), w);
        assert!(big(&hours_first) > small(&hours_first));
        assert!(small(&ease_first) > big(&ease_first));
    }

    #[test]
    fn placing_moves_an_item_after_its_neighbour_or_to_the_top() {
        let mut order = vec!["a", "b", "c"];
        place(&mut order, "a", Some(&"c"));
        assert_eq!(order, ["b", "c", "a"]);
        place(&mut order, "d", None);
        assert_eq!(order, ["d", "b", "c", "a"]);
        place(&mut order, "c", Some(&"missing"));
        assert_eq!(order, ["c", "d", "b", "a"]);
    }
}
