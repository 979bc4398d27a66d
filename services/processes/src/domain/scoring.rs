//! The priority score: a weighted, normalised combination of hours saved, automation
//! potential, ease, strategic fit and (low) risk, with each municipality's own weights.

use serde::{Deserialize, Serialize};

use super::assessment::Assessment;
use super::values::Volume;
use crate::ProcessError;

/// Hours saved per year at which the hours component reaches 100 (log scale below it).
const HOURS_SATURATION: f64 = 10_000.0;

/// A municipality's weights; each 0–10, not all zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoringWeights {
    /// Weight of potential hours saved per year.
    pub hours_saved: f64,
    /// Weight of automation potential.
    pub automation_potential: f64,
    /// Weight of ease of implementation.
    pub ease: f64,
    /// Weight of strategic fit.
    pub strategic_fit: f64,
    /// Weight of low risk.
    pub risk: f64,
}

impl Default for ScoringWeights {
    fn default() -> Self {
        Self {
            hours_saved: 3.0,
            automation_potential: 2.0,
            ease: 2.0,
            strategic_fit: 2.0,
            risk: 1.0,
        }
    }
}

impl ScoringWeights {
    /// Validate raw weights.
    pub fn parse(
        hours_saved: f64,
        automation_potential: f64,
        ease: f64,
        strategic_fit: f64,
        risk: f64,
    ) -> Result<Self, ProcessError> {
        let w = |field: &'static str, v: f64| {
            if v.is_finite() && (0.0..=10.0).contains(&v) {
                Ok(v)
            } else {
                Err(ProcessError::invalid(
                    field,
                    "must be a weight from 0 to 10",
                ))
            }
        };
        let weights = Self {
            hours_saved: w("hoursSaved", hours_saved)?,
            automation_potential: w("automationPotential", automation_potential)?,
            ease: w("ease", ease)?,
            strategic_fit: w("strategicFit", strategic_fit)?,
            risk: w("risk", risk)?,
        };
        if weights.hours_saved
            + weights.automation_potential
            + weights.ease
            + weights.strategic_fit
            + weights.risk
            <= 0.0
        {
            return Err(ProcessError::invalid(
                "weights",
                "at least one weight must be above 0",
            ));
        }
        Ok(weights)
    }
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
            Some(hours_component(volume.hours_saved())),
        ),
        (weights.automation_potential, a.automation_potential()),
        (weights.ease, a.ease_of_implementation()),
        (weights.strategic_fit, a.strategic_fit_score()),
        (weights.risk, a.low_risk_score()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assessment::AssessmentInput;

    fn volume(hours: u32) -> Volume {
        // 60 minutes per case at 100 %: hours saved = cases.
        Volume::parse(i64::from(hours), 60.0, None, 100).unwrap()
    }

    #[test]
    fn more_hours_saved_scores_higher_and_saturates() {
        let w = ScoringWeights::default();
        let low = priority_score(&volume(10), None, &w);
        let high = priority_score(&volume(1000), None, &w);
        assert!(high > low);
        assert_eq!(priority_score(&volume(50_000), None, &w), 100.0);
    }

    #[test]
    fn weights_change_the_order() {
        let easy_small = Assessment::parse(&AssessmentInput {
            input_quality: Some(5),
            process_stability: Some(5),
            ..Default::default()
        })
        .unwrap();
        let hard_big = Assessment::parse(&AssessmentInput {
            input_quality: Some(1),
            process_stability: Some(1),
            ..Default::default()
        })
        .unwrap();
        let hours_first = ScoringWeights::parse(10.0, 0.0, 1.0, 0.0, 0.0).unwrap();
        let ease_first = ScoringWeights::parse(1.0, 0.0, 10.0, 0.0, 0.0).unwrap();
        let small = |w| priority_score(&volume(20), Some(&easy_small), w);
        let big = |w| priority_score(&volume(5000), Some(&hard_big), w);
        assert!(big(&hours_first) > small(&hours_first));
        assert!(small(&ease_first) > big(&ease_first));
    }

    #[test]
    fn weights_must_be_zero_to_ten_and_not_all_zero() {
        assert!(ScoringWeights::parse(11.0, 0.0, 0.0, 0.0, 0.0).is_err());
        assert!(ScoringWeights::parse(-1.0, 0.0, 0.0, 0.0, 0.0).is_err());
        assert!(ScoringWeights::parse(0.0, 0.0, 0.0, 0.0, 0.0).is_err());
        assert!(ScoringWeights::parse(f64::NAN, 1.0, 0.0, 0.0, 0.0).is_err());
    }
}
