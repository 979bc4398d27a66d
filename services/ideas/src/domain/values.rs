//! Validated domain values and the checks the aggregates build them with. Each check names
//! the input field it failed on (`"title: must be at most 80 characters, got 81"`), and the
//! same checks validate commands' input and stored events on load, so no rule is written
//! twice. The contract's enums (`Stage`, `ChallengeStatus`, `Driver`, `Outcome`) are the
//! domain's too: [`stage`], [`driver`] and [`outcome`] refuse what an event may not hold.

pub use innohub_proto::innohub::ideas::v1::{ChallengeStatus, Driver, Outcome, Stage};
use innohub_proto::short_name;
pub use innohub_runtime::field::{
    date, list, optional, require_role, required, texts, user, visibility, visibility_of,
};
use innohub_runtime::text::TextRule;
use uuid::Uuid;

use crate::IdeasError;

/// A title or a name: one line, at most 80 characters.
pub const TITLE: TextRule = TextRule::new(80, false);
/// Free text (a need, a summary, a comment, a reason): at most 10,000 characters.
pub const TEXT: TextRule = TextRule::new(10_000, true);
/// One line: a person as written, an action, an outcome. At most 200 characters.
pub const LINE: TextRule = TextRule::new(200, false);
/// A tag: one line, at most 40 characters.
pub const TAG: TextRule = TextRule::new(40, false);

/// The id of a record the input names; `""` is none, and anything but a UUID names no
/// such record (`what`, e.g. "challenge").
pub fn reference(field: &'static str, what: &str, raw: &str) -> Result<Option<Uuid>, IdeasError> {
    match raw.trim() {
        "" => Ok(None),
        id => Uuid::parse_str(id)
            .map(Some)
            .map_err(|_| no_such(field, what)),
    }
}

/// Why a command naming a record the caller's municipality does not have is refused.
pub fn no_such(field: &'static str, what: &str) -> IdeasError {
    IdeasError::invalid(field, format!("no such {what}"))
}

/// A stage from the contract's wire value: unspecified or unknown is refused.
pub fn stage(raw: i32) -> Result<Stage, IdeasError> {
    Stage::try_from(raw)
        .ok()
        .filter(|s| *s != Stage::Unspecified)
        .ok_or_else(|| IdeasError::invalid("stage", "must be a known stage"))
}

/// A driver from the contract's wire value: unspecified or unknown is refused.
pub fn driver(raw: i32) -> Result<Driver, IdeasError> {
    Driver::try_from(raw)
        .ok()
        .filter(|d| *d != Driver::Unspecified)
        .ok_or_else(|| {
            IdeasError::invalid(
                "driver",
                "must be IDEA_DRIVEN, CHALLENGE_DRIVEN or OPPORTUNITY_DRIVEN",
            )
        })
}

/// A likely outcome from the contract's wire value: unspecified is none (not judged);
/// unknown is refused.
pub fn outcome(raw: i32) -> Result<Option<Outcome>, IdeasError> {
    match Outcome::try_from(raw) {
        Ok(Outcome::Unspecified) => Ok(None),
        Ok(outcome) => Ok(Some(outcome)),
        Err(_) => Err(IdeasError::invalid(
            "likelyOutcome",
            "must be OWN_DEVELOPMENT, PARTNERSHIP or PROCUREMENT",
        )),
    }
}

/// A challenge status from the contract's wire value: unspecified or unknown is refused.
pub fn challenge_status(raw: i32) -> Result<ChallengeStatus, IdeasError> {
    ChallengeStatus::try_from(raw)
        .ok()
        .filter(|s| *s != ChallengeStatus::Unspecified)
        .ok_or_else(|| IdeasError::invalid("status", "must be DRAFT, OPEN or CLOSED"))
}

/// The name users see of a stage, e.g. `DESIGNING`.
pub fn stage_name(stage: Stage) -> &'static str {
    short_name(stage.as_str_name())
}

/// The name users see of a challenge status, e.g. `OPEN`.
pub fn status_name(status: ChallengeStatus) -> &'static str {
    let name = status.as_str_name();
    name.strip_prefix("CHALLENGE_STATUS_").unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_refuse_unspecified_and_unknown_values() {
        assert_eq!(stage(Stage::Piloting as i32), Ok(Stage::Piloting));
        assert_eq!(stage(0).unwrap_err().field(), Some("stage"));
        assert_eq!(stage(99).unwrap_err().field(), Some("stage"));
        assert_eq!(driver(0).unwrap_err().field(), Some("driver"));
        assert_eq!(outcome(0), Ok(None));
        assert_eq!(outcome(99).unwrap_err().field(), Some("likelyOutcome"));
        assert_eq!(challenge_status(0).unwrap_err().field(), Some("status"));
        assert_eq!(visibility(0).unwrap_err().field(), Some("visibility"));
    }

    #[test]
    fn names_drop_the_enum_prefix() {
        assert_eq!(stage_name(Stage::Designing), "DESIGNING");
        assert_eq!(status_name(ChallengeStatus::Open), "OPEN");
    }

    #[test]
    fn lists_are_bounded_and_keep_an_entry_once() {
        let tags = texts(TAG, "tags", &["AI".into(), "AI".into(), "RPA".into()], 20);
        assert_eq!(tags, Ok(vec!["AI".to_owned(), "RPA".to_owned()]));
        assert!(texts(TAG, "tags", &vec!["x".into(); 21], 20).is_err());
        assert_eq!(
            texts(TAG, "tags", &["x".repeat(41)], 20).unwrap_err(),
            IdeasError::invalid("tags", "must be at most 40 characters, got 41")
        );
    }

    #[test]
    fn a_reference_that_is_no_uuid_names_no_such_record() {
        assert_eq!(reference("challengeId", "challenge", ""), Ok(None));
        assert_eq!(
            reference("challengeId", "challenge", "42"),
            Err(IdeasError::invalid("challengeId", "no such challenge"))
        );
    }
}
