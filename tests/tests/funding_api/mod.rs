//! What the black-box tests of the funding context share (`funding.rs`,
//! `funding_distributed.rs`, `tenancy.rs`): its GraphQL documents, valid inputs (Helsingborg's
//! innovation fund, a round, an application complete enough to submit, a review), helpers that
//! send a command or read a view and fail loudly, with the whole response, when the server
//! answers otherwise, and the ledger of a period summed from its stored events. Include it
//! after `common` and `ideas_api` (`mod common; mod ideas_api; mod funding_api;`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use innohub_proto::innohub::funding::v1 as pb;
use innohub_runtime::Database;
use innohub_tests::App;
use prost::Message as _;
use serde_json::{Value, json};

use crate::common::{Written, ok, with};
use crate::ideas_api::command;

/// An amount as GraphQL shows it.
pub const MONEY: &str = "{ minorUnits currency formatted }";

/// Every field of a year's ledger.
pub fn ledger_fields() -> String {
    format!(
        "id fund year currency budget {MONEY} committed {MONEY} disbursed {MONEY} \
         returned {MONEY} remaining {MONEY}"
    )
}

/// Every field of a fund: its terms, rounds and ledgers.
pub fn fund_fields() -> String {
    format!(
        "id municipality sharedWithYou createdBy \
         terms {{ name description currency minGrant {MONEY} maxGrant {MONEY} minDepartments \
         criteria {{ name description weight }} visibility }} \
         rounds {{ id title applicationDeadline councilDate year }} \
         periods {{ {} }}",
        ledger_fields()
    )
}

/// Every field of an application: its details, reviews, decision and money.
pub fn application_fields() -> String {
    format!(
        "id municipality sharedWithYou fundId roundId status draftedBy submittedBy \
         origin {{ context kind id }} \
         details {{ title summary applicants departments amountRequested {MONEY} \
         canvas {{ need solution targetGroup partners timeline \
         costPlan {{ description amount {MONEY} }} expectedEffects }} \
         checklist {{ item done }} visibility }} \
         assignments {{ reviewer assignedBy }} \
         reviews {{ reviewer scores {{ criterion score }} comment score }} score \
         decision {{ round outcome approved {MONEY} conditions rationale year decidedBy }} \
         withdrawal {{ withdrawnBy reason }} \
         disbursements {{ id amount {MONEY} date note disbursedBy }} \
         returns {{ amount {MONEY} note returnedBy }} \
         disbursed {MONEY} returned {MONEY} \
         progressReports {{ id date text spent {MONEY} reportedBy }}"
    )
}

/// One fund, read after `$c`.
pub fn fund_query() -> String {
    format!(
        "query($id: ID!, $c: String) {{ fund(id: $id, consistency: $c) {{ {} }} }}",
        fund_fields()
    )
}

/// The funds the caller may see (`id terms.name`), of municipality `$m` if given.
pub const FUNDS: &str = "query($m: ID, $c: String) { funds(municipality: $m, consistency: $c) { \
    id municipality sharedWithYou terms { name } } }";

/// The ledger of a fund's year, read after `$c`.
pub fn ledger_query() -> String {
    format!(
        "query($fund: ID!, $year: Int!, $c: String) {{ \
         fundLedger(fund: $fund, year: $year, consistency: $c) {{ {} }} }}",
        ledger_fields()
    )
}

/// One application, read after `$c`.
pub fn application_query() -> String {
    format!(
        "query($id: ID!, $c: String) {{ application(id: $id, consistency: $c) {{ {} }} }}",
        application_fields()
    )
}

/// The pipeline of the applications `$filter` matches, read after `$c`.
pub fn pipeline_query() -> String {
    format!(
        "query($filter: ApplicationFilter, $c: String) {{ \
         applications(filter: $filter, consistency: $c) {{ total \
         stages {{ status count requested {MONEY} approved {MONEY} applications {{ id }} }} }} }}"
    )
}

/// The innovation funnel's fund applications and grants (of municipality `$m`, the caller's
/// if null), read after `$c`.
pub const FUNDING_FUNNEL: &str = "query($m: String, $c: String) { innovationFunnel(municipality: $m, consistency: $c) { \
    applications { count fromIdeas } grants { count granted { minorUnits currency } } } }";

/// `createFund`.
pub const CREATE_FUND: &str = "mutation($terms: FundTermsInput!, $key: String) { \
    createFund(terms: $terms, idempotencyKey: $key) { id consistencyToken replayed } }";
/// `setFundBudget`: the payload's id is the year's record.
pub const SET_BUDGET: &str = "mutation($fund: ID!, $year: Int!, $budget: MoneyInput!, $key: String) { \
    setFundBudget(fund: $fund, year: $year, budget: $budget, idempotencyKey: $key) { \
    id consistencyToken replayed } }";
/// `scheduleDecisionRound`.
pub const SCHEDULE_ROUND: &str = "mutation($fund: ID!, $round: DecisionRoundInput!, $key: String) { \
    scheduleDecisionRound(fund: $fund, round: $round, idempotencyKey: $key) { \
    id consistencyToken replayed } }";
/// `draftApplication`.
pub const DRAFT_APPLICATION: &str = "mutation($fund: ID!, $round: ID!, $details: ApplicationDetailsInput!, \
    $origin: RecordRefInput, $key: String) { \
    draftApplication(fund: $fund, round: $round, details: $details, origin: $origin, idempotencyKey: $key) { \
    id consistencyToken replayed } }";
/// `updateApplication`: the fields given in `$details` change, the others stay.
pub const UPDATE_APPLICATION: &str = "mutation($id: ID!, $details: ApplicationDetailsInput!, $fields: [String!], $key: String) { \
    updateApplication(id: $id, details: $details, fields: $fields, idempotencyKey: $key) { \
    id consistencyToken replayed } }";
/// `submitApplication`.
pub const SUBMIT_APPLICATION: &str = "mutation($id: ID!, $key: String) { \
    submitApplication(id: $id, idempotencyKey: $key) { id consistencyToken replayed } }";
/// `withdrawApplication`.
pub const WITHDRAW_APPLICATION: &str = "mutation($id: ID!, $reason: String, $key: String) { \
    withdrawApplication(id: $id, reason: $reason, idempotencyKey: $key) { id consistencyToken replayed } }";
/// `assignReviewer`.
pub const ASSIGN_REVIEWER: &str = "mutation($id: ID!, $reviewer: String!, $key: String) { \
    assignReviewer(id: $id, reviewer: $reviewer, idempotencyKey: $key) { id consistencyToken replayed } }";
/// `reviewApplication`.
pub const REVIEW_APPLICATION: &str = "mutation($id: ID!, $review: ReviewInput!, $key: String) { \
    reviewApplication(id: $id, review: $review, idempotencyKey: $key) { id consistencyToken replayed } }";
/// `decideApplication`.
pub const DECIDE_APPLICATION: &str = "mutation($id: ID!, $round: ID!, $outcome: DecisionOutcome!, \
    $amount: MoneyInput, $conditions: String, $rationale: String!, $key: String) { \
    decideApplication(id: $id, round: $round, outcome: $outcome, amount: $amount, \
    conditions: $conditions, rationale: $rationale, idempotencyKey: $key) { \
    id consistencyToken replayed } }";
/// `disburse`: the payload's id is the grant's year.
pub const DISBURSE: &str = "mutation($id: ID!, $amount: MoneyInput!, $date: NaiveDate, $note: String, $key: String) { \
    disburse(id: $id, amount: $amount, date: $date, note: $note, idempotencyKey: $key) { \
    id consistencyToken replayed } }";
/// `recordProgressReport`.
pub const RECORD_PROGRESS: &str = "mutation($id: ID!, $report: ProgressReportInput!, $key: String) { \
    recordProgressReport(id: $id, report: $report, idempotencyKey: $key) { \
    id consistencyToken replayed } }";
/// `returnUnspent`: the payload's id is the grant's year.
pub const RETURN_UNSPENT: &str = "mutation($id: ID!, $amount: MoneyInput!, $note: String, $key: String) { \
    returnUnspent(id: $id, amount: $amount, note: $note, idempotencyKey: $key) { \
    id consistencyToken replayed } }";

/// Every mutation of the funding context, by its field name, in order.
pub const FUNDING_MUTATIONS: [&str; 13] = [
    "assignReviewer",
    "createFund",
    "decideApplication",
    "disburse",
    "draftApplication",
    "recordProgressReport",
    "returnUnspent",
    "reviewApplication",
    "scheduleDecisionRound",
    "setFundBudget",
    "submitApplication",
    "updateApplication",
    "withdrawApplication",
];

/// `kronor` Swedish crowns, as GraphQL takes money (integer öre).
pub fn sek(kronor: i64) -> Value {
    json!({ "minorUnits": kronor * 100, "currency": "SEK" })
}

/// `kronor` as the ledger and the money fields show it.
pub fn shown(kronor: i64) -> Value {
    json!({
        "minorUnits": kronor * 100,
        "currency": "SEK",
        "formatted": format!("{kronor}.00 SEK"),
    })
}

/// The criteria of Helsingborg's fund: benefit for citizens weighs three times feasibility.
pub const FUND_CRITERIA: [(&str, u32); 2] = [("Nytta för invånarna", 3), ("Genomförbarhet", 1)];

/// Helsingborg's innovation fund: 250 kSEK – 1 MSEK a project, at least two departments.
pub fn fund_terms(name: &str, visibility: &str) -> Value {
    json!({
        "name": name,
        "description": "För nya sätt att möta invånarnas behov",
        "currency": "SEK",
        "minGrant": sek(250_000),
        "maxGrant": sek(1_000_000),
        "minDepartments": 2,
        "criteria": FUND_CRITERIA.map(|(name, weight)| json!({ "name": name, "weight": weight })),
        "visibility": visibility,
    })
}

/// A round whose council meets on `council` and takes applications until `deadline`.
pub fn round(title: &str, deadline: &str, council: &str) -> Value {
    json!({ "title": title, "applicationDeadline": deadline, "councilDate": council })
}

/// What a draft holds from the start: a title and its applicants.
pub fn draft_details(title: &str, applicants: &[&str]) -> Value {
    json!({ "title": title, "applicants": applicants })
}

/// The rest of an application of `departments` asking for `kronor`, with a cost plan that
/// sums to it.
pub fn the_rest(kronor: i64, departments: &[&str]) -> Value {
    json!({
        "summary": "Fallsensorer som larmar nattpatrullen när en brukare faller",
        "departments": departments,
        "amountRequested": sek(kronor),
        "canvas": {
            "need": "Fall om natten upptäcks för sent",
            "solution": "Fallsensorer kopplade till nattpatrullen",
            "targetGroup": "Äldre med hemtjänst",
            "partners": "Leverantören av trygghetslarm",
            "timeline": "Ett år från januari",
            "costPlan": [
                { "description": "Sensorer", "amount": sek(kronor - 100_000) },
                { "description": "Utbildning", "amount": sek(100_000) },
            ],
            "expectedEffects": "Färre fallskador",
        },
        "checklist": [{ "item": "Förvaltningscheferna har godkänt", "done": true }],
    })
}

/// A complete application of `applicants` asking for `kronor`, seen by `visibility`.
pub fn complete_details(title: &str, applicants: &[&str], kronor: i64, visibility: &str) -> Value {
    with(
        with(
            draft_details(title, applicants),
            the_rest(kronor, &["social", "it"]),
        ),
        json!({ "visibility": visibility }),
    )
}

/// A review giving the criteria `scores`, in the order of [`FUND_CRITERIA`].
pub fn review(scores: [u32; 2]) -> Value {
    json!({
        "scores": [
            { "criterion": FUND_CRITERIA[0].0, "score": scores[0] },
            { "criterion": FUND_CRITERIA[1].0, "score": scores[1] },
        ],
        "comment": "Välgrundad, men tidplanen är snäv",
    })
}

/// A progress report of `date` with `spent` kronor spent.
pub fn progress(date: &str, spent: i64) -> Value {
    json!({ "date": date, "text": "Sensorerna är installerade hos tolv brukare", "spent": sek(spent) })
}

/// The record of `fund`'s money in `year`.
pub fn period_id(fund: &str, year: i32) -> String {
    format!("fund-period:{fund}:{year}")
}

/// Create a fund; it must succeed.
pub async fn create_fund(app: &App, token: &str, terms: Value) -> Written {
    command(app, token, CREATE_FUND, json!({ "terms": terms })).await
}

/// Set a fund's budget for `year` to `kronor`; it must succeed.
pub async fn set_budget(app: &App, token: &str, fund: &str, year: i32, kronor: i64) -> Written {
    command(
        app,
        token,
        SET_BUDGET,
        json!({ "fund": fund, "year": year, "budget": sek(kronor) }),
    )
    .await
}

/// Schedule a round; it must succeed. Returns the write and the new round's id.
pub async fn schedule_round(app: &App, token: &str, fund: &str, round: Value) -> (Written, String) {
    let title = round["title"].clone();
    let written = command(
        app,
        token,
        SCHEDULE_ROUND,
        json!({ "fund": fund, "round": round }),
    )
    .await;
    let seen = fund_view(app, token, fund, &written.token).await;
    let id = seen["rounds"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["title"] == title))
        .and_then(|r| r["id"].as_str())
        .unwrap_or_else(|| panic!("no round {title}: {seen:#}"))
        .to_owned();
    (written, id)
}

/// Draft an application; it must succeed.
pub async fn draft(app: &App, token: &str, fund: &str, round: &str, details: Value) -> Written {
    command(
        app,
        token,
        DRAFT_APPLICATION,
        json!({ "fund": fund, "round": round, "details": details }),
    )
    .await
}

/// Draft an application for the idea `idea` of `municipality`; it must succeed.
pub async fn draft_for_idea(
    app: &App,
    token: &str,
    (fund, round): (&str, &str),
    details: Value,
    (idea, municipality): (&str, &str),
) -> Written {
    let origin =
        json!({ "context": "ideas", "kind": "idea", "id": idea, "municipality": municipality });
    let variables = json!({ "fund": fund, "round": round, "details": details, "origin": origin });
    command(app, token, DRAFT_APPLICATION, variables).await
}

/// Change some details of a draft; it must succeed.
pub async fn update(app: &App, token: &str, id: &str, details: Value) -> Written {
    command(
        app,
        token,
        UPDATE_APPLICATION,
        json!({ "id": id, "details": details }),
    )
    .await
}

/// Submit an application; it must succeed.
pub async fn submit_application(app: &App, token: &str, id: &str) -> Written {
    command(app, token, SUBMIT_APPLICATION, json!({ "id": id })).await
}

/// Withdraw an application; it must succeed.
pub async fn withdraw(app: &App, token: &str, id: &str, reason: &str) -> Written {
    command(
        app,
        token,
        WITHDRAW_APPLICATION,
        json!({ "id": id, "reason": reason }),
    )
    .await
}

/// Assign a reviewer; it must succeed.
pub async fn assign(app: &App, token: &str, id: &str, reviewer: &str) -> Written {
    command(
        app,
        token,
        ASSIGN_REVIEWER,
        json!({ "id": id, "reviewer": reviewer }),
    )
    .await
}

/// Review an application; it must succeed.
pub async fn review_application(app: &App, token: &str, id: &str, scores: [u32; 2]) -> Written {
    command(
        app,
        token,
        REVIEW_APPLICATION,
        json!({ "id": id, "review": review(scores) }),
    )
    .await
}

/// The variables of a decision of `outcome` (`amount` kronor for a partial one).
pub fn decision(id: &str, round: &str, outcome: &str, amount: Option<i64>) -> Value {
    json!({
        "id": id,
        "round": round,
        "outcome": outcome,
        "amount": amount.map(sek),
        "conditions": "Rapport efter sex månader",
        "rationale": "Stor nytta för invånarna",
    })
}

/// Decide an application; it must succeed.
pub async fn decide_application(
    app: &App,
    token: &str,
    id: &str,
    round: &str,
    outcome: &str,
    amount: Option<i64>,
) -> Written {
    command(
        app,
        token,
        DECIDE_APPLICATION,
        decision(id, round, outcome, amount),
    )
    .await
}

/// Pay `kronor` of a grant; it must succeed.
pub async fn disburse(app: &App, token: &str, id: &str, kronor: i64) -> Written {
    command(
        app,
        token,
        DISBURSE,
        json!({ "id": id, "amount": sek(kronor), "note": "Sensorer" }),
    )
    .await
}

/// Record a progress report; it must succeed.
pub async fn report_progress(app: &App, token: &str, id: &str, report: Value) -> Written {
    command(
        app,
        token,
        RECORD_PROGRESS,
        json!({ "id": id, "report": report }),
    )
    .await
}

/// Give `kronor` of a grant back; it must succeed.
pub async fn return_unspent(app: &App, token: &str, id: &str, kronor: i64) -> Written {
    command(
        app,
        token,
        RETURN_UNSPENT,
        json!({ "id": id, "amount": sek(kronor), "note": "Billigare än väntat" }),
    )
    .await
}

/// A ledger view's budget, committed, disbursed, returned and remaining, in kronor (each in
/// SEK and formatted as such).
pub fn in_kronor(ledger: &Value) -> [i64; 5] {
    ["budget", "committed", "disbursed", "returned", "remaining"].map(|field| {
        let money = &ledger[field];
        let minor = money["minorUnits"]
            .as_i64()
            .unwrap_or_else(|| panic!("{field}: {ledger:#}"));
        assert_eq!(*money, shown(minor / 100), "{field}: {ledger:#}");
        minor / 100
    })
}

/// One fund as `token` sees it after `consistency`; it must be found.
pub async fn fund_view(app: &App, token: &str, id: &str, consistency: &str) -> Value {
    ok(
        app,
        token,
        &fund_query(),
        json!({ "id": id, "c": consistency }),
    )
    .await["fund"]
        .clone()
}

/// A fund's ledger of `year` as `token` sees it after `consistency`; it must be found.
pub async fn ledger(app: &App, token: &str, fund: &str, year: i32, consistency: &str) -> Value {
    let variables = json!({ "fund": fund, "year": year, "c": consistency });
    ok(app, token, &ledger_query(), variables).await["fundLedger"].clone()
}

/// One application as `token` sees it after `consistency`; it must be found.
pub async fn application(app: &App, token: &str, id: &str, consistency: &str) -> Value {
    let variables = json!({ "id": id, "c": consistency });
    ok(app, token, &application_query(), variables).await["application"].clone()
}

/// The pipeline of the applications `filter` matches, as `token` sees it.
pub async fn pipeline(app: &App, token: &str, filter: Value, consistency: &str) -> Value {
    let variables = json!({ "filter": filter, "c": consistency });
    ok(app, token, &pipeline_query(), variables).await["applications"].clone()
}

/// The stage of `status` of a pipeline.
pub fn stage<'a>(pipeline: &'a Value, status: &str) -> &'a Value {
    pipeline["stages"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["status"] == status))
        .unwrap_or_else(|| panic!("no stage {status}: {pipeline:#}"))
}

/// The ids of a stage's applications, sorted.
pub fn stage_ids(pipeline: &Value, status: &str) -> Vec<String> {
    let mut ids: Vec<String> = stage(pipeline, status)["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .map(|a| a["id"].as_str().expect("an id").to_owned())
        .collect();
    ids.sort();
    ids
}

/// A period's ledger summed from its events in the event store at `url` (SQLite or
/// PostgreSQL): budget (the latest set), committed, disbursed and returned, in öre; and the
/// event types in order.
pub async fn ledger_of_events(url: &str, period: &str) -> ([i64; 4], Vec<String>) {
    let db = Database::connect(url).await.expect("the event store");
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
        "SELECT event_type, payload FROM events WHERE aggregate_id = $1 ORDER BY sequence",
    )
    .bind(period)
    .fetch_all(db.reader())
    .await
    .expect("the period's events");
    db.close().await;
    let mut sums = [0; 4];
    let minor =
        |m: Option<innohub_proto::innohub::common::v1::Money>| m.expect("an amount").minor_units;
    for (event_type, payload) in &rows {
        let payload = payload.as_slice();
        match event_type.as_str() {
            "FundBudgetSet" => sums[0] = minor(pb::FundBudgetSet::decode(payload).unwrap().budget),
            "GrantCommitted" => {
                sums[1] += minor(pb::GrantCommitted::decode(payload).unwrap().amount)
            }
            "GrantDisbursed" => {
                sums[2] += minor(pb::GrantDisbursed::decode(payload).unwrap().amount)
            }
            "UnspentReturned" => {
                sums[3] += minor(pb::UnspentReturned::decode(payload).unwrap().amount);
            }
            other => panic!("{other} in period {period}"),
        }
    }
    (sums, rows.into_iter().map(|(t, _)| t).collect())
}

/// The event store of an embedded app, for [`ledger_of_events`].
pub fn embedded_store(app: &App) -> String {
    Database::sqlite_url(&app.data_dir.join("events.sqlite"))
}

/// Assert that `ledger` (a `fundLedger` view) is the sum of its period's events in the store
/// at `url`, and that remaining = budget − committed + returned.
pub async fn assert_ledger_is_the_events_sum(url: &str, ledger: &Value) {
    let period = ledger["id"].as_str().expect("a ledger id");
    let ([budget, committed, disbursed, returned], _) = ledger_of_events(url, period).await;
    let minor = |field: &str| {
        ledger[field]["minorUnits"]
            .as_i64()
            .unwrap_or_else(|| panic!("{field}: {ledger:#}"))
    };
    assert_eq!(
        [
            minor("budget"),
            minor("committed"),
            minor("disbursed"),
            minor("returned"),
            minor("remaining"),
        ],
        [
            budget,
            committed,
            disbursed,
            returned,
            budget - committed + returned
        ],
        "{period}: the ledger view is the sum of its events"
    );
}
