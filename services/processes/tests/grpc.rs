//! The processes service through its generated client, the way the gateway calls it in both
//! modes: over a real network (`grpc::router` served by axum on a free local port) and
//! in-process (`grpc::channel`, no socket), on one SQLite event store. Every answer is
//! compared between the two, so the embedded mode cannot drift from the distributed one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::future::Future;
use std::path::PathBuf;

use innohub_processes::{ProcessesApp, grpc};
use innohub_proto::innohub::common::v1::{CommandReply, EventEnvelope, GetHistoryRequest};
use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::auth::DevKeys;
use innohub_runtime::grpc::{Caller, Channel, ServiceError};
use innohub_runtime::{
    Database, DepartmentId, ErrorCode, EventStore, MunicipalityId, Principal, Role, UserId,
    Verifier,
};
use pb::processes_service_client::ProcessesServiceClient;
use prost::Message as _;
use prost_types::FieldMask;
use uuid::Uuid;

type Client = ProcessesServiceClient<Channel>;

/// A served processes service and both clients on its store.
struct Harness {
    url: String,
    remote: Client,
    local: Client,
    app: ProcessesApp,
    store: EventStore,
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
    let store = EventStore::open(db, false).await.unwrap();
    let app = ProcessesApp::new(store.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = grpc::router(app.clone(), Verifier::development(keys()));
    let server = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    let url = format!("http://127.0.0.1:{port}");
    Harness {
        remote: ProcessesServiceClient::new(innohub_runtime::grpc::remote(&url).unwrap()),
        local: ProcessesServiceClient::new(grpc::channel(app.clone())),
        url,
        app,
        store,
        dir,
        server,
    }
}

/// The keys the served service accepts development tokens of.
fn keys() -> DevKeys {
    DevKeys::from_secret(b"the grpc tests' secret")
}

/// A token for `by` that the served service accepts.
fn token(by: &Principal) -> String {
    keys().mint(by, 1).unwrap()
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

/// Call `client` for `by` (with an idempotency key, maybe) and the error's stable code.
async fn send<M, R, F, Fut>(
    client: &Client,
    by: &Principal,
    key: Option<&str>,
    message: M,
    call: F,
) -> Result<R, ServiceError>
where
    F: FnOnce(Client, tonic::Request<M>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<R>, tonic::Status>>,
{
    let token = token(by);
    let caller = Caller {
        principal: by,
        token: Some(&token),
        idempotency_key: key,
        correlation_id: None,
    };
    let request = innohub_runtime::grpc::request(caller, message)?;
    Ok(call(client.clone(), request).await?.into_inner())
}

/// Submit `details` for `by`.
async fn submit(
    client: &Client,
    by: &Principal,
    key: Option<&str>,
    details: pb::ProcessDetails,
) -> Result<CommandReply, ServiceError> {
    let request = pb::SubmitProcessRequest {
        details: Some(details),
    };
    send(client, by, key, request, |mut c, r| async move {
        c.submit_process(r).await
    })
    .await
}

/// Assess process `id` for `by`.
async fn assess(
    client: &Client,
    by: &Principal,
    id: &str,
    assessment: pb::Assessment,
) -> Result<CommandReply, ServiceError> {
    let request = pb::AssessProcessRequest {
        process_id: id.to_owned(),
        assessment: Some(assessment),
    };
    send(client, by, None, request, |mut c, r| async move {
        c.assess_process(r).await
    })
    .await
}

/// Move process `id` to `to` for `by`.
async fn change_phase(
    client: &Client,
    by: &Principal,
    id: &str,
    to: pb::Phase,
) -> Result<CommandReply, ServiceError> {
    let request = pb::ChangeProcessPhaseRequest {
        process_id: id.to_owned(),
        to: to as i32,
        reason: String::new(),
    };
    send(client, by, None, request, |mut c, r| async move {
        c.change_process_phase(r).await
    })
    .await
}

/// Comment on process `id` for `by`.
async fn comment(
    client: &Client,
    by: &Principal,
    key: Option<&str>,
    id: &str,
    text: &str,
) -> Result<CommandReply, ServiceError> {
    let request = pb::CommentOnProcessRequest {
        process_id: id.to_owned(),
        text: text.to_owned(),
    };
    send(client, by, key, request, |mut c, r| async move {
        c.comment_on_process(r).await
    })
    .await
}

/// The history of `id` as `by` may see it.
async fn history(
    client: &Client,
    by: &Principal,
    id: &str,
) -> Result<Vec<EventEnvelope>, ServiceError> {
    let request = GetHistoryRequest {
        aggregate_id: id.to_owned(),
    };
    let reply = send(client, by, None, request, |mut c, r| async move {
        c.get_history(r).await
    })
    .await?;
    Ok(reply.events)
}

fn details(title: &str, visibility: pb::Visibility) -> pb::ProcessDetails {
    pb::ProcessDetails {
        title: title.into(),
        short_description: "Automatic checks of applications".into(),
        departments: vec!["social".into()],
        owner: "anne@syddjurs.dk".into(),
        internal_notes: "Waiting for the security review".into(),
        volume: Some(pb::Volume {
            cases_per_year: 1200,
            minutes_per_case: 15.0,
            employees: None,
            automation_share: 60,
        }),
        technologies: vec!["RPA".into()],
        go_live_date: "2026-09-01".into(),
        visibility: visibility as i32,
        ..pb::ProcessDetails::default()
    }
}

fn ratings() -> pb::Assessment {
    pb::Assessment {
        rules_based: Some(4),
        structured_input: Some(3),
        risk: Some(2),
        ..pb::Assessment::default()
    }
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

    let correlation_id = Uuid::now_v7();
    let request = innohub_runtime::grpc::request(
        Caller {
            principal: &anne,
            token: Some(&token(&anne)),
            idempotency_key: None,
            correlation_id: Some(correlation_id),
        },
        pb::SubmitProcessRequest {
            details: Some(details(
                "Sickness benefit follow-up",
                pb::Visibility::Municipality,
            )),
        },
    )
    .unwrap();
    let submitted = p
        .clone()
        .submit_process(request)
        .await
        .unwrap()
        .into_inner();
    let id = submitted.aggregate_id.clone();
    assert_eq!(submitted.version, 1);
    replies.push(submitted);
    let update = pb::UpdateProcessRequest {
        process_id: id.clone(),
        details: Some(pb::ProcessDetails {
            pain_points: "Manual typing from two systems".into(),
            ..Default::default()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["pain_points".into()],
        }),
    };
    replies.push(
        send(p, &anne, None, update, |mut c, r| async move {
            c.update_process(r).await
        })
        .await
        .unwrap(),
    );
    replies.push(assess(p, &it, &id, ratings()).await.unwrap());
    replies.push(
        change_phase(p, &it, &id, pb::Phase::PreAnalysis)
            .await
            .unwrap(),
    );
    let on_hold = pb::ChangeProcessStatusRequest {
        process_id: id.clone(),
        to: pb::Status::OnHold as i32,
        reason: "Waiting for IT".into(),
    };
    replies.push(
        send(p, &it, None, on_hold, |mut c, r| async move {
            c.change_process_status(r).await
        })
        .await
        .unwrap(),
    );
    replies.push(comment(p, &anne, None, &id, "Happy to help").await.unwrap());
    let follow = pb::FollowProcessRequest {
        process_id: id.clone(),
    };
    replies.push(
        send(p, &it, None, follow, |mut c, r| async move {
            c.follow_process(r).await
        })
        .await
        .unwrap(),
    );
    let unfollow = pb::UnfollowProcessRequest {
        process_id: id.clone(),
    };
    replies.push(
        send(p, &it, None, unfollow, |mut c, r| async move {
            c.unfollow_process(r).await
        })
        .await
        .unwrap(),
    );
    let rank = pb::RankProcessRequest {
        process_id: id.clone(),
        placement: Some(pb::rank_process_request::Placement::Top(true)),
    };
    let ranked = send(p, &it, None, rank, |mut c, r| async move {
        c.rank_process(r).await
    })
    .await
    .unwrap();
    assert_eq!(ranked.aggregate_id, "backlog:DK-0706");
    replies.push(ranked);
    let unrank = pb::UnrankProcessRequest {
        process_id: id.clone(),
    };
    replies.push(
        send(p, &it, None, unrank, |mut c, r| async move {
            c.unrank_process(r).await
        })
        .await
        .unwrap(),
    );
    let weights = pb::SetScoringWeightsRequest {
        weights: Some(pb::ScoringWeights {
            hours_saved: 5.0,
            automation_potential: 2.0,
            ease: 2.0,
            strategic_fit: 1.0,
            risk: 0.0,
        }),
    };
    let weighted = send(p, &it, None, weights, |mut c, r| async move {
        c.set_scoring_weights(r).await
    })
    .await
    .unwrap();
    assert_eq!(weighted.aggregate_id, "settings:DK-0706");
    replies.push(weighted);

    assert!(replies.iter().all(|r| !r.replayed), "{replies:?}");
    assert_increasing(&replies.iter().map(|r| r.position).collect::<Vec<_>>());
    // Process commands answer with the process; the assessment also moved the status.
    assert!(replies[..8].iter().all(|r| r.aggregate_id == id));
    assert_eq!(
        replies[..8].iter().map(|r| r.version).collect::<Vec<_>>(),
        [1, 2, 4, 5, 6, 7, 8, 9]
    );

    // The correlation id travelled in the metadata.
    let stored = h.app.store().read_stream(&id).await.unwrap();
    assert_eq!(stored[0].correlation_id, correlation_id);

    // History: in order, with the stored bytes, and the same remotely and locally.
    let events = history(p, &anne, &id).await.unwrap();
    assert_eq!(
        events
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
        events.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        (1..=9).collect::<Vec<_>>()
    );
    let actor = |e: &EventEnvelope| e.actor.clone().unwrap();
    assert_eq!(actor(&events[0]).user, "anne@syddjurs.dk");
    assert_eq!(actor(&events[0]).municipality, "DK-0706");
    assert_eq!(actor(&events[2]).user, "it@syddjurs.dk");
    assert_eq!(
        events[0].payload, stored[0].payload,
        "members read the event as stored"
    );
    assert_eq!(events, history(&h.local, &anne, &id).await.unwrap());

    // The backlog's and the settings' histories, for members only.
    for aggregate in ["backlog:DK-0706", "settings:DK-0706"] {
        let own = history(p, &it, aggregate).await.unwrap();
        assert!(!own.is_empty(), "{aggregate}");
        assert_eq!(own, history(&h.local, &it, aggregate).await.unwrap());
        let partner = history(p, &partner(), aggregate).await.unwrap_err();
        assert_eq!(partner.code, ErrorCode::NotFound, "{aggregate}");
    }
}

#[tokio::test]
async fn a_partner_reads_a_shared_history_without_people_or_internal_notes() {
    let h = start().await;
    let (anne, sven) = (anne(), partner());
    let id = submit(
        &h.remote,
        &anne,
        None,
        details("Travel allowance", pb::Visibility::Public),
    )
    .await
    .unwrap()
    .aggregate_id;
    comment(&h.remote, &sven, None, &id, "How did you do it?")
        .await
        .unwrap();
    let for_partner = history(&h.remote, &sven, &id).await.unwrap();
    assert_eq!(for_partner, history(&h.local, &sven, &id).await.unwrap());
    let submitted = pb::ProcessSubmitted::decode(for_partner[0].payload.as_slice()).unwrap();
    let d = submitted.details.unwrap();
    assert_eq!(d.title, "Travel allowance");
    assert_eq!((submitted.reporter.as_str(), d.owner.as_str()), ("", ""));
    assert!(d.internal_notes.is_empty() && d.departments.is_empty());
    assert_eq!(
        for_partner[0].actor.clone().unwrap().user,
        "",
        "no people of others"
    );
    // The partner sees their own comment with their name; the owner sees it without.
    let partner_comment = pb::ProcessCommented::decode(for_partner[1].payload.as_slice()).unwrap();
    assert_eq!(partner_comment.author, "sven@helsingborg.se");
    let for_owner = history(&h.remote, &anne, &id).await.unwrap();
    let owner_comment = pb::ProcessCommented::decode(for_owner[1].payload.as_slice()).unwrap();
    assert_eq!(owner_comment.author, "");
    assert_eq!(owner_comment.author_municipality, "SE-1283");
    let submitted = pb::ProcessSubmitted::decode(for_owner[0].payload.as_slice()).unwrap();
    assert_eq!(
        submitted.details.unwrap().internal_notes,
        "Waiting for the security review"
    );
}

#[tokio::test]
async fn a_process_in_operation_records_experience_and_refuses_a_bad_one_alike() {
    let h = start().await;
    let (anne, it) = (anne(), it());
    let p = &h.remote;
    let id = submit(
        p,
        &anne,
        None,
        details("Travel allowance", pb::Visibility::Network),
    )
    .await
    .unwrap()
    .aggregate_id;
    assess(p, &it, &id, ratings()).await.unwrap();
    let mut last = 0;
    for phase in [
        pb::Phase::PreAnalysis,
        pb::Phase::Specification,
        pb::Phase::Development,
        pb::Phase::Implementation,
        pb::Phase::Operation,
    ] {
        last = change_phase(p, &it, &id, phase).await.unwrap().position;
    }
    let record = |client: &Client, benefit: u32| {
        let request = pb::RecordProcessExperienceRequest {
            process_id: id.clone(),
            experience: Some(pb::Experience {
                what_was_built: "A robot".into(),
                realised_benefit: Some(benefit),
                decommission_date: "2030-01-31".into(),
                ..Default::default()
            }),
        };
        let client = client.clone();
        let anne = anne.clone();
        async move {
            send(&client, &anne, None, request, |mut c, r| async move {
                c.record_process_experience(r).await
            })
            .await
        }
    };
    let recorded = record(p, 3).await.unwrap();
    assert!(recorded.position > last);

    // A benefit beyond the 0-3 rating is refused remotely exactly as locally.
    let remote = record(p, 4).await.unwrap_err();
    let local = record(&h.local, 4).await.unwrap_err();
    assert_eq!(remote.code, ErrorCode::BadUserInput);
    assert_eq!(
        remote.message,
        "realisedBenefit: must be a rating from 0 to 3"
    );
    assert_eq!(remote, local);
}

#[tokio::test]
async fn invalid_input_is_refused_alike_remotely_and_locally() {
    let h = start().await;
    let (anne, it) = (anne(), it());
    let blank_title = pb::ProcessDetails {
        title: "  ".into(),
        ..details("x", pb::Visibility::Municipality)
    };
    let remote = submit(&h.remote, &anne, None, blank_title.clone())
        .await
        .unwrap_err();
    let local = submit(&h.local, &anne, None, blank_title)
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

    let missing = pb::ProcessDetails::default();
    let remote = submit(&h.remote, &anne, None, missing.clone())
        .await
        .unwrap_err();
    assert_eq!(
        remote,
        submit(&h.local, &anne, None, missing).await.unwrap_err()
    );
    assert_eq!(remote.message, "title: is required");

    // Ratings outside 1-5 fail with the domain's message.
    let id = submit(
        &h.remote,
        &anne,
        None,
        details("Housing benefit", pb::Visibility::Municipality),
    )
    .await
    .unwrap()
    .aggregate_id;
    for raw in [0, 6, u32::MAX] {
        let bad = pb::Assessment {
            risk: Some(raw),
            ..pb::Assessment::default()
        };
        let remote = assess(&h.remote, &it, &id, bad).await.unwrap_err();
        let local = assess(&h.local, &it, &id, bad).await.unwrap_err();
        assert_eq!(remote.message, "risk: must be a rating from 1 to 5");
        assert_eq!(remote, local, "rating {raw}");
    }

    // An update mask naming no field of the details is refused, naming the mask.
    let update = pb::UpdateProcessRequest {
        process_id: id.clone(),
        details: Some(pb::ProcessDetails::default()),
        update_mask: Some(FieldMask {
            paths: vec!["colour".into()],
        }),
    };
    let remote = send(&h.remote, &anne, None, update, |mut c, r| async move {
        c.update_process(r).await
    })
    .await
    .unwrap_err();
    assert_eq!(remote.code, ErrorCode::BadUserInput);
    assert!(
        remote.message.starts_with("updateMask: "),
        "{}",
        remote.message
    );

    // Forbidden travels as FORBIDDEN.
    let remote = assess(&h.remote, &anne, &id, ratings()).await.unwrap_err();
    assert_eq!(remote.code, ErrorCode::Forbidden);
    assert_eq!(
        remote,
        assess(&h.local, &anne, &id, ratings()).await.unwrap_err()
    );
    assert_eq!(
        history(&h.remote, &anne, &id).await.unwrap().len(),
        1,
        "nothing recorded"
    );
}

/// A call over the network with `authorization` metadata (if any) and a forged principal
/// in the metadata the service trusted before it verified tokens itself.
async fn forged(h: &Harness, authorization: Option<&str>) -> tonic::Status {
    let mut raw = ProcessesServiceClient::new(innohub_runtime::grpc::remote(&h.url).unwrap());
    let mut request = tonic::Request::new(pb::SubmitProcessRequest {
        details: Some(details("Forged", pb::Visibility::Public)),
    });
    let principal = innohub_proto::innohub::common::v1::Principal {
        user: "it@syddjurs.dk".into(),
        municipality: "DK-0706".into(),
        department: "it".into(),
        roles: vec!["it_portfolio".into(), "municipality_admin".into()],
    };
    request.metadata_mut().insert_bin(
        "x-innohub-principal-bin",
        tonic::metadata::MetadataValue::from_bytes(&principal.encode_to_vec()),
    );
    if let Some(value) = authorization {
        request
            .metadata_mut()
            .insert("authorization", value.parse().unwrap());
    }
    raw.submit_process(request).await.unwrap_err()
}

#[tokio::test]
async fn calls_without_a_valid_token_are_unauthenticated_and_record_nothing() {
    let h = start().await;
    let before = h.store.head();
    let mut raw = ProcessesServiceClient::new(innohub_runtime::grpc::remote(&h.url).unwrap());
    let status = raw
        .submit_process(pb::SubmitProcessRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    let status = raw
        .get_history(GetHistoryRequest {
            aggregate_id: Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);

    // A principal claimed in metadata, with no token, a token of another secret, a
    // token whose payload was changed after signing, or garbage.
    let other = DevKeys::from_secret(b"another secret")
        .mint(&it(), 1)
        .unwrap();
    let genuine = token(&anne());
    let mut parts: Vec<&str> = genuine.split('.').collect();
    let claims = base64_url(&claims_of(&it()));
    parts[1] = &claims;
    let tampered = parts.join(".");
    for authorization in [
        None,
        Some(format!("Bearer {other}")),
        Some(format!("Bearer {tampered}")),
        Some("Bearer not-a-token".to_owned()),
        Some(genuine.clone()),
    ] {
        let status = forged(&h, authorization.as_deref()).await;
        assert_eq!(
            status.code(),
            tonic::Code::Unauthenticated,
            "{authorization:?}"
        );
    }
    assert_eq!(h.store.head(), before, "nothing was recorded");

    // With a valid token, an unspecified enum is INVALID_ARGUMENT.
    let mut unspecified = tonic::Request::new(pb::ChangeProcessPhaseRequest {
        process_id: Uuid::now_v7().to_string(),
        ..Default::default()
    });
    unspecified.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", token(&it())).parse().unwrap(),
    );
    let status = raw.change_process_phase(unspecified).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert_eq!(status.message(), "phase: must be a known phase");
}

/// The claims of a development token for `who`, as JSON.
fn claims_of(who: &Principal) -> String {
    let genuine = token(who);
    let payload = genuine.split('.').nth(1).unwrap().to_owned();
    String::from_utf8(base64_url_decode(&payload)).unwrap()
}

fn base64_url(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

fn base64_url_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

#[tokio::test]
async fn another_municipalitys_private_process_is_not_found() {
    let h = start().await;
    let (anne, partner) = (anne(), partner());
    let id = submit(
        &h.remote,
        &anne,
        None,
        details("Draft", pb::Visibility::Private),
    )
    .await
    .unwrap()
    .aggregate_id;
    let random = Uuid::now_v7().to_string();
    let not_found = ServiceError {
        code: ErrorCode::NotFound,
        message: "not found".into(),
    };
    for target in [id.as_str(), random.as_str(), "not-a-uuid"] {
        for p in [&h.remote, &h.local] {
            assert_eq!(
                comment(p, &partner, None, target, "hi").await.unwrap_err(),
                not_found
            );
            let follow = pb::FollowProcessRequest {
                process_id: target.to_owned(),
            };
            let followed = send(p, &partner, None, follow, |mut c, r| async move {
                c.follow_process(r).await
            })
            .await;
            assert_eq!(followed.unwrap_err(), not_found);
            assert_eq!(
                change_phase(p, &partner, target, pb::Phase::PreAnalysis)
                    .await
                    .unwrap_err(),
                not_found
            );
            assert_eq!(history(p, &partner, target).await.unwrap_err(), not_found);
        }
    }
    // The reporter sees it.
    assert_eq!(history(&h.remote, &anne, &id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_retry_with_the_same_key_replays_the_first_reply() {
    let h = start().await;
    let anne = anne();
    let form = || details("Payroll checks", pb::Visibility::Municipality);
    let first = submit(&h.remote, &anne, Some("submit-1"), form())
        .await
        .unwrap();
    assert!(!first.replayed);
    let again = submit(&h.remote, &anne, Some("submit-1"), form())
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(
        (again.aggregate_id.as_str(), again.version, again.position),
        (first.aggregate_id.as_str(), first.version, first.position)
    );
    // The same retry in-process gives the very same reply.
    let local = submit(&h.local, &anne, Some("submit-1"), form())
        .await
        .unwrap();
    assert_eq!(local, again);
    // The same key for another request is the client's mistake.
    let other = submit(
        &h.remote,
        &anne,
        Some("submit-1"),
        details("Other", pb::Visibility::Municipality),
    )
    .await;
    assert_eq!(other.unwrap_err().code, ErrorCode::BadUserInput);

    let id = first.aggregate_id;
    let said = comment(&h.remote, &anne, Some("comment-1"), &id, "First!")
        .await
        .unwrap();
    let retried = comment(&h.remote, &anne, Some("comment-1"), &id, "First!")
        .await
        .unwrap();
    assert!(retried.replayed && !said.replayed);
    assert_eq!(retried.position, said.position);
    assert_eq!(history(&h.remote, &anne, &id).await.unwrap().len(), 2);
    // A key the metadata cannot carry, or of more than 200 characters, is refused.
    for key in ["", &"k".repeat(201)] {
        let refused = comment(&h.remote, &anne, Some(key), &id, "Again")
            .await
            .unwrap_err();
        assert_eq!(refused.code, ErrorCode::BadUserInput, "key {key:?}");
    }
}
