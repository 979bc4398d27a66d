//! Command handling of the processes service: load → decide → append through
//! [`innohub_runtime::command::execute`], with the read rule applied first so that a record
//! the caller may not see answers `NOT_FOUND`, exactly as if it did not exist.
//!
//! The read rule needs the caller's network partners for NETWORK-visible records of other
//! municipalities: with a directory client ([`ProcessesApp::with_directory`]) the app asks
//! the directory for them when a record in question needs them
//! ([`innohub_runtime::partners`]).

use std::collections::HashMap;

use innohub_proto::innohub::common::v1::RecordRef;
use innohub_proto::innohub::directory::v1::directory_service_client::DirectoryServiceClient;
use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::command::{CommandContext, CommandError, Executed, execute, load};
use innohub_runtime::grpc::Channel;
use innohub_runtime::partners::{Asker, Partners};
use innohub_runtime::readable;
use innohub_runtime::trail::PartnerTrail;
use innohub_runtime::{Access, Aggregate, EventStore, Principal, StoreError, StoredEvent, Viewer};
use prost::Name as _;
use uuid::Uuid;

use crate::ProcessError;
use crate::domain::backlog::{Backlog, BacklogCommand};
use crate::domain::process::{Process, ProcessCommand};
use crate::domain::scoring::ScoringWeights;
use crate::domain::settings::{MunicipalitySettings, SettingsCommand};
use crate::domain::umbrella::{Candidate, Umbrella, UmbrellaCommand, UmbrellaEvent};

/// The longest aggregate id there is (`settings:` and a municipality); longer ones name none.
const MAX_AGGREGATE_ID: usize = 64;

/// The result type of every command.
pub type Outcome<A> = Result<Executed<A>, CommandError<ProcessError>>;

/// The processes service's command side.
#[derive(Debug, Clone)]
pub struct ProcessesApp {
    store: EventStore,
    partners: Partners,
}

impl ProcessesApp {
    /// Serve commands against `store`. Without a directory ([`Self::with_directory`]) no
    /// caller has network partners: NETWORK records are their municipality's only.
    pub fn new(store: EventStore) -> Self {
        Self {
            store,
            partners: Partners::default(),
        }
    }

    /// Ask `directory` for callers' network partners when the read rule needs them.
    pub fn with_directory(mut self, directory: DirectoryServiceClient<Channel>) -> Self {
        self.partners = Partners::directory(directory);
        self
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
        origin: Option<RecordRef>,
    ) -> Outcome<Process> {
        let id = Uuid::now_v7();
        let by = ctx.principal.clone();
        execute(&self.store, &id.to_string(), ctx, |state: &Process| {
            state.decide(ProcessCommand::Submit {
                id,
                by: by.clone(),
                details: details.clone(),
                origin: origin.clone(),
            })
        })
        .await
    }

    /// Run a command, made for the caller, on an existing process the caller can read
    /// (without the caller's token: see [`Self::on_process_for`]).
    pub async fn on_process(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        command: impl Fn(Principal) -> ProcessCommand,
    ) -> Outcome<Process> {
        self.on_process_for(ctx, None, id, command).await
    }

    /// Run a command, made for the caller, on an existing process the caller can read;
    /// `token` is the caller's bearer token, relayed when their network partners are asked
    /// of the directory (only for a NETWORK process of another municipality).
    pub async fn on_process_for(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        id: Uuid,
        command: impl Fn(Principal) -> ProcessCommand,
    ) -> Outcome<Process> {
        readable::execute(&self.store, &self.partners, ctx, token, id, command).await
    }

    /// Adopt process `origin` for the caller: a new process in their municipality with the
    /// origin's shareable fields and a link to it (see `domain::process::adopt`). `token`
    /// as for [`Self::on_process_for`].
    pub async fn adopt(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        origin: Uuid,
        departments: Vec<String>,
    ) -> Outcome<Process> {
        let (process, _) = load::<Process>(&self.store, &origin.to_string()).await?;
        let Some(record) = process.0 else {
            return Err(CommandError::Domain(ProcessError::NotFound));
        };
        let mut asker = self
            .partners
            .asker(ctx.principal, token, Some(ctx.correlation_id));
        let access = record.access(
            asker
                .for_record(&record.municipality, record.details.visibility)
                .await?,
        );
        let id = Uuid::now_v7();
        let by = ctx.principal.clone();
        let origin = Box::new(record);
        execute(&self.store, &id.to_string(), ctx, |state: &Process| {
            state.decide(ProcessCommand::Adopt {
                id,
                by: by.clone(),
                origin: origin.clone(),
                access,
                departments: departments.clone(),
            })
        })
        .await
    }

    /// Create an umbrella in the caller's municipality; its id is returned in the result.
    pub async fn create_umbrella(
        &self,
        ctx: CommandContext<'_>,
        title: String,
        description: String,
        visibility: i32,
    ) -> Outcome<Umbrella> {
        let id = Uuid::now_v7();
        let by = ctx.principal.clone();
        execute(&self.store, &id.to_string(), ctx, |state: &Umbrella| {
            state.decide(UmbrellaCommand::Create {
                id,
                by: by.clone(),
                title: title.clone(),
                description: description.clone(),
                visibility,
            })
        })
        .await
    }

    /// Add (`add`) or remove process `process` to or from umbrella `umbrella`, which the
    /// caller must be able to read (else `NOT_FOUND`). An added process must be one the
    /// caller can read. `token` as for [`Self::on_process_for`].
    pub async fn umbrella_member(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        umbrella: Uuid,
        process: Uuid,
        add: bool,
    ) -> Outcome<Umbrella> {
        let mut asker = self
            .partners
            .asker(ctx.principal, token, Some(ctx.correlation_id));
        let (current, _) = load::<Umbrella>(&self.store, &umbrella.to_string()).await?;
        let Some(record) = current.0 else {
            return Err(CommandError::Domain(ProcessError::NotFound));
        };
        asker
            .for_record(&record.municipality, record.visibility)
            .await?;
        let candidate = if add {
            let (found, _) = load::<Process>(&self.store, &process.to_string()).await?;
            let Some(found) = found.0 else {
                return Err(CommandError::Domain(ProcessError::NotFound));
            };
            let viewer = asker
                .for_record(&found.municipality, found.details.visibility)
                .await?;
            Some(Candidate {
                id: found.id,
                access: found.access(viewer),
                municipality: found.municipality,
            })
        } else {
            None
        };
        let viewer = asker.viewer();
        execute(
            &self.store,
            &umbrella.to_string(),
            ctx,
            |state: &Umbrella| match &state.0 {
                Some(record) if record.access(viewer) != Access::None => {
                    let by = viewer.principal.clone();
                    state.decide(match &candidate {
                        Some(candidate) => UmbrellaCommand::Add {
                            by,
                            process: candidate.clone(),
                        },
                        None => UmbrellaCommand::Remove { by, process },
                    })
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
    ///
    /// An umbrella's history is read by the umbrella's read rule; of its member events, a
    /// reader gets those about processes they can read now, so that no id of a process
    /// hidden from them leaves through it. `token` as for [`Self::on_process_for`].
    pub async fn history(
        &self,
        principal: &Principal,
        token: Option<&str>,
        aggregate_id: &str,
    ) -> Result<Vec<StoredEvent>, CommandError<ProcessError>> {
        if aggregate_id.len() > MAX_AGGREGATE_ID {
            return Err(CommandError::Domain(ProcessError::NotFound));
        }
        // One read: the events decide the access and are the answer.
        let events = self.store.read_stream(aggregate_id).await?;
        let mut asker = self.partners.asker(principal, token, None);
        let readable = match events.first() {
            Some(first) if first.aggregate_type == Process::TYPE => {
                return readable::history::<Process>(
                    &mut asker,
                    events,
                    pb::ProcessSubmitted::PACKAGE,
                    shows,
                )
                .await;
            }
            Some(first) if first.aggregate_type == Umbrella::TYPE => {
                return self.umbrella_history(&mut asker, events).await;
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

    /// The events of an umbrella's stream that the asker may see (see [`Self::history`]).
    async fn umbrella_history(
        &self,
        asker: &mut Asker<'_>,
        events: Vec<StoredEvent>,
    ) -> Result<Vec<StoredEvent>, CommandError<ProcessError>> {
        let mut umbrella = Umbrella::default();
        let mut decoded = Vec::with_capacity(events.len());
        for event in &events {
            let e: UmbrellaEvent = event.decode()?;
            umbrella = umbrella.evolve(&e);
            decoded.push(e);
        }
        let Some(record) = umbrella.0 else {
            return Err(CommandError::Domain(ProcessError::NotFound));
        };
        let viewer = asker
            .for_record(&record.municipality, record.visibility)
            .await?;
        if record.access(viewer) == Access::None {
            return Err(CommandError::Domain(ProcessError::NotFound));
        }
        let mut readable: HashMap<Uuid, bool> = HashMap::new();
        let mut shown = Vec::with_capacity(events.len());
        for (event, e) in events.into_iter().zip(decoded) {
            let process = match e {
                UmbrellaEvent::UmbrellaCreated { .. } => {
                    shown.push(event);
                    continue;
                }
                UmbrellaEvent::UmbrellaMemberAdded { process, .. }
                | UmbrellaEvent::UmbrellaMemberRemoved { process } => process,
            };
            let sees = match readable.get(&process) {
                Some(sees) => *sees,
                None => {
                    let (found, _) = load::<Process>(&self.store, &process.to_string()).await?;
                    let sees = match found.0 {
                        Some(p) => {
                            let viewer = asker
                                .for_record(&p.municipality, p.details.visibility)
                                .await?;
                            p.access(viewer) != Access::None
                        }
                        None => false,
                    };
                    readable.insert(process, sees);
                    sees
                }
            };
            if sees {
                shown.push(event);
            }
        }
        Ok(shown)
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

/// Whether `event` of a process shared with a partner shows them anything new
/// ([`PartnerTrail`]): the details (`ProcessSubmitted`, `ProcessDetailsChanged`), the
/// assessment and the experience are parts replaced as a whole.
fn shows(trail: &mut PartnerTrail<'_>, event: &StoredEvent) -> Result<bool, StoreError> {
    let details = pb::ProcessDetailsChanged::NAME;
    match event.event_type.as_str() {
        pb::ProcessSubmitted::NAME => {
            let d = event.message::<pb::ProcessSubmitted>()?.details;
            trail.replaces(event, details, &d.unwrap_or_default())
        }
        pb::ProcessDetailsChanged::NAME => {
            let d = event.message::<pb::ProcessDetailsChanged>()?.details;
            trail.replaces(event, details, &d.unwrap_or_default())
        }
        pb::ProcessAssessed::NAME => trail.replaces_payload(event, pb::ProcessAssessed::NAME),
        pb::ProcessExperienceRecorded::NAME => {
            trail.replaces_payload(event, pb::ProcessExperienceRecorded::NAME)
        }
        _ => trail.carries(event),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::{TimeZone as _, Utc};
    use innohub_runtime::{MunicipalityId, Role, UserId};
    use prost::Message as _;

    use super::*;

    const DK: &str = "DK-0706";
    const SE: &str = "SE-1283";

    /// The events of one process's stream that `viewer` may see ([`readable::shown`]).
    fn shown_to(
        viewer: &Viewer,
        events: Vec<StoredEvent>,
    ) -> Result<Option<Vec<StoredEvent>>, StoreError> {
        readable::shown::<Process>(viewer, events, pb::ProcessSubmitted::PACKAGE, shows)
    }

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
            adopted_from: None,
            origin: None,
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
