//! The cross-tenant tests of the partner-municipality operations (the directory, networks,
//! adoption, umbrella groups, the cross-municipal overview, the quarterly history and the
//! exports): a municipality that is not registered is refused by every one of them and
//! changes nothing, and no municipality sees or changes another's unshared data through any
//! of them. (The processes operations are in `access.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use innohub_tests::App;
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
    for (query, variables) in operations {
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
