//! What an idea became, recorded on both sides: the ideas service spawns a process through
//! the processes service served on its own store over the network (as in distributed mode,
//! the caller's token relayed), and the follower of the processes' events completes the
//! idea's side of a process whose second write never happened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use innohub_ideas::IdeasApp;
use innohub_ideas::links::{self, OutcomeLinks};
use innohub_processes::ProcessesApp;
use innohub_proto::innohub::common::v1::{EventEnvelope, GetHistoryRequest, RecordRef};
use innohub_proto::innohub::ideas::v1 as pb;
use innohub_proto::innohub::ideas::v1::ideas_service_client::IdeasServiceClient;
use innohub_proto::innohub::processes::v1 as processes;
use innohub_proto::innohub::processes::v1::processes_service_client::ProcessesServiceClient;
use innohub_runtime::grpc::Channel;
use innohub_runtime::projection::ProjectionRunner;
use innohub_runtime::testing::{Served, person, send};
use innohub_runtime::{Database, ErrorCode, Principal, Role};
use prost::{Message as _, Name as _};

type Ideas = Served<IdeasApp, IdeasServiceClient<Channel>>;
type Processes = Served<ProcessesApp, ProcessesServiceClient<Channel>>;

const HOME: &str = "SE-1283";

fn lead() -> Principal {
    person(
        "ivar@helsingborg.se",
        HOME,
        None,
        &[Role::Employee, Role::InnovationLead],
    )
}

fn employee() -> Principal {
    person("lena@helsingborg.se", HOME, None, &[Role::Employee])
}

/// The processes service on its own store, and the ideas service calling it over the
/// network.
async fn start() -> (Ideas, Processes) {
    let processes = Served::start(
        ProcessesApp::new,
        innohub_processes::grpc::router,
        innohub_processes::grpc::channel,
        ProcessesServiceClient::new,
    )
    .await;
    let client = processes.remote.clone();
    let ideas = Served::start(
        move |store| IdeasApp::new(store).with_processes(client),
        innohub_ideas::grpc::router,
        innohub_ideas::grpc::channel,
        IdeasServiceClient::new,
    )
    .await;
    (ideas, processes)
}

async fn submit_idea(ideas: &Ideas) -> String {
    let request = pb::SubmitIdeaRequest {
        details: Some(pb::IdeaDetails {
            title: "Robot för bygglovsärenden".into(),
            need: "Samma kontroller görs för hand i varje ärende".into(),
            departments: vec!["bygg".into()],
            driver: pb::Driver::IdeaDriven as i32,
            ..Default::default()
        }),
    };
    send(
        &ideas.remote,
        &employee(),
        None,
        request,
        |mut c, r| async move { c.submit_idea(r).await },
    )
    .await
    .unwrap()
    .aggregate_id
}

fn process_details(title: &str) -> processes::ProcessDetails {
    processes::ProcessDetails {
        title: title.into(),
        short_description: "Kontroll av bygglovsansökningar".into(),
        departments: vec!["bygg".into()],
        volume: Some(processes::Volume::default()),
        ..Default::default()
    }
}

async fn spawn(
    ideas: &Ideas,
    by: &Principal,
    key: Option<&str>,
    idea: &str,
    details: processes::ProcessDetails,
) -> Result<pb::SpawnReply, innohub_runtime::grpc::ServiceError> {
    let request = pb::SpawnProcessFromIdeaRequest {
        idea_id: idea.into(),
        details: Some(details),
    };
    send(&ideas.remote, by, key, request, |mut c, r| async move {
        c.spawn_process_from_idea(r).await
    })
    .await
}

/// The links recorded in `id`'s history at the ideas service.
async fn outcomes(ideas: &Ideas, id: &str) -> Vec<RecordRef> {
    let request = GetHistoryRequest {
        aggregate_id: id.into(),
    };
    let events = send(
        &ideas.remote,
        &lead(),
        None,
        request,
        |mut c, r| async move { c.get_history(r).await },
    )
    .await
    .unwrap()
    .events;
    events
        .iter()
        .filter(|e| e.event_type == pb::IdeaOutcomeLinked::NAME)
        .map(|e| {
            pb::IdeaOutcomeLinked::decode(e.payload.as_slice())
                .unwrap()
                .outcome
                .unwrap()
        })
        .collect()
}

/// The origin the processes service recorded for process `id`.
async fn origin(processes: &Processes, id: &str) -> Option<RecordRef> {
    let request = GetHistoryRequest {
        aggregate_id: id.into(),
    };
    let events: Vec<EventEnvelope> = send(
        &processes.remote,
        &lead(),
        None,
        request,
        |mut c, r| async move { c.get_history(r).await },
    )
    .await
    .unwrap()
    .events;
    processes::ProcessSubmitted::decode(events[0].payload.as_slice())
        .unwrap()
        .origin
}

#[tokio::test]
async fn a_spawned_process_is_linked_on_both_sides() {
    let (ideas, processes) = start().await;
    let idea = submit_idea(&ideas).await;

    let reply = spawn(
        &ideas,
        &lead(),
        None,
        &idea,
        process_details("Bygglovsrobot"),
    )
    .await
    .unwrap();
    let process = reply.outcome.unwrap().aggregate_id;
    assert_eq!(reply.idea.unwrap().aggregate_id, idea);

    let origin = origin(&processes, &process).await.expect("an origin");
    assert_eq!(
        (
            origin.context.as_str(),
            origin.kind.as_str(),
            origin.id.as_str(),
            origin.municipality.as_str()
        ),
        ("ideas", "idea", idea.as_str(), HOME)
    );
    let linked = outcomes(&ideas, &idea).await;
    assert_eq!(linked.len(), 1);
    assert_eq!(
        (
            linked[0].context.as_str(),
            linked[0].kind.as_str(),
            linked[0].id.as_str()
        ),
        ("processes", "process", process.as_str())
    );
}

#[tokio::test]
async fn a_retried_spawn_gets_the_same_process_and_records_nothing_new() {
    let (ideas, processes) = start().await;
    let idea = submit_idea(&ideas).await;
    let first = spawn(
        &ideas,
        &lead(),
        Some("spawn-1"),
        &idea,
        process_details("Bygglovsrobot"),
    )
    .await
    .unwrap();
    let heads = (ideas.store.head(), processes.store.head());
    let again = spawn(
        &ideas,
        &lead(),
        Some("spawn-1"),
        &idea,
        process_details("Bygglovsrobot"),
    )
    .await
    .unwrap();
    assert_eq!(
        again.outcome.as_ref().unwrap().aggregate_id,
        first.outcome.as_ref().unwrap().aggregate_id
    );
    assert!(again.outcome.unwrap().replayed);
    assert_eq!((ideas.store.head(), processes.store.head()), heads);
    assert_eq!(outcomes(&ideas, &idea).await.len(), 1);
}

#[tokio::test]
async fn a_refused_spawn_records_nothing_on_either_side() {
    let (ideas, processes) = start().await;
    let idea = submit_idea(&ideas).await;
    let heads = (ideas.store.head(), processes.store.head());

    let not_a_lead = spawn(&ideas, &employee(), None, &idea, process_details("Robot"))
        .await
        .unwrap_err();
    assert_eq!(not_a_lead.code, ErrorCode::Forbidden);
    let bad_process = spawn(&ideas, &lead(), None, &idea, process_details(""))
        .await
        .unwrap_err();
    assert_eq!(
        bad_process.code,
        ErrorCode::BadUserInput,
        "{}",
        bad_process.message
    );
    assert!(
        bad_process.message.contains("title"),
        "{}",
        bad_process.message
    );
    let partner = person("pia@syddjurs.dk", "DK-0706", None, &[Role::InnovationLead]);
    let foreign = spawn(&ideas, &partner, None, &idea, process_details("Robot"))
        .await
        .unwrap_err();
    assert_eq!(foreign.code, ErrorCode::NotFound);

    assert_eq!((ideas.store.head(), processes.store.head()), heads);
}

#[tokio::test]
async fn the_follower_completes_a_link_whose_second_write_never_happened() {
    let (ideas, processes) = start().await;
    let idea = submit_idea(&ideas).await;
    let spawned = spawn(
        &ideas,
        &lead(),
        None,
        &idea,
        process_details("Bygglovsrobot"),
    )
    .await
    .unwrap()
    .outcome
    .unwrap()
    .aggregate_id;
    // The first write of a spawn whose service stopped before the second: a process that
    // names the idea as its origin, and no outcome on the idea.
    let request = processes::SubmitProcessRequest {
        details: Some(process_details("Bygglovsrobot 2")),
        origin: Some(RecordRef {
            context: "ideas".into(),
            kind: "idea".into(),
            id: idea.clone(),
            municipality: HOME.into(),
        }),
    };
    let orphan = send(
        &processes.remote,
        &lead(),
        None,
        request,
        |mut c, r| async move { c.submit_process(r).await },
    )
    .await
    .unwrap()
    .aggregate_id;
    assert_eq!(
        outcomes(&ideas, &idea).await.len(),
        1,
        "one-sided until followed"
    );

    let views = Database::connect(&Database::sqlite_url(&ideas.dir.join("links.sqlite")))
        .await
        .unwrap();
    let runner = ProjectionRunner::new(
        OutcomeLinks::new(ideas.app.clone(), links::PROCESS),
        processes.store.clone(),
        views.clone(),
    )
    .await
    .unwrap();
    runner.catch_up().await.unwrap();

    let linked: Vec<String> = outcomes(&ideas, &idea)
        .await
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(
        linked,
        [spawned.clone(), orphan],
        "healed, and the linked one not twice"
    );

    // Followed again from the start (a lost checkpoint): nothing new.
    let head = ideas.store.head();
    let again = ProjectionRunner::new(
        OutcomeLinks::new(ideas.app.clone(), links::PROCESS),
        processes.store.clone(),
        Database::connect(&Database::sqlite_url(&ideas.dir.join("again.sqlite")))
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    again.catch_up().await.unwrap();
    assert_eq!(ideas.store.head(), head);
}
