//! IT's assessment of a process: twelve 1–5 ratings (each may be unknown) and the two
//! derived 0–100 scores, automation potential and ease of implementation.

use serde::{Deserialize, Serialize};

use crate::ProcessError;

/// A rating on the 1–5 scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Rating(u8);

impl Rating {
    /// Validate a raw rating for input field `field`.
    pub fn parse(field: &'static str, raw: i64) -> Result<Self, ProcessError> {
        u8::try_from(raw)
            .ok()
            .filter(|r| (1..=5).contains(r))
            .map(Rating)
            .ok_or_else(|| ProcessError::invalid(field, "must be a rating from 1 to 5"))
    }

    /// 1 → 0, 5 → 100.
    fn normalised(self) -> f64 {
        f64::from(self.0 - 1) * 25.0
    }

    /// 1 → 100, 5 → 0: for criteria where more means worse.
    fn inverted(self) -> f64 {
        100.0 - self.normalised()
    }

    /// The raw value.
    pub fn value(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Rating {
    type Error = String;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Rating::parse("rating", i64::from(value)).map_err(|e| e.to_string())
    }
}

impl From<Rating> for u8 {
    fn from(value: Rating) -> Self {
        value.0
    }
}

/// Raw assessment input: `None` means "unknown".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)] // each field is the same-named rating of [`Assessment`]
pub struct AssessmentInput {
    pub rules_based: Option<i64>,
    pub structured_input: Option<i64>,
    pub input_quality: Option<i64>,
    pub process_stability: Option<i64>,
    pub case_variation: Option<i64>,
    pub documentation: Option<i64>,
    pub data_sensitivity: Option<i64>,
    pub quality_gain: Option<i64>,
    pub speed_gain: Option<i64>,
    pub routine_relief: Option<i64>,
    pub strategic_fit: Option<i64>,
    pub risk: Option<i64>,
}

/// The assessment; every rating is 1 (low) to 5 (high), or unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// The decisions follow explicit rules.
    pub rules_based: Option<Rating>,
    /// The input arrives structured and digital.
    pub structured_input: Option<Rating>,
    /// The input is complete and correct.
    pub input_quality: Option<Rating>,
    /// The process rarely changes.
    pub process_stability: Option<Rating>,
    /// Cases vary a lot (more is harder).
    pub case_variation: Option<Rating>,
    /// The process is documented.
    pub documentation: Option<Rating>,
    /// The data is sensitive (more is harder).
    pub data_sensitivity: Option<Rating>,
    /// Automation raises quality.
    pub quality_gain: Option<Rating>,
    /// Automation speeds up service.
    pub speed_gain: Option<Rating>,
    /// Automation relieves routine work.
    pub routine_relief: Option<Rating>,
    /// Fits the municipality's strategy.
    pub strategic_fit: Option<Rating>,
    /// Implementation risk (more is worse).
    pub risk: Option<Rating>,
}

impl Assessment {
    /// Validate raw input.
    pub fn parse(input: &AssessmentInput) -> Result<Self, ProcessError> {
        let r = |field: &'static str, raw: Option<i64>| {
            raw.map(|v| Rating::parse(field, v)).transpose()
        };
        Ok(Self {
            rules_based: r("rulesBased", input.rules_based)?,
            structured_input: r("structuredInput", input.structured_input)?,
            input_quality: r("inputQuality", input.input_quality)?,
            process_stability: r("processStability", input.process_stability)?,
            case_variation: r("caseVariation", input.case_variation)?,
            documentation: r("documentation", input.documentation)?,
            data_sensitivity: r("dataSensitivity", input.data_sensitivity)?,
            quality_gain: r("qualityGain", input.quality_gain)?,
            speed_gain: r("speedGain", input.speed_gain)?,
            routine_relief: r("routineRelief", input.routine_relief)?,
            strategic_fit: r("strategicFit", input.strategic_fit)?,
            risk: r("risk", input.risk)?,
        })
    }

    /// How much of the work a machine could do, 0–100: rules, structured input, low
    /// variation, and the gains in quality, speed and routine relief. `None` if all unknown.
    pub fn automation_potential(&self) -> Option<f64> {
        mean([
            self.rules_based.map(Rating::normalised),
            self.structured_input.map(Rating::normalised),
            self.case_variation.map(Rating::inverted),
            self.quality_gain.map(Rating::normalised),
            self.speed_gain.map(Rating::normalised),
            self.routine_relief.map(Rating::normalised),
        ])
    }

    /// How easy it is to build, 0–100: input quality, stability, documentation and low
    /// data sensitivity. `None` if all unknown.
    pub fn ease_of_implementation(&self) -> Option<f64> {
        mean([
            self.input_quality.map(Rating::normalised),
            self.process_stability.map(Rating::normalised),
            self.documentation.map(Rating::normalised),
            self.data_sensitivity.map(Rating::inverted),
        ])
    }

    /// Strategic fit, 0–100.
    pub fn strategic_fit_score(&self) -> Option<f64> {
        self.strategic_fit.map(Rating::normalised)
    }

    /// Low risk scores high, 0–100.
    pub fn low_risk_score(&self) -> Option<f64> {
        self.risk.map(Rating::inverted)
    }

    /// Whether nothing at all is known.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Mean of the known values.
pub(crate) fn mean<const N: usize>(values: [Option<f64>; N]) -> Option<f64> {
    let known: Vec<f64> = values.into_iter().flatten().collect();
    (!known.is_empty()).then(|| known.iter().sum::<f64>() / known.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_one_to_five() {
        assert!(Rating::parse("risk", 0).is_err());
        assert!(Rating::parse("risk", 6).is_err());
        assert_eq!(Rating::parse("risk", 3).unwrap().value(), 3);
    }

    #[test]
    fn derived_scores_ignore_unknowns_and_invert_harder_criteria() {
        let a = Assessment::parse(&AssessmentInput {
            rules_based: Some(5),
            case_variation: Some(5),
            data_sensitivity: Some(1),
            documentation: Some(3),
            ..Default::default()
        })
        .unwrap();
        // rules 100, variation inverted 0 → 50.
        assert_eq!(a.automation_potential(), Some(50.0));
        // sensitivity inverted 100, documentation 50 → 75.
        assert_eq!(a.ease_of_implementation(), Some(75.0));
        assert_eq!(Assessment::default().automation_potential(), None);
    }
}
