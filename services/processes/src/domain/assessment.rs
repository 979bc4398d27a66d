//! IT's assessment of a process: twelve 1–5 ratings, each may be unknown, as the contract's
//! `Assessment` once checked. The scores derived from it (automation potential, ease of
//! implementation) are `innohub_priority`'s.

use innohub_proto::innohub::processes::v1 as pb;

use crate::ProcessError;

/// A rating on the 1–5 scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rating(u8);

impl Rating {
    /// Validate a raw rating for input field `field`.
    pub fn parse(field: &'static str, raw: u32) -> Result<Self, ProcessError> {
        u8::try_from(raw)
            .ok()
            .filter(|r| (1..=5).contains(r))
            .map(Rating)
            .ok_or_else(|| ProcessError::invalid(field, "must be a rating from 1 to 5"))
    }

    /// The raw value.
    pub fn value(self) -> u8 {
        self.0
    }
}

/// IT's assessment, the contract's message once checked: every rating 1 (low) to 5 (high),
/// or unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Assessment(pb::Assessment);

impl TryFrom<pb::Assessment> for Assessment {
    type Error = ProcessError;

    fn try_from(a: pb::Assessment) -> Result<Self, ProcessError> {
        let ratings = [
            ("rulesBased", a.rules_based),
            ("structuredInput", a.structured_input),
            ("inputQuality", a.input_quality),
            ("processStability", a.process_stability),
            ("caseVariation", a.case_variation),
            ("documentation", a.documentation),
            ("dataSensitivity", a.data_sensitivity),
            ("qualityGain", a.quality_gain),
            ("speedGain", a.speed_gain),
            ("routineRelief", a.routine_relief),
            ("strategicFit", a.strategic_fit),
            ("risk", a.risk),
        ];
        for (field, rating) in ratings {
            if let Some(raw) = rating {
                Rating::parse(field, raw)?;
            }
        }
        Ok(Self(a))
    }
}

impl From<&Assessment> for pb::Assessment {
    fn from(a: &Assessment) -> Self {
        a.0
    }
}

impl Assessment {
    /// Whether nothing at all is known.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_one_to_five() {
        assert!(Rating::parse("risk", 0).is_err());
        assert!(Rating::parse("risk", 6).is_err());
        assert!(Rating::parse("risk", u32::MAX).is_err());
        assert_eq!(Rating::parse("risk", 3).unwrap().value(), 3);
    }

    #[test]
    fn an_assessment_names_the_rating_it_refuses_and_round_trips() {
        let raw = pb::Assessment {
            rules_based: Some(5),
            risk: Some(6),
            ..Default::default()
        };
        assert_eq!(
            Assessment::try_from(raw).unwrap_err(),
            ProcessError::invalid("risk", "must be a rating from 1 to 5")
        );
        let raw = pb::Assessment {
            rules_based: Some(5),
            case_variation: Some(1),
            ..Default::default()
        };
        let a = Assessment::try_from(raw).unwrap();
        assert!(!a.is_empty());
        assert_eq!(pb::Assessment::from(&a), raw);
    }
}
