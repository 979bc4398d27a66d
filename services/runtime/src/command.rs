//! Command handling shared by every service: load the stream, fold it, decide, append with
//! the expected version; on a lost race decide again on fresh state, a bounded number of times.

use uuid::Uuid;

use crate::metrics::{METRICS, Metrics};
use crate::store::{AppendOutcome, AppendRequest, AppendResult};
use crate::{Aggregate, DomainEvent, ErrorCode, EventStore, HasErrorCode, Principal, StoreError};

/// How many times a command is decided again after losing a race before `CONFLICT`.
const MAX_ATTEMPTS: usize = 8;

/// Why a command did not take effect.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E> {
    /// The domain refused it.
    #[error(transparent)]
    Domain(E),
    /// Storage failed, or the race was lost too often.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<E: HasErrorCode> HasErrorCode for CommandError<E> {
    fn code(&self) -> ErrorCode {
        match self {
            CommandError::Domain(e) => e.code(),
            CommandError::Store(e) => e.code(),
        }
    }
}

/// The result of a command that took effect (now, or on an earlier try with the same key).
#[derive(Debug, Clone)]
pub struct Executed<A> {
    /// The aggregate's state after the command.
    pub state: A,
    /// Where its events landed; `position` is the consistency token.
    pub result: AppendResult,
    /// The idempotency key had been used: nothing new was appended.
    pub replayed: bool,
}

/// Who sends a command and how to recognise a retry of it.
#[derive(Debug, Clone)]
pub struct CommandContext<'a> {
    /// The caller.
    pub principal: &'a Principal,
    /// The client's idempotency key, if any.
    pub idempotency_key: Option<&'a str>,
    /// Ties together everything one request caused.
    pub correlation_id: Uuid,
    /// What the command asks for, without generated ids (the gRPC adapter uses the method
    /// and the request's bytes): a retry with the same idempotency key must ask for the same.
    pub request: &'a str,
}

/// A short, stable fingerprint of a command's request (FNV-1a, 64 bit, hex), stored with its
/// idempotency key so that the key cannot be replayed for a different request.
pub fn fingerprint(request: &[u8]) -> String {
    let hash = request.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// Load aggregate `id`, run `decide` on its state and append the events.
///
/// The context's `request` describes what is asked. `decide` may run several times (after a
/// lost race), always on fresh state.
pub async fn execute<A, F>(
    store: &EventStore,
    id: &str,
    ctx: CommandContext<'_>,
    decide: F,
) -> Result<Executed<A>, CommandError<A::Error>>
where
    A: Aggregate,
    F: FnMut(&A) -> Result<Vec<A::Event>, A::Error>,
{
    let outcome = attempt(store, id, ctx, decide).await;
    let counter = match &outcome {
        Ok(_) => &METRICS.commands_ok,
        Err(e) if matches!(e.code(), ErrorCode::Internal | ErrorCode::Conflict) => {
            &METRICS.commands_failed
        }
        Err(_) => &METRICS.commands_rejected,
    };
    Metrics::inc(counter);
    outcome
}

async fn attempt<A, F>(
    store: &EventStore,
    id: &str,
    ctx: CommandContext<'_>,
    mut decide: F,
) -> Result<Executed<A>, CommandError<A::Error>>
where
    A: Aggregate,
    F: FnMut(&A) -> Result<Vec<A::Event>, A::Error>,
{
    let request = &fingerprint(ctx.request.as_bytes());
    if let Some(key) = ctx.idempotency_key
        && let Some(first) = store.idempotent_result(ctx.principal, key, request).await?
    {
        return replayed(store, first).await;
    }
    for _ in 0..MAX_ATTEMPTS {
        let (state, version) = load::<A>(store, id).await?;
        let events = decide(&state).map_err(CommandError::Domain)?;
        if events.is_empty() {
            // Nothing changes (e.g. following twice): report the current state.
            let position = store.head();
            return Ok(Executed {
                state,
                result: AppendResult {
                    aggregate_id: id.to_owned(),
                    version,
                    position,
                },
                replayed: false,
            });
        }
        let state = events.iter().fold(state, A::evolve);
        let Some(municipality) = state.municipality().cloned() else {
            return Err(
                StoreError::Corrupt(format!("{} {id} has no municipality", A::TYPE)).into(),
            );
        };
        let new_events = events.iter().map(DomainEvent::encode).collect();
        let outcome = store
            .append(AppendRequest {
                aggregate_type: A::TYPE,
                aggregate_id: id.to_owned(),
                expected_version: version,
                municipality,
                actor: ctx.principal.clone(),
                correlation_id: ctx.correlation_id,
                idempotency_key: ctx.idempotency_key.map(str::to_owned),
                request: request.clone(),
                events: new_events,
            })
            .await;
        match outcome {
            Ok(AppendOutcome::Appended(result)) => {
                return Ok(Executed {
                    state,
                    result,
                    replayed: false,
                });
            }
            Ok(AppendOutcome::Duplicate(first)) => return replayed(store, first).await,
            Err(StoreError::Conflict) => {
                Metrics::inc(&METRICS.conflicts);
                tracing::debug!(aggregate = A::TYPE, id, "lost a race; deciding again");
                continue;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Conflict.into())
}

/// The current state and version of an aggregate (version 0: it does not exist). An id
/// whose stream is another aggregate type's is [`StoreError::OtherRecord`]: the store may
/// hold several services' streams (embedded mode) and a service several types.
pub async fn load<A: Aggregate>(store: &EventStore, id: &str) -> Result<(A, i64), StoreError> {
    let stored = store.read_stream(id).await?;
    if stored.first().is_some_and(|e| e.aggregate_type != A::TYPE) {
        return Err(StoreError::OtherRecord);
    }
    let version = stored.last().map_or(0, |e| e.sequence);
    let mut state = A::default();
    for event in &stored {
        state = state.evolve(&event.decode::<A::Event>()?);
    }
    Ok((state, version))
}

async fn replayed<A: Aggregate>(
    store: &EventStore,
    first: AppendResult,
) -> Result<Executed<A>, CommandError<A::Error>> {
    let (state, _) = load::<A>(store, &first.aggregate_id).await?;
    Ok(Executed {
        state,
        result: first,
        replayed: true,
    })
}
