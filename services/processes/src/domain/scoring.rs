//! A municipality's scoring weights, validated, and their mapping to and from the contract's
//! `ScoringWeights`. The priority score they weigh is `innohub_priority::priority_score`.

use innohub_proto::innohub::processes::v1 as pb;

use crate::ProcessError;

/// A municipality's weights, the contract's message once checked: each 0–10, not all zero.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoringWeights(pb::ScoringWeights);

impl TryFrom<pb::ScoringWeights> for ScoringWeights {
    type Error = ProcessError;

    fn try_from(w: pb::ScoringWeights) -> Result<Self, ProcessError> {
        let weights = [
            ("hoursSaved", w.hours_saved),
            ("automationPotential", w.automation_potential),
            ("ease", w.ease),
            ("strategicFit", w.strategic_fit),
            ("risk", w.risk),
        ];
        if let Some((field, _)) = weights
            .iter()
            .find(|(_, v)| !(v.is_finite() && (0.0..=10.0).contains(v)))
        {
            return Err(ProcessError::invalid(
                field,
                "must be a weight from 0 to 10",
            ));
        }
        if weights.iter().map(|(_, v)| v).sum::<f64>() <= 0.0 {
            return Err(ProcessError::invalid(
                "weights",
                "at least one weight must be above 0",
            ));
        }
        Ok(Self(w))
    }
}

impl From<&ScoringWeights> for pb::ScoringWeights {
    fn from(w: &ScoringWeights) -> Self {
        w.0
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
