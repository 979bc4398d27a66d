//! What the black-box tests of the pilots context share (`pilots.rs`, `pilots_distributed.rs`,
//! `tenancy.rs`, `links.rs`): its GraphQL documents, valid inputs (a plan complete in every
//! topic of the roadmap, a benefit, an evaluation, a decision's basis), and helpers that send a
//! command or read a view and fail loudly, with the whole response, when the server answers
//! otherwise. Include it after `common` and `ideas_api` (`mod common; mod ideas_api; mod
//! pilots_api;`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use innohub_tests::App;
use serde_json::{Value, json};

use crate::common::{Written, ok, with};
use crate::ideas_api::command;

/// Every topic of a pilot's plan.
pub const PLAN_FIELDS: &str = "title departments visibility goals learningGoals \
    scope { touchpoints workProcesses routines growth } startDate endDate \
    participants { kind description count recruitment } information training errorHandling \
    measurement observation documentation responsible anchoring";

/// A benefit with its indicator, baseline, target and measurements.
pub const BENEFIT_FIELDS: &str = "id title kind category priced beneficiary owner \
    indicator { unit method frequency } baseline { value date } target { value date } \
    measurements { value date } latest { value date } realisation";

/// One rating of the evaluation.
const RATING: &str = "{ score notes }";

/// Every field of a pilot and what it holds.
pub fn pilot_fields() -> String {
    let ratings = [
        "usersExperience",
        "staffExperience",
        "touchpoints",
        "flowOfWork",
        "valueOfSteps",
        "routines",
        "roles",
        "worksAsIntended",
        "meetsNeeds",
        "stableAndSecure",
        "integrates",
    ]
    .map(|r| format!("{r} {RATING}"))
    .join(" ");
    format!(
        "id municipality sharedWithYou status plannedAt startedAt origin {{ municipality id }} \
         plan {{ {PLAN_FIELDS} }} planCompleteness {{ filled total percent missing }} \
         observations {{ id observer touchpoint worked stuck joy links date }} \
         incidents {{ id what handling date }} \
         evaluation {{ {ratings} benefitReview {{ expectedRealised newBenefits costEstimate followUp }} }} \
         evaluationSummary {{ people organisation technology }} \
         decision {{ decision newEndDate whyStopped basis {{ finalDesign benefitAssessment recommendation }} decider decidedAt }} \
         benefits {{ {BENEFIT_FIELDS} }}"
    )
}

/// One pilot, read after `$c`.
pub fn pilot_query() -> String {
    format!(
        "query($id: ID!, $c: String) {{ pilot(id: $id, consistency: $c) {{ {} }} }}",
        pilot_fields()
    )
}

/// A page of pilots (`id status plan.title`), read after `$c`.
pub const PILOTS: &str = "query($filter: PilotFilter, $first: Int, $after: String, $c: String) { \
    pilots(filter: $filter, first: $first, after: $after, consistency: $c) { \
    totalCount pageInfo { hasNextPage hasPreviousPage } \
    edges { cursor node { id status plan { title } } } } }";

/// A municipality's pilot portfolio, read after `$c`.
pub const PORTFOLIO: &str = "query($m: String, $c: String) { \
    pilotPortfolio(municipality: $m, consistency: $c) { municipality \
    statuses { status count pilots { id title status realisation } } \
    benefitsAboveTarget benefitsBelowTarget } }";

/// The innovation funnel from idea to operation, read after `$c`.
pub const INNOVATION_FUNNEL: &str = "query($m: String, $from: NaiveDate, $to: NaiveDate, $c: String) { \
    innovationFunnel(municipality: $m, from: $from, to: $to, consistency: $c) { municipality from to \
    ideas { stage count } processes { phase count } pilots { status count } \
    links { ideaToProcess ideaToPilot pilotToOperation } \
    steps { step count conversion } \
    leadTimes { ideaToPilotDays pilotToDecisionDays ideaToProcessDays } } }";

/// `planPilot`.
pub const PLAN_PILOT: &str = "mutation($plan: PilotPlanInput!, $key: String) { \
    planPilot(plan: $plan, idempotencyKey: $key) { id consistencyToken replayed } }";
/// `updatePilotPlan`: the topics given in `$plan` change, the others stay.
pub const UPDATE_PLAN: &str = "mutation($id: ID!, $plan: PilotPlanInput!, $key: String) { \
    updatePilotPlan(id: $id, plan: $plan, idempotencyKey: $key) { id consistencyToken replayed } }";
/// `startPilot`.
pub const START_PILOT: &str = "mutation($id: ID!, $key: String) { \
    startPilot(id: $id, idempotencyKey: $key) { id consistencyToken replayed } }";
/// `recordObservation`.
pub const OBSERVE: &str = "mutation($id: ID!, $observation: ObservationInput!, $key: String) { \
    recordObservation(id: $id, observation: $observation, idempotencyKey: $key) { id consistencyToken replayed } }";
/// `recordIncident`.
pub const INCIDENT: &str = "mutation($id: ID!, $incident: IncidentInput!, $key: String) { \
    recordIncident(id: $id, incident: $incident, idempotencyKey: $key) { id consistencyToken replayed } }";
/// `defineBenefit`: a new one without `$benefitId`.
pub const DEFINE_BENEFIT: &str = "mutation($id: ID!, $benefitId: ID, $benefit: BenefitInput!, $key: String) { \
    defineBenefit(id: $id, benefitId: $benefitId, benefit: $benefit, idempotencyKey: $key) { id consistencyToken replayed } }";
/// `recordMeasurement`.
pub const MEASURE: &str = "mutation($id: ID!, $benefitId: ID!, $reading: ReadingInput!, $key: String) { \
    recordMeasurement(id: $id, benefitId: $benefitId, reading: $reading, idempotencyKey: $key) { id consistencyToken replayed } }";
/// `evaluatePilot`.
pub const EVALUATE: &str = "mutation($id: ID!, $evaluation: EvaluationInput!, $key: String) { \
    evaluatePilot(id: $id, evaluation: $evaluation, idempotencyKey: $key) { id consistencyToken replayed } }";
/// `decidePilot`.
pub const DECIDE: &str = "mutation($id: ID!, $decision: PilotDecision!, $newEndDate: NaiveDate, $whyStopped: String, \
    $basis: DecisionBasisInput!, $key: String) { \
    decidePilot(id: $id, decision: $decision, newEndDate: $newEndDate, whyStopped: $whyStopped, basis: $basis, \
    idempotencyKey: $key) { id consistencyToken replayed } }";
/// `startPilotFromIdea`.
pub const START_FROM_IDEA: &str = "mutation($ideaId: ID!, $plan: PilotPlanInput!, $key: String) { \
    startPilotFromIdea(ideaId: $ideaId, plan: $plan, idempotencyKey: $key) { id pilotId consistencyToken replayed } }";

/// Every mutation of the pilots context, by its field name.
pub const MUTATIONS: [&str; 10] = [
    "decidePilot",
    "defineBenefit",
    "evaluatePilot",
    "planPilot",
    "recordIncident",
    "recordMeasurement",
    "recordObservation",
    "startPilot",
    "startPilotFromIdea",
    "updatePilotPlan",
];

/// The roadmap's topics in its order, as `planCompleteness.missing` names them.
pub const TOPICS: [&str; 13] = [
    "GOALS",
    "LEARNING_GOALS",
    "SCOPE",
    "DATES",
    "PARTICIPANTS",
    "INFORMATION",
    "TRAINING",
    "ERROR_HANDLING",
    "MEASUREMENT",
    "OBSERVATION",
    "DOCUMENTATION",
    "RESPONSIBLE",
    "ANCHORING",
];

/// The least a plan holds from the start: a title and the departments that run it.
pub fn draft_plan(title: &str, departments: &[&str]) -> Value {
    json!({ "title": title, "departments": departments })
}

/// A plan of `departments` complete in every topic, running from `start` to `end`, with
/// `responsible` as the responsible person.
pub fn complete_plan(
    title: &str,
    departments: &[&str],
    responsible: &str,
    start: &str,
    end: &str,
) -> Value {
    with(
        draft_plan(title, departments),
        topics(responsible, start, end),
    )
}

/// Every topic of a plan but the title and the departments.
pub fn topics(responsible: &str, start: &str, end: &str) -> Value {
    json!({
        "goals": "Færre unødvendige nattbesøk, tryggare nattesøvn for brukarane",
        "learningGoals": "Kva for brukarar har nytte av digitalt tilsyn, og kva krev det av personalet",
        "scope": {
            "touchpoints": ["sensor i heimen", "varsel til nattpatruljen"],
            "workProcesses": ["nattilsyn"],
            "routines": ["rutine for varsel"],
            "growth": "GROWS",
        },
        "startDate": start,
        "endDate": end,
        "participants": [
            { "kind": "USERS", "description": "Brukarar med nattilsyn i Sotra nord", "count": 20, "recruitment": "Saksbehandlar spør ved vedtak" },
            { "kind": "STAFF", "description": "Nattpatruljen", "count": 8, "recruitment": "Alle i turnus" },
        ],
        "information": "Informasjonsmøte og brev til brukarar og pårørande",
        "training": "To timar opplæring i varslingsløysinga",
        "errorHandling": "Ved feil på sensor går ein tilbake til fysisk tilsyn same natt",
        "measurement": "Timelister for nattpatruljen og spørjeskjema kvar månad",
        "observation": "Skugging av nattpatruljen to netter i månaden",
        "documentation": "Logg i fagsystemet og månadleg notat",
        "responsible": responsible,
        "anchoring": ["heimeteneste"],
    })
}

/// A benefit from `baseline` to `target` (each a value and a date).
pub fn benefit(title: &str, unit: &str, baseline: (f64, &str), target: (f64, &str)) -> Value {
    json!({
        "title": title,
        "kind": "EFFICIENCY",
        "category": "TIME_SAVED",
        "priced": false,
        "beneficiary": "Nattpatruljen",
        "owner": "kari",
        "indicator": { "unit": unit, "method": "Timelister", "frequency": "Kvar månad" },
        "baseline": { "value": baseline.0, "date": baseline.1 },
        "target": { "value": target.0, "date": target.1 },
    })
}

/// A valid observation on `date`.
pub fn observation(date: &str) -> Value {
    json!({
        "observer": "kari",
        "touchpoint": "varsel til nattpatruljen",
        "worked": "Varslet kom fram på sekund",
        "stuck": "Nokre brukarar skrudde av sensoren",
        "joy": "Brukarane sov betre",
        "links": ["https://example.org/bilete/1.jpg"],
        "date": date,
    })
}

/// A valid incident on `date`.
pub fn incident(date: &str) -> Value {
    json!({
        "what": "Sensoren var fråkopla ei natt",
        "handling": "Fysisk tilsyn same natt, leverandøren kontakta",
        "date": date,
    })
}

/// An evaluation rating people's questions `people`, organisation's `organisation` and
/// technology's `technology` (each 1–5, one per question).
pub fn evaluation(people: [u32; 3], organisation: [u32; 4], technology: [u32; 4]) -> Value {
    let rating = |score: u32| json!({ "score": score, "notes": format!("Vurdert til {score}") });
    json!({
        "usersExperience": rating(people[0]),
        "staffExperience": rating(people[1]),
        "touchpoints": rating(people[2]),
        "flowOfWork": rating(organisation[0]),
        "valueOfSteps": rating(organisation[1]),
        "routines": rating(organisation[2]),
        "roles": rating(organisation[3]),
        "worksAsIntended": rating(technology[0]),
        "meetsNeeds": rating(technology[1]),
        "stableAndSecure": rating(technology[2]),
        "integrates": rating(technology[3]),
        "benefitReview": {
            "expectedRealised": "Ja, timane gjekk ned",
            "newBenefits": "Pårørande er tryggare",
            "costEstimate": "Lisensen kostar meir enn venta",
            "followUp": "Timelister kvart kvartal",
        },
    })
}

/// A valid evaluation, every question rated 4.
pub fn good_evaluation() -> Value {
    evaluation([4; 3], [4; 4], [4; 4])
}

/// A valid decision basis.
pub fn basis() -> Value {
    json!({
        "finalDesign": "Sensor og varsel til nattpatruljen, fysisk tilsyn ved behov",
        "benefitAssessment": "Timane gjekk ned meir enn målet",
        "recommendation": "Ta i drift i heile kommunen",
    })
}

/// Plan a pilot; it must succeed.
pub async fn plan_pilot(app: &App, token: &str, plan: Value) -> Written {
    command(app, token, PLAN_PILOT, json!({ "plan": plan })).await
}

/// Change some topics of a plan; it must succeed.
pub async fn update_plan(app: &App, token: &str, id: &str, plan: Value) -> Written {
    command(app, token, UPDATE_PLAN, json!({ "id": id, "plan": plan })).await
}

/// Start a pilot; it must succeed.
pub async fn start_pilot(app: &App, token: &str, id: &str) -> Written {
    command(app, token, START_PILOT, json!({ "id": id })).await
}

/// Define a new benefit; it must succeed. Its id is read with the pilot.
pub async fn define_benefit(app: &App, token: &str, id: &str, benefit: Value) -> Written {
    command(
        app,
        token,
        DEFINE_BENEFIT,
        json!({ "id": id, "benefit": benefit }),
    )
    .await
}

/// Record a measurement of `value` on `date`; it must succeed.
pub async fn measure(
    app: &App,
    token: &str,
    id: &str,
    benefit: &str,
    value: f64,
    date: &str,
) -> Written {
    command(
        app,
        token,
        MEASURE,
        json!({ "id": id, "benefitId": benefit, "reading": { "value": value, "date": date } }),
    )
    .await
}

/// Evaluate a pilot; it must succeed.
pub async fn evaluate(app: &App, token: &str, id: &str, evaluation: Value) -> Written {
    command(
        app,
        token,
        EVALUATE,
        json!({ "id": id, "evaluation": evaluation }),
    )
    .await
}

/// Decide a pilot with [`basis`]; `extra` gives `newEndDate` or `whyStopped`. It must succeed.
pub async fn decide(app: &App, token: &str, id: &str, decision: &str, extra: Value) -> Written {
    command(
        app,
        token,
        DECIDE,
        with(
            json!({ "id": id, "decision": decision, "basis": basis() }),
            extra,
        ),
    )
    .await
}

/// Start a pilot from an idea with `plan`; it must succeed. The idea's side and the pilot's id.
pub async fn start_from_idea(app: &App, token: &str, idea: &str, plan: Value) -> (Written, String) {
    let data = ok(
        app,
        token,
        START_FROM_IDEA,
        json!({ "ideaId": idea, "plan": plan }),
    )
    .await;
    let payload = &data["startPilotFromIdea"];
    let pilot = payload["pilotId"]
        .as_str()
        .unwrap_or_else(|| panic!("no pilotId: {data:#}"))
        .to_owned();
    (Written::from_payload(payload), pilot)
}

/// One pilot as `token` sees it after `consistency`; it must be found.
pub async fn pilot(app: &App, token: &str, id: &str, consistency: &str) -> Value {
    let data = ok(
        app,
        token,
        &pilot_query(),
        json!({ "id": id, "c": consistency }),
    )
    .await;
    data["pilot"].clone()
}

/// The benefit titled `title` of a pilot view.
pub fn benefit_titled<'a>(pilot: &'a Value, title: &str) -> &'a Value {
    pilot["benefits"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["title"] == title))
        .unwrap_or_else(|| panic!("no benefit {title:?}: {pilot:#}"))
}

/// The id of the benefit titled `title`, after `consistency`.
pub async fn benefit_id(
    app: &App,
    token: &str,
    id: &str,
    title: &str,
    consistency: &str,
) -> String {
    let seen = pilot(app, token, id, consistency).await;
    benefit_titled(&seen, title)["id"]
        .as_str()
        .expect("a benefit id")
        .to_owned()
}
