//! Command handling of the directory service: load → decide → append through
//! [`innohub_runtime::command::execute`], with the read rule applied first so that a network
//! the caller may not know of answers `NOT_FOUND`, exactly as if it did not exist; and the
//! network partners, folded from the store.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use innohub_runtime::command::{CommandContext, CommandError, Executed, execute};
use innohub_runtime::{
    Aggregate, EventStore, MunicipalityId, Principal, Role, StoreError, StoredEvent,
};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::DirectoryError;
use crate::domain::municipality::{Municipality, MunicipalityCommand};
use crate::domain::network::{Network, NetworkCommand};
use crate::domain::values::Profile;

/// The longest aggregate id there is (a UUID; a municipality id is shorter); longer ones
/// name none.
const MAX_AGGREGATE_ID: usize = 64;

/// How many events the partner index reads at a time.
const BATCH: i64 = 1_000;

/// The result type of every command.
pub type Outcome<A> = Result<Executed<A>, CommandError<DirectoryError>>;

/// The directory service's command side, and the network partners it answers from the
/// events it recorded.
#[derive(Debug, Clone)]
pub struct DirectoryApp {
    store: EventStore,
    networks: Arc<Mutex<Networks>>,
}

/// Every network as it stands, folded from the store up to `position`.
#[derive(Debug, Default)]
struct Networks {
    /// The last position folded in.
    position: i64,
    /// By network id.
    networks: HashMap<String, Network>,
}

impl DirectoryApp {
    /// Serve commands against `store` (which other services may share, embedded).
    pub fn new(store: EventStore) -> Self {
        Self {
            store,
            networks: Arc::default(),
        }
    }

    /// The store commands append to.
    pub fn store(&self) -> &EventStore {
        &self.store
    }

    /// Register a municipality; its stream is named by the validated profile's id.
    pub async fn register_municipality(
        &self,
        ctx: CommandContext<'_>,
        profile: Profile,
    ) -> Outcome<Municipality> {
        let by = ctx.principal.clone();
        let stream = profile.id.to_string();
        execute(&self.store, &stream, ctx, |state: &Municipality| {
            state.decide(MunicipalityCommand::Register {
                by: by.clone(),
                profile: profile.clone(),
            })
        })
        .await
    }

    /// Run a command, made for the caller, on their own municipality.
    pub async fn on_municipality(
        &self,
        ctx: CommandContext<'_>,
        command: impl Fn(Principal) -> MunicipalityCommand,
    ) -> Outcome<Municipality> {
        let by = ctx.principal.clone();
        let stream = by.municipality.to_string();
        execute(&self.store, &stream, ctx, |state: &Municipality| {
            state.decide(command(by.clone()))
        })
        .await
    }

    /// Create a network founded by the caller's municipality; its id is returned in the
    /// result.
    pub async fn create_network(&self, ctx: CommandContext<'_>, name: String) -> Outcome<Network> {
        let id = Uuid::now_v7();
        let by = ctx.principal.clone();
        let registered = self.is_registered(&by.municipality).await?;
        execute(&self.store, &id.to_string(), ctx, |state: &Network| {
            state.decide(NetworkCommand::Create {
                id,
                by: by.clone(),
                name: name.clone(),
                registered,
            })
        })
        .await
    }

    /// Invite `municipality` into network `id`.
    pub async fn invite_to_network(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        municipality: MunicipalityId,
    ) -> Outcome<Network> {
        let registered = self.is_registered(&municipality).await?;
        self.on_network(ctx, id, |by| NetworkCommand::Invite {
            by,
            municipality: municipality.clone(),
            registered,
        })
        .await
    }

    /// Run a command, made for the caller, on network `id`.
    pub async fn on_network(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        command: impl Fn(Principal) -> NetworkCommand,
    ) -> Outcome<Network> {
        // A process's id in a shared store (embedded mode) is NOT_FOUND: `execute` loads
        // only streams of this aggregate type.
        let stream = id.to_string();
        let by = ctx.principal.clone();
        execute(&self.store, &stream, ctx, |state: &Network| {
            state.decide(command(by.clone()))
        })
        .await
    }

    /// The municipalities that share a network with `municipality` as of the last
    /// recorded event: every other current member of each network it is a current member
    /// of, sorted.
    pub async fn network_partners(
        &self,
        municipality: &MunicipalityId,
    ) -> Result<BTreeSet<MunicipalityId>, StoreError> {
        let mut index = self.networks.lock().await;
        loop {
            let events = self.store.read_all(index.position, BATCH).await?;
            for event in &events {
                // Only the directory's networks; a shared store (embedded) holds others'.
                if event.aggregate_type == Network::TYPE {
                    // An unreadable event stops the fold here (INTERNAL), never skipped.
                    let decoded = event.decode()?;
                    let network = index.networks.remove(&event.aggregate_id);
                    let network = network.unwrap_or_default().evolve(&decoded);
                    index.networks.insert(event.aggregate_id.clone(), network);
                }
                index.position = event.position;
            }
            if events.len() < BATCH as usize {
                break;
            }
        }
        Ok(index
            .networks
            .values()
            .filter_map(|n| n.0.as_ref())
            .flat_map(|n| n.partners_of(municipality))
            .cloned()
            .collect())
    }

    /// The events of a record the caller may read, oldest first: a municipality's by its
    /// members and platform administrators; a network's by its current members and pending
    /// invitees. Anything else is `NOT_FOUND`, exactly like a record that does not exist.
    pub async fn history(
        &self,
        principal: &Principal,
        aggregate_id: &str,
    ) -> Result<Vec<StoredEvent>, CommandError<DirectoryError>> {
        if aggregate_id.len() > MAX_AGGREGATE_ID {
            return Err(CommandError::Domain(DirectoryError::NotFound));
        }
        let events = self.store.read_stream(aggregate_id).await?;
        let Some(first) = events.first() else {
            return Err(CommandError::Domain(DirectoryError::NotFound));
        };
        let readable = match first.aggregate_type.as_str() {
            Municipality::TYPE => {
                principal.has(Role::PlatformAdmin)
                    || first.municipality == principal.municipality.as_str()
            }
            Network::TYPE => {
                let mut network = Network::default();
                for event in &events {
                    network = network.evolve(&event.decode()?);
                }
                network.0.is_some_and(|n| n.knows(&principal.municipality))
            }
            _ => false,
        };
        if readable {
            Ok(events)
        } else {
            Err(CommandError::Domain(DirectoryError::NotFound))
        }
    }

    /// Whether the platform registered `municipality`: its stream exists, since
    /// `MunicipalityRegistered` is the first event of every municipality stream.
    /// Registration is permanent, so a command may rely on the answer after it was read.
    async fn is_registered(&self, municipality: &MunicipalityId) -> Result<bool, StoreError> {
        self.is_a(Municipality::TYPE, municipality.as_str()).await
    }

    /// Whether stream `id` exists and holds an aggregate of type `kind`.
    async fn is_a(&self, kind: &str, id: &str) -> Result<bool, StoreError> {
        let events = self.store.read_stream(id).await?;
        Ok(events.first().is_some_and(|e| e.aggregate_type == kind))
    }
}
