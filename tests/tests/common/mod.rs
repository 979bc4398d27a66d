//! What the black-box tests share: GraphQL documents and small helpers that send a command
//! or read a view and fail loudly, with the whole response, when the server answers otherwise.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod ws;

use innohub_tests::{App, error_codes};
use serde_json::{Value, json};

/// Syddjurs Kommune.
pub const DK: &str = "DK-0706";
/// Helsingborgs stad.
pub const SE: &str = "SE-1283";
/// Øygarden kommune: a bystander whose writes move the global position.
pub const NO: &str = "NO-4626";

/// The secret `App` signs its tokens with (see `innohub_tests`); checked by the auth tests.
pub const TEST_SECRET: &str = "innohub-black-box-tests";

/// Every scalar field of a process, and its comments.
pub const PROCESS_FIELDS: &str = "id municipality sharedWithYou title shortDescription departments reporter owner \
    contact internalNotes visibility phase status statusReason priorityScore backlogRank hoursSavedPerYear \
    followerCount viewerFollows commentCount comments { author authorMunicipality text }";

/// The result of a command that took effect.
#[derive(Debug, Clone)]
pub struct Written {
    /// The process.
    pub id: String,
    /// Pass as `consistency` to read this write.
    pub token: String,
    /// An earlier call with the same idempotency key did it.
    pub replayed: bool,
}

impl Written {
    pub fn from_payload(payload: &Value) -> Self {
        Self {
            id: payload["id"].as_str().expect("payload id").to_owned(),
            token: payload["consistencyToken"]
                .as_str()
                .expect("payload consistencyToken")
                .to_owned(),
            replayed: payload["replayed"].as_bool().expect("payload replayed"),
        }
    }

    /// The event's global position the consistency token names.
    pub fn position(&self) -> i64 {
        innohub_tests::token_position(&self.token).expect("consistency token names a position")
    }
}

/// `data` of a response that must have succeeded.
pub async fn ok(app: &App, token: &str, query: &str, variables: Value) -> Value {
    let response = app
        .gql(Some(token), query, variables.clone())
        .await
        .expect("request");
    assert!(
        response.get("errors").is_none_or(Value::is_null),
        "expected success for {query}\nvariables: {variables}\ngot: {response:#}"
    );
    response["data"].clone()
}

/// Send a request that must fail with exactly one error of `code`; returns the response.
pub async fn refused(
    app: &App,
    token: Option<&str>,
    query: &str,
    variables: Value,
    code: &str,
) -> Value {
    let response = app
        .gql(token, query, variables.clone())
        .await
        .expect("request");
    assert_eq!(
        error_codes(&response),
        vec![code.to_owned()],
        "expected {code} for {query}\nvariables: {variables}\ngot: {response:#}"
    );
    response
}

/// The message of a response's first error.
pub fn message(response: &Value) -> String {
    response["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Send mutation `query` as `token`, which must be refused with BAD_USER_INPUT, no payload,
/// and a message saying each of `why` (`what` names the case); returns the mutation's name.
pub async fn refused_input(
    app: &App,
    token: &str,
    what: &str,
    query: &str,
    variables: Value,
    why: &[&str],
) -> String {
    let response = refused(app, Some(token), query, variables, "BAD_USER_INPUT").await;
    let field = query
        .split_once('{')
        .and_then(|(_, rest)| rest.trim().split('(').next())
        .expect("a mutation")
        .to_owned();
    assert!(
        response["data"].is_null() || response["data"][&field].is_null(),
        "{field}, {what}: {response:#}"
    );
    let said = message(&response);
    for why in why {
        assert!(said.contains(why), "{field}, {what}: {said:?}, not {why:?}");
    }
    field
}

/// The sum of a `statusOverview` response's cell counts.
pub fn overview_total(data: &Value) -> i64 {
    data["statusOverview"]["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .map(|c| c["count"].as_i64().unwrap_or(0))
        .sum()
}

/// An id that no record has.
pub const NOBODY: &str = "0190a4e2-0000-7000-8000-000000000000";

/// Assert that `query` on the process `hidden` answers NOT_FOUND exactly as it does for an
/// id that exists nowhere, so the response leaks nothing.
pub async fn looks_missing(
    app: &App,
    token: &str,
    query: &str,
    variables: Value,
    hidden: &str,
    what: &str,
) {
    let with_id = |id: &str| with(variables.clone(), json!({ "id": id }));
    let seen = refused(app, Some(token), query, with_id(hidden), "NOT_FOUND").await;
    let missing = refused(app, Some(token), query, with_id(NOBODY), "NOT_FOUND").await;
    assert_eq!(
        seen, missing,
        "{what}: a hidden process must look exactly like a missing one"
    );
}

/// A valid submission.
pub fn form(title: &str, departments: &[&str], cases: i64, minutes: f64, share: i64) -> Value {
    json!({
        "title": title,
        "shortDescription": format!("{title}: what the department does by hand"),
        "departments": departments,
        "casesPerYear": cases,
        "minutesPerCase": minutes,
        "automationShare": share,
    })
}

/// `form` with extra fields merged in.
pub fn with(mut input: Value, extra: Value) -> Value {
    if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            input.insert(k.clone(), v.clone());
        }
    }
    input
}

/// The submit mutation, with an optional idempotency key.
pub const SUBMIT: &str = "mutation($input: SubmitProcessInput!, $key: String) {
    submitProcess(input: $input, idempotencyKey: $key) { id consistencyToken replayed process { id title } }
}";

/// Submit a process; it must succeed.
pub async fn submit(app: &App, token: &str, input: Value) -> Written {
    let data = ok(app, token, SUBMIT, json!({ "input": input })).await;
    let written = Written::from_payload(&data["submitProcess"]);
    assert_eq!(
        data["submitProcess"]["process"]["id"],
        json!(written.id),
        "payload.process is the submitted process"
    );
    written
}

/// The assess mutation.
pub const ASSESS: &str = "mutation($id: ID!, $input: AssessmentInput!) {
    assessProcess(id: $id, input: $input) { id consistencyToken replayed }
}";

/// The same middling ratings for every criterion that has them.
pub fn middling() -> Value {
    json!({
        "rulesBased": 3, "structuredInput": 3, "inputQuality": 3, "processStability": 3, "caseVariation": 3,
        "documentation": 3, "dataSensitivity": 3, "qualityGain": 3, "speedGain": 3, "routineRelief": 3,
        "strategicFit": 3, "risk": 3
    })
}

/// Assess a process; it must succeed.
pub async fn assess(app: &App, token: &str, id: &str, ratings: Value) -> Written {
    let data = ok(app, token, ASSESS, json!({ "id": id, "input": ratings })).await;
    Written::from_payload(&data["assessProcess"])
}

/// The phase mutation.
pub const CHANGE_PHASE: &str = "mutation($id: ID!, $phase: Phase!, $reason: String) {
    changeProcessPhase(id: $id, phase: $phase, reason: $reason) { id consistencyToken replayed }
}";

/// Move a process to `phase`; it must succeed.
pub async fn change_phase(app: &App, token: &str, id: &str, phase: &str) -> Written {
    let data = ok(
        app,
        token,
        CHANGE_PHASE,
        json!({ "id": id, "phase": phase }),
    )
    .await;
    Written::from_payload(&data["changeProcessPhase"])
}

/// The status mutation.
pub const CHANGE_STATUS: &str = "mutation($id: ID!, $status: Status!, $reason: String) {
    changeProcessStatus(id: $id, status: $status, reason: $reason) { id consistencyToken replayed }
}";

/// Change a process's status; it must succeed.
pub async fn change_status(
    app: &App,
    token: &str,
    id: &str,
    status: &str,
    reason: Option<&str>,
) -> Written {
    let data = ok(
        app,
        token,
        CHANGE_STATUS,
        json!({ "id": id, "status": status, "reason": reason }),
    )
    .await;
    Written::from_payload(&data["changeProcessStatus"])
}

/// The rank mutation; give one of `before`, `after`, `end` in the variables.
pub const RANK: &str = "mutation($id: ID!, $before: ID, $after: ID, $end: RankEnd) {
    rankProcess(id: $id, before: $before, after: $after, end: $end) { id consistencyToken replayed }
}";

/// Rank a process, e.g. `rank(app, t, id, json!({"end": "TOP"}))`; it must succeed.
pub async fn rank(app: &App, token: &str, id: &str, placement: Value) -> Written {
    let data = ok(app, token, RANK, with(json!({ "id": id }), placement)).await;
    Written::from_payload(&data["rankProcess"])
}

/// The update mutation.
pub const UPDATE: &str = "mutation($id: ID!, $input: UpdateProcessInput!) {
    updateProcess(id: $id, input: $input) { id consistencyToken replayed }
}";

/// A connection query over `backlog` or `processes`.
fn list_query(field: &str) -> String {
    format!(
        "query($filter: ProcessFilter, $first: Int, $consistency: String) {{
            {field}(filter: $filter, first: $first, consistency: $consistency) {{
                totalCount edges {{ node {{ {PROCESS_FIELDS} }} }}
            }}
        }}"
    )
}

/// The backlog connection (`totalCount`, `edges`), read after `consistency`.
pub async fn backlog(app: &App, token: &str, filter: Value, consistency: &str) -> Value {
    let data = ok(
        app,
        token,
        &list_query("backlog"),
        json!({ "filter": filter, "first": 100, "consistency": consistency }),
    )
    .await;
    data["backlog"].clone()
}

/// The processes connection (`totalCount`, `edges`), read after `consistency`.
pub async fn processes(app: &App, token: &str, filter: Value, consistency: &str) -> Value {
    let data = ok(
        app,
        token,
        &list_query("processes"),
        json!({ "filter": filter, "first": 100, "consistency": consistency }),
    )
    .await;
    data["processes"].clone()
}

/// The nodes of a connection.
pub fn nodes(connection: &Value) -> Vec<Value> {
    connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// A string field of every node, in order.
pub fn column(connection: &Value, field: &str) -> Vec<String> {
    nodes(connection)
        .iter()
        .map(|n| n[field].as_str().unwrap_or("<not a string>").to_owned())
        .collect()
}

/// `totalCount` of a connection.
pub fn total(connection: &Value) -> i64 {
    connection["totalCount"].as_i64().expect("totalCount")
}

/// The process query.
pub const PROCESS: &str = "query($id: ID!, $consistency: String) { process(id: $id, consistency: $consistency) { PROCESS_FIELDS } }";

/// One process as `token` sees it; it must be found.
pub async fn process(app: &App, token: &str, id: &str, consistency: &str) -> Value {
    let query = PROCESS.replace("PROCESS_FIELDS", PROCESS_FIELDS);
    let data = ok(
        app,
        token,
        &query,
        json!({ "id": id, "consistency": consistency }),
    )
    .await;
    data["process"].clone()
}

/// The history query.
pub const HISTORY: &str =
    "query($id: ID!) { history(id: $id) { sequence type occurredAt actor actorMunicipality } }";

/// The history of a record as `token` sees it; it must be found.
pub async fn history(app: &App, token: &str, id: &str) -> Vec<Value> {
    let data = ok(app, token, HISTORY, json!({ "id": id })).await;
    data["history"]
        .as_array()
        .expect("history is a list")
        .clone()
}

/// The status overview query.
pub const STATUS_OVERVIEW: &str = "query($m: String, $consistency: String) {
    statusOverview(municipality: $m, consistency: $consistency) { municipality cells { department phase status count } }
}";

/// A write in another municipality: its token covers everything appended before it.
pub async fn bystander_write(app: &App) -> Written {
    let token = app
        .token("bystander", NO, Some("it"), &["employee"])
        .await
        .expect("token");
    submit(app, &token, form("Bystander", &["it"], 1, 1.0, 1)).await
}

/// Syddjurs' administrator creates a network and invites Helsingborg, whose administrator
/// accepts; the acceptance's consistency token.
pub async fn network_of_syddjurs_and_helsingborg(app: &App) -> String {
    let admin = async |user: &str, municipality: &str| {
        let roles = &["municipality_admin"];
        app.token(user, municipality, Some("it"), roles)
            .await
            .unwrap()
    };
    let dk_admin = &admin("admin.syddjurs", DK).await;
    let se_admin = &admin("admin.helsingborg", SE).await;
    let created = ok(
        app,
        dk_admin,
        "mutation { createNetwork(name: \"Øresund\") { id } }",
        json!({}),
    )
    .await;
    let network_id = created["createNetwork"]["id"].as_str().unwrap().to_owned();
    ok(
        app,
        dk_admin,
        "mutation($id: ID!, $m: ID!) { inviteToNetwork(network: $id, municipality: $m) { id } }",
        json!({ "id": network_id, "m": SE }),
    )
    .await;
    let accepted = ok(
        app,
        se_admin,
        "mutation($id: ID!) { acceptNetworkInvitation(network: $id) { consistencyToken } }",
        json!({ "id": network_id }),
    )
    .await;
    accepted["acceptNetworkInvitation"]["consistencyToken"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// One page of `backlog` or `processes` (`field`): `first` nodes (`id title`) after the
/// cursor `after` (null for the first page), with `totalCount`, `pageInfo` and the cursors.
pub async fn page(
    app: &App,
    token: &str,
    field: &str,
    filter: Value,
    first: i64,
    after: &Value,
    consistency: &str,
) -> Value {
    let query = format!(
        "query($filter: ProcessFilter, $first: Int, $after: String, $consistency: String) {{
            {field}(filter: $filter, first: $first, after: $after, consistency: $consistency) {{
                totalCount pageInfo {{ hasNextPage hasPreviousPage }}
                edges {{ cursor node {{ id title }} }}
            }}
        }}"
    );
    let variables =
        json!({ "filter": filter, "first": first, "after": after, "consistency": consistency });
    ok(app, token, &query, variables).await[field].clone()
}

/// The cursor of a page's last edge.
pub fn last_cursor(connection: &Value) -> Value {
    connection["edges"]
        .as_array()
        .and_then(|e| e.last())
        .map(|e| e["cursor"].clone())
        .expect("a page with edges has a last cursor")
}

/// Every node of a list, `first` at a time through its cursors; asserts that every page's
/// `totalCount` is the number of nodes found in all.
pub async fn page_through(
    app: &App,
    token: &str,
    field: &str,
    filter: Value,
    first: i64,
    consistency: &str,
) -> Vec<Value> {
    let (mut found, mut totals, mut after) = (Vec::new(), Vec::new(), Value::Null);
    loop {
        let connection = page(
            app,
            token,
            field,
            filter.clone(),
            first,
            &after,
            consistency,
        )
        .await;
        assert_eq!(connection["pageInfo"]["hasPreviousPage"], !after.is_null());
        totals.push(total(&connection));
        found.extend(nodes(&connection));
        if connection["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = last_cursor(&connection);
    }
    assert!(
        totals.iter().all(|t| *t == found.len() as i64),
        "{field} {filter}: totalCount {totals:?} on the pages, {} found",
        found.len()
    );
    found
}

/// A header of `response`, or "" when it has none (or not as text).
pub fn header<'a>(response: &'a reqwest::Response, name: &reqwest::header::HeaderName) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// `response` (of a page, `what`) carries a Content-Security-Policy that lets it load scripts
/// and make requests on its own origin only; the policy.
pub fn assert_same_origin_only(response: &reqwest::Response, what: &str) -> String {
    let csp = header(response, &reqwest::header::CONTENT_SECURITY_POLICY).to_owned();
    assert!(
        csp.contains("default-src 'self'")
            && csp.contains("script-src 'self';")
            && csp.contains("connect-src 'self';"),
        "{what}: scripts and requests must be same-origin only: {csp:?}"
    );
    csp
}

/// GET one of a page's files, `url` (a path on the app), which must be served with a
/// content type starting with `kind`, `nosniff`, a Cache-Control and a body; the body.
pub async fn asset(app: &App, url: &str, kind: &str) -> anyhow::Result<String> {
    use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
    let asset = app.client().get(format!("{}{url}", app.url)).send().await?;
    assert_eq!(asset.status(), 200, "GET {url}");
    assert!(
        header(&asset, &CONTENT_TYPE).starts_with(kind),
        "GET {url}: not {kind}: {:?}",
        asset.headers()
    );
    assert_eq!(
        header(&asset, &X_CONTENT_TYPE_OPTIONS),
        "nosniff",
        "GET {url}"
    );
    assert!(
        !header(&asset, &CACHE_CONTROL).is_empty(),
        "GET {url}: {:?}",
        asset.headers()
    );
    let body = asset.text().await?;
    assert!(!body.is_empty(), "GET {url}: empty");
    Ok(body)
}

/// The Chromium binary a browser test (`test` names it) drives: `INNOHUB_CHROMIUM`, or
/// Debian's. Missing is a failure, not a skip.
pub fn chromium(test: &str) -> std::path::PathBuf {
    let chromium = std::path::PathBuf::from(
        std::env::var_os("INNOHUB_CHROMIUM").unwrap_or_else(|| "/usr/bin/chromium".into()),
    );
    assert!(
        chromium.is_file(),
        "Chromium is needed for {test} and is not at {} (install Debian's package with \
         `deploy/chromium.sh ensure`, or set INNOHUB_CHROMIUM to a Chromium binary); this test \
         does not skip",
        chromium.display()
    );
    chromium
}
