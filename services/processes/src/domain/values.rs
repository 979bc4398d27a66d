//! Validated domain values: a `Title` cannot be 500 characters long anywhere. Each
//! constructor names the input field it failed on, so errors point at the right field.
//! The same constructors check commands' input and stored events on load ([`super::details`]
//! and the aggregates map the contract's messages through them), so no rule is written twice.

use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::text::TextRule;

use crate::ProcessError;

/// Declares a text newtype with a character limit, checked by the runtime's text rules
/// ([`innohub_runtime::text`]): visible (not only whitespace or invisible format
/// characters), no bidi embeddings, overrides or isolates, no control characters but tab
/// and line breaks, trimmed, at most `MAX` characters.
macro_rules! text {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The most characters allowed.
            pub const MAX: usize = $max;

            /// The rule it keeps.
            const RULE: TextRule = TextRule::new(Self::MAX, true);

            /// Validate `raw` for input field `field`: trimmed, 1..=MAX characters, at
            /// least one of them visible.
            pub fn parse(field: &'static str, raw: &str) -> Result<Self, ProcessError> {
                Self::RULE
                    .required(raw)
                    .map(|text| Self(text.to_owned()))
                    .map_err(|e| ProcessError::invalid(field, e.to_string()))
            }

            /// Validate an optional text: blank means "not given"; anything else is
            /// validated as by [`Self::parse`].
            pub fn parse_optional(field: &'static str, raw: &str) -> Result<Option<Self>, ProcessError> {
                Self::RULE
                    .optional(raw)
                    .map(|text| text.map(|t| Self(t.to_owned())))
                    .map_err(|e| ProcessError::invalid(field, e.to_string()))
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
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

/// The contract's form of an optional text: absent is `""`.
pub fn text_of<T: AsRef<str>>(value: Option<T>) -> String {
    value.map(|t| t.as_ref().to_owned()).unwrap_or_default()
}

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

/// The contract's form of a list of labels.
pub fn strings<T: AsRef<str>>(values: &[T]) -> Vec<String> {
    values.iter().map(|v| v.as_ref().to_owned()).collect()
}

/// A classification in a named scheme, e.g. scheme `KLE`, code `27.24.00`. Schemes are data:
/// each country has its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// e.g. `KLE`.
    pub scheme: Label,
    /// e.g. `27.24.00`.
    pub code: Label,
}

impl Classification {
    /// A classification from the contract; one with an empty scheme is none.
    pub fn parse(raw: Option<pb::Classification>) -> Result<Option<Self>, ProcessError> {
        match raw {
            Some(c) if !c.scheme.trim().is_empty() => Ok(Some(Self {
                scheme: Label::parse("classification.scheme", &c.scheme)?,
                code: Label::parse("classification.code", &c.code)?,
            })),
            _ => Ok(None),
        }
    }
}

impl From<&Classification> for pb::Classification {
    fn from(c: &Classification) -> Self {
        Self {
            scheme: c.scheme.as_str().to_owned(),
            code: c.code.as_str().to_owned(),
        }
    }
}

/// How much work the process is today and how much of it automation could take. The derived
/// hours are computed by `innohub_priority` from the contract's `Volume`.
#[derive(Debug, Clone, PartialEq)]
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

impl TryFrom<pb::Volume> for Volume {
    type Error = ProcessError;

    fn try_from(v: pb::Volume) -> Result<Self, ProcessError> {
        let minutes = v.minutes_per_case;
        Ok(Self {
            cases_per_year: count("casesPerYear", v.cases_per_year, 100_000_000)?,
            minutes_per_case: if minutes.is_finite() && (0.0..=100_000.0).contains(&minutes) {
                minutes
            } else {
                return Err(ProcessError::invalid(
                    "minutesPerCase",
                    "must be between 0 and 100000",
                ));
            },
            employees: v
                .employees
                .map(|e| count("employees", e, 1_000_000))
                .transpose()?,
            automation_share: u8::try_from(v.automation_share)
                .ok()
                .filter(|s| *s <= 100)
                .ok_or_else(|| {
                    ProcessError::invalid("automationShare", "must be a percentage from 0 to 100")
                })?,
        })
    }
}

impl From<&Volume> for pb::Volume {
    fn from(v: &Volume) -> Self {
        Self {
            cases_per_year: v.cases_per_year,
            minutes_per_case: v.minutes_per_case,
            employees: v.employees,
            automation_share: u32::from(v.automation_share),
        }
    }
}

/// Validate a count no larger than `max`.
pub fn count(field: &'static str, raw: u32, max: u32) -> Result<u32, ProcessError> {
    if raw <= max {
        Ok(raw)
    } else {
        Err(ProcessError::invalid(
            field,
            format!("must be between 0 and {max}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(cases: u32, minutes: f64, employees: Option<u32>, share: u32) -> pb::Volume {
        pb::Volume {
            cases_per_year: cases,
            minutes_per_case: minutes,
            employees,
            automation_share: share,
        }
    }

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
    fn volume_rejects_out_of_range_figures() {
        assert!(Volume::try_from(volume(100_000_001, 5.0, None, 50)).is_err());
        assert!(Volume::try_from(volume(10, -5.0, None, 50)).is_err());
        assert!(Volume::try_from(volume(10, 100_001.0, None, 50)).is_err());
        assert!(Volume::try_from(volume(10, f64::NAN, None, 50)).is_err());
        assert!(Volume::try_from(volume(10, 5.0, Some(1_000_001), 50)).is_err());
        assert!(Volume::try_from(volume(10, 5.0, None, 150)).is_err());
        assert!(Volume::try_from(volume(10, 5.0, None, u32::MAX)).is_err());
        let v = volume(1200, 15.0, Some(3), 60);
        assert_eq!(pb::Volume::from(&Volume::try_from(v).unwrap()), v);
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
