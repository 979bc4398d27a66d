//! The `Workshop` aggregate: a workshop as it was held, recorded once with its shared
//! summary and outcomes; its follow-up is its action items (`super::action_item`). Its
//! details are the contract's `WorkshopDetails` once checked, and its event maps to and from
//! the contract's message in [`WorkshopEvent`]'s `DomainEvent`.

use innohub_proto::innohub::ideas::v1 as pb;
use innohub_runtime::aggregate::{message, required};
use innohub_runtime::{
    Aggregate, DecodeError, DomainEvent, EncodedEvent, MunicipalityId, Principal, Role,
};
use prost::Name as _;
use uuid::Uuid;

use super::values::{
    self, LINE, TEXT, TITLE, date, list, optional, reference, require_role, texts,
};
use crate::IdeasError;

/// What a workshop was: the contract's message, checked and trimmed, with the records it
/// names parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkshopDetails {
    details: pb::WorkshopDetails,
    challenge: Option<Uuid>,
    ideas: Vec<Uuid>,
}

impl WorkshopDetails {
    /// The challenge it worked on, if any.
    pub fn challenge(&self) -> Option<Uuid> {
        self.challenge
    }

    /// The ideas it worked on.
    pub fn ideas(&self) -> &[Uuid] {
        &self.ideas
    }
}

impl TryFrom<pb::WorkshopDetails> for WorkshopDetails {
    type Error = IdeasError;

    fn try_from(d: pb::WorkshopDetails) -> Result<Self, IdeasError> {
        let challenge = reference("challengeId", "challenge", &d.challenge_id)?;
        let ideas = list("ideaIds", &d.idea_ids, 50, |raw| {
            Uuid::parse_str(raw.trim()).map_err(|_| "no such idea".to_owned())
        })?;
        Ok(Self {
            details: pb::WorkshopDetails {
                title: values::required(TITLE, "title", &d.title)?,
                date: date("date", &d.date)?.to_string(),
                facilitator: optional(LINE, "facilitator", &d.facilitator)?,
                participants: texts(LINE, "participants", &d.participants, 200)?,
                challenge_id: challenge.map(|c| c.to_string()).unwrap_or_default(),
                idea_ids: ideas.iter().map(ToString::to_string).collect(),
                summary: values::required(TEXT, "summary", &d.summary)?,
                outcomes: texts(LINE, "outcomes", &d.outcomes, 50)?,
            },
            challenge,
            ideas,
        })
    }
}

impl From<&WorkshopDetails> for pb::WorkshopDetails {
    fn from(d: &WorkshopDetails) -> Self {
        d.details.clone()
    }
}

/// What can be asked of a workshop.
#[derive(Debug, Clone)]
pub enum WorkshopCommand {
    /// Record it. `id` is chosen by the caller (UUIDv7).
    Record {
        /// New id.
        id: Uuid,
        /// An innovation lead.
        by: Principal,
        /// What happened; the records it names are the caller's municipality's.
        details: WorkshopDetails,
    },
}

/// What happened to a workshop.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkshopEvent {
    /// It was recorded.
    WorkshopRecorded {
        /// Its id.
        id: Uuid,
        /// The municipality that held it.
        municipality: MunicipalityId,
        /// What happened.
        details: WorkshopDetails,
    },
}

impl DomainEvent for WorkshopEvent {
    fn encode(&self) -> EncodedEvent {
        let WorkshopEvent::WorkshopRecorded {
            id,
            municipality,
            details,
        } = self;
        EncodedEvent::of(&pb::WorkshopRecorded {
            workshop_id: id.to_string(),
            municipality: municipality.to_string(),
            details: Some(details.into()),
        })
    }

    fn decode(event_type: &str, payload: &[u8]) -> Result<Self, DecodeError> {
        match event_type {
            pb::WorkshopRecorded::NAME => {
                let m: pb::WorkshopRecorded = message(payload)?;
                Ok(WorkshopEvent::WorkshopRecorded {
                    id: Uuid::parse_str(&m.workshop_id).map_err(DecodeError::new)?,
                    municipality: MunicipalityId::parse(&m.municipality).map_err(DecodeError)?,
                    details: required(m.details, "details")?.try_into()?,
                })
            }
            other => Err(DecodeError(format!("no workshop event {other}"))),
        }
    }
}

/// A workshop as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkshopRecord {
    /// Its id.
    pub id: Uuid,
    /// The municipality that held it.
    pub municipality: MunicipalityId,
    /// What happened.
    pub details: WorkshopDetails,
}

/// The aggregate: `None` until recorded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workshop(pub Option<WorkshopRecord>);

impl Aggregate for Workshop {
    type Command = WorkshopCommand;
    type Event = WorkshopEvent;
    type Error = IdeasError;
    const TYPE: &'static str = "workshop";

    fn decide(&self, command: WorkshopCommand) -> Result<Vec<WorkshopEvent>, IdeasError> {
        let WorkshopCommand::Record { id, by, details } = command;
        if self.0.is_some() {
            return Err(IdeasError::Rule(format!("workshop {id} already exists")));
        }
        require_role(&by, &[Role::InnovationLead], "recording a workshop")?;
        Ok(vec![WorkshopEvent::WorkshopRecorded {
            id,
            municipality: by.municipality,
            details,
        }])
    }

    fn evolve(self, event: &WorkshopEvent) -> Self {
        let WorkshopEvent::WorkshopRecorded {
            id,
            municipality,
            details,
        } = event;
        Workshop(Some(WorkshopRecord {
            id: *id,
            municipality: municipality.clone(),
            details: details.clone(),
        }))
    }

    fn municipality(&self) -> Option<&MunicipalityId> {
        self.0.as_ref().map(|r| &r.municipality)
    }
}
