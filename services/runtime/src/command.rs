//! Command handling shared by every service: load the stream, fold it, decide, append with
//! the expected version; on a lost race decide again on fresh state, a bounded number of times.

use uuid::Uuid;

use crate::metrics::{METRICS, Metrics};
use crate::store::{AppendOutcome, AppendRequest, AppendResult, StreamAppend};
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
    mut decide: F,
) -> Result<Executed<A>, CommandError<A::Error>>
where
    A: Aggregate,
    F: FnMut(&A) -> Result<Vec<A::Event>, A::Error>,
{
    counted(attempt(store, One::<A>::new(id), ctx, |state| {
        decide(state)
    }))
    .await
}

/// Load aggregates `a` and `b`, run `decide` on both states and append both streams' events
/// in ONE transaction, each at the version it was decided on: a command whose rule spans two
/// records (a grant decision: the application and its period's commitments) is written
/// whole or not at all, and a lost race on either stream decides both again.
///
/// The result names the first stream that got events (`a` when both did); its position is
/// the last event's.
pub async fn execute_pair<A, B, F>(
    store: &EventStore,
    (a, b): (&str, &str),
    ctx: CommandContext<'_>,
    mut decide: F,
) -> Result<Executed<(A, B)>, CommandError<A::Error>>
where
    A: Aggregate,
    B: Aggregate<Error = A::Error>,
    F: FnMut(&A, &B) -> Result<(Vec<A::Event>, Vec<B::Event>), A::Error>,
{
    let target = Pair::<A, B> {
        a: One::new(a),
        b: One::new(b),
    };
    counted(attempt(store, target, ctx, |(sa, sb)| decide(sa, sb))).await
}

/// Count the command's outcome in the metrics.
async fn counted<S, E: HasErrorCode>(
    outcome: impl Future<Output = Result<Executed<S>, CommandError<E>>>,
) -> Result<Executed<S>, CommandError<E>> {
    let outcome = outcome.await;
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

/// The streams a command is decided on: one aggregate ([`execute`]) or two
/// ([`execute_pair`]).
trait Target {
    /// What `decide` is given.
    type State;
    /// What `decide` returns.
    type Events;
    /// Why `decide` refuses.
    type Error;
    /// The state and the version of each stream.
    async fn load(&self, store: &EventStore) -> Result<(Self::State, Vec<i64>), StoreError>;
    /// The state after `events`, and the streams to append (none: nothing changes).
    fn apply(
        &self,
        state: Self::State,
        events: Self::Events,
        versions: &[i64],
    ) -> Result<(Self::State, Vec<StreamAppend>), StoreError>;
    /// The stream a command that changed nothing reports.
    fn first_id(&self) -> &str;
}

/// One aggregate of type `A`.
struct One<'a, A> {
    id: &'a str,
    aggregate: std::marker::PhantomData<A>,
}

impl<'a, A> One<'a, A> {
    fn new(id: &'a str) -> Self {
        Self {
            id,
            aggregate: std::marker::PhantomData,
        }
    }
}

impl<A: Aggregate> Target for One<'_, A> {
    type State = A;
    type Events = Vec<A::Event>;
    type Error = A::Error;

    async fn load(&self, store: &EventStore) -> Result<(A, Vec<i64>), StoreError> {
        let (state, version) = load::<A>(store, self.id).await?;
        Ok((state, vec![version]))
    }

    fn apply(
        &self,
        state: A,
        events: Vec<A::Event>,
        versions: &[i64],
    ) -> Result<(A, Vec<StreamAppend>), StoreError> {
        if events.is_empty() {
            return Ok((state, Vec::new()));
        }
        let state = events.iter().fold(state, A::evolve);
        let Some(municipality) = state.municipality().cloned() else {
            return Err(StoreError::Corrupt(format!(
                "{} {} has no municipality",
                A::TYPE,
                self.id
            )));
        };
        let stream = StreamAppend {
            aggregate_type: A::TYPE,
            aggregate_id: self.id.to_owned(),
            expected_version: versions[0],
            municipality,
            events: events.iter().map(DomainEvent::encode).collect(),
        };
        Ok((state, vec![stream]))
    }

    fn first_id(&self) -> &str {
        self.id
    }
}

/// Two aggregates, appended together.
struct Pair<'a, A, B> {
    a: One<'a, A>,
    b: One<'a, B>,
}

impl<A: Aggregate, B: Aggregate<Error = A::Error>> Target for Pair<'_, A, B> {
    type State = (A, B);
    type Events = (Vec<A::Event>, Vec<B::Event>);
    type Error = A::Error;

    async fn load(&self, store: &EventStore) -> Result<((A, B), Vec<i64>), StoreError> {
        let (a, mut versions) = self.a.load(store).await?;
        let (b, b_versions) = self.b.load(store).await?;
        versions.extend(b_versions);
        Ok(((a, b), versions))
    }

    fn apply(
        &self,
        (a, b): (A, B),
        (a_events, b_events): Self::Events,
        versions: &[i64],
    ) -> Result<((A, B), Vec<StreamAppend>), StoreError> {
        let (a, mut streams) = self.a.apply(a, a_events, &versions[..1])?;
        let (b, b_streams) = self.b.apply(b, b_events, &versions[1..])?;
        streams.extend(b_streams);
        Ok(((a, b), streams))
    }

    fn first_id(&self) -> &str {
        self.a.id
    }
}

async fn attempt<T, F>(
    store: &EventStore,
    target: T,
    ctx: CommandContext<'_>,
    mut decide: F,
) -> Result<Executed<T::State>, CommandError<T::Error>>
where
    T: Target,
    F: FnMut(&T::State) -> Result<T::Events, T::Error>,
{
    let request = &fingerprint(ctx.request.as_bytes());
    if let Some(key) = ctx.idempotency_key
        && let Some(first) = store.idempotent_result(ctx.principal, key, request).await?
    {
        return replayed(store, &target, first).await;
    }
    for _ in 0..MAX_ATTEMPTS {
        let (state, versions) = target.load(store).await?;
        let events = decide(&state).map_err(CommandError::Domain)?;
        let (state, mut streams) = target.apply(state, events, &versions)?;
        if streams.is_empty() {
            // Nothing changes (e.g. following twice): report the current state.
            let position = store.head();
            return Ok(Executed {
                state,
                result: AppendResult {
                    aggregate_id: target.first_id().to_owned(),
                    version: versions[0],
                    position,
                },
                replayed: false,
            });
        }
        let first = streams.remove(0);
        let outcome = store
            .append(AppendRequest {
                aggregate_type: first.aggregate_type,
                aggregate_id: first.aggregate_id,
                expected_version: first.expected_version,
                municipality: first.municipality,
                actor: ctx.principal.clone(),
                correlation_id: ctx.correlation_id,
                idempotency_key: ctx.idempotency_key.map(str::to_owned),
                request: request.clone(),
                events: first.events,
                also: streams,
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
            Ok(AppendOutcome::Duplicate(first)) => return replayed(store, &target, first).await,
            Err(StoreError::Conflict) => {
                Metrics::inc(&METRICS.conflicts);
                tracing::debug!(stream = target.first_id(), "lost a race; deciding again");
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

async fn replayed<T: Target>(
    store: &EventStore,
    target: &T,
    first: AppendResult,
) -> Result<Executed<T::State>, CommandError<T::Error>> {
    let (state, _) = target.load(store).await?;
    Ok(Executed {
        state,
        result: first,
        replayed: true,
    })
}
