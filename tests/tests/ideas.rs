//! The ideas context over HTTP against the real binary in embedded mode, given/when/then:
//! support once per person, gates one stage at a time with a rationale and a likely outcome
//! from DESIGNING on, scores as the weighted mean normalised to 0–100 with lower-is-better
//! criteria inverted and re-scored when the criteria change, challenges that take ideas
//! while open and within their dates, workshops whose action items are overdue when open
//! past their deadline (the server's today fixed by `INNOHUB_TODAY`), a process spawned from
//! an idea linked on both sides, the funnel, the lists, the read rule of a PRIVATE idea,
//! `history`, and bad input for every mutation refused with BAD_USER_INPUT while nothing is
//! recorded. (Other municipalities' access is `tenancy.rs`'s; distributed mode is
//! `ideas_distributed.rs`'s.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod ideas_api;

use common::*;
use ideas_api::*;
use innohub_tests::App;
use serde_json::{Value, json};

/// The server's today in the tests that depend on it.
const TODAY: &str = "2026-06-15";

/// The people of Syddjurs the tests act as.
struct People {
    /// An employee in social, who submits.
    anna: String,
    /// Another employee in social.
    bo: String,
    /// An innovation lead (also an employee).
    karin: String,
    /// A municipality administrator (sets the criteria).
    admin: String,
    /// An employee in IT, named as a reviewer on some ideas.
    rita: String,
}

async fn people(app: &App) -> People {
    let token = |user: &'static str, department: &'static str, roles: &'static [&'static str]| async move {
        app.token(user, DK, Some(department), roles).await.unwrap()
    };
    People {
        anna: token("anna", "social", &["employee"]).await,
        bo: token("bo", "social", &["employee"]).await,
        karin: token("karin", "it", &["employee", "innovation_lead"]).await,
        admin: token("admin.syddjurs", "it", &["municipality_admin"]).await,
        rita: token("rita", "it", &["employee"]).await,
    }
}

#[tokio::test]
async fn an_idea_is_supported_once_per_person_withdrawn_discussed_and_edited() {
    let app = App::spawn("ideas-support").await.unwrap();
    let p = people(&app).await;

    // Given an idea Anna submitted.
    let submitted = submit_idea(
        &app,
        &p.anna,
        with(
            idea_form("Robot för fakturor", &["social"]),
            json!({ "tags": ["AI", "RPA"] }),
        ),
    )
    .await;
    let id = submitted.id.clone();
    let seen = idea(&app, &p.anna, &id, &submitted.token).await;
    assert_eq!(seen["municipality"], DK);
    assert_eq!(seen["sharedWithYou"], false);
    assert_eq!(seen["stage"], "SUBMITTED");
    assert_eq!(seen["visibility"], "MUNICIPALITY", "unset is MUNICIPALITY");
    assert_eq!(seen["submitter"], "anna");
    assert_eq!(seen["departments"], json!(["social"]));
    assert_eq!(seen["tags"], json!(["AI", "RPA"]));
    assert_eq!(seen["driver"], "IDEA_DRIVEN");
    assert_eq!(seen["likelyOutcome"], Value::Null);
    assert_eq!(seen["supportCount"], 0);
    assert_eq!(seen["supportedByMe"], false);
    assert_eq!(seen["score"], Value::Null);
    for empty in ["gateDecisions", "comments", "outcomes", "actionItems"] {
        assert_eq!(seen[empty], json!([]), "{empty}: {seen:#}");
    }

    // When Bo supports it, it has one supporter, and it is him.
    let supported = command(&app, &p.bo, SUPPORT, json!({ "id": id })).await;
    let by_bo = idea(&app, &p.bo, &id, &supported.token).await;
    assert_eq!(
        (&by_bo["supportCount"], &by_bo["supportedByMe"]),
        (&json!(1), &json!(true))
    );
    let by_anna = idea(&app, &p.anna, &id, &supported.token).await;
    assert_eq!(
        (&by_anna["supportCount"], &by_anna["supportedByMe"]),
        (&json!(1), &json!(false))
    );

    // When he supports it again, that is refused and recorded nowhere.
    let before = history(&app, &p.anna, &id).await;
    let again = refused(
        &app,
        Some(&p.bo),
        SUPPORT,
        json!({ "id": id }),
        "BAD_USER_INPUT",
    )
    .await;
    assert!(again.to_string().contains("already supports"), "{again:#}");
    assert_eq!(history(&app, &p.anna, &id).await, before);

    // A retry with the same idempotency key is not a second support: the first one's answer.
    let first = command(&app, &p.anna, SUPPORT, json!({ "id": id, "key": "anna-1" })).await;
    let retry = command(&app, &p.anna, SUPPORT, json!({ "id": id, "key": "anna-1" })).await;
    assert!(!first.replayed && retry.replayed);
    assert_eq!(retry.token, first.token);
    assert_eq!(
        idea(&app, &p.anna, &id, &retry.token).await["supportCount"],
        2
    );

    // When Bo withdraws, he no longer supports it; withdrawing twice is refused; and he may
    // support it again.
    let withdrawn = command(&app, &p.bo, WITHDRAW, json!({ "id": id })).await;
    let by_bo = idea(&app, &p.bo, &id, &withdrawn.token).await;
    assert_eq!(
        (&by_bo["supportCount"], &by_bo["supportedByMe"]),
        (&json!(1), &json!(false))
    );
    let twice = refused(
        &app,
        Some(&p.bo),
        WITHDRAW,
        json!({ "id": id }),
        "BAD_USER_INPUT",
    )
    .await;
    assert!(twice.to_string().contains("does not support"), "{twice:#}");
    let back = command(&app, &p.bo, SUPPORT, json!({ "id": id })).await;
    assert_eq!(idea(&app, &p.bo, &id, &back.token).await["supportCount"], 2);

    // Comments, oldest first, with their authors.
    command(
        &app,
        &p.anna,
        COMMENT,
        json!({ "id": id, "text": "Leverantören har ett API" }),
    )
    .await;
    let commented = command(
        &app,
        &p.bo,
        COMMENT,
        json!({ "id": id, "text": "Jag hjälper till" }),
    )
    .await;
    let seen = idea(&app, &p.karin, &id, &commented.token).await;
    assert_eq!(
        seen["comments"],
        json!([
            { "author": "anna", "authorMunicipality": DK, "text": "Leverantören har ett API" },
            { "author": "bo", "authorMunicipality": DK, "text": "Jag hjälper till" },
        ])
    );

    // The submitter and an innovation lead edit it; another employee may not.
    command(
        &app,
        &p.anna,
        UPDATE_IDEA,
        json!({ "id": id, "input": { "title": "Robot för leverantörsfakturor" } }),
    )
    .await;
    refused(
        &app,
        Some(&p.bo),
        UPDATE_IDEA,
        json!({ "id": id, "input": { "title": "Min idé" } }),
        "FORBIDDEN",
    )
    .await;
    let edited = command(
        &app,
        &p.karin,
        UPDATE_IDEA,
        json!({ "id": id, "input": { "tags": ["RPA"], "visibility": "PUBLIC" } }),
    )
    .await;
    let seen = idea(&app, &p.anna, &id, &edited.token).await;
    assert_eq!(seen["title"], "Robot för leverantörsfakturor");
    assert_eq!(seen["need"], "Robot för fakturor: what hurts today", "kept");
    assert_eq!(seen["tags"], json!(["RPA"]));
    assert_eq!(seen["visibility"], "PUBLIC");

    assert_eq!(
        history_types(&app, &p.anna, &id).await,
        [
            "IdeaSubmitted",
            "IdeaSupported",
            "IdeaSupported",
            "IdeaSupportWithdrawn",
            "IdeaSupported",
            "IdeaCommented",
            "IdeaCommented",
            "IdeaDetailsChanged",
            "IdeaDetailsChanged",
        ]
    );
}

/// The criteria of the scoring test: citizen value 1–5 (weight 3), cost 1–5 where lower is
/// better (weight 1), feasibility 0–10 (weight 2).
fn first_criteria() -> Value {
    json!([
        { "name": "Medborgarnytta", "weight": 3, "scaleMin": 1, "scaleMax": 5 },
        { "name": "Kostnad", "weight": 1, "scaleMin": 1, "scaleMax": 5, "lowerIsBetter": true },
        { "name": "Genomförbarhet", "weight": 2, "scaleMin": 0, "scaleMax": 10 },
    ])
}

/// Values for the named criteria.
fn values(pairs: &[(&str, i64)]) -> Value {
    pairs
        .iter()
        .map(|(c, v)| json!({ "criterion": c, "value": v }))
        .collect()
}

/// A reviewer's score in an idea's `scores`.
fn reviewer_score<'a>(idea: &'a Value, reviewer: &str) -> &'a Value {
    idea["scores"]
        .as_array()
        .expect("scores")
        .iter()
        .find(|s| s["reviewer"] == reviewer)
        .map(|s| &s["score"])
        .unwrap_or_else(|| panic!("no score of {reviewer}: {idea:#}"))
}

#[tokio::test]
async fn an_ideas_score_is_the_weighted_mean_normalised_with_lower_is_better_inverted_and_follows_the_criteria()
 {
    let app = App::spawn("ideas-score").await.unwrap();
    let p = people(&app).await;
    let id = submit_idea(
        &app,
        &p.anna,
        with(
            idea_form("Chattbot för bygglov", &["social"]),
            json!({ "reviewers": ["rita"] }),
        ),
    )
    .await
    .id;

    // Given no criteria, nobody can score.
    let first = values(&[("Medborgarnytta", 5), ("Kostnad", 2), ("Genomförbarhet", 7)]);
    let none = refused(
        &app,
        Some(&p.karin),
        SCORE,
        json!({ "id": id, "scores": first }),
        "BAD_USER_INPUT",
    )
    .await;
    assert!(none.to_string().contains("no criteria are set"), "{none:#}");

    // Only a municipality administrator sets the criteria.
    refused(
        &app,
        Some(&p.karin),
        SET_CRITERIA,
        json!({ "criteria": first_criteria() }),
        "FORBIDDEN",
    )
    .await;
    let set = command(
        &app,
        &p.admin,
        SET_CRITERIA,
        json!({ "criteria": first_criteria() }),
    )
    .await;
    assert_eq!(set.id, format!("idea-criteria:{DK}"));
    let criteria = ok(&app, &p.anna, CRITERIA, json!({ "c": set.token })).await;
    assert_eq!(
        criteria["ideaCriteria"],
        json!([
            { "name": "Medborgarnytta", "weight": 3, "scaleMin": 1, "scaleMax": 5, "lowerIsBetter": false },
            { "name": "Kostnad", "weight": 1, "scaleMin": 1, "scaleMax": 5, "lowerIsBetter": true },
            { "name": "Genomförbarhet", "weight": 2, "scaleMin": 0, "scaleMax": 10, "lowerIsBetter": false },
        ])
    );

    // When the innovation lead and the named reviewer score it, each gets the weighted mean
    // of their values normalised to the scales (the cost inverted), and the idea the mean.
    command(&app, &p.karin, SCORE, json!({ "id": id, "scores": first })).await;
    let scored = command(
        &app,
        &p.rita,
        SCORE,
        json!({ "id": id, "scores": values(&[("Medborgarnytta", 3), ("Kostnad", 5), ("Genomförbarhet", 4)]) }),
    )
    .await;
    // Karin: 5 of 1–5 is 1; cost 2 of 1–5 is 0.25, inverted 0.75; 7 of 0–10 is 0.7.
    let karin = 100.0 * (3.0 * 1.0 + 1.0 * 0.75 + 2.0 * 0.7) / 6.0;
    // Rita: 3 of 1–5 is 0.5; cost 5 is 1, inverted 0; 4 of 0–10 is 0.4.
    let rita = 100.0 * (3.0 * 0.5 + 1.0 * 0.0 + 2.0 * 0.4) / 6.0;
    let seen = idea(&app, &p.anna, &id, &scored.token).await;
    close(reviewer_score(&seen, "karin"), karin);
    close(reviewer_score(&seen, "rita"), rita);
    close(&seen["score"], (karin + rita) / 2.0);
    close(&seen["score"], 62.083_333_333);

    // Anyone else may not score it.
    refused(
        &app,
        Some(&p.bo),
        SCORE,
        json!({ "id": id, "scores": first }),
        "FORBIDDEN",
    )
    .await;

    // Scoring again replaces the reviewer's earlier values.
    let rescored = command(
        &app,
        &p.karin,
        SCORE,
        json!({ "id": id, "scores": values(&[("Medborgarnytta", 4), ("Kostnad", 1), ("Genomförbarhet", 10)]) }),
    )
    .await;
    let karin = 100.0 * (3.0 * 0.75 + 1.0 * 1.0 + 2.0 * 1.0) / 6.0;
    let seen = idea(&app, &p.anna, &id, &rescored.token).await;
    close(reviewer_score(&seen, "karin"), karin);
    close(&seen["score"], (karin + rita) / 2.0);
    assert_eq!(seen["scores"].as_array().unwrap().len(), 2, "{seen:#}");

    // When the criteria change (feasibility gone, cost weighs 2, a new risk criterion nobody
    // has a value for), the idea is scored again with them: values of a criterion no
    // longer in force are ignored, a criterion without a value is left out of the mean.
    let second = json!([
        { "name": "Medborgarnytta", "weight": 3, "scaleMin": 1, "scaleMax": 5 },
        { "name": "Kostnad", "weight": 2, "scaleMin": 1, "scaleMax": 5, "lowerIsBetter": true },
        { "name": "Risk", "weight": 1, "scaleMin": 1, "scaleMax": 3, "lowerIsBetter": true },
    ]);
    let changed = command(&app, &p.admin, SET_CRITERIA, json!({ "criteria": second })).await;
    let karin = 100.0 * (3.0 * 0.75 + 2.0 * 1.0) / 5.0;
    let rita = 100.0 * (3.0 * 0.5 + 2.0 * 0.0) / 5.0;
    let seen = idea(&app, &p.anna, &id, &changed.token).await;
    close(reviewer_score(&seen, "karin"), karin);
    close(reviewer_score(&seen, "rita"), rita);
    close(&seen["score"], (karin + rita) / 2.0);
    close(&seen["score"], 57.5);

    // A score is checked against the criteria in force: the old ones no longer do.
    refused(
        &app,
        Some(&p.rita),
        SCORE,
        json!({ "id": id, "scores": first }),
        "BAD_USER_INPUT",
    )
    .await;
    let complete = command(
        &app,
        &p.rita,
        SCORE,
        json!({ "id": id, "scores": values(&[("Medborgarnytta", 5), ("Kostnad", 1), ("Risk", 1)]) }),
    )
    .await;
    let seen = idea(&app, &p.anna, &id, &complete.token).await;
    close(reviewer_score(&seen, "rita"), 100.0);
    close(&seen["score"], (karin + 100.0) / 2.0);
    assert_eq!(
        seen["scores"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["reviewer"] == "rita")
            .unwrap()["values"],
        values(&[("Medborgarnytta", 5), ("Kostnad", 1), ("Risk", 1)])
    );

    assert_eq!(
        history_types(&app, &p.anna, &format!("idea-criteria:{DK}")).await,
        ["IdeaCriteriaSet", "IdeaCriteriaSet"]
    );
    assert_eq!(
        history_types(&app, &p.anna, &id).await,
        [
            "IdeaSubmitted",
            "IdeaScored",
            "IdeaScored",
            "IdeaScored",
            "IdeaScored"
        ]
    );
}

/// The stage and the gate decisions of an idea after `consistency`.
async fn stage_of(app: &App, token: &str, id: &str, consistency: &str) -> (String, Value) {
    let seen = idea(app, token, id, consistency).await;
    (
        seen["stage"].as_str().unwrap().to_owned(),
        seen["gateDecisions"].clone(),
    )
}

#[tokio::test]
async fn gates_move_an_idea_one_stage_at_a_time_with_a_rationale_and_a_likely_outcome_from_designing_on()
 {
    let app = App::spawn("ideas-gates").await.unwrap();
    let p = people(&app).await;
    let id = submit_idea(&app, &p.anna, idea_form("Digital post", &["social"]))
        .await
        .id;
    let decide = |to: &'static str, rationale: &'static str, outcome: Option<&'static str>| json!({ "id": id, "to": to, "rationale": rationale, "outcome": outcome });
    let refuse = async |vars: Value, code: &str, why: &str| {
        let response = refused(&app, Some(&p.karin), DECIDE_GATE, vars, code).await;
        assert!(response.to_string().contains(why), "{why}: {response:#}");
    };

    // Only an innovation lead decides.
    refused(
        &app,
        Some(&p.anna),
        DECIDE_GATE,
        decide("EXPLORING", "Bra", None),
        "FORBIDDEN",
    )
    .await;
    // Forward one stage at a time: no skipping, no standing still, a rationale always.
    refuse(
        decide("DESIGNING", "Hoppa", Some("PROCUREMENT")),
        "BAD_USER_INPUT",
        "one at a time",
    )
    .await;
    refuse(
        decide("SUBMITTED", "Igen", None),
        "BAD_USER_INPUT",
        "already SUBMITTED",
    )
    .await;
    refuse(
        decide("EXPLORING", "  ", None),
        "BAD_USER_INPUT",
        "rationale",
    )
    .await;
    let explored = gate(&app, &p.karin, &id, "EXPLORING", "Värt att undersöka", None).await;
    assert_eq!(
        stage_of(&app, &p.anna, &id, &explored.token).await.0,
        "EXPLORING"
    );

    // DESIGNING needs the likely outcome.
    refuse(
        decide("DESIGNING", "Vi bygger", None),
        "BAD_USER_INPUT",
        "likelyOutcome",
    )
    .await;
    gate(
        &app,
        &p.karin,
        &id,
        "DESIGNING",
        "Vi bygger",
        Some("PARTNERSHIP"),
    )
    .await;

    // PARKED needs a reason, and resumes to the stage it was parked in only.
    refuse(decide("PARKED", "", None), "BAD_USER_INPUT", "rationale").await;
    let parked = gate(&app, &p.karin, &id, "PARKED", "Ingen budget i år", None).await;
    assert_eq!(
        stage_of(&app, &p.anna, &id, &parked.token).await.0,
        "PARKED"
    );
    refuse(
        decide("PILOTING", "Vidare", None),
        "BAD_USER_INPUT",
        "resumes to DESIGNING",
    )
    .await;
    refuse(
        decide("EXPLORING", "Tillbaka", None),
        "BAD_USER_INPUT",
        "resumes to DESIGNING",
    )
    .await;
    gate(&app, &p.karin, &id, "DESIGNING", "Budget finns", None).await;

    // The outcome judged at DESIGNING is known from then on; a later gate may judge anew.
    gate(&app, &p.karin, &id, "PILOTING", "Pilot i Ebeltoft", None).await;
    gate(
        &app,
        &p.karin,
        &id,
        "SCALING",
        "Piloten höll",
        Some("OWN_DEVELOPMENT"),
    )
    .await;
    let implemented = gate(&app, &p.karin, &id, "IMPLEMENTED", "I drift", None).await;
    let (stage, gates) = stage_of(&app, &p.anna, &id, &implemented.token).await;
    assert_eq!(stage, "IMPLEMENTED");
    let steps: Vec<_> = gates
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            json!([
                g["from"],
                g["to"],
                g["rationale"],
                g["decider"],
                g["likelyOutcome"]
            ])
        })
        .collect();
    assert_eq!(
        steps,
        [
            json!([
                "SUBMITTED",
                "EXPLORING",
                "Värt att undersöka",
                "karin",
                null
            ]),
            json!([
                "EXPLORING",
                "DESIGNING",
                "Vi bygger",
                "karin",
                "PARTNERSHIP"
            ]),
            json!(["DESIGNING", "PARKED", "Ingen budget i år", "karin", null]),
            json!(["PARKED", "DESIGNING", "Budget finns", "karin", null]),
            json!(["DESIGNING", "PILOTING", "Pilot i Ebeltoft", "karin", null]),
            json!([
                "PILOTING",
                "SCALING",
                "Piloten höll",
                "karin",
                "OWN_DEVELOPMENT"
            ]),
            json!(["SCALING", "IMPLEMENTED", "I drift", "karin", null]),
        ]
    );
    let seen = idea(&app, &p.anna, &id, &implemented.token).await;
    assert_eq!(seen["likelyOutcome"], "OWN_DEVELOPMENT");
    assert!(
        gates
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["decidedAt"].is_string())
    );

    // IMPLEMENTED is final: not even STOPPED.
    refuse(decide("STOPPED", "Ångrar", None), "BAD_USER_INPUT", "final").await;

    // STOPPED from any open stage, with a reason; final too.
    let other = submit_idea(&app, &p.anna, idea_form("Drönare", &["social"]))
        .await
        .id;
    let stop = |to: &'static str, rationale: &'static str| json!({ "id": other, "to": to, "rationale": rationale });
    refuse(stop("STOPPED", " "), "BAD_USER_INPUT", "rationale").await;
    let stopped = gate(&app, &p.karin, &other, "STOPPED", "Olagligt", None).await;
    refuse(stop("EXPLORING", "Ändå"), "BAD_USER_INPUT", "final").await;
    refuse(stop("PARKED", "Kanske"), "BAD_USER_INPUT", "final").await;
    assert_eq!(
        stage_of(&app, &p.anna, &other, &stopped.token).await.0,
        "STOPPED"
    );

    assert_eq!(
        history_types(&app, &p.anna, &id).await,
        ["IdeaSubmitted"]
            .into_iter()
            .chain(["IdeaGateDecided"; 7])
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_process_spawned_from_an_idea_is_linked_on_both_sides() {
    let app = App::spawn("ideas-spawn").await.unwrap();
    let p = people(&app).await;
    let id = submit_idea(
        &app,
        &p.anna,
        idea_form("Robot för bostadsstöd", &["social"]),
    )
    .await
    .id;
    gate(&app, &p.karin, &id, "EXPLORING", "Lovande", None).await;
    let process_input = form("Bostadsstöd: registrering", &["social"], 2000, 8.0, 60);

    // Only an innovation lead spawns.
    refused(
        &app,
        Some(&p.anna),
        SPAWN,
        json!({ "id": id, "input": process_input }),
        "FORBIDDEN",
    )
    .await;

    // When the innovation lead spawns a process from the idea, one token reads both sides.
    let data = ok(
        &app,
        &p.karin,
        SPAWN,
        json!({ "id": id, "input": process_input, "key": "spawn-1" }),
    )
    .await;
    let spawned = &data["spawnProcessFromIdea"];
    assert_eq!(spawned["id"], json!(id));
    assert_eq!(spawned["replayed"], false);
    let process = spawned["processId"].as_str().unwrap().to_owned();
    let token = spawned["consistencyToken"].as_str().unwrap().to_owned();
    assert!(
        token.contains("ideas:") && token.contains("processes:"),
        "the token names both stores: {token}"
    );

    // The idea's outcome is the process, and the process's origin is the idea.
    let seen = idea(&app, &p.anna, &id, &token).await;
    assert_eq!(
        seen["outcomes"],
        json!([{
            "context": "processes", "kind": "process", "municipality": DK, "id": process,
            "process": { "id": process, "title": "Bostadsstöd: registrering",
                         "originIdea": { "municipality": DK, "id": id } },
        }])
    );
    let origin = ok(&app, &p.anna, ORIGIN, json!({ "id": process, "c": token })).await;
    assert_eq!(
        origin["process"]["originIdea"],
        json!({ "municipality": DK, "id": id, "idea": { "id": id, "title": "Robot för bostadsstöd" } })
    );
    // A process reported directly has no origin.
    let direct = submit(&app, &p.anna, form("Direkt", &["social"], 1, 1.0, 1)).await;
    let direct = ok(
        &app,
        &p.anna,
        ORIGIN,
        json!({ "id": direct.id, "c": direct.token }),
    )
    .await;
    assert_eq!(direct["process"]["originIdea"], Value::Null);

    // A retry with the same key spawns nothing new.
    let retry = ok(
        &app,
        &p.karin,
        SPAWN,
        json!({ "id": id, "input": process_input, "key": "spawn-1" }),
    )
    .await;
    assert_eq!(retry["spawnProcessFromIdea"]["processId"], json!(process));
    assert_eq!(retry["spawnProcessFromIdea"]["replayed"], true);
    let retried = retry["spawnProcessFromIdea"]["consistencyToken"]
        .as_str()
        .unwrap();
    assert_eq!(
        idea(&app, &p.anna, &id, retried).await["outcomes"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A second spawn (another key) is a second outcome, in the order linked.
    let second = command(
        &app,
        &p.karin,
        SPAWN,
        json!({ "id": id, "input": form("Bostadsstöd: utbetalning", &["social"], 500, 4.0, 40) }),
    )
    .await;
    let outcomes = idea(&app, &p.anna, &id, &second.token).await["outcomes"].clone();
    let linked: Vec<_> = outcomes
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["process"]["title"].clone())
        .collect();
    assert_eq!(
        linked,
        [
            json!("Bostadsstöd: registrering"),
            json!("Bostadsstöd: utbetalning")
        ]
    );

    // Both sides' histories record it.
    assert_eq!(
        history_types(&app, &p.anna, &id).await,
        [
            "IdeaSubmitted",
            "IdeaGateDecided",
            "IdeaOutcomeLinked",
            "IdeaOutcomeLinked"
        ]
    );
    let process_history = history(&app, &p.anna, &process).await;
    assert_eq!(process_history.len(), 1, "{process_history:#?}");
    assert_eq!(process_history[0]["type"], "ProcessSubmitted");
    let with_data = ok(
        &app,
        &p.anna,
        "query($id: ID!) { history(id: $id) { type data } }",
        json!({ "id": process }),
    )
    .await;
    assert_eq!(
        with_data["history"][0]["data"]["origin"],
        json!({ "context": "ideas", "kind": "idea", "id": id, "municipality": DK }),
        "{with_data:#}"
    );

    // A stopped idea spawns nothing.
    let stopped = gate(&app, &p.karin, &id, "STOPPED", "Löst på annat sätt", None).await;
    refused(
        &app,
        Some(&p.karin),
        SPAWN,
        json!({ "id": id, "input": process_input }),
        "BAD_USER_INPUT",
    )
    .await;
    assert_eq!(
        idea(&app, &p.anna, &id, &stopped.token).await["outcomes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn a_challenge_takes_ideas_only_while_open_and_within_its_dates() {
    let app = App::spawn_on("ideas-challenges", TODAY).await.unwrap();
    let p = people(&app).await;

    // Only an innovation lead poses challenges.
    refused(
        &app,
        Some(&p.anna),
        OPEN_CHALLENGE,
        json!({ "input": challenge_form("Ensamhet", "2026-06-01", "2026-06-30") }),
        "FORBIDDEN",
    )
    .await;
    // Given an open challenge whose dates hold today, one that opens next month, and a draft.
    let open = open_challenge(
        &app,
        &p.karin,
        "Ensamhet bland äldre",
        "2026-06-01",
        "2026-06-30",
    )
    .await;
    let later = open_challenge(&app, &p.karin, "Sommarjobb", "2026-07-01", "2026-07-31").await;
    let draft = command(
        &app,
        &p.karin,
        OPEN_CHALLENGE,
        json!({ "input": challenge_form("Klimat", "2026-01-01", "2026-12-31"), "draft": true }),
    )
    .await;
    let answer = |challenge: &str| {
        with(
            idea_form("Svar", &["social"]),
            json!({ "challenge": challenge, "driver": "CHALLENGE_DRIVEN" }),
        )
    };

    // An idea answers the open one.
    let answered = submit_idea(&app, &p.anna, answer(&open.id)).await;
    let seen = idea(&app, &p.anna, &answered.id, &answered.token).await;
    assert_eq!(seen["challenge"]["id"], json!(open.id));
    assert_eq!(seen["driver"], "CHALLENGE_DRIVEN");
    let listed = ok(
        &app,
        &p.anna,
        IDEAS,
        json!({ "filter": { "challenge": open.id }, "c": answered.token }),
    )
    .await;
    assert_eq!(column(&listed["ideas"], "id"), [answered.id.as_str()]);

    // Not the one whose dates have not begun, not the draft, not one that does not exist.
    let before = bystander_write(&app).await;
    for (challenge, why) in [
        (
            later.id.as_str(),
            "takes ideas from 2026-07-01 to 2026-07-31; today is 2026-06-15",
        ),
        (draft.id.as_str(), "DRAFT"),
        (NOBODY, "no such challenge"),
    ] {
        let response = refused(
            &app,
            Some(&p.anna),
            SUBMIT_IDEA,
            json!({ "input": answer(challenge) }),
            "BAD_USER_INPUT",
        )
        .await;
        assert!(response.to_string().contains(why), "{why}: {response:#}");
    }
    // An idea may not be moved to one either.
    refused(
        &app,
        Some(&p.anna),
        UPDATE_IDEA,
        json!({ "id": answered.id, "input": { "challenge": draft.id } }),
        "BAD_USER_INPUT",
    )
    .await;
    assert_eq!(
        bystander_write(&app).await.position(),
        before.position() + 1
    );

    // The draft takes ideas once published; publishing twice is refused.
    command(&app, &p.karin, PUBLISH_CHALLENGE, json!({ "id": draft.id })).await;
    refused(
        &app,
        Some(&p.karin),
        PUBLISH_CHALLENGE,
        json!({ "id": draft.id }),
        "BAD_USER_INPUT",
    )
    .await;
    submit_idea(&app, &p.bo, answer(&draft.id)).await;

    // When the open challenge is closed, an idea answering it is refused.
    let closed = command(
        &app,
        &p.karin,
        CLOSE_CHALLENGE,
        json!({ "id": open.id, "reason": "Nog med idéer" }),
    )
    .await;
    let refusal = refused(
        &app,
        Some(&p.bo),
        SUBMIT_IDEA,
        json!({ "input": answer(&open.id) }),
        "BAD_USER_INPUT",
    )
    .await;
    assert!(refusal.to_string().contains("CLOSED"), "{refusal:#}");
    refused(
        &app,
        Some(&p.karin),
        CLOSE_CHALLENGE,
        json!({ "id": open.id }),
        "BAD_USER_INPUT",
    )
    .await;
    // The idea that answered it still does.
    let seen = ok(
        &app,
        &p.anna,
        CHALLENGE,
        json!({ "id": open.id, "c": closed.token }),
    )
    .await;
    assert_eq!(
        seen["challenge"],
        json!({ "id": open.id, "title": "Ensamhet bland äldre", "status": "CLOSED",
                "closedReason": "Nog med idéer", "ideaCount": 1 })
    );
    let all = ok(&app, &p.bo, CHALLENGES, json!({ "c": closed.token })).await;
    let statuses: Vec<_> = all["challenges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["title"].as_str().unwrap(),
                c["status"].as_str().unwrap(),
                c["ideaCount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("Klimat", "OPEN", 1),
            ("Sommarjobb", "OPEN", 0),
            ("Ensamhet bland äldre", "CLOSED", 1),
        ],
        "newest first"
    );
    let full = ok(
        &app,
        &p.anna,
        &format!("query($id: ID!) {{ challenge(id: $id) {{ {CHALLENGE_FIELDS} }} }}"),
        json!({ "id": later.id }),
    )
    .await;
    assert_eq!(
        full["challenge"],
        json!({ "id": later.id, "municipality": DK, "title": "Sommarjobb",
                "description": "Sommarjobb: how might we?", "owner": "karin", "departments": ["social"],
                "openFrom": "2026-07-01", "openTo": "2026-07-31", "status": "OPEN", "closedReason": null,
                "ideaCount": 0, "createdBy": "karin" })
    );

    assert_eq!(
        history_types(&app, &p.anna, &open.id).await,
        ["ChallengeCreated", "ChallengeClosed"]
    );
    assert_eq!(
        history_types(&app, &p.anna, &draft.id).await,
        ["ChallengeCreated", "ChallengeOpened"]
    );
}

#[tokio::test]
async fn an_action_item_open_past_its_deadline_is_overdue_until_it_is_completed() {
    let app = App::spawn_on("ideas-actions", TODAY).await.unwrap();
    let p = people(&app).await;
    let idea_id = submit_idea(
        &app,
        &p.anna,
        idea_form("Automatisk schemaläggning", &["social"]),
    )
    .await
    .id;
    let challenge = open_challenge(
        &app,
        &p.karin,
        "Vårdens scheman",
        "2026-06-01",
        "2026-06-30",
    )
    .await;

    // Given a workshop on the idea and the challenge, with its follow-up.
    let workshop = record_workshop(
        &app,
        &p.karin,
        with(
            workshop_form("Idéverkstad juni", "2026-06-02", &[&idea_id]),
            json!({ "challenge": challenge.id }),
        ),
    )
    .await;
    refused(
        &app,
        Some(&p.anna),
        RECORD_WORKSHOP,
        json!({ "input": workshop_form("Egen verkstad", "2026-06-02", &[]) }),
        "FORBIDDEN",
    )
    .await;
    let late = add_action_item(
        &app,
        &p.karin,
        &workshop.id,
        Some(&idea_id),
        "Kartlägg flödet",
        "anna",
        "2026-06-10",
    )
    .await;
    let due_today = add_action_item(
        &app,
        &p.karin,
        &workshop.id,
        None,
        "Skriv sammanfattningen",
        "karin",
        TODAY,
    )
    .await;
    let next_month = add_action_item(
        &app,
        &p.karin,
        &workshop.id,
        Some(&idea_id),
        "Fråga leverantören",
        "bo",
        "2026-07-01",
    )
    .await;
    let to_drop = add_action_item(
        &app,
        &p.karin,
        &workshop.id,
        None,
        "Boka lokal",
        "bo",
        "2026-06-01",
    )
    .await;
    refused(
        &app,
        Some(&p.anna),
        ADD_ACTION_ITEM,
        json!({ "input": { "workshop": workshop.id, "title": "Eget", "owner": "anna", "deadline": TODAY } }),
        "FORBIDDEN",
    )
    .await;
    let token = to_drop.token.clone();

    // Open past the deadline is overdue; on the deadline day, or later, it is not.
    let overdue = action_items(&app, &p.anna, json!({ "overdue": true }), &token).await;
    assert_eq!(
        ids(&overdue),
        [to_drop.id.as_str(), late.id.as_str()],
        "by deadline"
    );
    assert!(
        overdue
            .iter()
            .all(|i| i["overdue"] == true && i["status"] == "OPEN")
    );
    let not_overdue = action_items(&app, &p.anna, json!({ "overdue": false }), &token).await;
    assert_eq!(
        ids(&not_overdue),
        [due_today.id.as_str(), next_month.id.as_str()]
    );
    let all = action_items(&app, &p.anna, json!({}), &token).await;
    assert_eq!(all.len(), 4);
    assert_eq!(
        all[1],
        json!({ "id": late.id, "title": "Kartlägg flödet", "owner": "anna", "deadline": "2026-06-10",
                "status": "OPEN", "overdue": true, "workshopId": workshop.id, "ideaId": idea_id,
                "completedAt": null, "droppedAt": null, "dropReason": null })
    );
    // By owner, by workshop, by idea; and the same items on the workshop and the idea.
    let bos = action_items(&app, &p.anna, json!({ "owner": "bo" }), &token).await;
    assert_eq!(ids(&bos), [to_drop.id.as_str(), next_month.id.as_str()]);
    let bos_overdue = action_items(
        &app,
        &p.anna,
        json!({ "owner": "bo", "overdue": true }),
        &token,
    )
    .await;
    assert_eq!(ids(&bos_overdue), [to_drop.id.as_str()]);
    let of_workshop = action_items(&app, &p.anna, json!({ "workshop": workshop.id }), &token).await;
    assert_eq!(of_workshop.len(), 4);
    let of_idea = action_items(&app, &p.anna, json!({ "idea": idea_id }), &token).await;
    assert_eq!(ids(&of_idea), [late.id.as_str(), next_month.id.as_str()]);
    let seen = idea(&app, &p.anna, &idea_id, &token).await;
    assert_eq!(
        ids(seen["actionItems"].as_array().unwrap()),
        [late.id.as_str(), next_month.id.as_str()]
    );
    assert_eq!(seen["actionItems"][0]["overdue"], true);
    let held = ok(
        &app,
        &p.anna,
        WORKSHOP,
        json!({ "id": workshop.id, "c": token }),
    )
    .await;
    assert_eq!(held["workshop"]["title"], "Idéverkstad juni");
    assert_eq!(held["workshop"]["date"], "2026-06-02");
    assert_eq!(held["workshop"]["facilitator"], "karin");
    assert_eq!(held["workshop"]["participants"], json!(["anna", "bo"]));
    assert_eq!(held["workshop"]["challenge"]["id"], json!(challenge.id));
    assert_eq!(held["workshop"]["ideas"], json!([{ "id": idea_id }]));
    assert_eq!(
        held["workshop"]["outcomes"],
        json!(["Map the case flow", "Ask the supplier"])
    );
    assert_eq!(held["workshop"]["actionItems"].as_array().unwrap().len(), 4);
    let listed = ok(&app, &p.bo, WORKSHOPS, json!({ "c": token })).await;
    assert_eq!(
        listed["workshops"],
        json!([{ "id": workshop.id, "title": "Idéverkstad juni" }])
    );

    // Only an innovation lead or the item's owner completes or drops it.
    refused(
        &app,
        Some(&p.bo),
        COMPLETE_ACTION_ITEM,
        json!({ "id": late.id }),
        "FORBIDDEN",
    )
    .await;
    refused(
        &app,
        Some(&p.anna),
        DROP_ACTION_ITEM,
        json!({ "id": to_drop.id, "reason": "Inte min" }),
        "FORBIDDEN",
    )
    .await;

    // When its owner completes the overdue item, it is done and no longer overdue.
    let done = command(
        &app,
        &p.anna,
        COMPLETE_ACTION_ITEM,
        json!({ "id": late.id }),
    )
    .await;
    let overdue = action_items(&app, &p.anna, json!({ "overdue": true }), &done.token).await;
    assert_eq!(ids(&overdue), [to_drop.id.as_str()]);
    let item = action_items(&app, &p.anna, json!({ "idea": idea_id }), &done.token).await;
    assert_eq!(item[0]["status"], "DONE");
    assert_eq!(item[0]["overdue"], false);
    assert!(item[0]["completedAt"].is_string(), "{item:#?}");
    refused(
        &app,
        Some(&p.anna),
        COMPLETE_ACTION_ITEM,
        json!({ "id": late.id }),
        "BAD_USER_INPUT",
    )
    .await;

    // Dropped by its owner, with a reason: not overdue either.
    let dropped = command(
        &app,
        &p.bo,
        DROP_ACTION_ITEM,
        json!({ "id": to_drop.id, "reason": "Vi ses digitalt" }),
    )
    .await;
    let overdue = action_items(&app, &p.anna, json!({ "overdue": true }), &dropped.token).await;
    assert_eq!(overdue, Vec::<Value>::new());
    let item = action_items(
        &app,
        &p.anna,
        json!({ "owner": "bo", "overdue": false }),
        &dropped.token,
    )
    .await;
    assert_eq!(item[0]["id"], json!(to_drop.id));
    assert_eq!(item[0]["status"], "DROPPED");
    assert_eq!(item[0]["dropReason"], "Vi ses digitalt");
    assert!(item[0]["droppedAt"].is_string());
    refused(
        &app,
        Some(&p.karin),
        DROP_ACTION_ITEM,
        json!({ "id": to_drop.id, "reason": "Igen" }),
        "BAD_USER_INPUT",
    )
    .await;

    assert_eq!(
        history_types(&app, &p.anna, &workshop.id).await,
        ["WorkshopRecorded"]
    );
    assert_eq!(
        history_types(&app, &p.anna, &late.id).await,
        ["ActionItemAdded", "ActionItemCompleted"]
    );
    assert_eq!(
        history_types(&app, &p.anna, &to_drop.id).await,
        ["ActionItemAdded", "ActionItemDropped"]
    );
}

/// A list of the funnel's rows as (key…, value) tuples, for a compact comparison.
fn rows(funnel: &Value, list: &str, fields: &[&str]) -> Vec<Value> {
    funnel[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list}: {funnel:#}"))
        .iter()
        .map(|row| fields.iter().map(|f| row[*f].clone()).collect())
        .collect()
}

#[tokio::test]
async fn the_funnel_counts_ideas_per_stage_conversions_lead_times_and_processes() {
    let app = App::spawn("ideas-funnel").await.unwrap();
    let p = people(&app).await;
    let idea = async |title: &str| {
        submit_idea(&app, &p.anna, idea_form(title, &["social"]))
            .await
            .id
    };
    // Given five ideas: one submitted, one exploring, one parked in designing, one stopped
    // while exploring, and one designing that spawned a process.
    let _submitted = idea("A").await;
    let exploring = idea("B").await;
    let parked = idea("C").await;
    let stopped = idea("D").await;
    let spawned = idea("E").await;
    for id in [&exploring, &parked, &stopped, &spawned] {
        gate(&app, &p.karin, id, "EXPLORING", "Ja", None).await;
    }
    for id in [&parked, &spawned] {
        gate(&app, &p.karin, id, "DESIGNING", "Ja", Some("PROCUREMENT")).await;
    }
    gate(&app, &p.karin, &parked, "PARKED", "Vänta", None).await;
    gate(&app, &p.karin, &stopped, "STOPPED", "Nej", None).await;
    let last = command(
        &app,
        &p.karin,
        SPAWN,
        json!({ "id": spawned, "input": form("E som process", &["social"], 10, 1.0, 10) }),
    )
    .await;

    let year = chrono::Utc::now().format("%Y").to_string();
    let data = ok(
        &app,
        &p.anna,
        FUNNEL,
        json!({ "from": format!("{year}-01-01"), "to": format!("{year}-12-31"), "c": last.token }),
    )
    .await;
    let funnel = &data["ideaFunnel"];
    assert_eq!(funnel["municipality"], DK);
    assert_eq!(
        rows(funnel, "stages", &["stage", "ideas"]),
        [
            json!(["SUBMITTED", 1]),
            json!(["EXPLORING", 1]),
            json!(["DESIGNING", 1]),
            json!(["PILOTING", 0]),
            json!(["SCALING", 0]),
            json!(["IMPLEMENTED", 0]),
            json!(["PARKED", 1]),
            json!(["STOPPED", 1]),
        ]
    );
    assert_eq!(
        rows(
            funnel,
            "conversions",
            &["from", "to", "entered", "advanced", "rate"]
        ),
        [
            json!(["SUBMITTED", "EXPLORING", 5, 4, 0.8]),
            json!(["EXPLORING", "DESIGNING", 4, 2, 0.5]),
            json!(["DESIGNING", "PILOTING", 2, 0, 0.0]),
            json!(["PILOTING", "SCALING", 0, 0, null]),
            json!(["SCALING", "IMPLEMENTED", 0, 0, null]),
        ]
    );
    // Lead times: of the ideas that entered a stage and left it (all within seconds here).
    let lead_times = rows(funnel, "leadTimes", &["stage", "ideas"]);
    assert_eq!(
        lead_times,
        [
            json!(["SUBMITTED", 4]),
            json!(["EXPLORING", 3]),
            json!(["DESIGNING", 1]),
            json!(["PILOTING", 0]),
            json!(["SCALING", 0]),
            json!(["PARKED", 0]),
        ]
    );
    for row in funnel["leadTimes"].as_array().unwrap() {
        match row["ideas"].as_i64().unwrap() {
            0 => assert_eq!(row["medianDays"], Value::Null),
            _ => assert!(row["medianDays"].as_f64().unwrap() < 0.01, "{row}"),
        }
    }
    assert_eq!(funnel["becameProcesses"], 1);

    // A span before any of them counts none; a span that ends before it begins is refused.
    let empty = ok(
        &app,
        &p.anna,
        FUNNEL,
        json!({ "m": DK, "from": "2001-01-01", "to": "2001-12-31" }),
    )
    .await;
    assert!(
        empty["ideaFunnel"]["stages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["ideas"] == 0),
        "{empty:#}"
    );
    assert_eq!(empty["ideaFunnel"]["becameProcesses"], 0);
    assert_eq!(empty["ideaFunnel"]["from"], "2001-01-01");
    refused(
        &app,
        Some(&p.anna),
        FUNNEL,
        json!({ "from": "2026-02-01", "to": "2026-01-01" }),
        "BAD_USER_INPUT",
    )
    .await;
}

#[tokio::test]
async fn ideas_are_listed_newest_first_by_stage_challenge_department_tag_and_outcome_in_pages() {
    let app = App::spawn("ideas-lists").await.unwrap();
    let p = people(&app).await;
    let today = chrono::Utc::now().date_naive();
    let challenge = open_challenge(
        &app,
        &p.karin,
        "Utmaning",
        &today.to_string(),
        &today.succ_opt().unwrap().to_string(),
    )
    .await;
    let social = submit_idea(
        &app,
        &p.anna,
        with(idea_form("Social", &["social"]), json!({ "tags": ["AI"] })),
    )
    .await
    .id;
    let it = submit_idea(
        &app,
        &p.rita,
        with(
            idea_form("IT", &["it"]),
            json!({ "tags": ["RPA"], "challenge": challenge.id }),
        ),
    )
    .await
    .id;
    let both = submit_idea(
        &app,
        &p.anna,
        with(
            idea_form("Båda", &["social", "it"]),
            json!({ "tags": ["AI", "RPA"] }),
        ),
    )
    .await
    .id;
    gate(&app, &p.karin, &it, "EXPLORING", "Ja", None).await;
    let last = gate(&app, &p.karin, &it, "DESIGNING", "Ja", Some("PARTNERSHIP")).await;
    let list = async |filter: Value| -> Vec<String> {
        let data = ok(
            &app,
            &p.bo,
            IDEAS,
            json!({ "filter": filter, "first": 10, "c": last.token }),
        )
        .await;
        assert_eq!(total(&data["ideas"]), nodes(&data["ideas"]).len() as i64);
        column(&data["ideas"], "id")
    };
    assert_eq!(
        list(json!({})).await,
        [both.as_str(), it.as_str(), social.as_str()]
    );
    assert_eq!(
        list(json!({ "stage": "SUBMITTED" })).await,
        [both.as_str(), social.as_str()]
    );
    assert_eq!(list(json!({ "stage": "DESIGNING" })).await, [it.as_str()]);
    assert_eq!(
        list(json!({ "challenge": challenge.id })).await,
        [it.as_str()]
    );
    assert_eq!(
        list(json!({ "department": "it" })).await,
        [both.as_str(), it.as_str()]
    );
    assert_eq!(
        list(json!({ "tag": "AI" })).await,
        [both.as_str(), social.as_str()]
    );
    assert_eq!(
        list(json!({ "outcome": "PARTNERSHIP" })).await,
        [it.as_str()]
    );
    assert_eq!(
        list(json!({ "outcome": "PROCUREMENT" })).await,
        Vec::<String>::new()
    );
    assert_eq!(
        list(json!({ "municipality": DK, "tag": "RPA", "stage": "SUBMITTED" })).await,
        [both.as_str()]
    );

    // Two at a time through the cursors.
    let first = ok(&app, &p.bo, IDEAS, json!({ "first": 2, "c": last.token })).await;
    assert_eq!(column(&first["ideas"], "id"), [both.as_str(), it.as_str()]);
    assert_eq!(
        first["ideas"]["pageInfo"],
        json!({ "hasNextPage": true, "hasPreviousPage": false })
    );
    assert_eq!(total(&first["ideas"]), 3);
    let after = last_cursor(&first["ideas"]);
    let second = ok(&app, &p.bo, IDEAS, json!({ "first": 2, "after": after })).await;
    assert_eq!(column(&second["ideas"], "id"), [social.as_str()]);
    assert_eq!(
        second["ideas"]["pageInfo"],
        json!({ "hasNextPage": false, "hasPreviousPage": true })
    );

    // A filter naming no challenge is the client's error.
    refused(
        &app,
        Some(&p.bo),
        IDEAS,
        json!({ "filter": { "challenge": "not-an-id" } }),
        "BAD_USER_INPUT",
    )
    .await;
}

#[tokio::test]
async fn bad_input_to_every_mutation_is_bad_user_input_and_records_nothing() {
    let app = App::spawn("ideas-invalid").await.unwrap();
    let p = people(&app).await;
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (today.to_string(), today.succ_opt().unwrap().to_string());

    // Given one record of every kind, in every state a command is refused in.
    let open = open_challenge(&app, &p.karin, "Öppen", &from, &to).await;
    let closed = open_challenge(&app, &p.karin, "Stängd", &from, &to).await;
    command(&app, &p.karin, CLOSE_CHALLENGE, json!({ "id": closed.id })).await;
    command(
        &app,
        &p.admin,
        SET_CRITERIA,
        json!({ "criteria": first_criteria() }),
    )
    .await;
    let id = submit_idea(
        &app,
        &p.anna,
        with(
            idea_form("Giltig", &["social"]),
            json!({ "reviewers": ["rita"] }),
        ),
    )
    .await
    .id;
    command(&app, &p.bo, SUPPORT, json!({ "id": id })).await;
    let exploring = submit_idea(&app, &p.anna, idea_form("Utforskas", &["social"]))
        .await
        .id;
    gate(&app, &p.karin, &exploring, "EXPLORING", "Ja", None).await;
    let stopped = submit_idea(&app, &p.anna, idea_form("Stoppad", &["social"]))
        .await
        .id;
    gate(&app, &p.karin, &stopped, "STOPPED", "Nej", None).await;
    let workshop = record_workshop(&app, &p.karin, workshop_form("Verkstad", &from, &[&id]))
        .await
        .id;
    let item = add_action_item(
        &app,
        &p.karin,
        &workshop,
        Some(&id),
        "Gör något",
        "anna",
        &to,
    )
    .await
    .id;
    let done = add_action_item(&app, &p.karin, &workshop, None, "Klart", "anna", &to)
        .await
        .id;
    command(&app, &p.anna, COMPLETE_ACTION_ITEM, json!({ "id": done })).await;

    let records = [
        &open.id, &closed.id, &id, &exploring, &stopped, &workshop, &item, &done,
    ];
    let mut histories = Vec::new();
    for record in records {
        histories.push(history(&app, &p.anna, record).await);
    }
    let criteria_stream = format!("idea-criteria:{DK}");
    let criteria_history = history(&app, &p.anna, &criteria_stream).await;
    let before = bystander_write(&app).await;

    let long = |n: usize| "x".repeat(n);
    // Valid input with `extra` merged in, for each mutation that takes an input.
    let challenge = |extra| json!({ "input": with(challenge_form("C", &from, &to), extra) });
    let new_idea = |extra| json!({ "input": with(idea_form("Idé", &["social"]), extra) });
    let change = |input: Value| json!({ "id": id, "input": input });
    let decide = |idea: &str, to: &str, rationale: &str| json!({ "id": idea, "to": to, "rationale": rationale });
    let criteria = |list: Vec<Value>| json!({ "criteria": list });
    let criterion = |name: &str, weight: i64, min: i64, max: i64| json!({ "name": name, "weight": weight, "scaleMin": min, "scaleMax": max });
    let score = |pairs: &[(&str, i64)]| json!({ "id": id, "scores": values(pairs) });
    let meeting = |extra| json!({ "input": with(workshop_form("V", &from, &[]), extra) });
    let task = |extra| {
        let valid =
            json!({ "workshop": workshop, "title": "Gör", "owner": "anna", "deadline": to });
        json!({ "input": with(valid, extra) })
    };
    let spawn =
        |extra| json!({ "id": id, "input": with(form("P", &["social"], 100, 5.0, 50), extra) });
    let (karin, anna, admin) = (p.karin.as_str(), p.anna.as_str(), p.admin.as_str());
    // What is wrong, who sends it, the mutation, its variables, and what the refusal says.
    #[rustfmt::skip]
    let cases: Vec<(&str, &str, &str, Value, &str)> = vec![
        ("title of 81", karin, OPEN_CHALLENGE, challenge(json!({ "title": long(81) })), "title: must be at most 80 characters, got 81"),
        ("title of 81 non-ASCII", karin, OPEN_CHALLENGE, challenge(json!({ "title": "å".repeat(81) })), "title: must be at most 80 characters, got 81"),
        ("blank description", karin, OPEN_CHALLENGE, challenge(json!({ "description": " " })), "description: must not be empty"),
        ("closes before it opens", karin, OPEN_CHALLENGE, challenge(json!({ "openFrom": "2026-05-02", "openTo": "2026-05-01" })), "openTo: must not be before openFrom (2026-05-02), got 2026-05-01"),
        ("opens on no date", karin, OPEN_CHALLENGE, challenge(json!({ "openFrom": "2026-02-30" })), "Failed to parse \"NaiveDate\""),
        ("owner of 201", karin, OPEN_CHALLENGE, challenge(json!({ "owner": long(201) })), "owner: must be at most 200 characters, got 201"),
        ("an open challenge", karin, PUBLISH_CHALLENGE, json!({ "id": open.id }), "only a draft is opened; the challenge is OPEN"),
        ("a closed challenge", karin, PUBLISH_CHALLENGE, json!({ "id": closed.id }), "only a draft is opened; the challenge is CLOSED"),
        ("a closed challenge", karin, CLOSE_CHALLENGE, json!({ "id": closed.id, "reason": "Igen" }), "the challenge is already CLOSED"),
        ("title of 81", anna, SUBMIT_IDEA, new_idea(json!({ "title": long(81) })), "title: must be at most 80 characters, got 81"),
        ("blank title", anna, SUBMIT_IDEA, new_idea(json!({ "title": "  " })), "title: must not be empty"),
        ("blank need", anna, SUBMIT_IDEA, new_idea(json!({ "need": "" })), "need: is required"),
        ("need of 10,001", anna, SUBMIT_IDEA, new_idea(json!({ "need": long(10_001) })), "need: must be at most 10000 characters, got 10001"),
        ("no department", anna, SUBMIT_IDEA, new_idea(json!({ "departments": [] })), "departments: name at least one department"),
        ("21 tags", anna, SUBMIT_IDEA, new_idea(json!({ "tags": (0..21).map(|i| format!("t{i}")).collect::<Vec<_>>() })), "tags: at most 20 entries, got 21"),
        ("tag of 41", anna, SUBMIT_IDEA, new_idea(json!({ "tags": [long(41)] })), "tags: must be at most 40 characters, got 41"),
        ("blank reviewer", anna, SUBMIT_IDEA, new_idea(json!({ "reviewers": [" "] })), "reviewers: UserId must be 1 to 200 characters without control characters"),
        ("a closed challenge", anna, SUBMIT_IDEA, new_idea(json!({ "challenge": closed.id })), "challengeId: the challenge is CLOSED: it takes no ideas"),
        ("no challenge there is", anna, SUBMIT_IDEA, new_idea(json!({ "challenge": NOBODY })), "challengeId: no such challenge"),
        ("a challenge that is no id", anna, SUBMIT_IDEA, new_idea(json!({ "challenge": "42" })), "challengeId: no such challenge"),
        ("unknown driver (variable)", anna, SUBMIT_IDEA, new_idea(json!({ "driver": "WHIM" })), "does not contain the value \"WHIM\""),
        ("unknown visibility (variable)", anna, SUBMIT_IDEA, new_idea(json!({ "visibility": "SECRET" })), "does not contain the value \"SECRET\""),
        ("title of 81", anna, UPDATE_IDEA, change(json!({ "title": long(81) })), "title: must be at most 80 characters, got 81"),
        ("need cleared", anna, UPDATE_IDEA, change(json!({ "need": "" })), "need: is required"),
        ("departments cleared", anna, UPDATE_IDEA, change(json!({ "departments": [] })), "departments: name at least one department"),
        ("a closed challenge", anna, UPDATE_IDEA, change(json!({ "challenge": closed.id })), "challengeId: the challenge is CLOSED: it takes no ideas"),
        ("a skipped stage", karin, DECIDE_GATE, with(decide(&id, "DESIGNING", "Hopp"), json!({ "outcome": "PROCUREMENT" })), "stages move forward one at a time: from SUBMITTED the next is EXPLORING"),
        ("the stage it is in", karin, DECIDE_GATE, decide(&id, "SUBMITTED", "Igen"), "the idea is already SUBMITTED"),
        ("blank rationale", karin, DECIDE_GATE, decide(&id, "EXPLORING", " "), "rationale: must not be empty"),
        ("DESIGNING without an outcome", karin, DECIDE_GATE, decide(&exploring, "DESIGNING", "Vidare"), "likelyOutcome: is required for a move to DESIGNING"),
        ("PARKED without a reason", karin, DECIDE_GATE, decide(&exploring, "PARKED", ""), "rationale: is required"),
        ("a stopped idea moved", karin, DECIDE_GATE, decide(&stopped, "EXPLORING", "Ändå"), "the idea is STOPPED: that is final"),
        ("unknown stage (variable)", karin, DECIDE_GATE, decide(&id, "DONE", "Klart"), "does not contain the value \"DONE\""),
        ("unknown outcome (variable)", karin, DECIDE_GATE, with(decide(&exploring, "DESIGNING", "V"), json!({ "outcome": "MAGIC" })), "does not contain the value \"MAGIC\""),
        ("a second support", &p.bo, SUPPORT, json!({ "id": id }), "bo already supports this idea"),
        ("support never given", anna, WITHDRAW, json!({ "id": id }), "anna does not support this idea"),
        ("blank comment", anna, COMMENT, json!({ "id": id, "text": " \n " }), "text: must not be empty"),
        ("comment of 10,001", anna, COMMENT, json!({ "id": id, "text": long(10_001) }), "text: must be at most 10000 characters, got 10001"),
        ("no criteria", admin, SET_CRITERIA, criteria(vec![]), "criteria: name 1 to 20 criteria, got 0"),
        ("21 criteria", admin, SET_CRITERIA, criteria((0..21).map(|i| criterion(&format!("c{i}"), 1, 1, 5)).collect()), "criteria: name 1 to 20 criteria, got 21"),
        ("weight 0", admin, SET_CRITERIA, criteria(vec![criterion("Nytta", 0, 1, 5)]), "criteria.weight: \"Nytta\" must weigh 1 to 100, got 0"),
        ("weight 101", admin, SET_CRITERIA, criteria(vec![criterion("Nytta", 101, 1, 5)]), "criteria.weight: \"Nytta\" must weigh 1 to 100, got 101"),
        ("negative weight (variable)", admin, SET_CRITERIA, criteria(vec![criterion("Nytta", -1, 1, 5)]), "Failed to parse \"Int\""),
        ("scale 5 to 5", admin, SET_CRITERIA, criteria(vec![criterion("Nytta", 1, 5, 5)]), "criteria.scaleMax: \"Nytta\" needs a scale whose maximum is above its minimum, got 5 to 5"),
        ("scale 5 to 1", admin, SET_CRITERIA, criteria(vec![criterion("Nytta", 1, 5, 1)]), "criteria.scaleMax: \"Nytta\" needs a scale whose maximum is above its minimum, got 5 to 1"),
        ("a name twice", admin, SET_CRITERIA, criteria(vec![criterion("Nytta", 1, 1, 5), criterion("NYTTA", 2, 1, 5)]), "criteria.name: \"NYTTA\" is named twice"),
        ("blank name", admin, SET_CRITERIA, criteria(vec![criterion(" ", 1, 1, 5)]), "criteria.name: must not be empty"),
        ("name of 81", admin, SET_CRITERIA, criteria(vec![criterion(&long(81), 1, 1, 5)]), "criteria.name: must be at most 80 characters, got 81"),
        ("a criterion without a value", karin, SCORE, score(&[("Medborgarnytta", 3), ("Kostnad", 3)]), "scores: \"Genomförbarhet\" has no value"),
        ("an unknown criterion", karin, SCORE, score(&[("Medborgarnytta", 3), ("Kostnad", 3), ("Genomförbarhet", 5), ("Risk", 1)]), "scores: there is no criterion \"Risk\""),
        ("above the scale", karin, SCORE, score(&[("Medborgarnytta", 6), ("Kostnad", 3), ("Genomförbarhet", 5)]), "scores: \"Medborgarnytta\" is scored 1 to 5, got 6"),
        ("below the scale", &p.rita, SCORE, score(&[("Medborgarnytta", 3), ("Kostnad", 3), ("Genomförbarhet", -1)]), "scores: \"Genomförbarhet\" is scored 0 to 10, got -1"),
        ("a criterion twice", karin, SCORE, score(&[("Medborgarnytta", 3), ("Medborgarnytta", 4), ("Kostnad", 3), ("Genomförbarhet", 5)]), "scores: \"Medborgarnytta\" is scored twice"),
        ("blank title", karin, RECORD_WORKSHOP, meeting(json!({ "title": " " })), "title: must not be empty"),
        ("title of 81", karin, RECORD_WORKSHOP, meeting(json!({ "title": long(81) })), "title: must be at most 80 characters, got 81"),
        ("blank summary", karin, RECORD_WORKSHOP, meeting(json!({ "summary": "" })), "summary: is required"),
        ("no date", karin, RECORD_WORKSHOP, meeting(json!({ "date": "2026-13-01" })), "Failed to parse \"NaiveDate\""),
        ("no idea there is", karin, RECORD_WORKSHOP, meeting(json!({ "ideas": [NOBODY] })), "ideaIds: no such idea"),
        ("no challenge there is", karin, RECORD_WORKSHOP, meeting(json!({ "challenge": NOBODY })), "challengeId: no such challenge"),
        ("participant of 201", karin, RECORD_WORKSHOP, meeting(json!({ "participants": [long(201)] })), "participants: must be at most 200 characters, got 201"),
        ("blank title", karin, ADD_ACTION_ITEM, task(json!({ "title": " " })), "title: must not be empty"),
        ("title of 201", karin, ADD_ACTION_ITEM, task(json!({ "title": long(201) })), "title: must be at most 200 characters, got 201"),
        ("blank owner", karin, ADD_ACTION_ITEM, task(json!({ "owner": "" })), "owner: UserId must be 1 to 200 characters without control characters"),
        ("no idea there is", karin, ADD_ACTION_ITEM, task(json!({ "idea": NOBODY })), "ideaId: no such idea"),
        ("a deadline that is no date", karin, ADD_ACTION_ITEM, task(json!({ "deadline": "31.12.2026" })), "Failed to parse \"NaiveDate\""),
        ("a done item", anna, COMPLETE_ACTION_ITEM, json!({ "id": done }), "the action item is DONE: only an open one is completed or dropped"),
        ("a done item", karin, DROP_ACTION_ITEM, json!({ "id": done, "reason": "Ändå" }), "the action item is DONE: only an open one is completed or dropped"),
        ("no reason", karin, DROP_ACTION_ITEM, json!({ "id": item, "reason": " " }), "reason: must not be empty"),
        ("process title of 81", karin, SPAWN, spawn(json!({ "title": long(81) })), "title: must be at most 80 characters, got 81"),
        ("process without departments", karin, SPAWN, spawn(json!({ "departments": [] })), "departments: name at least one department"),
        ("automation share 150", karin, SPAWN, spawn(json!({ "automationShare": 150 })), "automationShare: must be a percentage from 0 to 100"),
        ("a stopped idea", karin, SPAWN, with(spawn(json!({})), json!({ "id": stopped })), "the idea is STOPPED: it spawns nothing"),
    ];
    let mut mutations = std::collections::BTreeSet::new();
    for (what, token, query, variables, why) in cases {
        mutations.insert(refused_input(&app, token, what, query, variables, &[why]).await);
    }
    // Every mutation of the ideas context was tried.
    assert_eq!(
        mutations.into_iter().collect::<Vec<_>>(),
        [
            "addActionItem",
            "closeChallenge",
            "commentOnIdea",
            "completeActionItem",
            "decideIdeaGate",
            "dropActionItem",
            "openChallenge",
            "publishChallenge",
            "recordWorkshop",
            "scoreIdea",
            "setIdeaCriteria",
            "spawnProcessFromIdea",
            "submitIdea",
            "supportIdea",
            "updateIdea",
            "withdrawSupport",
        ]
    );

    // Nothing was appended in between: the next write directly follows the last one, and
    // every record's history is as it was.
    let after = bystander_write(&app).await;
    assert_eq!(after.position(), before.position() + 1);
    for (record, before) in records.into_iter().zip(histories) {
        assert_eq!(history(&app, &p.anna, record).await, before, "{record}");
    }
    assert_eq!(
        history(&app, &p.anna, &criteria_stream).await,
        criteria_history
    );
    let listed = ok(&app, &p.anna, IDEAS, json!({ "c": after.token })).await;
    assert_eq!(total(&listed["ideas"]), 3);
    let workshops = ok(&app, &p.anna, WORKSHOPS, json!({ "c": after.token })).await;
    assert_eq!(workshops["workshops"].as_array().unwrap().len(), 1);
    let challenges = ok(&app, &p.anna, CHALLENGES, json!({ "c": after.token })).await;
    assert_eq!(challenges["challenges"].as_array().unwrap().len(), 2);
    let items = action_items(&app, &p.anna, json!({}), &after.token).await;
    assert_eq!(ids(&items).len(), 2);
    let processes = processes(&app, &p.anna, json!({ "municipality": DK }), &after.token).await;
    assert_eq!(total(&processes), 0, "no process was spawned");
}

#[tokio::test]
async fn a_private_idea_is_read_by_its_submitter_reviewers_and_departments_only() {
    let app = App::spawn("ideas-private").await.unwrap();
    let p = people(&app).await;
    let olle = app
        .token("olle", DK, Some("it"), &["employee"])
        .await
        .unwrap();
    // Given a PRIVATE idea of social that names Rita (of IT) as a reviewer.
    let private = submit_idea(
        &app,
        &p.anna,
        with(
            idea_form("Privat idé", &["social"]),
            json!({ "visibility": "PRIVATE", "reviewers": ["rita"] }),
        ),
    )
    .await;
    let id = private.id.clone();
    // The submitter, a colleague of the department and the reviewer read it and support it.
    for reader in [&p.anna, &p.bo, &p.rita] {
        let seen = idea(&app, reader, &id, &private.token).await;
        assert_eq!(seen["visibility"], "PRIVATE");
        command(&app, reader, SUPPORT, json!({ "id": id })).await;
    }
    // Anyone else of the municipality finds nothing, in any operation, exactly as for an
    // idea that does not exist.
    let idea_query = idea_query();
    #[rustfmt::skip]
    let operations: Vec<(&str, Value)> = vec![
        (&idea_query, json!({ "c": private.token })),
        (HISTORY, json!({})),
        (SUPPORT, json!({})),
        (WITHDRAW, json!({})),
        (COMMENT, json!({ "text": "Hej" })),
        (UPDATE_IDEA, json!({ "input": { "title": "Min" } })),
    ];
    for (query, variables) in operations {
        looks_missing(&app, &olle, query, variables, &id, "a private idea").await;
    }
    let last = bystander_write(&app).await;
    let listed = ok(&app, &olle, IDEAS, json!({ "c": last.token })).await;
    assert_eq!(total(&listed["ideas"]), 0);
    let funnel = ok(&app, &olle, FUNNEL, json!({ "c": last.token })).await;
    assert!(
        funnel["ideaFunnel"]["stages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["ideas"] == 0),
        "{funnel:#}"
    );
    let listed = ok(&app, &p.bo, IDEAS, json!({ "c": last.token })).await;
    assert_eq!(column(&listed["ideas"], "id"), [id.as_str()]);
    assert_eq!(
        idea(&app, &p.anna, &id, &last.token).await["supportCount"],
        3
    );
}
