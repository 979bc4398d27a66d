//! IT's assessment of a process: twelve 1–5 ratings, each may be unknown, and its mapping to
//! and from the contract's `Assessment`. The scores derived from it (automation potential,
//! ease of implementation) are `innohub_priority`'s.

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

/// Declares [`Assessment`] and its mapping from the list of ratings, so that each rating's
/// name, field and wire name are written once.
macro_rules! assessment {
    ($($(#[$doc:meta])* $rating:ident: $field:literal),* $(,)?) => {
        /// The assessment; every rating is 1 (low) to 5 (high), or unknown.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct Assessment {
            $($(#[$doc])* pub $rating: Option<Rating>,)*
        }

        impl TryFrom<pb::Assessment> for Assessment {
            type Error = ProcessError;

            fn try_from(a: pb::Assessment) -> Result<Self, ProcessError> {
                Ok(Self {
                    $($rating: a.$rating.map(|r| Rating::parse($field, r)).transpose()?,)*
                })
            }
        }

        impl From<&Assessment> for pb::Assessment {
            fn from(a: &Assessment) -> Self {
                Self {
                    $($rating: a.$rating.map(|r| u32::from(r.value())),)*
                }
            }
        }
    };
}

assessment! {
    /// The decisions follow explicit rules.
    rules_based: "rulesBased",
    /// The input arrives structured and digital.
    structured_input: "structuredInput",
    /// The input is complete and correct.
    input_quality: "inputQuality",
    /// The process rarely changes.
    process_stability: "processStability",
    /// Cases vary a lot (more is harder).
    case_variation: "caseVariation",
    /// The process is documented.
    documentation: "documentation",
    /// The data is sensitive (more is harder).
    data_sensitivity: "dataSensitivity",
    /// Automation raises quality.
    quality_gain: "qualityGain",
    /// Automation speeds up service.
    speed_gain: "speedGain",
    /// Automation relieves routine work.
    routine_relief: "routineRelief",
    /// Fits the municipality's strategy.
    strategic_fit: "strategicFit",
    /// Implementation risk (more is worse).
    risk: "risk",
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
