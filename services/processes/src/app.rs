//! Command handling of the processes service: load → decide → append through
//! [`innohub_runtime::command::execute`], with the read rule applied first so that a record
//! the caller may not see answers `NOT_FOUND`, exactly as if it did not exist.

use std::collections::HashMap;

use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::command::{CommandContext, CommandError, Executed, execute, load};
use innohub_runtime::reflect::{redact, redact_payload};
use innohub_runtime::{
    Access, Aggregate, DecodeError, EventStore, Principal, StoreError, StoredEvent, Viewer,
};
use prost::{Message as _, Name as _};
use uuid::Uuid;

use crate::ProcessError;
use crate::domain::backlog::{Backlog, BacklogCommand};
use crate::domain::process::{Process, ProcessCommand};
use crate::domain::scoring::ScoringWeights;
use crate::domain::settings::{MunicipalitySettings, SettingsCommand};

/// The longest aggregate id there is (`settings:` and a municipality); longer ones name none.
const MAX_AGGREGATE_ID: usize = 64;

/// The result type of every command.
pub type Outcome<A> = Result<Executed<A>, CommandError<ProcessError>>;

/// The processes service's command side.
#[derive(Debug, Clone)]
pub struct ProcessesApp {
    store: EventStore,
}

impl ProcessesApp {
    /// Serve commands against `store`.
    pub fn new(store: EventStore) -> Self {
        Self { store }
    }

    /// The store commands append to.
    pub fn store(&self) -> &EventStore {
        &self.store
    }

    /// Report a new candidate; its id is returned in the result.
    pub async fn submit(
        &self,
        ctx: CommandContext<'_>,
        details: pb::ProcessDetails,
    ) -> Outcome<Process> {
        let id = Uuid::now_v7();
        let by = ctx.principal.clone();
        execute(&self.store, &id.to_string(), ctx, |state: &Process| {
            state.decide(ProcessCommand::Submit {
                id,
                by: by.clone(),
                details: details.clone(),
            })
        })
        .await
    }

    /// Run a command, made for the caller, on an existing process the caller can read.
    pub async fn on_process(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        command: impl Fn(Principal) -> ProcessCommand,
    ) -> Outcome<Process> {
        let viewer = Viewer::new(ctx.principal.clone());
        execute(
            &self.store,
            &id.to_string(),
            ctx,
            |state: &Process| match &state.0 {
                Some(record) if record.access(&viewer) != Access::None => {
                    state.decide(command(viewer.principal.clone()))
                }
                _ => Err(ProcessError::NotFound),
            },
        )
        .await
    }

    /// Run a command, made for the caller, on their municipality's backlog about process
    /// `id`, which must be one of their municipality's own.
    pub async fn on_backlog(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        command: impl Fn(Principal) -> BacklogCommand,
    ) -> Outcome<Backlog> {
        self.own_process(&ctx, id).await?;
        let by = ctx.principal.clone();
        let stream = Backlog::stream_id(&by.municipality);
        execute(&self.store, &stream, ctx, |state: &Backlog| {
            state.decide(command(by.clone()))
        })
        .await
    }

    /// Replace the caller's municipality's scoring weights.
    pub async fn set_scoring_weights(
        &self,
        ctx: CommandContext<'_>,
        weights: ScoringWeights,
    ) -> Outcome<MunicipalitySettings> {
        let by = ctx.principal.clone();
        let stream = MunicipalitySettings::stream_id(&by.municipality);
        execute(&self.store, &stream, ctx, |state: &MunicipalitySettings| {
            state.decide(SettingsCommand::SetScoringWeights {
                by: by.clone(),
                weights: weights.clone(),
            })
        })
        .await
    }

    /// The events of a record the caller can read, oldest first (its audit trail): a
    /// process by the read rule; a municipality's backlog or settings by its members only.
    /// Anything else is `NOT_FOUND`, exactly like a record that does not exist.
    ///
    /// Members of the owning municipality get every event. A partner gets only the events
    /// that showed them something new ([`PartnerTrail`]), so that the count, the times
    /// and the order of their history say nothing about what the owner does not share.
    pub async fn history(
        &self,
        principal: &Principal,
        aggregate_id: &str,
    ) -> Result<Vec<StoredEvent>, CommandError<ProcessError>> {
        if aggregate_id.len() > MAX_AGGREGATE_ID {
            return Err(CommandError::Domain(ProcessError::NotFound));
        }
        // One read: the events decide the access and are the answer.
        let events = self.store.read_stream(aggregate_id).await?;
        let readable = match events.first() {
            Some(first) if first.aggregate_type == Process::TYPE => {
                return shown_to(&Viewer::new(principal.clone()), events)?
                    .ok_or(CommandError::Domain(ProcessError::NotFound));
            }
            Some(first) => {
                [Backlog::TYPE, MunicipalitySettings::TYPE].contains(&first.aggregate_type.as_str())
                    && first.municipality == principal.municipality.as_str()
            }
            None => false,
        };
        if readable {
            Ok(events)
        } else {
            Err(CommandError::Domain(ProcessError::NotFound))
        }
    }

    /// A process the caller's municipality owns and the caller can read.
    async fn own_process(
        &self,
        ctx: &CommandContext<'_>,
        id: Uuid,
    ) -> Result<(), CommandError<ProcessError>> {
        let (process, _) = load::<Process>(&self.store, &id.to_string()).await?;
        match process
            .0
            .map(|r| r.access(&Viewer::new(ctx.principal.clone())))
        {
            Some(Access::Full) => Ok(()),
            Some(Access::Partner) => Err(CommandError::Domain(ProcessError::invalid(
                "id",
                "only your own municipality's processes can be ranked",
            ))),
            _ => Err(CommandError::Domain(ProcessError::NotFound)),
        }
    }
}

/// The events of one process's stream that `viewer` may see: `None` when they may not read
/// the process as it stands; every event for a member who may; for a partner, those that
/// show them something new ([`PartnerTrail`]).
fn shown_to(
    viewer: &Viewer,
    events: Vec<StoredEvent>,
) -> Result<Option<Vec<StoredEvent>>, StoreError> {
    let mut process = Process::default();
    let mut partner = PartnerTrail::default();
    let mut shown = Vec::new();
    for event in events {
        process = process.evolve(&event.decode()?);
        let Some(record) = &process.0 else { continue };
        match record.access(viewer) {
            Access::Full => shown.push(event),
            Access::Partner => {
                if partner.shows(&event, viewer.principal.municipality.as_str())? {
                    shown.push(event);
                }
            }
            // Members see what happened before they could read it, e.g. while the process
            // was PRIVATE to others; partners do not ([`PartnerTrail`]).
            Access::None if viewer.principal.is_member_of(&record.municipality) => {
                shown.push(event)
            }
            Access::None => {}
        }
    }
    Ok(match process.0.map(|r| r.access(viewer)) {
        Some(Access::Full | Access::Partner) => Some(shown),
        _ => None,
    })
}

/// What a partner's history has shown them so far, to decide whether the next event shows
/// them anything new ([`PartnerTrail::shows`]).
///
/// The rule ("shown to partner"), for a reader from another municipality:
/// - only events after which the process is shared with the reader: what happened while it
///   was not (before it was made PUBLIC, say, or while it was withdrawn) is the owner's
///   unshared state, earlier titles included. The first event after which it is shared
///   carries its details as they were then;
/// - of the events that replace a part of the process as a whole (the details:
///   `ProcessSubmitted`, `ProcessDetailsChanged`; `ProcessAssessed`;
///   `ProcessExperienceRecorded`), only those whose part, redacted for the reader by the
///   contract's privacy marks, differs from the part as the reader was last shown it. An
///   edit of internal notes, people or departments alone shows nothing; neither does
///   withdrawing a process and sharing it again unchanged;
/// - of the other events (phase, status, comments, follows), those whose redacted payload
///   carries anything at all (is not the empty message).
///
/// The events carry no field masks (`ProcessDetailsChanged` holds the complete details), so
/// no internal field's name leaves through them.
#[derive(Debug, Default)]
struct PartnerTrail {
    /// Per replaced part (the event type that holds it; the details under
    /// `ProcessDetailsChanged`): the redacted part as last shown, encoded.
    last: HashMap<&'static str, Vec<u8>>,
}

impl PartnerTrail {
    /// Whether `event`, of a process shared with a reader from `reader` (a municipality
    /// other than the owner), shows that reader anything new; if it does, it is taken as
    /// shown.
    fn shows(&mut self, event: &StoredEvent, reader: &str) -> Result<bool, StoreError> {
        let owner = event.municipality.as_str();
        let corrupt = |e: DecodeError| {
            StoreError::Corrupt(format!(
                "event {} ({}): {e}",
                event.event_id, event.event_type
            ))
        };
        let details = |d: Option<pb::ProcessDetails>| -> Result<Vec<u8>, StoreError> {
            let d = d.unwrap_or_default();
            Ok(redact(&d, owner, reader).map_err(corrupt)?.encode_to_vec())
        };
        let (part, seen) = match event.event_type.as_str() {
            pb::ProcessSubmitted::NAME => (
                pb::ProcessDetailsChanged::NAME,
                details(event.message::<pb::ProcessSubmitted>()?.details)?,
            ),
            pb::ProcessDetailsChanged::NAME => (
                pb::ProcessDetailsChanged::NAME,
                details(event.message::<pb::ProcessDetailsChanged>()?.details)?,
            ),
            pb::ProcessAssessed::NAME => (pb::ProcessAssessed::NAME, redacted(event, reader)?),
            pb::ProcessExperienceRecorded::NAME => (
                pb::ProcessExperienceRecorded::NAME,
                redacted(event, reader)?,
            ),
            _ => return Ok(!redacted(event, reader)?.is_empty()),
        };
        if self.last.get(part) == Some(&seen) {
            return Ok(false);
        }
        self.last.insert(part, seen);
        Ok(true)
    }
}

/// The payload of `event` redacted for a reader from `reader`.
fn redacted(event: &StoredEvent, reader: &str) -> Result<Vec<u8>, StoreError> {
    redact_payload(
        &format!("{}.{}", pb::ProcessSubmitted::PACKAGE, event.event_type),
        &event.payload,
        &event.municipality,
        reader,
    )
    .map_err(|e| StoreError::Corrupt(format!("event {}: {e}", event.event_id)))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::{TimeZone as _, Utc};
    use innohub_runtime::{MunicipalityId, Role, UserId};

    use super::*;

    const DK: &str = "DK-0706";
    const SE: &str = "SE-1283";

    fn viewer(user: &str, municipality: &str) -> Viewer {
        Viewer::new(Principal {
            user: UserId::parse(user).unwrap(),
            municipality: MunicipalityId::parse(municipality).unwrap(),
            department: None,
            roles: BTreeSet::from([Role::Employee]),
        })
    }

    fn details(title: &str, visibility: pb::Visibility) -> pb::ProcessDetails {
        pb::ProcessDetails {
            title: title.into(),
            visibility: visibility as i32,
            ..crate::domain::tests::fields()
        }
    }

    /// A stream of `messages`, one event each, a minute apart.
    fn stream(messages: Vec<(&str, Vec<u8>)>) -> Vec<StoredEvent> {
        let id = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
        messages
            .into_iter()
            .zip(1..)
            .map(|((event_type, payload), sequence)| StoredEvent {
                position: sequence * 10,
                event_id: Uuid::now_v7(),
                municipality: DK.into(),
                aggregate_type: Process::TYPE.into(),
                aggregate_id: id.to_string(),
                sequence,
                event_type: event_type.into(),
                payload,
                actor_user: "anna".into(),
                actor_municipality: DK.into(),
                occurred_at: Utc.timestamp_opt(1_750_000_000 + sequence * 60, 0).unwrap(),
                correlation_id: Uuid::now_v7(),
                causation_id: None,
            })
            .collect()
    }

    fn submitted(d: pb::ProcessDetails) -> (&'static str, Vec<u8>) {
        let id = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
        let e = pb::ProcessSubmitted {
            process_id: id.to_string(),
            municipality: DK.into(),
            reporter: "anna".into(),
            details: Some(d),
        };
        (pb::ProcessSubmitted::NAME, e.encode_to_vec())
    }

    fn changed(d: pb::ProcessDetails) -> (&'static str, Vec<u8>) {
        let e = pb::ProcessDetailsChanged { details: Some(d) };
        (pb::ProcessDetailsChanged::NAME, e.encode_to_vec())
    }

    fn status(from: pb::Status, to: pb::Status) -> (&'static str, Vec<u8>) {
        let e = pb::ProcessStatusChanged {
            from: from as i32,
            to: to as i32,
            reason: String::new(),
        };
        (pb::ProcessStatusChanged::NAME, e.encode_to_vec())
    }

    fn sequences(events: &[StoredEvent]) -> Vec<i64> {
        events.iter().map(|e| e.sequence).collect()
    }

    #[test]
    fn a_partner_sees_only_the_events_that_show_them_something_new() {
        use pb::Visibility::{Municipality, Public};
        let internal_edit = {
            let mut d = details("Sygedagpenge", Public);
            d.internal_notes = "Kun til internt brug".into();
            d.owner = "olle".into();
            d.departments.push("it".into());
            d
        };
        // Given a process kept to its municipality, renamed, then shared, then edited
        // internally, put on hold, withdrawn, renamed and shared again, and shared unchanged.
        let events = stream(vec![
            submitted(details("Arbejdstitel", Municipality)),
            changed(details("Sygedagpenge", Municipality)),
            changed(details("Sygedagpenge", Public)),
            changed(internal_edit.clone()),
            status(pb::Status::NotAssessed, pb::Status::InProgress),
            changed(details("Sygedagpenge", Municipality)),
            changed(details("Sygedagpenge sager", Municipality)),
            changed(details("Sygedagpenge sager", Public)),
            changed(details("Sygedagpenge sager", Municipality)),
            changed(details("Sygedagpenge sager", Public)),
        ]);
        // When a partner reads its history, then they see it from when it was shared, and
        // only what changed for them: the status, the new title.
        let partner = shown_to(&viewer("sven", SE), events.clone())
            .unwrap()
            .unwrap();
        assert_eq!(sequences(&partner), [3, 5, 8]);
        // The owner's members see every event.
        let member = shown_to(&viewer("bo", DK), events.clone())
            .unwrap()
            .unwrap();
        assert_eq!(member, events);
    }

    #[test]
    fn a_process_that_is_not_shared_has_no_history_for_partners() {
        let events = stream(vec![submitted(details(
            "Arbejdstitel",
            pb::Visibility::Municipality,
        ))]);
        assert_eq!(shown_to(&viewer("sven", SE), events).unwrap(), None);
    }
}
