//! The processes service over a real network: `grpc::router` served by axum on a free
//! local port, a SQLite event store in a temp dir, and [`Processes::connect`] as the
//! gateway uses it. Remote answers are compared with the in-process ones on the same store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use innohub_processes::domain::assessment::AssessmentInput;
use innohub_processes::domain::backlog::Placement;
use innohub_processes::domain::details::ProcessFields;
use innohub_processes::domain::lifecycle::{Phase, Status};
use innohub_processes::domain::process::ExperienceFields;
use innohub_processes::domain::scoring::ScoringWeights;
use innohub_processes::{Processes, ProcessesApp, Reply, ServiceError, grpc};
use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::command::CommandContext;
use innohub_runtime::{
    Database, DepartmentId, ErrorCode, EventStore, MunicipalityId, Principal, Role, UserId,
    Visibility,
};
use pb::processes_service_client::ProcessesServiceClient;
use tonic::transport::Endpoint;
use uuid::Uuid;

/// A served processes service and both handles on its store.
struct Harness {
    url: String,
    remote: Processes,
    local: Processes,
    app: ProcessesApp,
    dir: PathBuf,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.server.abort();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn start() -> Harness {
    let dir = std::env::temp_dir().join(format!("innohub-grpc-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = Database::connect(&Database::sqlite_url(&dir.join("events.sqlite")))
        .await
        .unwrap();
    let app = ProcessesApp::new(EventStore::open(db, false).await.unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = grpc::router(app.clone());
    let server = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    let url = format!("http://127.0.0.1:{port}");
    Harness {
        remote: Processes::connect(&url).unwrap(),
        local: Processes::Local(app.clone()),
        url,
        app,
        dir,
        server,
    }
}

fn person(user: &str, municipality: &str, department: &str, roles: &[Role]) -> Principal {
    Principal {
        user: UserId::parse(user).unwrap(),
        municipality: MunicipalityId::parse(municipality).unwrap(),
        department: Some(DepartmentId::parse(department).unwrap()),
        roles: roles.iter().copied().collect::<BTreeSet<_>>(),
    }
}

/// A reporter in Syddjurs.
fn anne() -> Principal {
    person("anne@syddjurs.dk", "DK-0706", "social", &[Role::Employee])
}

/// IT portfolio and administrator in Syddjurs.
fn it() -> Principal {
    person(
        "it@syddjurs.dk",
        "DK-0706",
        "it",
        &[Role::ItPortfolio, Role::MunicipalityAdmin],
    )
}

/// Someone in Helsingborg.
fn partner() -> Principal {
    person(
        "sven@helsingborg.se",
        "SE-1283",
        "social",
        &[Role::Employee, Role::ItPortfolio],
    )
}

fn ctx<'a>(principal: &'a Principal, key: Option<&'a str>) -> CommandContext<'a> {
    CommandContext {
        principal,
        idempotency_key: key,
        correlation_id: Uuid::now_v7(),
    }
}

fn fields(title: &str, visibility: Visibility) -> ProcessFields {
    ProcessFields {
        title: Some(title.into()),
        short_description: Some("Automatic checks of applications".into()),
        departments: Some(vec!["social".into()]),
        cases_per_year: Some(1200),
        minutes_per_case: Some(15.0),
        automation_share: Some(60),
        technologies: Some(vec!["RPA".into()]),
        go_live_date: Some("2026-09-01".into()),
        visibility: Some(visibility),
        ..ProcessFields::default()
    }
}

fn ratings() -> AssessmentInput {
    AssessmentInput {
        rules_based: Some(4),
        structured_input: Some(3),
        risk: Some(2),
        ..AssessmentInput::default()
    }
}

fn process_id(reply: &Reply) -> Uuid {
    reply.aggregate_id.parse().unwrap()
}

fn assert_increasing(positions: &[i64]) {
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "positions do not increase: {positions:?}"
    );
}

#[tokio::test]
async fn every_command_succeeds_over_the_network() {
    let h = start().await;
    let (anne, it) = (anne(), it());
    let p = &h.remote;
    let mut replies = Vec::new();

    let submit_ctx = ctx(&anne, None);
    let correlation_id = submit_ctx.correlation_id;
    let submitted = p
        .submit(
            submit_ctx,
            fields("Sickness benefit follow-up", Visibility::Municipality),
        )
        .await
        .unwrap();
    let id = process_id(&submitted);
    assert_eq!(submitted.version, 1);
    replies.push(submitted);
    let update = ProcessFields {
        pain_points: Some("Manual typing from two systems".into()),
        ..ProcessFields::default()
    };
    replies.push(p.update(ctx(&anne, None), id, update).await.unwrap());
    replies.push(p.assess(ctx(&it, None), id, ratings()).await.unwrap());
    replies.push(
        p.change_phase(ctx(&it, None), id, Phase::PreAnalysis, None)
            .await
            .unwrap(),
    );
    replies.push(
        p.change_status(
            ctx(&it, None),
            id,
            Status::OnHold,
            Some("Waiting for IT".into()),
        )
        .await
        .unwrap(),
    );
    replies.push(
        p.comment(ctx(&anne, None), id, "Happy to help".into())
            .await
            .unwrap(),
    );
    replies.push(p.follow(ctx(&it, None), id).await.unwrap());
    replies.push(p.unfollow(ctx(&it, None), id).await.unwrap());
    let ranked = p.rank(ctx(&it, None), id, Placement::Top).await.unwrap();
    assert_eq!(ranked.aggregate_id, "backlog:DK-0706");
    replies.push(ranked);
    replies.push(p.unrank(ctx(&it, None), id).await.unwrap());
    let weights = ScoringWeights::parse(5.0, 2.0, 2.0, 1.0, 0.0).unwrap();
    let weighted = p
        .set_scoring_weights(ctx(&it, None), weights)
        .await
        .unwrap();
    assert_eq!(weighted.aggregate_id, "settings:DK-0706");
    replies.push(weighted);

    assert!(replies.iter().all(|r| !r.replayed), "{replies:?}");
    assert!(replies.iter().all(|r| r.suggested_visibility.is_none()));
    assert_increasing(&replies.iter().map(|r| r.position).collect::<Vec<_>>());
    // Process commands answer with the process; the assessment also moved the status.
    assert!(
        replies[..8]
            .iter()
            .all(|r| r.aggregate_id == id.to_string())
    );
    assert_eq!(
        replies[..8].iter().map(|r| r.version).collect::<Vec<_>>(),
        [1, 2, 4, 5, 6, 7, 8, 9]
    );

    // The correlation id travelled in the metadata.
    let stored = h.app.store().read_stream(&id.to_string()).await.unwrap();
    assert_eq!(stored[0].correlation_id, correlation_id);

    // History: in order, and the same remotely and locally.
    let history = p.history(&anne, id).await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|e| e.event_type.as_str())
            .collect::<Vec<_>>(),
        [
            "ProcessSubmitted",
            "ProcessDetailsChanged",
            "ProcessAssessed",
            "ProcessStatusChanged",
            "ProcessPhaseChanged",
            "ProcessStatusChanged",
            "ProcessCommented",
            "ProcessFollowed",
            "ProcessUnfollowed",
        ]
    );
    assert_eq!(
        history.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        (1..=9).collect::<Vec<_>>()
    );
    assert_eq!(history[0].actor_user, "anne@syddjurs.dk");
    assert_eq!(history[0].actor_municipality, "DK-0706");
    assert_eq!(history[2].actor_user, "it@syddjurs.dk");
    assert_eq!(history, h.local.history(&anne, id).await.unwrap());
}

#[tokio::test]
async fn a_process_reaching_operation_suggests_public_and_records_experience() {
    let h = start().await;
    let (anne, it) = (anne(), it());
    let p = &h.remote;
    let id = process_id(
        &p.submit(
            ctx(&anne, None),
            fields("Travel allowance", Visibility::Network),
        )
        .await
        .unwrap(),
    );
    p.assess(ctx(&it, None), id, ratings()).await.unwrap();
    let mut last = None;
    for phase in [
        Phase::PreAnalysis,
        Phase::Specification,
        Phase::Development,
        Phase::Implementation,
        Phase::Operation,
    ] {
        let reply = p
            .change_phase(ctx(&it, None), id, phase, None)
            .await
            .unwrap();
        let expected = (phase == Phase::Operation).then_some(Visibility::Public);
        assert_eq!(reply.suggested_visibility, expected, "{phase:?}");
        last = Some(reply);
    }
    let experience = ExperienceFields {
        what_was_built: Some("A robot".into()),
        realised_benefit: Some(3),
        decommission_date: Some("2030-01-31".into()),
        ..ExperienceFields::default()
    };
    let recorded = p
        .record_experience(ctx(&anne, None), id, experience)
        .await
        .unwrap();
    assert!(recorded.position > last.unwrap().position);

    // A benefit that does not fit the wire's unsigned field is refused like locally.
    let negative = ExperienceFields {
        realised_benefit: Some(-1),
        ..ExperienceFields::default()
    };
    let remote = p
        .record_experience(ctx(&anne, None), id, negative.clone())
        .await
        .unwrap_err();
    let local = h
        .local
        .record_experience(ctx(&anne, None), id, negative)
        .await
        .unwrap_err();
    assert_eq!(remote.code, ErrorCode::BadUserInput);
    assert_eq!(remote, local);
}

#[tokio::test]
async fn invalid_input_is_refused_alike_remotely_and_locally() {
    let h = start().await;
    let (anne, it) = (anne(), it());
    let blank_title = ProcessFields {
        title: Some("  ".into()),
        ..fields("x", Visibility::Municipality)
    };
    let remote = h
        .remote
        .submit(ctx(&anne, None), blank_title.clone())
        .await
        .unwrap_err();
    let local = h
        .local
        .submit(ctx(&anne, None), blank_title)
        .await
        .unwrap_err();
    assert_eq!(
        remote,
        ServiceError {
            code: ErrorCode::BadUserInput,
            message: "title: must not be empty".into()
        }
    );
    assert_eq!(remote, local);

    let missing = ProcessFields::default();
    let remote = h
        .remote
        .submit(ctx(&anne, None), missing.clone())
        .await
        .unwrap_err();
    assert_eq!(
        remote,
        h.local.submit(ctx(&anne, None), missing).await.unwrap_err()
    );
    assert_eq!(remote.message, "title: is required");

    // Ratings outside the wire's unsigned range still fail with the domain's message.
    let id = process_id(
        &h.remote
            .submit(
                ctx(&anne, None),
                fields("Housing benefit", Visibility::Municipality),
            )
            .await
            .unwrap(),
    );
    for raw in [-1, 0, 6, i64::from(u32::MAX) + 1] {
        let bad = AssessmentInput {
            risk: Some(raw),
            ..AssessmentInput::default()
        };
        let remote = h
            .remote
            .assess(ctx(&it, None), id, bad.clone())
            .await
            .unwrap_err();
        let local = h.local.assess(ctx(&it, None), id, bad).await.unwrap_err();
        assert_eq!(remote.message, "risk: must be a rating from 1 to 5");
        assert_eq!(remote, local, "rating {raw}");
    }

    // Forbidden travels as FORBIDDEN.
    let remote = h
        .remote
        .assess(ctx(&anne, None), id, ratings())
        .await
        .unwrap_err();
    assert_eq!(remote.code, ErrorCode::Forbidden);
    assert_eq!(
        remote,
        h.local
            .assess(ctx(&anne, None), id, ratings())
            .await
            .unwrap_err()
    );
}

#[tokio::test]
async fn calls_without_a_valid_principal_are_unauthenticated() {
    let h = start().await;
    let channel = Endpoint::from_shared(h.url.clone()).unwrap().connect_lazy();
    let mut raw = ProcessesServiceClient::new(channel);

    let status = raw
        .submit_process(pb::SubmitProcessRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    let status = raw
        .get_process_history(pb::GetProcessHistoryRequest {
            process_id: Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);

    let mut garbage = tonic::Request::new(pb::SubmitProcessRequest::default());
    garbage.metadata_mut().insert(
        grpc::PRINCIPAL_HEADER,
        "bm90IGEgcHJpbmNpcGFs".parse().unwrap(),
    );
    let status = raw.submit_process(garbage).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);

    // With a principal, an unspecified enum is INVALID_ARGUMENT.
    let mut unspecified = tonic::Request::new(pb::ChangeProcessPhaseRequest {
        process_id: Uuid::now_v7().to_string(),
        ..Default::default()
    });
    unspecified.metadata_mut().insert(
        grpc::PRINCIPAL_HEADER,
        grpc::encode_principal(&it()).unwrap().parse().unwrap(),
    );
    let status = raw.change_process_phase(unspecified).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert_eq!(status.message(), "phase: must be a known phase");
}

#[tokio::test]
async fn another_municipalitys_private_process_is_not_found() {
    let h = start().await;
    let (anne, partner) = (anne(), partner());
    let id = process_id(
        &h.remote
            .submit(ctx(&anne, None), fields("Draft", Visibility::Private))
            .await
            .unwrap(),
    );
    let random = Uuid::now_v7();
    let not_found = ServiceError {
        code: ErrorCode::NotFound,
        message: "not found".into(),
    };
    for target in [id, random] {
        let p = &h.remote;
        assert_eq!(
            p.comment(ctx(&partner, None), target, "hi".into())
                .await
                .unwrap_err(),
            not_found
        );
        assert_eq!(
            p.follow(ctx(&partner, None), target).await.unwrap_err(),
            not_found
        );
        assert_eq!(
            p.change_phase(ctx(&partner, None), target, Phase::PreAnalysis, None)
                .await
                .unwrap_err(),
            not_found
        );
        assert_eq!(p.history(&partner, target).await.unwrap_err(), not_found);
        assert_eq!(
            h.local.history(&partner, target).await.unwrap_err(),
            not_found
        );
    }
    // The reporter sees it.
    assert_eq!(h.remote.history(&anne, id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_retry_with_the_same_key_replays_the_first_reply() {
    let h = start().await;
    let anne = anne();
    let submit = || fields("Payroll checks", Visibility::Municipality);
    let first = h
        .remote
        .submit(ctx(&anne, Some("submit-1")), submit())
        .await
        .unwrap();
    assert!(!first.replayed);
    let again = h
        .remote
        .submit(ctx(&anne, Some("submit-1")), submit())
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(
        (again.aggregate_id.as_str(), again.version, again.position),
        (first.aggregate_id.as_str(), first.version, first.position)
    );
    // The same retry in-process gives the very same reply.
    let local = h
        .local
        .submit(ctx(&anne, Some("submit-1")), submit())
        .await
        .unwrap();
    assert_eq!(local, again);

    let id = process_id(&first);
    let comment = h
        .remote
        .comment(ctx(&anne, Some("comment-1")), id, "First!".into())
        .await
        .unwrap();
    let retried = h
        .remote
        .comment(ctx(&anne, Some("comment-1")), id, "First!".into())
        .await
        .unwrap();
    assert!(retried.replayed && !comment.replayed);
    assert_eq!(retried.position, comment.position);
    assert_eq!(h.remote.history(&anne, id).await.unwrap().len(), 2);
}
