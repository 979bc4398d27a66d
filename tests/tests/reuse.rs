//! Reuse across municipalities over HTTP, in both modes: adoption copies only the shareable
//! fields into a new IDEA process of the adopter's municipality and both sides show the link
//! (`adoptedFrom`, `adoptions`); what is not shared cannot be adopted (NOT_FOUND), and bad
//! input records nothing; umbrella groups hold local and shared members, and each viewer
//! sees the umbrellas and members the read rule gives them; a network partner adopts a
//! NETWORK process (the processes service asks the directory).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use innohub_tests::App;
use innohub_tests::distributed::{Broker, Cluster};
use serde_json::{Value, json};

/// Uppsala: registered, in no network with Syddjurs.
const UPPSALA: &str = "SE-0380";

const ADOPT: &str = "mutation($id: ID!, $departments: [String!], $key: String) {
    adoptProcess(id: $id, departments: $departments, idempotencyKey: $key) { id consistencyToken replayed }
}";

/// What a copy must and must not carry, and the link.
const COPY_FIELDS: &str = "id municipality reporter owner contact internalNotes departments title shortDescription
    longDescription painPoints wishedSolution classification { scheme code } legalBasis domains itSystems technologies
    vendor targetsCitizens casesPerYear minutesPerCase employees automationShare developmentEffortHours goLiveDate
    visibility phase status
    adoptedFrom { municipality id process { id title } }
    adoptions { municipality id phase process { id } }
    umbrellas { id title }";

const CREATE_UMBRELLA: &str = "mutation($input: CreateUmbrellaInput!) {
    createUmbrella(input: $input) { id consistencyToken replayed umbrella { id title visibility } }
}";
const ADD: &str = "mutation($u: ID!, $p: ID!) { addToUmbrella(umbrella: $u, process: $p) { id consistencyToken replayed } }";
const REMOVE: &str = "mutation($u: ID!, $p: ID!) { removeFromUmbrella(umbrella: $u, process: $p) { id consistencyToken replayed } }";
const UMBRELLAS: &str = "query($c: String) { umbrellas(consistency: $c) { id title municipality sharedWithYou visibility members { id title owner } } }";
const UMBRELLA: &str = "query($id: ID!, $c: String) { umbrella(id: $id, consistency: $c) { id title members { id title owner sharedWithYou } } }";

/// A process with everything, some of it not for partners.
fn full_form(title: &str, visibility: &str) -> Value {
    with(
        form(title, &["social", "jobcenter"], 1200, 12.5, 70),
        json!({
            "visibility": visibility,
            "owner": "mette",
            "contact": "mette@syddjurs.dk",
            "internalNotes": "Afventer IT-sikkerhed",
            "longDescription": "Robot henter anmodninger og opretter udbetalinger",
            "painPoints": "Manuel indtastning",
            "wishedSolution": "En robot",
            "classification": { "scheme": "KLE", "code": "15.00.00" },
            "legalBasis": "Sygedagpengeloven § 7",
            "domains": ["employment"],
            "itSystems": ["KMD Sygedagpenge", "NemRefusion"],
            "technologies": ["RPA"],
            "vendor": "Netcompany",
            "targetsCitizens": true,
            "employees": 3,
            "developmentEffortHours": 120,
        }),
    )
}

/// One process as `token` sees it, with the copy's fields; null when not found.
async fn read(app: &App, token: &str, id: &str, consistency: &str) -> Value {
    let query = format!(
        "query($id: ID!, $c: String) {{ process(id: $id, consistency: $c) {{ {COPY_FIELDS} }} }}"
    );
    let response = app
        .gql(Some(token), &query, json!({ "id": id, "c": consistency }))
        .await
        .unwrap();
    match innohub_tests::error_codes(&response).as_slice() {
        [] => response["data"]["process"].clone(),
        [code] if code == "NOT_FOUND" => Value::Null,
        _ => panic!("unexpected answer: {response:#}"),
    }
}

async fn adopt(app: &App, token: &str, id: &str) -> Written {
    let data = ok(app, token, ADOPT, json!({ "id": id })).await;
    Written::from_payload(&data["adoptProcess"])
}

/// How many processes of `municipality` `token` sees, after everything written so far.
async fn count_of(app: &App, token: &str, municipality: &str) -> i64 {
    let now = bystander_write(app).await;
    total(
        &processes(
            app,
            token,
            json!({ "municipality": municipality }),
            &now.token,
        )
        .await,
    )
}

async fn adoption(app: &App) {
    let anna = app
        .token("anna", DK, Some("social"), &["employee"])
        .await
        .unwrap();
    let sven = app
        .token("sven", SE, Some("social"), &["employee"])
        .await
        .unwrap();
    let ulla = app
        .token("ulla", UPPSALA, Some("social"), &["employee"])
        .await
        .unwrap();
    let nils = app.token("nils", SE, None, &["employee"]).await.unwrap();

    let origin = submit(app, &anna, full_form("Sygedagpenge", "PUBLIC")).await;
    let kept = submit(app, &anna, full_form("Intern", "MUNICIPALITY")).await;
    let private = submit(app, &anna, full_form("Privat", "PRIVATE")).await;

    // Helsingborg adopts Syddjurs' public process.
    let copy = adopt(app, &sven, &origin.id).await;
    assert_ne!(copy.id, origin.id);
    let theirs = read(app, &sven, &copy.id, &copy.token).await;
    let source = read(app, &anna, &origin.id, &copy.token).await;
    // The shareable fields are copied, field by field.
    for field in [
        "title",
        "shortDescription",
        "longDescription",
        "painPoints",
        "wishedSolution",
        "classification",
        "legalBasis",
        "domains",
        "itSystems",
        "technologies",
        "vendor",
        "targetsCitizens",
        "casesPerYear",
        "minutesPerCase",
        "employees",
        "automationShare",
        "developmentEffortHours",
    ] {
        assert_eq!(theirs[field], source[field], "{field} is copied");
        assert!(!theirs[field].is_null(), "{field} is set");
    }
    // Never people, internal notes or departments: the copy is Helsingborg's own.
    assert_eq!(theirs["owner"], Value::Null);
    assert_eq!(theirs["contact"], Value::Null);
    assert_eq!(theirs["internalNotes"], Value::Null);
    assert_eq!(
        theirs["departments"],
        json!(["social"]),
        "the adopter's department"
    );
    assert_eq!(theirs["reporter"], "sven");
    assert_eq!(theirs["municipality"], SE);
    assert_eq!(
        (&theirs["phase"], &theirs["status"], &theirs["visibility"]),
        (
            &json!("IDEA"),
            &json!("NOT_ASSESSED"),
            &json!("MUNICIPALITY")
        )
    );
    // Both sides show the link.
    assert_eq!(
        theirs["adoptedFrom"],
        json!({ "municipality": DK, "id": origin.id, "process": { "id": origin.id, "title": "Sygedagpenge" } })
    );
    assert_eq!(source["adoptedFrom"], Value::Null);
    // The adopter sees their copy in the origin's adoptions; Syddjurs and Uppsala see that
    // Helsingborg adopted it, but not the copy, which Helsingborg keeps to itself.
    let seen_by_sven = read(app, &sven, &origin.id, &copy.token).await;
    assert_eq!(
        seen_by_sven["adoptions"],
        json!([{ "municipality": SE, "id": copy.id, "phase": "IDEA", "process": { "id": copy.id } }])
    );
    let hidden_copy = json!([{ "municipality": SE, "id": null, "phase": null, "process": null }]);
    assert_eq!(source["adoptions"], hidden_copy);
    assert_eq!(
        read(app, &ulla, &origin.id, &copy.token).await["adoptions"],
        hidden_copy
    );

    // What is not shared cannot be adopted, and looks exactly like nothing; one's own is
    // no adoption; an adopter without a department must name one. None of it records
    // anything.
    let before = count_of(app, &sven, SE).await;
    for hidden in [&kept.id, &private.id] {
        looks_missing(app, &sven, ADOPT, json!({}), hidden, "adoptProcess").await;
    }
    let own = refused(
        app,
        Some(&anna),
        ADOPT,
        json!({ "id": origin.id }),
        "BAD_USER_INPUT",
    )
    .await;
    assert!(
        own.to_string()
            .contains("adopt copies another municipality's process"),
        "{own:#}"
    );
    let homeless = refused(
        app,
        Some(&nils),
        ADOPT,
        json!({ "id": origin.id }),
        "BAD_USER_INPUT",
    )
    .await;
    assert!(homeless.to_string().contains("departments"), "{homeless:#}");
    assert_eq!(
        count_of(app, &sven, SE).await,
        before,
        "refusals record nothing"
    );
    // Naming departments works, and a retry with the same key adopts once.
    let named = ok(
        app,
        &nils,
        ADOPT,
        json!({ "id": origin.id, "departments": ["digital"], "key": "adopt-1" }),
    )
    .await;
    let again = ok(
        app,
        &nils,
        ADOPT,
        json!({ "id": origin.id, "departments": ["digital"], "key": "adopt-1" }),
    )
    .await;
    assert_eq!(named["adoptProcess"]["id"], again["adoptProcess"]["id"]);
    assert_eq!(again["adoptProcess"]["replayed"], true);
    let named = Written::from_payload(&named["adoptProcess"]);
    assert_eq!(
        read(app, &nils, &named.id, &named.token).await["departments"],
        json!(["digital"])
    );
}

async fn umbrellas(app: &App) {
    let anna = app
        .token("anna", DK, Some("social"), &["employee"])
        .await
        .unwrap();
    let ivan = app
        .token("ivan", DK, Some("it"), &["it_portfolio"])
        .await
        .unwrap();
    let sven = app
        .token("sven", SE, Some("social"), &["employee"])
        .await
        .unwrap();
    let ulla = app
        .token("ulla", UPPSALA, Some("social"), &["employee"])
        .await
        .unwrap();

    let own_public = submit(app, &anna, full_form("Offentlig", "PUBLIC")).await;
    let own_kept = submit(app, &anna, full_form("Kommunal", "MUNICIPALITY")).await;
    let theirs = submit(app, &sven, full_form("Deras", "PUBLIC")).await;
    let theirs_kept = submit(app, &sven, full_form("Deras interna", "MUNICIPALITY")).await;

    let create = |title: &str, visibility: &str| json!({ "input": { "title": title, "description": "Samme slags sager", "visibility": visibility } });
    // Only IT portfolio creates umbrellas.
    refused(
        app,
        Some(&anna),
        CREATE_UMBRELLA,
        create("Nej", "PUBLIC"),
        "FORBIDDEN",
    )
    .await;
    let local = ok(app, &ivan, CREATE_UMBRELLA, create("Lokal", "MUNICIPALITY")).await;
    assert_eq!(
        local["createUmbrella"]["umbrella"]["visibility"],
        "MUNICIPALITY"
    );
    let local = Written::from_payload(&local["createUmbrella"]);
    let shared = ok(app, &ivan, CREATE_UMBRELLA, create("Fælles", "PUBLIC")).await;
    let shared = Written::from_payload(&shared["createUmbrella"]);

    let add = |u: &str, p: &str| json!({ "u": u, "p": p });
    ok(app, &ivan, ADD, add(&local.id, &own_kept.id)).await;
    ok(app, &ivan, ADD, add(&shared.id, &own_public.id)).await;
    ok(app, &ivan, ADD, add(&shared.id, &own_kept.id)).await;
    let last = ok(app, &ivan, ADD, add(&shared.id, &theirs.id)).await;
    let last = Written::from_payload(&last["addToUmbrella"]);
    // A local umbrella holds only Syddjurs' processes; what Helsingborg keeps to itself
    // does not exist for Syddjurs; a member is added once; partners change nothing.
    refused(
        app,
        Some(&ivan),
        ADD,
        add(&local.id, &theirs.id),
        "BAD_USER_INPUT",
    )
    .await;
    refused(
        app,
        Some(&ivan),
        ADD,
        add(&shared.id, &theirs_kept.id),
        "NOT_FOUND",
    )
    .await;
    refused(
        app,
        Some(&ivan),
        ADD,
        add(&shared.id, &theirs.id),
        "BAD_USER_INPUT",
    )
    .await;
    let sven_it = app
        .token("sven.it", SE, Some("it"), &["it_portfolio"])
        .await
        .unwrap();
    refused(
        app,
        Some(&sven_it),
        ADD,
        add(&shared.id, &theirs.id),
        "FORBIDDEN",
    )
    .await;
    refused(
        app,
        Some(&sven_it),
        ADD,
        add(&local.id, &theirs.id),
        "NOT_FOUND",
    )
    .await;

    let titles = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|u| u["title"].as_str().unwrap().to_owned())
            .collect()
    };
    // Syddjurs sees both umbrellas and every member.
    let mine = ok(app, &anna, UMBRELLAS, json!({ "c": last.token })).await;
    let mine: Vec<Value> = mine["umbrellas"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| [local.id.as_str(), shared.id.as_str()].contains(&u["id"].as_str().unwrap()))
        .cloned()
        .collect();
    assert_eq!(titles(&json!(mine)), ["Fælles", "Lokal"]);
    assert_eq!(
        titles(&mine[0]["members"]),
        ["Offentlig", "Kommunal", "Deras"]
    );
    // Helsingborg and Uppsala see the shared umbrella only, with the members shared with
    // them, redacted; the local one does not exist for them.
    for partner in [&sven, &ulla] {
        let seen = ok(
            app,
            partner,
            UMBRELLA,
            json!({ "id": shared.id, "c": last.token }),
        )
        .await;
        assert_eq!(titles(&seen["umbrella"]["members"]), ["Offentlig", "Deras"]);
        assert_eq!(seen["umbrella"]["members"][0]["owner"], Value::Null);
        let all = ok(app, partner, UMBRELLAS, json!({ "c": last.token })).await;
        assert!(
            all["umbrellas"]
                .as_array()
                .unwrap()
                .iter()
                .all(|u| u["id"] != json!(local.id)),
            "{all:#}"
        );
        looks_missing(
            app,
            partner,
            UMBRELLA,
            json!({ "c": last.token }),
            &local.id,
            "umbrella",
        )
        .await;
    }
    // A process shows the umbrellas its reader may see.
    assert_eq!(
        titles(&read(app, &anna, &own_kept.id, &last.token).await["umbrellas"]),
        ["Fælles", "Lokal"]
    );
    assert_eq!(
        titles(&read(app, &sven, &theirs.id, &last.token).await["umbrellas"]),
        ["Fælles"]
    );
    // Removing: once; a non-member is refused.
    let removed = ok(app, &ivan, REMOVE, add(&shared.id, &own_kept.id)).await;
    let removed = Written::from_payload(&removed["removeFromUmbrella"]);
    refused(
        app,
        Some(&ivan),
        REMOVE,
        add(&shared.id, &own_kept.id),
        "BAD_USER_INPUT",
    )
    .await;
    let after = ok(
        app,
        &anna,
        UMBRELLA,
        json!({ "id": shared.id, "c": removed.token }),
    )
    .await;
    assert_eq!(
        titles(&after["umbrella"]["members"]),
        ["Offentlig", "Deras"]
    );
    // The umbrella's history follows its read rule: Uppsala reads its creation and the
    // additions of the two public processes, not the add and remove of the kept one.
    assert_eq!(history(app, &ulla, &shared.id).await.len(), 3);
    refused(
        app,
        Some(&ulla),
        HISTORY,
        json!({ "id": local.id }),
        "NOT_FOUND",
    )
    .await;
}

/// A network partner adopts a NETWORK process; a municipality outside the network cannot.
async fn network_adoption(app: &App) {
    let dk_admin = app
        .token("admin.dk", DK, Some("it"), &["municipality_admin"])
        .await
        .unwrap();
    let se_admin = app
        .token("admin.se", SE, Some("it"), &["municipality_admin"])
        .await
        .unwrap();
    let anna = app
        .token("anna", DK, Some("social"), &["employee"])
        .await
        .unwrap();
    let sven = app
        .token("sven", SE, Some("social"), &["employee"])
        .await
        .unwrap();
    let ulla = app
        .token("ulla", UPPSALA, Some("social"), &["employee"])
        .await
        .unwrap();
    let shared = submit(app, &anna, full_form("Netværk", "NETWORK")).await;
    looks_missing(
        app,
        &sven,
        ADOPT,
        json!({}),
        &shared.id,
        "adopt before a network",
    )
    .await;
    let network = ok(
        app,
        &dk_admin,
        "mutation { createNetwork(name: \"Genbrug\") { id } }",
        json!({}),
    )
    .await["createNetwork"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        app,
        &dk_admin,
        "mutation($n: ID!, $m: ID!) { inviteToNetwork(network: $n, municipality: $m) { id } }",
        json!({ "n": network, "m": SE }),
    )
    .await;
    let accepted = ok(
        app,
        &se_admin,
        "mutation($n: ID!) { acceptNetworkInvitation(network: $n) { id consistencyToken } }",
        json!({ "n": network }),
    )
    .await;
    // Once the views hold the acceptance, Helsingborg reads the process, redacted.
    let after_accept = accepted["acceptNetworkInvitation"]["consistencyToken"]
        .as_str()
        .unwrap();
    let seen = read(app, &sven, &shared.id, after_accept).await;
    assert_eq!(seen["title"], "Netværk", "{seen:#}");
    assert_eq!(seen["owner"], Value::Null);
    let copy = adopt(app, &sven, &shared.id).await;
    let theirs = read(app, &sven, &copy.id, &copy.token).await;
    assert_eq!(theirs["adoptedFrom"]["id"], json!(shared.id));
    assert_eq!(theirs["owner"], Value::Null);
    looks_missing(
        app,
        &ulla,
        ADOPT,
        json!({}),
        &shared.id,
        "adopt outside the network",
    )
    .await;
}

#[tokio::test]
async fn embedded_adoption_and_umbrellas_follow_the_read_rule() {
    let app = App::spawn("reuse").await.unwrap();
    adoption(&app).await;
    umbrellas(&app).await;
    network_adoption(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn distributed_adoption_and_umbrellas_follow_the_read_rule() {
    let broker = Broker::start(false).await.expect("broker");
    let cluster = Cluster::start(&broker, &[]).await.expect("cluster");
    adoption(&cluster.gateway).await;
    umbrellas(&cluster.gateway).await;
    network_adoption(&cluster.gateway).await;
}
