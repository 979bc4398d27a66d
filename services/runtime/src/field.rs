//! The checks every domain builds its validated values with, written once: each takes the
//! input field's name and refuses with it ([`DomainError::invalid`], e.g. `"title: must be
//! at most 80 characters, got 81"`), so that commands' input and stored events are checked
//! by the same words in every service.

use std::str::FromStr;

use chrono::NaiveDate;
use innohub_proto::innohub::processes::v1 as contract;
use innohub_proto::short_name;

use crate::text::TextRule;
use crate::{DomainError, MunicipalityId, Principal, Role, UserId, Visibility};

/// `raw` by `rule`, required, trimmed.
pub fn required(rule: TextRule, field: &'static str, raw: &str) -> Result<String, DomainError> {
    rule.required(raw)
        .map(str::to_owned)
        .map_err(|e| DomainError::invalid(field, e.to_string()))
}

/// `raw` by `rule` if given, trimmed; blank is `""` (not set).
pub fn optional(rule: TextRule, field: &'static str, raw: &str) -> Result<String, DomainError> {
    rule.optional(raw)
        .map(|t| t.unwrap_or_default().to_owned())
        .map_err(|e| DomainError::invalid(field, e.to_string()))
}

/// At most `max` entries, each parsed by `parse`; repeated entries are kept once.
pub fn list<T: PartialEq>(
    field: &'static str,
    raw: &[String],
    max: usize,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, DomainError> {
    if raw.len() > max {
        return Err(DomainError::invalid(
            field,
            format!("at most {max} entries, got {}", raw.len()),
        ));
    }
    let mut out = Vec::with_capacity(raw.len());
    for item in raw {
        let item = parse(item).map_err(|e| DomainError::invalid(field, e))?;
        if !out.contains(&item) {
            out.push(item);
        }
    }
    Ok(out)
}

/// A list of texts by `rule` (see [`list`]).
pub fn texts(
    rule: TextRule,
    field: &'static str,
    raw: &[String],
    max: usize,
) -> Result<Vec<String>, DomainError> {
    list(field, raw, max, |t| {
        rule.required(t)
            .map(str::to_owned)
            .map_err(|e| e.to_string())
    })
}

/// A user id (a token's `sub`).
pub fn user(field: &'static str, raw: &str) -> Result<UserId, DomainError> {
    UserId::parse(raw).map_err(|e| DomainError::invalid(field, e))
}

/// A required ISO 8601 date.
pub fn date(field: &'static str, raw: &str) -> Result<NaiveDate, DomainError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
        DomainError::invalid(
            field,
            format!("must be a date like 2027-03-31, got {raw:?}"),
        )
    })
}

/// The caller holds one of `roles`, or may not do `what`.
pub fn require_role(by: &Principal, roles: &[Role], what: &str) -> Result<(), DomainError> {
    if roles.iter().any(|r| by.has(*r)) {
        Ok(())
    } else {
        let names: Vec<_> = roles.iter().map(|r| r.as_str()).collect();
        Err(DomainError::Forbidden(format!(
            "{what} needs the {} role",
            names.join(" or ")
        )))
    }
}

/// The caller is a member of `municipality`: partners only read another municipality's
/// `records` (e.g. "pilots").
pub fn require_member(
    by: &Principal,
    municipality: &MunicipalityId,
    records: &str,
) -> Result<(), DomainError> {
    if by.is_member_of(municipality) {
        Ok(())
    } else {
        Err(DomainError::Forbidden(format!(
            "partners have read-only access to another municipality's {records}"
        )))
    }
}

/// A visibility from the contract (`innohub.processes.v1.Visibility`): unspecified or
/// unknown is refused.
pub fn visibility(raw: i32) -> Result<Visibility, DomainError> {
    contract::Visibility::try_from(raw)
        .ok()
        .and_then(|v| Visibility::from_str(short_name(v.as_str_name())).ok())
        .ok_or_else(|| {
            DomainError::invalid(
                "visibility",
                "must be PRIVATE, MUNICIPALITY, NETWORK or PUBLIC",
            )
        })
}

/// A visibility in the contract's spelling.
pub fn visibility_of(v: Visibility) -> contract::Visibility {
    contract::Visibility::from_str_name(&format!("VISIBILITY_{v}"))
        .unwrap_or(contract::Visibility::Municipality)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibilities_map_both_ways() {
        for v in Visibility::ALL {
            assert_eq!(visibility(visibility_of(v) as i32), Ok(v));
        }
    }
}
