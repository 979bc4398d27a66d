//! `innohub`: the GraphQL gateway and, in embedded mode, every service in one process.
//!
//! - `innohub serve` (the default): GraphQL on 127.0.0.1:8080 with every service in this
//!   process on SQLite in `./innohub-data`.
//! - `innohub processes` / `directory` / `ideas` / `pilots` / `funding` / `projections` /
//!   `gateway`: distributed mode, one process each, over PostgreSQL and Kafka (see
//!   [`distributed`]); `innohub projections rebuild` replays a read model from the topics.
//! - `innohub token`: mint a development token that `serve` and `gateway` accept.
//! - `innohub schema`: print the GraphQL schema (SDL); `--breaking-against <old.graphql>`
//!   lists the breaking changes since an older one.

mod assets;
mod auth;
mod consistency;
mod dashboard;
mod demo;
mod distributed;
mod embedded;
mod export;
mod graphiql;
mod graphql;
mod import;
mod limits;
mod schema_check;
mod server;
mod websocket;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use innohub_funding::FundingApp;
use innohub_pilots::PilotsApp;
use innohub_processes::ProcessesApp;
use innohub_runtime::kafka::KafkaConfig;
use innohub_runtime::{DepartmentId, MunicipalityId, Principal, Role, UserId};

/// mimalloc: allocation and freeing were a third of the server's CPU samples with glibc's
/// allocator (a GraphQL answer allocates per field of every item).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "innohub",
    version,
    about = "Nordic municipalities' innovation and automation hub",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Without a subcommand, innohub serves.
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "INNOHUB_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Where the SQLite files and the development secret live.
    #[arg(long, env = "INNOHUB_DATA_DIR", default_value = "./innohub-data")]
    data_dir: PathBuf,
    /// Load the demo (four municipalities, a few dozen processes, ideas and pilots, and an
    /// innovation fund with its applications) into an empty store.
    #[arg(long, env = "INNOHUB_DEMO")]
    demo: bool,
    #[command(flatten)]
    auth: auth::AuthArgs,
    #[command(flatten)]
    edge: server::EdgeArgs,
}

/// How a distributed process reaches Kafka.
#[derive(clap::Args)]
struct KafkaArgs {
    /// Bootstrap brokers, `host:port[,host:port…]`.
    #[arg(long, env = "INNOHUB_KAFKA_BROKERS")]
    kafka_brokers: String,
    /// Partitions of the topics innohub creates when they are missing.
    #[arg(long, env = "INNOHUB_KAFKA_PARTITIONS", default_value_t = 6)]
    kafka_partitions: i32,
    /// Replication factor of the topics innohub creates (3 on a production cluster).
    #[arg(long, env = "INNOHUB_KAFKA_REPLICATION", default_value_t = 1)]
    kafka_replication: i32,
}

impl KafkaArgs {
    fn config(self) -> KafkaConfig {
        KafkaConfig {
            brokers: self.kafka_brokers,
            partitions: self.kafka_partitions,
            replication: self.kafka_replication,
        }
    }
}

/// A distributed process that owns a PostgreSQL database and talks to Kafka.
#[derive(clap::Args)]
struct ServiceArgs {
    /// Address for gRPC (services) and `/healthz`, `/readyz`, `/metrics`.
    #[arg(long, env = "INNOHUB_LISTEN")]
    listen: SocketAddr,
    /// The process's own PostgreSQL database, e.g. postgres://innohub@db/innohub_processes.
    #[arg(long, env = "INNOHUB_DATABASE_URL", hide_env_values = true)]
    database_url: String,
    #[command(flatten)]
    kafka: KafkaArgs,
    #[command(flatten)]
    auth: auth::AuthArgs,
}

/// A service whose one peer is the directory, which it asks who shares a network with a
/// caller (processes, pilots, funding).
#[derive(clap::Args)]
struct DirectoryPeerArgs {
    #[command(flatten)]
    service: ServiceArgs,
    /// The directory service, e.g. http://directory:50052.
    #[arg(long, env = "INNOHUB_DIRECTORY_URL")]
    directory_url: String,
}

impl DirectoryPeerArgs {
    /// Run the service `name` with these flags; `router` serves its app on the store.
    async fn run(self, name: &'static str, router: distributed::PeerRouter) -> anyhow::Result<()> {
        let args = self.service;
        let verifier = args.auth.verifier(None).await?;
        distributed::beside_directory(
            name,
            args.listen,
            &args.database_url,
            &self.directory_url,
            args.kafka.config(),
            move |store, directory| router(store, directory, verifier),
        )
        .await
    }
}

/// The projections service's flags; they are global so `rebuild` takes them too.
#[derive(clap::Args)]
struct ProjectionsArgs {
    #[command(subcommand)]
    action: Option<ProjectionsCommand>,
    /// Address for `/healthz`, `/readyz` and `/metrics` (not needed by `rebuild`).
    #[arg(long, env = "INNOHUB_LISTEN", global = true)]
    listen: Option<SocketAddr>,
    /// The projections' PostgreSQL database (read models).
    #[arg(
        long,
        env = "INNOHUB_DATABASE_URL",
        hide_env_values = true,
        global = true
    )]
    database_url: Option<String>,
    /// Bootstrap brokers, `host:port[,host:port…]`.
    #[arg(long, env = "INNOHUB_KAFKA_BROKERS", global = true)]
    kafka_brokers: Option<String>,
    /// Partitions of the topics innohub creates when they are missing.
    #[arg(
        long,
        env = "INNOHUB_KAFKA_PARTITIONS",
        default_value_t = 6,
        global = true
    )]
    kafka_partitions: i32,
    /// Replication factor of the topics innohub creates.
    #[arg(
        long,
        env = "INNOHUB_KAFKA_REPLICATION",
        default_value_t = 1,
        global = true
    )]
    kafka_replication: i32,
}

#[derive(Subcommand)]
enum ProjectionsCommand {
    /// Empty a read model and replay it from the beginning of the topics (stop the
    /// projections service first).
    Rebuild {
        /// The read model.
        #[arg(long, default_value = "process_views")]
        projection: String,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Serve GraphQL with every service in this process (embedded SQLite, no broker).
    Serve(ServeArgs),
    /// Distributed: the processes service (gRPC, event store, outbox relay to Kafka).
    Processes(DirectoryPeerArgs),
    /// Distributed: the ideas service: challenges, ideas, criteria, workshops, action items
    /// (gRPC, event store, outbox relay to Kafka, and followers of the processes and pilots
    /// topics).
    Ideas {
        #[command(flatten)]
        service: ServiceArgs,
        /// The directory service, asked who shares a network with a caller, e.g.
        /// http://directory:50052.
        #[arg(long, env = "INNOHUB_DIRECTORY_URL")]
        directory_url: String,
        /// The processes service, which creates the processes spawned from ideas, e.g.
        /// http://processes:50051.
        #[arg(long, env = "INNOHUB_PROCESSES_URL")]
        processes_url: String,
        /// The pilots service, which creates the pilots started from ideas, e.g.
        /// http://pilots:50054.
        #[arg(long, env = "INNOHUB_PILOTS_URL")]
        pilots_url: String,
    },
    /// Distributed: the pilots service: plan, run, evaluation, decision and benefits of
    /// pilots (gRPC, event store, outbox relay to Kafka).
    Pilots(DirectoryPeerArgs),
    /// Distributed: the funding service: funds, their budgets and decision rounds,
    /// applications, reviews, decisions and disbursements (gRPC, event store, outbox relay
    /// to Kafka).
    Funding(DirectoryPeerArgs),
    /// Distributed: the directory service: municipalities, departments, networks (gRPC,
    /// event store, outbox relay to Kafka).
    Directory(ServiceArgs),
    /// Distributed: the projections service (Kafka → read models); or `rebuild`.
    Projections(ProjectionsArgs),
    /// Distributed: the GraphQL gateway in front of the services.
    Gateway {
        /// Address to serve GraphQL on.
        #[arg(long, env = "INNOHUB_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// The processes service, e.g. http://processes:50051.
        #[arg(long, env = "INNOHUB_PROCESSES_URL")]
        processes_url: String,
        /// The directory service, e.g. http://directory:50052.
        #[arg(long, env = "INNOHUB_DIRECTORY_URL")]
        directory_url: String,
        /// The ideas service, e.g. http://ideas:50053.
        #[arg(long, env = "INNOHUB_IDEAS_URL")]
        ideas_url: String,
        /// The pilots service, e.g. http://pilots:50054.
        #[arg(long, env = "INNOHUB_PILOTS_URL")]
        pilots_url: String,
        /// The funding service, e.g. http://funding:50055.
        #[arg(long, env = "INNOHUB_FUNDING_URL")]
        funding_url: String,
        /// The projections' read-model database (read only).
        #[arg(long, env = "INNOHUB_VIEWS_DATABASE_URL", hide_env_values = true)]
        views_database_url: String,
        #[command(flatten)]
        auth: auth::AuthArgs,
        #[command(flatten)]
        edge: server::EdgeArgs,
    },
    /// Import processes from another register (stop `innohub serve` on the data dir first).
    Import(import::ImportArgs),
    /// Print the GraphQL schema (SDL) that `gateway/schema.graphql` holds.
    Schema {
        /// Instead, compare the schema with this older SDL and fail listing each breaking
        /// change (a removed type, field, argument, enum value or union member, a changed
        /// type, a new required argument or input field).
        #[arg(long, value_name = "OLD_SDL")]
        breaking_against: Option<PathBuf>,
    },
    /// Print a development token for `Authorization: Bearer …`.
    Token {
        /// The user id (the token's subject).
        #[arg(long)]
        user: String,
        /// The municipality, e.g. DK-0706.
        #[arg(long)]
        municipality: String,
        /// The department, e.g. social.
        #[arg(long)]
        department: Option<String>,
        /// Comma-separated roles: employee, department_lead, it_portfolio, innovation_lead,
        /// fund_manager, fund_reviewer, municipality_admin, platform_admin.
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
        /// Hours until the token expires.
        #[arg(long, default_value_t = 12)]
        ttl_hours: i64,
        /// The data dir of the `innohub serve` that is to accept it: its secret signs the
        /// token (serve creates it on first start).
        #[arg(long, env = "INNOHUB_DATA_DIR", default_value = "./innohub-data")]
        data_dir: PathBuf,
        /// HS256 secret (as for serve).
        #[arg(long, env = "INNOHUB_DEV_SECRET", hide_env_values = true)]
        dev_secret: Option<String>,
    },
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let sign_in = args.auth.sign_in(Some(&args.data_dir)).await?;
    embedded::serve(args.listen, &args.data_dir, sign_in, args.edge, args.demo).await
}

/// `innohub schema`: print the SDL, or check it against an older one (exit status 1, each
/// breaking change listed on stderr).
fn schema(breaking_against: Option<&std::path::Path>) -> anyhow::Result<()> {
    let current = graphql::sdl();
    let Some(path) = breaking_against else {
        print!("{current}");
        return Ok(());
    };
    let old = std::fs::read_to_string(path)
        .with_context(|| format!("reading the older schema {}", path.display()))?;
    let breaks = schema_check::breaking_changes(&old, &current)?;
    if breaks.is_empty() {
        println!("no breaking change against {}", path.display());
        return Ok(());
    }
    for change in &breaks {
        eprintln!("breaking: {change}");
    }
    eprintln!(
        "{} breaking change(s) against {}: partners' clients would break",
        breaks.len(),
        path.display()
    );
    std::process::exit(1)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let component = match &cli.command {
        None | Some(Command::Serve(_)) => "embedded",
        Some(Command::Processes(_)) => "processes",
        Some(Command::Directory(_)) => "directory",
        Some(Command::Ideas { .. }) => "ideas",
        Some(Command::Pilots(_)) => "pilots",
        Some(Command::Funding(_)) => "funding",
        Some(Command::Projections(_)) => "projections",
        Some(Command::Gateway { .. }) => "gateway",
        Some(Command::Token { .. } | Command::Import(_) | Command::Schema { .. }) => "cli",
    };
    let telemetry = innohub_runtime::telemetry::init(component).map_err(anyhow::Error::msg)?;
    let result = run(cli).await;
    telemetry.shutdown();
    result
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Processes(args)) => {
            args.run(innohub_processes::SERVICE, |store, directory, verifier| {
                innohub_processes::grpc::router(
                    ProcessesApp::new(store).with_directory(directory),
                    verifier,
                )
            })
            .await
        }
        Some(Command::Ideas {
            service: args,
            directory_url,
            processes_url,
            pilots_url,
        }) => {
            let verifier = args.auth.verifier(None).await?;
            let reach = distributed::IdeasReach {
                directory_url: &directory_url,
                processes_url: &processes_url,
                pilots_url: &pilots_url,
            };
            distributed::ideas(
                args.listen,
                &args.database_url,
                reach,
                args.kafka.config(),
                verifier,
            )
            .await
        }
        Some(Command::Pilots(args)) => {
            args.run(innohub_pilots::SERVICE, |store, directory, verifier| {
                innohub_pilots::grpc::router(
                    PilotsApp::new(store).with_directory(directory),
                    verifier,
                )
            })
            .await
        }
        Some(Command::Funding(args)) => {
            args.run(innohub_funding::SERVICE, |store, directory, verifier| {
                innohub_funding::grpc::router(
                    FundingApp::new(store).with_directory(directory),
                    verifier,
                )
            })
            .await
        }
        Some(Command::Directory(args)) => {
            let verifier = args.auth.verifier(None).await?;
            distributed::directory(
                args.listen,
                &args.database_url,
                args.kafka.config(),
                verifier,
            )
            .await
        }
        Some(Command::Projections(args)) => {
            let database_url = args
                .database_url
                .context("projections needs --database-url (or INNOHUB_DATABASE_URL)")?;
            let kafka = KafkaConfig {
                brokers: args
                    .kafka_brokers
                    .context("projections needs --kafka-brokers (or INNOHUB_KAFKA_BROKERS)")?,
                partitions: args.kafka_partitions,
                replication: args.kafka_replication,
            };
            match args.action {
                Some(ProjectionsCommand::Rebuild { projection }) => {
                    distributed::rebuild(&projection, &database_url, kafka).await
                }
                None => {
                    let listen = args
                        .listen
                        .context("projections needs --listen (or INNOHUB_LISTEN)")?;
                    distributed::projections(listen, &database_url, kafka).await
                }
            }
        }
        Some(Command::Gateway {
            listen,
            processes_url,
            directory_url,
            ideas_url,
            pilots_url,
            funding_url,
            views_database_url,
            auth,
            edge,
        }) => {
            let sign_in = auth.sign_in(None).await?;
            let reach = distributed::GatewayReach {
                processes_url: &processes_url,
                directory_url: &directory_url,
                ideas_url: &ideas_url,
                pilots_url: &pilots_url,
                funding_url: &funding_url,
            };
            distributed::gateway(listen, reach, &views_database_url, sign_in, edge).await
        }
        Some(Command::Import(args)) => import::run(args).await,
        Some(Command::Schema { breaking_against }) => schema(breaking_against.as_deref()),
        Some(Command::Token {
            user,
            municipality,
            department,
            roles,
            ttl_hours,
            data_dir,
            dev_secret,
        }) => {
            let principal = Principal {
                user: UserId::parse(&user).map_err(anyhow::Error::msg)?,
                municipality: MunicipalityId::parse(&municipality).map_err(anyhow::Error::msg)?,
                department: department
                    .as_deref()
                    .map(DepartmentId::parse)
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                roles: roles
                    .iter()
                    .filter(|r| !r.trim().is_empty())
                    .map(|r| r.parse::<Role>())
                    .collect::<Result<BTreeSet<_>, _>>()
                    .map_err(anyhow::Error::msg)?,
            };
            let keys = auth::minting_keys(dev_secret.as_deref(), &data_dir)?;
            println!("{}", keys.mint(&principal, ttl_hours)?);
            Ok(())
        }
    }
}
