//! THE race (issue 14, "Must show"): 64 concurrent `DecideApplication` calls × 100 rounds
//! against one period whose budget fits only some of them, on SQLite and on PostgreSQL
//! (`INNOHUB_TEST_POSTGRES_URL`; a missing server fails the test, it is never skipped),
//! in-process (`grpc::channel`) and over the network (`grpc::router` on a local port).
//!
//! Each round is a fresh fund with a budget for 2026 and a round deciding in 2026, and 64
//! applications IN_REVIEW (set up through the in-process client); then all 64 decisions are
//! sent at once: 8 rejections and 56 grants, half APPROVED (the amount requested) and half
//! PARTIALLY_APPROVED (less than requested). Every answer is a decision, a `CONFLICT` (the
//! race for the period was lost too often; the test sends it again until it gets a definite
//! answer), or `BAD_USER_INPUT` "exceeds the remaining budget"; nothing else. Read back from
//! the store, the period's commitments never sum above its budget; each grant answered is one
//! `GrantCommitted` of its amount, written with its `ApplicationDecided`, and nothing else
//! was appended. In the even rounds every grant is 250 000 SEK and the budget fits exactly 20
//! of them, so exactly 20 are granted; in the odd rounds the grants differ, and every refused
//! grant is larger than what the period has left at the end (what fits was granted). The
//! funding read models are kept current while the race runs, as in embedded mode; the
//! ledger view of the period equals the sums of its events.
//! Each configuration prints how long its rounds took and how many races were lost.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::*;
use innohub_funding::{FundingApp, grpc};
use innohub_projections::funding_queries::LedgerView;
use innohub_projections::{FundingQueries, FundingViews};
use innohub_proto::innohub::common::v1::{CommandReply, Money};
use innohub_proto::innohub::funding::v1 as pb;
use innohub_proto::innohub::processes::v1::Visibility;
use innohub_runtime::grpc::ServiceError;
use innohub_runtime::projection::{ProjectionRunner, wait_for};
use innohub_runtime::rpc;
use innohub_runtime::testing::{Server, test_verifier};
use innohub_runtime::{Database, ErrorCode, EventStore, Viewer};
use tokio::sync::watch;
use tokio::task::JoinSet;
use uuid::Uuid;

/// Rounds of the race in each configuration.
const ROUNDS: usize = 100;
/// Decisions sent at once in each round.
const RACERS: usize = 64;
/// The grants of an even round, and how many of them its budget fits.
const GRANT: i64 = 250_000;
const FITTING: i64 = 20;
/// The budget of an odd round.
const MIXED_BUDGET: i64 = 6_000_000;
/// How often one decision may be sent again after `CONFLICT` before the test gives up.
const MAX_RETRIES: usize = 1_000;

/// A fund granting 100 000 – 1 000 000 SEK to applications of one department or more.
fn terms() -> pb::FundTerms {
    pb::FundTerms {
        name: "Helsingborgs innovationsfond".into(),
        description: String::new(),
        currency: "SEK".into(),
        min_grant: sek(100_000),
        max_grant: sek(1_000_000),
        min_departments: 1,
        criteria: vec![pb::Criterion {
            name: "Nytta".into(),
            description: String::new(),
            weight: 1,
        }],
        visibility: Visibility::Municipality as i32,
    }
}

/// What racer `i` of a round asks the council for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    /// Rejected: nothing granted.
    Reject,
    /// APPROVED: the amount requested, in kronor.
    Approve(i64),
    /// PARTIALLY_APPROVED: `.0` kronor of `.1` requested.
    Partly(i64, i64),
}

impl Ask {
    /// Racer `i` of round `round`.
    fn of(round: usize, i: usize) -> Ask {
        let grant = if round.is_multiple_of(2) {
            GRANT
        } else {
            [250_000, 300_000, 400_000, 550_000][i % 4]
        };
        match i {
            i if i % 8 == 7 => Ask::Reject,
            i if i.is_multiple_of(2) => Ask::Approve(grant),
            _ => Ask::Partly(grant, grant + 100_000),
        }
    }

    /// The amount the application requests, in kronor.
    fn requested(self) -> i64 {
        match self {
            Ask::Reject => 400_000,
            Ask::Approve(amount) => amount,
            Ask::Partly(_, requested) => requested,
        }
    }

    /// The amount a decision grants, in kronor (0 for a rejection).
    fn granted(self) -> i64 {
        match self {
            Ask::Reject => 0,
            Ask::Approve(amount) | Ask::Partly(amount, _) => amount,
        }
    }

    fn request(self, application: &str, round: &str) -> pb::DecideApplicationRequest {
        let (outcome, amount) = match self {
            Ask::Reject => (pb::DecisionOutcome::Rejected, None),
            Ask::Approve(_) => (pb::DecisionOutcome::Approved, None),
            Ask::Partly(amount, _) => (pb::DecisionOutcome::PartiallyApproved, sek(amount)),
        };
        pb::DecideApplicationRequest {
            application_id: application.to_owned(),
            round_id: round.to_owned(),
            outcome: outcome as i32,
            amount,
            conditions: String::new(),
            rationale: "Innovationsrådets beslut".into(),
        }
    }
}

/// The storage engine of a configuration.
#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A database of `backend` for one test, removed by [`Fresh::remove`].
struct Fresh {
    url: String,
    /// The SQLite directory, or the PostgreSQL server's admin URL and the database's name.
    cleanup: Result<std::path::PathBuf, (String, String)>,
}

/// The PostgreSQL server the tests create their databases on.
fn postgres_admin_url() -> String {
    std::env::var("INNOHUB_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// One statement on the PostgreSQL server's admin database.
async fn admin(url: &str, sql: &str) {
    let server = Database::connect(url).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {url} (set INNOHUB_TEST_POSTGRES_URL, or start it: \
             deploy/postgres.sh ensure); the race runs on both backends: {e}"
        )
    });
    sqlx::query(sql)
        .execute(server.writer())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    server.close().await;
}

impl Fresh {
    async fn start(backend: Backend) -> Fresh {
        match backend {
            Backend::Sqlite => {
                let dir =
                    std::env::temp_dir().join(format!("innohub-race-{}", Uuid::now_v7().simple()));
                std::fs::create_dir_all(&dir).unwrap();
                Fresh {
                    url: Database::sqlite_url(&dir.join("events.sqlite")),
                    cleanup: Ok(dir),
                }
            }
            Backend::Postgres => {
                let server = postgres_admin_url();
                let name = format!("innohub_race_{}", Uuid::now_v7().simple());
                admin(&server, &format!("CREATE DATABASE {name}")).await;
                // A throwaway database needs no durability across a crash of the server.
                admin(
                    &server,
                    &format!("ALTER DATABASE {name} SET synchronous_commit = off"),
                )
                .await;
                let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
                Fresh {
                    url: format!("{base}/{name}"),
                    cleanup: Err((server, name)),
                }
            }
        }
    }

    async fn remove(self) {
        match self.cleanup {
            Ok(dir) => std::fs::remove_dir_all(dir).unwrap(),
            Err((server, name)) => {
                admin(
                    &server,
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                )
                .await;
            }
        }
    }
}

/// How the racers reach the service.
#[derive(Debug, Clone, Copy)]
enum Transport {
    InProcess,
    Network,
}

/// The funding service on a fresh database: the in-process client the rounds are set up
/// with, the client of the configuration's transport that races, and the funding read
/// models kept current beside it (as in embedded mode) on the same backend.
struct Harness {
    store: EventStore,
    setup: Client,
    racer: Client,
    views: FundingQueries,
    progress: watch::Receiver<i64>,
    _stop: watch::Sender<bool>,
    _server: Option<Server>,
}

/// The read models' database beside the store at `url`: a SQLite file beside it, or a
/// schema of the same PostgreSQL database.
async fn views_beside(db: &Database, url: &str) -> Database {
    let views = match db.backend() {
        innohub_runtime::Backend::Sqlite => {
            let path = url.replace("events.sqlite", "views.sqlite");
            Database::connect(&path).await.unwrap()
        }
        innohub_runtime::Backend::Postgres => {
            sqlx::query("CREATE SCHEMA views")
                .execute(db.writer())
                .await
                .unwrap();
            db.in_schema("views").await.unwrap()
        }
    };
    views
        .migrate(&innohub_projections::migrations())
        .await
        .unwrap();
    views
}

impl Harness {
    async fn start(url: &str, transport: Transport) -> Harness {
        let db = Database::connect(url).await.unwrap();
        let views = views_beside(&db, url).await;
        let store = EventStore::open(db, false).await.unwrap();
        let runner = ProjectionRunner::new(FundingViews, store.clone(), views.clone())
            .await
            .unwrap();
        let progress = runner.progress();
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(runner.run(stopped));
        let app = FundingApp::new(store.clone()).with_today(today);
        let setup = Client::new(grpc::channel(app.clone()));
        let (racer, server) = match transport {
            Transport::InProcess => (setup.clone(), None),
            Transport::Network => {
                let server = Server::start(grpc::router(app, test_verifier())).await;
                (Client::new(server.remote()), Some(server))
            }
        };
        Harness {
            store,
            setup,
            racer,
            views: FundingQueries::new(views),
            progress,
            _stop: stop,
            _server: server,
        }
    }
}

/// A fresh fund with a budget of `budget` kronor for 2026 and a round deciding in 2026:
/// the fund's id and the round's.
async fn fund(client: &Client, budget: i64) -> (String, String) {
    let manager = manager();
    let create = pb::CreateFundRequest {
        terms: Some(terms()),
    };
    let fund = rpc!(client, &manager, create_fund(create))
        .await
        .unwrap()
        .aggregate_id;
    let set = pb::SetFundBudgetRequest {
        fund_id: fund.clone(),
        year: 2026,
        budget: sek(budget),
    };
    rpc!(client, &manager, set_fund_budget(set)).await.unwrap();
    let schedule = pb::ScheduleDecisionRoundRequest {
        fund_id: fund.clone(),
        round: Some(pb::DecisionRound {
            title: "Innovationsrådet hösten 2026".into(),
            application_deadline: "2026-09-30".into(),
            council_date: "2026-10-15".into(),
        }),
    };
    rpc!(client, &manager, schedule_decision_round(schedule))
        .await
        .unwrap();
    let history = innohub_proto::innohub::common::v1::GetHistoryRequest {
        aggregate_id: fund.clone(),
    };
    let events = rpc!(client, &manager, get_history(history))
        .await
        .unwrap()
        .events;
    let scheduled = events
        .iter()
        .find(|e| e.event_type == "DecisionRoundScheduled")
        .expect("the round scheduled");
    let round =
        <pb::DecisionRoundScheduled as prost::Message>::decode(scheduled.payload.as_slice())
            .unwrap()
            .round_id;
    (fund, round)
}

/// A complete application requesting `kronor`, submitted and assigned to a reviewer:
/// IN_REVIEW. Its id.
async fn in_review(client: Client, fund: String, round: String, kronor: i64) -> String {
    let anna = applicant();
    let details = pb::ApplicationDetails {
        title: format!("Ansökan om {kronor} kronor"),
        summary: "Ett nytt sätt att möta invånarnas behov".into(),
        applicants: vec![anna.user.to_string()],
        departments: vec!["social".into()],
        amount_requested: sek(kronor),
        canvas: Some(pb::Canvas {
            cost_plan: vec![pb::CostLine {
                description: "Allt".into(),
                amount: sek(kronor),
            }],
            ..Default::default()
        }),
        visibility: Visibility::Municipality as i32,
        ..Default::default()
    };
    let draft = pb::DraftApplicationRequest {
        fund_id: fund,
        round_id: round,
        details: Some(details),
        origin: None,
    };
    let id = rpc!(&client, &anna, draft_application(draft))
        .await
        .unwrap()
        .aggregate_id;
    let submit = pb::SubmitApplicationRequest {
        application_id: id.clone(),
    };
    rpc!(&client, &anna, submit_application(submit))
        .await
        .unwrap();
    let assign = pb::AssignReviewerRequest {
        application_id: id.clone(),
        reviewer: reviewer().user.to_string(),
    };
    rpc!(&client, &manager(), assign_reviewer(assign))
        .await
        .unwrap();
    id
}

/// How one racer's decision ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Decided: granted (or rejected, for a rejection).
    Decided,
    /// BAD_USER_INPUT "exceeds the remaining budget".
    DoesNotFit,
}

/// Send `request` until it gets a definite answer: the answer, and how many CONFLICTs came
/// before it.
async fn decide_until_definite(
    client: Client,
    ask: Ask,
    request: pb::DecideApplicationRequest,
) -> (Answer, usize) {
    let manager = manager();
    for conflicts in 0..MAX_RETRIES {
        let answer: Result<CommandReply, ServiceError> =
            rpc!(&client, &manager, decide_application(request.clone())).await;
        match answer {
            Ok(_) => return (Answer::Decided, conflicts),
            Err(e) if e.code == ErrorCode::Conflict => continue,
            Err(e)
                if e.code == ErrorCode::BadUserInput
                    && e.message.contains("exceeds the remaining budget")
                    && ask != Ask::Reject =>
            {
                return (Answer::DoesNotFit, conflicts);
            }
            Err(e) => panic!("{ask:?}: a refusal the race must not give: {e:?}"),
        }
    }
    panic!("{ask:?}: still CONFLICT after {MAX_RETRIES} tries")
}

/// What a configuration measured.
#[derive(Debug, Default)]
struct Tally {
    setup: Duration,
    race: Duration,
    check: Duration,
    conflicts: usize,
    granted: usize,
    refused: usize,
}

/// One round: a fresh fund, 64 applications, 64 decisions at once, the checks.
async fn round(h: &Harness, index: usize, tally: &mut Tally) {
    let started = Instant::now();
    let budget = if index.is_multiple_of(2) {
        FITTING * GRANT + GRANT / 2
    } else {
        MIXED_BUDGET
    };
    let (fund, round_id) = fund(&h.setup, budget).await;
    let asks: Vec<Ask> = (0..RACERS).map(|i| Ask::of(index, i)).collect();
    let mut set_up = JoinSet::new();
    for (i, ask) in asks.iter().enumerate() {
        let (client, fund, round_id) = (h.setup.clone(), fund.clone(), round_id.clone());
        let requested = ask.requested();
        set_up.spawn(async move { (i, in_review(client, fund, round_id, requested).await) });
    }
    let mut applications = vec![String::new(); RACERS];
    while let Some(done) = set_up.join_next().await {
        let (i, id) = done.unwrap();
        applications[i] = id;
    }
    let before = h.store.head();
    tally.setup += started.elapsed();

    let started = Instant::now();
    let mut racers = JoinSet::new();
    for (i, ask) in asks.iter().copied().enumerate() {
        let request = ask.request(&applications[i], &round_id);
        let client = h.racer.clone();
        racers.spawn(async move { (i, decide_until_definite(client, ask, request).await) });
    }
    let mut answers = vec![None; RACERS];
    while let Some(done) = racers.join_next().await {
        let (i, (answer, conflicts)) = done.unwrap();
        tally.conflicts += conflicts;
        answers[i] = Some(answer);
    }
    tally.race += started.elapsed();

    let started = Instant::now();
    let answers: Vec<Answer> = answers.into_iter().map(Option::unwrap).collect();
    check(
        h,
        index,
        budget,
        (&fund, before),
        &asks,
        &applications,
        &answers,
    )
    .await;
    tally.granted += (0..RACERS)
        .filter(|&i| answers[i] == Answer::Decided && asks[i] != Ask::Reject)
        .count();
    tally.refused += answers.iter().filter(|a| **a == Answer::DoesNotFit).count();
    tally.check += started.elapsed();
}

/// The round's answers against what the store holds: the period's ledger from its events,
/// every decision's events, and nothing else appended since `before`.
async fn check(
    h: &Harness,
    index: usize,
    budget: i64,
    (fund, before): (&str, i64),
    asks: &[Ask],
    applications: &[String],
    answers: &[Answer],
) {
    let period = format!("fund-period:{fund}:2026");
    let of_period = h.store.read_stream(&period).await.unwrap();
    let amount = |m: Option<Money>| {
        let m = m.expect("an amount");
        assert_eq!(m.currency, "SEK");
        m.minor_units
    };
    // The ledger from the period's events.
    let mut ledger_budget = None;
    let mut commitments = BTreeMap::new();
    for event in &of_period {
        match event.event_type.as_str() {
            "FundBudgetSet" => {
                ledger_budget = Some(amount(event.message::<pb::FundBudgetSet>().unwrap().budget));
            }
            "GrantCommitted" => {
                let committed = event.message::<pb::GrantCommitted>().unwrap();
                let first = commitments.insert(committed.application_id, amount(committed.amount));
                assert!(first.is_none(), "round {index}: a grant committed twice");
            }
            other => panic!("round {index}: {other} in the period"),
        }
    }
    let budget = budget * 100;
    assert_eq!(ledger_budget, Some(budget), "round {index}");
    let committed: i64 = commitments.values().sum();
    assert!(
        committed <= budget,
        "round {index}: OVER-COMMITTED: {committed} of {budget}"
    );
    // What the answers granted is what the period committed.
    let granted: BTreeMap<String, i64> = (0..RACERS)
        .filter(|&i| answers[i] == Answer::Decided && asks[i] != Ask::Reject)
        .map(|i| (applications[i].clone(), asks[i].granted() * 100))
        .collect();
    assert_eq!(
        commitments, granted,
        "round {index}: the answers and the period"
    );
    let remaining = budget - committed;
    if index.is_multiple_of(2) {
        assert_eq!(
            granted.len() as i64,
            FITTING,
            "round {index}: what fits is granted"
        );
    }
    for i in 0..RACERS {
        if answers[i] == Answer::DoesNotFit {
            assert!(
                asks[i].granted() * 100 > remaining,
                "round {index}: {:?} was refused, but {remaining} remain",
                asks[i]
            );
        }
    }
    // Since the race began: one ApplicationDecided for each decision, a GrantCommitted for
    // each grant, nothing for a refusal, nothing else.
    let appended = h.store.read_all(before, 10_000).await.unwrap();
    let mut decided = BTreeSet::new();
    for event in &appended {
        match event.event_type.as_str() {
            "ApplicationDecided" => {
                let d = event.message::<pb::ApplicationDecided>().unwrap();
                assert_eq!(d.year, 2026);
                let i = applications
                    .iter()
                    .position(|a| *a == event.aggregate_id)
                    .expect("a racer's application");
                let approved = d.approved.map_or(0, |m| m.minor_units);
                assert_eq!(approved, asks[i].granted() * 100, "round {index}");
                assert!(decided.insert(i), "round {index}: decided twice");
            }
            "GrantCommitted" => assert_eq!(event.aggregate_id, period),
            other => panic!("round {index}: {other} appended by the race"),
        }
    }
    let answered: BTreeSet<usize> = (0..RACERS)
        .filter(|&i| answers[i] == Answer::Decided)
        .collect();
    assert_eq!(decided, answered, "round {index}: decided as answered");
    assert_eq!(
        appended.len(),
        answered.len() + granted.len(),
        "round {index}"
    );
    // The ledger read model, kept by the projection while the race ran, is the events' sum.
    let mut progress = h.progress.clone();
    let head = h.store.head();
    assert!(
        wait_for(&mut progress, head, Duration::from_secs(30)).await,
        "round {index}: the read models reach {head}"
    );
    let viewer = Viewer::new(manager());
    let fund_id = Uuid::parse_str(fund).unwrap();
    let ledger = h.views.ledger(&viewer, fund_id, 2026).await.unwrap();
    let expected = LedgerView {
        fund: fund_id,
        year: 2026,
        currency: "SEK".into(),
        budget,
        committed,
        disbursed: 0,
        returned: 0,
    };
    assert_eq!(ledger, Some(expected), "round {index}: the ledger view");
}

/// The race in one configuration on a fresh database, removed afterwards even when an
/// assertion failed.
async fn race(backend: Backend, transport: Transport) {
    let fresh = Fresh::start(backend).await;
    let url = fresh.url.clone();
    let outcome = tokio::spawn(async move { rounds(&url, backend, transport).await }).await;
    fresh.remove().await;
    if let Err(failed) = outcome {
        std::panic::resume_unwind(failed.into_panic());
    }
}

/// Every round in one configuration; prints what it measured.
async fn rounds(url: &str, backend: Backend, transport: Transport) {
    let h = Harness::start(url, transport).await;
    let started = Instant::now();
    let mut tally = Tally::default();
    for index in 0..ROUNDS {
        round(&h, index, &mut tally).await;
    }
    eprintln!(
        "[race {backend:?} {transport:?}] {ROUNDS} rounds × {RACERS} decisions in {:.1?} \
         (setup {:.1?}, race {:.1?}, checks {:.1?}): {} granted, {} refused as not fitting, \
         {} CONFLICTs sent again",
        started.elapsed(),
        tally.setup,
        tally.race,
        tally.check,
        tally.granted,
        tally.refused,
        tally.conflicts,
    );
    h.store.database().close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_race_for_a_period_never_over_commits_on_sqlite_in_process() {
    race(Backend::Sqlite, Transport::InProcess).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_race_for_a_period_never_over_commits_on_sqlite_over_grpc() {
    race(Backend::Sqlite, Transport::Network).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_race_for_a_period_never_over_commits_on_postgres_in_process() {
    race(Backend::Postgres, Transport::InProcess).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_race_for_a_period_never_over_commits_on_postgres_over_grpc() {
    race(Backend::Postgres, Transport::Network).await;
}
