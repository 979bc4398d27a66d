//! The `ActionItem` aggregate: who does what by when, out of a workshop (and about one of
//! its ideas, maybe). It starts OPEN and is completed or dropped (with a reason) while open;
//! an OPEN item past its deadline is overdue (the read model's to say, by the injectable
//! clock). Its events map to and from the contract's messages in [`ActionItemEvent`]'s
//! `DomainEvent`.

use chrono::NaiveDate;
use innohub_proto::innohub::ideas::v1 as pb;
use innohub_runtime::aggregate::message;
use innohub_runtime::{
    Aggregate, DecodeError, DomainEvent, EncodedEvent, MunicipalityId, Principal, Role, UserId,
};
use prost::Name as _;
use uuid::Uuid;

use super::values::{LINE, TEXT, date, require_role, required, user};
use crate::IdeasError;

/// Where an action item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    /// To be done.
    Open,
    /// Done.
    Done,
    /// Not to be done.
    Dropped,
}

impl ItemStatus {
    /// The name users see, e.g. `DONE`.
    pub fn name(self) -> &'static str {
        match self {
            ItemStatus::Open => "OPEN",
            ItemStatus::Done => "DONE",
            ItemStatus::Dropped => "DROPPED",
        }
    }
}

/// What can be asked of an action item.
#[derive(Debug, Clone)]
pub enum ActionItemCommand {
    /// Add it to a workshop. `id` is chosen by the caller (UUIDv7).
    Add {
        /// New id.
        id: Uuid,
        /// An innovation lead.
        by: Principal,
        /// The workshop it comes out of (the caller's municipality's).
        workshop: Uuid,
        /// The idea it belongs to (the caller's municipality's), if any.
        idea: Option<Uuid>,
        /// What is to be done, as requested.
        title: String,
        /// Who is responsible, as requested.
        owner: String,
        /// The deadline, as requested.
        deadline: String,
    },
    /// Mark it done.
    Complete {
        /// An innovation lead or the item's owner.
        by: Principal,
    },
    /// Drop it.
    Drop {
        /// An innovation lead or the item's owner.
        by: Principal,
        /// Why.
        reason: String,
    },
}

/// What happened to an action item.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionItemEvent {
    /// It was added.
    ActionItemAdded {
        /// Its id.
        id: Uuid,
        /// The municipality that owns it.
        municipality: MunicipalityId,
        /// Its workshop.
        workshop: Uuid,
        /// Its idea, if any.
        idea: Option<Uuid>,
        /// What is to be done.
        title: String,
        /// Who is responsible.
        owner: UserId,
        /// By when.
        deadline: NaiveDate,
    },
    /// It was done.
    ActionItemCompleted,
    /// It was dropped.
    ActionItemDropped {
        /// Why.
        reason: String,
    },
}

impl DomainEvent for ActionItemEvent {
    fn encode(&self) -> EncodedEvent {
        use ActionItemEvent as E;
        match self {
            E::ActionItemAdded {
                id,
                municipality,
                workshop,
                idea,
                title,
                owner,
                deadline,
            } => EncodedEvent::of(&pb::ActionItemAdded {
                item_id: id.to_string(),
                municipality: municipality.to_string(),
                workshop_id: workshop.to_string(),
                idea_id: idea.map(|i| i.to_string()).unwrap_or_default(),
                title: title.clone(),
                owner: owner.to_string(),
                deadline: deadline.to_string(),
            }),
            E::ActionItemCompleted => EncodedEvent::of(&pb::ActionItemCompleted {}),
            E::ActionItemDropped { reason } => EncodedEvent::of(&pb::ActionItemDropped {
                reason: reason.clone(),
            }),
        }
    }

    fn decode(event_type: &str, payload: &[u8]) -> Result<Self, DecodeError> {
        use ActionItemEvent as E;
        let id = |raw: &str| Uuid::parse_str(raw).map_err(DecodeError::new);
        Ok(match event_type {
            pb::ActionItemAdded::NAME => {
                let m: pb::ActionItemAdded = message(payload)?;
                E::ActionItemAdded {
                    id: id(&m.item_id)?,
                    municipality: MunicipalityId::parse(&m.municipality).map_err(DecodeError)?,
                    workshop: id(&m.workshop_id)?,
                    idea: match m.idea_id.as_str() {
                        "" => None,
                        raw => Some(id(raw)?),
                    },
                    title: required(LINE, "title", &m.title)?,
                    owner: user("owner", &m.owner)?,
                    deadline: date("deadline", &m.deadline)?,
                }
            }
            pb::ActionItemCompleted::NAME => {
                message::<pb::ActionItemCompleted>(payload)?;
                E::ActionItemCompleted
            }
            pb::ActionItemDropped::NAME => {
                let m: pb::ActionItemDropped = message(payload)?;
                E::ActionItemDropped {
                    reason: required(TEXT, "reason", &m.reason)?,
                }
            }
            other => return Err(DecodeError(format!("no action item event {other}"))),
        })
    }
}

/// An action item as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionItemRecord {
    /// Its id.
    pub id: Uuid,
    /// The municipality that owns it.
    pub municipality: MunicipalityId,
    /// Who is responsible.
    pub owner: UserId,
    /// By when.
    pub deadline: NaiveDate,
    /// Where it stands.
    pub status: ItemStatus,
}

impl ActionItemRecord {
    /// The item, if it is OPEN and `by` may close it (an innovation lead or its owner).
    fn closable_by(&self, by: &Principal, what: &str) -> Result<&Self, IdeasError> {
        if !(by.has(Role::InnovationLead) || by.user == self.owner) {
            return Err(IdeasError::Forbidden(format!(
                "only an innovation lead or the item's owner may {what} it"
            )));
        }
        if self.status != ItemStatus::Open {
            return Err(IdeasError::Rule(format!(
                "the action item is {}: only an open one is completed or dropped",
                self.status.name()
            )));
        }
        Ok(self)
    }
}

/// The aggregate: `None` until added.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionItem(pub Option<ActionItemRecord>);

impl Aggregate for ActionItem {
    type Command = ActionItemCommand;
    type Event = ActionItemEvent;
    type Error = IdeasError;
    const TYPE: &'static str = "action_item";

    fn decide(&self, command: ActionItemCommand) -> Result<Vec<ActionItemEvent>, IdeasError> {
        use ActionItemCommand as C;
        use ActionItemEvent as E;
        match command {
            C::Add {
                id,
                by,
                workshop,
                idea,
                title,
                owner,
                deadline,
            } => {
                if self.0.is_some() {
                    return Err(IdeasError::Rule(format!("action item {id} already exists")));
                }
                require_role(&by, &[Role::InnovationLead], "adding an action item")?;
                Ok(vec![E::ActionItemAdded {
                    id,
                    municipality: by.municipality,
                    workshop,
                    idea,
                    title: required(LINE, "title", &title)?,
                    owner: user("owner", &owner)?,
                    deadline: date("deadline", &deadline)?,
                }])
            }
            C::Complete { by } => {
                let record = self.0.as_ref().ok_or(IdeasError::NotFound)?;
                record.closable_by(&by, "complete")?;
                Ok(vec![E::ActionItemCompleted])
            }
            C::Drop { by, reason } => {
                let record = self.0.as_ref().ok_or(IdeasError::NotFound)?;
                record.closable_by(&by, "drop")?;
                Ok(vec![E::ActionItemDropped {
                    reason: required(TEXT, "reason", &reason)?,
                }])
            }
        }
    }

    fn evolve(self, event: &ActionItemEvent) -> Self {
        use ActionItemEvent as E;
        match (self.0, event) {
            (
                _,
                E::ActionItemAdded {
                    id,
                    municipality,
                    owner,
                    deadline,
                    ..
                },
            ) => ActionItem(Some(ActionItemRecord {
                id: *id,
                municipality: municipality.clone(),
                owner: owner.clone(),
                deadline: *deadline,
                status: ItemStatus::Open,
            })),
            (Some(mut r), E::ActionItemCompleted) => {
                r.status = ItemStatus::Done;
                ActionItem(Some(r))
            }
            (Some(mut r), E::ActionItemDropped { .. }) => {
                r.status = ItemStatus::Dropped;
                ActionItem(Some(r))
            }
            (None, _) => ActionItem(None),
        }
    }

    fn municipality(&self) -> Option<&MunicipalityId> {
        self.0.as_ref().map(|r| &r.municipality)
    }
}
