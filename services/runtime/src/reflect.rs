//! What works on any contract message through its descriptor (`innohub_proto::
//! descriptor_pool`), so that no service writes it again per message:
//!
//! - [`redact`] / [`redact_payload`]: clear what a reader may not see, by the `sensitivity`
//!   marks of `proto/innohub/common/v1/privacy.proto`: the ONE redaction rule of the read
//!   path, for views and audit trails alike;
//! - [`apply_mask`]: an update that changes only the fields a `FieldMask` names;
//! - [`to_json`]: any stored event as JSON (the protobuf JSON mapping: camelCase names,
//!   enums by name), for the audit trail.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

use innohub_proto::descriptor_pool;
use innohub_proto::innohub::common::v1::Sensitivity;
use prost::{Message, Name};
use prost_reflect::{
    DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, ReflectMessage as _, Value,
};
use prost_types::FieldMask;

use crate::aggregate::DecodeError;

/// How one field of a message is treated.
#[derive(Debug, Clone)]
enum Rule {
    /// Shown only to the owning municipality.
    Internal(FieldDescriptor),
    /// Shown only to the person's municipality: the owner's, or the one in the sibling field.
    Personal(FieldDescriptor, Option<FieldDescriptor>),
    /// A message (or list of messages) whose own fields may need redacting.
    Nested(FieldDescriptor),
}

/// The rules of each message, read once from its descriptor.
static RULES: LazyLock<RwLock<HashMap<String, Arc<Vec<Rule>>>>> =
    LazyLock::new(|| RwLock::new(HashMap::new()));

fn rules(message: &MessageDescriptor) -> Arc<Vec<Rule>> {
    if let Some(rules) = RULES
        .read()
        .ok()
        .and_then(|r| r.get(message.full_name()).cloned())
    {
        return rules;
    }
    let extension = descriptor_pool().get_extension_by_name("innohub.common.v1.sensitivity");
    let rules: Vec<Rule> = message
        .fields()
        .filter_map(|field| {
            let marks = extension.as_ref().and_then(|ext| {
                let options = field.options();
                options
                    .has_extension(ext)
                    .then(|| options.get_extension(ext).into_owned())
            });
            let marks = match marks {
                Some(Value::Message(m)) => m.transcode_to::<Sensitivity>().ok(),
                _ => None,
            };
            match marks {
                Some(s) if s.internal => Some(Rule::Internal(field)),
                Some(s) if s.personal => {
                    let sibling = (!s.municipality_field.is_empty())
                        .then(|| message.get_field_by_name(&s.municipality_field))
                        .flatten();
                    Some(Rule::Personal(field, sibling))
                }
                _ if matches!(field.kind(), Kind::Message(_)) && !field.is_map() => {
                    Some(Rule::Nested(field))
                }
                _ => None,
            }
        })
        .collect();
    let rules = Arc::new(rules);
    if let Ok(mut cache) = RULES.write() {
        cache.insert(message.full_name().to_owned(), rules.clone());
    }
    rules
}

/// Clear, in `message` owned by municipality `owner`, every field that a reader from
/// municipality `reader` may not see: internal fields unless `reader` is the owner, personal
/// data unless `reader` is the person's own municipality. Nested messages are redacted too.
pub fn redact_dynamic(message: &mut DynamicMessage, owner: &str, reader: &str) {
    for rule in rules(&message.descriptor()).iter() {
        match rule {
            Rule::Internal(field) => {
                if reader != owner {
                    message.clear_field(field);
                }
            }
            Rule::Personal(field, sibling) => {
                let person = sibling
                    .as_ref()
                    .map(|m| message.get_field(m).as_str().unwrap_or_default().to_owned());
                if reader != person.as_deref().unwrap_or(owner) {
                    message.clear_field(field);
                }
            }
            Rule::Nested(field) => {
                if !message.has_field(field) {
                    continue;
                }
                match message.get_field_mut(field) {
                    Value::Message(inner) => redact_dynamic(inner, owner, reader),
                    Value::List(items) => {
                        for item in items {
                            if let Value::Message(inner) = item {
                                redact_dynamic(inner, owner, reader);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

fn descriptor(full_name: &str) -> Result<MessageDescriptor, DecodeError> {
    descriptor_pool()
        .get_message_by_name(full_name)
        .ok_or_else(|| DecodeError(format!("no contract message {full_name}")))
}

/// `message` as a reader from municipality `reader` may see it (see [`redact_dynamic`]).
pub fn redact<M: Message + Name + Default>(
    message: &M,
    owner: &str,
    reader: &str,
) -> Result<M, DecodeError> {
    let mut dynamic = DynamicMessage::new(descriptor(&M::full_name())?);
    dynamic.transcode_from(message)?;
    redact_dynamic(&mut dynamic, owner, reader);
    Ok(dynamic.transcode_to()?)
}

/// The encoded message `full_name` (e.g. `innohub.processes.v1.ProcessSubmitted`), redacted
/// for a reader from municipality `reader` (see [`redact_dynamic`]).
pub fn redact_payload(
    full_name: &str,
    payload: &[u8],
    owner: &str,
    reader: &str,
) -> Result<Vec<u8>, DecodeError> {
    let mut dynamic = DynamicMessage::decode(descriptor(full_name)?, payload)?;
    redact_dynamic(&mut dynamic, owner, reader);
    Ok(dynamic.encode_to_vec())
}

/// `base` with the fields named by `mask` taken from `patch` (a named field that `patch`
/// leaves empty is cleared). Paths are field names, dotted into sub-messages, e.g.
/// `volume.automation_share`. A path naming no field is an error that says which.
pub fn apply_mask<M: Message + Name + Default>(
    base: &M,
    patch: &M,
    mask: &FieldMask,
) -> Result<M, String> {
    let desc = descriptor(&M::full_name()).map_err(|e| e.to_string())?;
    let mut merged = DynamicMessage::new(desc.clone());
    merged
        .transcode_from(base)
        .map_err(|e| format!("{}: {e}", M::NAME))?;
    let mut given = DynamicMessage::new(desc);
    given
        .transcode_from(patch)
        .map_err(|e| format!("{}: {e}", M::NAME))?;
    for path in &mask.paths {
        copy_path(&mut merged, &given, path)?;
    }
    merged
        .transcode_to()
        .map_err(|e| format!("{}: {e}", M::NAME))
}

fn copy_path(
    target: &mut DynamicMessage,
    source: &DynamicMessage,
    path: &str,
) -> Result<(), String> {
    let (head, rest) = match path.split_once('.') {
        Some((head, rest)) => (head, Some(rest)),
        None => (path, None),
    };
    let desc = target.descriptor();
    let field = desc
        .get_field_by_name(head)
        .ok_or_else(|| format!("{} has no field {head:?}", desc.name()))?;
    match rest {
        None => match source.has_field(&field) {
            true => target.set_field(&field, source.get_field(&field).into_owned()),
            false => target.clear_field(&field),
        },
        Some(rest) => {
            let Kind::Message(inner) = field.kind() else {
                return Err(format!("{}.{head} has no fields", desc.name()));
            };
            if field.is_list() || field.is_map() {
                return Err(format!("{}.{head} is a list", desc.name()));
            }
            let from = match source.get_field(&field).into_owned() {
                Value::Message(m) => m,
                _ => DynamicMessage::new(inner),
            };
            match target.get_field_mut(&field) {
                Value::Message(to) => copy_path(to, &from, rest)?,
                _ => return Err(format!("{}.{head} is not a message", desc.name())),
            }
        }
    }
    Ok(())
}

/// The encoded message `full_name` as JSON, by the protobuf JSON mapping.
pub fn to_json(full_name: &str, payload: &[u8]) -> Result<serde_json::Value, DecodeError> {
    let message = DynamicMessage::decode(descriptor(full_name)?, payload)?;
    serde_json::to_value(&message).map_err(DecodeError::new)
}

#[cfg(test)]
mod tests {
    use innohub_proto::innohub::processes::v1 as pb;

    use super::*;

    fn details() -> pb::ProcessDetails {
        pb::ProcessDetails {
            title: "Sygedagpenge".into(),
            departments: vec!["jobcenter".into()],
            owner: "mette".into(),
            contact: "mette@syddjurs.dk".into(),
            internal_notes: "afventer IT".into(),
            volume: Some(pb::Volume {
                cases_per_year: 100,
                automation_share: 50,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn partners_lose_people_and_internal_fields_members_keep_them() {
        let submitted = pb::ProcessSubmitted {
            process_id: "p".into(),
            municipality: "DK-0706".into(),
            reporter: "anne".into(),
            details: Some(details()),
            adopted_from: None,
            origin: None,
        };
        let own = redact(&submitted, "DK-0706", "DK-0706").expect("redact");
        assert_eq!(own, submitted);
        let partner = redact(&submitted, "DK-0706", "SE-1283").expect("redact");
        let d = partner.details.clone().expect("details");
        assert_eq!(partner.reporter, "");
        assert_eq!((d.owner.as_str(), d.contact.as_str()), ("", ""));
        assert!(d.departments.is_empty() && d.internal_notes.is_empty());
        assert_eq!(d.title, "Sygedagpenge");
        assert_eq!(d.volume, details().volume);
    }

    #[test]
    fn a_persons_own_municipality_sees_them_wherever_the_record_lives() {
        let comment = pb::ProcessCommented {
            comment_id: "c".into(),
            author: "sven".into(),
            author_municipality: "SE-1283".into(),
            text: "Hur?".into(),
        };
        let bytes = comment.encode_to_vec();
        let name = pb::ProcessCommented::full_name();
        let for_owner = redact_payload(&name, &bytes, "DK-0706", "DK-0706").expect("redact");
        let for_author = redact_payload(&name, &bytes, "DK-0706", "SE-1283").expect("redact");
        let seen = |b: &[u8]| pb::ProcessCommented::decode(b).expect("decode").author;
        assert_eq!(seen(&for_owner), "");
        assert_eq!(seen(&for_author), "sven");
    }

    #[test]
    fn a_mask_changes_only_the_named_fields() {
        let base = details();
        let patch = pb::ProcessDetails {
            title: "Ny titel".into(),
            owner: String::new(),
            volume: Some(pb::Volume {
                automation_share: 80,
                cases_per_year: 1,
                ..Default::default()
            }),
            contact: "ignored".into(),
            ..Default::default()
        };
        let mask = FieldMask {
            paths: vec![
                "title".into(),
                "owner".into(),
                "volume.automation_share".into(),
            ],
        };
        let merged = apply_mask(&base, &patch, &mask).expect("merge");
        assert_eq!(merged.title, "Ny titel");
        assert_eq!(merged.owner, "", "a named empty field is cleared");
        assert_eq!(merged.contact, base.contact, "unnamed fields stay");
        let volume = merged.volume.expect("volume");
        assert_eq!((volume.automation_share, volume.cases_per_year), (80, 100));
        let unknown = FieldMask {
            paths: vec!["colour".into()],
        };
        assert_eq!(
            apply_mask(&base, &patch, &unknown),
            Err("ProcessDetails has no field \"colour\"".into())
        );
    }

    #[test]
    fn any_event_renders_as_json() {
        let changed = pb::ProcessPhaseChanged {
            from: pb::Phase::Idea as i32,
            to: pb::Phase::PreAnalysis as i32,
            reason: String::new(),
        };
        let json = to_json(
            &pb::ProcessPhaseChanged::full_name(),
            &changed.encode_to_vec(),
        )
        .expect("json");
        assert_eq!(
            json,
            serde_json::json!({ "from": "PHASE_IDEA", "to": "PHASE_PRE_ANALYSIS" })
        );
    }
}
