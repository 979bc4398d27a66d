//! A municipality's scoring weights, validated, and their mapping to and from the contract's
//! `ScoringWeights`. The priority score they weigh is `innohub_priority::priority_score`.

use innohub_proto::innohub::processes::v1 as pb;

use crate::ProcessError;

/// A municipality's weights; each 0–10, not all zero.
#[derive(Debug, Clone, PartialEq)]
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

impl TryFrom<pb::ScoringWeights> for ScoringWeights {
    type Error = ProcessError;

    fn try_from(w: pb::ScoringWeights) -> Result<Self, ProcessError> {
        let weight = |field: &'static str, v: f64| {
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
            hours_saved: weight("hoursSaved", w.hours_saved)?,
            automation_potential: weight("automationPotential", w.automation_potential)?,
            ease: weight("ease", w.ease)?,
            strategic_fit: weight("strategicFit", w.strategic_fit)?,
            risk: weight("risk", w.risk)?,
        };
        let total = weights.hours_saved
            + weights.automation_potential
            + weights.ease
            + weights.strategic_fit
            + weights.risk;
        if total <= 0.0 {
            return Err(ProcessError::invalid(
                "weights",
                "at least one weight must be above 0",
            ));
        }
        Ok(weights)
    }
}

impl From<&ScoringWeights> for pb::ScoringWeights {
    fn from(w: &ScoringWeights) -> Self {
        Self {
            hours_saved: w.hours_saved,
            automation_potential: w.automation_potential,
            ease: w.ease,
            strategic_fit: w.strategic_fit,
            risk: w.risk,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weights(hours_saved: f64, ease: f64) -> Result<ScoringWeights, ProcessError> {
        ScoringWeights::try_from(pb::ScoringWeights {
            hours_saved,
            ease,
            ..Default::default()
        })
    }

    #[test]
    fn weights_must_be_zero_to_ten_and_not_all_zero() {
        assert!(weights(11.0, 0.0).is_err());
        assert!(weights(-1.0, 0.0).is_err());
        assert!(weights(0.0, 0.0).is_err());
        assert!(weights(f64::NAN, 1.0).is_err());
        let w = weights(5.0, 2.0).unwrap();
        assert_eq!(
            ScoringWeights::try_from(pb::ScoringWeights::from(&w)),
            Ok(w)
        );
    }
}
