//! The ideas service through its generated client, the way the gateway calls it in both
//! modes: over a real network (`grpc::router` served by axum on a free local port) and
//! in-process (`grpc::channel`, no socket), on one SQLite event store. Answers are compared
//! between the two, so the embedded mode cannot drift from the distributed one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use innohub_ideas::{IdeasApp, grpc};
use innohub_proto::innohub::common::v1::{CommandReply, EventEnvelope, GetHistoryRequest};
use innohub_proto::innohub::ideas::v1 as pb;
use innohub_proto::innohub::processes::v1::Visibility;
use innohub_runtime::grpc::{Channel, ServiceError};
use innohub_runtime::rpc;
use innohub_runtime::testing::{Served, person, send};
use innohub_runtime::{ErrorCode, Principal, Role};
use pb::ideas_service_client::IdeasServiceClient;
use prost::Message as _;
use prost_types::FieldMask;
use uuid::Uuid;

type Client = IdeasServiceClient<Channel>;

/// A served ideas service and both clients on its store.
type Harness = Served<IdeasApp, Client>;

/// The day the tests' services count as today.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()
}

async fn start() -> Harness {
    Served::start(
        |store| IdeasApp::new(store).with_today(today),
        grpc::router,
        grpc::channel,
        Client::new,
    )
    .await
}

const HOME: &str = "SE-1283";

/// An employee of Helsingborg.
fn lena() -> Principal {
    person("lena@helsingborg.se", HOME, Some("bygg"), &[Role::Employee])
}

/// Helsingborg's innovation lead.
fn lead() -> Principal {
    person(
        "ivar@helsingborg.se",
        HOME,
        Some("innovation"),
        &[Role::Employee, Role::InnovationLead],
    )
}

/// Helsingborg's administrator.
fn admin() -> Principal {
    person(
        "maja@helsingborg.se",
        HOME,
        None,
        &[Role::MunicipalityAdmin],
    )
}

/// Someone in Syddjurs, with every role there.
fn partner() -> Principal {
    person(
        "pia@syddjurs.dk",
        "DK-0706",
        Some("it"),
        &[
            Role::Employee,
            Role::InnovationLead,
            Role::MunicipalityAdmin,
        ],
    )
}

fn challenge_details() -> pb::ChallengeDetails {
    pb::ChallengeDetails {
        title: "Färre samtal om bygglov".into(),
        description: "Hur svarar vi snabbare på vanliga frågor?".into(),
        owner: "ivar@helsingborg.se".into(),
        departments: vec!["bygg".into()],
        open_from: "2026-06-01".into(),
        open_to: "2026-06-30".into(),
    }
}

fn idea_details(title: &str, visibility: Visibility) -> pb::IdeaDetails {
    pb::IdeaDetails {
        title: title.into(),
        need: "Handläggare svarar på samma frågor varje dag".into(),
        departments: vec!["bygg".into()],
        tags: vec!["AI".into()],
        driver: pb::Driver::IdeaDriven as i32,
        visibility: visibility as i32,
        reviewers: vec!["olof@helsingborg.se".into()],
        ..Default::default()
    }
}

fn criteria() -> Vec<pb::Criterion> {
    vec![
        pb::Criterion {
            name: "Medborgarnytta".into(),
            weight: 3,
            scale_min: 1,
            scale_max: 5,
            lower_is_better: false,
        },
        pb::Criterion {
            name: "Kostnad".into(),
            weight: 1,
            scale_min: 1,
            scale_max: 5,
            lower_is_better: true,
        },
    ]
}

fn scores(citizen: i32, cost: i32) -> Vec<pb::CriterionScore> {
    vec![
        pb::CriterionScore {
            criterion: "Medborgarnytta".into(),
            value: citizen,
        },
        pb::CriterionScore {
            criterion: "Kostnad".into(),
            value: cost,
        },
    ]
}

async fn submit(
    client: &Client,
    by: &Principal,
    details: pb::IdeaDetails,
) -> Result<CommandReply, ServiceError> {
    rpc!(
        client,
        by,
        submit_idea(pb::SubmitIdeaRequest {
            details: Some(details)
        })
    )
    .await
}

async fn support(client: &Client, by: &Principal, id: &str) -> Result<CommandReply, ServiceError> {
    rpc!(
        client,
        by,
        support_idea(pb::SupportIdeaRequest {
            idea_id: id.to_owned()
        })
    )
    .await
}

async fn comment(client: &Client, by: &Principal, id: &str) -> Result<CommandReply, ServiceError> {
    rpc!(
        client,
        by,
        comment_on_idea(pb::CommentOnIdeaRequest {
            idea_id: id.to_owned(),
            text: "Hur gick det?".into(),
        })
    )
    .await
}

async fn history(
    client: &Client,
    by: &Principal,
    id: &str,
) -> Result<Vec<EventEnvelope>, ServiceError> {
    let request = GetHistoryRequest {
        aggregate_id: id.to_owned(),
    };
    Ok(rpc!(client, by, get_history(request)).await?.events)
}

fn types(events: &[EventEnvelope]) -> Vec<&str> {
    events.iter().map(|e| e.event_type.as_str()).collect()
}

/// Every rpc but the spawn, once over `client`, from a challenge to a dropped action item;
/// returns the ids of the challenge, the idea, the workshop and the item.
async fn every_rpc(client: &Client) -> [String; 4] {
    let (lena, lead) = (lena(), lead());
    let create = pb::CreateChallengeRequest {
        details: Some(challenge_details()),
        draft: true,
    };
    let challenge = rpc!(client, &lead, create_challenge(create))
        .await
        .unwrap()
        .aggregate_id;
    let open = pb::OpenChallengeRequest {
        challenge_id: challenge.clone(),
    };
    rpc!(client, &lead, open_challenge(open)).await.unwrap();
    let answering = pb::IdeaDetails {
        challenge_id: challenge.clone(),
        driver: pb::Driver::ChallengeDriven as i32,
        ..idea_details("Chattbot för bygglovsfrågor", Visibility::Municipality)
    };
    let idea = submit(client, &lena, answering).await.unwrap();
    assert_eq!(idea.version, 1);
    let idea = idea.aggregate_id;
    let update = pb::UpdateIdeaRequest {
        idea_id: idea.clone(),
        details: Some(pb::IdeaDetails {
            expected_value: "Kortare väntetid".into(),
            ..Default::default()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["expected_value".into()],
        }),
    };
    rpc!(client, &lena, update_idea(update)).await.unwrap();
    for (to, outcome) in [
        (pb::Stage::Exploring, pb::Outcome::Unspecified),
        (pb::Stage::Designing, pb::Outcome::Procurement),
    ] {
        let gate = pb::DecideIdeaGateRequest {
            idea_id: idea.clone(),
            to: to as i32,
            rationale: "Beslutat i styrgruppen".into(),
            likely_outcome: outcome as i32,
        };
        rpc!(client, &lead, decide_idea_gate(gate)).await.unwrap();
    }
    support(client, &lena, &idea).await.unwrap();
    let withdraw = pb::WithdrawSupportRequest {
        idea_id: idea.clone(),
    };
    rpc!(client, &lena, withdraw_support(withdraw))
        .await
        .unwrap();
    comment(client, &lena, &idea).await.unwrap();
    let set = pb::SetIdeaCriteriaRequest {
        criteria: criteria(),
    };
    let set = rpc!(client, &admin(), set_idea_criteria(set))
        .await
        .unwrap();
    assert_eq!(set.aggregate_id, format!("idea-criteria:{HOME}"));
    let score = pb::ScoreIdeaRequest {
        idea_id: idea.clone(),
        scores: scores(5, 2),
    };
    rpc!(client, &lead, score_idea(score)).await.unwrap();
    let record = pb::RecordWorkshopRequest {
        details: Some(pb::WorkshopDetails {
            title: "Idéverkstad bygglov".into(),
            date: "2026-06-10".into(),
            facilitator: "ivar@helsingborg.se".into(),
            participants: vec!["lena@helsingborg.se".into()],
            challenge_id: challenge.clone(),
            idea_ids: vec![idea.clone()],
            summary: "Vi valde chattboten".into(),
            outcomes: vec!["En pilot till hösten".into()],
        }),
    };
    let workshop = rpc!(client, &lead, record_workshop(record))
        .await
        .unwrap()
        .aggregate_id;
    let mut items = Vec::new();
    for title in ["Boka möte med IT", "Skriv upphandlingsunderlag"] {
        let add = pb::AddActionItemRequest {
            workshop_id: workshop.clone(),
            idea_id: idea.clone(),
            title: title.into(),
            owner: lena.user.to_string(),
            deadline: "2026-06-30".into(),
        };
        items.push(
            rpc!(client, &lead, add_action_item(add))
                .await
                .unwrap()
                .aggregate_id,
        );
    }
    let complete = pb::CompleteActionItemRequest {
        item_id: items[0].clone(),
    };
    rpc!(client, &lena, complete_action_item(complete))
        .await
        .unwrap();
    let drop = pb::DropActionItemRequest {
        item_id: items[1].clone(),
        reason: "Inte längre aktuellt".into(),
    };
    rpc!(client, &lead, drop_action_item(drop)).await.unwrap();
    let close = pb::CloseChallengeRequest {
        challenge_id: challenge.clone(),
        reason: "Tillräckligt med idéer".into(),
    };
    rpc!(client, &lead, close_challenge(close)).await.unwrap();
    [challenge, idea, workshop, items.remove(1)]
}

#[tokio::test]
async fn every_rpc_takes_effect_alike_over_the_network_and_in_process() {
    let h = start().await;
    for client in [&h.remote, &h.local] {
        let [challenge, idea, workshop, item] = every_rpc(client).await;
        let lead = lead();
        assert_eq!(
            types(&history(client, &lead, &challenge).await.unwrap()),
            ["ChallengeCreated", "ChallengeOpened", "ChallengeClosed"]
        );
        assert_eq!(
            types(&history(client, &lead, &idea).await.unwrap()),
            [
                "IdeaSubmitted",
                "IdeaDetailsChanged",
                "IdeaGateDecided",
                "IdeaGateDecided",
                "IdeaSupported",
                "IdeaSupportWithdrawn",
                "IdeaCommented",
                "IdeaScored",
            ]
        );
        assert_eq!(
            types(&history(client, &lead, &workshop).await.unwrap()),
            ["WorkshopRecorded"]
        );
        assert_eq!(
            types(&history(client, &lead, &item).await.unwrap()),
            ["ActionItemAdded", "ActionItemDropped"]
        );
        let criteria = format!("idea-criteria:{HOME}");
        assert_eq!(
            types(&history(client, &lead, &criteria).await.unwrap()),
            ["IdeaCriteriaSet"]
        );
        // The spawn is not served yet.
        let spawn = pb::SpawnProcessFromIdeaRequest {
            idea_id: idea.clone(),
            details: None,
        };
        let e = rpc!(client, &lead, spawn_process_from_idea(spawn))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Internal);
    }
}

#[tokio::test]
async fn bad_input_is_invalid_argument_alike_and_appends_nothing() {
    let h = start().await;
    let (lena, lead) = (lena(), lead());
    let [challenge, idea, workshop, _] = every_rpc(&h.remote).await;
    let open_item = pb::AddActionItemRequest {
        workshop_id: workshop.clone(),
        idea_id: String::new(),
        title: "Följ upp".into(),
        owner: lena.user.to_string(),
        deadline: "2026-07-15".into(),
    };
    let item = rpc!(&h.remote, &lead, add_action_item(open_item.clone()))
        .await
        .unwrap()
        .aggregate_id;
    let head = h.store.head();
    for client in [&h.remote, &h.local] {
        let mut refusals: Vec<(Result<CommandReply, ServiceError>, &str)> = vec![
            (
                submit(
                    client,
                    &lena,
                    idea_details(&"x".repeat(81), Visibility::Public),
                )
                .await,
                "title: must be at most 80 characters, got 81",
            ),
            (
                submit(
                    client,
                    &lena,
                    pb::IdeaDetails {
                        challenge_id: challenge.clone(),
                        ..idea_details("Sent", Visibility::Public)
                    },
                )
                .await,
                "challengeId: the challenge is CLOSED: it takes no ideas",
            ),
            (
                submit(
                    client,
                    &lena,
                    pb::IdeaDetails {
                        challenge_id: Uuid::now_v7().to_string(),
                        ..idea_details("Vilse", Visibility::Public)
                    },
                )
                .await,
                "challengeId: no such challenge",
            ),
            (
                support(client, &lena, &idea)
                    .await
                    .and(support(client, &lena, &idea).await),
                "",
            ),
        ];
        // The first support above took effect; count it in the head, then go on.
        let supported = h.store.head();
        let gate = pb::DecideIdeaGateRequest {
            idea_id: idea.clone(),
            to: pb::Stage::Scaling as i32,
            rationale: "Hoppa".into(),
            likely_outcome: 0,
        };
        refusals.push((
            rpc!(client, &lead, decide_idea_gate(gate)).await,
            "stages move forward one at a time: from DESIGNING the next is PILOTING",
        ));
        let no_rationale = pb::DecideIdeaGateRequest {
            idea_id: idea.clone(),
            to: pb::Stage::Piloting as i32,
            rationale: " ".into(),
            likely_outcome: 0,
        };
        refusals.push((
            rpc!(client, &lead, decide_idea_gate(no_rationale)).await,
            "rationale: must not be empty",
        ));
        let unspecified = pb::DecideIdeaGateRequest {
            idea_id: idea.clone(),
            rationale: "Varför".into(),
            ..Default::default()
        };
        refusals.push((
            rpc!(client, &lead, decide_idea_gate(unspecified)).await,
            "stage: must be a known stage",
        ));
        let out_of_scale = pb::ScoreIdeaRequest {
            idea_id: idea.clone(),
            scores: scores(6, 1),
        };
        refusals.push((
            rpc!(client, &lead, score_idea(out_of_scale)).await,
            "scores: \"Medborgarnytta\" is scored 1 to 5, got 6",
        ));
        let bad_criteria = pb::SetIdeaCriteriaRequest { criteria: vec![] };
        refusals.push((
            rpc!(client, &admin(), set_idea_criteria(bad_criteria)).await,
            "criteria: name 1 to 20 criteria, got 0",
        ));
        let bad_mask = pb::UpdateIdeaRequest {
            idea_id: idea.clone(),
            details: None,
            update_mask: Some(FieldMask {
                paths: vec!["colour".into()],
            }),
        };
        refusals.push((
            rpc!(client, &lena, update_idea(bad_mask)).await,
            "updateMask: IdeaDetails has no field \"colour\"",
        ));
        let backwards = pb::CreateChallengeRequest {
            details: Some(pb::ChallengeDetails {
                open_to: "2026-05-01".into(),
                ..challenge_details()
            }),
            draft: false,
        };
        refusals.push((
            rpc!(client, &lead, create_challenge(backwards)).await,
            "openTo: must not be before openFrom (2026-06-01), got 2026-05-01",
        ));
        let no_summary = pb::RecordWorkshopRequest {
            details: Some(pb::WorkshopDetails {
                title: "Tyst".into(),
                date: "2026-06-10".into(),
                ..Default::default()
            }),
        };
        refusals.push((
            rpc!(client, &lead, record_workshop(no_summary)).await,
            "summary: is required",
        ));
        let foreign_idea = pb::AddActionItemRequest {
            idea_id: Uuid::now_v7().to_string(),
            ..open_item.clone()
        };
        refusals.push((
            rpc!(client, &lead, add_action_item(foreign_idea)).await,
            "ideaId: no such idea",
        ));
        let late = pb::AddActionItemRequest {
            deadline: "snart".into(),
            ..open_item.clone()
        };
        refusals.push((
            rpc!(client, &lead, add_action_item(late)).await,
            "deadline: must be a date like 2027-03-31, got \"snart\"",
        ));
        let no_reason = pb::DropActionItemRequest {
            item_id: item.clone(),
            reason: String::new(),
        };
        refusals.push((
            rpc!(client, &lead, drop_action_item(no_reason)).await,
            "reason: is required",
        ));
        for (refused, message) in refusals {
            let e = refused.unwrap_err();
            assert_eq!(e.code, ErrorCode::BadUserInput, "{}", e.message);
            if !message.is_empty() {
                assert_eq!(e.message, message);
            } else {
                assert!(
                    e.message.ends_with("already supports this idea"),
                    "{}",
                    e.message
                );
            }
        }
        assert_eq!(h.store.head(), supported, "the refusals appended nothing");
        let withdraw = pb::WithdrawSupportRequest {
            idea_id: idea.clone(),
        };
        rpc!(client, &lena, withdraw_support(withdraw.clone()))
            .await
            .unwrap();
        let e = rpc!(client, &lena, withdraw_support(withdraw))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::BadUserInput);
    }
    assert_eq!(h.store.head(), head + 4, "two supports, two withdrawals");
}

#[tokio::test]
async fn roles_are_forbidden_alike_and_append_nothing() {
    let h = start().await;
    let [challenge, idea, workshop, item] = every_rpc(&h.remote).await;
    let head = h.store.head();
    let lena = lena();
    for client in [&h.remote, &h.local] {
        let create = pb::CreateChallengeRequest {
            details: Some(challenge_details()),
            draft: false,
        };
        let gate = pb::DecideIdeaGateRequest {
            idea_id: idea.clone(),
            to: pb::Stage::Parked as i32,
            rationale: "Vänta".into(),
            likely_outcome: 0,
        };
        let set = pb::SetIdeaCriteriaRequest {
            criteria: criteria(),
        };
        let score = pb::ScoreIdeaRequest {
            idea_id: idea.clone(),
            scores: scores(3, 3),
        };
        let add = pb::AddActionItemRequest {
            workshop_id: workshop.clone(),
            idea_id: String::new(),
            title: "Själv".into(),
            owner: lena.user.to_string(),
            deadline: "2026-07-01".into(),
        };
        let reopen = pb::OpenChallengeRequest {
            challenge_id: challenge.clone(),
        };
        for refused in [
            rpc!(client, &lena, create_challenge(create)).await,
            rpc!(client, &lena, decide_idea_gate(gate)).await,
            rpc!(client, &lena, set_idea_criteria(set)).await,
            rpc!(client, &lena, score_idea(score)).await,
            rpc!(client, &lena, add_action_item(add)).await,
            rpc!(client, &lena, open_challenge(reopen)).await,
        ] {
            assert_eq!(refused.unwrap_err().code, ErrorCode::Forbidden);
        }
        let e = submit(client, &admin(), idea_details("Admin", Visibility::Public))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        // A closed item is closed for everyone.
        let complete = pb::CompleteActionItemRequest {
            item_id: item.clone(),
        };
        let e = rpc!(client, &lead(), complete_action_item(complete))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::BadUserInput);
    }
    assert_eq!(h.store.head(), head);
}

#[tokio::test]
async fn another_municipalitys_unshared_idea_is_not_found_exactly_like_a_random_id() {
    let h = start().await;
    let [challenge, idea, workshop, item] = every_rpc(&h.remote).await;
    let private = submit(&h.remote, &lena(), idea_details("Min", Visibility::Private))
        .await
        .unwrap()
        .aggregate_id;
    let criteria = format!("idea-criteria:{HOME}");
    let random = Uuid::now_v7().to_string();
    let not_found = ServiceError {
        code: ErrorCode::NotFound,
        message: "not found".into(),
    };
    let partner = partner();
    let head = h.store.head();
    for client in [&h.remote, &h.local] {
        for target in [
            idea.as_str(),
            private.as_str(),
            random.as_str(),
            "not-a-uuid",
        ] {
            let update = pb::UpdateIdeaRequest {
                idea_id: target.to_owned(),
                details: Some(idea_details("Min nu", Visibility::Public)),
                update_mask: Some(FieldMask {
                    paths: vec!["title".into()],
                }),
            };
            let gate = pb::DecideIdeaGateRequest {
                idea_id: target.to_owned(),
                to: pb::Stage::Stopped as i32,
                rationale: "Nej".into(),
                likely_outcome: 0,
            };
            let withdraw = pb::WithdrawSupportRequest {
                idea_id: target.to_owned(),
            };
            let score = pb::ScoreIdeaRequest {
                idea_id: target.to_owned(),
                scores: scores(1, 1),
            };
            for answer in [
                rpc!(client, &partner, update_idea(update)).await,
                rpc!(client, &partner, decide_idea_gate(gate)).await,
                support(client, &partner, target).await,
                rpc!(client, &partner, withdraw_support(withdraw)).await,
                comment(client, &partner, target).await,
                rpc!(client, &partner, score_idea(score)).await,
            ] {
                assert_eq!(answer.unwrap_err(), not_found, "{target}");
            }
            assert_eq!(
                history(client, &partner, target).await.unwrap_err(),
                not_found
            );
        }
        // Challenges, workshops, action items and criteria are their municipality's.
        for target in [&challenge, &workshop, &item, &criteria] {
            assert_eq!(
                history(client, &partner, target).await.unwrap_err(),
                not_found
            );
        }
        let close = pb::CloseChallengeRequest {
            challenge_id: challenge.clone(),
            reason: String::new(),
        };
        let add = pb::AddActionItemRequest {
            workshop_id: workshop.clone(),
            idea_id: String::new(),
            title: "Deras".into(),
            owner: partner.user.to_string(),
            deadline: "2026-07-01".into(),
        };
        let complete = pb::CompleteActionItemRequest {
            item_id: item.clone(),
        };
        for answer in [
            rpc!(client, &partner, close_challenge(close)).await,
            rpc!(client, &partner, add_action_item(add)).await,
            rpc!(client, &partner, complete_action_item(complete)).await,
        ] {
            assert_eq!(answer.unwrap_err(), not_found);
        }
        // Their own ideas and workshops do not name another municipality's records.
        let theirs = pb::IdeaDetails {
            challenge_id: challenge.clone(),
            departments: vec!["it".into()],
            ..idea_details("Vår", Visibility::Public)
        };
        let e = submit(client, &partner, theirs).await.unwrap_err();
        assert_eq!(e.message, "challengeId: no such challenge");
    }
    assert_eq!(h.store.head(), head, "nothing was recorded");
    // The submitter reads the private idea.
    assert_eq!(
        history(&h.remote, &lena(), &private).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn a_public_idea_is_supported_and_read_by_partners_without_people() {
    let h = start().await;
    let id = submit(
        &h.remote,
        &lena(),
        idea_details("Öppen", Visibility::Public),
    )
    .await
    .unwrap()
    .aggregate_id;
    let partner = partner();
    support(&h.remote, &partner, &id).await.unwrap();
    let again = support(&h.local, &partner, &id).await.unwrap_err();
    assert_eq!(again.code, ErrorCode::BadUserInput);
    assert_eq!(again.message, "pia@syddjurs.dk already supports this idea");
    comment(&h.local, &partner, &id).await.unwrap();
    let seen = history(&h.remote, &partner, &id).await.unwrap();
    assert_eq!(seen, history(&h.local, &partner, &id).await.unwrap());
    let submitted = pb::IdeaSubmitted::decode(seen[0].payload.as_slice()).unwrap();
    let d = submitted.details.unwrap();
    assert_eq!(d.title, "Öppen");
    assert_eq!(submitted.submitter, "", "no people of others");
    assert!(d.departments.is_empty() && d.reviewers.is_empty());
    let supported = pb::IdeaSupported::decode(seen[1].payload.as_slice()).unwrap();
    assert_eq!(supported.user, "pia@syddjurs.dk", "their own name they see");
    // The owner sees the partner's support without their name.
    let own = history(&h.remote, &lena(), &id).await.unwrap();
    let supported = pb::IdeaSupported::decode(own[1].payload.as_slice()).unwrap();
    assert_eq!(
        (supported.user.as_str(), supported.municipality.as_str()),
        ("", "DK-0706")
    );
    // Partners change nothing else.
    let update = pb::UpdateIdeaRequest {
        idea_id: id.clone(),
        details: Some(idea_details("Deras", Visibility::Public)),
        update_mask: Some(FieldMask {
            paths: vec!["title".into()],
        }),
    };
    let e = rpc!(&h.remote, &partner, update_idea(update))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
}

#[tokio::test]
async fn a_partner_sees_a_history_from_when_the_idea_was_shared_with_them() {
    let h = start().await;
    let id = submit(
        &h.remote,
        &lena(),
        idea_details("Arbetsnamn", Visibility::Municipality),
    )
    .await
    .unwrap()
    .aggregate_id;
    let share = pb::UpdateIdeaRequest {
        idea_id: id.clone(),
        details: Some(idea_details("Chattbot", Visibility::Public)),
        update_mask: Some(FieldMask {
            paths: vec!["title".into(), "visibility".into()],
        }),
    };
    rpc!(&h.remote, &lena(), update_idea(share)).await.unwrap();
    // An edit of what partners never see (the departments, the reviewers) shows them
    // nothing; one of what they see does.
    let internal = pb::UpdateIdeaRequest {
        idea_id: id.clone(),
        details: Some(pb::IdeaDetails {
            departments: vec!["stadsbyggnad".into()],
            reviewers: vec![],
            ..Default::default()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["departments".into(), "reviewers".into()],
        }),
    };
    rpc!(&h.remote, &lena(), update_idea(internal))
        .await
        .unwrap();
    let seen = history(&h.remote, &partner(), &id).await.unwrap();
    assert_eq!(types(&seen), ["IdeaDetailsChanged"]);
    assert_eq!(seen[0].sequence, 1, "numbered for them");
    let retitled = pb::UpdateIdeaRequest {
        idea_id: id.clone(),
        details: Some(idea_details("Chattbot för bygglov", Visibility::Public)),
        update_mask: Some(FieldMask {
            paths: vec!["title".into()],
        }),
    };
    rpc!(&h.remote, &lena(), update_idea(retitled))
        .await
        .unwrap();
    let seen = history(&h.remote, &partner(), &id).await.unwrap();
    assert_eq!(types(&seen), ["IdeaDetailsChanged", "IdeaDetailsChanged"]);
    assert_eq!(history(&h.remote, &lena(), &id).await.unwrap().len(), 4);
}

#[tokio::test]
async fn a_retry_with_the_same_key_replays_the_first_reply() {
    let h = start().await;
    let lena = lena();
    let request = pb::SubmitIdeaRequest {
        details: Some(idea_details("En gång", Visibility::Municipality)),
    };
    let first = send(
        &h.remote,
        &lena,
        Some("idea-1"),
        request.clone(),
        |mut c, r| async move { c.submit_idea(r).await },
    )
    .await
    .unwrap();
    let again = send(
        &h.local,
        &lena,
        Some("idea-1"),
        request,
        |mut c, r| async move { c.submit_idea(r).await },
    )
    .await
    .unwrap();
    assert!(again.replayed && !first.replayed);
    assert_eq!(
        (again.aggregate_id, again.position),
        (first.aggregate_id, first.position)
    );
}

#[tokio::test]
async fn calls_without_a_valid_token_are_unauthenticated_and_record_nothing() {
    let h = start().await;
    let mut raw = Client::new(innohub_runtime::grpc::remote(&h.url).unwrap());
    let status = raw
        .submit_idea(pb::SubmitIdeaRequest {
            details: Some(idea_details("Anonym", Visibility::Public)),
        })
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
    assert_eq!(h.store.head(), 0);
}

#[tokio::test]
async fn outcomes_are_linked_once_to_a_readable_idea_of_their_municipality() {
    let h = start().await;
    let id = submit(
        &h.remote,
        &lena(),
        idea_details("Länkad", Visibility::Private),
    )
    .await
    .unwrap()
    .aggregate_id;
    let idea_id = Uuid::parse_str(&id).unwrap();
    let outcome = |municipality: &str| innohub_proto::innohub::common::v1::RecordRef {
        context: "processes".into(),
        kind: "process".into(),
        id: Uuid::now_v7().to_string(),
        municipality: municipality.into(),
    };
    let process = outcome(HOME);
    let lead = lead();
    let ctx = |request| innohub_runtime::command::CommandContext {
        principal: &lead,
        idempotency_key: None,
        correlation_id: Uuid::now_v7(),
        request,
    };
    let linked = h
        .app
        .link_outcome(ctx("link"), idea_id, process.clone())
        .await
        .unwrap();
    assert_eq!(linked.state.0.unwrap().outcomes().len(), 1);
    let head = h.store.head();
    let again = h
        .app
        .link_outcome(ctx("link again"), idea_id, process)
        .await
        .unwrap();
    assert_eq!(again.state.0.unwrap().outcomes().len(), 1);
    let foreign = h
        .app
        .link_outcome(ctx("foreign"), idea_id, outcome("DK-0706"))
        .await
        .unwrap_err();
    assert_eq!(
        innohub_runtime::HasErrorCode::code(&foreign),
        ErrorCode::BadUserInput
    );
    let unknown = h
        .app
        .link_outcome(ctx("unknown"), Uuid::now_v7(), outcome(HOME))
        .await
        .unwrap_err();
    assert_eq!(
        innohub_runtime::HasErrorCode::code(&unknown),
        ErrorCode::NotFound
    );
    assert_eq!(h.store.head(), head);
    // The submitter reads the private idea; the lead of another department does not.
    let (idea, version) = h.app.readable_idea(&lena(), None, idea_id).await.unwrap();
    assert_eq!((idea.stage(), version), (pb::Stage::Submitted, 2));
    assert_eq!(idea.outcomes().len(), 1);
    let hidden = h.app.readable_idea(&lead, None, idea_id).await.unwrap_err();
    assert_eq!(
        innohub_runtime::HasErrorCode::code(&hidden),
        ErrorCode::NotFound
    );
}

// ---------------------------------------------------------------------------------------
// Network partners, asked of the real directory service
// ---------------------------------------------------------------------------------------

use innohub_runtime::testing::network::{self, Networked};

/// A ideas service that asks a directory served over the network for its callers'
/// partners (relaying their tokens), and one that asks it in-process; one directory store.
async fn networked() -> Networked<IdeasApp, Client> {
    Networked::start(
        start().await,
        innohub_directory::DirectoryApp::new,
        innohub_directory::grpc::router,
        innohub_directory::grpc::channel,
        |store, directory| IdeasApp::new(store).with_directory(directory),
        grpc::router,
        grpc::channel,
        Client::new,
    )
    .await
}

/// Register SE-1283, DK-0706 and NO-4626 and put SE-1283 and DK-0706 in one network,
/// invited; returns the network id.
async fn network_invited(directory: &network::Directory) -> String {
    let root = person("root@innohub", HOME, None, &[Role::PlatformAdmin]);
    network::network_of(
        directory,
        &root,
        &network::admin(HOME),
        &[
            ("SE", "1283", "Helsingborg"),
            ("DK", "0706", "Syddjurs"),
            ("NO", "4626", "Øygarden"),
        ],
        "Öresund",
    )
    .await
}

#[tokio::test]
async fn a_network_partner_supports_comments_and_reads_a_network_idea_once_in_the_network() {
    let n = networked().await;
    let network = network_invited(&n.directory).await;
    let idea = submit(
        &n.remote_with_directory,
        &lena(),
        idea_details("Nätverk", Visibility::Network),
    )
    .await
    .unwrap()
    .aggregate_id;
    let partner = partner();
    let outsider = person("ola@oygarden.no", "NO-4626", None, &[Role::Employee]);
    for client in [&n.remote_with_directory, &n.local_with_directory] {
        // Invited, not yet a member: Syddjurs is no partner, the idea does not exist.
        let e = support(client, &partner, &idea).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
    }
    network::accept(&n.directory, &network::admin("DK-0706"), &network).await;
    support(&n.remote_with_directory, &partner, &idea)
        .await
        .unwrap();
    for client in [&n.remote_with_directory, &n.local_with_directory] {
        let e = support(client, &partner, &idea).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::BadUserInput, "one support per person");
        comment(client, &partner, &idea).await.unwrap();
        let trail = history(client, &partner, &idea).await.unwrap();
        assert_eq!(types(&trail)[..2], ["IdeaSubmitted", "IdeaSupported"]);
        let e = support(client, &outsider, &idea).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        let e = history(client, &outsider, &idea).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
    }
    // Without a directory, nobody has partners.
    let e = comment(&n.served.remote, &partner, &idea)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}
