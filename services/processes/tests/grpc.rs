//! The processes service through its generated client, the way the gateway calls it in both
//! modes: over a real network (`grpc::router` served by axum on a free local port) and
//! in-process (`grpc::channel`, no socket), on one SQLite event store. Every answer is
//! compared between the two, so the embedded mode cannot drift from the distributed one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use innohub_processes::{ProcessesApp, grpc};
use innohub_proto::innohub::common::v1::{CommandReply, EventEnvelope, GetHistoryRequest};
use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::auth::DevKeys;
use innohub_runtime::grpc::{Caller, Channel, ServiceError};
use innohub_runtime::testing::{Served, forged_request, person, send, token_for};
use innohub_runtime::{ErrorCode, Principal, Role};
use pb::processes_service_client::ProcessesServiceClient;
use prost::Message as _;
use prost_types::FieldMask;
use uuid::Uuid;

type Client = ProcessesServiceClient<Channel>;

/// A served processes service and both clients on its store.
type Harness = Served<ProcessesApp, Client>;

async fn start() -> Harness {
    Served::start(ProcessesApp::new, grpc::router, grpc::channel, Client::new).await
}

/// A reporter in Syddjurs.
fn anne() -> Principal {
    person(
        "anne@syddjurs.dk",
        "DK-0706",
        Some("social"),
        &[Role::Employee],
    )
}

/// IT portfolio and administrator in Syddjurs.
fn it() -> Principal {
    person(
        "it@syddjurs.dk",
        "DK-0706",
        Some("it"),
        &[Role::ItPortfolio, Role::MunicipalityAdmin],
    )
}

/// Someone in Helsingborg.
fn partner() -> Principal {
    person(
        "sven@helsingborg.se",
        "SE-1283",
        Some("social"),
        &[Role::Employee, Role::ItPortfolio],
    )
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
        origin: None,
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
            token: Some(&token_for(&anne)),
            idempotency_key: None,
            correlation_id: Some(correlation_id),
        },
        pb::SubmitProcessRequest {
            details: Some(details(
                "Sickness benefit follow-up",
                pb::Visibility::Municipality,
            )),
            origin: None,
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
    let principal = innohub_proto::innohub::common::v1::Principal {
        user: "it@syddjurs.dk".into(),
        municipality: "DK-0706".into(),
        department: "it".into(),
        roles: vec!["it_portfolio".into(), "municipality_admin".into()],
    };
    let request = forged_request(
        pb::SubmitProcessRequest {
            details: Some(details("Forged", pb::Visibility::Public)),
            origin: None,
        },
        &principal,
        authorization,
    );
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
    let genuine = token_for(&anne());
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
        format!("Bearer {}", token_for(&it())).parse().unwrap(),
    );
    let status = raw.change_process_phase(unspecified).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert_eq!(status.message(), "phase: must be a known phase");
}

/// The claims of a development token for `who`, as JSON.
fn claims_of(who: &Principal) -> String {
    let genuine = token_for(who);
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

/// Adopt process `id` for `by`.
async fn adopt(
    client: &Client,
    by: &Principal,
    id: &str,
    departments: &[&str],
) -> Result<CommandReply, ServiceError> {
    let request = pb::AdoptProcessRequest {
        process_id: id.to_owned(),
        departments: departments.iter().map(|d| (*d).to_owned()).collect(),
    };
    send(client, by, None, request, |mut c, r| async move {
        c.adopt_process(r).await
    })
    .await
}

/// Create an umbrella for `by`.
async fn create_umbrella(
    client: &Client,
    by: &Principal,
    title: &str,
    visibility: pb::Visibility,
) -> Result<CommandReply, ServiceError> {
    let request = pb::CreateUmbrellaRequest {
        title: title.to_owned(),
        description: "Robots for the same kind of case".to_owned(),
        visibility: visibility as i32,
    };
    send(client, by, None, request, |mut c, r| async move {
        c.create_umbrella(r).await
    })
    .await
}

/// Add (`add`) or remove `process` to or from `umbrella` for `by`.
async fn member(
    client: &Client,
    by: &Principal,
    umbrella: &str,
    process: &str,
    add: bool,
) -> Result<CommandReply, ServiceError> {
    if add {
        let request = pb::AddToUmbrellaRequest {
            umbrella_id: umbrella.to_owned(),
            process_id: process.to_owned(),
        };
        send(client, by, None, request, |mut c, r| async move {
            c.add_to_umbrella(r).await
        })
        .await
    } else {
        let request = pb::RemoveFromUmbrellaRequest {
            umbrella_id: umbrella.to_owned(),
            process_id: process.to_owned(),
        };
        send(client, by, None, request, |mut c, r| async move {
            c.remove_from_umbrella(r).await
        })
        .await
    }
}

#[tokio::test]
async fn a_partner_adopts_a_shared_process_with_a_link_and_without_people_alike() {
    let h = start().await;
    let public = submit(
        &h.remote,
        &anne(),
        None,
        details("Public", pb::Visibility::Public),
    )
    .await
    .unwrap()
    .aggregate_id;
    let kept = submit(
        &h.remote,
        &anne(),
        None,
        details("Kept", pb::Visibility::Municipality),
    )
    .await
    .unwrap()
    .aggregate_id;
    for client in [&h.remote, &h.local] {
        // A partner adopts the public process: one new process stream, in their municipality.
        let before = h.store.head();
        let copy = adopt(client, &partner(), &public, &[]).await.unwrap();
        assert_ne!(copy.aggregate_id, public);
        let events = h.store.read_stream(&copy.aggregate_id).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].municipality, "SE-1283");
        let submitted: pb::ProcessSubmitted = events[0].message().unwrap();
        assert_eq!(
            submitted.adopted_from,
            Some(pb::AdoptionOrigin {
                process_id: public.clone(),
                municipality: "DK-0706".into(),
            })
        );
        assert_eq!(submitted.reporter, partner().user.as_str());
        let d = submitted.details.unwrap();
        assert_eq!(d.title, "Public");
        assert_eq!(d.technologies, ["RPA"]);
        assert_eq!((d.owner.as_str(), d.internal_notes.as_str()), ("", ""));
        assert_eq!(d.departments, ["social"], "the adopter's own department");
        assert_eq!(d.visibility, pb::Visibility::Municipality as i32);
        assert!(h.store.head() > before);

        // What is not shared with them cannot be adopted, one's own is refused, and the
        // refusals record nothing.
        let head = h.store.head();
        let hidden = adopt(client, &partner(), &kept, &[]).await.unwrap_err();
        assert_eq!(hidden.code, ErrorCode::NotFound);
        let unknown = adopt(client, &partner(), &Uuid::now_v7().to_string(), &[])
            .await
            .unwrap_err();
        assert_eq!(unknown.code, ErrorCode::NotFound);
        let own = adopt(client, &anne(), &public, &[]).await.unwrap_err();
        assert_eq!(own.code, ErrorCode::BadUserInput);
        assert!(
            own.message.contains("another municipality's process"),
            "{}",
            own.message
        );
        let many: Vec<String> = (0..31).map(|i| format!("d{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let bad = adopt(client, &partner(), &public, &many).await.unwrap_err();
        assert_eq!(bad.code, ErrorCode::BadUserInput);
        assert!(bad.message.starts_with("departments"), "{}", bad.message);
        assert_eq!(h.store.head(), head);
    }
}

#[tokio::test]
async fn umbrellas_group_local_and_shared_processes_and_keep_a_history_alike() {
    let h = start().await;
    let own = submit(
        &h.remote,
        &anne(),
        None,
        details("Own", pb::Visibility::Municipality),
    )
    .await
    .unwrap()
    .aggregate_id;
    let private = submit(
        &h.remote,
        &anne(),
        None,
        details("Mine", pb::Visibility::Private),
    )
    .await
    .unwrap()
    .aggregate_id;
    let theirs = submit(
        &h.remote,
        &partner(),
        None,
        details("Theirs", pb::Visibility::Public),
    )
    .await
    .unwrap()
    .aggregate_id;
    let hidden = submit(
        &h.remote,
        &partner(),
        None,
        details("Hidden", pb::Visibility::Municipality),
    )
    .await
    .unwrap()
    .aggregate_id;
    for client in [&h.remote, &h.local] {
        let local = create_umbrella(client, &it(), "Local", pb::Visibility::Municipality)
            .await
            .unwrap()
            .aggregate_id;
        let shared = create_umbrella(client, &it(), "Shared", pb::Visibility::Public)
            .await
            .unwrap()
            .aggregate_id;
        let head = h.store.head();
        // Only IT portfolio creates umbrellas; a title is required.
        let e = create_umbrella(client, &anne(), "No", pb::Visibility::Public)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        let e = create_umbrella(client, &it(), " ", pb::Visibility::Public)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::BadUserInput);
        // A local umbrella refuses a partner's process; a shared one takes it.
        let e = member(client, &it(), &local, &theirs, true)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::BadUserInput);
        // What the caller cannot see does not exist; a second add is refused.
        let e = member(client, &it(), &shared, &hidden, true)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        // Nobody but the owner's IT portfolio changes members; partners who cannot see a
        // local umbrella do not find it.
        let e = member(client, &partner(), &shared, &theirs, true)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        let e = member(client, &partner(), &local, &theirs, true)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        let e = member(client, &it(), &shared, &own, false)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::BadUserInput, "not a member");
        assert_eq!(h.store.head(), head, "refusals record nothing");

        member(client, &it(), &local, &own, true).await.unwrap();
        member(client, &it(), &shared, &own, true).await.unwrap();
        member(client, &it(), &shared, &theirs, true).await.unwrap();
        member(client, &anne(), &shared, &private, true)
            .await
            .expect_err("anne is not IT portfolio");
        let e = member(client, &it(), &shared, &theirs, true)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::BadUserInput, "added twice");
        member(client, &it(), &shared, &own, false).await.unwrap();

        // The history follows the umbrella's read rule.
        let types = |events: &[EventEnvelope]| -> Vec<String> {
            events.iter().map(|e| e.event_type.clone()).collect()
        };
        let seen = history(client, &it(), &shared).await.unwrap();
        assert_eq!(
            types(&seen),
            [
                "UmbrellaCreated",
                "UmbrellaMemberAdded",
                "UmbrellaMemberAdded",
                "UmbrellaMemberRemoved"
            ]
        );
        // A partner reads the shared umbrella's history without its creator, and only the
        // member events of processes they can read (here: all of them).
        let theirs_view = history(client, &partner(), &shared).await.unwrap();
        assert_eq!(theirs_view.len(), 1 + 3 - 2, "own was MUNICIPALITY: hidden");
        let created = pb::UmbrellaCreated::decode(theirs_view[0].payload.as_slice()).unwrap();
        assert_eq!(created.created_by, "");
        assert_eq!(created.title, "Shared");
        let e = history(client, &partner(), &local).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
    }
}

// ---------------------------------------------------------------------------------------
// Network partners, asked of the real directory service
// ---------------------------------------------------------------------------------------

use innohub_runtime::testing::network::{self, Directory, Networked};

/// A processes service that asks a directory served over the network for its callers'
/// partners (relaying their tokens), and one that asks it in-process; one directory store.
async fn networked() -> Networked<ProcessesApp, ProcessesServiceClient<Channel>> {
    Networked::start(
        start().await,
        innohub_directory::DirectoryApp::new,
        innohub_directory::grpc::router,
        innohub_directory::grpc::channel,
        |store, directory| ProcessesApp::new(store).with_directory(directory),
        grpc::router,
        grpc::channel,
        ProcessesServiceClient::new,
    )
    .await
}

fn admin(municipality: &str) -> Principal {
    person(
        &format!("admin@{municipality}"),
        municipality,
        Some("it"),
        &[Role::MunicipalityAdmin],
    )
}

/// Register DK-0706, SE-1283 and NO-4626, and put DK-0706 and SE-1283 in one network once
/// `accepted`; returns the network id.
async fn network_of_two(directory: &Directory, accepted: bool) -> String {
    let root = person(
        "root@innohub",
        "DK-0706",
        Some("it"),
        &[Role::PlatformAdmin],
    );
    let network = network::network_of(
        directory,
        &root,
        &admin("DK-0706"),
        &[
            ("DK", "0706", "Syddjurs"),
            ("SE", "1283", "Helsingborg"),
            ("NO", "4626", "Øygarden"),
        ],
        "Østjylland og Skåne",
    )
    .await;
    if accepted {
        accept(directory, &network).await;
    }
    network
}

async fn accept(directory: &Directory, network: &str) {
    network::accept(directory, &admin("SE-1283"), network).await;
}

#[tokio::test]
async fn a_network_partner_comments_follows_adopts_and_reads_a_network_process() {
    let n = networked().await;
    let network = network_of_two(&n.directory, false).await;
    let process = submit(
        &n.remote_with_directory,
        &anne(),
        None,
        details("Netværk", pb::Visibility::Network),
    )
    .await
    .unwrap()
    .aggregate_id;
    let outsider = person("ola@oygarden.no", "NO-4626", Some("it"), &[Role::Employee]);
    for client in [&n.remote_with_directory, &n.local_with_directory] {
        // Before the acceptance, Helsingborg is no partner: the process does not exist.
        let e = comment(client, &partner(), None, &process, "Hej")
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        let e = adopt(client, &partner(), &process, &[]).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
    }
    accept(&n.directory, &network).await;
    for client in [&n.remote_with_directory, &n.local_with_directory] {
        comment(client, &partner(), None, &process, "Hvordan?")
            .await
            .unwrap();
        let follow = pb::FollowProcessRequest {
            process_id: process.clone(),
        };
        send(client, &partner(), None, follow, |mut c, r| async move {
            c.follow_process(r).await
        })
        .await
        .unwrap();
        let copy = adopt(client, &partner(), &process, &[]).await.unwrap();
        let events = n
            .served
            .store
            .read_stream(&copy.aggregate_id)
            .await
            .unwrap();
        assert_eq!(events[0].municipality, "SE-1283");
        let trail = history(client, &partner(), &process).await.unwrap();
        assert!(!trail.is_empty());
        // Partners still change nothing but their own follows and comments.
        let e = change_phase(client, &partner(), &process, pb::Phase::PreAnalysis)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        // A municipality in no network with Syddjurs never sees it.
        let e = comment(client, &outsider, None, &process, "Hei")
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        let e = adopt(client, &outsider, &process, &[]).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        let e = history(client, &outsider, &process).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
    }
    // Without a directory, nobody has partners: the app of `start()` refuses the partner.
    let e = comment(&n.served.remote, &partner(), None, &process, "Hej")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}

#[tokio::test]
async fn a_shared_umbrella_holds_a_network_partners_process() {
    let n = networked().await;
    network_of_two(&n.directory, true).await;
    let theirs = submit(
        &n.remote_with_directory,
        &partner(),
        None,
        details("Deres", pb::Visibility::Network),
    )
    .await
    .unwrap()
    .aggregate_id;
    for client in [&n.remote_with_directory, &n.local_with_directory] {
        let shared = create_umbrella(client, &it(), "Netværk", pb::Visibility::Network)
            .await
            .unwrap()
            .aggregate_id;
        member(client, &it(), &shared, &theirs, true).await.unwrap();
        // The partner reads the NETWORK umbrella and the member event of their own process.
        let trail = history(client, &partner(), &shared).await.unwrap();
        assert_eq!(trail.len(), 2);
    }
    // Without the directory, the partner's NETWORK process is not found.
    let shared = create_umbrella(&n.served.remote, &it(), "Uden", pb::Visibility::Network)
        .await
        .unwrap()
        .aggregate_id;
    let e = member(&n.served.remote, &it(), &shared, &theirs, true)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}
