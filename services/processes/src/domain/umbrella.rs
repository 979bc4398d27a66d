//! The `Umbrella` aggregate: a group of similar processes, owned by one municipality, read by
//! the same rule as a process (its visibility, with its creator as the one person who always
//! sees a PRIVATE one). Local umbrellas (PRIVATE, MUNICIPALITY) hold only their
//! municipality's processes; shared ones (NETWORK, PUBLIC) may also hold other
//! municipalities' processes that are shared with the caller. Only the IT portfolio of the
//! umbrella's municipality creates umbrellas and changes their members. Its events map to
//! and from the contract's messages in [`UmbrellaEvent`]'s `DomainEvent`.

use std::collections::BTreeMap;

use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::aggregate::message;
use innohub_runtime::{
    Access, Aggregate, Audience, DecodeError, DomainEvent, EncodedEvent, MunicipalityId, Principal,
    Role, UserId, Viewer, Visibility,
};
use prost::Name as _;
use uuid::Uuid;

use super::details::{visibility, visibility_of};
use super::values::{LongText, Title, text_of};
use crate::ProcessError;

/// A process as the caller sees it, to be added to an umbrella.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The process.
    pub id: Uuid,
    /// Its municipality.
    pub municipality: MunicipalityId,
    /// What the caller may see of it, by the read rule.
    pub access: Access,
}

/// What can be asked of an umbrella.
#[derive(Debug, Clone)]
pub enum UmbrellaCommand {
    /// Create umbrella `id` in the caller's municipality.
    Create {
        /// New id (UUIDv7).
        id: Uuid,
        /// Caller (IT portfolio).
        by: Principal,
        /// Title, as sent.
        title: String,
        /// Description, as sent ("" = none).
        description: String,
        /// Visibility, as sent (UNSPECIFIED = MUNICIPALITY).
        visibility: i32,
    },
    /// Add a process.
    Add {
        /// Caller (IT portfolio of the umbrella's municipality).
        by: Principal,
        /// The process as the caller sees it.
        process: Candidate,
    },
    /// Remove a member.
    Remove {
        /// Caller (IT portfolio of the umbrella's municipality).
        by: Principal,
        /// The member.
        process: Uuid,
    },
}

/// What happened to an umbrella.
#[derive(Debug, Clone, PartialEq)]
pub enum UmbrellaEvent {
    /// It was created.
    UmbrellaCreated {
        /// Its id.
        id: Uuid,
        /// Owning municipality.
        municipality: MunicipalityId,
        /// Title.
        title: Title,
        /// What the members have in common.
        description: Option<LongText>,
        /// Who may read it.
        visibility: Visibility,
        /// Who created it.
        created_by: UserId,
    },
    /// A process joined.
    UmbrellaMemberAdded {
        /// The process.
        process: Uuid,
        /// Its municipality.
        municipality: MunicipalityId,
    },
    /// A process left.
    UmbrellaMemberRemoved {
        /// The process.
        process: Uuid,
    },
}

impl DomainEvent for UmbrellaEvent {
    fn encode(&self) -> EncodedEvent {
        use UmbrellaEvent as E;
        match self {
            E::UmbrellaCreated {
                id,
                municipality,
                title,
                description,
                visibility,
                created_by,
            } => EncodedEvent::of(&pb::UmbrellaCreated {
                umbrella_id: id.to_string(),
                municipality: municipality.to_string(),
                title: title.as_str().to_owned(),
                description: text_of(description.as_ref()),
                visibility: visibility_of(*visibility) as i32,
                created_by: created_by.to_string(),
            }),
            E::UmbrellaMemberAdded {
                process,
                municipality,
            } => EncodedEvent::of(&pb::UmbrellaMemberAdded {
                process_id: process.to_string(),
                process_municipality: municipality.to_string(),
            }),
            E::UmbrellaMemberRemoved { process } => EncodedEvent::of(&pb::UmbrellaMemberRemoved {
                process_id: process.to_string(),
            }),
        }
    }

    fn decode(event_type: &str, payload: &[u8]) -> Result<Self, DecodeError> {
        use UmbrellaEvent as E;
        let id = |raw: &str| Uuid::parse_str(raw).map_err(DecodeError::new);
        let municipality = |raw: &str| MunicipalityId::parse(raw).map_err(DecodeError);
        Ok(match event_type {
            pb::UmbrellaCreated::NAME => {
                let m: pb::UmbrellaCreated = message(payload)?;
                E::UmbrellaCreated {
                    id: id(&m.umbrella_id)?,
                    municipality: municipality(&m.municipality)?,
                    title: Title::parse("title", &m.title)?,
                    description: LongText::parse_optional("description", &m.description)?,
                    visibility: visibility(m.visibility)?,
                    created_by: UserId::parse(&m.created_by).map_err(DecodeError)?,
                }
            }
            pb::UmbrellaMemberAdded::NAME => {
                let m: pb::UmbrellaMemberAdded = message(payload)?;
                E::UmbrellaMemberAdded {
                    process: id(&m.process_id)?,
                    municipality: municipality(&m.process_municipality)?,
                }
            }
            pb::UmbrellaMemberRemoved::NAME => {
                let m: pb::UmbrellaMemberRemoved = message(payload)?;
                E::UmbrellaMemberRemoved {
                    process: id(&m.process_id)?,
                }
            }
            other => return Err(DecodeError(format!("no umbrella event {other}"))),
        })
    }
}

/// An umbrella as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct UmbrellaRecord {
    /// Its id.
    pub id: Uuid,
    /// Owning municipality.
    pub municipality: MunicipalityId,
    /// Title.
    pub title: Title,
    /// Description.
    pub description: Option<LongText>,
    /// Who may read it.
    pub visibility: Visibility,
    /// Who created it.
    pub created_by: UserId,
    /// Its members and their municipalities.
    pub members: BTreeMap<Uuid, MunicipalityId>,
}

impl UmbrellaRecord {
    /// Who may read it: the read rule of processes, with the creator as its one person.
    pub fn access(&self, viewer: &Viewer) -> Access {
        innohub_runtime::access::access(
            viewer,
            Audience {
                municipality: &self.municipality,
                visibility: self.visibility,
                departments: &[],
                people: &[&self.created_by],
            },
        )
    }

    /// A local umbrella holds only its municipality's processes.
    pub fn is_local(&self) -> bool {
        matches!(
            self.visibility,
            Visibility::Private | Visibility::Municipality
        )
    }

    /// The record, if `by` may change its members: the IT portfolio of its municipality.
    fn changed_by(&self, by: &Principal) -> Result<&Self, ProcessError> {
        if !by.is_member_of(&self.municipality) || !by.has(Role::ItPortfolio) {
            return Err(ProcessError::Forbidden(
                "only IT portfolio of the umbrella's municipality changes its members".into(),
            ));
        }
        Ok(self)
    }
}

/// The aggregate: `None` until created.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Umbrella(pub Option<UmbrellaRecord>);

impl Aggregate for Umbrella {
    type Command = UmbrellaCommand;
    type Event = UmbrellaEvent;
    type Error = ProcessError;
    const TYPE: &'static str = "umbrella";

    fn decide(&self, command: UmbrellaCommand) -> Result<Vec<UmbrellaEvent>, ProcessError> {
        use UmbrellaCommand as C;
        use UmbrellaEvent as E;
        match command {
            C::Create {
                id,
                by,
                title,
                description,
                visibility: raw,
            } => {
                if self.0.is_some() {
                    return Err(ProcessError::Rule(format!("umbrella {id} already exists")));
                }
                if !by.has(Role::ItPortfolio) {
                    return Err(ProcessError::Forbidden(
                        "creating an umbrella needs the it_portfolio role".into(),
                    ));
                }
                let raw = if raw == pb::Visibility::Unspecified as i32 {
                    pb::Visibility::Municipality as i32
                } else {
                    raw
                };
                Ok(vec![E::UmbrellaCreated {
                    id,
                    municipality: by.municipality,
                    title: Title::parse("title", &title)?,
                    description: LongText::parse_optional("description", &description)?,
                    visibility: visibility(raw)?,
                    created_by: by.user,
                }])
            }
            C::Add { by, process } => {
                let record = self.0.as_ref().ok_or(ProcessError::NotFound)?;
                let record = record.changed_by(&by)?;
                if process.access == Access::None {
                    return Err(ProcessError::NotFound);
                }
                if record.is_local() && process.municipality != record.municipality {
                    return Err(ProcessError::invalid(
                        "process",
                        "a local umbrella (PRIVATE or MUNICIPALITY) holds only your municipality's processes; share the umbrella (NETWORK or PUBLIC) to add others'",
                    ));
                }
                if record.members.contains_key(&process.id) {
                    return Err(ProcessError::invalid(
                        "process",
                        "is already a member of the umbrella",
                    ));
                }
                Ok(vec![E::UmbrellaMemberAdded {
                    process: process.id,
                    municipality: process.municipality,
                }])
            }
            C::Remove { by, process } => {
                let record = self.0.as_ref().ok_or(ProcessError::NotFound)?;
                let record = record.changed_by(&by)?;
                if !record.members.contains_key(&process) {
                    return Err(ProcessError::invalid(
                        "process",
                        "is not a member of the umbrella",
                    ));
                }
                Ok(vec![E::UmbrellaMemberRemoved { process }])
            }
        }
    }

    fn evolve(self, event: &UmbrellaEvent) -> Self {
        use UmbrellaEvent as E;
        if let E::UmbrellaCreated {
            id,
            municipality,
            title,
            description,
            visibility,
            created_by,
        } = event
        {
            return Umbrella(Some(UmbrellaRecord {
                id: *id,
                municipality: municipality.clone(),
                title: title.clone(),
                description: description.clone(),
                visibility: *visibility,
                created_by: created_by.clone(),
                members: BTreeMap::new(),
            }));
        }
        let Some(mut r) = self.0 else {
            return self;
        };
        match event {
            E::UmbrellaCreated { .. } => {}
            E::UmbrellaMemberAdded {
                process,
                municipality,
            } => {
                r.members.insert(*process, municipality.clone());
            }
            E::UmbrellaMemberRemoved { process } => {
                r.members.remove(process);
            }
        }
        Umbrella(Some(r))
    }

    fn municipality(&self) -> Option<&MunicipalityId> {
        self.0.as_ref().map(|r| &r.municipality)
    }
}
