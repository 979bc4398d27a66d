//! Live subscriptions: the backlog of a municipality and single records, pushed to the
//! subscriber as the read models change (GraphQL over WebSocket, `crate::websocket`).
//!
//! They are fed by the projections' change notifications ([`innohub_runtime::changes`]):
//! a subscription wakes when the read model behind it has committed a change of its record
//! (or of a process of its municipality), drains what else is queued (a burst is one
//! delivery), and reads the record again AS THE SUBSCRIBER, with the one read rule and
//! their network partners as they are now. A record the subscriber may not read is never
//! delivered: a change of an unshared process of another municipality wakes a partner's
//! subscription, which reads nothing and stays silent. A notification is only a hint; one
//! that was missed (a receiver that lagged behind) counts as a change, so nothing is lost
//! but a duplicate may be sent.
//!
//! Each connection holds at most [`MAX_SUBSCRIPTIONS`]; the active ones are counted in
//! `innohub_subscriptions`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::{Context, ID, Object, OutputType, Subscription};
use futures::Stream;
use innohub_projections::queries::ProcessList;
use innohub_projections::{
    FundingQueries, FundingViews, IdeaQueries, IdeaViews, PilotQueries, PilotViews, ProcessViews,
};
use innohub_runtime::changes::{Changed, Changes};
use innohub_runtime::metrics::METRICS;
use innohub_runtime::projection::Projection;
use innohub_runtime::{ErrorCode, MunicipalityId, Viewer};
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use uuid::Uuid;

use super::funding::Application;
use super::ideas::Idea;
use super::pilots::Pilot;
use super::types::{Process, named_or_own};
use super::{
    ConsistencyToken, Services, error, from_service, record_id, refreshed, services, viewer,
};

/// Most subscriptions one connection may hold at once.
pub const MAX_SUBSCRIPTIONS: usize = 20;
/// Most processes of one change whose readability a backlog subscription checks (a bulk
/// import of another municipality's unshared processes is not read a thousand times).
const MAX_CHECKED: usize = 100;
/// The aggregate types, besides processes, whose changes move a municipality's backlog:
/// its explicit ranking and its scoring weights.
const RANKING: [&str; 2] = ["backlog", "municipality_settings"];
/// Longest backlog a change delivers.
const MAX_BACKLOG: i32 = 100;

/// What one WebSocket connection shares between its subscriptions: how many are open.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    open: Arc<AtomicUsize>,
}

/// One admitted subscription; counted until it is dropped (completed, or its connection
/// closed).
struct Admitted {
    open: Arc<AtomicUsize>,
}

impl Admitted {
    /// Admit one more subscription on the connection of `ctx`, within [`MAX_SUBSCRIPTIONS`].
    fn on(ctx: &Context<'_>) -> async_graphql::Result<Self> {
        let open = ctx
            .data_opt::<Connection>()
            .map(|c| c.open.clone())
            .unwrap_or_default();
        if open.fetch_add(1, Ordering::AcqRel) >= MAX_SUBSCRIPTIONS {
            open.fetch_sub(1, Ordering::AcqRel);
            return Err(error(
                ErrorCode::BadUserInput,
                format!(
                    "a connection holds at most {MAX_SUBSCRIPTIONS} subscriptions; complete one \
                     first or open another connection"
                ),
            ));
        }
        METRICS.subscriptions.fetch_add(1, Ordering::Relaxed);
        Ok(Self { open })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::AcqRel);
        METRICS.subscriptions.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Why a subscription wakes.
enum Wake {
    /// The read model committed a change it follows; the last of a burst.
    Changed(Arc<Changes>),
    /// Notifications were missed (the receiver lagged): maybe one it follows.
    Missed,
}

impl Wake {
    /// The token that includes the change, when it is known.
    fn token(&self) -> Option<ConsistencyToken> {
        match self {
            Wake::Changed(changes) => Some(ConsistencyToken::at(
                changes.source.clone(),
                changes.position,
            )),
            Wake::Missed => None,
        }
    }
}

/// One subscriber's view of the change feed.
struct Follower {
    changes: Receiver<Arc<Changes>>,
    services: Services,
    viewer: Viewer,
    _admitted: Admitted,
}

impl Follower {
    /// Follow the feed for the subscriber of `ctx`; the receiver is taken before anything
    /// is read, so no change after the subscription started is missed.
    fn start(ctx: &Context<'_>) -> async_graphql::Result<Self> {
        let admitted = Admitted::on(ctx)?;
        let services = services(ctx).clone();
        Ok(Self {
            changes: services.changes.subscribe(),
            viewer: viewer(ctx)?,
            services,
            _admitted: admitted,
        })
    }

    /// The next change of `projection` that `follows` one of the records of, after
    /// draining the burst queued behind it; `None` when the feed is gone.
    async fn next(&mut self, projection: &str, follows: impl Fn(&Changed) -> bool) -> Option<Wake> {
        let relevant = |c: &Changes| c.projection == projection && c.records.iter().any(&follows);
        let mut woke = loop {
            match self.changes.recv().await {
                Ok(changes) if relevant(&changes) => break Wake::Changed(changes),
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => break Wake::Missed,
                Err(RecvError::Closed) => return None,
            }
        };
        loop {
            match self.changes.try_recv() {
                Ok(changes) if relevant(&changes) => {
                    if let Wake::Changed(_) = woke {
                        woke = Wake::Changed(changes);
                    }
                }
                Ok(_) => {}
                Err(TryRecvError::Lagged(_)) => woke = Wake::Missed,
                Err(TryRecvError::Empty) => return Some(woke),
                Err(TryRecvError::Closed) => return None,
            }
        }
    }

    /// The subscriber with their network partners as they are now (a partnership may have
    /// ended since the connection opened).
    async fn reader(&mut self) -> async_graphql::Result<Viewer> {
        self.viewer = refreshed(&self.services, self.viewer.clone()).await?;
        Ok(self.viewer.clone())
    }
}

/// A record a subscription follows: which read model holds it and how the subscriber reads
/// it there.
trait Followed: OutputType + Sized + 'static {
    /// The aggregate type of its events.
    const TYPE: &'static str;
    /// The projection whose commits announce its changes.
    fn projection() -> &'static str;
    /// The record `id` as `viewer` may read it, or `None`.
    fn read(
        services: &Services,
        viewer: &Viewer,
        id: Uuid,
    ) -> impl Future<Output = async_graphql::Result<Option<Self>>> + Send;
}

impl Followed for Process {
    const TYPE: &'static str = "process";
    fn projection() -> &'static str {
        ProcessViews.name()
    }
    async fn read(
        services: &Services,
        viewer: &Viewer,
        id: Uuid,
    ) -> async_graphql::Result<Option<Self>> {
        let read = services.queries.get(viewer, id).await;
        Ok(read.map_err(from_service)?.map(Process))
    }
}

impl Followed for Idea {
    const TYPE: &'static str = "idea";
    fn projection() -> &'static str {
        IdeaViews.name()
    }
    async fn read(
        services: &Services,
        viewer: &Viewer,
        id: Uuid,
    ) -> async_graphql::Result<Option<Self>> {
        let read = IdeaQueries::new(services.views.clone())
            .idea(viewer, id)
            .await;
        Ok(read.map_err(from_service)?.map(Idea))
    }
}

impl Followed for Pilot {
    const TYPE: &'static str = "pilot";
    fn projection() -> &'static str {
        PilotViews.name()
    }
    async fn read(
        services: &Services,
        viewer: &Viewer,
        id: Uuid,
    ) -> async_graphql::Result<Option<Self>> {
        let read = PilotQueries::new(services.views.clone())
            .pilot(viewer, id)
            .await;
        Ok(read.map_err(from_service)?.map(Pilot))
    }
}

impl Followed for Application {
    const TYPE: &'static str = "application";
    fn projection() -> &'static str {
        FundingViews.name()
    }
    async fn read(
        services: &Services,
        viewer: &Viewer,
        id: Uuid,
    ) -> async_graphql::Result<Option<Self>> {
        let read = FundingQueries::new(services.views.clone())
            .application(viewer, id)
            .await;
        Ok(read.map_err(from_service)?.map(Application))
    }
}

/// The record `id` each time it changes, as the subscriber of `ctx` may read it; NOT_FOUND
/// at once when they may not read it now.
async fn follow<R: Followed>(
    ctx: &Context<'_>,
    id: &ID,
) -> async_graphql::Result<impl Stream<Item = R> + use<R>> {
    let id = record_id(id)?;
    let follower = Follower::start(ctx)?;
    if R::read(&follower.services, &follower.viewer, id)
        .await?
        .is_none()
    {
        return Err(error(ErrorCode::NotFound, "not found"));
    }
    let stream_id = id.to_string();
    Ok(futures::stream::unfold(follower, move |mut follower| {
        let stream_id = stream_id.clone();
        async move {
            loop {
                let follows =
                    |c: &Changed| c.aggregate_type == R::TYPE && c.aggregate_id == stream_id;
                follower.next(R::projection(), follows).await?;
                let Ok(viewer) = follower.reader().await else {
                    continue;
                };
                match R::read(&follower.services, &viewer, id).await {
                    Ok(Some(record)) => return Some((record, follower)),
                    // No longer readable (unshared since): silent.
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = ?e.message, "reading a followed record"),
                }
            }
        }
    }))
}

/// A municipality's backlog after a change, as the subscriber may see it.
pub struct BacklogChange {
    municipality: MunicipalityId,
    token: Option<ConsistencyToken>,
    viewer: Viewer,
}

/// A change of a municipality's backlog: a process of it that you may read changed, or
/// (for its own people) its ranking or scoring weights did.
#[Object]
impl BacklogChange {
    /// The municipality whose backlog changed, e.g. `DK-0706`.
    async fn municipality(&self) -> String {
        self.municipality.to_string()
    }

    /// Pass it to a query's `consistency` argument to read at least this change. Null
    /// when changes were missed (the subscriber fell behind): the backlog below is current
    /// anyway.
    async fn consistency_token(&self) -> Option<String> {
        self.token.as_ref().map(ToString::to_string)
    }

    /// The backlog's first `first` (at most 100) processes as you may see them now:
    /// ranked ones first, then by priority score (a partner sees the shared ones, by
    /// score).
    #[graphql(complexity = "first.clamp(0, MAX_BACKLOG) as usize * child_complexity + 1")]
    async fn backlog(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, desc = "How many processes, from the top (0 to 100).")] first: i32,
    ) -> async_graphql::Result<Vec<Process>> {
        if !(0..=MAX_BACKLOG).contains(&first) {
            return Err(error(
                ErrorCode::BadUserInput,
                format!("first must be between 0 and {MAX_BACKLOG}"),
            ));
        }
        let filter = innohub_projections::filter::ProcessFilter {
            municipality: Some(self.municipality.clone()),
            ..Default::default()
        };
        let page = services(ctx)
            .queries
            .processes(
                &self.viewer,
                ProcessList::Backlog,
                &filter,
                None,
                i64::from(first),
            )
            .await
            .map_err(from_service)?;
        Ok(page
            .items
            .into_iter()
            .map(|(view, _)| Process(view))
            .collect())
    }
}

/// Whether `change` of the backlog of `municipality` is the subscriber's to hear of: their
/// own municipality's ranking and weights, or a process they may read.
async fn heard(
    follower: &mut Follower,
    municipality: &MunicipalityId,
    wake: &Wake,
) -> async_graphql::Result<Option<Viewer>> {
    let viewer = follower.reader().await?;
    let Wake::Changed(changes) = wake else {
        return Ok(Some(viewer));
    };
    let own = viewer.principal.municipality == *municipality;
    let ours = |c: &&Changed| c.municipality == municipality.as_str();
    if own
        && changes
            .records
            .iter()
            .filter(ours)
            .any(|c| RANKING.contains(&c.aggregate_type.as_str()))
    {
        return Ok(Some(viewer));
    }
    for changed in changes
        .records
        .iter()
        .filter(ours)
        .filter(|c| c.aggregate_type == Process::TYPE)
        .take(MAX_CHECKED)
    {
        let Ok(id) = Uuid::parse_str(&changed.aggregate_id) else {
            continue;
        };
        if Process::read(&follower.services, &viewer, id)
            .await?
            .is_some()
        {
            return Ok(Some(viewer));
        }
    }
    Ok(None)
}

/// The subscription root.
#[derive(Default)]
pub struct Subscription;

/// Live updates over WebSocket (`graphql-transport-ws` on `/graphql`, signed in by the
/// `connection_init` payload `{"Authorization": "Bearer <token>"}`): each message is read
/// as you, by the same rule as queries, after the read models have the change.
#[Subscription]
impl Subscription {
    /// The backlog of a municipality (yours by default) each time it changes: a process of
    /// it that you may read changed, or (yours only) its ranking or scoring weights did. A
    /// burst of changes is one message.
    async fn backlog_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The municipality whose backlog to follow, e.g. `SE-1283`; yours \
                          when left out."
        )]
        municipality: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = BacklogChange> + use<>> {
        let follower = Follower::start(ctx)?;
        let municipality = named_or_own(&follower.viewer, municipality.as_deref())?;
        let projection = ProcessViews.name();
        let start = (follower, municipality);
        Ok(futures::stream::unfold(
            start,
            move |(mut follower, municipality)| async move {
                loop {
                    let moves = |c: &Changed| {
                        c.municipality == municipality.as_str()
                            && (c.aggregate_type == Process::TYPE
                                || RANKING.contains(&c.aggregate_type.as_str()))
                    };
                    let wake = follower.next(projection, moves).await?;
                    match heard(&mut follower, &municipality, &wake).await {
                        Ok(Some(viewer)) => {
                            let change = BacklogChange {
                                municipality: municipality.clone(),
                                token: wake.token(),
                                viewer,
                            };
                            return Some((change, (follower, municipality)));
                        }
                        Ok(None) => {}
                        Err(e) => tracing::warn!(error = ?e.message, "reading a changed backlog"),
                    }
                }
            },
        ))
    }

    /// A process each time it changes, as you may see it; NOT_FOUND when you may not
    /// read it.
    async fn process_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The process's id.")] id: ID,
    ) -> async_graphql::Result<impl Stream<Item = Process> + use<>> {
        follow::<Process>(ctx, &id).await
    }

    /// An idea each time it changes (stage, support, comments, score, outcomes), as you may
    /// see it; NOT_FOUND when you may not read it.
    async fn idea_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The idea's id.")] id: ID,
    ) -> async_graphql::Result<impl Stream<Item = Idea> + use<>> {
        follow::<Idea>(ctx, &id).await
    }

    /// A pilot each time it changes, as you may see it; NOT_FOUND when you may not read it.
    async fn pilot_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pilot's id.")] id: ID,
    ) -> async_graphql::Result<impl Stream<Item = Pilot> + use<>> {
        follow::<Pilot>(ctx, &id).await
    }

    /// A fund application each time it changes (status, reviews, decision,
    /// disbursements), as you may see it; NOT_FOUND when you may not read it.
    async fn application_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fund application's id.")] id: ID,
    ) -> async_graphql::Result<impl Stream<Item = Application> + use<>> {
        follow::<Application>(ctx, &id).await
    }
}
