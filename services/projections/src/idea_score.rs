//! An idea's score, 0–100, from its reviewers' raw values and the municipality's criteria
//! in force: the weighted mean of the values normalised to their scales, a lower-is-better
//! criterion's inverted, per reviewer, and the mean over the reviewers. Computed when an
//! idea is read, never stored, so that new criteria re-score every idea of the
//! municipality at once (and the order in which criteria and scores arrive cannot matter).

use innohub_proto::innohub::ideas::v1 as pb;

/// A value normalised to its criterion's scale, 0 (worst) to 1 (best): `(v − min) / (max −
/// min)`, inverted for a lower-is-better criterion. A value outside the scale (given under
/// earlier criteria) counts as the end it passed; a criterion without a scale counts for
/// nothing (`None`).
fn normalised(criterion: &pb::Criterion, value: i32) -> Option<f64> {
    let (min, max) = (
        f64::from(criterion.scale_min),
        f64::from(criterion.scale_max),
    );
    if max <= min {
        return None;
    }
    let n = ((f64::from(value) - min) / (max - min)).clamp(0.0, 1.0);
    Some(if criterion.lower_is_better {
        1.0 - n
    } else {
        n
    })
}

/// One reviewer's score: `100 × Σ(w·n) / Σw` over the criteria in force that the reviewer
/// gave a value for (a criterion without one is left out of the mean, and a value for a
/// criterion no longer in force is ignored). `None` if no criterion with a weight is left.
pub fn reviewer_score(criteria: &[pb::Criterion], values: &[pb::CriterionScore]) -> Option<f64> {
    let (mut weighted, mut weights) = (0.0, 0.0);
    for criterion in criteria {
        let Some(value) = values.iter().find(|v| v.criterion == criterion.name) else {
            continue;
        };
        let Some(n) = normalised(criterion, value.value) else {
            continue;
        };
        let w = f64::from(criterion.weight);
        weighted += w * n;
        weights += w;
    }
    (weights > 0.0).then(|| 100.0 * weighted / weights)
}

/// The idea's score: the mean of its reviewers' scores ([`reviewer_score`]) with `criteria`;
/// `None` while no reviewer has a score under them.
pub fn idea_score(criteria: &[pb::Criterion], reviews: &[pb::IdeaScored]) -> Option<f64> {
    let scores: Vec<f64> = reviews
        .iter()
        .filter_map(|r| reviewer_score(criteria, &r.scores))
        .collect();
    (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn criterion(
        name: &str,
        weight: u32,
        scale: (i32, i32),
        lower_is_better: bool,
    ) -> pb::Criterion {
        pb::Criterion {
            name: name.into(),
            weight,
            scale_min: scale.0,
            scale_max: scale.1,
            lower_is_better,
        }
    }

    fn review(reviewer: &str, values: &[(&str, i32)]) -> pb::IdeaScored {
        pb::IdeaScored {
            reviewer: reviewer.into(),
            scores: values
                .iter()
                .map(|(criterion, value)| pb::CriterionScore {
                    criterion: (*criterion).into(),
                    value: *value,
                })
                .collect(),
        }
    }

    fn close(actual: Option<f64>, expected: f64) {
        let actual = actual.expect("a score");
        assert!((actual - expected).abs() < 1e-9, "{actual} ≠ {expected}");
    }

    /// Citizen value 1–5 (weight 3) and cost 1–5, lower is better (weight 1).
    fn criteria() -> Vec<pb::Criterion> {
        vec![
            criterion("Citizen value", 3, (1, 5), false),
            criterion("Cost", 1, (1, 5), true),
        ]
    }

    #[test]
    fn values_are_normalised_weighted_and_a_lower_is_better_one_inverted() {
        // Value 5 of 1–5 is 1; cost 2 of 1–5 is 0.25, inverted 0.75: (3·1 + 1·0.75) / 4.
        close(
            reviewer_score(
                &criteria(),
                &review("anna", &[("Citizen value", 5), ("Cost", 2)]).scores,
            ),
            100.0 * 3.75 / 4.0,
        );
        // The cheapest and the dearest: only the inversion differs.
        close(
            reviewer_score(
                &criteria(),
                &review("a", &[("Citizen value", 1), ("Cost", 1)]).scores,
            ),
            25.0,
        );
        close(
            reviewer_score(
                &criteria(),
                &review("a", &[("Citizen value", 1), ("Cost", 5)]).scores,
            ),
            0.0,
        );
        close(
            reviewer_score(
                &criteria(),
                &review("a", &[("Citizen value", 5), ("Cost", 1)]).scores,
            ),
            100.0,
        );
    }

    #[test]
    fn the_idea_scores_the_mean_of_its_reviewers() {
        let reviews = [
            review("anna", &[("Citizen value", 5), ("Cost", 1)]),
            review("bo", &[("Citizen value", 1), ("Cost", 5)]),
            review("carl", &[("Citizen value", 3), ("Cost", 3)]),
        ];
        close(
            idea_score(&criteria(), &reviews),
            (100.0 + 0.0 + 50.0) / 3.0,
        );
        assert_eq!(idea_score(&criteria(), &[]), None);
    }

    /// New criteria re-score: a criterion no longer in force is ignored, one the reviewer gave
    /// no value for is left out of their mean, a reviewer left with nothing is left out of the
    /// idea's, and a value past a narrowed scale counts as its end.
    #[test]
    fn new_criteria_re_score_with_what_each_reviewer_gave() {
        let reviews = [
            review("anna", &[("Citizen value", 4), ("Cost", 2)]),
            review("bo", &[("Cost", 4)]),
        ];
        let before = idea_score(&criteria(), &reviews);
        // anna: (3·0.75 + 0.75) / 4 = 0.75; bo: cost 4 inverted = 0.25.
        close(before, 50.0);
        let now = vec![
            criterion("Citizen value", 1, (1, 3), false),
            criterion("Risk", 5, (0, 10), true),
        ];
        // anna: citizen value 4 past 1–3 counts as 3 → 1; risk not given, left out. bo: none.
        close(idea_score(&now, &reviews), 100.0);
        assert_eq!(reviewer_score(&now, &reviews[1].scores), None);
        assert_eq!(idea_score(&[], &reviews), None);
    }

    #[test]
    fn a_criterion_without_weight_or_scale_counts_for_nothing() {
        let odd = vec![
            criterion("Weightless", 0, (1, 5), false),
            criterion("Flat", 4, (3, 3), false),
            criterion("Value", 1, (0, 4), false),
        ];
        let values = review("a", &[("Weightless", 5), ("Flat", 3), ("Value", 1)]);
        close(reviewer_score(&odd, &values.scores), 25.0);
        assert_eq!(reviewer_score(&odd[..2], &values.scores), None);
    }
}
