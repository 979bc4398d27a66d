//! Records read by the one read rule ([`crate::access`]), partners included, as every service
//! that holds them applies it, written once: a record the caller may not read answers
//! `NOT_FOUND`, exactly as if it did not exist, whether a command is run on it
//! ([`execute`]), it is read ([`load`]) or its history is asked
//! ([`history`], [`shown`]). The caller's network partners are asked of the directory
//! ([`crate::partners`]) only when a record in question is NETWORK-visible and the caller is
//! not a member of its municipality.

use uuid::Uuid;

use crate::command::{self, CommandContext, CommandError, Executed};
use crate::partners::{Asker, Partners, needs_partners};
use crate::trail::PartnerTrail;
use crate::{
    Access, Aggregate, DomainError, EventStore, Principal, StoreError, StoredEvent, Viewer,
    Visibility,
};

/// An aggregate whose record is read by the read rule: who may see it, and how widely it is
/// shared (with [`Aggregate::municipality`], whether the caller's partners are needed).
pub trait Readable: Aggregate<Error = DomainError> {
    /// How widely the record is shared, once it exists.
    fn visibility(&self) -> Option<Visibility>;

    /// What `viewer` may see of the record; [`Access::None`] while it does not exist.
    fn access(&self, viewer: &Viewer) -> Access;
}

/// Whether `event` of a record shared with a partner shows them anything new: the
/// service's rule of which events replace a part of the record as a whole
/// ([`PartnerTrail`]).
pub type Shows = fn(&mut PartnerTrail<'_>, &StoredEvent) -> Result<bool, StoreError>;

/// Run a command, made for the caller, on record `id` of type `A`, which they must be able
/// to read; `token` is the caller's bearer token, relayed when their network partners are
/// asked of the directory (only for a NETWORK record of another municipality).
pub async fn execute<A: Readable>(
    store: &EventStore,
    partners: &Partners,
    ctx: CommandContext<'_>,
    token: Option<&str>,
    id: Uuid,
    command: impl Fn(Principal) -> A::Command,
) -> Result<Executed<A>, CommandError<DomainError>> {
    let id = id.to_string();
    let mut asker = partners.asker(ctx.principal, token, Some(ctx.correlation_id));
    loop {
        let viewer = asker.viewer();
        let mut needs = false;
        let outcome = command::execute(store, &id, ctx.clone(), |state: &A| {
            if state.access(viewer) != Access::None {
                return state.decide(command(viewer.principal.clone()));
            }
            if let (Some(municipality), Some(visibility)) =
                (state.municipality(), state.visibility())
            {
                needs = needs_partners(&viewer.principal, municipality, visibility);
            }
            Err(DomainError::NotFound)
        })
        .await;
        // Not found without partners, but a partner might see it: ask, and try again.
        if needs && !asker.is_complete() {
            asker.complete().await?;
            continue;
        }
        return outcome;
    }
}

/// Record `id` of type `A` as it stands and its version, if `principal` may read it by the
/// read rule (their network partners asked with their `token` when the record needs them);
/// else `NOT_FOUND`.
pub async fn load<A: Readable>(
    store: &EventStore,
    partners: &Partners,
    principal: &Principal,
    token: Option<&str>,
    id: Uuid,
) -> Result<(A, i64), CommandError<DomainError>> {
    let (state, version) = command::load::<A>(store, &id.to_string()).await?;
    let (Some(municipality), Some(visibility)) = (state.municipality(), state.visibility()) else {
        return Err(CommandError::Domain(DomainError::NotFound));
    };
    let mut asker = partners.asker(principal, token, None);
    let viewer = asker.for_record(municipality, visibility).await?;
    if state.access(viewer) == Access::None {
        return Err(CommandError::Domain(DomainError::NotFound));
    }
    Ok((state, version))
}

/// The events of a record's stream (of type `A`, events of `package`) that the asker may
/// see, the partners asked if the record was ever NETWORK-visible: `NOT_FOUND` if they may
/// not read the record as it stands; else as [`shown`] says.
pub async fn history<A: Readable>(
    asker: &mut Asker<'_>,
    events: Vec<StoredEvent>,
    package: &str,
    shows: Shows,
) -> Result<Vec<StoredEvent>, CommandError<DomainError>> {
    let mut state = A::default();
    for event in &events {
        state = state.evolve(&event.decode::<A::Event>()?);
        if let (Some(municipality), Some(visibility)) = (state.municipality(), state.visibility()) {
            asker.for_record(municipality, visibility).await?;
        }
    }
    shown::<A>(asker.viewer(), events, package, shows)?
        .ok_or(CommandError::Domain(DomainError::NotFound))
}

/// The events of a record's stream (of type `A`, events of `package`) that `viewer` may
/// see: `None` when they may not read the record as it stands; every event for a member who
/// may (also what happened before they could read it, e.g. while it was PRIVATE to others);
/// for a partner, the events after which the record was shared with them (not what it was
/// before, or while it was withdrawn) that show them something new (`shows`,
/// [`PartnerTrail`]). The payloads are redacted by the privacy marks when answered.
pub fn shown<A: Readable>(
    viewer: &Viewer,
    events: Vec<StoredEvent>,
    package: &str,
    shows: Shows,
) -> Result<Option<Vec<StoredEvent>>, StoreError> {
    let decoded = events
        .iter()
        .map(StoredEvent::decode::<A::Event>)
        .collect::<Result<Vec<_>, _>>()?;
    let last = A::from_events(&decoded);
    if last.access(viewer) == Access::None {
        return Ok(None);
    }
    let member = last
        .municipality()
        .is_some_and(|m| viewer.principal.is_member_of(m));
    let mut state = A::default();
    let mut partner = PartnerTrail::new(package, viewer.principal.municipality.as_str());
    let mut shown = Vec::with_capacity(events.len());
    for (event, e) in events.into_iter().zip(decoded) {
        state = state.evolve(&e);
        if member || (state.access(viewer) != Access::None && shows(&mut partner, &event)?) {
            shown.push(event);
        }
    }
    Ok(Some(shown))
}
