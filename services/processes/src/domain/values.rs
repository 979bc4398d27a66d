//! Validated domain values: a `Title` cannot be 500 characters long anywhere. Each
//! constructor names the input field it failed on, so errors point at the right field.

use serde::{Deserialize, Serialize};

use crate::ProcessError;

/// Declares a text newtype with a character limit; `REQUIRED` texts must not be blank.
macro_rules! text {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The most characters allowed.
            pub const MAX: usize = $max;

            /// Validate `raw` for input field `field`: trimmed, 1..=MAX characters.
            pub fn parse(field: &'static str, raw: &str) -> Result<Self, ProcessError> {
                let text = raw.trim();
                if text.is_empty() {
                    return Err(ProcessError::invalid(field, "must not be empty"));
                }
                let chars = text.chars().count();
                if chars > Self::MAX {
                    return Err(ProcessError::invalid(
                        field,
                        format!("must be at most {} characters, got {chars}", Self::MAX),
                    ));
                }
                if text.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
                    return Err(ProcessError::invalid(field, "must not contain control characters"));
                }
                Ok(Self(text.to_owned()))
            }

            /// Validate an optional text: blank means "not given".
            pub fn parse_optional(field: &'static str, raw: &str) -> Result<Option<Self>, ProcessError> {
                if raw.trim().is_empty() { Ok(None) } else { Self::parse(field, raw).map(Some) }
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

text!(
    /// A process title, at most 80 characters.
    Title,
    80
);
text!(
    /// A short description, at most 200 characters.
    ShortText,
    200
);
text!(
    /// Free text (descriptions, notes, reasons), at most 10,000 characters.
    LongText,
    10_000
);
text!(
    /// A label: a department-independent tag, domain, IT system, technology, person or vendor.
    Label,
    120
);

/// Validate a list of labels: no blanks, no duplicates, at most `max` entries.
pub fn labels(field: &'static str, raw: &[String], max: usize) -> Result<Vec<Label>, ProcessError> {
    if raw.len() > max {
        return Err(ProcessError::invalid(
            field,
            format!("at most {max} entries"),
        ));
    }
    let mut out: Vec<Label> = Vec::with_capacity(raw.len());
    for item in raw {
        let label = Label::parse(field, item)?;
        if !out.contains(&label) {
            out.push(label);
        }
    }
    Ok(out)
}

/// A classification in a named scheme, e.g. scheme `KLE`, code `27.24.00`. Schemes are data:
/// each country has its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    /// e.g. `KLE`.
    pub scheme: Label,
    /// e.g. `27.24.00`.
    pub code: Label,
}

/// How much work the process is today and how much of it automation could take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    /// Cases handled per year.
    pub cases_per_year: u32,
    /// Minutes of manual work per case.
    pub minutes_per_case: f64,
    /// Employees doing this work, if known.
    pub employees: Option<u32>,
    /// Expected automation share, 0–100 %.
    pub automation_share: u8,
}

impl Volume {
    /// Validate raw figures.
    pub fn parse(
        cases_per_year: i64,
        minutes_per_case: f64,
        employees: Option<i64>,
        automation_share: i64,
    ) -> Result<Self, ProcessError> {
        Ok(Self {
            cases_per_year: count("casesPerYear", cases_per_year, 100_000_000)?,
            minutes_per_case: if minutes_per_case.is_finite()
                && (0.0..=100_000.0).contains(&minutes_per_case)
            {
                minutes_per_case
            } else {
                return Err(ProcessError::invalid(
                    "minutesPerCase",
                    "must be between 0 and 100000",
                ));
            },
            employees: employees
                .map(|e| count("employees", e, 1_000_000))
                .transpose()?,
            automation_share: u8::try_from(automation_share)
                .ok()
                .filter(|s| *s <= 100)
                .ok_or_else(|| {
                    ProcessError::invalid("automationShare", "must be a percentage from 0 to 100")
                })?,
        })
    }

    /// Manual hours per year: cases × minutes / 60.
    pub fn manual_hours(&self) -> f64 {
        f64::from(self.cases_per_year) * self.minutes_per_case / 60.0
    }

    /// Potential hours saved per year: manual hours × automation share.
    pub fn hours_saved(&self) -> f64 {
        self.manual_hours() * f64::from(self.automation_share) / 100.0
    }
}

/// Validate a non-negative count no larger than `max`.
pub fn count(field: &'static str, raw: i64, max: u32) -> Result<u32, ProcessError> {
    u32::try_from(raw)
        .ok()
        .filter(|v| *v <= max)
        .ok_or_else(|| ProcessError::invalid(field, format!("must be between 0 and {max}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_is_limited_to_80_characters() {
        assert!(Title::parse("title", &"å".repeat(80)).is_ok());
        let err = Title::parse("title", &"a".repeat(81)).unwrap_err();
        assert_eq!(
            err,
            ProcessError::invalid("title", "must be at most 80 characters, got 81")
        );
        assert!(Title::parse("title", "   ").is_err());
    }

    #[test]
    fn volume_rejects_negative_and_out_of_range_figures() {
        assert!(Volume::parse(-1, 5.0, None, 50).is_err());
        assert!(Volume::parse(10, -5.0, None, 50).is_err());
        assert!(Volume::parse(10, f64::NAN, None, 50).is_err());
        assert!(Volume::parse(10, 5.0, Some(-2), 50).is_err());
        assert!(Volume::parse(10, 5.0, None, 150).is_err());
        assert!(Volume::parse(10, 5.0, None, -1).is_err());
    }

    #[test]
    fn hours_saved_is_manual_hours_times_share() {
        let v = Volume::parse(1200, 15.0, Some(3), 60).unwrap();
        assert!((v.manual_hours() - 300.0).abs() < 1e-9);
        assert!((v.hours_saved() - 180.0).abs() < 1e-9);
    }

    #[test]
    fn labels_drop_duplicates_and_reject_blanks() {
        let l = labels(
            "technologies",
            &["RPA".into(), "RPA".into(), "AI".into()],
            10,
        )
        .unwrap();
        assert_eq!(l.len(), 2);
        assert!(labels("technologies", &["".into()], 10).is_err());
        assert!(labels("technologies", &vec!["x".into(); 11], 10).is_err());
    }
}
