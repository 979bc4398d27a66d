//! The `Network` aggregate: municipalities that share their NETWORK-visible records with
//! each other. Its stream id is the network's id (UUIDv7); it belongs to its founder. Its
//! events map to and from the contract's messages in [`NetworkEvent`]'s `DomainEvent`.
//!
//! Who may act: a municipality that is neither a member nor invited does not learn that
//! the network exists (`NOT_FOUND` for every command); only municipality administrators act
//! for their municipality (`FORBIDDEN` otherwise).

use std::collections::BTreeSet;

use innohub_proto::innohub::directory::v1 as pb;
use innohub_runtime::aggregate::message;
use innohub_runtime::{
    Aggregate, DecodeError, DomainEvent, EncodedEvent, MunicipalityId, Principal, Role,
};
use prost::Name as _;
use uuid::Uuid;

use super::values::{Name, municipality_id, not_registered, require_role};
use crate::DirectoryError;

/// What can be asked of a network. Whether a municipality is registered is looked up by the
/// command side before deciding (registration is permanent, so the answer cannot go stale).
#[derive(Debug, Clone)]
pub enum NetworkCommand {
    /// Create it with the caller's municipality as its first member.
    Create {
        /// New id (UUIDv7).
        id: Uuid,
        /// Caller.
        by: Principal,
        /// Its name, as requested.
        name: String,
        /// Whether the caller's municipality is registered.
        registered: bool,
    },
    /// Invite a municipality (an administrator of a member).
    Invite {
        /// Caller.
        by: Principal,
        /// The municipality to invite.
        municipality: MunicipalityId,
        /// Whether it is registered.
        registered: bool,
    },
    /// Accept the caller's municipality's pending invitation.
    Accept {
        /// Caller.
        by: Principal,
    },
    /// Leave (an administrator of a member; the founder too).
    Leave {
        /// Caller.
        by: Principal,
    },
}

/// What happened to a network.
#[derive(Debug, Clone, PartialEq)]
pub enum NetworkEvent {
    /// A municipality's administrator created it.
    NetworkCreated {
        /// Its id.
        id: Uuid,
        /// Its name.
        name: Name,
        /// The founding municipality, its first member.
        founder: MunicipalityId,
    },
    /// A member invited a municipality.
    NetworkInvitationSent {
        /// The invited municipality.
        municipality: MunicipalityId,
        /// The member that invited it.
        invited_by: MunicipalityId,
    },
    /// The invited municipality joined.
    NetworkInvitationAccepted {
        /// The municipality that joined.
        municipality: MunicipalityId,
    },
    /// A member left.
    NetworkLeft {
        /// The municipality that left.
        municipality: MunicipalityId,
    },
}

impl DomainEvent for NetworkEvent {
    fn encode(&self) -> EncodedEvent {
        use NetworkEvent as E;
        match self {
            E::NetworkCreated { id, name, founder } => EncodedEvent::of(&pb::NetworkCreated {
                network_id: id.to_string(),
                name: name.as_str().to_owned(),
                founder: founder.to_string(),
            }),
            E::NetworkInvitationSent {
                municipality,
                invited_by,
            } => EncodedEvent::of(&pb::NetworkInvitationSent {
                municipality: municipality.to_string(),
                invited_by: invited_by.to_string(),
            }),
            E::NetworkInvitationAccepted { municipality } => {
                EncodedEvent::of(&pb::NetworkInvitationAccepted {
                    municipality: municipality.to_string(),
                })
            }
            E::NetworkLeft { municipality } => EncodedEvent::of(&pb::NetworkLeft {
                municipality: municipality.to_string(),
            }),
        }
    }

    fn decode(event_type: &str, payload: &[u8]) -> Result<Self, DecodeError> {
        use NetworkEvent as E;
        let municipality = |field, raw: &str| municipality_id(field, raw);
        Ok(match event_type {
            pb::NetworkCreated::NAME => {
                let m: pb::NetworkCreated = message(payload)?;
                E::NetworkCreated {
                    id: Uuid::parse_str(&m.network_id).map_err(DecodeError::new)?,
                    name: Name::parse(Name::SHORT, "name", &m.name)?,
                    founder: municipality("founder", &m.founder)?,
                }
            }
            pb::NetworkInvitationSent::NAME => {
                let m: pb::NetworkInvitationSent = message(payload)?;
                E::NetworkInvitationSent {
                    municipality: municipality("municipality", &m.municipality)?,
                    invited_by: municipality("invited_by", &m.invited_by)?,
                }
            }
            pb::NetworkInvitationAccepted::NAME => {
                let m: pb::NetworkInvitationAccepted = message(payload)?;
                E::NetworkInvitationAccepted {
                    municipality: municipality("municipality", &m.municipality)?,
                }
            }
            pb::NetworkLeft::NAME => {
                let m: pb::NetworkLeft = message(payload)?;
                E::NetworkLeft {
                    municipality: municipality("municipality", &m.municipality)?,
                }
            }
            other => return Err(DecodeError(format!("no network event {other}"))),
        })
    }
}

/// A network as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkRecord {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: Name,
    /// The founding municipality (the stream's owner, member or not).
    pub founder: MunicipalityId,
    /// Its current members.
    pub members: BTreeSet<MunicipalityId>,
    /// The municipalities invited and not yet joined.
    pub invited: BTreeSet<MunicipalityId>,
}

impl NetworkRecord {
    /// Whether `municipality` may know of the network: a current member or invited.
    pub fn knows(&self, municipality: &MunicipalityId) -> bool {
        self.members.contains(municipality) || self.invited.contains(municipality)
    }

    /// The partners of `municipality` through this network: the other current members, if
    /// it is one; none otherwise.
    pub fn partners_of<'a>(
        &'a self,
        municipality: &'a MunicipalityId,
    ) -> impl Iterator<Item = &'a MunicipalityId> {
        let member = self.members.contains(municipality);
        self.members
            .iter()
            .filter(move |m| member && *m != municipality)
    }

    /// Whether the caller's municipality is a member; they must be its administrator.
    fn member(&self, by: &Principal, what: &str) -> Result<(), DirectoryError> {
        require_role(by, &[Role::MunicipalityAdmin], what)?;
        if self.members.contains(&by.municipality) {
            Ok(())
        } else {
            Err(DirectoryError::Rule(format!(
                "{} is not a member of network {}",
                by.municipality, self.id
            )))
        }
    }
}

/// The aggregate: `None` until created.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Network(pub Option<NetworkRecord>);

impl Network {
    /// The record, if the caller's municipality may know of it.
    fn known_to(&self, by: &Principal) -> Result<&NetworkRecord, DirectoryError> {
        self.0
            .as_ref()
            .filter(|r| r.knows(&by.municipality))
            .ok_or(DirectoryError::NotFound)
    }
}

impl Aggregate for Network {
    type Command = NetworkCommand;
    type Event = NetworkEvent;
    type Error = DirectoryError;
    const TYPE: &'static str = "network";

    fn decide(&self, command: NetworkCommand) -> Result<Vec<NetworkEvent>, DirectoryError> {
        use NetworkCommand as C;
        use NetworkEvent as E;
        match command {
            C::Create {
                id,
                by,
                name,
                registered,
            } => {
                require_role(&by, &[Role::MunicipalityAdmin], "creating a network")?;
                if self.0.is_some() {
                    return Err(DirectoryError::Rule(format!("network {id} already exists")));
                }
                if !registered {
                    return Err(not_registered(&by.municipality));
                }
                Ok(vec![E::NetworkCreated {
                    id,
                    name: Name::parse(Name::SHORT, "name", &name)?,
                    founder: by.municipality,
                }])
            }
            C::Invite {
                by,
                municipality,
                registered,
            } => {
                let record = self.known_to(&by)?;
                record.member(&by, "inviting to a network")?;
                if record.members.contains(&municipality) {
                    return Err(DirectoryError::Rule(format!(
                        "{municipality} is already a member of network {}",
                        record.id
                    )));
                }
                if record.invited.contains(&municipality) {
                    return Err(DirectoryError::Rule(format!(
                        "{municipality} already has a pending invitation to network {}",
                        record.id
                    )));
                }
                if !registered {
                    return Err(not_registered(&municipality));
                }
                Ok(vec![E::NetworkInvitationSent {
                    municipality,
                    invited_by: by.municipality,
                }])
            }
            C::Accept { by } => {
                let record = self.known_to(&by)?;
                require_role(&by, &[Role::MunicipalityAdmin], "accepting an invitation")?;
                if !record.invited.contains(&by.municipality) {
                    return Err(DirectoryError::Rule(format!(
                        "{} is already a member of network {}",
                        by.municipality, record.id
                    )));
                }
                Ok(vec![E::NetworkInvitationAccepted {
                    municipality: by.municipality,
                }])
            }
            C::Leave { by } => {
                let record = self.known_to(&by)?;
                record.member(&by, "leaving a network")?;
                Ok(vec![E::NetworkLeft {
                    municipality: by.municipality,
                }])
            }
        }
    }

    fn evolve(self, event: &NetworkEvent) -> Self {
        use NetworkEvent as E;
        if let E::NetworkCreated { id, name, founder } = event {
            return Network(Some(NetworkRecord {
                id: *id,
                name: name.clone(),
                founder: founder.clone(),
                members: BTreeSet::from([founder.clone()]),
                invited: BTreeSet::new(),
            }));
        }
        let Some(mut r) = self.0 else {
            return self;
        };
        match event {
            E::NetworkCreated { .. } => {}
            E::NetworkInvitationSent { municipality, .. } => {
                r.invited.insert(municipality.clone());
            }
            E::NetworkInvitationAccepted { municipality } => {
                r.invited.remove(municipality);
                r.members.insert(municipality.clone());
            }
            E::NetworkLeft { municipality } => {
                r.members.remove(municipality);
            }
        }
        Network(Some(r))
    }

    fn municipality(&self) -> Option<&MunicipalityId> {
        self.0.as_ref().map(|r| &r.founder)
    }
}
