//! The one general link between records of different services (`innohub.common.v1.RecordRef`,
//! proto/innohub/common/v1/link.proto): an idea that became a process, and later a pilot or
//! a fund application. A record born from another carries its origin in its first event; the
//! origin records the outcome in its own stream. This is the ONE mapping of that message
//! into a validated value, used on both sides.

use std::fmt;

use innohub_proto::innohub::common::v1::RecordRef;
use uuid::Uuid;

use crate::{DecodeError, DomainError, MunicipalityId};

/// A record of any context, validated: which service, which kind of record, its id and its
/// municipality.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordLink {
    context: String,
    kind: String,
    id: Uuid,
    municipality: MunicipalityId,
}

impl RecordLink {
    /// The record `kind` `id` of `context` in `municipality`.
    pub fn new(context: &str, kind: &str, id: Uuid, municipality: MunicipalityId) -> Self {
        Self {
            context: context.to_owned(),
            kind: kind.to_owned(),
            id,
            municipality,
        }
    }

    /// The service that owns the record, e.g. `ideas`.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// The record's aggregate type, e.g. `idea`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The record's id.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// The record's municipality.
    pub fn municipality(&self) -> &MunicipalityId {
        &self.municipality
    }

    /// Is it the record `kind` of `context`?
    pub fn is(&self, context: &str, kind: &str) -> bool {
        self.context == context && self.kind == kind
    }
}

/// The origin a request names for a new record of `municipality`, if any: a valid link
/// ([`RecordLink::try_from`]) to a record of that same municipality, else refused as input
/// field `origin`, saying that `born` (e.g. "a pilot is born from") a record of its own
/// municipality.
pub fn origin(
    raw: Option<&RecordRef>,
    municipality: &MunicipalityId,
    born: &str,
) -> Result<Option<RecordLink>, DomainError> {
    let origin = raw
        .map(RecordLink::try_from)
        .transpose()
        .map_err(|e| DomainError::invalid("origin", e))?;
    if let Some(origin) = origin.as_ref().filter(|o| o.municipality() != municipality) {
        return Err(DomainError::invalid(
            "origin",
            format!(
                "{born} a record of its own municipality ({municipality}), not {}",
                origin.municipality()
            ),
        ));
    }
    Ok(origin)
}

/// The origin a stored event holds, if any ([`RecordLink::try_from`]); one that is no valid
/// link does not decode (`origin: …`).
pub fn stored_origin(raw: Option<&RecordRef>) -> Result<Option<RecordLink>, DecodeError> {
    raw.map(RecordLink::try_from)
        .transpose()
        .map_err(|e| DecodeError::new(format!("origin: {e}")))
}

impl fmt::Display for RecordLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} {}", self.context, self.kind, self.id)
    }
}

/// A name of a context or a record kind: 1 to 40 lowercase ASCII letters or `_`.
fn name(raw: &str, field: &str) -> Result<String, String> {
    let valid =
        (1..=40).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "{field}: must be 1 to 40 lowercase letters or '_', got {raw:?}"
        ))
    }
}

impl TryFrom<&RecordRef> for RecordLink {
    /// Which field is wrong, and how (`"id: not a UUID"`).
    type Error = String;

    fn try_from(m: &RecordRef) -> Result<Self, String> {
        Ok(Self {
            context: name(&m.context, "context")?,
            kind: name(&m.kind, "kind")?,
            id: Uuid::parse_str(&m.id).map_err(|_| format!("id: not a UUID: {:?}", m.id))?,
            municipality: MunicipalityId::parse(&m.municipality)
                .map_err(|e| format!("municipality: {e}"))?,
        })
    }
}

impl From<&RecordLink> for RecordRef {
    fn from(link: &RecordLink) -> Self {
        RecordRef {
            context: link.context.clone(),
            kind: link.kind.clone(),
            id: link.id.to_string(),
            municipality: link.municipality.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idea() -> RecordRef {
        RecordRef {
            context: "ideas".into(),
            kind: "idea".into(),
            id: Uuid::now_v7().to_string(),
            municipality: "SE-1283".into(),
        }
    }

    #[test]
    fn a_record_ref_round_trips() {
        let m = idea();
        let link = RecordLink::try_from(&m).expect("valid");
        assert!(link.is("ideas", "idea"));
        assert_eq!(RecordRef::from(&link), m);
    }

    #[test]
    fn each_field_is_checked_by_name() {
        type Break = fn(&mut RecordRef);
        let cases: [(Break, &str); 4] = [
            (|m| m.context = "Ideas!".into(), "context:"),
            (|m| m.kind.clear(), "kind:"),
            (|m| m.id = "42".into(), "id:"),
            (|m| m.municipality = "nowhere".into(), "municipality:"),
        ];
        for (break_it, field) in cases {
            let mut m = idea();
            break_it(&mut m);
            let error = RecordLink::try_from(&m).expect_err(field);
            assert!(error.starts_with(field), "{error}");
        }
    }
}
