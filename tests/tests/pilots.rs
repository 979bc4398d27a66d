//! The pilots context over HTTP against the real binary in embedded mode, given/when/then,
//! in Øygarden (NO-4626): a pilot's whole life after the Norwegian roadmap (planned with a
//! title and its departments, refused to start while any topic of the plan is missing and
//! every missing topic named, started, observed, measured, evaluated, extended to a later end
//! date and back to RUNNING, evaluated again and taken into operation), the realisation of
//! benefits whose indicator rises and whose indicator falls, the lists by status, department
//! and idea, the portfolio, the innovation funnel from idea to operation, who may do what (an
//! innovation lead runs a pilot, its responsible person records what happens), the read rule
//! of a PRIVATE pilot, and bad input to every mutation refused with its code while nothing is
//! recorded (the server's today fixed by `INNOHUB_TODAY`). (Other municipalities are
//! `tenancy.rs`'s; distributed mode `pilots_distributed.rs`'s; a crash between the two writes
//! of `startPilotFromIdea` `links.rs`'s.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod ideas_api;
mod pilots_api;

use common::*;
use ideas_api::{
    DECIDE_GATE, SPAWN, close, command, gate, history_types, idea, idea_form, ids, submit_idea,
};
use innohub_tests::App;
use pilots_api::*;
use serde_json::{Value, json};

/// The server's today.
const TODAY: &str = "2026-06-15";
/// The plan's first and last day.
const START: &str = "2026-06-01";
const END: &str = "2026-08-31";
/// The pilot the tests follow: digital night supervision in home care.
const TITLE: &str = "Digitalt nattilsyn i heimetenesta";
/// Its benefits: hours of night visits a week fall from 40 to 10; the users' satisfaction
/// rises from 60 to 80 %.
const HOURS: &str = "Timar på nattbesøk";
const SATISFACTION: &str = "Brukartilfredsheit";

/// The people of Øygarden the tests act as.
struct People {
    /// The innovation lead, who runs pilots.
    ingrid: String,
    /// An employee in home care, the pilot's responsible person.
    kari: String,
    /// Another employee in home care.
    ola: String,
    /// An employee of the schools.
    per: String,
}

async fn people(app: &App) -> People {
    let token = |user: &'static str, department: &'static str, roles: &'static [&'static str]| async move {
        app.token(user, NO, Some(department), roles).await.unwrap()
    };
    People {
        ingrid: token("ingrid", "innovasjon", &["employee", "innovation_lead"]).await,
        kari: token("kari", "heimeteneste", &["employee"]).await,
        ola: token("ola", "heimeteneste", &["employee"]).await,
        per: token("per", "skule", &["employee"]).await,
    }
}

/// The hours benefit: 40 hours a week at the start of the year, 10 by its end.
fn hours_benefit() -> Value {
    benefit(
        HOURS,
        "timar/veke",
        (40.0, "2026-01-05"),
        (10.0, "2026-12-31"),
    )
}

/// The satisfaction benefit: 60 % at the start of the year, 80 % by its end.
fn satisfaction_benefit() -> Value {
    with(
        benefit(
            SATISFACTION,
            "%",
            (60.0, "2026-01-05"),
            (80.0, "2026-12-31"),
        ),
        json!({ "kind": "QUALITY", "category": "QUALITY", "beneficiary": "Brukarane" }),
    )
}

/// Send a command that must be refused with BAD_USER_INPUT saying `why`.
async fn refused_because(app: &App, token: &str, query: &str, variables: Value, why: &str) {
    refused_input(app, token, why, query, variables, &[why]).await;
}

/// A pilot of home care whose plan is complete, with both benefits defined, started.
async fn running_pilot(app: &App, lead: &str, title: &str) -> (String, Written) {
    let planned = plan_pilot(
        app,
        lead,
        complete_plan(title, &["heimeteneste"], "kari", START, END),
    )
    .await;
    define_benefit(app, lead, &planned.id, hours_benefit()).await;
    define_benefit(app, lead, &planned.id, satisfaction_benefit()).await;
    let started = start_pilot(app, lead, &planned.id).await;
    (planned.id, started)
}

#[tokio::test]
async fn a_pilot_is_planned_started_run_evaluated_extended_and_taken_into_operation() {
    let app = App::spawn_on("pilots-life", TODAY).await.unwrap();
    let p = people(&app).await;

    // Given a pilot planned with its title and departments only (a retry with the same key
    // plans nothing new).
    let variables = json!({ "plan": draft_plan(TITLE, &["heimeteneste"]), "key": "plan-1" });
    let planned = command(&app, &p.ingrid, PLAN_PILOT, variables.clone()).await;
    let retry = command(&app, &p.ingrid, PLAN_PILOT, variables).await;
    assert!(!planned.replayed && retry.replayed);
    assert_eq!((&retry.id, &retry.token), (&planned.id, &planned.token));
    let id = planned.id.clone();
    let seen = pilot(&app, &p.ola, &id, &planned.token).await;
    assert_eq!(seen["id"], json!(id));
    assert_eq!(seen["municipality"], NO);
    assert_eq!(seen["status"], "PLANNING");
    assert_eq!(seen["plan"]["title"], TITLE);
    assert_eq!(seen["plan"]["departments"], json!(["heimeteneste"]));
    assert_eq!(
        seen["plan"]["visibility"], "MUNICIPALITY",
        "unset is MUNICIPALITY"
    );
    assert!(seen["plannedAt"].is_string(), "{seen:#}");
    for absent in [
        "startedAt",
        "origin",
        "evaluation",
        "evaluationSummary",
        "decision",
    ] {
        assert_eq!(seen[absent], Value::Null, "{absent}: {seen:#}");
    }
    for empty in ["observations", "incidents", "benefits"] {
        assert_eq!(seen[empty], json!([]), "{empty}: {seen:#}");
    }
    let completeness = &seen["planCompleteness"];
    assert_eq!(
        (
            &completeness["filled"],
            &completeness["total"],
            &completeness["missing"]
        ),
        (&json!(0), &json!(13), &json!(TOPICS))
    );
    close(&completeness["percent"], 0.0);

    // When it is started, that is refused with every topic of the roadmap named, in its
    // order, and nothing is recorded.
    refused_because(
        &app,
        &p.ingrid,
        START_PILOT,
        json!({ "id": id }),
        "the plan is incomplete; missing: goals, learning_goals, scope, dates, participants, \
         information, training, error_handling, measurement, observation, documentation, \
         responsible, anchoring",
    )
    .await;
    assert_eq!(history_types(&app, &p.ingrid, &id).await, ["PilotPlanned"]);

    // When every topic but the training and the responsible person is filled, those two are
    // the ones named.
    let mut most = topics("kari", START, END);
    for left_out in ["training", "responsible"] {
        most.as_object_mut().unwrap().remove(left_out);
    }
    let filled = update_plan(&app, &p.ingrid, &id, most).await;
    let seen = pilot(&app, &p.ingrid, &id, &filled.token).await;
    let completeness = &seen["planCompleteness"];
    assert_eq!(
        (&completeness["filled"], &completeness["missing"]),
        (&json!(11), &json!(["TRAINING", "RESPONSIBLE"]))
    );
    close(&completeness["percent"], 100.0 * 11.0 / 13.0);
    assert_eq!(seen["plan"]["title"], TITLE, "kept");
    assert_eq!(seen["plan"]["scope"]["growth"], "GROWS");
    assert_eq!(seen["plan"]["participants"][0]["kind"], "USERS");
    assert_eq!(seen["plan"]["participants"][1]["count"], 8);
    assert_eq!(seen["plan"]["anchoring"], json!(["heimeteneste"]));
    refused_because(
        &app,
        &p.ingrid,
        START_PILOT,
        json!({ "id": id }),
        "the plan is incomplete; missing: training, responsible",
    )
    .await;

    // Nothing is recorded before the run, but benefits are defined while planning.
    refused_because(
        &app,
        &p.ingrid,
        OBSERVE,
        json!({ "id": id, "observation": observation(TODAY) }),
        "only while the pilot is RUNNING; it is PLANNING",
    )
    .await;
    refused_because(
        &app,
        &p.ingrid,
        INCIDENT,
        json!({ "id": id, "incident": incident(TODAY) }),
        "only while the pilot is RUNNING; it is PLANNING",
    )
    .await;
    define_benefit(&app, &p.ingrid, &id, hours_benefit()).await;
    let defined = define_benefit(&app, &p.ingrid, &id, satisfaction_benefit()).await;
    let hours = benefit_id(&app, &p.ingrid, &id, HOURS, &defined.token).await;
    let satisfaction = benefit_id(&app, &p.ingrid, &id, SATISFACTION, &defined.token).await;
    refused_because(
        &app,
        &p.ingrid,
        MEASURE,
        json!({ "id": id, "benefitId": hours, "reading": { "value": 30.0, "date": TODAY } }),
        "only while the pilot is RUNNING; it is PLANNING",
    )
    .await;

    // When the last topics are filled, the plan is complete and the pilot starts, today.
    let complete = update_plan(
        &app,
        &p.ingrid,
        &id,
        json!({ "training": "To timar opplæring", "responsible": "kari" }),
    )
    .await;
    let seen = pilot(&app, &p.ingrid, &id, &complete.token).await;
    let completeness = &seen["planCompleteness"];
    assert_eq!(
        (&completeness["filled"], &completeness["missing"]),
        (&json!(13), &json!([]))
    );
    close(&completeness["percent"], 100.0);
    let started = start_pilot(&app, &p.ingrid, &id).await;
    let seen = pilot(&app, &p.ingrid, &id, &started.token).await;
    assert_eq!(seen["status"], "RUNNING");
    assert_eq!(seen["startedAt"], TODAY);
    assert_eq!(seen["plan"]["responsible"], "kari");
    // It starts once.
    refused(
        &app,
        Some(&p.ingrid),
        START_PILOT,
        json!({ "id": id }),
        "BAD_USER_INPUT",
    )
    .await;

    // While it runs, its plan stays complete and its dates stay (the end moves by EXTEND
    // only); the rest may change.
    refused(
        &app,
        Some(&p.ingrid),
        UPDATE_PLAN,
        json!({ "id": id, "plan": { "endDate": "2026-09-30" } }),
        "BAD_USER_INPUT",
    )
    .await;
    refused(
        &app,
        Some(&p.ingrid),
        UPDATE_PLAN,
        json!({ "id": id, "plan": { "training": "" } }),
        "BAD_USER_INPUT",
    )
    .await;
    update_plan(
        &app,
        &p.ingrid,
        &id,
        json!({ "goals": "Færre nattbesøk, tryggare natt, betre søvn" }),
    )
    .await;

    // The responsible person observes, the innovation lead records an incident, and both
    // measure; each benefit shows its latest measurement and how much of it is realised.
    let observed = command(
        &app,
        &p.kari,
        OBSERVE,
        json!({ "id": id, "observation": observation("2026-06-03") }),
    )
    .await;
    command(
        &app,
        &p.ingrid,
        INCIDENT,
        json!({ "id": id, "incident": incident("2026-06-04") }),
    )
    .await;
    measure(&app, &p.kari, &id, &hours, 25.0, "2026-06-07").await;
    measure(&app, &p.ingrid, &id, &hours, 4.0, "2026-06-14").await;
    let measured = measure(&app, &p.kari, &id, &satisfaction, 70.0, TODAY).await;
    let seen = pilot(&app, &p.ola, &id, &measured.token).await;
    assert_eq!(
        seen["plan"]["goals"],
        "Færre nattbesøk, tryggare natt, betre søvn"
    );
    let [seen_observation] = seen["observations"].as_array().unwrap().as_slice() else {
        panic!("one observation: {seen:#}");
    };
    assert!(seen_observation["id"].is_string());
    let expected = observation("2026-06-03");
    for field in [
        "observer",
        "touchpoint",
        "worked",
        "stuck",
        "joy",
        "links",
        "date",
    ] {
        assert_eq!(seen_observation[field], expected[field], "{field}");
    }
    assert_eq!(
        seen["incidents"][0]["what"],
        incident(TODAY)["what"],
        "{seen:#}"
    );
    assert_eq!(seen["incidents"][0]["date"], "2026-06-04");
    let falling = benefit_titled(&seen, HOURS);
    assert_eq!(falling["id"], json!(hours));
    assert_eq!(falling["kind"], "EFFICIENCY");
    assert_eq!(falling["category"], "TIME_SAVED");
    assert_eq!(falling["priced"], false);
    assert_eq!(falling["owner"], "kari");
    assert_eq!(falling["indicator"]["unit"], "timar/veke");
    assert_eq!(
        falling["measurements"],
        json!([{ "value": 25.0, "date": "2026-06-07" }, { "value": 4.0, "date": "2026-06-14" }])
    );
    assert_eq!(
        falling["latest"],
        json!({ "value": 4.0, "date": "2026-06-14" })
    );
    // Lower is better: (4 − 40) / (10 − 40) = 120 %.
    close(&falling["realisation"], 120.0);
    let rising = benefit_titled(&seen, SATISFACTION);
    // (70 − 60) / (80 − 60) = 50 %.
    close(&rising["realisation"], 50.0);
    assert_eq!(rising["kind"], "QUALITY");

    // When it is evaluated, it is EVALUATING, with each lens's mean rating.
    let evaluated = evaluate(
        &app,
        &p.ingrid,
        &id,
        evaluation([5, 4, 3], [3, 3, 2, 4], [2, 1, 3, 2]),
    )
    .await;
    let seen = pilot(&app, &p.ingrid, &id, &evaluated.token).await;
    assert_eq!(seen["status"], "EVALUATING");
    close(&seen["evaluationSummary"]["people"], 4.0);
    close(&seen["evaluationSummary"]["organisation"], 3.0);
    close(&seen["evaluationSummary"]["technology"], 2.0);
    assert_eq!(
        seen["evaluation"]["usersExperience"],
        json!({ "score": 5, "notes": "Vurdert til 5" })
    );
    assert_eq!(
        seen["evaluation"]["benefitReview"]["costEstimate"],
        "Lisensen kostar meir enn venta"
    );
    // The run is over: nothing is recorded while it is evaluated.
    refused_because(
        &app,
        &p.kari,
        OBSERVE,
        json!({ "id": id, "observation": observation(TODAY) }),
        "only while the pilot is RUNNING; it is EVALUATING",
    )
    .await;

    // EXTEND needs an end date after the current one.
    let extend = |date: Option<&str>| json!({ "id": id, "decision": "EXTEND", "newEndDate": date, "basis": basis() });
    for date in [None, Some(END), Some("2026-08-01")] {
        refused(
            &app,
            Some(&p.ingrid),
            DECIDE,
            extend(date),
            "BAD_USER_INPUT",
        )
        .await;
    }
    // When it is extended, it runs again until the new end date.
    let extended = decide(
        &app,
        &p.ingrid,
        &id,
        "EXTEND",
        json!({ "newEndDate": "2026-10-31" }),
    )
    .await;
    let seen = pilot(&app, &p.ingrid, &id, &extended.token).await;
    assert_eq!(seen["status"], "RUNNING");
    assert_eq!(seen["plan"]["endDate"], "2026-10-31");
    assert_eq!(seen["plan"]["startDate"], START);
    let decision = &seen["decision"];
    assert_eq!(decision["decision"], "EXTEND");
    assert_eq!(decision["newEndDate"], "2026-10-31");
    assert_eq!(decision["whyStopped"], Value::Null);
    assert_eq!(decision["basis"], basis());
    assert_eq!(decision["decider"], "ingrid");
    assert!(decision["decidedAt"].is_string(), "{decision:#}");

    // It is measured again, evaluated again, and taken into operation.
    let again = measure(&app, &p.kari, &id, &hours, 8.0, TODAY).await;
    let seen = pilot(&app, &p.ingrid, &id, &again.token).await;
    // (8 − 40) / (10 − 40).
    close(
        &benefit_titled(&seen, HOURS)["realisation"],
        100.0 * 32.0 / 30.0,
    );
    evaluate(&app, &p.ingrid, &id, good_evaluation()).await;
    let decided = decide(&app, &p.ingrid, &id, "TO_OPERATION", json!({})).await;
    let seen = pilot(&app, &p.ola, &id, &decided.token).await;
    assert_eq!(seen["status"], "IN_OPERATION");
    close(&seen["evaluationSummary"]["technology"], 4.0);
    assert_eq!(seen["decision"]["decision"], "TO_OPERATION");
    assert_eq!(seen["decision"]["newEndDate"], Value::Null);
    assert_eq!(seen["plan"]["endDate"], "2026-10-31");
    assert_eq!(
        seen["observations"][0]["id"],
        pilot(&app, &p.ola, &id, &observed.token).await["observations"][0]["id"]
    );

    // In operation is final: nothing more is planned, recorded, evaluated or decided.
    let before = history(&app, &p.ingrid, &id).await;
    #[rustfmt::skip]
    let after_the_decision: Vec<(&str, Value)> = vec![
        (UPDATE_PLAN, json!({ "id": id, "plan": { "goals": "Nye mål" } })),
        (START_PILOT, json!({ "id": id })),
        (OBSERVE, json!({ "id": id, "observation": observation(TODAY) })),
        (INCIDENT, json!({ "id": id, "incident": incident(TODAY) })),
        (DEFINE_BENEFIT, json!({ "id": id, "benefit": benefit("Ny", "kr", (1.0, START), (2.0, END)) })),
        (MEASURE, json!({ "id": id, "benefitId": hours, "reading": { "value": 5.0, "date": TODAY } })),
        (EVALUATE, json!({ "id": id, "evaluation": good_evaluation() })),
        (DECIDE, json!({ "id": id, "decision": "STOP", "whyStopped": "Likevel ikkje", "basis": basis() })),
    ];
    for (query, variables) in after_the_decision {
        refused(&app, Some(&p.ingrid), query, variables, "BAD_USER_INPUT").await;
    }
    assert_eq!(history(&app, &p.ingrid, &id).await, before);
    assert_eq!(
        history_types(&app, &p.ola, &id).await,
        [
            "PilotPlanned",
            "PilotPlanChanged",
            "PilotBenefitDefined",
            "PilotBenefitDefined",
            "PilotPlanChanged",
            "PilotStarted",
            "PilotPlanChanged",
            "PilotObservationRecorded",
            "PilotIncidentRecorded",
            "PilotMeasurementRecorded",
            "PilotMeasurementRecorded",
            "PilotMeasurementRecorded",
            "PilotEvaluated",
            "PilotDecided",
            "PilotMeasurementRecorded",
            "PilotEvaluated",
            "PilotDecided",
        ]
    );
}

#[tokio::test]
async fn a_benefit_is_realised_toward_its_target_whether_its_indicator_rises_or_falls() {
    let app = App::spawn_on("pilots-benefits", TODAY).await.unwrap();
    let p = people(&app).await;
    let (id, started) = running_pilot(&app, &p.ingrid, TITLE).await;
    let hours = benefit_id(&app, &p.ingrid, &id, HOURS, &started.token).await;
    let satisfaction = benefit_id(&app, &p.ingrid, &id, SATISFACTION, &started.token).await;

    // Given no measurement, a benefit has no latest value and no realisation.
    let seen = pilot(&app, &p.ingrid, &id, &started.token).await;
    for title in [HOURS, SATISFACTION] {
        let unmeasured = benefit_titled(&seen, title);
        assert_eq!(unmeasured["measurements"], json!([]));
        assert_eq!(unmeasured["latest"], Value::Null);
        assert_eq!(unmeasured["realisation"], Value::Null);
        assert_eq!(unmeasured["baseline"]["date"], "2026-01-05");
        assert_eq!(unmeasured["target"]["date"], "2026-12-31");
    }

    // A falling indicator (hours, lower is better) and a rising one (satisfaction), each
    // read halfway, beyond the target and the wrong way.
    let realised = async |benefit: &str, value: f64, title: &str, expected: f64| {
        let measured = measure(&app, &p.kari, &id, benefit, value, TODAY).await;
        let seen = pilot(&app, &p.kari, &id, &measured.token).await;
        let measured = benefit_titled(&seen, title);
        assert_eq!(measured["latest"], json!({ "value": value, "date": TODAY }));
        close(&measured["realisation"], expected);
    };
    realised(&hours, 25.0, HOURS, 50.0).await;
    realised(&hours, 4.0, HOURS, 120.0).await;
    realised(&hours, 46.0, HOURS, -20.0).await;
    realised(&satisfaction, 70.0, SATISFACTION, 50.0).await;
    realised(&satisfaction, 84.0, SATISFACTION, 120.0).await;
    realised(&satisfaction, 56.0, SATISFACTION, -20.0).await;

    // When a benefit is redefined (its target now above the baseline), it keeps its
    // measurements and is realised against the new target: (46 − 40) / (52 − 40) = 50 %.
    let redefined = command(
        &app,
        &p.ingrid,
        DEFINE_BENEFIT,
        json!({ "id": id, "benefitId": hours, "benefit": benefit(HOURS, "timar/veke", (40.0, "2026-01-05"), (52.0, "2026-12-31")) }),
    )
    .await;
    let seen = pilot(&app, &p.ingrid, &id, &redefined.token).await;
    assert_eq!(seen["benefits"].as_array().unwrap().len(), 2, "{seen:#}");
    let kept = benefit_titled(&seen, HOURS);
    assert_eq!(kept["id"], json!(hours));
    assert_eq!(kept["measurements"].as_array().unwrap().len(), 3);
    assert_eq!(
        kept["target"],
        json!({ "value": 52.0, "date": "2026-12-31" })
    );
    close(&kept["realisation"], 50.0);
    assert_eq!(
        history_types(&app, &p.ingrid, &id).await,
        [
            "PilotPlanned",
            "PilotBenefitDefined",
            "PilotBenefitDefined",
            "PilotStarted"
        ]
        .into_iter()
        .chain(["PilotMeasurementRecorded"; 6])
        .chain(["PilotBenefitDefined"])
        .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_stopped_pilot_says_why_and_one_sent_back_to_ideation_ends_too() {
    let app = App::spawn_on("pilots-stop", TODAY).await.unwrap();
    let p = people(&app).await;
    let (stopped, _) = running_pilot(&app, &p.ingrid, "Medisinrobot").await;
    let (back, _) = running_pilot(&app, &p.ingrid, "Velferdsapp").await;
    for id in [&stopped, &back] {
        evaluate(&app, &p.ingrid, id, evaluation([2; 3], [2; 4], [1; 4])).await;
    }
    // STOP needs why it did not work.
    refused_because(
        &app,
        &p.ingrid,
        DECIDE,
        json!({ "id": stopped, "decision": "STOP", "basis": basis() }),
        "STOP needs why it did not work",
    )
    .await;
    let why = "Robotane tolte ikkje fukta i bustadene";
    let decided = decide(
        &app,
        &p.ingrid,
        &stopped,
        "STOP",
        json!({ "whyStopped": why }),
    )
    .await;
    let seen = pilot(&app, &p.ola, &stopped, &decided.token).await;
    assert_eq!(seen["status"], "STOPPED");
    assert_eq!(seen["decision"]["whyStopped"], why);
    close(&seen["evaluationSummary"]["technology"], 1.0);
    let decided = decide(&app, &p.ingrid, &back, "BACK_TO_IDEATION", json!({})).await;
    let seen = pilot(&app, &p.ola, &back, &decided.token).await;
    assert_eq!(seen["status"], "BACK_TO_IDEATION");
    // Both are final.
    for id in [&stopped, &back] {
        refused(
            &app,
            Some(&p.ingrid),
            EVALUATE,
            json!({ "id": id, "evaluation": good_evaluation() }),
            "BAD_USER_INPUT",
        )
        .await;
    }
}

#[tokio::test]
async fn only_an_innovation_lead_runs_a_pilot_and_its_responsible_person_records_what_happens() {
    let app = App::spawn_on("pilots-roles", TODAY).await.unwrap();
    let p = people(&app).await;
    let (id, started) = running_pilot(&app, &p.ingrid, TITLE).await;
    let hours = benefit_id(&app, &p.ingrid, &id, HOURS, &started.token).await;
    let evaluated = {
        let (id, _) = running_pilot(&app, &p.ingrid, "Evaluert pilot").await;
        evaluate(&app, &p.ingrid, &id, good_evaluation()).await;
        id
    };
    let idea = submit_idea(
        &app,
        &p.ola,
        idea_form("Sensor om natta", &["heimeteneste"]),
    )
    .await
    .id;
    let records = [&id, &evaluated, &idea];
    let mut histories = Vec::new();
    for record in records {
        histories.push(history(&app, &p.ingrid, record).await);
    }
    let before = bystander_write(&app).await;

    // Every command, valid for the pilot it names.
    let observe = json!({ "id": id, "observation": observation(TODAY) });
    let report = json!({ "id": id, "incident": incident(TODAY) });
    let reading =
        json!({ "id": id, "benefitId": hours, "reading": { "value": 20.0, "date": TODAY } });
    #[rustfmt::skip]
    let leads_only: Vec<(&str, Value)> = vec![
        (PLAN_PILOT, json!({ "plan": draft_plan("Min pilot", &["heimeteneste"]) })),
        (UPDATE_PLAN, json!({ "id": id, "plan": { "goals": "Mine mål" } })),
        (START_PILOT, json!({ "id": id })),
        (DEFINE_BENEFIT, json!({ "id": id, "benefit": benefit("Ny", "kr", (1.0, START), (2.0, END)) })),
        (EVALUATE, json!({ "id": id, "evaluation": good_evaluation() })),
        (DECIDE, json!({ "id": evaluated, "decision": "TO_OPERATION", "basis": basis() })),
        (START_FROM_IDEA, json!({ "ideaId": idea, "plan": draft_plan("Frå idé", &["heimeteneste"]) })),
    ];
    let records_of_the_run: Vec<(&str, Value)> = vec![
        (OBSERVE, observe.clone()),
        (INCIDENT, report.clone()),
        (MEASURE, reading.clone()),
    ];

    // Without a token, every operation is refused as unauthenticated.
    let reads: Vec<(String, Value)> = vec![
        (pilot_query(), json!({ "id": id })),
        (PILOTS.to_owned(), json!({})),
        (PORTFOLIO.to_owned(), json!({ "m": NO })),
        (INNOVATION_FUNNEL.to_owned(), json!({ "m": NO })),
    ];
    for (query, variables) in reads
        .iter()
        .map(|(q, v)| (q.as_str(), v.clone()))
        .chain(leads_only.iter().cloned())
        .chain(records_of_the_run.iter().cloned())
    {
        refused(&app, None, query, variables, "UNAUTHENTICATED").await;
    }
    // A pilot that does not exist is not found by any operation.
    for (query, variables) in reads
        .iter()
        .take(1)
        .map(|(q, v)| (q.as_str(), v.clone()))
        .chain(leads_only.iter().skip(1).take(5).cloned())
        .chain(records_of_the_run.iter().cloned())
    {
        refused(
            &app,
            Some(&p.ingrid),
            query,
            with(variables, json!({ "id": NOBODY })),
            "NOT_FOUND",
        )
        .await;
    }
    refused(
        &app,
        Some(&p.ingrid),
        START_FROM_IDEA,
        json!({ "ideaId": NOBODY, "plan": draft_plan("Frå idé", &["heimeteneste"]) }),
        "NOT_FOUND",
    )
    .await;

    // An employee may read the pilot but change nothing of it; the responsible person may
    // record what happens during the run, nothing else.
    for token in [&p.ola, &p.kari] {
        for (query, variables) in leads_only.iter().cloned() {
            refused(&app, Some(token), query, variables, "FORBIDDEN").await;
        }
    }
    for (query, variables) in records_of_the_run.iter().cloned() {
        refused(&app, Some(&p.ola), query, variables, "FORBIDDEN").await;
    }
    let seen = pilot(&app, &p.per, &id, &started.token).await;
    assert_eq!(seen["status"], "RUNNING");

    // Nothing was appended by any of them.
    let after = bystander_write(&app).await;
    assert_eq!(after.position(), before.position() + 1);
    for (record, before) in records.into_iter().zip(histories) {
        assert_eq!(history(&app, &p.ingrid, record).await, before, "{record}");
    }

    // The responsible person records an observation, an incident and a measurement.
    for (query, variables) in records_of_the_run.iter().cloned() {
        command(&app, &p.kari, query, variables).await;
    }
    // When someone else becomes responsible, so do their rights.
    update_plan(&app, &p.ingrid, &id, json!({ "responsible": "ola" })).await;
    refused(&app, Some(&p.kari), OBSERVE, observe.clone(), "FORBIDDEN").await;
    let last = command(&app, &p.ola, OBSERVE, observe).await;
    let seen = pilot(&app, &p.ingrid, &id, &last.token).await;
    assert_eq!(seen["observations"].as_array().unwrap().len(), 2);
    assert_eq!(seen["incidents"].as_array().unwrap().len(), 1);
    assert_eq!(
        benefit_titled(&seen, HOURS)["measurements"],
        json!([{ "value": 20.0, "date": TODAY }])
    );
}

#[tokio::test]
async fn a_private_pilot_is_read_by_its_departments_its_responsible_person_and_its_planner_only() {
    let app = App::spawn_on("pilots-private", TODAY).await.unwrap();
    let p = people(&app).await;
    let anne = app
        .token("anne", NO, Some("helse"), &["employee"])
        .await
        .unwrap();
    // Given a PRIVATE pilot of home care whose responsible person is Anne of health.
    let private = plan_pilot(
        &app,
        &p.ingrid,
        with(
            complete_plan(TITLE, &["heimeteneste"], "anne", START, END),
            json!({ "visibility": "PRIVATE" }),
        ),
    )
    .await;
    let id = private.id.clone();
    // Its departments, its responsible person and the innovation lead who planned it read it.
    for reader in [&p.ola, &p.kari, &anne, &p.ingrid] {
        let seen = pilot(&app, reader, &id, &private.token).await;
        assert_eq!(seen["plan"]["visibility"], "PRIVATE");
    }
    // Anyone else of the municipality finds nothing, in any operation, exactly as for a
    // pilot that does not exist.
    let query = pilot_query();
    #[rustfmt::skip]
    let operations: Vec<(&str, Value)> = vec![
        (&query, json!({ "c": private.token })),
        (HISTORY, json!({})),
        (OBSERVE, json!({ "observation": observation(TODAY) })),
        (INCIDENT, json!({ "incident": incident(TODAY) })),
    ];
    for (query, variables) in operations {
        looks_missing(&app, &p.per, query, variables, &id, "a private pilot").await;
    }
    let listed = ok(&app, &p.per, PILOTS, json!({ "c": private.token })).await;
    assert_eq!(total(&listed["pilots"]), 0);
    let listed = ok(&app, &p.ola, PILOTS, json!({ "c": private.token })).await;
    assert_eq!(column(&listed["pilots"], "id"), [id.as_str()]);
}

/// The ids of a page of pilots, sorted.
fn sorted_ids(connection: &Value) -> Vec<String> {
    let mut ids = column(connection, "id");
    ids.sort();
    ids
}

/// `ids` sorted.
fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|id| (*id).to_owned()).collect();
    ids.sort();
    ids
}

/// The row of `status` in a portfolio (which lists every status).
fn portfolio_row(portfolio: &Value, status: &str) -> Value {
    portfolio["statuses"]
        .as_array()
        .unwrap_or_else(|| panic!("statuses: {portfolio:#}"))
        .iter()
        .find(|row| row["status"] == status)
        .cloned()
        .unwrap_or_else(|| panic!("no {status} in {portfolio:#}"))
}

#[tokio::test]
async fn pilots_are_listed_by_status_department_and_idea_and_the_portfolio_weighs_their_benefits() {
    let app = App::spawn_on("pilots-portfolio", TODAY).await.unwrap();
    let p = people(&app).await;
    // Given a pilot in operation whose hours fell beyond the target, a running one of health
    // whose hours fell halfway, one planned by home care and health without measurements, a
    // stopped one, and one planned from an idea.
    let (operating, started) = running_pilot(&app, &p.ingrid, "Nattilsyn").await;
    let hours = benefit_id(&app, &p.ingrid, &operating, HOURS, &started.token).await;
    measure(&app, &p.kari, &operating, &hours, 4.0, TODAY).await;
    evaluate(&app, &p.ingrid, &operating, good_evaluation()).await;
    decide(&app, &p.ingrid, &operating, "TO_OPERATION", json!({})).await;

    let running = plan_pilot(
        &app,
        &p.ingrid,
        complete_plan("Medisinrobot", &["helse"], "kari", START, END),
    )
    .await
    .id;
    let defined = define_benefit(&app, &p.ingrid, &running, hours_benefit()).await;
    let hours = benefit_id(&app, &p.ingrid, &running, HOURS, &defined.token).await;
    start_pilot(&app, &p.ingrid, &running).await;
    measure(&app, &p.kari, &running, &hours, 25.0, TODAY).await;

    let planning = plan_pilot(
        &app,
        &p.ingrid,
        draft_plan("Digital heimeoppfølging", &["heimeteneste", "helse"]),
    )
    .await
    .id;
    define_benefit(&app, &p.ingrid, &planning, satisfaction_benefit()).await;

    let (stopped, _) = running_pilot(&app, &p.ingrid, "Velferdsapp").await;
    evaluate(&app, &p.ingrid, &stopped, good_evaluation()).await;
    decide(
        &app,
        &p.ingrid,
        &stopped,
        "STOP",
        json!({ "whyStopped": "Ingen brukte appen" }),
    )
    .await;

    let idea = submit_idea(&app, &p.ola, idea_form("Tryggleiksalarm", &["helse"]))
        .await
        .id;
    let (last, from_idea_id) = start_from_idea(
        &app,
        &p.ingrid,
        &idea,
        draft_plan("Tryggleiksalarm", &["helse"]),
    )
    .await;

    let list = async |filter: Value| {
        let data = ok(
            &app,
            &p.ola,
            PILOTS,
            json!({ "filter": filter, "first": 20, "c": last.token }),
        )
        .await;
        assert_eq!(total(&data["pilots"]), nodes(&data["pilots"]).len() as i64);
        sorted_ids(&data["pilots"])
    };
    assert_eq!(
        list(json!({})).await,
        sorted(&[&operating, &running, &planning, &stopped, &from_idea_id])
    );
    assert_eq!(
        list(json!({ "status": "PLANNING" })).await,
        sorted(&[&planning, &from_idea_id])
    );
    assert_eq!(
        list(json!({ "status": "RUNNING" })).await,
        [running.as_str()]
    );
    assert_eq!(
        list(json!({ "status": "IN_OPERATION" })).await,
        [operating.as_str()]
    );
    assert_eq!(
        list(json!({ "status": "EVALUATING" })).await,
        Vec::<String>::new()
    );
    assert_eq!(
        list(json!({ "department": "helse" })).await,
        sorted(&[&running, &planning, &from_idea_id])
    );
    assert_eq!(
        list(json!({ "department": "heimeteneste", "status": "PLANNING" })).await,
        [planning.as_str()]
    );
    assert_eq!(list(json!({ "idea": idea })).await, [from_idea_id.as_str()]);
    assert_eq!(list(json!({ "idea": NOBODY })).await, Vec::<String>::new());

    // Two at a time through the cursors: every pilot once.
    let first = ok(&app, &p.ola, PILOTS, json!({ "first": 2, "c": last.token })).await;
    assert_eq!(
        first["pilots"]["pageInfo"],
        json!({ "hasNextPage": true, "hasPreviousPage": false })
    );
    let mut seen = column(&first["pilots"], "id");
    let mut after = last_cursor(&first["pilots"]);
    loop {
        let page = ok(
            &app,
            &p.ola,
            PILOTS,
            json!({ "first": 2, "after": after, "c": last.token }),
        )
        .await;
        seen.extend(column(&page["pilots"], "id"));
        if page["pilots"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = last_cursor(&page["pilots"]);
    }
    seen.sort();
    assert_eq!(
        seen,
        sorted(&[&operating, &running, &planning, &stopped, &from_idea_id])
    );

    // The portfolio: pilots by status, each with the mean realisation of its measured
    // benefits, and how many measured benefits reached their target.
    let data = ok(&app, &p.ola, PORTFOLIO, json!({ "m": NO, "c": last.token })).await;
    let portfolio = &data["pilotPortfolio"];
    assert_eq!(portfolio["municipality"], NO);
    let counts: Vec<(&str, Value)> = [
        "PLANNING",
        "RUNNING",
        "EVALUATING",
        "IN_OPERATION",
        "STOPPED",
        "BACK_TO_IDEATION",
    ]
    .into_iter()
    .map(|status| (status, portfolio_row(portfolio, status)["count"].clone()))
    .collect();
    assert_eq!(
        counts,
        [
            ("PLANNING", json!(2)),
            ("RUNNING", json!(1)),
            ("EVALUATING", json!(0)),
            ("IN_OPERATION", json!(1)),
            ("STOPPED", json!(1)),
            ("BACK_TO_IDEATION", json!(0)),
        ]
    );
    let in_operation = portfolio_row(portfolio, "IN_OPERATION");
    assert_eq!(in_operation["pilots"][0]["id"], json!(operating));
    assert_eq!(in_operation["pilots"][0]["title"], "Nattilsyn");
    assert_eq!(in_operation["pilots"][0]["status"], "IN_OPERATION");
    close(&in_operation["pilots"][0]["realisation"], 120.0);
    close(
        &portfolio_row(portfolio, "RUNNING")["pilots"][0]["realisation"],
        50.0,
    );
    for row in portfolio_row(portfolio, "PLANNING")["pilots"]
        .as_array()
        .unwrap()
    {
        assert_eq!(row["realisation"], Value::Null, "nothing measured: {row}");
    }
    assert_eq!(
        (
            &portfolio["benefitsAboveTarget"],
            &portfolio["benefitsBelowTarget"]
        ),
        (&json!(1), &json!(1)),
        "{portfolio:#}"
    );
    // A filter naming no idea is the client's error.
    refused(
        &app,
        Some(&p.ola),
        PILOTS,
        json!({ "filter": { "idea": "not-an-id" } }),
        "BAD_USER_INPUT",
    )
    .await;
}

/// The count of the row whose `key` is `value` in the funnel's `list` (which lists every
/// stage, phase or status).
fn funnel_count(funnel: &Value, list: &str, key: &str, value: &str) -> i64 {
    funnel[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list}: {funnel:#}"))
        .iter()
        .find(|row| row[key] == value)
        .and_then(|row| row["count"].as_i64())
        .unwrap_or_else(|| panic!("no {value} in {list}: {funnel:#}"))
}

#[tokio::test]
async fn the_innovation_funnel_follows_ideas_into_processes_pilots_and_operation() {
    // The real today: the funnel counts records by the day they were created.
    let app = App::spawn("pilots-funnel").await.unwrap();
    let p = people(&app).await;
    let today = chrono::Utc::now().date_naive();
    let (start, end) = (
        today.to_string(),
        (today + chrono::Days::new(60)).to_string(),
    );
    // Given four ideas: one submitted, one stopped, one designing that became a process, and
    // one designing that became a pilot that went into operation; and a pilot planned on its
    // own, running.
    let new_idea = async |title: &str| {
        submit_idea(&app, &p.ola, idea_form(title, &["heimeteneste"]))
            .await
            .id
    };
    let _submitted = new_idea("Nattlys").await;
    let stopped = new_idea("Drone").await;
    let to_process = new_idea("Robot for vedtak").await;
    let to_pilot = new_idea("Sensor om natta").await;
    gate(&app, &p.ingrid, &stopped, "STOPPED", "Ulovleg", None).await;
    for id in [&to_process, &to_pilot] {
        gate(&app, &p.ingrid, id, "EXPLORING", "Ja", None).await;
        gate(
            &app,
            &p.ingrid,
            id,
            "DESIGNING",
            "Ja",
            Some("OWN_DEVELOPMENT"),
        )
        .await;
    }
    let spawned = ok(
        &app,
        &p.ingrid,
        SPAWN,
        json!({ "id": to_process, "input": form("Vedtaksrobot", &["heimeteneste"], 100, 5.0, 50) }),
    )
    .await;
    let process = spawned["spawnProcessFromIdea"]["processId"]
        .as_str()
        .unwrap()
        .to_owned();
    let process_token = spawned["spawnProcessFromIdea"]["consistencyToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let (linked, pilot_id) = start_from_idea(
        &app,
        &p.ingrid,
        &to_pilot,
        complete_plan("Nattilsyn", &["heimeteneste"], "kari", &start, &end),
    )
    .await;
    assert!(
        linked.token.contains("ideas:") && linked.token.contains("pilots:"),
        "the token names both stores: {}",
        linked.token
    );
    assert_eq!(linked.id, to_pilot, "the payload's id is the idea's");
    start_pilot(&app, &p.ingrid, &pilot_id).await;
    evaluate(&app, &p.ingrid, &pilot_id, good_evaluation()).await;
    decide(&app, &p.ingrid, &pilot_id, "TO_OPERATION", json!({})).await;
    let own = plan_pilot(
        &app,
        &p.ingrid,
        complete_plan("Eigen pilot", &["helse"], "kari", &start, &end),
    )
    .await
    .id;
    let last = start_pilot(&app, &p.ingrid, &own).await;

    // The idea and the pilot name each other; the pilot planned on its own has no origin.
    let seen = idea(&app, &p.ola, &to_pilot, &last.token).await;
    assert_eq!(
        seen["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| json!([o["context"], o["kind"], o["municipality"], o["id"]]))
            .collect::<Vec<_>>(),
        [json!(["pilots", "pilot", NO, pilot_id])]
    );
    let from_idea = pilot(&app, &p.ola, &pilot_id, &last.token).await;
    assert_eq!(
        from_idea["origin"],
        json!({ "municipality": NO, "id": to_pilot })
    );
    assert_eq!(
        pilot(&app, &p.ola, &own, &last.token).await["origin"],
        Value::Null
    );
    // The views have the process too.
    process_of(&app, &p.ola, &process, &process_token).await;

    let year = today.format("%Y").to_string();
    let span = json!({ "m": NO, "from": format!("{year}-01-01"), "to": format!("{year}-12-31"), "c": last.token });
    let data = ok(&app, &p.ola, INNOVATION_FUNNEL, span.clone()).await;
    let funnel = &data["innovationFunnel"];
    assert_eq!(funnel["municipality"], NO);
    let stages: Vec<i64> = ["SUBMITTED", "EXPLORING", "DESIGNING", "PILOTING", "STOPPED"]
        .into_iter()
        .map(|stage| funnel_count(funnel, "ideas", "stage", stage))
        .collect();
    assert_eq!(stages, [1, 0, 2, 0, 1], "{funnel:#}");
    assert_eq!(funnel_count(funnel, "processes", "phase", "IDEA"), 1);
    assert_eq!(funnel_count(funnel, "pilots", "status", "IN_OPERATION"), 1);
    assert_eq!(funnel_count(funnel, "pilots", "status", "RUNNING"), 1);
    assert_eq!(funnel_count(funnel, "pilots", "status", "PLANNING"), 0);
    assert_eq!(
        funnel["links"],
        json!({ "ideaToProcess": 1, "ideaToPilot": 1, "pilotToOperation": 1 })
    );
    // Ideas submitted (4) → reached DESIGNING (2) → pilots planned (2) → in operation (1).
    let steps: Vec<i64> = funnel["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_i64().unwrap())
        .collect();
    assert_eq!(steps, [4, 2, 2, 1], "{funnel:#}");
    let conversions: Vec<&Value> = funnel["steps"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|s| &s["conversion"])
        .collect();
    for (conversion, expected) in conversions.into_iter().zip([50.0, 100.0, 50.0]) {
        close(conversion, expected);
    }
    // Everything happened within seconds.
    for lead_time in [
        "ideaToPilotDays",
        "pilotToDecisionDays",
        "ideaToProcessDays",
    ] {
        let days = funnel["leadTimes"][lead_time]
            .as_f64()
            .unwrap_or_else(|| panic!("{lead_time}: {funnel:#}"));
        assert!((0.0..0.01).contains(&days), "{lead_time}: {days}");
    }

    // A span before any of them counts none; one that ends before it begins is refused; a
    // partner municipality may not see the funnel at all.
    let empty = ok(
        &app,
        &p.ola,
        INNOVATION_FUNNEL,
        json!({ "m": NO, "from": "2001-01-01", "to": "2001-12-31" }),
    )
    .await;
    let empty = &empty["innovationFunnel"];
    assert!(
        empty["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["count"] == 0),
        "{empty:#}"
    );
    assert_eq!(
        empty["links"],
        json!({ "ideaToProcess": 0, "ideaToPilot": 0, "pilotToOperation": 0 })
    );
    refused(
        &app,
        Some(&p.ola),
        INNOVATION_FUNNEL,
        json!({ "m": NO, "from": "2026-02-01", "to": "2026-01-01" }),
        "BAD_USER_INPUT",
    )
    .await;
    let sven = app
        .token("sven", SE, Some("social"), &["employee", "innovation_lead"])
        .await
        .unwrap();
    refused(&app, Some(&sven), INNOVATION_FUNNEL, span, "FORBIDDEN").await;
}

/// Wait until the views hold the process at `consistency`.
async fn process_of(app: &App, token: &str, id: &str, consistency: &str) {
    let data = ok(
        app,
        token,
        "query($id: ID!, $c: String) { process(id: $id, consistency: $c) { id } }",
        json!({ "id": id, "c": consistency }),
    )
    .await;
    assert_eq!(data["process"]["id"], json!(id));
}

#[tokio::test]
async fn a_pilot_started_from_an_idea_is_linked_on_both_sides_once() {
    let app = App::spawn_on("pilots-from-idea", TODAY).await.unwrap();
    let p = people(&app).await;
    let idea_id = submit_idea(
        &app,
        &p.ola,
        idea_form("Sensor om natta", &["heimeteneste"]),
    )
    .await
    .id;
    let plan = complete_plan(TITLE, &["heimeteneste"], "kari", START, END);

    // When the innovation lead starts a pilot from the idea (twice with the same key), it is
    // planned once, and one token reads both sides.
    let variables = json!({ "ideaId": idea_id, "plan": plan, "key": "pilot-1" });
    let first = ok(&app, &p.ingrid, START_FROM_IDEA, variables.clone()).await;
    let retry = ok(&app, &p.ingrid, START_FROM_IDEA, variables).await;
    let (first, retry) = (&first["startPilotFromIdea"], &retry["startPilotFromIdea"]);
    assert_eq!(first["replayed"], false);
    assert_eq!(retry["replayed"], true);
    assert_eq!(retry["pilotId"], first["pilotId"]);
    let pilot_id = first["pilotId"].as_str().unwrap().to_owned();
    let token = first["consistencyToken"].as_str().unwrap().to_owned();
    let seen = pilot(&app, &p.ola, &pilot_id, &token).await;
    assert_eq!(seen["status"], "PLANNING");
    assert_eq!(seen["plan"]["title"], TITLE);
    assert_eq!(seen["origin"], json!({ "municipality": NO, "id": idea_id }));
    let outcomes = idea(&app, &p.ola, &idea_id, &token).await["outcomes"].clone();
    assert_eq!(
        outcomes
            .as_array()
            .unwrap()
            .iter()
            .map(|o| json!([o["context"], o["kind"], o["id"]]))
            .collect::<Vec<_>>(),
        [json!(["pilots", "pilot", pilot_id])]
    );
    assert_eq!(
        history_types(&app, &p.ola, &idea_id).await,
        ["IdeaSubmitted", "IdeaOutcomeLinked"]
    );
    let with_data = ok(
        &app,
        &p.ola,
        "query($id: ID!) { history(id: $id) { type data } }",
        json!({ "id": pilot_id }),
    )
    .await;
    assert_eq!(with_data["history"][0]["type"], "PilotPlanned");
    assert_eq!(
        with_data["history"][0]["data"]["origin"],
        json!({ "context": "ideas", "kind": "idea", "id": idea_id, "municipality": NO }),
        "{with_data:#}"
    );
    // The pilot runs like any other.
    start_pilot(&app, &p.ingrid, &pilot_id).await;

    // A stopped idea starts no pilot.
    let stopped = command(
        &app,
        &p.ingrid,
        DECIDE_GATE,
        json!({ "id": idea_id, "to": "STOPPED", "rationale": "Løyst på anna vis" }),
    )
    .await;
    refused(
        &app,
        Some(&p.ingrid),
        START_FROM_IDEA,
        json!({ "ideaId": idea_id, "plan": draft_plan("Ny", &["heimeteneste"]) }),
        "BAD_USER_INPUT",
    )
    .await;
    let outcomes = idea(&app, &p.ola, &idea_id, &stopped.token).await["outcomes"].clone();
    assert_eq!(ids(outcomes.as_array().unwrap()), [pilot_id.as_str()]);
}

#[tokio::test]
async fn bad_input_to_every_pilot_mutation_is_bad_user_input_and_records_nothing() {
    let app = App::spawn_on("pilots-invalid", TODAY).await.unwrap();
    let p = people(&app).await;

    // Given a pilot in every state a command is refused in: planning (incomplete), running
    // (with a benefit), evaluating, and in operation; and an idea.
    let planning = plan_pilot(&app, &p.ingrid, draft_plan("Planlagd", &["heimeteneste"]))
        .await
        .id;
    let (running, started) = running_pilot(&app, &p.ingrid, TITLE).await;
    let hours = benefit_id(&app, &p.ingrid, &running, HOURS, &started.token).await;
    let (evaluating, evaluating_started) = running_pilot(&app, &p.ingrid, "Evaluert").await;
    let evaluating_hours = benefit_id(
        &app,
        &p.ingrid,
        &evaluating,
        HOURS,
        &evaluating_started.token,
    )
    .await;
    evaluate(&app, &p.ingrid, &evaluating, good_evaluation()).await;
    let (decided, _) = running_pilot(&app, &p.ingrid, "I drift").await;
    evaluate(&app, &p.ingrid, &decided, good_evaluation()).await;
    let settled = decide(&app, &p.ingrid, &decided, "TO_OPERATION", json!({})).await;
    let submitted = submit_idea(&app, &p.ola, idea_form("Idé", &["heimeteneste"])).await;
    let idea_id = submitted.id.clone();

    let records = [&planning, &running, &evaluating, &decided, &idea_id];
    let mut histories = Vec::new();
    for record in records {
        histories.push(history(&app, &p.ingrid, record).await);
    }
    let mut views = Vec::new();
    for id in [&planning, &running, &evaluating, &decided] {
        views.push(pilot(&app, &p.ingrid, id, &settled.token).await);
    }
    let before = bystander_write(&app).await;

    let long = |n: usize| "x".repeat(n);
    // Valid input with `extra` merged in, for each mutation.
    let new_plan = |extra| json!({ "plan": with(draft_plan("P", &["heimeteneste"]), extra) });
    let change = |id: &str, plan: Value| json!({ "id": id, "plan": plan });
    let observe = |extra| json!({ "id": running, "observation": with(observation(TODAY), extra) });
    let report = |extra| json!({ "id": running, "incident": with(incident(TODAY), extra) });
    let define = |id: &str, extra| json!({ "id": id, "benefit": with(benefit("Ny nytte", "kr", (100.0, "2026-01-01"), (50.0, "2026-12-31")), extra) });
    let reading = |id: &str, benefit: &str, value: f64, date: &str| json!({ "id": id, "benefitId": benefit, "reading": { "value": value, "date": date } });
    let rate = |id: &str, evaluation: Value| json!({ "id": id, "evaluation": evaluation });
    let rated = |field: &str, score: u32| {
        let mut e = good_evaluation();
        e[field] = json!({ "score": score, "notes": "" });
        e
    };
    let review = |answer: &str| {
        let mut e = good_evaluation();
        e["benefitReview"][answer] = json!(" ");
        e
    };
    let verdict = |id: &str, decision: &str, extra| {
        with(
            json!({ "id": id, "decision": decision, "basis": basis() }),
            extra,
        )
    };
    let from_idea = |extra| json!({ "ideaId": idea_id, "plan": with(draft_plan("Frå idé", &["heimeteneste"]), extra) });
    let ingrid = p.ingrid.as_str();
    // What is wrong, the mutation, its variables, and what the refusal says.
    #[rustfmt::skip]
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        ("title of 81", PLAN_PILOT, new_plan(json!({ "title": long(81) })), "title"),
        ("blank title", PLAN_PILOT, new_plan(json!({ "title": " " })), "title"),
        ("no department", PLAN_PILOT, new_plan(json!({ "departments": [] })), "departments"),
        ("ends before it starts", PLAN_PILOT, new_plan(json!({ "startDate": "2026-06-02", "endDate": "2026-06-01" })), "end"),
        ("a start that is no date", PLAN_PILOT, new_plan(json!({ "startDate": "2026-02-30" })), "NaiveDate"),
        ("a participant of no kind", PLAN_PILOT, new_plan(json!({ "participants": [{ "kind": "ALIENS", "description": "x", "count": 1, "recruitment": "y" }] })), "ALIENS"),
        ("unknown visibility (variable)", PLAN_PILOT, new_plan(json!({ "visibility": "SECRET" })), "SECRET"),
        ("title cleared", UPDATE_PLAN, change(&planning, json!({ "title": "" })), "title"),
        ("departments cleared", UPDATE_PLAN, change(&planning, json!({ "departments": [] })), "departments"),
        ("ends before it starts", UPDATE_PLAN, change(&planning, json!({ "startDate": "2026-07-02", "endDate": "2026-07-01" })), "end"),
        ("a running pilot's end moved", UPDATE_PLAN, change(&running, json!({ "endDate": "2026-12-31" })), "EXTEND"),
        ("a running pilot's start moved", UPDATE_PLAN, change(&running, json!({ "startDate": "2026-05-01" })), "dates stay as planned"),
        ("a running pilot's plan made incomplete", UPDATE_PLAN, change(&running, json!({ "responsible": "" })), "responsible"),
        ("an evaluated pilot's plan", UPDATE_PLAN, change(&evaluating, json!({ "goals": "Nye" })), "EVALUATING"),
        ("a decided pilot's plan", UPDATE_PLAN, change(&decided, json!({ "goals": "Nye" })), "IN_OPERATION"),
        ("an incomplete plan", START_PILOT, json!({ "id": planning }), "the plan is incomplete; missing: goals"),
        ("a running pilot", START_PILOT, json!({ "id": running }), "RUNNING"),
        ("no touchpoint", OBSERVE, observe(json!({ "touchpoint": " " })), "touchpoint"),
        ("nothing observed", OBSERVE, observe(json!({ "worked": "", "stuck": "", "joy": "" })), "worked"),
        ("a link that is no web address", OBSERVE, observe(json!({ "links": ["file:///bilete.jpg"] })), "links"),
        ("11 links", OBSERVE, observe(json!({ "links": (0..11).map(|i| format!("https://example.org/{i}.jpg")).collect::<Vec<_>>() })), "links"),
        ("a day that is no date", OBSERVE, observe(json!({ "date": "15.06.2026" })), "NaiveDate"),
        ("a planned pilot", OBSERVE, json!({ "id": planning, "observation": observation(TODAY) }), "only while the pilot is RUNNING; it is PLANNING"),
        ("an evaluated pilot", OBSERVE, json!({ "id": evaluating, "observation": observation(TODAY) }), "only while the pilot is RUNNING; it is EVALUATING"),
        ("nothing happened", INCIDENT, report(json!({ "what": " " })), "what"),
        ("not handled", INCIDENT, report(json!({ "handling": "" })), "handling"),
        ("a planned pilot", INCIDENT, json!({ "id": planning, "incident": incident(TODAY) }), "only while the pilot is RUNNING; it is PLANNING"),
        ("title of 81", DEFINE_BENEFIT, define(&running, json!({ "title": long(81) })), "title"),
        ("a title twice", DEFINE_BENEFIT, define(&running, json!({ "title": HOURS })), HOURS),
        ("no beneficiary", DEFINE_BENEFIT, define(&running, json!({ "beneficiary": "" })), "beneficiary"),
        ("no unit", DEFINE_BENEFIT, define(&running, json!({ "indicator": { "unit": "", "method": "Telling", "frequency": "Kvar veke" } })), "unit"),
        ("a target before the baseline", DEFINE_BENEFIT, define(&running, json!({ "target": { "value": 50.0, "date": "2025-12-31" } })), "target"),
        ("a target at the baseline", DEFINE_BENEFIT, define(&running, json!({ "target": { "value": 100.0, "date": "2026-12-31" } })), "target"),
        ("unknown kind (variable)", DEFINE_BENEFIT, define(&running, json!({ "kind": "MAGIC" })), "MAGIC"),
        ("a benefit there is not", DEFINE_BENEFIT, with(define(&running, json!({})), json!({ "benefitId": NOBODY })), "benefit"),
        ("a decided pilot", DEFINE_BENEFIT, define(&decided, json!({})), "IN_OPERATION"),
        ("a benefit there is not", MEASURE, reading(&running, NOBODY, 30.0, TODAY), "benefit"),
        ("before the baseline", MEASURE, reading(&running, &hours, 30.0, "2026-01-04"), "baseline"),
        ("after today", MEASURE, reading(&running, &hours, 30.0, "2026-06-16"), "today"),
        ("an evaluated pilot", MEASURE, reading(&evaluating, &evaluating_hours, 30.0, TODAY), "only while the pilot is RUNNING; it is EVALUATING"),
        ("a rating of 0", EVALUATE, rate(&running, rated("roles", 0)), "roles"),
        ("a rating of 6", EVALUATE, rate(&running, rated("integrates", 6)), "integrates"),
        ("a blank answer of the benefit review", EVALUATE, rate(&running, review("followUp")), "followUp"),
        ("a planned pilot", EVALUATE, rate(&planning, good_evaluation()), "PLANNING"),
        ("a decided pilot", EVALUATE, rate(&decided, good_evaluation()), "IN_OPERATION"),
        ("a running pilot", DECIDE, verdict(&running, "TO_OPERATION", json!({})), "RUNNING"),
        ("a decided pilot", DECIDE, verdict(&decided, "TO_OPERATION", json!({})), "IN_OPERATION"),
        ("STOP without why", DECIDE, verdict(&evaluating, "STOP", json!({ "whyStopped": " " })), "STOP needs why it did not work"),
        ("EXTEND without a date", DECIDE, verdict(&evaluating, "EXTEND", json!({})), "EXTEND"),
        ("EXTEND to an earlier date", DECIDE, verdict(&evaluating, "EXTEND", json!({ "newEndDate": "2026-07-01" })), "must be after the current end date"),
        ("TO_OPERATION with why stopped", DECIDE, verdict(&evaluating, "TO_OPERATION", json!({ "whyStopped": "Nei" })), "whyStopped"),
        ("TO_OPERATION with a new end", DECIDE, verdict(&evaluating, "TO_OPERATION", json!({ "newEndDate": "2026-12-31" })), "newEndDate"),
        ("a blank recommendation", DECIDE, with(verdict(&evaluating, "TO_OPERATION", json!({})), json!({ "basis": with(basis(), json!({ "recommendation": "" })) })), "recommendation"),
        ("unknown decision (variable)", DECIDE, verdict(&evaluating, "MAYBE", json!({})), "MAYBE"),
        ("title of 81", START_FROM_IDEA, from_idea(json!({ "title": long(81) })), "title"),
        ("no department", START_FROM_IDEA, from_idea(json!({ "departments": [] })), "departments"),
    ];
    let mut mutations = std::collections::BTreeSet::new();
    for (what, query, variables, why) in cases {
        mutations.insert(refused_input(&app, ingrid, what, query, variables, &[why]).await);
    }
    // Every mutation of the pilots context was tried.
    assert_eq!(mutations.into_iter().collect::<Vec<_>>(), MUTATIONS);

    // Nothing was appended in between: the next write directly follows the last one, every
    // record's history and every pilot's view are as they were.
    let after = bystander_write(&app).await;
    assert_eq!(after.position(), before.position() + 1);
    for (record, before) in records.into_iter().zip(histories) {
        assert_eq!(history(&app, &p.ingrid, record).await, before, "{record}");
    }
    for (id, before) in [&planning, &running, &evaluating, &decided]
        .into_iter()
        .zip(views)
    {
        assert_eq!(
            pilot(&app, &p.ingrid, id, &settled.token).await,
            before,
            "{id}"
        );
    }
    let listed = ok(&app, &p.ingrid, PILOTS, json!({ "c": settled.token })).await;
    assert_eq!(total(&listed["pilots"]), 4, "no pilot was planned");
    let seen = idea(&app, &p.ingrid, &idea_id, &submitted.token).await;
    assert_eq!(
        seen["outcomes"],
        json!([]),
        "no pilot was started from the idea"
    );
}
