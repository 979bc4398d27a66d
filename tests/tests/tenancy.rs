//! The cross-tenant tests of the partner-municipality operations (the directory, networks,
//! adoption, umbrella groups, the cross-municipal overview, the quarterly history and the
//! exports), of every operation of the ideas context (challenges, ideas, support,
//! comments, criteria and scores, workshops and action items, the funnel, the spawn of a
//! process), of every operation of the pilots context (plan, start, observations,
//! incidents, benefits and measurements, evaluation, decision, the start from an idea, the
//! lists, the portfolio and the innovation funnel) and of every operation of the funding
//! context (funds, budgets, rounds, applications, reviews, decisions, the money, the
//! ledgers, the pipeline), the subscriptions to an idea's, a pilot's or an application's
//! changes included: a municipality that is not registered is refused by every one
//! of them and changes nothing, and no municipality sees or changes
//! another's unshared data through any of them; a partner may support and comment on an idea
//! shared with them, and reads it without people or departments; a partner reads a shared
//! pilot without people or departments and changes nothing of it; a partner never sees an
//! application or a ledger unless it is shared (a NETWORK fund's ledgers, a NETWORK
//! application once submitted), reads it without people or comments, and changes nothing.
//! (The processes operations are in `access.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod funding_api;
mod ideas_api;
mod pilots_api;

use common::*;
use funding_api::*;
use ideas_api::*;
use innohub_tests::App;
use pilots_api::*;
use serde_json::{Value, json};

/// Espoo: a valid municipality id that nobody registered.
const STRANGER: &str = "FI-0049";

const MUNICIPALITY: &str =
    "query($id: ID!) { municipality(id: $id) { id name departments { id name } } }";
const NETWORK: &str = "query($id: ID!) { network(id: $id) { id members { municipality } } }";
const NETWORKS: &str = "{ networks { id } }";
const ADD_DEPARTMENT: &str = "mutation($id: String!) { addDepartment(input: { id: $id, name: \"Afdeling\" }) { id consistencyToken } }";
const RENAME_DEPARTMENT: &str =
    "mutation($id: ID!) { renameDepartment(id: $id, name: \"Ny\") { id consistencyToken } }";
const RETIRE_DEPARTMENT: &str =
    "mutation($id: ID!) { retireDepartment(id: $id) { id consistencyToken } }";
const CREATE_NETWORK: &str =
    "mutation($name: String!) { createNetwork(name: $name) { id consistencyToken } }";
const INVITE: &str =
    "mutation($id: ID!, $m: ID!) { inviteToNetwork(network: $id, municipality: $m) { id } }";
const ACCEPT: &str = "mutation($id: ID!) { acceptNetworkInvitation(network: $id) { id } }";
const LEAVE: &str = "mutation($id: ID!) { leaveNetwork(network: $id) { id } }";
const ADOPT: &str = "mutation($id: ID!) { adoptProcess(id: $id) { id consistencyToken } }";
const CREATE_UMBRELLA: &str = "mutation($title: String!, $v: Visibility) { createUmbrella(input: { title: $title, visibility: $v }) { id consistencyToken } }";
const ADD_TO_UMBRELLA: &str = "mutation($id: ID!, $p: ID!) { addToUmbrella(umbrella: $id, process: $p) { id consistencyToken } }";
const REMOVE_FROM_UMBRELLA: &str = "mutation($id: ID!, $p: ID!) { removeFromUmbrella(umbrella: $id, process: $p) { id consistencyToken } }";
const UMBRELLA: &str = "query($id: ID!, $c: String) { umbrella(id: $id, consistency: $c) { id title members { id } } }";
const UMBRELLAS: &str = "query($c: String) { umbrellas(consistency: $c) { id } }";
const REUSE: &str = "query($id: ID!, $c: String) { process(id: $id, consistency: $c) { id adoptedFrom { municipality id } adoptions { municipality id phase } umbrellas { id } } }";
const OVERVIEW: &str = "query($c: String) { crossMunicipalOverview(consistency: $c) { scheme code municipalities processCount hoursSaved members { id } } }";
const STATUS_HISTORY: &str = "query($m: ID!, $from: NaiveDate!, $to: NaiveDate!, $c: String) { statusHistory(municipality: $m, from: $from, to: $to, consistency: $c) { quarter cells { department phase status count } } }";

/// Today and the end of this quarter's year, as statusHistory's span.
fn this_year() -> Value {
    let year = chrono::Utc::now().format("%Y").to_string();
    json!({ "from": format!("{year}-01-01"), "to": format!("{year}-12-31") })
}

/// An id from a payload.
fn id_of(data: &Value, field: &str) -> String {
    data[field]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{field}: {data:#}"))
        .to_owned()
}

/// `query` with `variables` naming a record hidden from `token` answers NOT_FOUND exactly
/// as with an id no record has.
async fn hidden_like_missing(app: &App, token: &str, query: &str, variables: Value) {
    let hidden = refused(app, Some(token), query, variables.clone(), "NOT_FOUND").await;
    let missing = refused(
        app,
        Some(token),
        query,
        with(variables, json!({ "id": NOBODY })),
        "NOT_FOUND",
    )
    .await;
    assert_eq!(hidden, missing, "{query}: a hidden record looks missing");
}

/// The HTTP status and body of an export as `token`.
async fn export(app: &App, token: &str, format: &str) -> (u16, String) {
    let response = app
        .client()
        .get(format!("{}/export/processes.{format}", app.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

#[tokio::test]
async fn every_operation_refuses_an_unregistered_municipality_and_records_nothing() {
    let app = App::spawn("tenancy-unregistered").await.unwrap();
    // Every role but platform_admin (which registers municipalities, so it is admitted).
    let stranger = app
        .token(
            "olli",
            STRANGER,
            Some("it"),
            &[
                "employee",
                "department_lead",
                "it_portfolio",
                "innovation_lead",
                "municipality_admin",
                "fund_manager",
                "fund_reviewer",
            ],
        )
        .await
        .unwrap();
    let anna = app
        .token("anna", DK, Some("social"), &["employee"])
        .await
        .unwrap();
    let public = submit(
        &app,
        &anna,
        with(
            form("Delt sag", &["social"], 100, 5.0, 50),
            json!({ "visibility": "PUBLIC" }),
        ),
    )
    .await;
    let before = bystander_write(&app).await;

    let year = this_year();
    let operations: Vec<(&str, Value)> = vec![
        ("{ municipalities { id } }", json!({})),
        (MUNICIPALITY, json!({ "id": DK })),
        (NETWORKS, json!({})),
        (NETWORK, json!({ "id": NOBODY })),
        (UMBRELLAS, json!({})),
        (UMBRELLA, json!({ "id": NOBODY })),
        (REUSE, json!({ "id": public.id })),
        (OVERVIEW, json!({})),
        (
            STATUS_HISTORY,
            json!({ "m": DK, "from": year["from"], "to": year["to"] }),
        ),
        (
            "mutation { registerMunicipality(input: { country: \"FI\", code: \"0049\", name: \"Espoo\", inhabitants: 300000 }) { id } }",
            json!({}),
        ),
        (ADD_DEPARTMENT, json!({ "id": "it" })),
        (RENAME_DEPARTMENT, json!({ "id": "it" })),
        (RETIRE_DEPARTMENT, json!({ "id": "it" })),
        (CREATE_NETWORK, json!({ "name": "Uusimaa" })),
        (INVITE, json!({ "id": NOBODY, "m": DK })),
        (ACCEPT, json!({ "id": NOBODY })),
        (LEAVE, json!({ "id": NOBODY })),
        (ADOPT, json!({ "id": public.id })),
        (CREATE_UMBRELLA, json!({ "title": "Sateenvarjo" })),
        (ADD_TO_UMBRELLA, json!({ "id": NOBODY, "p": public.id })),
        (
            REMOVE_FROM_UMBRELLA,
            json!({ "id": NOBODY, "p": public.id }),
        ),
    ];
    // The ideas context: every query and every mutation.
    let today = chrono::Utc::now().date_naive().to_string();
    let idea_query = idea_query();
    #[rustfmt::skip]
    let ideas_operations: Vec<(&str, Value)> = vec![
        (IDEAS, json!({})),
        (&idea_query, json!({ "id": NOBODY })),
        (CHALLENGES, json!({})),
        (CHALLENGE, json!({ "id": NOBODY })),
        (WORKSHOPS, json!({})),
        (WORKSHOP, json!({ "id": NOBODY })),
        (ACTION_ITEMS, json!({ "overdue": true })),
        (FUNNEL, json!({ "m": DK })),
        (CRITERIA, json!({})),
        (HISTORY, json!({ "id": format!("idea-criteria:{STRANGER}") })),
        (OPEN_CHALLENGE, json!({ "input": challenge_form("Haaste", &today, &today) })),
        (PUBLISH_CHALLENGE, json!({ "id": NOBODY })),
        (CLOSE_CHALLENGE, json!({ "id": NOBODY })),
        (SUBMIT_IDEA, json!({ "input": idea_form("Idea", &["it"]) })),
        (UPDATE_IDEA, json!({ "id": NOBODY, "input": { "title": "Uusi" } })),
        (DECIDE_GATE, json!({ "id": NOBODY, "to": "EXPLORING", "rationale": "Kyllä" })),
        (SUPPORT, json!({ "id": NOBODY })),
        (WITHDRAW, json!({ "id": NOBODY })),
        (COMMENT, json!({ "id": NOBODY, "text": "Hei" })),
        (SET_CRITERIA, json!({ "criteria": [{ "name": "Hyöty", "weight": 1, "scaleMin": 1, "scaleMax": 5 }] })),
        (SCORE, json!({ "id": NOBODY, "scores": [{ "criterion": "Hyöty", "value": 3 }] })),
        (RECORD_WORKSHOP, json!({ "input": workshop_form("Työpaja", &today, &[]) })),
        (ADD_ACTION_ITEM, json!({ "input": { "workshop": NOBODY, "title": "Tee", "owner": "olli", "deadline": today } })),
        (COMPLETE_ACTION_ITEM, json!({ "id": NOBODY })),
        (DROP_ACTION_ITEM, json!({ "id": NOBODY, "reason": "Ei" })),
        (SPAWN, json!({ "id": NOBODY, "input": form("Prosessi", &["it"], 1, 1.0, 1) })),
    ];
    // The pilots context: every query and every mutation.
    let pilot_query = pilot_query();
    let reading = json!({ "value": 1.0, "date": today });
    #[rustfmt::skip]
    let pilots_operations: Vec<(&str, Value)> = vec![
        (PILOTS, json!({})),
        (&pilot_query, json!({ "id": NOBODY })),
        (PORTFOLIO, json!({})),
        (INNOVATION_FUNNEL, json!({})),
        (PLAN_PILOT, json!({ "plan": draft_plan("Pilotti", &["it"]) })),
        (UPDATE_PLAN, json!({ "id": NOBODY, "plan": { "goals": "Tavoite" } })),
        (START_PILOT, json!({ "id": NOBODY })),
        (OBSERVE, json!({ "id": NOBODY, "observation": observation(&today) })),
        (INCIDENT, json!({ "id": NOBODY, "incident": incident(&today) })),
        (DEFINE_BENEFIT, json!({ "id": NOBODY, "benefit": benefit("Hyöty", "h", (2.0, &today), (1.0, &today)) })),
        (MEASURE, json!({ "id": NOBODY, "benefitId": NOBODY, "reading": reading })),
        (EVALUATE, json!({ "id": NOBODY, "evaluation": good_evaluation() })),
        (DECIDE, json!({ "id": NOBODY, "decision": "TO_OPERATION", "basis": basis() })),
        (START_FROM_IDEA, json!({ "ideaId": NOBODY, "plan": draft_plan("Pilotti", &["it"]) })),
    ];
    // The funding context: every query and every mutation.
    let (fund_query, ledger_query) = (fund_query(), ledger_query());
    let (application_query, pipeline_query) = (application_query(), pipeline_query());
    let on = |extra: Value| with(json!({ "id": NOBODY }), extra);
    #[rustfmt::skip]
    let funding_operations: Vec<(&str, Value)> = vec![
        (FUNDS, json!({})),
        (&fund_query, json!({ "id": NOBODY })),
        (&ledger_query, json!({ "fund": NOBODY, "year": 2026 })),
        (&application_query, json!({ "id": NOBODY })),
        (&pipeline_query, json!({})),
        (HISTORY, json!({ "id": period_id(NOBODY, 2026) })),
        (CREATE_FUND, json!({ "terms": fund_terms("Rahasto", "MUNICIPALITY") })),
        (SET_BUDGET, json!({ "fund": NOBODY, "year": 2026, "budget": sek(1) })),
        (SCHEDULE_ROUND, json!({ "fund": NOBODY, "round": round("Kierros", &today, &today) })),
        (DRAFT_APPLICATION, json!({ "fund": NOBODY, "round": NOBODY, "details": draft_details("Hakemus", &["olli"]) })),
        (UPDATE_APPLICATION, on(json!({ "details": { "title": "Uusi" } }))),
        (SUBMIT_APPLICATION, on(json!({}))),
        (WITHDRAW_APPLICATION, on(json!({}))),
        (ASSIGN_REVIEWER, on(json!({ "reviewer": "olli" }))),
        (REVIEW_APPLICATION, on(json!({ "review": review([3, 3]) }))),
        (DECIDE_APPLICATION, decision(NOBODY, NOBODY, "APPROVED", None)),
        (DISBURSE, on(json!({ "amount": sek(1) }))),
        (RECORD_PROGRESS, on(json!({ "report": progress(&today, 1) }))),
        (RETURN_UNSPENT, on(json!({ "amount": sek(1) }))),
    ];
    for (query, variables) in operations
        .into_iter()
        .chain(ideas_operations)
        .chain(pilots_operations)
        .chain(funding_operations)
    {
        let response = refused(&app, Some(&stranger), query, variables, "FORBIDDEN").await;
        assert!(
            response.to_string().contains("FI-0049 is not registered"),
            "{query}: {response:#}"
        );
    }
    for format in ["xlsx", "csv"] {
        let (status, body) = export(&app, &stranger, format).await;
        assert_eq!(status, 403, "{format}: {body}");
        assert!(body.contains("FORBIDDEN"), "{body}");
    }
    // Nor may it subscribe: its WebSocket is closed at `connection_init`, saying why.
    let reason = ws::init_is_closed_with(&app, ws::bearer(&stranger), 4403, "the stranger").await;
    assert!(reason.contains("FI-0049 is not registered"), "{reason}");
    // Nothing was appended in between: the next write directly follows the last one.
    let after = bystander_write(&app).await;
    assert_eq!(after.position(), before.position() + 1);
}

#[tokio::test]
async fn no_operation_reaches_another_municipalitys_unshared_data() {
    let app = App::spawn("tenancy-partners").await.unwrap();
    let dk_admin = app
        .token(
            "admin.syddjurs",
            DK,
            Some("it"),
            &["municipality_admin", "it_portfolio", "employee"],
        )
        .await
        .unwrap();
    let anna = app
        .token("anna", DK, Some("social"), &["employee"])
        .await
        .unwrap();
    // Every role there is in Helsingborg: it grants nothing in Syddjurs.
    let sven = app
        .token(
            "sven",
            SE,
            Some("social"),
            &[
                "employee",
                "department_lead",
                "it_portfolio",
                "innovation_lead",
                "municipality_admin",
            ],
        )
        .await
        .unwrap();

    // Syddjurs: a department, a network Helsingborg is not in, a process it keeps to itself
    // (with a classification of its own), a public one, and a local umbrella.
    ok(&app, &dk_admin, ADD_DEPARTMENT, json!({ "id": "social" })).await;
    let network = id_of(
        &ok(
            &app,
            &dk_admin,
            CREATE_NETWORK,
            json!({ "name": "Østjysk netværk" }),
        )
        .await,
        "createNetwork",
    );
    let internal = submit(
        &app,
        &anna,
        with(
            form("Intern sag", &["social"], 900, 10.0, 50),
            json!({ "visibility": "MUNICIPALITY", "classification": { "scheme": "KLE", "code": "99.99.99" } }),
        ),
    )
    .await;
    let public = submit(
        &app,
        &anna,
        with(
            form("Delt sag", &["social"], 100, 5.0, 50),
            json!({ "visibility": "PUBLIC", "classification": { "scheme": "KLE", "code": "27.24.00" } }),
        ),
    )
    .await;
    let local = ok(
        &app,
        &dk_admin,
        CREATE_UMBRELLA,
        json!({ "title": "Lokale robotter", "v": "MUNICIPALITY" }),
    )
    .await;
    let local = id_of(&local, "createUmbrella");
    let added = ok(
        &app,
        &dk_admin,
        ADD_TO_UMBRELLA,
        json!({ "id": local, "p": internal.id }),
    )
    .await;
    let settled = added["addToUmbrella"]["consistencyToken"]
        .as_str()
        .unwrap()
        .to_owned();

    // An id of another kind of record (an umbrella's, a network's, in the one store of
    // embedded mode) names no process: NOT_FOUND, not an internal error.
    for other in [&local, &network] {
        refused(
            &app,
            Some(&anna),
            "mutation($id: ID!) { commentOnProcess(id: $id, text: \"Hej\") { id } }",
            json!({ "id": other }),
            "NOT_FOUND",
        )
        .await;
    }

    // The directory: Syddjurs' profile, not its departments; not its network.
    let seen = ok(&app, &sven, MUNICIPALITY, json!({ "id": DK })).await;
    assert_eq!(seen["municipality"]["name"], "Syddjurs", "{seen:#}");
    assert_eq!(seen["municipality"]["departments"], Value::Null);
    let seen = ok(&app, &sven, NETWORK, json!({ "id": network })).await;
    assert_eq!(seen["network"], Value::Null);
    let seen = ok(&app, &sven, NETWORKS, json!({})).await;
    assert_eq!(seen["networks"], json!([]));
    for (query, variables) in [
        (INVITE, json!({ "id": network, "m": SE })),
        (ACCEPT, json!({ "id": network })),
        (LEAVE, json!({ "id": network })),
    ] {
        hidden_like_missing(&app, &sven, query, variables).await;
    }
    // Helsingborg's admin changes Helsingborg's tree, never Syddjurs', even where the
    // department ids are the same.
    ok(&app, &sven, ADD_DEPARTMENT, json!({ "id": "social" })).await;
    let renamed = ok(&app, &sven, RENAME_DEPARTMENT, json!({ "id": "social" })).await;
    let token = renamed["renameDepartment"]["consistencyToken"]
        .as_str()
        .unwrap();
    let trees = "query($c: String) { dk: municipality(id: \"DK-0706\", consistency: $c) { departments { id name } } se: municipality(id: \"SE-1283\") { departments { id name } } }";
    let own = ok(&app, &dk_admin, trees, json!({ "c": token })).await;
    assert_eq!(
        own["dk"]["departments"],
        json!([{ "id": "social", "name": "Afdeling" }])
    );
    assert_eq!(own["se"]["departments"], Value::Null, "{own:#}");
    let theirs = ok(&app, &sven, trees, json!({ "c": token })).await;
    assert_eq!(
        theirs["se"]["departments"],
        json!([{ "id": "social", "name": "Ny" }])
    );

    // Umbrellas: a local one does not exist for a partner, in any operation.
    for (query, variables) in [
        (UMBRELLA, json!({ "id": local, "c": settled })),
        (ADD_TO_UMBRELLA, json!({ "id": local, "p": public.id })),
        (
            REMOVE_FROM_UMBRELLA,
            json!({ "id": local, "p": internal.id }),
        ),
        (HISTORY, json!({ "id": local })),
    ] {
        hidden_like_missing(&app, &sven, query, variables).await;
    }
    let listed = ok(&app, &sven, UMBRELLAS, json!({ "c": settled })).await;
    assert_eq!(listed["umbrellas"], json!([]));
    // Helsingborg's own local umbrella cannot hold Syddjurs' process; a public one can.
    let theirs = ok(
        &app,
        &sven,
        CREATE_UMBRELLA,
        json!({ "title": "Lokala robotar", "v": "MUNICIPALITY" }),
    )
    .await;
    refused(
        &app,
        Some(&sven),
        ADD_TO_UMBRELLA,
        json!({ "id": id_of(&theirs, "createUmbrella"), "p": public.id }),
        "BAD_USER_INPUT",
    )
    .await;
    // Syddjurs' unshared process cannot be put under anyone's umbrella or adopted: it
    // looks missing.
    looks_missing(
        &app,
        &sven,
        "mutation($id: ID!, $u: ID!) { addToUmbrella(umbrella: $u, process: $id) { id } }",
        json!({ "u": id_of(&theirs, "createUmbrella") }),
        &internal.id,
        "addToUmbrella",
    )
    .await;
    looks_missing(&app, &sven, ADOPT, json!({}), &internal.id, "adoptProcess").await;
    // What Syddjurs keeps is unchanged: its umbrella still holds exactly its process.
    let umbrella = ok(
        &app,
        &dk_admin,
        UMBRELLA,
        json!({ "id": local, "c": settled }),
    )
    .await;
    assert_eq!(
        umbrella["umbrella"]["members"],
        json!([{ "id": internal.id }])
    );

    // Adoption of the shared process: the origin shows that Helsingborg adopted it, but not
    // the id of a copy Syddjurs may not read.
    let adopted = ok(&app, &sven, ADOPT, json!({ "id": public.id })).await;
    let copy = id_of(&adopted, "adoptProcess");
    let after = adopted["adoptProcess"]["consistencyToken"]
        .as_str()
        .unwrap();
    let origin = ok(&app, &anna, REUSE, json!({ "id": public.id, "c": after })).await;
    assert_eq!(
        origin["process"]["adoptions"],
        json!([{ "municipality": SE, "id": null, "phase": null }]),
        "{origin:#}"
    );
    let own_copy = ok(&app, &sven, REUSE, json!({ "id": copy, "c": after })).await;
    assert_eq!(
        own_copy["process"]["adoptedFrom"],
        json!({ "municipality": DK, "id": public.id })
    );

    // The overview and the history count only what is shared with the caller.
    for viewer in [&sven, &anna] {
        let overview = ok(&app, viewer, OVERVIEW, json!({ "c": after })).await;
        let groups = overview["crossMunicipalOverview"].as_array().unwrap();
        assert!(
            groups.iter().all(|g| g["code"] != "99.99.99"),
            "an unshared process is never counted: {overview:#}"
        );
        let kle = groups
            .iter()
            .find(|g| g["code"] == "27.24.00")
            .expect("the shared process's group");
        assert_eq!(kle["processCount"], 1, "{kle:#}");
        assert_eq!(kle["members"], json!([{ "id": public.id }]));
    }
    let year = this_year();
    let counted = |data: &Value| -> i64 {
        data["statusHistory"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| {
                q["cells"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["count"].as_i64().unwrap())
                    .sum::<i64>()
            })
            .max()
            .unwrap_or(0)
    };
    let variables = json!({ "m": DK, "from": year["from"], "to": year["to"], "c": after });
    let partner = ok(&app, &sven, STATUS_HISTORY, variables.clone()).await;
    assert_eq!(counted(&partner), 1, "only the public process: {partner:#}");
    assert!(
        partner.to_string().contains("\"department\":null"),
        "a partner sees no departments: {partner:#}"
    );
    let member = ok(&app, &anna, STATUS_HISTORY, variables).await;
    assert_eq!(
        counted(&member),
        2,
        "both of Syddjurs' processes: {member:#}"
    );

    // The exports hold only what the partner may read.
    let (status, body) = export(&app, &sven, "xlsx").await;
    assert_eq!(status, 200, "xlsx: {body}");
    let (status, body) = export(&app, &sven, "csv").await;
    assert_eq!(status, 200, "csv: {body}");
    assert!(body.contains(&public.id), "{body}");
    assert!(!body.contains(&internal.id), "{body}");
    assert!(!body.contains("Intern sag"), "{body}");
}

/// `query` with `hidden` answers `code` exactly as with `missing` instead: a record the
/// caller may not see is as unknown as one that does not exist.
async fn as_unknown_as(
    app: &App,
    token: &str,
    query: &str,
    hidden: Value,
    missing: Value,
    code: &str,
) {
    let seen = refused(app, Some(token), query, hidden, code).await;
    let none = refused(app, Some(token), query, missing, code).await;
    assert_eq!(seen, none, "{query}: a hidden record looks unknown");
}

#[tokio::test]
async fn no_ideas_operation_reaches_another_municipalitys_unshared_records() {
    let app = App::spawn("tenancy-ideas").await.unwrap();
    let anna = app
        .token("anna", DK, Some("social"), &["employee"])
        .await
        .unwrap();
    let karin = app
        .token("karin", DK, Some("it"), &["employee", "innovation_lead"])
        .await
        .unwrap();
    let dk_admin = app
        .token("admin.syddjurs", DK, Some("it"), &["municipality_admin"])
        .await
        .unwrap();
    // Every role there is in Helsingborg: it grants nothing in Syddjurs.
    let sven = app
        .token(
            "sven",
            SE,
            Some("social"),
            &[
                "employee",
                "department_lead",
                "it_portfolio",
                "innovation_lead",
                "municipality_admin",
            ],
        )
        .await
        .unwrap();
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (today.to_string(), today.succ_opt().unwrap().to_string());

    // Syddjurs: an open challenge, an idea it keeps to itself answering it, criteria and a
    // score, a workshop on the idea with an action item, and a public process spawned from
    // the idea.
    let challenge = open_challenge(&app, &karin, "Ensomhed", &from, &to).await;
    let internal = submit_idea(
        &app,
        &anna,
        with(
            idea_form("Intern idé", &["social"]),
            json!({ "challenge": challenge.id, "driver": "CHALLENGE_DRIVEN" }),
        ),
    )
    .await
    .id;
    command(
        &app,
        &dk_admin,
        SET_CRITERIA,
        json!({ "criteria": [{ "name": "Nytte", "weight": 1, "scaleMin": 1, "scaleMax": 5 }] }),
    )
    .await;
    command(
        &app,
        &karin,
        SCORE,
        json!({ "id": internal, "scores": [{ "criterion": "Nytte", "value": 4 }] }),
    )
    .await;
    let workshop = record_workshop(&app, &karin, workshop_form("Værksted", &from, &[&internal]))
        .await
        .id;
    let item = add_action_item(
        &app,
        &karin,
        &workshop,
        Some(&internal),
        "Kortlæg",
        "anna",
        &to,
    )
    .await
    .id;
    let spawned = ok(
        &app,
        &karin,
        SPAWN,
        json!({ "id": internal, "input": with(form("Fra idé", &["social"], 10, 1.0, 10), json!({ "visibility": "PUBLIC" })) }),
    )
    .await;
    let settled = spawned["spawnProcessFromIdea"]["consistencyToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let process = spawned["spawnProcessFromIdea"]["processId"]
        .as_str()
        .unwrap()
        .to_owned();

    // Helsingborg: a challenge, an idea and a workshop of its own.
    let own_challenge = open_challenge(&app, &sven, "Ensamhet", &from, &to).await.id;
    let own_idea = submit_idea(&app, &sven, idea_form("Egen idé", &["social"]))
        .await
        .id;
    let own_workshop = record_workshop(&app, &sven, workshop_form("Verkstad", &from, &[]))
        .await
        .id;

    // Every operation that names one of Syddjurs' records answers exactly as for a record
    // that does not exist.
    let idea_query = idea_query();
    let criteria_stream = format!("idea-criteria:{DK}");
    #[rustfmt::skip]
    let named: Vec<(&str, Value)> = vec![
        (&idea_query, json!({ "id": internal, "c": settled })),
        (HISTORY, json!({ "id": internal })),
        (UPDATE_IDEA, json!({ "id": internal, "input": { "title": "Min" } })),
        (DECIDE_GATE, json!({ "id": internal, "to": "EXPLORING", "rationale": "Ja" })),
        (SUPPORT, json!({ "id": internal })),
        (WITHDRAW, json!({ "id": internal })),
        (COMMENT, json!({ "id": internal, "text": "Hej" })),
        (SCORE, json!({ "id": internal, "scores": [{ "criterion": "Nytte", "value": 4 }] })),
        (SPAWN, json!({ "id": internal, "input": form("Stöld", &["social"], 1, 1.0, 1) })),
        (CHALLENGE, json!({ "id": challenge.id, "c": settled })),
        (HISTORY, json!({ "id": challenge.id })),
        (PUBLISH_CHALLENGE, json!({ "id": challenge.id })),
        (CLOSE_CHALLENGE, json!({ "id": challenge.id })),
        (WORKSHOP, json!({ "id": workshop, "c": settled })),
        (HISTORY, json!({ "id": workshop })),
        (HISTORY, json!({ "id": item })),
        (COMPLETE_ACTION_ITEM, json!({ "id": item })),
        (DROP_ACTION_ITEM, json!({ "id": item, "reason": "Nej" })),
    ];
    for (query, variables) in named {
        hidden_like_missing(&app, &sven, query, variables).await;
    }
    // So does a subscription to the idea's changes.
    let changed = "subscription($id: ID!) { ideaChanged(id: $id) { id title } }";
    ws::subscription_hidden_like_missing(&app, &sven, changed, json!({ "id": internal })).await;
    // Syddjurs' criteria look like those of a municipality that never set any.
    as_unknown_as(
        &app,
        &sven,
        HISTORY,
        json!({ "id": criteria_stream }),
        json!({ "id": format!("idea-criteria:{NO}") }),
        "NOT_FOUND",
    )
    .await;
    // Helsingborg's own records cannot name Syddjurs' either.
    let add_item = |workshop: &str, idea: Option<&str>| json!({ "input": { "workshop": workshop, "idea": idea, "title": "Gör", "owner": "sven", "deadline": to } });
    let answer = |challenge: &str| json!({ "input": with(idea_form("Svar", &["social"]), json!({ "challenge": challenge })) });
    let on = |ideas: &[&str], challenge: Option<&str>| json!({ "input": with(workshop_form("V", &from, ideas), json!({ "challenge": challenge })) });
    #[rustfmt::skip]
    let referring: Vec<(&str, Value, Value, &str)> = vec![
        (ADD_ACTION_ITEM, add_item(&workshop, None), add_item(NOBODY, None), "NOT_FOUND"),
        (ADD_ACTION_ITEM, add_item(&own_workshop, Some(&internal)), add_item(&own_workshop, Some(NOBODY)), "BAD_USER_INPUT"),
        (SUBMIT_IDEA, answer(&challenge.id), answer(NOBODY), "BAD_USER_INPUT"),
        (UPDATE_IDEA, json!({ "id": own_idea, "input": { "challenge": challenge.id } }), json!({ "id": own_idea, "input": { "challenge": NOBODY } }), "BAD_USER_INPUT"),
        (RECORD_WORKSHOP, on(&[&internal], None), on(&[NOBODY], None), "BAD_USER_INPUT"),
        (RECORD_WORKSHOP, on(&[], Some(&challenge.id)), on(&[], Some(NOBODY)), "BAD_USER_INPUT"),
    ];
    for (query, hidden, missing, code) in referring {
        as_unknown_as(&app, &sven, query, hidden, missing, code).await;
    }

    // Helsingborg's lists and criteria hold only its own; its criteria change only its own.
    let own = command(
        &app,
        &sven,
        SET_CRITERIA,
        json!({ "criteria": [{ "name": "Värde", "weight": 2, "scaleMin": 0, "scaleMax": 10 }] }),
    )
    .await;
    let c = json!({ "c": own.token });
    let challenges = ok(&app, &sven, CHALLENGES, c.clone()).await;
    assert_eq!(
        ids(challenges["challenges"].as_array().unwrap()),
        [own_challenge.as_str()]
    );
    let workshops = ok(&app, &sven, WORKSHOPS, c.clone()).await;
    assert_eq!(
        ids(workshops["workshops"].as_array().unwrap()),
        [own_workshop.as_str()]
    );
    assert_eq!(
        action_items(&app, &sven, json!({}), &own.token).await,
        Vec::<Value>::new()
    );
    let filtered = action_items(
        &app,
        &sven,
        json!({ "workshop": workshop, "idea": internal }),
        &own.token,
    )
    .await;
    assert_eq!(filtered, Vec::<Value>::new());
    let criteria = ok(&app, &sven, CRITERIA, c.clone()).await;
    assert_eq!(criteria["ideaCriteria"][0]["name"], "Värde");
    let theirs = ok(&app, &anna, CRITERIA, c.clone()).await;
    assert_eq!(
        theirs["ideaCriteria"],
        json!([{ "name": "Nytte", "weight": 1, "scaleMin": 1, "scaleMax": 5, "lowerIsBetter": false }])
    );
    let listed = ok(
        &app,
        &sven,
        IDEAS,
        json!({ "filter": { "municipality": DK }, "c": own.token }),
    )
    .await;
    assert_eq!(total(&listed["ideas"]), 0, "{listed:#}");
    let everything = ok(&app, &sven, IDEAS, json!({ "c": own.token })).await;
    assert_eq!(column(&everything["ideas"], "id"), [own_idea.as_str()]);
    // The funnel of Syddjurs counts nothing Helsingborg may not read, not even the process.
    let funnel = ok(&app, &sven, FUNNEL, json!({ "m": DK, "c": own.token })).await;
    let funnel = &funnel["ideaFunnel"];
    assert!(
        funnel["stages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["ideas"] == 0),
        "{funnel:#}"
    );
    assert_eq!(funnel["becameProcesses"], 0);
    let mine = ok(&app, &anna, FUNNEL, json!({ "m": DK, "c": own.token })).await;
    assert_eq!(mine["ideaFunnel"]["becameProcesses"], 1);

    // The public process spawned from the unshared idea does not say where it came from: the
    // origin is internal to the municipality.
    let origin = ok(&app, &sven, ORIGIN, json!({ "id": process, "c": settled })).await;
    assert_eq!(origin["process"]["sharedWithYou"], true);
    assert_eq!(origin["process"]["originIdea"], Value::Null);

    // Syddjurs' records are as they were.
    let seen = idea(&app, &anna, &internal, &own.token).await;
    assert_eq!(seen["title"], "Intern idé");
    assert_eq!(seen["stage"], "SUBMITTED");
    assert_eq!(seen["supportCount"], 0);
    assert_eq!(seen["comments"], json!([]));
    assert_eq!(seen["scores"].as_array().unwrap().len(), 1);
    assert_eq!(seen["outcomes"].as_array().unwrap().len(), 1);
    assert_eq!(seen["actionItems"][0]["status"], "OPEN");
    let challenge_now = ok(
        &app,
        &anna,
        CHALLENGE,
        json!({ "id": challenge.id, "c": own.token }),
    )
    .await;
    assert_eq!(challenge_now["challenge"]["status"], "OPEN");
    assert_eq!(challenge_now["challenge"]["ideaCount"], 1);
}

#[tokio::test]
async fn a_partner_supports_and_comments_on_a_shared_idea_and_reads_it_without_people_or_departments()
 {
    let app = App::spawn("tenancy-shared-ideas").await.unwrap();
    let anna = app
        .token("anna", DK, Some("social"), &["employee"])
        .await
        .unwrap();
    let karin = app
        .token("karin", DK, Some("it"), &["employee", "innovation_lead"])
        .await
        .unwrap();
    let dk_admin = app
        .token("admin.syddjurs", DK, Some("it"), &["municipality_admin"])
        .await
        .unwrap();
    let se_admin = app
        .token("admin.helsingborg", SE, Some("it"), &["municipality_admin"])
        .await
        .unwrap();
    let sven = app
        .token(
            "sven",
            SE,
            Some("social"),
            &["employee", "innovation_lead", "municipality_admin"],
        )
        .await
        .unwrap();
    // Uppsala: registered, in no network with Syddjurs.
    let ulla = app
        .token("ulla", "SE-0380", Some("social"), &["employee"])
        .await
        .unwrap();
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (today.to_string(), today.succ_opt().unwrap().to_string());

    // Syddjurs: a public idea and a network one, each with a submitter, a named reviewer,
    // departments, a gate decided with its decider, a score, a comment, an action item, and
    // a process it became that Syddjurs keeps to itself.
    command(
        &app,
        &dk_admin,
        SET_CRITERIA,
        json!({ "criteria": [{ "name": "Nytte", "weight": 1, "scaleMin": 1, "scaleMax": 5 }] }),
    )
    .await;
    let workshop = record_workshop(&app, &karin, workshop_form("Værksted", &from, &[]))
        .await
        .id;
    let challenge = open_challenge(&app, &karin, "Ensomhed", &from, &to)
        .await
        .id;
    let mut shared = Vec::new();
    for visibility in ["PUBLIC", "NETWORK"] {
        let id = submit_idea(
            &app,
            &anna,
            with(
                idea_form(&format!("Delt idé {visibility}"), &["social", "it"]),
                json!({ "visibility": visibility, "reviewers": ["rita"], "challenge": challenge }),
            ),
        )
        .await
        .id;
        gate(&app, &karin, &id, "EXPLORING", "Lovende", None).await;
        command(
            &app,
            &karin,
            SCORE,
            json!({ "id": id, "scores": [{ "criterion": "Nytte", "value": 5 }] }),
        )
        .await;
        command(
            &app,
            &anna,
            COMMENT,
            json!({ "id": id, "text": "Første kommentar" }),
        )
        .await;
        add_action_item(&app, &karin, &workshop, Some(&id), "Kortlæg", "anna", &to).await;
        command(
            &app,
            &karin,
            SPAWN,
            json!({ "id": id, "input": form("Intern proces", &["social"], 10, 1.0, 10) }),
        )
        .await;
        shared.push(id);
    }
    let (public, network) = (shared[0].clone(), shared[1].clone());

    // The network idea is Syddjurs' own until Helsingborg is in a network with it; Uppsala
    // never sees it.
    let created = ok(
        &app,
        &dk_admin,
        CREATE_NETWORK,
        json!({ "name": "Øresund" }),
    )
    .await;
    let network_id = created["createNetwork"]["id"].as_str().unwrap().to_owned();
    for (query, variables) in [
        (SUPPORT, json!({ "id": network })),
        (COMMENT, json!({ "id": network, "text": "Hej" })),
        (HISTORY, json!({ "id": network })),
    ] {
        hidden_like_missing(&app, &sven, query, variables).await;
    }
    ok(
        &app,
        &dk_admin,
        INVITE,
        json!({ "id": network_id, "m": SE }),
    )
    .await;
    ok(&app, &se_admin, ACCEPT, json!({ "id": network_id })).await;

    for id in [&public, &network] {
        // Helsingborg supports it, once, and may withdraw; it comments.
        let supported = command(&app, &sven, SUPPORT, json!({ "id": id })).await;
        let again = refused(
            &app,
            Some(&sven),
            SUPPORT,
            json!({ "id": id }),
            "BAD_USER_INPUT",
        )
        .await;
        assert!(again.to_string().contains("already supports"), "{again:#}");
        let seen = idea(&app, &sven, id, &supported.token).await;
        assert_eq!(
            (&seen["supportCount"], &seen["supportedByMe"]),
            (&json!(1), &json!(true))
        );
        let withdrawn = command(&app, &sven, WITHDRAW, json!({ "id": id })).await;
        assert_eq!(
            idea(&app, &sven, id, &withdrawn.token).await["supportCount"],
            0
        );
        command(&app, &sven, SUPPORT, json!({ "id": id })).await;
        let commented = command(
            &app,
            &sven,
            COMMENT,
            json!({ "id": id, "text": "Vi vill också" }),
        )
        .await;

        // It reads the idea without people or departments, nor its action items or the
        // process it became.
        let seen = idea(&app, &sven, id, &commented.token).await;
        assert_eq!(seen["sharedWithYou"], true, "{seen:#}");
        assert_eq!(seen["municipality"], DK);
        assert_eq!(seen["submitter"], Value::Null);
        assert_eq!(seen["departments"], json!([]));
        assert_eq!(seen["reviewers"], json!([]));
        assert_eq!(seen["scores"], Value::Null);
        assert_eq!(seen["updatedAt"], Value::Null);
        assert_eq!(seen["gateDecisions"][0]["decider"], Value::Null);
        assert_eq!(seen["gateDecisions"][0]["rationale"], "Lovende");
        assert_eq!(
            seen["comments"],
            json!([
                { "author": null, "authorMunicipality": DK, "text": "Første kommentar" },
                { "author": "sven", "authorMunicipality": SE, "text": "Vi vill också" },
            ])
        );
        assert_eq!(seen["actionItems"], json!([]));
        assert_eq!(
            seen["challenge"],
            Value::Null,
            "challenges are members' only"
        );
        assert_eq!(
            seen["outcomes"],
            json!([]),
            "what an idea became is internal to its municipality"
        );
        let text = seen.to_string();
        for person in ["anna", "karin", "rita", "\"social\"", "\"it\""] {
            assert!(!text.contains(person), "{person} in {seen:#}");
        }
        // Nor does its history show them.
        let events = ok(
            &app,
            &sven,
            "query($id: ID!) { history(id: $id) { type actor actorMunicipality data } }",
            json!({ "id": id }),
        )
        .await;
        let text = events.to_string();
        for person in ["anna", "karin", "rita", "\"social\"", "\"it\""] {
            assert!(!text.contains(person), "{person} in {events:#}");
        }
        assert!(
            text.contains("\"sven\""),
            "its own actions name it: {events:#}"
        );

        // Syddjurs sees Helsingborg's support and comment, without who.
        let member = idea(&app, &anna, id, &commented.token).await;
        assert_eq!(member["supportCount"], 1);
        assert_eq!(
            member["comments"][1],
            json!({ "author": null, "authorMunicipality": SE, "text": "Vi vill också" })
        );

        // It changes nothing else of the idea, whatever its roles.
        #[rustfmt::skip]
        let changes: Vec<(&str, Value, &str)> = vec![
            (UPDATE_IDEA, json!({ "id": id, "input": { "title": "Vår" } }), "FORBIDDEN"),
            (DECIDE_GATE, json!({ "id": id, "to": "DESIGNING", "rationale": "Ja", "outcome": "PARTNERSHIP" }), "FORBIDDEN"),
            (SCORE, json!({ "id": id, "scores": [{ "criterion": "Nytte", "value": 1 }] }), "FORBIDDEN"),
            (SPAWN, json!({ "id": id, "input": form("Vår process", &["social"], 1, 1.0, 1) }), "FORBIDDEN"),
        ];
        for (query, variables, code) in changes {
            refused(&app, Some(&sven), query, variables, code).await;
        }
        // An idea of Syddjurs cannot be worked on in Helsingborg's workshops either.
        let own = record_workshop(&app, &sven, workshop_form("Verkstad", &from, &[]))
            .await
            .id;
        as_unknown_as(
            &app,
            &sven,
            RECORD_WORKSHOP,
            json!({ "input": workshop_form("V", &from, &[id]) }),
            json!({ "input": workshop_form("V", &from, &[NOBODY]) }),
            "BAD_USER_INPUT",
        )
        .await;
        as_unknown_as(
            &app,
            &sven,
            ADD_ACTION_ITEM,
            json!({ "input": { "workshop": own, "idea": id, "title": "Gör", "owner": "sven", "deadline": to } }),
            json!({ "input": { "workshop": own, "idea": NOBODY, "title": "Gör", "owner": "sven", "deadline": to } }),
            "BAD_USER_INPUT",
        )
        .await;

        // Uppsala, in no network with Syddjurs, reads the public idea only.
        if *id == network {
            for (query, variables) in [
                (SUPPORT, json!({ "id": id })),
                (COMMENT, json!({ "id": id, "text": "Hej" })),
                (HISTORY, json!({ "id": id })),
            ] {
                hidden_like_missing(&app, &ulla, query, variables).await;
            }
        } else {
            command(&app, &ulla, SUPPORT, json!({ "id": id })).await;
        }
    }

    // A Helsingborg user with the same user id as a Syddjurs one is someone else: Anna of
    // Helsingborg's support is not Anna of Syddjurs', nor is her comment.
    let other_anna = app
        .token("anna", SE, Some("social"), &["employee"])
        .await
        .unwrap();
    command(&app, &other_anna, SUPPORT, json!({ "id": public })).await;
    let commented = command(
        &app,
        &other_anna,
        COMMENT,
        json!({ "id": public, "text": "Anna i Helsingborg" }),
    )
    .await;
    let seen = idea(&app, &anna, &public, &commented.token).await;
    assert_eq!(
        seen["supportCount"], 3,
        "sven, ulla and the other anna: {seen:#}"
    );
    assert_eq!(seen["supportedByMe"], false);
    assert_eq!(
        seen["comments"].as_array().unwrap().last().unwrap(),
        &json!({ "author": null, "authorMunicipality": SE, "text": "Anna i Helsingborg" })
    );
    refused(
        &app,
        Some(&anna),
        WITHDRAW,
        json!({ "id": public }),
        "BAD_USER_INPUT",
    )
    .await;
    let supported = command(&app, &anna, SUPPORT, json!({ "id": public })).await;
    let seen = idea(&app, &other_anna, &public, &supported.token).await;
    assert_eq!(
        (&seen["supportCount"], &seen["supportedByMe"]),
        (&json!(4), &json!(true))
    );
    assert_eq!(
        seen["comments"].as_array().unwrap().last().unwrap()["author"],
        "anna"
    );

    // Helsingborg lists both, and the funnel of Syddjurs counts what it may read.
    let last = bystander_write(&app).await;
    let listed = ok(
        &app,
        &sven,
        IDEAS,
        json!({ "filter": { "municipality": DK }, "c": last.token }),
    )
    .await;
    let mut listed = column(&listed["ideas"], "id");
    listed.sort();
    let mut expected = vec![public.clone(), network.clone()];
    expected.sort();
    assert_eq!(listed, expected);
    let funnel = ok(&app, &sven, FUNNEL, json!({ "m": DK, "c": last.token })).await;
    let exploring = funnel["ideaFunnel"]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "EXPLORING")
        .unwrap()["ideas"]
        .clone();
    assert_eq!(exploring, 2, "{funnel:#}");
    let uppsala = ok(
        &app,
        &ulla,
        IDEAS,
        json!({ "filter": { "municipality": DK }, "c": last.token }),
    )
    .await;
    assert_eq!(column(&uppsala["ideas"], "id"), [public.as_str()]);
    // The departments a partner does not see do not select what it lists either.
    for filter in [
        json!({ "municipality": DK, "department": "social" }),
        json!({ "department": "it" }),
    ] {
        let listed = ok(
            &app,
            &sven,
            IDEAS,
            json!({ "filter": filter, "c": last.token }),
        )
        .await;
        assert_eq!(total(&listed["ideas"]), 0, "{filter}: {listed:#}");
    }
}

#[tokio::test]
async fn a_challenge_a_partner_cannot_see_selects_no_shared_ideas_for_it() {
    let app = App::spawn("tenancy-challenge-filter").await.unwrap();
    let anna = app
        .token("anna", DK, Some("social"), &["employee"])
        .await
        .unwrap();
    let karin = app
        .token("karin", DK, Some("it"), &["employee", "innovation_lead"])
        .await
        .unwrap();
    let sven = app
        .token("sven", SE, Some("social"), &["employee"])
        .await
        .unwrap();
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (today.to_string(), today.succ_opt().unwrap().to_string());
    // Given Syddjurs' challenge, which Helsingborg cannot see, and a public idea answering it.
    let challenge = open_challenge(&app, &karin, "Ensomhed", &from, &to)
        .await
        .id;
    let public = submit_idea(
        &app,
        &anna,
        with(
            idea_form("Delt idé", &["social"]),
            json!({ "visibility": "PUBLIC", "challenge": challenge }),
        ),
    )
    .await;
    hidden_like_missing(&app, &sven, CHALLENGE, json!({ "id": challenge })).await;
    let seen = idea(&app, &sven, &public.id, &public.token).await;
    assert_eq!(seen["challenge"], Value::Null);
    // Then listing by that challenge answers exactly as by one that does not exist: the
    // challenge's existence and what answers it are not told by a filter either.
    let by = async |challenge: &str| {
        ok(
            &app,
            &sven,
            IDEAS,
            json!({ "filter": { "challenge": challenge }, "c": public.token }),
        )
        .await
    };
    assert_eq!(by(&challenge).await, by(NOBODY).await);
}

#[tokio::test]
async fn the_history_of_a_shared_record_names_no_linked_record_the_partner_cannot_see() {
    let app = App::spawn("tenancy-link-history").await.unwrap();
    let anna = app
        .token("anna", DK, Some("social"), &["employee"])
        .await
        .unwrap();
    let karin = app
        .token("karin", DK, Some("it"), &["employee", "innovation_lead"])
        .await
        .unwrap();
    let sven = app
        .token("sven", SE, Some("social"), &["employee"])
        .await
        .unwrap();
    let spawn = async |idea: &str, visibility: &str| {
        let data = ok(
            &app,
            &karin,
            SPAWN,
            json!({ "id": idea, "input": with(form("Proces", &["social"], 1, 1.0, 1), json!({ "visibility": visibility })) }),
        )
        .await;
        let payload = &data["spawnProcessFromIdea"];
        (
            payload["processId"].as_str().unwrap().to_owned(),
            payload["consistencyToken"].as_str().unwrap().to_owned(),
        )
    };
    // Given a public process spawned from an idea Syddjurs keeps to itself, and a public
    // idea, answering a challenge (members' only), that spawned a process Syddjurs keeps to
    // itself.
    let internal_idea = submit_idea(&app, &anna, idea_form("Intern idé", &["social"]))
        .await
        .id;
    let (public_process, _) = spawn(&internal_idea, "PUBLIC").await;
    let today = chrono::Utc::now().date_naive();
    let challenge = open_challenge(
        &app,
        &karin,
        "Ensomhed",
        &today.to_string(),
        &today.succ_opt().unwrap().to_string(),
    )
    .await
    .id;
    let public_idea = submit_idea(
        &app,
        &anna,
        with(
            idea_form("Delt idé", &["social"]),
            json!({ "visibility": "PUBLIC", "challenge": challenge }),
        ),
    )
    .await
    .id;
    let (internal_process, settled) = spawn(&public_idea, "MUNICIPALITY").await;

    // The views name neither hidden record's id to Helsingborg...
    let origin = ok(
        &app,
        &sven,
        ORIGIN,
        json!({ "id": public_process, "c": settled }),
    )
    .await;
    assert_eq!(origin["process"]["originIdea"], Value::Null);
    let seen = idea(&app, &sven, &public_idea, &settled).await;
    assert_eq!(seen["outcomes"], json!([]));
    assert_eq!(seen["challenge"], Value::Null);
    // ...and neither does the history of the record it may read.
    let history_of = async |id: &str| {
        ok(
            &app,
            &sven,
            "query($id: ID!) { history(id: $id) { type data } }",
            json!({ "id": id }),
        )
        .await
        .to_string()
    };
    let (process_events, idea_events) = (
        history_of(&public_process).await,
        history_of(&public_idea).await,
    );
    let leaks = [
        (
            process_events.contains(&internal_idea),
            "the process's history names the unshared idea",
        ),
        (
            idea_events.contains(&internal_process),
            "the idea's history names the unshared process",
        ),
        (
            idea_events.contains(&challenge),
            "the idea's history names the challenge",
        ),
    ];
    let leaks: Vec<_> = leaks
        .iter()
        .filter(|(leak, _)| *leak)
        .map(|(_, what)| *what)
        .collect();
    assert!(
        leaks.is_empty(),
        "{leaks:?}\n{process_events}\n{idea_events}"
    );
}

/// The people of the pilots' cross-tenant tests: Syddjurs' employee Anna (the pilots'
/// responsible person) and innovation lead Karin, and Sven of Helsingborg with every role
/// there is.
struct PilotPeople {
    anna: String,
    karin: String,
    sven: String,
}

async fn pilot_people(app: &App) -> PilotPeople {
    PilotPeople {
        anna: app
            .token("anna", DK, Some("social"), &["employee"])
            .await
            .unwrap(),
        karin: app
            .token("karin", DK, Some("it"), &["employee", "innovation_lead"])
            .await
            .unwrap(),
        sven: app
            .token(
                "sven",
                SE,
                Some("social"),
                &[
                    "employee",
                    "department_lead",
                    "it_portfolio",
                    "innovation_lead",
                    "municipality_admin",
                ],
            )
            .await
            .unwrap(),
    }
}

/// Days from today, as an ISO date.
fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

/// A pilot of Syddjurs' social department with `visibility`, planned by `lead` from `idea`
/// with Anna responsible, a benefit (hours, 40 → 10, owned by Kari), started, observed by
/// Anna, measured, with an incident. Its id, the benefit's id and the last write.
async fn shared_pilot(
    app: &App,
    lead: &str,
    idea: &str,
    title: &str,
    visibility: &str,
) -> (String, String, Written) {
    let plan = with(
        complete_plan(title, &["social"], "anna", &day(0), &day(60)),
        json!({ "visibility": visibility, "anchoring": ["social"] }),
    );
    let (_, id) = start_from_idea(app, lead, idea, plan).await;
    let defined = define_benefit(
        app,
        lead,
        &id,
        benefit("Timer", "timer/uge", (40.0, &day(-30)), (10.0, &day(300))),
    )
    .await;
    let hours = benefit_id(app, lead, &id, "Timer", &defined.token).await;
    start_pilot(app, lead, &id).await;
    command(
        app,
        lead,
        OBSERVE,
        json!({ "id": id, "observation": with(observation(&day(0)), json!({ "observer": "anna" })) }),
    )
    .await;
    command(
        app,
        lead,
        INCIDENT,
        json!({ "id": id, "incident": incident(&day(0)) }),
    )
    .await;
    let last = measure(app, lead, &id, &hours, 25.0, &day(0)).await;
    (id, hours, last)
}

#[tokio::test]
async fn no_pilots_operation_reaches_another_municipalitys_unshared_pilots() {
    let app = App::spawn("tenancy-pilots").await.unwrap();
    let p = pilot_people(&app).await;

    // Syddjurs: an idea it keeps to itself, a running pilot from it that it keeps to itself
    // too, and an evaluated one.
    let internal_idea = submit_idea(&app, &p.anna, idea_form("Intern idé", &["social"]))
        .await
        .id;
    let (internal, hours, _) = shared_pilot(
        &app,
        &p.karin,
        &internal_idea,
        "Intern pilot",
        "MUNICIPALITY",
    )
    .await;
    let (evaluated, _, _) = shared_pilot(
        &app,
        &p.karin,
        &internal_idea,
        "Evalueret pilot",
        "MUNICIPALITY",
    )
    .await;
    let settled = evaluate(&app, &p.karin, &evaluated, good_evaluation()).await;
    // Helsingborg: a pilot of its own.
    let own = plan_pilot(&app, &p.sven, draft_plan("Egen pilot", &["social"])).await;

    // Every operation that names one of Syddjurs' pilots answers exactly as for a pilot that
    // does not exist.
    let pilot_query = pilot_query();
    let reading = json!({ "value": 20.0, "date": day(0) });
    #[rustfmt::skip]
    let named: Vec<(&str, Value)> = vec![
        (&pilot_query, json!({ "id": internal, "c": settled.token })),
        (HISTORY, json!({ "id": internal })),
        (UPDATE_PLAN, json!({ "id": internal, "plan": { "goals": "Våra mål" } })),
        (START_PILOT, json!({ "id": internal })),
        (OBSERVE, json!({ "id": internal, "observation": observation(&day(0)) })),
        (INCIDENT, json!({ "id": internal, "incident": incident(&day(0)) })),
        (DEFINE_BENEFIT, json!({ "id": internal, "benefit": benefit("Vår nytta", "kr", (1.0, &day(-1)), (2.0, &day(1))) })),
        (DEFINE_BENEFIT, json!({ "id": internal, "benefitId": hours, "benefit": benefit("Timer", "kr", (1.0, &day(-1)), (2.0, &day(1))) })),
        (MEASURE, json!({ "id": internal, "benefitId": hours, "reading": reading })),
        (EVALUATE, json!({ "id": internal, "evaluation": good_evaluation() })),
        (HISTORY, json!({ "id": evaluated })),
        (DECIDE, json!({ "id": evaluated, "decision": "TO_OPERATION", "basis": basis() })),
        (DECIDE, json!({ "id": evaluated, "decision": "STOP", "whyStopped": "Vi vill inte", "basis": basis() })),
    ];
    for (query, variables) in named {
        hidden_like_missing(&app, &p.sven, query, variables).await;
    }
    // So does a subscription to a pilot's changes.
    let changed = "subscription($id: ID!) { pilotChanged(id: $id) { id status } }";
    for id in [&internal, &evaluated] {
        ws::subscription_hidden_like_missing(&app, &p.sven, changed, json!({ "id": id })).await;
    }
    // Nor does Helsingborg start a pilot from Syddjurs' idea.
    let from_idea =
        |idea: &str| json!({ "ideaId": idea, "plan": draft_plan("Stöld", &["social"]) });
    as_unknown_as(
        &app,
        &p.sven,
        START_FROM_IDEA,
        from_idea(&internal_idea),
        from_idea(NOBODY),
        "NOT_FOUND",
    )
    .await;

    // Helsingborg's lists hold only its own; a filter naming Syddjurs' idea selects nothing,
    // as one naming no idea; Syddjurs' portfolio holds nothing for it, and its funnel is its
    // members' only.
    let c = json!({ "c": own.token });
    let listed = ok(&app, &p.sven, PILOTS, c.clone()).await;
    assert_eq!(column(&listed["pilots"], "id"), [own.id.as_str()]);
    let by_idea = async |idea: &str| {
        ok(
            &app,
            &p.sven,
            PILOTS,
            json!({ "filter": { "idea": idea }, "c": own.token }),
        )
        .await
    };
    assert_eq!(by_idea(&internal_idea).await, by_idea(NOBODY).await);
    assert_eq!(total(&by_idea(&internal_idea).await["pilots"]), 0);
    let portfolio = ok(&app, &p.sven, PORTFOLIO, json!({ "m": DK, "c": own.token })).await;
    let counted: i64 = portfolio["pilotPortfolio"]["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_i64().unwrap())
        .sum();
    assert_eq!(counted, 0, "{portfolio:#}");
    refused(
        &app,
        Some(&p.sven),
        INNOVATION_FUNNEL,
        json!({ "m": DK, "c": own.token }),
        "FORBIDDEN",
    )
    .await;

    // Syddjurs' pilots are as they were.
    let seen = pilot(&app, &p.anna, &internal, &own.token).await;
    assert_eq!(seen["status"], "RUNNING");
    assert_eq!(seen["plan"]["goals"], topics("anna", "", "")["goals"]);
    assert_eq!(seen["observations"].as_array().unwrap().len(), 1);
    assert_eq!(seen["incidents"].as_array().unwrap().len(), 1);
    assert_eq!(seen["benefits"].as_array().unwrap().len(), 1);
    assert_eq!(
        seen["benefits"][0]["measurements"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let seen = pilot(&app, &p.anna, &evaluated, &own.token).await;
    assert_eq!(seen["status"], "EVALUATING");
    assert_eq!(seen["decision"], Value::Null);
}

#[tokio::test]
async fn a_partner_reads_a_shared_pilot_without_people_or_departments_and_changes_nothing() {
    let app = App::spawn("tenancy-shared-pilots").await.unwrap();
    let p = pilot_people(&app).await;
    // Uppsala: registered, in no network with Syddjurs.
    let ulla = app
        .token("ulla", "SE-0380", Some("social"), &["employee"])
        .await
        .unwrap();

    // Syddjurs: an idea, a public and a network pilot from it, each evaluated and extended
    // by Karin, and a pilot it keeps to itself.
    let idea_id = submit_idea(&app, &p.anna, idea_form("Nattilsyn", &["social"]))
        .await
        .id;
    let mut shared = Vec::new();
    for visibility in ["PUBLIC", "NETWORK"] {
        let title = format!("Delt pilot {visibility}");
        let (id, _, _) = shared_pilot(&app, &p.karin, &idea_id, &title, visibility).await;
        evaluate(&app, &p.karin, &id, good_evaluation()).await;
        decide(
            &app,
            &p.karin,
            &id,
            "EXTEND",
            json!({ "newEndDate": day(90) }),
        )
        .await;
        shared.push(id);
    }
    let (public, network) = (shared[0].clone(), shared[1].clone());
    let internal = plan_pilot(&app, &p.karin, draft_plan("Intern", &["social"])).await;
    // The views hold every pilot before Helsingborg joins; its reads then wait for the join.
    pilot(&app, &p.anna, &internal.id, &internal.token).await;

    // The network pilot is Syddjurs' own until Helsingborg is in a network with it.
    hidden_like_missing(&app, &p.sven, HISTORY, json!({ "id": network })).await;
    let joined = network_of_syddjurs_and_helsingborg(&app).await;

    for id in [&public, &network] {
        // Helsingborg reads the pilot, its plan, run, benefits, evaluation and decision,
        // without people, departments or where it came from.
        let seen = pilot(&app, &p.sven, id, &joined).await;
        assert_eq!(seen["sharedWithYou"], true, "{seen:#}");
        assert_eq!(seen["municipality"], DK);
        assert_eq!(seen["status"], "RUNNING");
        assert_eq!(seen["plan"]["endDate"], day(90));
        assert_eq!(seen["plan"]["goals"], topics("", "", "")["goals"]);
        assert_eq!(seen["plan"]["departments"], Value::Null);
        assert_eq!(seen["plan"]["anchoring"], Value::Null);
        assert_eq!(seen["plan"]["responsible"], Value::Null);
        assert_eq!(seen["origin"], Value::Null, "the origin is internal");
        assert_eq!(seen["observations"][0]["observer"], Value::Null);
        assert_eq!(seen["observations"][0]["worked"], observation("")["worked"]);
        assert_eq!(seen["incidents"].as_array().unwrap().len(), 1);
        assert_eq!(seen["benefits"][0]["owner"], Value::Null);
        assert_eq!(seen["benefits"][0]["realisation"], 50.0);
        assert_eq!(seen["decision"]["decision"], "EXTEND");
        assert_eq!(seen["decision"]["decider"], Value::Null);
        assert_eq!(seen["decision"]["basis"], basis());
        let text = seen.to_string();
        for hidden in ["anna", "karin", "kari", "\"social\"", &idea_id] {
            assert!(!text.contains(hidden), "{hidden} in {seen:#}");
        }
        // Nor does its history show them.
        let events = ok(
            &app,
            &p.sven,
            "query($id: ID!) { history(id: $id) { type actor actorMunicipality data } }",
            json!({ "id": id }),
        )
        .await;
        let text = events.to_string();
        for hidden in ["anna", "karin", "\"social\"", &idea_id] {
            assert!(!text.contains(hidden), "{hidden} in {events:#}");
        }
        assert!(text.contains("PilotDecided"), "{events:#}");

        // It changes nothing of it, whatever its roles.
        let reading = json!({ "value": 20.0, "date": day(0) });
        #[rustfmt::skip]
        let changes: Vec<(&str, Value)> = vec![
            (UPDATE_PLAN, json!({ "id": id, "plan": { "goals": "Våra mål" } })),
            (START_PILOT, json!({ "id": id })),
            (OBSERVE, json!({ "id": id, "observation": observation(&day(0)) })),
            (INCIDENT, json!({ "id": id, "incident": incident(&day(0)) })),
            (DEFINE_BENEFIT, json!({ "id": id, "benefit": benefit("Vår nytta", "kr", (1.0, &day(-1)), (2.0, &day(1))) })),
            (MEASURE, json!({ "id": id, "benefitId": seen["benefits"][0]["id"], "reading": reading })),
            (EVALUATE, json!({ "id": id, "evaluation": good_evaluation() })),
            (DECIDE, json!({ "id": id, "decision": "STOP", "whyStopped": "Nej", "basis": basis() })),
        ];
        for (query, variables) in changes {
            refused(&app, Some(&p.sven), query, variables, "FORBIDDEN").await;
        }

        // Uppsala, in no network with Syddjurs, reads the public pilot only.
        if *id == network {
            hidden_like_missing(&app, &ulla, HISTORY, json!({ "id": id })).await;
            let query = pilot_query();
            hidden_like_missing(&app, &ulla, &query, json!({ "id": id })).await;
        } else {
            pilot(&app, &ulla, id, &joined).await;
        }
    }

    // Helsingborg lists both and Uppsala the public one; the departments a partner does not
    // see do not select what it lists; Syddjurs' portfolio counts for it what it may read.
    let c = json!({ "c": joined });
    let mut listed = column(&ok(&app, &p.sven, PILOTS, c.clone()).await["pilots"], "id");
    listed.sort();
    let mut expected = vec![public.clone(), network.clone()];
    expected.sort();
    assert_eq!(listed, expected);
    let uppsala = ok(&app, &ulla, PILOTS, c.clone()).await;
    assert_eq!(column(&uppsala["pilots"], "id"), [public.as_str()]);
    let by_department = ok(
        &app,
        &p.sven,
        PILOTS,
        json!({ "filter": { "department": "social" }, "c": joined }),
    )
    .await;
    assert_eq!(total(&by_department["pilots"]), 0, "{by_department:#}");
    let count_of = |portfolio: &Value, status: &str| {
        portfolio["pilotPortfolio"]["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["status"] == status)
            .and_then(|s| s["count"].as_i64())
            .unwrap_or_else(|| panic!("no {status} in {portfolio:#}"))
    };
    let partner = ok(&app, &p.sven, PORTFOLIO, json!({ "m": DK, "c": joined })).await;
    let member = ok(&app, &p.anna, PORTFOLIO, json!({ "m": DK, "c": joined })).await;
    assert_eq!(
        (
            count_of(&partner, "RUNNING"),
            count_of(&partner, "PLANNING")
        ),
        (2, 0),
        "{partner:#}"
    );
    assert_eq!(
        (count_of(&member, "RUNNING"), count_of(&member, "PLANNING")),
        (2, 1),
        "{member:#}"
    );
}

/// The people of the funding cross-tenant tests: Syddjurs' fund manager Maria, reviewer Rolf
/// and employee Anna (who applies), and Sven of Helsingborg with every role there is.
struct FundingPeople {
    maria: String,
    rolf: String,
    anna: String,
    sven: String,
}

async fn funding_people(app: &App) -> FundingPeople {
    let token = async |user: &str, m: &str, roles: &[&str]| {
        app.token(user, m, Some("social"), roles).await.unwrap()
    };
    FundingPeople {
        maria: token("maria", DK, &["employee", "fund_manager"]).await,
        rolf: token("rolf", DK, &["employee", "fund_reviewer"]).await,
        anna: token("anna", DK, &["employee"]).await,
        sven: token("sven", SE, EVERY_ROLE).await,
    }
}

/// Every role but platform_admin.
const EVERY_ROLE: &[&str] = &[
    "employee",
    "department_lead",
    "it_portfolio",
    "innovation_lead",
    "municipality_admin",
    "fund_manager",
    "fund_reviewer",
];

/// A fund of Syddjurs of `visibility` with a budget of 1 000 000 for its round's year and a
/// round deciding in 30 days; an application of Anna's of `shared` visibility granted
/// 300 000 (reviewed, paid 100 000, reported on, 50 000 given back), one IN_REVIEW and a
/// DRAFT. The fund's id, the round's, its year, the applications' ids (granted, in review,
/// draft) and the last write.
async fn syddjurs_fund(
    app: &App,
    p: &FundingPeople,
    visibility: &str,
    shared: &str,
) -> (String, String, i32, [String; 3], Written) {
    let fund = create_fund(
        app,
        &p.maria,
        fund_terms("Syddjurs innovationspulje", visibility),
    )
    .await
    .id;
    let council = day(30);
    let year: i32 = council[..4].parse().unwrap();
    set_budget(app, &p.maria, &fund, year, 1_000_000).await;
    let (_, round_id) =
        schedule_round(app, &p.maria, &fund, round("Rådet", &day(10), &council)).await;
    let mut ids = Vec::new();
    for title in ["Bevilget", "Til vurdering"] {
        let details = complete_details(title, &["anna"], 400_000, shared);
        let id = draft(app, &p.anna, &fund, &round_id, details).await.id;
        submit_application(app, &p.anna, &id).await;
        assign(app, &p.maria, &id, "rolf").await;
        ids.push(id);
    }
    review_application(app, &p.rolf, &ids[0], [4, 4]).await;
    decide_application(
        app,
        &p.maria,
        &ids[0],
        &round_id,
        "PARTIALLY_APPROVED",
        Some(300_000),
    )
    .await;
    disburse(app, &p.maria, &ids[0], 100_000).await;
    report_progress(app, &p.anna, &ids[0], progress(&day(0), 90_000)).await;
    return_unspent(app, &p.maria, &ids[0], 50_000).await;
    let drafted = draft(
        app,
        &p.anna,
        &fund,
        &round_id,
        draft_details("Kladde", &["anna"]),
    )
    .await;
    ids.push(drafted.id.clone());
    let ids: [String; 3] = ids.try_into().unwrap();
    (fund, round_id, year, ids, drafted)
}

/// Every funding command on Syddjurs' `fund`, `round` (of `year`) and `application`, each
/// with the variables that name a record that does not exist instead.
fn funding_commands(
    fund: &str,
    round_id: &str,
    year: i32,
    application: &str,
) -> Vec<(&'static str, Value, Value)> {
    let on = |id: &str, extra: Value| with(json!({ "id": id }), extra);
    let both = |extra: Value| (on(application, extra.clone()), on(NOBODY, extra));
    let mut commands = Vec::new();
    for (query, extra) in [
        (
            UPDATE_APPLICATION,
            json!({ "details": { "title": "Vores" } }),
        ),
        (SUBMIT_APPLICATION, json!({})),
        (WITHDRAW_APPLICATION, json!({})),
        (ASSIGN_REVIEWER, json!({ "reviewer": "sven" })),
        (REVIEW_APPLICATION, json!({ "review": review([5, 5]) })),
        (
            DECIDE_APPLICATION,
            json!({ "round": round_id, "outcome": "REJECTED", "rationale": "Nej" }),
        ),
        (DISBURSE, json!({ "amount": sek(1) })),
        (RECORD_PROGRESS, json!({ "report": progress(&day(0), 1) })),
        (RETURN_UNSPENT, json!({ "amount": sek(1) })),
    ] {
        let (named, missing) = both(extra);
        commands.push((query, named, missing));
    }
    let of_fund = |fund: &str| json!({ "fund": fund, "year": year, "budget": sek(1) });
    commands.push((SET_BUDGET, of_fund(fund), of_fund(NOBODY)));
    let scheduled =
        |fund: &str| json!({ "fund": fund, "round": round("Vores", &day(10), &day(30)) });
    commands.push((SCHEDULE_ROUND, scheduled(fund), scheduled(NOBODY)));
    let drafted = |fund: &str, round: &str| json!({ "fund": fund, "round": round, "details": draft_details("Vores", &["sven"]) });
    commands.push((
        DRAFT_APPLICATION,
        drafted(fund, round_id),
        drafted(NOBODY, NOBODY),
    ));
    commands
}

#[tokio::test]
async fn no_funding_operation_reaches_another_municipalitys_unshared_funds_or_applications() {
    let app = App::spawn("tenancy-funding").await.unwrap();
    let p = funding_people(&app).await;

    // Syddjurs: a fund it keeps to itself with applications in every state, and a PRIVATE
    // fund of its fund managers and reviewers.
    let (fund, round_id, year, [granted, reviewing, drafted], _) =
        syddjurs_fund(&app, &p, "MUNICIPALITY", "MUNICIPALITY").await;
    let private = create_fund(&app, &p.maria, fund_terms("Hemmelig pulje", "PRIVATE"))
        .await
        .id;
    set_budget(&app, &p.maria, &private, year, 500_000).await;
    let council = format!("{year}-12-31");
    let (settled, private_round) = schedule_round(
        &app,
        &p.maria,
        &private,
        round("Lukket", &day(10), &council),
    )
    .await;
    let before = ledger(&app, &p.maria, &fund, year, &settled.token).await;
    // Helsingborg: a fund of its own.
    let own = create_fund(
        &app,
        &p.sven,
        fund_terms("Helsingborgs fond", "MUNICIPALITY"),
    )
    .await;

    // Every query that names one of Syddjurs' records answers exactly as for a record that
    // does not exist.
    let c = settled.token.clone();
    let fund_query = fund_query();
    let application_query = application_query();
    for id in [&fund, &private] {
        hidden_like_missing(&app, &p.sven, &fund_query, json!({ "id": id, "c": c })).await;
        hidden_like_missing(&app, &p.sven, HISTORY, json!({ "id": id })).await;
        let ledger = |fund: &str| json!({ "fund": fund, "year": year, "c": c });
        as_unknown_as(
            &app,
            &p.sven,
            &ledger_query(),
            ledger(id),
            ledger(NOBODY),
            "NOT_FOUND",
        )
        .await;
        let period = period_id(id, year);
        let missing = period_id(NOBODY, year);
        as_unknown_as(
            &app,
            &p.sven,
            HISTORY,
            json!({ "id": period }),
            json!({ "id": missing }),
            "NOT_FOUND",
        )
        .await;
    }
    for id in [&granted, &reviewing, &drafted] {
        hidden_like_missing(
            &app,
            &p.sven,
            &application_query,
            json!({ "id": id, "c": c }),
        )
        .await;
        hidden_like_missing(&app, &p.sven, HISTORY, json!({ "id": id })).await;
        let changed = "subscription($id: ID!) { applicationChanged(id: $id) { id status } }";
        ws::subscription_hidden_like_missing(&app, &p.sven, changed, json!({ "id": id })).await;
    }
    // And every command.
    for target in [&granted, &reviewing, &drafted] {
        for (query, named, missing) in funding_commands(&fund, &round_id, year, target) {
            as_unknown_as(&app, &p.sven, query, named, missing, "NOT_FOUND").await;
        }
    }
    // The commands on the PRIVATE fund itself: its budget, rounds and applications.
    let on_private = funding_commands(&private, &private_round, year, NOBODY);
    for (query, named, missing) in on_private.into_iter().rev().take(3) {
        as_unknown_as(&app, &p.sven, query, named, missing, "NOT_FOUND").await;
    }

    // Helsingborg's lists hold only its own; a filter naming Syddjurs' fund or round
    // selects nothing, as one naming none; Syddjurs' funnel is its members' only.
    let listed = ok(&app, &p.sven, FUNDS, json!({ "c": own.token })).await;
    assert_eq!(
        listed["funds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| &f["id"])
            .collect::<Vec<_>>(),
        [&json!(own.id)]
    );
    let of_syddjurs = ok(&app, &p.sven, FUNDS, json!({ "m": DK, "c": own.token })).await;
    assert_eq!(of_syddjurs["funds"], json!([]));
    let everything = pipeline(&app, &p.sven, json!({}), &own.token).await;
    assert_eq!(everything["total"], 0, "{everything:#}");
    for filter in [
        json!({ "fund": fund }),
        json!({ "round": round_id }),
        json!({ "fund": private }),
    ] {
        let seen = pipeline(&app, &p.sven, filter.clone(), &own.token).await;
        let missing = pipeline(&app, &p.sven, json!({ "fund": NOBODY }), &own.token).await;
        assert_eq!(seen, missing, "{filter}");
    }
    refused(
        &app,
        Some(&p.sven),
        FUNDING_FUNNEL,
        json!({ "m": DK, "c": own.token }),
        "FORBIDDEN",
    )
    .await;

    // Syddjurs' records are as they were.
    let after = ledger(&app, &p.maria, &fund, year, &own.token).await;
    assert_eq!(after, before);
    for (id, status, title) in [
        (&granted, "PARTIALLY_APPROVED", "Bevilget"),
        (&reviewing, "IN_REVIEW", "Til vurdering"),
        (&drafted, "DRAFT", "Kladde"),
    ] {
        let seen = application(&app, &p.anna, id, &own.token).await;
        assert_eq!(
            (&seen["status"], &seen["details"]["title"]),
            (&json!(status), &json!(title))
        );
    }
}

#[tokio::test]
async fn a_partner_reads_a_network_funds_ledger_and_shared_applications_without_people() {
    let app = App::spawn("tenancy-shared-funding").await.unwrap();
    let p = funding_people(&app).await;
    // Uppsala: registered, in no network with Syddjurs.
    let ulla = app
        .token("ulla", "SE-0380", Some("social"), EVERY_ROLE)
        .await
        .unwrap();

    // Syddjurs: a NETWORK fund with a NETWORK application granted and paid, one in review,
    // a draft, and an application of the municipality's only.
    let (fund, round_id, year, [shared, in_review, drafted], settled) =
        syddjurs_fund(&app, &p, "NETWORK", "NETWORK").await;
    let internal_details = complete_details("Intern", &["anna"], 400_000, "MUNICIPALITY");
    let kept = draft(&app, &p.anna, &fund, &round_id, internal_details).await;
    submit_application(&app, &p.anna, &kept.id).await;
    // Until Helsingborg is in a network with Syddjurs, none of it exists for it.
    hidden_like_missing(&app, &p.sven, HISTORY, json!({ "id": fund })).await;
    hidden_like_missing(
        &app,
        &p.sven,
        &application_query(),
        json!({ "id": shared, "c": settled.token }),
    )
    .await;
    let joined = network_of_syddjurs_and_helsingborg(&app).await;

    // Helsingborg reads the fund, its round and its ledger, without who created it.
    let seen = fund_view(&app, &p.sven, &fund, &joined).await;
    assert_eq!(
        (&seen["sharedWithYou"], &seen["municipality"]),
        (&json!(true), &json!(DK))
    );
    assert_eq!(seen["createdBy"], Value::Null);
    assert_eq!(seen["rounds"][0]["id"], json!(round_id));
    let seen = ledger(&app, &p.sven, &fund, year, &joined).await;
    assert_eq!(
        in_kronor(&seen),
        [1_000_000, 300_000, 100_000, 50_000, 750_000]
    );
    assert_ledger_is_the_events_sum(&embedded_store(&app), &seen).await;
    let listed = ok(&app, &p.sven, FUNDS, json!({ "m": DK, "c": joined })).await;
    assert_eq!(listed["funds"][0]["id"], json!(fund));

    // It reads the shared application, its review, decision and money, without people,
    // comments or where it came from; not the municipality's own, nor the draft.
    let seen = application(&app, &p.sven, &shared, &joined).await;
    assert_eq!(seen["sharedWithYou"], true, "{seen:#}");
    assert_eq!(seen["status"], "PARTIALLY_APPROVED");
    assert_eq!(seen["details"]["title"], "Bevilget");
    assert_eq!(seen["details"]["applicants"], Value::Null);
    assert_eq!(seen["decision"]["approved"], shown(300_000));
    assert_eq!(seen["decision"]["decidedBy"], Value::Null);
    assert_eq!(seen["reviews"][0]["reviewer"], Value::Null);
    assert_eq!(seen["reviews"][0]["comment"], Value::Null);
    assert_eq!(seen["disbursements"][0]["disbursedBy"], Value::Null);
    assert_eq!(seen["progressReports"][0]["reportedBy"], Value::Null);
    let text = seen.to_string();
    for hidden in ["anna", "maria", "rolf"] {
        assert!(!text.contains(hidden), "{hidden} in {seen:#}");
    }
    let events = ok(
        &app,
        &p.sven,
        "query($id: ID!) { history(id: $id) { type actor actorMunicipality data } }",
        json!({ "id": shared }),
    )
    .await;
    let text = events.to_string();
    for hidden in ["anna", "maria", "rolf", "Välgrundad"] {
        assert!(!text.contains(hidden), "{hidden} in {events:#}");
    }
    assert!(text.contains("ApplicationDecided"), "{events:#}");
    let seen = application(&app, &p.sven, &in_review, &joined).await;
    assert_eq!(seen["status"], "IN_REVIEW");
    for id in [&drafted, &kept.id] {
        hidden_like_missing(
            &app,
            &p.sven,
            &application_query(),
            json!({ "id": id, "c": joined }),
        )
        .await;
    }
    let piped = pipeline(&app, &p.sven, json!({ "fund": fund }), &joined).await;
    assert_eq!(
        piped["total"], 2,
        "the shared application and the network one in review: {piped:#}"
    );

    // It changes nothing, whatever its roles.
    let before = bystander_write(&app).await;
    for target in [&shared, &in_review, &kept.id] {
        for (query, named, _) in funding_commands(&fund, &round_id, year, target) {
            let response = app.gql(Some(&p.sven), query, named).await.unwrap();
            let codes = innohub_tests::error_codes(&response);
            assert!(
                codes == ["FORBIDDEN"] || codes == ["NOT_FOUND"],
                "{query}: {response:#}"
            );
        }
    }
    let after = bystander_write(&app).await;
    assert_eq!(
        after.position(),
        before.position() + 1,
        "Helsingborg recorded nothing"
    );

    // Uppsala, in no network with Syddjurs, sees none of it.
    hidden_like_missing(
        &app,
        &ulla,
        &fund_query(),
        json!({ "id": fund, "c": joined }),
    )
    .await;
    hidden_like_missing(
        &app,
        &ulla,
        &application_query(),
        json!({ "id": shared, "c": joined }),
    )
    .await;
    let ledger_of = |fund: &str| json!({ "fund": fund, "year": year, "c": joined });
    as_unknown_as(
        &app,
        &ulla,
        &ledger_query(),
        ledger_of(&fund),
        ledger_of(NOBODY),
        "NOT_FOUND",
    )
    .await;
    let nothing = ok(&app, &ulla, FUNDS, json!({ "m": DK, "c": joined })).await;
    assert_eq!(nothing["funds"], json!([]));
}
