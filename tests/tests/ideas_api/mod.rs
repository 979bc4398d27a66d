//! What the black-box tests of the ideas context share (`ideas.rs`, `tenancy.rs`,
//! `ideas_distributed.rs`): its GraphQL documents, valid inputs, and helpers that send a
//! command or read a view and fail loudly, with the whole response, when the server answers
//! otherwise. Include it after `common` (`mod common; mod ideas_api;`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use innohub_tests::App;
use serde_json::{Value, json};

use crate::common::{Written, ok, with};

/// Every field of an idea and what it holds (the challenge, scores, gates, comments,
/// outcomes, action items).
pub const IDEA_FIELDS: &str = "id municipality sharedWithYou title need proposedSolution expectedValue \
    departments tags reviewers driver visibility stage likelyOutcome submitter challenge { id title } \
    supportCount supportedByMe score scores { reviewer values { criterion value } score } \
    gateDecisions { from to rationale decider likelyOutcome decidedAt } \
    comments { author authorMunicipality text } \
    outcomes { context kind municipality id process { id title originIdea { municipality id } } } \
    actionItems { id title owner deadline status overdue } createdAt updatedAt";

/// One idea, read after `$c`.
pub fn idea_query() -> String {
    format!("query($id: ID!, $c: String) {{ idea(id: $id, consistency: $c) {{ {IDEA_FIELDS} }} }}")
}

/// A page of ideas (`id title stage`), read after `$c`.
pub const IDEAS: &str = "query($filter: IdeaFilter, $first: Int, $after: String, $c: String) { \
    ideas(filter: $filter, first: $first, after: $after, consistency: $c) { \
    totalCount pageInfo { hasNextPage hasPreviousPage } edges { cursor node { id title stage } } } }";

/// The challenge fields the tests read.
pub const CHALLENGE_FIELDS: &str = "id municipality title description owner departments openFrom openTo \
    status closedReason ideaCount createdBy";
/// One challenge, read after `$c`.
pub const CHALLENGE: &str = "query($id: ID!, $c: String) { challenge(id: $id, consistency: $c) { id title status closedReason ideaCount } }";
/// The viewer's municipality's challenges, read after `$c`.
pub const CHALLENGES: &str =
    "query($c: String) { challenges(consistency: $c) { id title status ideaCount } }";
/// One workshop, read after `$c`.
pub const WORKSHOP: &str = "query($id: ID!, $c: String) { workshop(id: $id, consistency: $c) { id title date facilitator participants \
    challenge { id } ideas { id } summary outcomes actionItems { id title status } } }";
/// The viewer's municipality's workshops, read after `$c`.
pub const WORKSHOPS: &str = "query($c: String) { workshops(consistency: $c) { id title } }";
/// Action items by the query's filters, read after `$c`.
pub const ACTION_ITEMS: &str = "query($owner: String, $overdue: Boolean, $workshop: ID, $idea: ID, $c: String) { \
    actionItems(owner: $owner, overdue: $overdue, workshop: $workshop, idea: $idea, consistency: $c) { \
    id title owner deadline status overdue workshopId ideaId completedAt droppedAt dropReason } }";
/// The innovation funnel, read after `$c`.
pub const FUNNEL: &str = "query($m: String, $from: NaiveDate, $to: NaiveDate, $c: String) { \
    ideaFunnel(municipality: $m, from: $from, to: $to, consistency: $c) { municipality from to \
    stages { stage ideas } conversions { from to entered advanced rate } \
    leadTimes { stage ideas medianDays } becameProcesses } }";
/// The viewer's municipality's criteria, read after `$c`.
pub const CRITERIA: &str = "query($c: String) { ideaCriteria(consistency: $c) { name weight scaleMin scaleMax lowerIsBetter } }";
/// A process and the idea it came from, read after `$c`.
pub const ORIGIN: &str = "query($id: ID!, $c: String) { process(id: $id, consistency: $c) { id title sharedWithYou \
    originIdea { municipality id idea { id title } } } }";

/// `openChallenge`, optionally as a draft.
pub const OPEN_CHALLENGE: &str = "mutation($input: ChallengeInput!, $draft: Boolean = false, $key: String) { \
    openChallenge(input: $input, draft: $draft, idempotencyKey: $key) { id consistencyToken replayed } }";
/// `publishChallenge`.
pub const PUBLISH_CHALLENGE: &str =
    "mutation($id: ID!) { publishChallenge(id: $id) { id consistencyToken replayed } }";
/// `closeChallenge`.
pub const CLOSE_CHALLENGE: &str = "mutation($id: ID!, $reason: String) { closeChallenge(id: $id, reason: $reason) { id consistencyToken replayed } }";
/// `submitIdea`.
pub const SUBMIT_IDEA: &str = "mutation($input: SubmitIdeaInput!, $key: String) { \
    submitIdea(input: $input, idempotencyKey: $key) { id consistencyToken replayed } }";
/// `updateIdea`.
pub const UPDATE_IDEA: &str = "mutation($id: ID!, $input: UpdateIdeaInput!) { updateIdea(id: $id, input: $input) { id consistencyToken replayed } }";
/// `decideIdeaGate`.
pub const DECIDE_GATE: &str = "mutation($id: ID!, $to: Stage!, $rationale: String!, $outcome: Outcome) { \
    decideIdeaGate(id: $id, to: $to, rationale: $rationale, likelyOutcome: $outcome) { id consistencyToken replayed } }";
/// `supportIdea`.
pub const SUPPORT: &str = "mutation($id: ID!, $key: String) { supportIdea(id: $id, idempotencyKey: $key) { id consistencyToken replayed } }";
/// `withdrawSupport`.
pub const WITHDRAW: &str =
    "mutation($id: ID!) { withdrawSupport(id: $id) { id consistencyToken replayed } }";
/// `commentOnIdea`.
pub const COMMENT: &str = "mutation($id: ID!, $text: String!) { commentOnIdea(id: $id, text: $text) { id consistencyToken replayed } }";
/// `setIdeaCriteria`.
pub const SET_CRITERIA: &str = "mutation($criteria: [CriterionInput!]!) { setIdeaCriteria(criteria: $criteria) { id consistencyToken replayed } }";
/// `scoreIdea`.
pub const SCORE: &str = "mutation($id: ID!, $scores: [CriterionScoreInput!]!) { scoreIdea(id: $id, scores: $scores) { id consistencyToken replayed } }";
/// `recordWorkshop`.
pub const RECORD_WORKSHOP: &str = "mutation($input: WorkshopInput!) { recordWorkshop(input: $input) { id consistencyToken replayed } }";
/// `addActionItem`.
pub const ADD_ACTION_ITEM: &str = "mutation($input: AddActionItemInput!) { addActionItem(input: $input) { id consistencyToken replayed } }";
/// `completeActionItem`.
pub const COMPLETE_ACTION_ITEM: &str =
    "mutation($id: ID!) { completeActionItem(id: $id) { id consistencyToken replayed } }";
/// `dropActionItem`.
pub const DROP_ACTION_ITEM: &str = "mutation($id: ID!, $reason: String!) { dropActionItem(id: $id, reason: $reason) { id consistencyToken replayed } }";
/// `spawnProcessFromIdea`.
pub const SPAWN: &str = "mutation($id: ID!, $input: SubmitProcessInput!, $key: String) { \
    spawnProcessFromIdea(id: $id, input: $input, idempotencyKey: $key) { id processId consistencyToken replayed } }";

/// A valid idea of `departments`, idea-driven.
pub fn idea_form(title: &str, departments: &[&str]) -> Value {
    json!({
        "title": title,
        "need": format!("{title}: what hurts today"),
        "proposedSolution": "Let a robot do it",
        "expectedValue": "Fewer hours on routine work",
        "departments": departments,
        "tags": ["AI"],
        "driver": "IDEA_DRIVEN",
    })
}

/// A valid challenge open from `from` to `to`.
pub fn challenge_form(title: &str, from: &str, to: &str) -> Value {
    json!({
        "title": title,
        "description": format!("{title}: how might we?"),
        "owner": "karin",
        "departments": ["social"],
        "openFrom": from,
        "openTo": to,
    })
}

/// A valid workshop held on `date`, working on `ideas`.
pub fn workshop_form(title: &str, date: &str, ideas: &[&str]) -> Value {
    json!({
        "title": title,
        "date": date,
        "facilitator": "karin",
        "participants": ["anna", "bo"],
        "ideas": ideas,
        "summary": "We explored the ideas and agreed who does what by when.",
        "outcomes": ["Map the case flow", "Ask the supplier"],
    })
}

/// The payload of mutation `field` in `data`.
pub fn written(data: &Value, field: &str) -> Written {
    assert!(data[field].is_object(), "{field} has no payload: {data:#}");
    Written::from_payload(&data[field])
}

/// Run a command that must succeed; its payload.
pub async fn command(app: &App, token: &str, query: &str, variables: Value) -> Written {
    let data = ok(app, token, query, variables).await;
    let field = data
        .as_object()
        .and_then(|o| o.keys().next().cloned())
        .expect("a payload");
    written(&data, &field)
}

/// Submit an idea; it must succeed.
pub async fn submit_idea(app: &App, token: &str, input: Value) -> Written {
    command(app, token, SUBMIT_IDEA, json!({ "input": input })).await
}

/// Decide a gate; it must succeed.
pub async fn gate(
    app: &App,
    token: &str,
    id: &str,
    to: &str,
    rationale: &str,
    outcome: Option<&str>,
) -> Written {
    command(
        app,
        token,
        DECIDE_GATE,
        json!({ "id": id, "to": to, "rationale": rationale, "outcome": outcome }),
    )
    .await
}

/// Open a challenge from `from` to `to`; it must succeed.
pub async fn open_challenge(app: &App, token: &str, title: &str, from: &str, to: &str) -> Written {
    command(
        app,
        token,
        OPEN_CHALLENGE,
        json!({ "input": challenge_form(title, from, to) }),
    )
    .await
}

/// Record a workshop; it must succeed.
pub async fn record_workshop(app: &App, token: &str, input: Value) -> Written {
    command(app, token, RECORD_WORKSHOP, json!({ "input": input })).await
}

/// Add an action item; it must succeed.
pub async fn add_action_item(
    app: &App,
    token: &str,
    workshop: &str,
    idea: Option<&str>,
    title: &str,
    owner: &str,
    deadline: &str,
) -> Written {
    command(
        app,
        token,
        ADD_ACTION_ITEM,
        json!({ "input": {
            "workshop": workshop, "idea": idea, "title": title, "owner": owner, "deadline": deadline,
        } }),
    )
    .await
}

/// One idea as `token` sees it after `consistency`; it must be found.
pub async fn idea(app: &App, token: &str, id: &str, consistency: &str) -> Value {
    let data = ok(
        app,
        token,
        &idea_query(),
        json!({ "id": id, "c": consistency }),
    )
    .await;
    data["idea"].clone()
}

/// The action items `filter` (the query's arguments) selects, after `consistency`.
pub async fn action_items(app: &App, token: &str, filter: Value, consistency: &str) -> Vec<Value> {
    let data = ok(
        app,
        token,
        ACTION_ITEMS,
        with(filter, json!({ "c": consistency })),
    )
    .await;
    data["actionItems"].as_array().expect("a list").clone()
}

/// The `id`s of a list of records.
pub fn ids(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// The event types of a record's history as `token` sees them.
pub async fn history_types(app: &App, token: &str, id: &str) -> Vec<String> {
    crate::common::history(app, token, id)
        .await
        .iter()
        .map(|e| e["type"].as_str().expect("type").to_owned())
        .collect()
}

/// Two numbers are equal to 1e-6.
pub fn close(actual: &Value, expected: f64) {
    let actual = actual
        .as_f64()
        .unwrap_or_else(|| panic!("a number, got {actual}"));
    assert!(
        (actual - expected).abs() < 1e-6,
        "{actual} is not {expected}"
    );
}
