//! The pilots service through its generated client, the way the gateway calls it in both
//! modes: over a real network (`grpc::router` served by axum on a free local port) and
//! in-process (`grpc::channel`, no socket), on one SQLite event store. Answers are compared
//! between the two, so the embedded mode cannot drift from the distributed one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use innohub_pilots::{PilotsApp, grpc};
use innohub_proto::innohub::common::v1::{
    self as common, CommandReply, EventEnvelope, GetHistoryRequest, RecordRef,
};
use innohub_proto::innohub::pilots::v1 as pb;
use innohub_proto::innohub::processes::v1::Visibility;
use innohub_runtime::grpc::{Channel, ServiceError};
use innohub_runtime::rpc;
use innohub_runtime::testing::{Served, person, send};
use innohub_runtime::{ErrorCode, HasErrorCode as _, Principal, Role};
use pb::pilots_service_client::PilotsServiceClient;
use prost::Message as _;
use prost_types::FieldMask;
use uuid::Uuid;

type Client = PilotsServiceClient<Channel>;

/// A served pilots service and both clients on its store.
type Harness = Served<PilotsApp, Client>;

/// The day the tests' services count as today.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()
}

async fn start() -> Harness {
    Served::start(
        |store| PilotsApp::new(store).with_today(today),
        grpc::router,
        grpc::channel,
        Client::new,
    )
    .await
}

const HOME: &str = "NO-4626";

/// Øygarden's innovation lead.
fn lead() -> Principal {
    person(
        "kari@oygarden.kommune.no",
        HOME,
        Some("innovasjon"),
        &[Role::Employee, Role::InnovationLead],
    )
}

/// The person responsible for the pilots: an employee of the department that runs them.
fn responsible() -> Principal {
    person(
        "sigrid@oygarden.kommune.no",
        HOME,
        Some("helse"),
        &[Role::Employee],
    )
}

/// An employee of another department.
fn colleague() -> Principal {
    person(
        "ola@oygarden.kommune.no",
        HOME,
        Some("kultur"),
        &[Role::Employee],
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

/// A plan with only what the first event needs.
fn draft(title: &str, visibility: Visibility) -> pb::PilotPlan {
    pb::PilotPlan {
        title: title.into(),
        departments: vec!["helse".into()],
        visibility: visibility as i32,
        ..Default::default()
    }
}

/// The topics that complete a draft, and the field names of them.
fn the_rest() -> (pb::PilotPlan, Vec<String>) {
    let rest = pb::PilotPlan {
        goals: "Færre unødvendige heimebesøk om natta".into(),
        learning_goals: "Kva brukarar og tilsette opplever".into(),
        scope: Some(pb::Scope {
            touchpoints: vec!["nattbesøk".into()],
            growth: pb::ScopeGrowth::Fixed as i32,
            ..Default::default()
        }),
        start_date: "2026-03-01".into(),
        end_date: "2026-08-31".into(),
        participants: vec![pb::Participants {
            kind: pb::ParticipantKind::Users as i32,
            description: "Brukarar i Sotra nord".into(),
            count: 12,
            recruitment: "Spurde av primærkontakt".into(),
        }],
        information: "Informasjonsmøte".into(),
        training: "Opplæring av nattevakter".into(),
        error_handling: "Ring vakttelefonen".into(),
        measurement: "Tal på besøk per natt".into(),
        observation: "Skugging".into(),
        documentation: "Logg i fagsystemet".into(),
        responsible: "sigrid@oygarden.kommune.no".into(),
        anchoring: vec!["helse".into()],
        ..Default::default()
    };
    let fields = [
        "goals",
        "learning_goals",
        "scope",
        "start_date",
        "end_date",
        "participants",
        "information",
        "training",
        "error_handling",
        "measurement",
        "observation",
        "documentation",
        "responsible",
        "anchoring",
    ];
    (rest, fields.map(str::to_owned).to_vec())
}

/// A complete plan.
fn complete(title: &str, visibility: Visibility) -> pb::PilotPlan {
    pb::PilotPlan {
        title: title.into(),
        departments: vec!["helse".into()],
        visibility: visibility as i32,
        ..the_rest().0
    }
}

fn reading(value: f64, date: &str) -> common::Reading {
    common::Reading {
        value,
        date: date.into(),
    }
}

/// Hours spent on night visits a week: lower is better.
fn benefit(title: &str) -> common::Benefit {
    common::Benefit {
        title: title.into(),
        kind: common::BenefitKind::Efficiency as i32,
        category: common::BenefitCategory::TimeSaved as i32,
        priced: false,
        beneficiary: "Nattevakta".into(),
        owner: "sigrid@oygarden.kommune.no".into(),
        indicator: Some(common::Indicator {
            unit: "timar/veke".into(),
            method: "Timeregistrering".into(),
            frequency: "Kvar veke".into(),
        }),
        baseline: Some(reading(40.0, "2026-02-01")),
        target: Some(reading(10.0, "2026-08-31")),
    }
}

fn observation() -> pb::Observation {
    pb::Observation {
        observer: "sigrid@oygarden.kommune.no".into(),
        touchpoint: "nattbesøk".into(),
        worked: "Sensoren varsla rett".into(),
        links: vec!["https://bilete.oygarden.kommune.no/1.jpg".into()],
        date: "2026-04-02".into(),
        ..Default::default()
    }
}

fn incident() -> pb::Incident {
    pb::Incident {
        what: "Sensoren fall ut".into(),
        handling: "Nattevakta køyrde ut".into(),
        date: "2026-04-03".into(),
    }
}

fn rating(score: u32) -> Option<pb::Rating> {
    Some(pb::Rating {
        score,
        notes: "Godt".into(),
    })
}

fn evaluation() -> pb::Evaluation {
    pb::Evaluation {
        users_experience: rating(5),
        staff_experience: rating(4),
        touchpoints: rating(4),
        flow_of_work: rating(3),
        value_of_steps: rating(3),
        routines: rating(2),
        roles: rating(3),
        works_as_intended: rating(4),
        meets_needs: rating(4),
        stable_and_secure: rating(1),
        integrates: rating(2),
        benefit_review: Some(pb::BenefitReview {
            expected_realised: "Delvis".into(),
            new_benefits: "Betre søvn".into(),
            cost_estimate: "Uendra".into(),
            follow_up: "Månadleg rapport".into(),
        }),
    }
}

fn basis() -> pb::DecisionBasis {
    pb::DecisionBasis {
        final_design: "Sensorar etter samtykke".into(),
        benefit_assessment: "Halve gevinsten er henta ut".into(),
        recommendation: "Forleng".into(),
    }
}

fn decision(id: &str, decision: pb::Decision, new_end: &str, why: &str) -> pb::DecidePilotRequest {
    pb::DecidePilotRequest {
        pilot_id: id.to_owned(),
        decision: decision as i32,
        new_end_date: new_end.into(),
        why_stopped: why.into(),
        basis: Some(basis()),
    }
}

fn idea(municipality: &str) -> RecordRef {
    RecordRef {
        context: "ideas".into(),
        kind: "idea".into(),
        id: Uuid::now_v7().to_string(),
        municipality: municipality.into(),
    }
}

async fn plan(
    client: &Client,
    by: &Principal,
    plan: pb::PilotPlan,
) -> Result<CommandReply, ServiceError> {
    let request = pb::PlanPilotRequest {
        plan: Some(plan),
        origin: None,
    };
    rpc!(client, by, plan_pilot(request)).await
}

async fn update(
    client: &Client,
    by: &Principal,
    id: &str,
    plan: pb::PilotPlan,
    paths: &[&str],
) -> Result<CommandReply, ServiceError> {
    let request = pb::UpdatePilotPlanRequest {
        pilot_id: id.to_owned(),
        plan: Some(plan),
        update_mask: Some(FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
    };
    rpc!(client, by, update_pilot_plan(request)).await
}

async fn start_pilot(
    client: &Client,
    by: &Principal,
    id: &str,
) -> Result<CommandReply, ServiceError> {
    let request = pb::StartPilotRequest {
        pilot_id: id.to_owned(),
    };
    rpc!(client, by, start_pilot(request)).await
}

async fn observe(client: &Client, by: &Principal, id: &str) -> Result<CommandReply, ServiceError> {
    let request = pb::RecordObservationRequest {
        pilot_id: id.to_owned(),
        observation: Some(observation()),
    };
    rpc!(client, by, record_observation(request)).await
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

/// A running pilot of `visibility` with a benefit: its id and the benefit's.
async fn running(client: &Client, visibility: Visibility) -> (String, String) {
    let lead = lead();
    let id = plan(client, &lead, complete("Digitalt tilsyn", visibility))
        .await
        .unwrap()
        .aggregate_id;
    let define = pb::DefineBenefitRequest {
        pilot_id: id.clone(),
        benefit_id: String::new(),
        benefit: Some(benefit("Timar brukt på nattbesøk")),
    };
    rpc!(client, &lead, define_benefit(define)).await.unwrap();
    start_pilot(client, &lead, &id).await.unwrap();
    let benefit = benefit_id(client, &id).await;
    (id, benefit)
}

/// The id of the first benefit defined on pilot `id`, read from its history.
async fn benefit_id(client: &Client, id: &str) -> String {
    let events = history(client, &lead(), id).await.unwrap();
    let defined = events
        .iter()
        .find(|e| e.event_type == "PilotBenefitDefined")
        .unwrap();
    pb::PilotBenefitDefined::decode(defined.payload.as_slice())
        .unwrap()
        .benefit_id
}

/// Every rpc once over `client`, from a draft born from an idea to a pilot in operation;
/// returns its id.
async fn every_rpc(client: &Client) -> String {
    let (lead, responsible) = (lead(), responsible());
    let request = pb::PlanPilotRequest {
        plan: Some(draft("Digitalt tilsyn", Visibility::Municipality)),
        origin: Some(idea(HOME)),
    };
    let planned = rpc!(client, &lead, plan_pilot(request)).await.unwrap();
    assert_eq!(planned.version, 1);
    let id = planned.aggregate_id;
    let (rest, fields) = the_rest();
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    update(client, &lead, &id, rest, &fields).await.unwrap();
    let define = pb::DefineBenefitRequest {
        pilot_id: id.clone(),
        benefit_id: String::new(),
        benefit: Some(benefit("Timar brukt på nattbesøk")),
    };
    rpc!(client, &lead, define_benefit(define)).await.unwrap();
    start_pilot(client, &lead, &id).await.unwrap();
    observe(client, &responsible, &id).await.unwrap();
    let report = pb::RecordIncidentRequest {
        pilot_id: id.clone(),
        incident: Some(incident()),
    };
    rpc!(client, &responsible, record_incident(report))
        .await
        .unwrap();
    let measure = pb::RecordMeasurementRequest {
        pilot_id: id.clone(),
        benefit_id: benefit_id(client, &id).await,
        reading: Some(reading(30.0, "2026-05-01")),
    };
    rpc!(client, &responsible, record_measurement(measure))
        .await
        .unwrap();
    let evaluate = pb::EvaluatePilotRequest {
        pilot_id: id.clone(),
        evaluation: Some(evaluation()),
    };
    rpc!(client, &lead, evaluate_pilot(evaluate.clone()))
        .await
        .unwrap();
    let extend = decision(&id, pb::Decision::Extend, "2026-12-31", "");
    rpc!(client, &lead, decide_pilot(extend)).await.unwrap();
    rpc!(client, &lead, evaluate_pilot(evaluate)).await.unwrap();
    let operate = decision(&id, pb::Decision::ToOperation, "", "");
    let decided = rpc!(client, &lead, decide_pilot(operate)).await.unwrap();
    assert_eq!(decided.version, 11);
    id
}

#[tokio::test]
async fn every_rpc_takes_effect_alike_over_the_network_and_in_process() {
    let h = start().await;
    let mut trails = Vec::new();
    for client in [&h.remote, &h.local] {
        let id = every_rpc(client).await;
        let trail = history(client, &lead(), &id).await.unwrap();
        assert_eq!(
            types(&trail),
            [
                "PilotPlanned",
                "PilotPlanChanged",
                "PilotBenefitDefined",
                "PilotStarted",
                "PilotObservationRecorded",
                "PilotIncidentRecorded",
                "PilotMeasurementRecorded",
                "PilotEvaluated",
                "PilotDecided",
                "PilotEvaluated",
                "PilotDecided",
            ]
        );
        let started = pb::PilotStarted::decode(trail[3].payload.as_slice()).unwrap();
        assert_eq!(
            (started.started_by.as_str(), started.date.as_str()),
            ("kari@oygarden.kommune.no", "2026-06-15")
        );
        let extended = pb::PilotDecided::decode(trail[8].payload.as_slice()).unwrap();
        assert_eq!(extended.new_end_date, "2026-12-31");
        let (record, version) = h
            .app
            .readable_pilot(&lead(), None, Uuid::parse_str(&id).unwrap())
            .await
            .unwrap();
        assert_eq!((record.status(), version), (pb::Status::InOperation, 11));
        assert_eq!(record.plan().end(), NaiveDate::from_ymd_opt(2026, 12, 31));
        assert!(record.origin().unwrap().is("ideas", "idea"));
        trails.push(trail);
    }
    let (remote, local) = (&trails[0], &trails[1]);
    for (r, l) in remote.iter().zip(local) {
        assert_eq!(
            (r.sequence, &r.event_type, r.payload.len()),
            (l.sequence, &l.event_type, l.payload.len())
        );
    }
}

#[tokio::test]
async fn bad_input_is_bad_user_input_alike_and_appends_nothing() {
    let h = start().await;
    let lead = lead();
    let (running, defined) = running(&h.remote, Visibility::Municipality).await;
    let planning = plan(&h.remote, &lead, draft("Utkast", Visibility::Municipality))
        .await
        .unwrap()
        .aggregate_id;
    let head = h.store.head();
    for client in [&h.remote, &h.local] {
        let too_long = plan(client, &lead, draft(&"x".repeat(81), Visibility::Public)).await;
        let foreign_origin = pb::PlanPilotRequest {
            plan: Some(draft("Frå ein annan", Visibility::Municipality)),
            origin: Some(idea("SE-1283")),
        };
        let moved = pb::PilotPlan {
            end_date: "2026-09-30".into(),
            ..Default::default()
        };
        let same_title = pb::DefineBenefitRequest {
            pilot_id: running.clone(),
            benefit_id: String::new(),
            benefit: Some(benefit("TIMAR BRUKT PÅ NATTBESØK")),
        };
        let unknown_benefit = pb::RecordMeasurementRequest {
            pilot_id: running.clone(),
            benefit_id: Uuid::now_v7().to_string(),
            reading: Some(reading(30.0, "2026-05-01")),
        };
        let tomorrow = pb::RecordMeasurementRequest {
            pilot_id: running.clone(),
            benefit_id: defined.clone(),
            reading: Some(reading(30.0, "2026-06-16")),
        };
        let unrated = pb::EvaluatePilotRequest {
            pilot_id: running.clone(),
            evaluation: Some(pb::Evaluation {
                integrates: rating(6),
                ..evaluation()
            }),
        };
        let no_incident = pb::RecordIncidentRequest {
            pilot_id: running.clone(),
            incident: None,
        };
        let refusals: Vec<(Result<CommandReply, ServiceError>, &str)> = vec![
            (too_long, "title: must be at most 80 characters, got 81"),
            (
                rpc!(client, &lead, plan_pilot(foreign_origin)).await,
                "origin: a pilot is born from a record of its own municipality (NO-4626), not \
                 SE-1283",
            ),
            (
                start_pilot(client, &lead, &planning).await,
                "the plan is incomplete; missing: goals, learning_goals, scope, dates, \
                 participants, information, training, error_handling, measurement, \
                 observation, documentation, responsible, anchoring",
            ),
            (
                observe(client, &lead, &planning).await,
                "an observation is recorded only while the pilot is RUNNING; it is PLANNING",
            ),
            (
                update(client, &lead, &running, moved, &["end_date"]).await,
                "a running pilot's dates stay as planned; EXTEND moves its end date",
            ),
            (
                rpc!(client, &lead, define_benefit(same_title)).await,
                "title: the pilot already has a benefit \"TIMAR BRUKT PÅ NATTBESØK\"",
            ),
            (
                rpc!(client, &lead, record_measurement(unknown_benefit)).await,
                "benefitId: no such benefit",
            ),
            (
                rpc!(client, &lead, record_measurement(tomorrow)).await,
                "reading.date: must not be after today, 2026-06-15",
            ),
            (
                rpc!(client, &lead, evaluate_pilot(unrated)).await,
                "integrates: must be a rating from 1 to 5, got 6",
            ),
            (
                rpc!(client, &lead, record_incident(no_incident)).await,
                "what: is required",
            ),
            (
                rpc!(
                    client,
                    &lead,
                    decide_pilot(decision(&running, pb::Decision::Stop, "", ""))
                )
                .await,
                "a pilot is decided only while the pilot is EVALUATING; it is RUNNING",
            ),
            (
                rpc!(
                    client,
                    &lead,
                    decide_pilot(decision(&running, pb::Decision::Unspecified, "", ""))
                )
                .await,
                "decision: must be TO_OPERATION, EXTEND, STOP or BACK_TO_IDEATION",
            ),
        ];
        for (refused, message) in refusals {
            let e = refused.unwrap_err();
            assert_eq!(e.code, ErrorCode::BadUserInput, "{}", e.message);
            assert_eq!(e.message, message);
        }
    }
    assert_eq!(h.store.head(), head, "the refusals appended nothing");
    // Evaluated, the pilot is decided only with what each decision needs.
    let evaluate = pb::EvaluatePilotRequest {
        pilot_id: running.clone(),
        evaluation: Some(evaluation()),
    };
    rpc!(&h.remote, &lead, evaluate_pilot(evaluate))
        .await
        .unwrap();
    let head = h.store.head();
    for client in [&h.remote, &h.local] {
        for (request, message) in [
            (
                decision(&running, pb::Decision::Stop, "", ""),
                "whyStopped: STOP needs why it did not work",
            ),
            (
                decision(&running, pb::Decision::Extend, "2026-08-31", ""),
                "newEndDate: must be after the current end date 2026-08-31",
            ),
            (
                decision(&running, pb::Decision::Extend, "", ""),
                "newEndDate: EXTEND needs the new end date",
            ),
            (
                decision(&running, pb::Decision::ToOperation, "", "Nei"),
                "whyStopped: only STOP says why it did not work, not TO_OPERATION",
            ),
        ] {
            let e = rpc!(client, &lead, decide_pilot(request))
                .await
                .unwrap_err();
            assert_eq!(
                (e.code, e.message.as_str()),
                (ErrorCode::BadUserInput, message)
            );
        }
    }
    assert_eq!(h.store.head(), head, "the refusals appended nothing");
}

#[tokio::test]
async fn roles_are_forbidden_alike_and_append_nothing() {
    let h = start().await;
    let (running, defined) = running(&h.remote, Visibility::Municipality).await;
    let planning = plan(
        &h.remote,
        &lead(),
        complete("Planlagt", Visibility::Municipality),
    )
    .await
    .unwrap()
    .aggregate_id;
    let head = h.store.head();
    let (responsible, colleague) = (responsible(), colleague());
    for client in [&h.remote, &h.local] {
        let define = pb::DefineBenefitRequest {
            pilot_id: running.clone(),
            benefit_id: defined.clone(),
            benefit: Some(benefit("Timar")),
        };
        let evaluate = pb::EvaluatePilotRequest {
            pilot_id: running.clone(),
            evaluation: Some(evaluation()),
        };
        let measure = pb::RecordMeasurementRequest {
            pilot_id: running.clone(),
            benefit_id: defined.clone(),
            reading: Some(reading(30.0, "2026-05-01")),
        };
        for refused in [
            plan(client, &responsible, draft("Eigen", Visibility::Public)).await,
            update(
                client,
                &responsible,
                &planning,
                draft("Ny", Visibility::Public),
                &["title"],
            )
            .await,
            start_pilot(client, &responsible, &planning).await,
            rpc!(client, &responsible, define_benefit(define)).await,
            rpc!(client, &responsible, evaluate_pilot(evaluate)).await,
            rpc!(
                client,
                &responsible,
                decide_pilot(decision(&running, pb::Decision::Stop, "", "Nei"))
            )
            .await,
            observe(client, &colleague, &running).await,
            rpc!(client, &colleague, record_measurement(measure)).await,
        ] {
            assert_eq!(refused.unwrap_err().code, ErrorCode::Forbidden);
        }
    }
    assert_eq!(h.store.head(), head);
}

/// Every command on pilot `target` for `by`, each answer in order.
async fn every_command(
    client: &Client,
    by: &Principal,
    target: &str,
) -> Vec<Result<CommandReply, ServiceError>> {
    let pilot_id = target.to_owned();
    let report = pb::RecordIncidentRequest {
        pilot_id: pilot_id.clone(),
        incident: Some(incident()),
    };
    let define = pb::DefineBenefitRequest {
        pilot_id: pilot_id.clone(),
        benefit_id: String::new(),
        benefit: Some(benefit("Deira")),
    };
    let measure = pb::RecordMeasurementRequest {
        pilot_id: pilot_id.clone(),
        benefit_id: Uuid::now_v7().to_string(),
        reading: Some(reading(30.0, "2026-05-01")),
    };
    let evaluate = pb::EvaluatePilotRequest {
        pilot_id: pilot_id.clone(),
        evaluation: Some(evaluation()),
    };
    vec![
        update(
            client,
            by,
            target,
            draft("Deira", Visibility::Public),
            &["title"],
        )
        .await,
        start_pilot(client, by, target).await,
        observe(client, by, target).await,
        rpc!(client, by, record_incident(report)).await,
        rpc!(client, by, define_benefit(define)).await,
        rpc!(client, by, record_measurement(measure)).await,
        rpc!(client, by, evaluate_pilot(evaluate)).await,
        rpc!(
            client,
            by,
            decide_pilot(decision(target, pb::Decision::ToOperation, "", ""))
        )
        .await,
    ]
}

#[tokio::test]
async fn another_municipalitys_unshared_pilot_is_not_found_exactly_like_a_random_id() {
    let h = start().await;
    let (shared_at_home, _) = running(&h.remote, Visibility::Municipality).await;
    let private = plan(&h.remote, &lead(), complete("Privat", Visibility::Private))
        .await
        .unwrap()
        .aggregate_id;
    let random = Uuid::now_v7().to_string();
    let not_found = ServiceError {
        code: ErrorCode::NotFound,
        message: "not found".into(),
    };
    let (partner, colleague) = (partner(), colleague());
    let head = h.store.head();
    for client in [&h.remote, &h.local] {
        for target in [
            shared_at_home.as_str(),
            private.as_str(),
            random.as_str(),
            "not-a-uuid",
        ] {
            for answer in every_command(client, &partner, target).await {
                assert_eq!(answer.unwrap_err(), not_found, "{target}");
            }
            assert_eq!(
                history(client, &partner, target).await.unwrap_err(),
                not_found
            );
        }
        // A private pilot is its planner's, its responsible person's and its departments'.
        for answer in every_command(client, &colleague, &private).await {
            assert_eq!(answer.unwrap_err(), not_found);
        }
        assert_eq!(
            history(client, &colleague, &private).await.unwrap_err(),
            not_found
        );
        assert_eq!(
            history(client, &responsible(), &private)
                .await
                .unwrap()
                .len(),
            1
        );
    }
    assert_eq!(h.store.head(), head, "nothing was recorded");
    let id = Uuid::parse_str(&private).unwrap();
    let hidden = h
        .app
        .readable_pilot(&colleague, None, id)
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), ErrorCode::NotFound);
    let (record, _) = h
        .app
        .readable_pilot(&responsible(), None, id)
        .await
        .unwrap();
    assert_eq!(record.status(), pb::Status::Planning);
}

#[tokio::test]
async fn a_public_pilot_is_read_by_partners_without_people_and_changed_by_none() {
    let h = start().await;
    let lead = lead();
    let request = pb::PlanPilotRequest {
        plan: Some(complete("Ope", Visibility::Public)),
        origin: Some(idea(HOME)),
    };
    let id = rpc!(&h.remote, &lead, plan_pilot(request))
        .await
        .unwrap()
        .aggregate_id;
    let partner = partner();
    let head = h.store.head();
    for client in [&h.remote, &h.local] {
        for answer in every_command(client, &partner, &id).await {
            let e = answer.unwrap_err();
            assert_eq!(e.code, ErrorCode::Forbidden, "{}", e.message);
        }
    }
    assert_eq!(h.store.head(), head, "partners change nothing");
    let seen = history(&h.remote, &partner, &id).await.unwrap();
    assert_eq!(seen, history(&h.local, &partner, &id).await.unwrap());
    let planned = pb::PilotPlanned::decode(seen[0].payload.as_slice()).unwrap();
    assert_eq!(planned.planned_by, "", "no people of others");
    assert_eq!(planned.origin, None, "nor where it came from");
    let p = planned.plan.unwrap();
    assert_eq!(p.title, "Ope");
    assert_eq!(p.goals, "Færre unødvendige heimebesøk om natta");
    assert!(p.departments.is_empty() && p.anchoring.is_empty());
    assert_eq!(p.responsible, "");
    // The owner sees it all.
    let own = history(&h.remote, &lead, &id).await.unwrap();
    let planned = pb::PilotPlanned::decode(own[0].payload.as_slice()).unwrap();
    assert_eq!(planned.planned_by, "kari@oygarden.kommune.no");
    assert!(planned.origin.is_some());
}

#[tokio::test]
async fn a_partner_sees_a_history_from_when_the_pilot_was_shared_with_them() {
    let h = start().await;
    let lead = lead();
    let id = plan(
        &h.remote,
        &lead,
        complete("Arbeidstittel", Visibility::Municipality),
    )
    .await
    .unwrap()
    .aggregate_id;
    let share = complete("Digitalt tilsyn", Visibility::Public);
    update(&h.remote, &lead, &id, share, &["title", "visibility"])
        .await
        .unwrap();
    // An edit of what partners never see (the departments, the responsible person) shows
    // them nothing; one of what they see does.
    let internal = pb::PilotPlan {
        departments: vec!["helse".into(), "omsorg".into()],
        responsible: "kari@oygarden.kommune.no".into(),
        ..Default::default()
    };
    update(
        &h.remote,
        &lead,
        &id,
        internal,
        &["departments", "responsible"],
    )
    .await
    .unwrap();
    let seen = history(&h.remote, &partner(), &id).await.unwrap();
    assert_eq!(types(&seen), ["PilotPlanChanged"]);
    assert_eq!(seen[0].sequence, 1, "numbered for them");
    let retitled = pb::PilotPlan {
        title: "Digitalt tilsyn om natta".into(),
        ..Default::default()
    };
    update(&h.remote, &lead, &id, retitled, &["title"])
        .await
        .unwrap();
    start_pilot(&h.remote, &lead, &id).await.unwrap();
    let seen = history(&h.local, &partner(), &id).await.unwrap();
    assert_eq!(
        types(&seen),
        ["PilotPlanChanged", "PilotPlanChanged", "PilotStarted"]
    );
    let started = pb::PilotStarted::decode(seen[2].payload.as_slice()).unwrap();
    assert_eq!(
        (started.started_by.as_str(), started.date.as_str()),
        ("", "2026-06-15")
    );
    assert_eq!(history(&h.remote, &lead, &id).await.unwrap().len(), 5);
}

#[tokio::test]
async fn a_retry_with_the_same_key_replays_the_first_reply() {
    let h = start().await;
    let lead = lead();
    let request = pb::PlanPilotRequest {
        plan: Some(draft("Ein gong", Visibility::Municipality)),
        origin: None,
    };
    let first = send(
        &h.remote,
        &lead,
        Some("pilot-1"),
        request.clone(),
        |mut c, r| async move { c.plan_pilot(r).await },
    )
    .await
    .unwrap();
    let again = send(
        &h.local,
        &lead,
        Some("pilot-1"),
        request,
        |mut c, r| async move { c.plan_pilot(r).await },
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
        .plan_pilot(pb::PlanPilotRequest {
            plan: Some(draft("Anonym", Visibility::Public)),
            origin: None,
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

// ---------------------------------------------------------------------------------------
// Network partners, asked of the real directory service
// ---------------------------------------------------------------------------------------

use innohub_runtime::testing::network::{self, Networked};

/// A pilots service that asks a directory served over the network for its callers'
/// partners (relaying their tokens), and one that asks it in-process; one directory store.
async fn networked() -> Networked<PilotsApp, Client> {
    Networked::start(
        start().await,
        innohub_directory::DirectoryApp::new,
        innohub_directory::grpc::router,
        innohub_directory::grpc::channel,
        |store, directory| {
            PilotsApp::new(store)
                .with_today(today)
                .with_directory(directory)
        },
        grpc::router,
        grpc::channel,
        Client::new,
    )
    .await
}

/// Register NO-4626, DK-0706 and SE-1283 and put NO-4626 and DK-0706 in one network,
/// invited; returns the network id.
async fn network_invited(directory: &network::Directory) -> String {
    let root = person("root@innohub", HOME, None, &[Role::PlatformAdmin]);
    network::network_of(
        directory,
        &root,
        &network::admin(HOME),
        &[
            ("NO", "4626", "Øygarden"),
            ("DK", "0706", "Syddjurs"),
            ("SE", "1283", "Helsingborg"),
        ],
        "Vestlandet",
    )
    .await
}

#[tokio::test]
async fn a_network_partner_reads_a_network_pilots_redacted_history_once_in_the_network() {
    let n = networked().await;
    let network = network_invited(&n.directory).await;
    let (pilot, _) = running(&n.remote_with_directory, Visibility::Network).await;
    observe(&n.remote_with_directory, &responsible(), &pilot)
        .await
        .unwrap();
    let partner = partner();
    let outsider = person("olof@helsingborg.se", "SE-1283", None, &[Role::Employee]);
    for client in [&n.remote_with_directory, &n.local_with_directory] {
        // Invited, not yet a member: Syddjurs is no partner, the pilot does not exist.
        let e = history(client, &partner, &pilot).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        let e = observe(client, &partner, &pilot).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
    }
    network::accept(&n.directory, &network::admin("DK-0706"), &network).await;
    let head = n.served.store.head();
    for client in [&n.remote_with_directory, &n.local_with_directory] {
        let trail = history(client, &partner, &pilot).await.unwrap();
        assert_eq!(
            types(&trail),
            [
                "PilotPlanned",
                "PilotBenefitDefined",
                "PilotStarted",
                "PilotObservationRecorded",
            ]
        );
        let planned = pb::PilotPlanned::decode(trail[0].payload.as_slice()).unwrap();
        let p = planned.plan.unwrap();
        assert_eq!(p.title, "Digitalt tilsyn");
        assert!(p.departments.is_empty() && p.responsible.is_empty());
        assert_eq!(planned.planned_by, "");
        let defined = pb::PilotBenefitDefined::decode(trail[1].payload.as_slice()).unwrap();
        let b = defined.benefit.unwrap();
        assert_eq!(
            (b.title.as_str(), b.owner.as_str()),
            ("Timar brukt på nattbesøk", "")
        );
        let observed = pb::PilotObservationRecorded::decode(trail[3].payload.as_slice()).unwrap();
        let o = observed.observation.unwrap();
        assert_eq!(
            (o.touchpoint.as_str(), o.observer.as_str()),
            ("nattbesøk", "")
        );
        // Read-only: partners record nothing.
        let e = observe(client, &partner, &pilot).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        let e = history(client, &outsider, &pilot).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
    }
    assert_eq!(n.served.store.head(), head);
    // Without a directory, nobody has partners.
    let e = history(&n.served.remote, &partner, &pilot)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}
