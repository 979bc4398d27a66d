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

/// `what` (e.g. "a pilot is started") may happen only while `record` (e.g. "the pilot") is
/// in one of `statuses`; it is in `status`. Each is named as users see it by `name`
/// (`"a pilot is started only while the pilot is PLANNING; it is RUNNING"`).
pub fn only_while<S: Copy + PartialEq>(
    record: &str,
    status: S,
    statuses: &[S],
    name: fn(S) -> &'static str,
    what: &str,
) -> Result<(), DomainError> {
    if statuses.contains(&status) {
        return Ok(());
    }
    let names: Vec<_> = statuses.iter().map(|s| name(*s)).collect();
    Err(DomainError::Rule(format!(
        "{what} only while {record} is {}; it is {}",
        names.join(" or "),
        name(status)
    )))
}

/// A list of weighted criteria (what ideas are scored by, what a fund's reviewers score),
/// checked alike: 1 to `max` of them (field `criteria`), each named by `rule`
/// (`criteria.name`) and not twice ignoring case, weighing 1 to 100 (`criteria.weight`).
/// `name_and_weight` reads a criterion's; `rest` checks the rest of one given its checked
/// name, and makes the criterion kept.
pub fn criteria<C>(
    raw: Vec<C>,
    max: usize,
    rule: TextRule,
    name_and_weight: fn(&C) -> (&str, u32),
    mut rest: impl FnMut(String, C) -> Result<C, DomainError>,
) -> Result<Vec<C>, DomainError> {
    if !(1..=max).contains(&raw.len()) {
        return Err(DomainError::invalid(
            "criteria",
            format!("name 1 to {max} criteria, got {}", raw.len()),
        ));
    }
    let mut names: Vec<String> = Vec::with_capacity(raw.len());
    let mut out = Vec::with_capacity(raw.len());
    for c in raw {
        let (raw_name, weight) = name_and_weight(&c);
        let name = required(rule, "criteria.name", raw_name)?;
        let folded = name.to_lowercase();
        if names.contains(&folded) {
            return Err(DomainError::invalid(
                "criteria.name",
                format!("{name:?} is named twice"),
            ));
        }
        if !(1..=100).contains(&weight) {
            return Err(DomainError::invalid(
                "criteria.weight",
                format!("{name:?} must weigh 1 to 100, got {weight}"),
            ));
        }
        names.push(folded);
        out.push(rest(name, c)?);
    }
    Ok(out)
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
    fn a_status_outside_those_allowed_is_refused_naming_them_all() {
        let name: fn(u8) -> &'static str = |s| ["PLANNING", "RUNNING", "DONE"][usize::from(s)];
        assert_eq!(only_while("the pilot", 1, &[0, 1], name, "it runs"), Ok(()));
        assert_eq!(
            only_while("the pilot", 2, &[0, 1], name, "it runs"),
            Err(DomainError::Rule(
                "it runs only while the pilot is PLANNING or RUNNING; it is DONE".into()
            ))
        );
    }

    #[test]
    fn criteria_are_named_once_and_weigh_1_to_100() {
        let rule = TextRule::new(80, false);
        let check = |raw: &[(&str, u32)]| {
            let raw = raw.iter().map(|(n, w)| ((*n).to_owned(), *w)).collect();
            criteria(
                raw,
                2,
                rule,
                |c| (c.0.as_str(), c.1),
                |name, (_, w)| Ok((name, w)),
            )
            .map_err(|e| e.field().map(str::to_owned))
        };
        assert_eq!(
            check(&[(" Nytta ", 40)]),
            Ok(vec![("Nytta".to_owned(), 40)])
        );
        let refused = |field: &str| Err(Some(field.to_owned()));
        assert_eq!(check(&[]), refused("criteria"));
        assert_eq!(check(&[("a", 1), ("b", 1), ("c", 1)]), refused("criteria"));
        assert_eq!(
            check(&[("Nytta", 1), ("NYTTA", 1)]),
            refused("criteria.name")
        );
        assert_eq!(check(&[(" ", 1)]), refused("criteria.name"));
        assert_eq!(check(&[("Nytta", 0)]), refused("criteria.weight"));
        assert_eq!(check(&[("Nytta", 101)]), refused("criteria.weight"));
    }

    #[test]
    fn visibilities_map_both_ways() {
        for v in Visibility::ALL {
            assert_eq!(visibility(visibility_of(v) as i32), Ok(v));
        }
    }
}
