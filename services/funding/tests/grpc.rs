//! The funding service through its generated client, the way the gateway calls it in both
//! modes: over a real network (`grpc::router` served by axum on a free local port) and
//! in-process (`grpc::channel`, no socket), on one SQLite event store. Every rpc is called
//! over both and the answers compared, so the embedded mode cannot drift from the
//! distributed one; the refusals (bad input, roles, the budget, records another
//! municipality may not read) come back with the same stable code over both and append
//! nothing. (The race of many decisions for one period's budget is `race.rs`'s.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::NaiveDate;
use common::*;
use innohub_funding::{FundingApp, grpc};
use innohub_proto::innohub::common::v1::{
    CommandReply, EventEnvelope, GetHistoryRequest, Money, RecordRef,
};
use innohub_proto::innohub::funding::v1 as pb;
use innohub_proto::innohub::processes::v1::Visibility;
use innohub_runtime::grpc::ServiceError;
use innohub_runtime::rpc;
use innohub_runtime::testing::{Served, person, send};
use innohub_runtime::{ErrorCode, Principal, Role};
use prost::Message as _;
use prost_types::FieldMask;
use uuid::Uuid;

/// A served funding service and both clients on its store.
type Harness = Served<FundingApp, Client>;

async fn start() -> Harness {
    Served::start(
        |store| FundingApp::new(store).with_today(today),
        grpc::router,
        grpc::channel,
        Client::new,
    )
    .await
}

/// The innovation lead who drafts with the applicants.
fn lead() -> Principal {
    helsingborg(
        "lars",
        "innovation",
        &[Role::Employee, Role::InnovationLead],
    )
}

/// An employee who has nothing to do with the application.
fn colleague() -> Principal {
    helsingborg("olof", "kultur", &[Role::Employee])
}

/// A reviewer of the fund who also applies to it (with Anna).
fn reviewing_applicant() -> Principal {
    helsingborg("rut", "it", &[Role::Employee, Role::FundReviewer])
}

/// Someone in Syddjurs, with every role there.
fn partner() -> Principal {
    person(
        "pia@syddjurs.dk",
        "DK-0706",
        Some("it"),
        &[
            Role::Employee,
            Role::InnovationLead,
            Role::MunicipalityAdmin,
            Role::FundManager,
            Role::FundReviewer,
        ],
    )
}

/// The fund's criteria: benefit for citizens weighs three times feasibility.
fn criteria() -> Vec<pb::Criterion> {
    vec![
        pb::Criterion {
            name: "Nytta för invånarna".into(),
            description: "Vem får det bättre, och hur mycket".into(),
            weight: 3,
        },
        pb::Criterion {
            name: "Genomförbarhet".into(),
            description: String::new(),
            weight: 1,
        },
    ]
}

/// Helsingborg's innovation fund: 250 kSEK – 1 MSEK a project, at least two departments.
fn terms(visibility: Visibility) -> pb::FundTerms {
    pb::FundTerms {
        name: "Helsingborgs innovationsfond".into(),
        description: "För nya sätt att möta invånarnas behov".into(),
        currency: "SEK".into(),
        min_grant: sek(250_000),
        max_grant: sek(1_000_000),
        min_departments: 2,
        criteria: criteria(),
        visibility: visibility as i32,
    }
}

/// The spring council of 2026: applications until 30 September, decided 15 October.
fn spring_round() -> pb::DecisionRound {
    pb::DecisionRound {
        title: "Innovationsrådet hösten 2026".into(),
        application_deadline: "2026-09-30".into(),
        council_date: "2026-10-15".into(),
    }
}

/// What a draft holds from the start: a title and its applicants.
fn draft(title: &str, applicants: &[&Principal], visibility: Visibility) -> pb::ApplicationDetails {
    pb::ApplicationDetails {
        title: title.into(),
        applicants: applicants.iter().map(|p| p.user.to_string()).collect(),
        visibility: visibility as i32,
        ..Default::default()
    }
}

/// The rest of a complete application asking for `kronor` (a cost plan that sums to it),
/// and the field names of it.
fn the_rest(kronor: i64) -> (pb::ApplicationDetails, Vec<&'static str>) {
    let rest = pb::ApplicationDetails {
        summary: "Sensorer som larmar hemtjänsten när en brukare faller om natten".into(),
        departments: vec!["social".into(), "it".into()],
        amount_requested: sek(kronor),
        canvas: Some(pb::Canvas {
            need: "Fall om natten upptäcks för sent".into(),
            solution: "Fallsensorer kopplade till nattpatrullen".into(),
            target_group: "Äldre med hemtjänst".into(),
            partners: "Leverantören av trygghetslarm".into(),
            timeline: "Ett år, från januari".into(),
            cost_plan: vec![
                pb::CostLine {
                    description: "Sensorer".into(),
                    amount: sek(kronor - 100_000),
                },
                pb::CostLine {
                    description: "Utbildning av personalen".into(),
                    amount: sek(100_000),
                },
            ],
            expected_effects: "Färre fallskador, tryggare brukare".into(),
        }),
        checklist: vec![pb::ChecklistItem {
            item: "Förvaltningscheferna har godkänt".into(),
            done: true,
        }],
        ..Default::default()
    };
    let fields = [
        "summary",
        "departments",
        "amount_requested",
        "canvas",
        "checklist",
    ];
    (rest, fields.to_vec())
}

/// A complete application of Anna's asking for `kronor`.
fn complete(title: &str, kronor: i64, visibility: Visibility) -> pb::ApplicationDetails {
    pb::ApplicationDetails {
        title: title.into(),
        applicants: vec![applicant().user.to_string()],
        visibility: visibility as i32,
        ..the_rest(kronor).0
    }
}

/// A review giving every criterion of the fund `score`.
fn review(score: u32) -> pb::Review {
    pb::Review {
        scores: criteria()
            .into_iter()
            .map(|c| pb::CriterionScore {
                criterion: c.name,
                score,
            })
            .collect(),
        comment: "Välgrundad ansökan".into(),
    }
}

fn idea(municipality: &str) -> RecordRef {
    RecordRef {
        context: "ideas".into(),
        kind: "idea".into(),
        id: Uuid::now_v7().to_string(),
        municipality: municipality.into(),
    }
}

/// The stream of `fund`'s money in `year`.
fn period(fund: &str, year: i32) -> String {
    format!("fund-period:{fund}:{year}")
}

async fn history(
    client: &Client,
    by: &Principal,
    id: &str,
) -> Result<Vec<EventEnvelope>, ServiceError> {
    let request = GetHistoryRequest {
        aggregate_id: id.to_owned(),
    };
    Ok(rpc!(client, by, get_history(request)).await?.events)
}

fn types(events: &[EventEnvelope]) -> Vec<&str> {
    events.iter().map(|e| e.event_type.as_str()).collect()
}

/// The one event of type `M` in `events`.
fn the<M: prost::Message + prost::Name + Default>(events: &[EventEnvelope]) -> M {
    let found: Vec<_> = events.iter().filter(|e| e.event_type == M::NAME).collect();
    assert_eq!(found.len(), 1, "one {} in {:?}", M::NAME, types(events));
    M::decode(found[0].payload.as_slice()).unwrap()
}

async fn create_fund(
    client: &Client,
    by: &Principal,
    terms: pb::FundTerms,
) -> Result<CommandReply, ServiceError> {
    let request = pb::CreateFundRequest { terms: Some(terms) };
    rpc!(client, by, create_fund(request)).await
}

async fn set_budget(
    client: &Client,
    by: &Principal,
    fund: &str,
    year: i32,
    budget: Option<Money>,
) -> Result<CommandReply, ServiceError> {
    let request = pb::SetFundBudgetRequest {
        fund_id: fund.to_owned(),
        year,
        budget,
    };
    rpc!(client, by, set_fund_budget(request)).await
}

async fn schedule(
    client: &Client,
    by: &Principal,
    fund: &str,
    round: pb::DecisionRound,
) -> Result<CommandReply, ServiceError> {
    let request = pb::ScheduleDecisionRoundRequest {
        fund_id: fund.to_owned(),
        round: Some(round),
    };
    rpc!(client, by, schedule_decision_round(request)).await
}

async fn draft_application(
    client: &Client,
    by: &Principal,
    (fund, round): (&str, &str),
    details: pb::ApplicationDetails,
) -> Result<CommandReply, ServiceError> {
    let request = pb::DraftApplicationRequest {
        fund_id: fund.to_owned(),
        round_id: round.to_owned(),
        details: Some(details),
        origin: None,
    };
    rpc!(client, by, draft_application(request)).await
}

async fn update(
    client: &Client,
    by: &Principal,
    id: &str,
    details: pb::ApplicationDetails,
    paths: &[&str],
) -> Result<CommandReply, ServiceError> {
    let request = pb::UpdateApplicationRequest {
        application_id: id.to_owned(),
        details: Some(details),
        update_mask: Some(FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
    };
    rpc!(client, by, update_application(request)).await
}

async fn submit(client: &Client, by: &Principal, id: &str) -> Result<CommandReply, ServiceError> {
    let request = pb::SubmitApplicationRequest {
        application_id: id.to_owned(),
    };
    rpc!(client, by, submit_application(request)).await
}

async fn withdraw(client: &Client, by: &Principal, id: &str) -> Result<CommandReply, ServiceError> {
    let request = pb::WithdrawApplicationRequest {
        application_id: id.to_owned(),
        reason: "Vi söker i nästa runda".into(),
    };
    rpc!(client, by, withdraw_application(request)).await
}

async fn assign(
    client: &Client,
    by: &Principal,
    id: &str,
    reviewer: &Principal,
) -> Result<CommandReply, ServiceError> {
    let request = pb::AssignReviewerRequest {
        application_id: id.to_owned(),
        reviewer: reviewer.user.to_string(),
    };
    rpc!(client, by, assign_reviewer(request)).await
}

async fn review_application(
    client: &Client,
    by: &Principal,
    id: &str,
    review: pb::Review,
) -> Result<CommandReply, ServiceError> {
    let request = pb::ReviewApplicationRequest {
        application_id: id.to_owned(),
        review: Some(review),
    };
    rpc!(client, by, review_application(request)).await
}

/// A decision of `outcome` (granting `amount` when partial) by the round `round`.
fn decision(
    id: &str,
    round: &str,
    outcome: pb::DecisionOutcome,
    amount: Option<Money>,
) -> pb::DecideApplicationRequest {
    pb::DecideApplicationRequest {
        application_id: id.to_owned(),
        round_id: round.to_owned(),
        outcome: outcome as i32,
        amount,
        conditions: "Rapport efter sex månader".into(),
        rationale: "Stor nytta för invånarna".into(),
    }
}

async fn decide(
    client: &Client,
    by: &Principal,
    request: pb::DecideApplicationRequest,
) -> Result<CommandReply, ServiceError> {
    rpc!(client, by, decide_application(request)).await
}

async fn disburse(
    client: &Client,
    by: &Principal,
    id: &str,
    amount: Option<Money>,
) -> Result<CommandReply, ServiceError> {
    let request = pb::DisburseRequest {
        application_id: id.to_owned(),
        amount,
        date: String::new(),
        note: "Första utbetalningen".into(),
    };
    rpc!(client, by, disburse(request)).await
}

async fn return_unspent(
    client: &Client,
    by: &Principal,
    id: &str,
    amount: Option<Money>,
) -> Result<CommandReply, ServiceError> {
    let request = pb::ReturnUnspentRequest {
        application_id: id.to_owned(),
        amount,
        note: "Sensorerna blev billigare".into(),
    };
    rpc!(client, by, return_unspent(request)).await
}

async fn report_progress(
    client: &Client,
    by: &Principal,
    id: &str,
) -> Result<CommandReply, ServiceError> {
    let request = pb::RecordProgressReportRequest {
        application_id: id.to_owned(),
        report: Some(pb::ProgressReport {
            date: "2026-06-01".into(),
            text: "Sensorerna är installerade hos tolv brukare".into(),
            spent: sek(120_000),
            reported_by: "someone@else.se".into(),
        }),
    };
    rpc!(client, by, record_progress_report(request)).await
}

/// A fund of `visibility` with a budget of `budget` kronor for 2026 and the autumn round:
/// the fund's id and the round's.
async fn fund(client: &Client, visibility: Visibility, budget: i64) -> (String, String) {
    let manager = manager();
    let fund = create_fund(client, &manager, terms(visibility))
        .await
        .unwrap()
        .aggregate_id;
    set_budget(client, &manager, &fund, 2026, sek(budget))
        .await
        .unwrap();
    schedule(client, &manager, &fund, spring_round())
        .await
        .unwrap();
    let round = round_of(client, &fund).await;
    (fund, round)
}

/// The id of the latest round scheduled on `fund`, read from its history.
async fn round_of(client: &Client, fund: &str) -> String {
    let events = history(client, &manager(), fund).await.unwrap();
    let scheduled = events
        .iter()
        .rfind(|e| e.event_type == "DecisionRoundScheduled")
        .expect("a round scheduled");
    pb::DecisionRoundScheduled::decode(scheduled.payload.as_slice())
        .unwrap()
        .round_id
}

/// Anna's complete application asking for `kronor`, submitted, with Rolf assigned to review
/// it: IN_REVIEW.
async fn in_review(
    client: &Client,
    (fund, round): (&str, &str),
    kronor: i64,
    visibility: Visibility,
) -> String {
    let anna = applicant();
    let id = draft_application(
        client,
        &anna,
        (fund, round),
        complete("Fallsensorer i hemtjänsten", kronor, visibility),
    )
    .await
    .unwrap()
    .aggregate_id;
    submit(client, &anna, &id).await.unwrap();
    assign(client, &manager(), &id, &reviewer()).await.unwrap();
    id
}

/// Every rpc once over `client`: a fund, its budget and round, an application from an idea
/// drafted, completed, submitted, reviewed, partially granted, paid, reported on and part of
/// it returned, and another withdrawn; returns the fund's and the application's ids.
async fn every_rpc(client: &Client) -> (String, String) {
    let (manager, anna, lars) = (manager(), applicant(), lead());
    let created = create_fund(client, &manager, terms(Visibility::Municipality))
        .await
        .unwrap();
    assert_eq!(created.version, 1);
    let fund = created.aggregate_id;
    let budgeted = set_budget(client, &manager, &fund, 2026, sek(2_000_000))
        .await
        .unwrap();
    assert_eq!(
        (budgeted.aggregate_id.as_str(), budgeted.version),
        (period(&fund, 2026).as_str(), 1)
    );
    schedule(client, &manager, &fund, spring_round())
        .await
        .unwrap();
    let round = round_of(client, &fund).await;
    // The innovation lead drafts with Anna, from an idea of Helsingborg's.
    let request = pb::DraftApplicationRequest {
        fund_id: fund.clone(),
        round_id: round.clone(),
        details: Some(draft(
            "Fallsensorer i hemtjänsten",
            &[&anna],
            Visibility::Municipality,
        )),
        origin: Some(idea(HOME)),
    };
    let drafted = rpc!(client, &lars, draft_application(request))
        .await
        .unwrap();
    assert_eq!(drafted.version, 1);
    let id = drafted.aggregate_id;
    let (rest, fields) = the_rest(400_000);
    update(client, &anna, &id, rest, &fields).await.unwrap();
    submit(client, &anna, &id).await.unwrap();
    assign(client, &manager, &id, &reviewer()).await.unwrap();
    review_application(client, &reviewer(), &id, review(4))
        .await
        .unwrap();
    let partial = decision(
        &id,
        &round,
        pb::DecisionOutcome::PartiallyApproved,
        sek(300_000),
    );
    let decided = decide(client, &manager, partial).await.unwrap();
    assert_eq!(decided.aggregate_id, id);
    let paid = disburse(client, &manager, &id, sek(100_000)).await.unwrap();
    assert_eq!(paid.aggregate_id, period(&fund, 2026));
    report_progress(client, &anna, &id).await.unwrap();
    return_unspent(client, &manager, &id, sek(50_000))
        .await
        .unwrap();
    // Another draft, withdrawn.
    let other = draft_application(
        client,
        &anna,
        (&fund, &round),
        draft("Andra försöket", &[&anna], Visibility::Municipality),
    )
    .await
    .unwrap()
    .aggregate_id;
    withdraw(client, &anna, &other).await.unwrap();
    let trail = history(client, &anna, &other).await.unwrap();
    assert_eq!(
        types(&trail),
        ["ApplicationDrafted", "ApplicationWithdrawn"]
    );
    (fund, id)
}

#[tokio::test]
async fn every_rpc_takes_effect_alike_over_the_network_and_in_process() {
    let h = start().await;
    let manager = manager();
    let mut trails = Vec::new();
    for client in [&h.remote, &h.local] {
        let (fund, id) = every_rpc(client).await;
        let of_fund = history(client, &manager, &fund).await.unwrap();
        assert_eq!(types(&of_fund), ["FundCreated", "DecisionRoundScheduled"]);
        let created: pb::FundCreated = the(&of_fund);
        assert_eq!(
            (created.municipality.as_str(), created.created_by.as_str()),
            (HOME, "maria@helsingborg.se")
        );
        let of_period = history(client, &manager, &period(&fund, 2026))
            .await
            .unwrap();
        assert_eq!(
            types(&of_period),
            [
                "FundBudgetSet",
                "GrantCommitted",
                "GrantDisbursed",
                "UnspentReturned"
            ]
        );
        let committed: pb::GrantCommitted = the(&of_period);
        assert_eq!(
            (committed.application_id.as_str(), committed.amount),
            (id.as_str(), sek(300_000))
        );
        let paid: pb::GrantDisbursed = the(&of_period);
        assert_eq!(
            (
                paid.amount.clone(),
                paid.date.as_str(),
                paid.disbursed_by.as_str()
            ),
            (sek(100_000), "2026-06-15", "maria@helsingborg.se")
        );
        let of_application = history(client, &manager, &id).await.unwrap();
        assert_eq!(
            types(&of_application),
            [
                "ApplicationDrafted",
                "ApplicationDetailsChanged",
                "ApplicationSubmitted",
                "ApplicationReviewerAssigned",
                "ApplicationReviewed",
                "ApplicationDecided",
                "ProgressReported",
            ]
        );
        let drafted: pb::ApplicationDrafted = the(&of_application);
        assert_eq!(drafted.drafted_by, "lars@helsingborg.se");
        assert!(drafted.origin.is_some_and(|o| o.context == "ideas"));
        let submitted: pb::ApplicationSubmitted = the(&of_application);
        assert_eq!(
            (submitted.submitted_by.as_str(), submitted.date.as_str()),
            ("anna@helsingborg.se", "2026-06-15")
        );
        let decided: pb::ApplicationDecided = the(&of_application);
        assert_eq!(
            (decided.outcome(), decided.approved, decided.year),
            (pb::DecisionOutcome::PartiallyApproved, sek(300_000), 2026)
        );
        assert_eq!(decided.decided_by, "maria@helsingborg.se");
        let reported: pb::ProgressReported = the(&of_application);
        assert_eq!(
            reported.report.unwrap().reported_by,
            "anna@helsingborg.se",
            "set from the caller"
        );
        trails.push([of_fund, of_period, of_application]);
    }
    let (remote, local) = (&trails[0], &trails[1]);
    for (r, l) in remote.iter().flatten().zip(local.iter().flatten()) {
        assert_eq!(
            (r.sequence, &r.event_type, r.payload.len()),
            (l.sequence, &l.event_type, l.payload.len())
        );
    }
}

/// `refused` was refused as BAD_USER_INPUT with a message containing each of `names`.
#[track_caller]
fn bad_input(refused: Result<CommandReply, ServiceError>, names: &[&str]) {
    let e = refused.unwrap_err();
    assert_eq!(e.code, ErrorCode::BadUserInput, "{}", e.message);
    for name in names {
        assert!(e.message.contains(name), "{name:?} in {:?}", e.message);
    }
}

#[tokio::test]
async fn bad_input_is_bad_user_input_alike_and_appends_nothing() {
    let h = start().await;
    let (manager, anna) = (manager(), applicant());
    let (fund, round) = fund(&h.remote, Visibility::Municipality, 2_000_000).await;
    let empty = draft_application(
        &h.remote,
        &anna,
        (&fund, &round),
        pb::ApplicationDetails {
            departments: vec!["social".into()],
            amount_requested: sek(1_200_000),
            canvas: Some(pb::Canvas {
                cost_plan: vec![pb::CostLine {
                    description: "Allt".into(),
                    amount: sek(1_000_000),
                }],
                ..Default::default()
            }),
            ..draft("Ofärdig", &[&anna], Visibility::Municipality)
        },
    )
    .await
    .unwrap()
    .aggregate_id;
    let reviewing = in_review(
        &h.remote,
        (&fund, &round),
        400_000,
        Visibility::Municipality,
    )
    .await;
    let head = h.store.head();
    for client in [&h.remote, &h.local] {
        let in_euro = pb::FundTerms {
            max_grant: Some(Money {
                minor_units: 100_000_000,
                currency: "EUR".into(),
            }),
            ..terms(Visibility::Municipality)
        };
        bad_input(create_fund(client, &manager, in_euro).await, &["maxGrant"]);
        let unnamed = pb::FundTerms {
            name: String::new(),
            ..terms(Visibility::Municipality)
        };
        bad_input(create_fund(client, &manager, unnamed).await, &["name"]);
        let no_criteria = pb::FundTerms {
            criteria: Vec::new(),
            ..terms(Visibility::Municipality)
        };
        bad_input(
            create_fund(client, &manager, no_criteria).await,
            &["criteria"],
        );
        let kroner = Some(Money {
            minor_units: 100,
            currency: "NOK".into(),
        });
        bad_input(
            set_budget(client, &manager, &fund, 2026, kroner).await,
            &["budget"],
        );
        let late = pb::DecisionRound {
            application_deadline: "2026-11-01".into(),
            ..spring_round()
        };
        bad_input(
            schedule(client, &manager, &fund, late).await,
            &["applicationDeadline"],
        );
        let untitled = draft_application(
            client,
            &anna,
            (&fund, &round),
            draft("", &[&anna], Visibility::Municipality),
        )
        .await;
        bad_input(untitled, &["title"]);
        // Submitting names every rule the draft breaks, in one message.
        bad_input(
            submit(client, &anna, &empty).await,
            &[
                "summary: is required to submit",
                "departments: names 1, the fund asks for at least 2",
                "amountRequested: 1200000.00 SEK is outside the fund's 250000.00 SEK to \
                 1000000.00 SEK",
                "canvas.costPlan: sums to 1000000.00 SEK, not the amount requested \
                 1200000.00 SEK",
            ],
        );
        bad_input(
            update(
                client,
                &anna,
                &reviewing,
                draft("Nytt namn", &[&anna], Visibility::Municipality),
                &["title"],
            )
            .await,
            &["DRAFT"],
        );
        let unknown = pb::Review {
            scores: vec![pb::CriterionScore {
                criterion: "Skönhet".into(),
                score: 3,
            }],
            ..review(3)
        };
        bad_input(
            review_application(client, &reviewer(), &reviewing, unknown).await,
            &["Skönhet"],
        );
        bad_input(
            review_application(client, &reviewer(), &reviewing, review(6)).await,
            &["score"],
        );
        let too_much = decision(
            &reviewing,
            &round,
            pb::DecisionOutcome::PartiallyApproved,
            sek(400_000),
        );
        bad_input(decide(client, &manager, too_much).await, &["amount"]);
        let unspecified = decision(&reviewing, &round, pb::DecisionOutcome::Unspecified, None);
        bad_input(decide(client, &manager, unspecified).await, &["outcome"]);
        let without_why = pb::DecideApplicationRequest {
            rationale: String::new(),
            ..decision(&reviewing, &round, pb::DecisionOutcome::Approved, None)
        };
        bad_input(decide(client, &manager, without_why).await, &["rationale"]);
        let other_round = decision(
            &reviewing,
            &Uuid::now_v7().to_string(),
            pb::DecisionOutcome::Approved,
            None,
        );
        bad_input(decide(client, &manager, other_round).await, &["round"]);
        bad_input(
            disburse(client, &manager, &reviewing, sek(1000)).await,
            &["IN_REVIEW"],
        );
        bad_input(submit(client, &anna, &reviewing).await, &["DRAFT"]);
    }
    assert_eq!(h.store.head(), head, "the refusals appended nothing");
}

#[tokio::test]
async fn submitting_after_the_deadline_is_refused_naming_it() {
    let h = start().await;
    let (fund, round) = fund(&h.remote, Visibility::Municipality, 2_000_000).await;
    let anna = applicant();
    let id = draft_application(
        &h.remote,
        &anna,
        (&fund, &round),
        complete("För sent", 400_000, Visibility::Municipality),
    )
    .await
    .unwrap()
    .aggregate_id;
    // The same store a day after the deadline.
    let later = Client::new(grpc::channel(
        FundingApp::new(h.store.clone())
            .with_today(|| NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()),
    ));
    let head = h.store.head();
    bad_input(submit(&later, &anna, &id).await, &["deadline"]);
    assert_eq!(h.store.head(), head);
    // Before the deadline it is in time.
    submit(&h.local, &anna, &id).await.unwrap();
}

#[tokio::test]
async fn the_budget_of_a_period_is_never_over_committed_and_returns_free_it_again() {
    let h = start().await;
    let manager = manager();
    // 700 000 SEK: one grant of 400 000 fits, a second does not.
    let (fund, round) = fund(&h.remote, Visibility::Municipality, 700_000).await;
    let first = in_review(
        &h.remote,
        (&fund, &round),
        400_000,
        Visibility::Municipality,
    )
    .await;
    let second = in_review(
        &h.remote,
        (&fund, &round),
        400_000,
        Visibility::Municipality,
    )
    .await;
    let rejected = in_review(
        &h.remote,
        (&fund, &round),
        400_000,
        Visibility::Municipality,
    )
    .await;
    let approve = |id: &str| decision(id, &round, pb::DecisionOutcome::Approved, None);
    decide(&h.remote, &manager, approve(&first)).await.unwrap();
    let head = h.store.head();
    for client in [&h.remote, &h.local] {
        bad_input(
            decide(client, &manager, approve(&second)).await,
            &["exceeds the remaining budget", "300000.00 SEK"],
        );
        // Nor may the budget fall below what is committed, to nothing least of all.
        bad_input(
            set_budget(client, &manager, &fund, 2026, sek(399_999)).await,
            &[],
        );
        // Nor may more be paid or returned than was granted.
        bad_input(disburse(client, &manager, &first, sek(400_001)).await, &[]);
        bad_input(
            return_unspent(client, &manager, &first, sek(400_001)).await,
            &[],
        );
        bad_input(set_budget(client, &manager, &fund, 2026, sek(0)).await, &[]);
    }
    assert_eq!(h.store.head(), head, "the refusals appended nothing");
    // A rejection commits nothing; it appends to the application only.
    let rejection = decision(&rejected, &round, pb::DecisionOutcome::Rejected, None);
    decide(&h.local, &manager, rejection).await.unwrap();
    assert_eq!(h.store.head(), head + 1);
    // Paid in two parts, the rest given back: the second grant fits now.
    disburse(&h.remote, &manager, &first, sek(250_000))
        .await
        .unwrap();
    disburse(&h.local, &manager, &first, sek(50_000))
        .await
        .unwrap();
    bad_input(
        disburse(&h.local, &manager, &first, sek(100_001)).await,
        &[],
    );
    return_unspent(&h.remote, &manager, &first, sek(100_000))
        .await
        .unwrap();
    bad_input(
        return_unspent(&h.remote, &manager, &first, sek(1)).await,
        &[],
    );
    decide(&h.local, &manager, approve(&second)).await.unwrap();
    // The period's events: 700 000 budget, 800 000 committed, 300 000 paid, 100 000 back.
    let events = h.store.read_stream(&period(&fund, 2026)).await.unwrap();
    let sum = |kind: &str| -> i64 {
        events
            .iter()
            .filter(|e| e.event_type == kind)
            .map(|e| match kind {
                "GrantCommitted" => e.message::<pb::GrantCommitted>().unwrap().amount,
                "GrantDisbursed" => e.message::<pb::GrantDisbursed>().unwrap().amount,
                _ => e.message::<pb::UnspentReturned>().unwrap().amount,
            })
            .map(|m| m.unwrap().minor_units)
            .sum()
    };
    assert_eq!(
        (
            sum("GrantCommitted"),
            sum("GrantDisbursed"),
            sum("UnspentReturned")
        ),
        (80_000_000, 30_000_000, 10_000_000)
    );
    let decided = history(&h.remote, &manager, &rejected).await.unwrap();
    let rejection: pb::ApplicationDecided = the(&decided);
    assert_eq!(rejection.approved.map(|m| m.minor_units), Some(0));
}

#[tokio::test]
async fn a_decision_needs_the_rounds_year_to_have_a_budget() {
    let h = start().await;
    let manager = manager();
    let (fund, _) = fund(&h.remote, Visibility::Municipality, 1_000_000).await;
    let next_year = pb::DecisionRound {
        title: "Innovationsrådet våren 2027".into(),
        application_deadline: "2027-02-28".into(),
        council_date: "2027-03-15".into(),
    };
    schedule(&h.remote, &manager, &fund, next_year)
        .await
        .unwrap();
    let round = round_of(&h.remote, &fund).await;
    let id = in_review(
        &h.remote,
        (&fund, &round),
        400_000,
        Visibility::Municipality,
    )
    .await;
    let head = h.store.head();
    for client in [&h.remote, &h.local] {
        let e = decide(
            client,
            &manager,
            decision(&id, &round, pb::DecisionOutcome::Approved, None),
        )
        .await
        .unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (ErrorCode::BadUserInput, "fund has no budget for 2027")
        );
    }
    assert_eq!(h.store.head(), head);
    set_budget(&h.remote, &manager, &fund, 2027, sek(400_000))
        .await
        .unwrap();
    decide(
        &h.local,
        &manager,
        decision(&id, &round, pb::DecisionOutcome::Approved, None),
    )
    .await
    .unwrap();
    let events = history(&h.remote, &manager, &period(&fund, 2027))
        .await
        .unwrap();
    assert_eq!(types(&events), ["FundBudgetSet", "GrantCommitted"]);
}

#[tokio::test]
async fn roles_are_forbidden_alike_and_append_nothing() {
    let h = start().await;
    let (fund, round) = fund(&h.remote, Visibility::Municipality, 2_000_000).await;
    let reviewing = in_review(
        &h.remote,
        (&fund, &round),
        400_000,
        Visibility::Municipality,
    )
    .await;
    let anna = applicant();
    let drafted = draft_application(
        &h.remote,
        &anna,
        (&fund, &round),
        complete("Utkast", 400_000, Visibility::Municipality),
    )
    .await
    .unwrap()
    .aggregate_id;
    submit(&h.remote, &anna, &drafted).await.unwrap();
    let head = h.store.head();
    let (rolf, olof) = (reviewer(), colleague());
    for client in [&h.remote, &h.local] {
        let approve = decision(&reviewing, &round, pb::DecisionOutcome::Approved, None);
        for (refused, what) in [
            (
                create_fund(client, &anna, terms(Visibility::Municipality)).await,
                "an applicant creates a fund",
            ),
            (
                set_budget(client, &rolf, &fund, 2026, sek(1)).await,
                "a reviewer sets a budget",
            ),
            (
                schedule(client, &anna, &fund, spring_round()).await,
                "an applicant schedules a round",
            ),
            (
                assign(client, &rolf, &drafted, &rolf).await,
                "a reviewer assigns themself",
            ),
            (
                decide(client, &rolf, approve.clone()).await,
                "a reviewer decides",
            ),
            (decide(client, &anna, approve).await, "an applicant decides"),
            (
                review_application(client, &manager(), &reviewing, review(5)).await,
                "a manager reviews",
            ),
            (
                review_application(client, &reviewing_applicant(), &reviewing, review(5)).await,
                "a reviewer not assigned reviews",
            ),
            (
                disburse(client, &anna, &reviewing, sek(1)).await,
                "an applicant pays",
            ),
            (
                return_unspent(client, &rolf, &reviewing, sek(1)).await,
                "a reviewer returns",
            ),
            (
                withdraw(client, &olof, &reviewing).await,
                "a colleague withdraws another's application",
            ),
        ] {
            let e = refused.unwrap_err();
            assert_eq!(e.code, ErrorCode::Forbidden, "{what}: {}", e.message);
        }
    }
    assert_eq!(h.store.head(), head, "the refusals appended nothing");
}

#[tokio::test]
async fn a_reviewer_who_applies_is_refused_and_reviewers_are_hidden_from_the_applicants() {
    let h = start().await;
    let manager = manager();
    let (fund, round) = fund(&h.remote, Visibility::Municipality, 2_000_000).await;
    let (anna, rut) = (applicant(), reviewing_applicant());
    let details = pb::ApplicationDetails {
        applicants: vec![anna.user.to_string(), rut.user.to_string()],
        ..complete("Tillsammans", 400_000, Visibility::Municipality)
    };
    let id = draft_application(&h.remote, &anna, (&fund, &round), details)
        .await
        .unwrap()
        .aggregate_id;
    submit(&h.remote, &anna, &id).await.unwrap();
    let head = h.store.head();
    for client in [&h.remote, &h.local] {
        // Rut is a reviewer of the fund, but she applies; Anna drafted it.
        for (by, who) in [(&rut, "an applicant"), (&anna, "the drafter")] {
            let e = assign(client, &manager, &id, by).await.unwrap_err();
            assert_eq!(e.code, ErrorCode::BadUserInput, "{who}: {}", e.message);
        }
    }
    assert_eq!(h.store.head(), head);
    assign(&h.remote, &manager, &id, &reviewer()).await.unwrap();
    // Assigned twice: nothing new.
    let again = assign(&h.local, &manager, &id, &reviewer()).await.unwrap();
    assert_eq!(h.store.head(), head + 1);
    assert_eq!(again.version, 3);
    review_application(&h.remote, &reviewer(), &id, review(2))
        .await
        .unwrap();
    // A new review replaces the reviewer's earlier one (the history keeps both).
    review_application(&h.local, &reviewer(), &id, review(5))
        .await
        .unwrap();
    for client in [&h.remote, &h.local] {
        let seen = history(client, &anna, &id).await.unwrap();
        assert_eq!(
            types(&seen),
            [
                "ApplicationDrafted",
                "ApplicationSubmitted",
                "ApplicationReviewerAssigned",
                "ApplicationReviewed",
                "ApplicationReviewed",
            ]
        );
        let assigned: pb::ApplicationReviewerAssigned = the(&seen);
        assert_eq!(
            assigned.reviewer, "",
            "the applicants never learn who reviews"
        );
        for reviewed in &seen[3..] {
            let reviewed = pb::ApplicationReviewed::decode(reviewed.payload.as_slice()).unwrap();
            assert_eq!(reviewed.reviewer, "");
            assert_eq!(reviewed.review.unwrap().scores.len(), 2);
        }
        // Rut applies, and reviews for the fund: she may know her colleagues.
        for by in [&manager, &rut] {
            let seen = history(client, by, &id).await.unwrap();
            let assigned: pb::ApplicationReviewerAssigned = the(&seen);
            assert_eq!(assigned.reviewer, "rolf@helsingborg.se");
        }
    }
}

#[tokio::test]
async fn a_draft_is_its_applicants_and_the_fund_managers_until_it_is_submitted() {
    let h = start().await;
    let (fund, round) = fund(&h.remote, Visibility::Municipality, 2_000_000).await;
    let (anna, lars) = (applicant(), lead());
    let id = draft_application(
        &h.remote,
        &lars,
        (&fund, &round),
        complete("Utkast", 400_000, Visibility::Municipality),
    )
    .await
    .unwrap()
    .aggregate_id;
    let not_found = ServiceError {
        code: ErrorCode::NotFound,
        message: "not found".into(),
    };
    for client in [&h.remote, &h.local] {
        for by in [colleague(), reviewer()] {
            assert_eq!(history(client, &by, &id).await.unwrap_err(), not_found);
            assert_eq!(submit(client, &by, &id).await.unwrap_err(), not_found);
        }
        for by in [&anna, &lars, &manager()] {
            assert_eq!(history(client, by, &id).await.unwrap().len(), 1);
        }
    }
    submit(&h.remote, &anna, &id).await.unwrap();
    // Submitted to a MUNICIPALITY application: all of Helsingborg reads it.
    for client in [&h.remote, &h.local] {
        for by in [colleague(), reviewer()] {
            assert_eq!(history(client, &by, &id).await.unwrap().len(), 2);
        }
    }
}

/// Every command on application `target` (of `fund`'s `round`) for `by`, each answer in
/// order.
async fn every_command(
    client: &Client,
    by: &Principal,
    (fund, round): (&str, &str),
    target: &str,
) -> Vec<Result<CommandReply, ServiceError>> {
    vec![
        update(
            client,
            by,
            target,
            draft("Deras", &[by], Visibility::Public),
            &["title"],
        )
        .await,
        submit(client, by, target).await,
        withdraw(client, by, target).await,
        assign(client, by, target, by).await,
        review_application(client, by, target, review(3)).await,
        decide(
            client,
            by,
            decision(target, round, pb::DecisionOutcome::Approved, None),
        )
        .await,
        disburse(client, by, target, sek(1)).await,
        report_progress(client, by, target).await,
        return_unspent(client, by, target, sek(1)).await,
        set_budget(client, by, fund, 2026, sek(1)).await,
        schedule(client, by, fund, spring_round()).await,
        draft_application(
            client,
            by,
            (fund, round),
            draft("Deras", &[by], Visibility::Public),
        )
        .await,
    ]
}

#[tokio::test]
async fn another_municipalitys_unshared_records_are_not_found_exactly_like_a_random_id() {
    let h = start().await;
    let (private_fund, private_round) = fund(&h.remote, Visibility::Private, 2_000_000).await;
    let (fund, round) = fund(&h.remote, Visibility::Municipality, 2_000_000).await;
    let application = in_review(
        &h.remote,
        (&fund, &round),
        400_000,
        Visibility::Municipality,
    )
    .await;
    let random = Uuid::now_v7().to_string();
    let not_found = ServiceError {
        code: ErrorCode::NotFound,
        message: "not found".into(),
    };
    let partner = partner();
    let head = h.store.head();
    for client in [&h.remote, &h.local] {
        for (fund, round, target) in [
            (fund.as_str(), round.as_str(), application.as_str()),
            (fund.as_str(), round.as_str(), random.as_str()),
            (random.as_str(), random.as_str(), "not-a-uuid"),
        ] {
            for answer in every_command(client, &partner, (fund, round), target).await {
                assert_eq!(answer.unwrap_err(), not_found, "{target}");
            }
            for id in [target.to_owned(), fund.to_owned(), period(fund, 2026)] {
                assert_eq!(
                    history(client, &partner, &id).await.unwrap_err(),
                    not_found,
                    "{id}"
                );
            }
        }
        // A PRIVATE fund is its managers' and reviewers' only.
        let colleague = colleague();
        for id in [private_fund.clone(), period(&private_fund, 2026)] {
            assert_eq!(
                history(client, &colleague, &id).await.unwrap_err(),
                not_found
            );
            assert!(!history(client, &reviewer(), &id).await.unwrap().is_empty());
        }
        let drafted = draft_application(
            client,
            &colleague,
            (&private_fund, &private_round),
            draft("Hemligt", &[&colleague], Visibility::Municipality),
        )
        .await;
        assert_eq!(drafted.unwrap_err(), not_found);
    }
    assert_eq!(h.store.head(), head, "nothing was recorded");
}

#[tokio::test]
async fn a_retry_with_the_same_key_replays_the_first_reply() {
    let h = start().await;
    let manager = manager();
    let request = pb::CreateFundRequest {
        terms: Some(terms(Visibility::Municipality)),
    };
    let first = send(
        &h.remote,
        &manager,
        Some("fund-1"),
        request.clone(),
        |mut c, r| async move { c.create_fund(r).await },
    )
    .await
    .unwrap();
    let again = send(
        &h.local,
        &manager,
        Some("fund-1"),
        request,
        |mut c, r| async move { c.create_fund(r).await },
    )
    .await
    .unwrap();
    assert!(again.replayed && !first.replayed);
    assert_eq!(
        (again.aggregate_id, again.position),
        (first.aggregate_id, first.position)
    );
}

#[tokio::test]
async fn calls_without_a_valid_token_are_unauthenticated_and_record_nothing() {
    let h = start().await;
    let mut raw = Client::new(innohub_runtime::grpc::remote(&h.url).unwrap());
    let status = raw
        .create_fund(pb::CreateFundRequest {
            terms: Some(terms(Visibility::Public)),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    let status = raw
        .get_history(GetHistoryRequest {
            aggregate_id: Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    assert_eq!(h.store.head(), 0);
}

// ---------------------------------------------------------------------------------------
// Network partners, asked of the real directory service
// ---------------------------------------------------------------------------------------

use innohub_runtime::testing::network::{self, Networked};

/// A funding service that asks a directory served over the network for its callers'
/// partners (relaying their tokens), and one that asks it in-process; one directory store.
async fn networked() -> Networked<FundingApp, Client> {
    Networked::start(
        start().await,
        innohub_directory::DirectoryApp::new,
        innohub_directory::grpc::router,
        innohub_directory::grpc::channel,
        |store, directory| {
            FundingApp::new(store)
                .with_today(today)
                .with_directory(directory)
        },
        grpc::router,
        grpc::channel,
        Client::new,
    )
    .await
}

/// Register SE-1283, DK-0706 and NO-4626 and put SE-1283 and DK-0706 in one network,
/// invited; returns the network id.
async fn network_invited(directory: &network::Directory) -> String {
    let root = person("root@innohub", HOME, None, &[Role::PlatformAdmin]);
    network::network_of(
        directory,
        &root,
        &network::admin(HOME),
        &[
            ("SE", "1283", "Helsingborg"),
            ("DK", "0706", "Syddjurs"),
            ("NO", "4626", "Øygarden"),
        ],
        "Öresund",
    )
    .await
}

#[tokio::test]
async fn a_network_partner_reads_a_network_funds_ledger_and_shared_applications_redacted() {
    let n = networked().await;
    let network = network_invited(&n.directory).await;
    let client = &n.remote_with_directory;
    let (fund, round) = fund(client, Visibility::Network, 2_000_000).await;
    let shared = in_review(client, (&fund, &round), 400_000, Visibility::Network).await;
    let own = in_review(client, (&fund, &round), 400_000, Visibility::Municipality).await;
    decide(
        client,
        &manager(),
        decision(&shared, &round, pb::DecisionOutcome::Approved, None),
    )
    .await
    .unwrap();
    let partner = partner();
    let outsider = person(
        "ola@oygarden.kommune.no",
        "NO-4626",
        None,
        &[Role::Employee],
    );
    for client in [&n.remote_with_directory, &n.local_with_directory] {
        // Invited, not yet a member: Syddjurs is no partner, the fund does not exist.
        let e = history(client, &partner, &fund).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
    }
    network::accept(&n.directory, &network::admin("DK-0706"), &network).await;
    let head = n.served.store.head();
    for client in [&n.remote_with_directory, &n.local_with_directory] {
        let created: pb::FundCreated = the(&history(client, &partner, &fund).await.unwrap());
        assert_eq!(created.terms.unwrap().name, "Helsingborgs innovationsfond");
        assert_eq!(created.created_by, "", "no people of others");
        let ledger = history(client, &partner, &period(&fund, 2026))
            .await
            .unwrap();
        assert_eq!(types(&ledger), ["FundBudgetSet", "GrantCommitted"]);
        let budget: pb::FundBudgetSet = the(&ledger);
        assert_eq!(
            (budget.budget, budget.set_by.as_str()),
            (sek(2_000_000), "")
        );
        // A draft is shared by its submission: the partner's trail starts there, with the
        // details as submitted, without people or departments (the reviewer's assignment
        // shows them nothing).
        let seen = history(client, &partner, &shared).await.unwrap();
        assert_eq!(types(&seen), ["ApplicationSubmitted", "ApplicationDecided"]);
        let submitted: pb::ApplicationSubmitted = the(&seen);
        assert_eq!(submitted.submitted_by, "");
        let details = submitted.details.expect("the details as submitted");
        assert!(
            !details.title.is_empty(),
            "the partner reads what was submitted"
        );
        assert!(details.applicants.is_empty() && details.departments.is_empty());
        let decided: pb::ApplicationDecided = the(&seen);
        assert_eq!(
            (decided.approved, decided.decided_by.as_str()),
            (sek(400_000), "")
        );
        // The application Helsingborg keeps to itself is not there.
        let e = history(client, &partner, &own).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        // Read-only: partners record nothing.
        let e = report_progress(client, &partner, &shared)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden, "{}", e.message);
        let e = set_budget(client, &partner, &fund, 2026, sek(1))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden, "{}", e.message);
        let e = history(client, &outsider, &fund).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
    }
    assert_eq!(n.served.store.head(), head);
    // Without a directory, nobody has partners.
    let e = history(&n.served.remote, &partner, &fund)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}
