//! The directory over HTTP against the real binary: a platform administrator registers a
//! municipality (and its tokens are admitted from then on); a municipality's administrator
//! keeps its department tree, which its own members and platform administrators see and
//! partners do not; networks are created, joined and left, and each municipality sees only
//! the networks it is in or invited to. Every mutation's refusals: the wrong role is
//! FORBIDDEN, bad input BAD_USER_INPUT with nothing recorded, another municipality's network
//! NOT_FOUND.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use innohub_tests::App;
use serde_json::{Value, json};

/// Uppsala: registered by the harness, outside every network here.
const UPPSALA: &str = "SE-0380";

const REGISTER: &str = "mutation($input: RegisterMunicipalityInput!, $key: String) {
    registerMunicipality(input: $input, idempotencyKey: $key) { id consistencyToken replayed }
}";
const MUNICIPALITIES: &str = "query($c: String) {
    municipalities(consistency: $c) { id country code name inhabitants sizeBand registeredAt }
}";
const MUNICIPALITY: &str = "query($id: ID!, $c: String) {
    municipality(id: $id, consistency: $c) {
        id name sizeBand departments { id name parent retired }
    }
}";
const ADD: &str = "mutation($input: AddDepartmentInput!, $key: String) {
    addDepartment(input: $input, idempotencyKey: $key) { id consistencyToken replayed }
}";
const RENAME: &str = "mutation($id: ID!, $name: String!) {
    renameDepartment(id: $id, name: $name) { id consistencyToken }
}";
const RETIRE: &str = "mutation($id: ID!) { retireDepartment(id: $id) { id consistencyToken } }";
const CREATE: &str = "mutation($name: String!, $key: String) {
    createNetwork(name: $name, idempotencyKey: $key) { id consistencyToken replayed }
}";
const INVITE: &str = "mutation($n: ID!, $m: ID!) {
    inviteToNetwork(network: $n, municipality: $m) { id consistencyToken }
}";
const ACCEPT: &str =
    "mutation($n: ID!) { acceptNetworkInvitation(network: $n) { id consistencyToken } }";
const LEAVE: &str = "mutation($n: ID!) { leaveNetwork(network: $n) { id consistencyToken } }";
const NETWORKS: &str = "query($c: String) {
    networks(consistency: $c) {
        id name founder createdAt
        members { municipality name since }
        invitations { municipality name since }
    }
}";
const NETWORK: &str = "query($id: ID!, $c: String) {
    network(id: $id, consistency: $c) { id name members { municipality } }
}";

/// The payload of `field` in `data`: (id, consistency token).
fn written(data: &Value, field: &str) -> (String, String) {
    let payload = &data[field];
    (
        payload["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{field}: {data:#}"))
            .to_owned(),
        payload["consistencyToken"]
            .as_str()
            .unwrap_or_else(|| panic!("{field}: {data:#}"))
            .to_owned(),
    )
}

/// The municipality ids of a list of network members or invitations.
fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|m| m["municipality"].as_str().expect("municipality").to_owned())
        .collect()
}

/// What `token` sees of the networks after `consistency`: (id, members, invitations).
async fn networks(
    app: &App,
    token: &str,
    consistency: &str,
) -> Vec<(String, Vec<String>, Vec<String>)> {
    let data = ok(app, token, NETWORKS, json!({ "c": consistency })).await;
    data["networks"]
        .as_array()
        .expect("networks")
        .iter()
        .map(|n| {
            (
                n["id"].as_str().expect("id").to_owned(),
                ids(&n["members"]),
                ids(&n["invitations"]),
            )
        })
        .collect()
}

/// Every registered municipality's id, after `consistency`.
async fn registered(app: &App, token: &str, consistency: Option<&str>) -> Vec<String> {
    let data = ok(app, token, MUNICIPALITIES, json!({ "c": consistency })).await;
    data["municipalities"]
        .as_array()
        .expect("municipalities")
        .iter()
        .map(|m| m["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_platform_administrator_registers_municipalities() {
    let app = App::spawn("directory-register").await.unwrap();
    let platform = app
        .token("platform-operator", DK, None, &["platform_admin"])
        .await
        .unwrap();
    let dk_admin = app
        .token("admin.syddjurs", DK, Some("it"), &["municipality_admin"])
        .await
        .unwrap();
    let roskilde_employee = app
        .token("rikke", "DK-0265", None, &["employee"])
        .await
        .unwrap();
    let before = registered(&app, &platform, None).await;
    assert!(!before.contains(&"DK-0265".to_owned()));
    let mut sorted = before.clone();
    sorted.sort();
    assert_eq!(before, sorted, "municipalities are sorted by id");

    // An unregistered municipality's token is refused, saying so.
    let response = refused(
        &app,
        Some(&roskilde_employee),
        MUNICIPALITIES,
        json!({}),
        "FORBIDDEN",
    )
    .await;
    assert!(
        response.to_string().contains("not registered"),
        "{response:#}"
    );

    let roskilde =
        json!({ "country": "DK", "code": "0265", "name": "Roskilde", "inhabitants": 90_000 });
    // Refusals record nothing.
    refused(
        &app,
        Some(&dk_admin),
        REGISTER,
        json!({ "input": roskilde }),
        "FORBIDDEN",
    )
    .await;
    for bad in [
        json!({ "country": "XX", "code": "0265", "name": "Roskilde", "inhabitants": 90_000 }),
        json!({ "country": "DK", "code": "", "name": "Roskilde", "inhabitants": 90_000 }),
        json!({ "country": "DK", "code": "0265", "name": "", "inhabitants": 90_000 }),
        json!({ "country": "DK", "code": "0265", "name": "Roskilde", "inhabitants": 0 }),
        json!({ "country": "DK", "code": "0265", "name": "Roskilde", "inhabitants": -5 }),
    ] {
        refused(
            &app,
            Some(&platform),
            REGISTER,
            json!({ "input": bad }),
            "BAD_USER_INPUT",
        )
        .await;
    }
    refused(
        &app,
        None,
        REGISTER,
        json!({ "input": roskilde }),
        "UNAUTHENTICATED",
    )
    .await;

    let data = ok(
        &app,
        &platform,
        REGISTER,
        json!({ "input": roskilde, "key": "roskilde" }),
    )
    .await;
    let (id, token) = written(&data, "registerMunicipality");
    assert_eq!(id, "DK-0265");
    assert_eq!(data["registerMunicipality"]["replayed"], json!(false));
    let again = ok(
        &app,
        &platform,
        REGISTER,
        json!({ "input": roskilde, "key": "roskilde" }),
    )
    .await;
    assert_eq!(again["registerMunicipality"]["replayed"], json!(true));
    refused(
        &app,
        Some(&platform),
        REGISTER,
        json!({ "input": roskilde }),
        "BAD_USER_INPUT",
    )
    .await;

    // Stockholm's band follows from its inhabitants.
    let stockholm =
        json!({ "country": "SE", "code": "0180", "name": "Stockholm", "inhabitants": 984_000 });
    let data = ok(&app, &platform, REGISTER, json!({ "input": stockholm })).await;
    let (_, token2) = written(&data, "registerMunicipality");

    let data = ok(&app, &platform, MUNICIPALITIES, json!({ "c": token2 })).await;
    let all = data["municipalities"].as_array().unwrap();
    let mut expected = before.clone();
    expected.extend(["DK-0265".to_owned(), "SE-0180".to_owned()]);
    expected.sort();
    let now: Vec<&str> = all.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(now, expected, "exactly the two registrations were recorded");
    let roskilde_row = all.iter().find(|m| m["id"] == json!("DK-0265")).unwrap();
    assert_eq!(roskilde_row["name"], json!("Roskilde"));
    assert_eq!(roskilde_row["country"], json!("DK"));
    assert_eq!(roskilde_row["code"], json!("0265"));
    assert_eq!(roskilde_row["inhabitants"], json!(90_000));
    assert_eq!(roskilde_row["sizeBand"], json!("FROM_60K_TO_100K"));
    assert!(roskilde_row["registeredAt"].is_string());
    let stockholm_row = all.iter().find(|m| m["id"] == json!("SE-0180")).unwrap();
    assert_eq!(stockholm_row["sizeBand"], json!("FROM_100K"));

    // Registered: Roskilde's token is admitted, and sees itself (no departments yet).
    let data = ok(
        &app,
        &roskilde_employee,
        MUNICIPALITY,
        json!({ "id": "DK-0265", "c": token }),
    )
    .await;
    assert_eq!(data["municipality"]["name"], json!("Roskilde"));
    assert_eq!(data["municipality"]["departments"], json!([]));
    // Unknown: null; malformed: BAD_USER_INPUT.
    let data = ok(&app, &platform, MUNICIPALITY, json!({ "id": "IS-0000" })).await;
    assert_eq!(data["municipality"], Value::Null);
    refused(
        &app,
        Some(&platform),
        MUNICIPALITY,
        json!({ "id": "roskilde" }),
        "BAD_USER_INPUT",
    )
    .await;
    app.stop().await.unwrap();
}

#[tokio::test]
async fn administrators_keep_the_department_tree_and_partners_do_not_see_it() {
    let app = App::spawn("directory-departments").await.unwrap();
    let admin = app
        .token("admin.syddjurs", DK, Some("it"), &["municipality_admin"])
        .await
        .unwrap();
    let employee = app
        .token("anna", DK, Some("social"), &["employee"])
        .await
        .unwrap();
    let partner_admin = app
        .token("admin.helsingborg", SE, Some("it"), &["municipality_admin"])
        .await
        .unwrap();
    let platform = app
        .token("platform-operator", NO, None, &["platform_admin"])
        .await
        .unwrap();

    let add = |id: &str, name: &str, parent: Option<&str>| json!({ "input": { "id": id, "name": name, "parent": parent } });
    let data = ok(
        &app,
        &admin,
        ADD,
        add("dir-social", "Social og Sundhed", None),
    )
    .await;
    assert_eq!(written(&data, "addDepartment").0, DK);
    ok(
        &app,
        &admin,
        ADD,
        add("dir-job", "Jobcenter", Some("dir-social")),
    )
    .await;
    ok(&app, &admin, ADD, add("dir-old", "Gammel afdeling", None)).await;
    let data = ok(
        &app,
        &admin,
        RENAME,
        json!({ "id": "dir-job", "name": "Jobcenter Syddjurs" }),
    )
    .await;
    let (_, renamed) = written(&data, "renameDepartment");

    // Refusals: wrong role, another municipality's admin (acts in their own), bad input.
    refused(
        &app,
        Some(&employee),
        ADD,
        add("dir-x", "X", None),
        "FORBIDDEN",
    )
    .await;
    refused(
        &app,
        Some(&employee),
        RENAME,
        json!({ "id": "dir-job", "name": "Y" }),
        "FORBIDDEN",
    )
    .await;
    refused(
        &app,
        Some(&employee),
        RETIRE,
        json!({ "id": "dir-old" }),
        "FORBIDDEN",
    )
    .await;
    for bad in [
        add("dir-x", "", None),
        add("", "X", None),
        add("dir-\u{7}bell", "X", None),
        add("dir-x", "X", Some("dir-nowhere")),
        add("dir-social", "Again", None),
    ] {
        refused(&app, Some(&admin), ADD, bad, "BAD_USER_INPUT").await;
    }
    refused(
        &app,
        Some(&admin),
        RENAME,
        json!({ "id": "dir-job", "name": "" }),
        "BAD_USER_INPUT",
    )
    .await;
    refused(
        &app,
        Some(&admin),
        RENAME,
        json!({ "id": "dir-nowhere", "name": "Z" }),
        "BAD_USER_INPUT",
    )
    .await;
    // A department with active children cannot be retired.
    refused(
        &app,
        Some(&admin),
        RETIRE,
        json!({ "id": "dir-social" }),
        "BAD_USER_INPUT",
    )
    .await;
    // Helsingborg's admin renaming "dir-job" renames in Helsingborg, which has no such
    // department: Syddjurs' tree is not theirs to change.
    refused(
        &app,
        Some(&partner_admin),
        RENAME,
        json!({ "id": "dir-job", "name": "Hijack" }),
        "BAD_USER_INPUT",
    )
    .await;

    let data = ok(&app, &admin, RETIRE, json!({ "id": "dir-old" })).await;
    let (_, retired) = written(&data, "retireDepartment");
    refused(
        &app,
        Some(&admin),
        RETIRE,
        json!({ "id": "dir-old" }),
        "BAD_USER_INPUT",
    )
    .await;
    refused(
        &app,
        Some(&admin),
        ADD,
        add("dir-x", "X", Some("dir-old")),
        "BAD_USER_INPUT",
    )
    .await;

    let mine = |departments: &Value| -> Vec<Value> {
        departments
            .as_array()
            .expect("departments")
            .iter()
            .filter(|d| d["id"].as_str().is_some_and(|id| id.starts_with("dir-")))
            .cloned()
            .collect()
    };
    let tree = json!([
        { "id": "dir-job", "name": "Jobcenter Syddjurs", "parent": "dir-social", "retired": false },
        { "id": "dir-old", "name": "Gammel afdeling", "parent": null, "retired": true },
        { "id": "dir-social", "name": "Social og Sundhed", "parent": null, "retired": false },
    ]);
    for (who, token) in [
        ("a member", &employee),
        ("a platform administrator", &platform),
    ] {
        let data = ok(&app, token, MUNICIPALITY, json!({ "id": DK, "c": retired })).await;
        assert_eq!(
            Value::Array(mine(&data["municipality"]["departments"])),
            tree,
            "{who} sees the tree, with nothing the refusals would have recorded"
        );
    }
    let data = ok(
        &app,
        &partner_admin,
        MUNICIPALITY,
        json!({ "id": DK, "c": renamed }),
    )
    .await;
    assert_eq!(
        data["municipality"]["name"],
        json!("Syddjurs"),
        "partners see the profile"
    );
    assert_eq!(
        data["municipality"]["departments"],
        Value::Null,
        "partners do not see the departments"
    );
    let data = ok(&app, &partner_admin, MUNICIPALITIES, json!({})).await;
    assert!(
        data["municipalities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == json!(DK)),
        "{data:#}"
    );
    app.stop().await.unwrap();
}

#[tokio::test]
async fn networks_are_seen_by_their_members_and_invitees_only() {
    let app = App::spawn("directory-networks").await.unwrap();
    let dk_admin = app
        .token("admin.syddjurs", DK, Some("it"), &["municipality_admin"])
        .await
        .unwrap();
    let dk_employee = app
        .token("anna", DK, Some("social"), &["employee"])
        .await
        .unwrap();
    let se_admin = app
        .token("admin.helsingborg", SE, Some("it"), &["municipality_admin"])
        .await
        .unwrap();
    let se_employee = app
        .token("sven", SE, Some("it"), &["employee"])
        .await
        .unwrap();
    let outsider = app
        .token(
            "admin.uppsala",
            UPPSALA,
            Some("it"),
            &["municipality_admin"],
        )
        .await
        .unwrap();

    // createNetwork: role and input.
    refused(
        &app,
        Some(&dk_employee),
        CREATE,
        json!({ "name": "Østjylland" }),
        "FORBIDDEN",
    )
    .await;
    refused(
        &app,
        Some(&dk_admin),
        CREATE,
        json!({ "name": "" }),
        "BAD_USER_INPUT",
    )
    .await;
    let data = ok(
        &app,
        &dk_admin,
        CREATE,
        json!({ "name": "Østjylland", "key": "net-1" }),
    )
    .await;
    let (network, created) = written(&data, "createNetwork");
    let again = ok(
        &app,
        &dk_admin,
        CREATE,
        json!({ "name": "Østjylland", "key": "net-1" }),
    )
    .await;
    assert_eq!(
        written(&again, "createNetwork").0,
        network,
        "a retry is the same network"
    );
    assert_eq!(again["createNetwork"]["replayed"], json!(true));

    let founder_view = networks(&app, &dk_employee, &created).await;
    assert_eq!(
        founder_view,
        vec![(network.clone(), vec![DK.to_owned()], vec![])]
    );
    let data = ok(&app, &dk_employee, NETWORKS, json!({ "c": created })).await;
    let seen = &data["networks"][0];
    assert_eq!(seen["name"], json!("Østjylland"));
    assert_eq!(seen["founder"], json!(DK));
    assert_eq!(seen["members"][0]["name"], json!("Syddjurs"));
    assert!(seen["createdAt"].is_string() && seen["members"][0]["since"].is_string());
    assert!(networks(&app, &se_admin, &created).await.is_empty());

    // inviteToNetwork: role, input, and only by a member.
    let invite = |m: &str| json!({ "n": network, "m": m });
    refused(&app, Some(&dk_employee), INVITE, invite(SE), "FORBIDDEN").await;
    refused(
        &app,
        Some(&dk_admin),
        INVITE,
        invite("nowhere"),
        "BAD_USER_INPUT",
    )
    .await;
    refused(
        &app,
        Some(&dk_admin),
        INVITE,
        invite("IS-9999"),
        "BAD_USER_INPUT",
    )
    .await;
    refused(&app, Some(&dk_admin), INVITE, invite(DK), "BAD_USER_INPUT").await;
    refused(&app, Some(&outsider), INVITE, invite(UPPSALA), "NOT_FOUND").await;
    refused(
        &app,
        Some(&dk_admin),
        INVITE,
        json!({ "n": NOBODY, "m": SE }),
        "NOT_FOUND",
    )
    .await;
    let data = ok(&app, &dk_admin, INVITE, invite(SE)).await;
    let (_, invited) = written(&data, "inviteToNetwork");
    refused(&app, Some(&dk_admin), INVITE, invite(SE), "BAD_USER_INPUT").await;

    let pending = vec![(network.clone(), vec![DK.to_owned()], vec![SE.to_owned()])];
    assert_eq!(
        networks(&app, &dk_admin, &invited).await,
        pending,
        "founder"
    );
    assert_eq!(
        networks(&app, &se_employee, &invited).await,
        pending,
        "invitee"
    );
    assert!(
        networks(&app, &outsider, &invited).await.is_empty(),
        "outsider"
    );
    let data = ok(
        &app,
        &outsider,
        NETWORK,
        json!({ "id": network, "c": invited }),
    )
    .await;
    assert_eq!(
        data["network"],
        Value::Null,
        "an outsider does not see the network"
    );
    let data = ok(&app, &se_employee, NETWORK, json!({ "id": network })).await;
    assert_eq!(data["network"]["id"], json!(network));

    // acceptNetworkInvitation: role, and only the invited municipality.
    let net = json!({ "n": network });
    refused(&app, Some(&se_employee), ACCEPT, net.clone(), "FORBIDDEN").await;
    refused(&app, Some(&outsider), ACCEPT, net.clone(), "NOT_FOUND").await;
    refused(&app, Some(&dk_admin), ACCEPT, net.clone(), "BAD_USER_INPUT").await;
    refused(
        &app,
        Some(&se_admin),
        ACCEPT,
        json!({ "n": NOBODY }),
        "NOT_FOUND",
    )
    .await;
    // Nothing the refusals would have recorded shows.
    assert_eq!(networks(&app, &dk_admin, &invited).await, pending);
    let data = ok(&app, &se_admin, ACCEPT, net.clone()).await;
    let (_, accepted) = written(&data, "acceptNetworkInvitation");
    let joined = vec![(network.clone(), vec![DK.to_owned(), SE.to_owned()], vec![])];
    assert_eq!(
        networks(&app, &dk_employee, &accepted).await,
        joined,
        "founder"
    );
    assert_eq!(
        networks(&app, &se_employee, &accepted).await,
        joined,
        "new member"
    );
    assert!(
        networks(&app, &outsider, &accepted).await.is_empty(),
        "outsider"
    );

    // leaveNetwork: role, and only a member.
    refused(&app, Some(&se_employee), LEAVE, net.clone(), "FORBIDDEN").await;
    refused(&app, Some(&outsider), LEAVE, net.clone(), "NOT_FOUND").await;
    refused(
        &app,
        Some(&se_admin),
        LEAVE,
        json!({ "n": NOBODY }),
        "NOT_FOUND",
    )
    .await;
    let data = ok(&app, &se_admin, LEAVE, net.clone()).await;
    let (_, left) = written(&data, "leaveNetwork");
    assert!(
        networks(&app, &se_employee, &left).await.is_empty(),
        "who left"
    );
    assert_eq!(
        networks(&app, &dk_employee, &left).await,
        vec![(network.clone(), vec![DK.to_owned()], vec![])],
        "founder"
    );
    refused(&app, Some(&se_admin), LEAVE, net, "NOT_FOUND").await;
    app.stop().await.unwrap();
}
