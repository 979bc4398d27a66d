//! `innohub`: the GraphQL gateway and, in embedded mode, every service in one process.
//!
//! - `innohub serve`: serve GraphQL on 127.0.0.1:8080 with SQLite in `./innohub-data`.
//! - `innohub token`: mint a development token that `serve` accepts.

mod auth;
mod demo;
mod embedded;
mod graphql;
mod server;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use innohub_runtime::{DepartmentId, MunicipalityId, Principal, Role, UserId};

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
    /// Load the demo (three municipalities, a few dozen processes) into an empty store.
    #[arg(long, env = "INNOHUB_DEMO")]
    demo: bool,
    /// HS256 secret for development tokens (default: generated into the data dir).
    #[arg(long, env = "INNOHUB_DEV_SECRET", hide_env_values = true)]
    dev_secret: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve GraphQL with every service in this process (embedded SQLite, no broker).
    Serve(ServeArgs),
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
        /// The data dir whose secret signs it (as for serve).
        #[arg(long, env = "INNOHUB_DATA_DIR", default_value = "./innohub-data")]
        data_dir: PathBuf,
        /// HS256 secret (as for serve).
        #[arg(long, env = "INNOHUB_DEV_SECRET", hide_env_values = true)]
        dev_secret: Option<String>,
    },
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let keys = auth::TokenKeys::load(args.dev_secret.as_deref(), &args.data_dir)?;
    embedded::serve(args.listen, &args.data_dir, keys, args.demo).await
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("INNOHUB_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
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
            let keys = auth::TokenKeys::load(dev_secret.as_deref(), &data_dir)?;
            println!("{}", keys.mint(&principal, ttl_hours)?);
            Ok(())
        }
    }
}
