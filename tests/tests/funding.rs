//! The funding context over HTTP against the real binary in embedded mode, given/when/then,
//! in Helsingborg (SE-1283): an innovation fund created, given a budget for a year and
//! decision rounds; an application drafted from an idea, refused at submission with every
//! failed rule named, completed and submitted, reviewed by an assigned reviewer (one who
//! applies is refused; the reviewers are hidden from the applicants), partly granted, paid
//! in parts (never beyond the grant), reported on and partly given back; a grant that does
//! not fit the year's remaining budget refused until money comes back; the ledger equal to
//! the sums of its period's stored events at every step; the pipeline by status with what
//! the applications ask and were granted, and the innovation funnel's applications and
//! grants; who may do what; a PRIVATE fund and a DRAFT read by their own people only; and
//! bad input to every mutation refused with its code while nothing is recorded (the
//! server's today fixed by `INNOHUB_TODAY`). (Other municipalities are `tenancy.rs`'s;
//! distributed mode `funding_distributed.rs`'s; the race for a period's budget is
//! `services/funding/tests/race.rs`'s.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod funding_api;
mod ideas_api;

use common::*;
use funding_api::*;
use ideas_api::{close, command, history_types, idea_form, submit_idea};
use innohub_tests::App;
use serde_json::{Value, json};

/// The server's today.
const TODAY: &str = "2026-06-15";
/// The fund the tests follow.
const FUND: &str = "Helsingborgs innovationsfond";
/// Its autumn round of 2026.
const AUTUMN: (&str, &str, &str) = ("Innovationsrådet hösten 2026", "2026-09-30", "2026-10-15");
/// The application the tests follow.
const TITLE: &str = "Fallsensorer i hemtjänsten";

/// The people of Helsingborg the tests act as.
struct People {
    /// The fund manager: creates the fund, assigns reviewers, records the council's
    /// decisions and the money.
    maria: String,
    /// A reviewer of the fund.
    rolf: String,
    /// An employee of the social services who applies.
    anna: String,
    /// A reviewer of the fund who also applies, with Anna.
    rut: String,
    /// The innovation lead who drafts with the applicants.
    lars: String,
    /// An employee of the culture department, with nothing to do with it.
    olof: String,
}

async fn people(app: &App) -> People {
    let token = |user: &'static str, department: &'static str, roles: &'static [&'static str]| async move {
        app.token(user, SE, Some(department), roles).await.unwrap()
    };
    People {
        maria: token("maria", "stadsledning", &["employee", "fund_manager"]).await,
        rolf: token("rolf", "stadsledning", &["employee", "fund_reviewer"]).await,
        anna: token("anna", "social", &["employee"]).await,
        rut: token("rut", "it", &["employee", "fund_reviewer"]).await,
        lars: token("lars", "innovation", &["employee", "innovation_lead"]).await,
        olof: token("olof", "kultur", &["employee"]).await,
    }
}

/// A fund of `visibility` with a budget of `budget` kronor for 2026 and the autumn round:
/// its id, the round's, and the last write.
async fn fund_with_round(
    app: &App,
    maria: &str,
    visibility: &str,
    budget: i64,
) -> (String, String, Written) {
    let fund = create_fund(app, maria, fund_terms(FUND, visibility))
        .await
        .id;
    set_budget(app, maria, &fund, 2026, budget).await;
    let (written, round_id) =
        schedule_round(app, maria, &fund, round(AUTUMN.0, AUTUMN.1, AUTUMN.2)).await;
    (fund, round_id, written)
}

/// Anna's complete application asking for `kronor`, submitted, with Rolf assigned: IN_REVIEW.
async fn in_review(app: &App, p: &People, (fund, round): (&str, &str), kronor: i64) -> Written {
    let details = complete_details(TITLE, &["anna"], kronor, "MUNICIPALITY");
    let id = draft(app, &p.anna, fund, round, details).await.id;
    submit_application(app, &p.anna, &id).await;
    assign(app, &p.maria, &id, "rolf").await
}

#[tokio::test]
async fn a_fund_is_created_budgeted_and_scheduled_and_its_ledger_is_the_sum_of_its_events() {
    let app = App::spawn_on("funding-fund", TODAY).await.unwrap();
    let p = people(&app).await;
    let store = embedded_store(&app);

    // Given a fund created by the fund manager.
    let created = create_fund(&app, &p.maria, fund_terms(FUND, "MUNICIPALITY")).await;
    let fund = created.id.clone();
    let seen = fund_view(&app, &p.olof, &fund, &created.token).await;
    assert_eq!(seen["municipality"], SE);
    assert_eq!(seen["createdBy"], "maria");
    assert_eq!(seen["terms"]["name"], FUND);
    assert_eq!(seen["terms"]["minGrant"], shown(250_000));
    assert_eq!(seen["terms"]["maxGrant"], shown(1_000_000));
    assert_eq!(seen["terms"]["minDepartments"], 2);
    assert_eq!(
        seen["terms"]["criteria"],
        json!([
            { "name": FUND_CRITERIA[0].0, "description": null, "weight": 3 },
            { "name": FUND_CRITERIA[1].0, "description": null, "weight": 1 },
        ])
    );
    assert_eq!(
        (&seen["rounds"], &seen["periods"]),
        (&json!([]), &json!([]))
    );

    // When it gets a budget for 2026, and a new one.
    let budgeted = set_budget(&app, &p.maria, &fund, 2026, 2_000_000).await;
    assert_eq!(budgeted.id, period_id(&fund, 2026));
    let seen = ledger(&app, &p.olof, &fund, 2026, &budgeted.token).await;
    assert_eq!(
        seen,
        json!({
            "id": period_id(&fund, 2026), "fund": fund, "year": 2026, "currency": "SEK",
            "budget": shown(2_000_000), "committed": shown(0), "disbursed": shown(0),
            "returned": shown(0), "remaining": shown(2_000_000),
        })
    );
    assert_ledger_is_the_events_sum(&store, &seen).await;
    let rebudgeted = set_budget(&app, &p.maria, &fund, 2026, 1_500_000).await;
    let seen = ledger(&app, &p.olof, &fund, 2026, &rebudgeted.token).await;
    assert_eq!(in_kronor(&seen), [1_500_000, 0, 0, 0, 1_500_000]);
    assert_ledger_is_the_events_sum(&store, &seen).await;
    // A year without a budget has nothing.
    let next = ledger(&app, &p.olof, &fund, 2027, &rebudgeted.token).await;
    assert_eq!(in_kronor(&next), [0; 5]);

    // And two rounds, one deciding in 2027.
    let (_, autumn) =
        schedule_round(&app, &p.maria, &fund, round(AUTUMN.0, AUTUMN.1, AUTUMN.2)).await;
    let spring = round("Innovationsrådet våren 2027", "2027-02-28", "2027-03-15");
    let (scheduled, spring_id) = schedule_round(&app, &p.maria, &fund, spring).await;

    // Then the fund holds its rounds with their years and its ledger, and the history every
    // event.
    let seen = fund_view(&app, &p.olof, &fund, &scheduled.token).await;
    assert_eq!(
        seen["rounds"],
        json!([
            { "id": autumn, "title": AUTUMN.0, "applicationDeadline": AUTUMN.1, "councilDate": AUTUMN.2, "year": 2026 },
            { "id": spring_id, "title": "Innovationsrådet våren 2027", "applicationDeadline": "2027-02-28", "councilDate": "2027-03-15", "year": 2027 },
        ])
    );
    let periods = seen["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 1, "{seen:#}");
    assert_eq!(periods[0]["budget"], shown(1_500_000));
    let listed = ok(&app, &p.olof, FUNDS, json!({ "c": scheduled.token })).await;
    assert_eq!(
        listed["funds"],
        json!([{ "id": fund, "municipality": SE, "sharedWithYou": false, "terms": { "name": FUND } }])
    );
    assert_eq!(
        history_types(&app, &p.maria, &fund).await,
        [
            "FundCreated",
            "DecisionRoundScheduled",
            "DecisionRoundScheduled"
        ]
    );
    assert_eq!(
        history_types(&app, &p.olof, &period_id(&fund, 2026)).await,
        ["FundBudgetSet", "FundBudgetSet"]
    );
}

#[tokio::test]
async fn an_application_goes_from_draft_to_a_partial_grant_paid_reported_and_partly_returned() {
    let app = App::spawn_on("funding-application", TODAY).await.unwrap();
    let p = people(&app).await;
    let store = embedded_store(&app);
    let (fund, round_id, _) = fund_with_round(&app, &p.maria, "MUNICIPALITY", 1_000_000).await;

    // Given an idea of Anna's, from which the innovation lead drafts with Anna and Rut an
    // application that names one department, asks for more than the fund's largest grant,
    // has a cost plan that does not add up and no summary.
    let idea = submit_idea(&app, &p.anna, idea_form("Fallsensorer", &["social"])).await;
    let details = with(
        draft_details(TITLE, &["anna", "rut"]),
        json!({
            "departments": ["social"],
            "amountRequested": sek(1_200_000),
            "canvas": { "costPlan": [{ "description": "Allt", "amount": sek(1_000_000) }] },
        }),
    );
    let drafted = draft_for_idea(&app, &p.lars, (&fund, &round_id), details, (&idea.id, SE)).await;
    let id = drafted.id.clone();
    let seen = application(&app, &p.anna, &id, &drafted.token).await;
    assert_eq!(seen["status"], "DRAFT");
    assert_eq!(seen["draftedBy"], "lars");
    assert_eq!(
        (&seen["fundId"], &seen["roundId"]),
        (&json!(fund), &json!(round_id))
    );
    assert_eq!(
        seen["origin"],
        json!({ "context": "ideas", "kind": "idea", "id": idea.id })
    );

    // When it is submitted, every failed rule is named at once and nothing is recorded.
    refused_input(
        &app,
        &p.anna,
        "a draft that breaks every rule",
        SUBMIT_APPLICATION,
        json!({ "id": id }),
        &[
            "summary: is required to submit",
            "departments: names 1, the fund asks for at least 2",
            "amountRequested: 1200000.00 SEK is outside the fund's 250000.00 SEK to 1000000.00 SEK",
            "canvas.costPlan: sums to 1000000.00 SEK, not the amount requested 1200000.00 SEK",
        ],
    )
    .await;
    assert_eq!(
        history_types(&app, &p.anna, &id).await,
        ["ApplicationDrafted"]
    );

    // Completed, it is submitted.
    update(&app, &p.anna, &id, the_rest(800_000, &["social", "it"])).await;
    let submitted = submit_application(&app, &p.rut, &id).await;
    let seen = application(&app, &p.olof, &id, &submitted.token).await;
    assert_eq!(seen["status"], "SUBMITTED");
    assert_eq!(seen["submittedBy"], "rut");
    assert_eq!(seen["details"]["amountRequested"], shown(800_000));
    assert_eq!(seen["details"]["departments"], json!(["social", "it"]));

    // A reviewer who applies, and the drafter, are refused; Rolf is assigned: IN_REVIEW.
    for reviewer in ["rut", "lars"] {
        let variables = json!({ "id": id, "reviewer": reviewer });
        refused(
            &app,
            Some(&p.maria),
            ASSIGN_REVIEWER,
            variables,
            "BAD_USER_INPUT",
        )
        .await;
    }
    let assigned = assign(&app, &p.maria, &id, "rolf").await;
    assert_eq!(
        application(&app, &p.olof, &id, &assigned.token).await["status"],
        "IN_REVIEW"
    );
    // Benefit for citizens 4 (weight 3), feasibility 2 (weight 1): 3.5.
    let reviewed = review_application(&app, &p.rolf, &id, [4, 2]).await;
    let seen = application(&app, &p.maria, &id, &reviewed.token).await;
    assert_eq!(
        seen["assignments"],
        json!([{ "reviewer": "rolf", "assignedBy": "maria" }])
    );
    assert_eq!(seen["reviews"][0]["reviewer"], "rolf");
    close(&seen["reviews"][0]["score"], 3.5);
    close(&seen["score"], 3.5);
    // The applicants and the drafter never learn who reviews, in the view or the history;
    // Rut, a reviewer of the fund herself, may.
    for token in [&p.anna, &p.lars] {
        let seen = application(&app, token, &id, &reviewed.token).await;
        assert_eq!(seen["assignments"][0]["reviewer"], Value::Null, "{seen:#}");
        assert_eq!(seen["reviews"][0]["reviewer"], Value::Null, "{seen:#}");
        close(&seen["score"], 3.5);
        for entry in history(&app, token, &id).await {
            assert_ne!(entry["actor"], "rolf", "{entry}");
        }
    }
    let seen = application(&app, &p.rut, &id, &reviewed.token).await;
    assert_eq!(seen["reviews"][0]["reviewer"], "rolf");

    // The council grants 600 000 of the 800 000 asked.
    let decided = decide_application(
        &app,
        &p.maria,
        &id,
        &round_id,
        "PARTIALLY_APPROVED",
        Some(600_000),
    )
    .await;
    let seen = application(&app, &p.anna, &id, &decided.token).await;
    assert_eq!(seen["status"], "PARTIALLY_APPROVED");
    assert_eq!(
        seen["decision"],
        json!({
            "round": round_id, "outcome": "PARTIALLY_APPROVED", "approved": shown(600_000),
            "conditions": "Rapport efter sex månader", "rationale": "Stor nytta för invånarna",
            "year": 2026, "decidedBy": "maria",
        })
    );
    let seen = ledger(&app, &p.olof, &fund, 2026, &decided.token).await;
    assert_eq!(in_kronor(&seen), [1_000_000, 600_000, 0, 0, 400_000]);
    assert_ledger_is_the_events_sum(&store, &seen).await;

    // A grant of 500 000 does not fit the 400 000 left: refused, nothing recorded.
    let second = in_review(&app, &p, (&fund, &round_id), 500_000).await;
    let trail = history(&app, &p.maria, &second.id).await;
    refused_input(
        &app,
        &p.maria,
        "a grant that does not fit",
        DECIDE_APPLICATION,
        decision(&second.id, &round_id, "APPROVED", None),
        &["exceeds the remaining budget", "400000.00 SEK"],
    )
    .await;
    assert_eq!(history(&app, &p.maria, &second.id).await, trail);

    // Paid in two parts, never beyond the grant; a progress report; 100 000 given back.
    disburse(&app, &p.maria, &id, 250_000).await;
    let paid = disburse(&app, &p.maria, &id, 250_000).await;
    assert_eq!(paid.id, period_id(&fund, 2026));
    let beyond = json!({ "id": id, "amount": sek(100_001) });
    refused(&app, Some(&p.maria), DISBURSE, beyond, "BAD_USER_INPUT").await;
    let reported = report_progress(&app, &p.anna, &id, progress("2026-06-01", 480_000)).await;
    let back = return_unspent(&app, &p.maria, &id, 100_000).await;
    let nothing_left = json!({ "id": id, "amount": sek(1) });
    refused(
        &app,
        Some(&p.maria),
        RETURN_UNSPENT,
        nothing_left,
        "BAD_USER_INPUT",
    )
    .await;
    let seen = application(&app, &p.anna, &id, &back.token).await;
    let amounts: Vec<&Value> = seen["disbursements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["amount"])
        .collect();
    assert_eq!(amounts, [&shown(250_000), &shown(250_000)]);
    assert_eq!(seen["disbursements"][0]["disbursedBy"], "maria");
    assert_eq!(seen["disbursements"][0]["date"], TODAY);
    assert_eq!(
        (&seen["disbursed"], &seen["returned"]),
        (&shown(500_000), &shown(100_000))
    );
    assert_eq!(seen["returns"][0]["returnedBy"], "maria");
    assert_eq!(
        seen["progressReports"][0]["reportedBy"], "anna",
        "{}",
        reported.token
    );
    assert_eq!(seen["progressReports"][0]["spent"], shown(480_000));
    let seen = ledger(&app, &p.olof, &fund, 2026, &back.token).await;
    assert_eq!(
        in_kronor(&seen),
        [1_000_000, 600_000, 500_000, 100_000, 500_000]
    );
    assert_ledger_is_the_events_sum(&store, &seen).await;

    // Now the second grant fits, to the last öre.
    let granted = decide_application(&app, &p.maria, &second.id, &round_id, "APPROVED", None).await;
    let seen = ledger(&app, &p.olof, &fund, 2026, &granted.token).await;
    assert_eq!(
        in_kronor(&seen),
        [1_000_000, 1_100_000, 500_000, 100_000, 0]
    );
    assert_ledger_is_the_events_sum(&store, &seen).await;
    assert_eq!(
        application(&app, &p.anna, &second.id, &granted.token).await["status"],
        "APPROVED"
    );

    // Then the histories hold every step.
    assert_eq!(
        history_types(&app, &p.maria, &id).await,
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
    assert_eq!(
        history_types(&app, &p.olof, &period_id(&fund, 2026)).await,
        [
            "FundBudgetSet",
            "GrantCommitted",
            "GrantDisbursed",
            "GrantDisbursed",
            "UnspentReturned",
            "GrantCommitted",
        ]
    );

    // A draft of Anna's is withdrawn.
    let third = draft(
        &app,
        &p.anna,
        &fund,
        &round_id,
        draft_details("Tredje", &["anna"]),
    )
    .await;
    let withdrawn = withdraw(&app, &p.anna, &third.id, "Vi söker nästa år").await;
    let seen = application(&app, &p.anna, &third.id, &withdrawn.token).await;
    assert_eq!(seen["status"], "WITHDRAWN");
    assert_eq!(
        seen["withdrawal"],
        json!({ "withdrawnBy": "anna", "reason": "Vi söker nästa år" })
    );
}

#[tokio::test]
async fn the_pipeline_shows_applications_by_status_with_what_they_ask_and_were_granted() {
    let app = App::spawn_on("funding-pipeline", TODAY).await.unwrap();
    let p = people(&app).await;
    let (fund, round_id, _) = fund_with_round(&app, &p.maria, "MUNICIPALITY", 3_000_000).await;

    // Given an application in every status: a draft, one submitted, one in review, one
    // approved (from an idea), one partly approved, one rejected and one withdrawn.
    let idea = submit_idea(&app, &p.anna, idea_form("Fallsensorer", &["social"])).await;
    let drafted = draft(
        &app,
        &p.anna,
        &fund,
        &round_id,
        complete_details("Utkast", &["anna"], 300_000, "MUNICIPALITY"),
    )
    .await;
    let submitted = draft(
        &app,
        &p.anna,
        &fund,
        &round_id,
        complete_details("Inlämnad", &["anna"], 300_000, "MUNICIPALITY"),
    )
    .await;
    submit_application(&app, &p.anna, &submitted.id).await;
    let reviewing = in_review(&app, &p, (&fund, &round_id), 300_000).await;
    let details = complete_details("Från idén", &["anna"], 300_000, "MUNICIPALITY");
    let from_idea =
        draft_for_idea(&app, &p.anna, (&fund, &round_id), details, (&idea.id, SE)).await;
    submit_application(&app, &p.anna, &from_idea.id).await;
    assign(&app, &p.maria, &from_idea.id, "rolf").await;
    decide_application(&app, &p.maria, &from_idea.id, &round_id, "APPROVED", None).await;
    let partly = in_review(&app, &p, (&fund, &round_id), 500_000).await;
    decide_application(
        &app,
        &p.maria,
        &partly.id,
        &round_id,
        "PARTIALLY_APPROVED",
        Some(400_000),
    )
    .await;
    let rejected = in_review(&app, &p, (&fund, &round_id), 600_000).await;
    decide_application(&app, &p.maria, &rejected.id, &round_id, "REJECTED", None).await;
    let withdrawn = in_review(&app, &p, (&fund, &round_id), 700_000).await;
    let last = withdraw(&app, &p.anna, &withdrawn.id, "Löst på annat sätt").await;

    // When the fund manager reads the pipeline of the fund.
    let seen = pipeline(&app, &p.maria, json!({ "fund": fund }), &last.token).await;

    // Then every status is there in order, with what its applications ask and were granted.
    assert_eq!(seen["total"], 7, "{seen:#}");
    let statuses: Vec<&Value> = seen["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["status"])
        .collect();
    assert_eq!(
        statuses,
        [
            "DRAFT",
            "SUBMITTED",
            "IN_REVIEW",
            "APPROVED",
            "PARTIALLY_APPROVED",
            "REJECTED",
            "WITHDRAWN"
        ]
    );
    for (status, id, requested, approved) in [
        ("DRAFT", &drafted.id, 300_000, None),
        ("SUBMITTED", &submitted.id, 300_000, None),
        ("IN_REVIEW", &reviewing.id, 300_000, None),
        ("APPROVED", &from_idea.id, 300_000, Some(300_000)),
        ("PARTIALLY_APPROVED", &partly.id, 500_000, Some(400_000)),
        ("REJECTED", &rejected.id, 600_000, Some(0)),
        ("WITHDRAWN", &withdrawn.id, 700_000, None),
    ] {
        let row = stage(&seen, status);
        assert_eq!(row["count"], 1, "{status}");
        assert_eq!(stage_ids(&seen, status), [id.as_str()], "{status}");
        assert_eq!(row["requested"], json!([shown(requested)]), "{status}");
        let approved = approved.map_or(json!([]), |a| json!([shown(a)]));
        if status != "REJECTED" {
            assert_eq!(row["approved"], approved, "{status}");
        }
    }
    // Filtered by status and round.
    let approved = pipeline(
        &app,
        &p.maria,
        json!({ "fund": fund, "status": "APPROVED" }),
        &last.token,
    )
    .await;
    assert_eq!(approved["total"], 1);
    let by_round = pipeline(&app, &p.maria, json!({ "round": round_id }), &last.token).await;
    assert_eq!(by_round["total"], 7);
    let other_round = pipeline(&app, &p.maria, json!({ "round": NOBODY }), &last.token).await;
    assert_eq!(other_round["total"], 0);
    // Olof sees every application of Helsingborg's but the draft.
    let seen = pipeline(&app, &p.olof, json!({ "fund": fund }), &last.token).await;
    assert_eq!(seen["total"], 6, "{seen:#}");
    assert_eq!(stage(&seen, "DRAFT")["count"], 0);

    // The innovation funnel counts the applications submitted, the one from an idea, and
    // the grants with what they granted.
    let funnel = ok(&app, &p.olof, FUNDING_FUNNEL, json!({ "c": last.token })).await;
    assert_eq!(
        funnel["innovationFunnel"],
        json!({
            "applications": { "count": 6, "fromIdeas": 1 },
            "grants": { "count": 2, "granted": [{ "minorUnits": 70_000_000, "currency": "SEK" }] },
        }),
        "{funnel:#}"
    );
}

#[tokio::test]
async fn only_fund_managers_run_a_fund_and_only_assigned_reviewers_review() {
    let app = App::spawn_on("funding-roles", TODAY).await.unwrap();
    let p = people(&app).await;
    let (fund, round_id, _) = fund_with_round(&app, &p.maria, "MUNICIPALITY", 2_000_000).await;
    let reviewing = in_review(&app, &p, (&fund, &round_id), 400_000).await;
    let granted = in_review(&app, &p, (&fund, &round_id), 400_000).await;
    let settled =
        decide_application(&app, &p.maria, &granted.id, &round_id, "APPROVED", None).await;
    let before = bystander_write(&app).await;

    let approve = decision(&reviewing.id, &round_id, "APPROVED", None);
    let money = |id: &str| json!({ "id": id, "amount": sek(1) });
    // Who, what, and the variables: each FORBIDDEN.
    #[rustfmt::skip]
    let cases: Vec<(&str, &str, &str, Value)> = vec![
        (&p.anna, "an applicant creates a fund", CREATE_FUND, json!({ "terms": fund_terms("Egen", "MUNICIPALITY") })),
        (&p.lars, "an innovation lead creates a fund", CREATE_FUND, json!({ "terms": fund_terms("Egen", "MUNICIPALITY") })),
        (&p.rolf, "a reviewer sets a budget", SET_BUDGET, json!({ "fund": fund, "year": 2026, "budget": sek(1) })),
        (&p.anna, "an applicant schedules a round", SCHEDULE_ROUND, json!({ "fund": fund, "round": round("R", "2026-09-30", "2026-10-15") })),
        (&p.rolf, "a reviewer assigns", ASSIGN_REVIEWER, json!({ "id": reviewing.id, "reviewer": "rut" })),
        (&p.maria, "a manager who reviews for no fund", REVIEW_APPLICATION, json!({ "id": reviewing.id, "review": review([3, 3]) })),
        (&p.rut, "a reviewer not assigned", REVIEW_APPLICATION, json!({ "id": reviewing.id, "review": review([3, 3]) })),
        (&p.rolf, "a reviewer decides", DECIDE_APPLICATION, approve.clone()),
        (&p.anna, "an applicant decides", DECIDE_APPLICATION, approve),
        (&p.anna, "an applicant pays herself", DISBURSE, money(&granted.id)),
        (&p.rolf, "a reviewer gives money back", RETURN_UNSPENT, money(&granted.id)),
        (&p.olof, "a colleague edits", UPDATE_APPLICATION, json!({ "id": reviewing.id, "details": { "title": "Min" } })),
        (&p.olof, "a colleague withdraws", WITHDRAW_APPLICATION, json!({ "id": reviewing.id })),
        (&p.olof, "a colleague reports progress", RECORD_PROGRESS, json!({ "id": granted.id, "report": progress(TODAY, 1) })),
    ];
    for (token, what, query, variables) in cases {
        let response = refused(&app, Some(token), query, variables, "FORBIDDEN").await;
        assert!(!message(&response).is_empty(), "{what}: {response:#}");
    }
    let after = bystander_write(&app).await;
    assert_eq!(
        after.position(),
        before.position() + 1,
        "nothing was recorded"
    );
    assert_eq!(
        application(&app, &p.anna, &granted.id, &settled.token).await["disbursements"],
        json!([])
    );
}

#[tokio::test]
async fn a_private_fund_and_a_draft_are_read_by_their_own_people_only() {
    let app = App::spawn_on("funding-read-rule", TODAY).await.unwrap();
    let p = people(&app).await;
    let (private, private_round, settled) =
        fund_with_round(&app, &p.maria, "PRIVATE", 1_000_000).await;
    let (open, open_round, _) = fund_with_round(&app, &p.maria, "MUNICIPALITY", 1_000_000).await;
    let drafted = draft(
        &app,
        &p.lars,
        &open,
        &open_round,
        complete_details(TITLE, &["anna"], 400_000, "MUNICIPALITY"),
    )
    .await;

    // A PRIVATE fund is its managers' and reviewers': for anyone else it does not exist.
    for token in [&p.maria, &p.rolf] {
        fund_view(&app, token, &private, &drafted.token).await;
        ledger(&app, token, &private, 2026, &drafted.token).await;
    }
    for token in [&p.olof, &p.anna] {
        let variables = json!({ "id": private, "c": settled.token });
        looks_missing(&app, token, &fund_query(), variables, &private, "fund").await;
        let variables = json!({ "fund": private, "year": 2026, "c": settled.token });
        refused(&app, Some(token), &ledger_query(), variables, "NOT_FOUND").await;
        refused(
            &app,
            Some(token),
            HISTORY,
            json!({ "id": private }),
            "NOT_FOUND",
        )
        .await;
        let variables = json!({
            "fund": private, "round": private_round,
            "details": draft_details("Hemligt", &["anna"]),
        });
        refused(&app, Some(token), DRAFT_APPLICATION, variables, "NOT_FOUND").await;
        let listed = ok(&app, token, FUNDS, json!({ "c": drafted.token })).await;
        assert_eq!(ids(&listed["funds"]), [open.as_str()]);
    }

    // A draft is its applicants', its drafter's and the fund managers' until it is
    // submitted; then all of Helsingborg reads it.
    for token in [&p.anna, &p.lars, &p.maria] {
        application(&app, token, &drafted.id, &drafted.token).await;
    }
    for token in [&p.olof, &p.rolf] {
        let variables = json!({ "id": drafted.id, "c": drafted.token });
        looks_missing(
            &app,
            token,
            &application_query(),
            variables,
            &drafted.id,
            "draft",
        )
        .await;
        refused(
            &app,
            Some(token),
            HISTORY,
            json!({ "id": drafted.id }),
            "NOT_FOUND",
        )
        .await;
    }
    let submitted = submit_application(&app, &p.anna, &drafted.id).await;
    for token in [&p.olof, &p.rolf] {
        let seen = application(&app, token, &drafted.id, &submitted.token).await;
        assert_eq!(seen["status"], "SUBMITTED");
    }
}

/// The ids of a list of records.
fn ids(records: &Value) -> Vec<String> {
    ideas_api::ids(records.as_array().expect("a list"))
}

#[tokio::test]
async fn a_retry_with_the_same_key_records_a_decision_once() {
    let app = App::spawn_on("funding-retry", TODAY).await.unwrap();
    let p = people(&app).await;
    let (fund, round_id, _) = fund_with_round(&app, &p.maria, "MUNICIPALITY", 1_000_000).await;
    let reviewing = in_review(&app, &p, (&fund, &round_id), 400_000).await;
    let keyed = with(
        decision(&reviewing.id, &round_id, "APPROVED", None),
        json!({ "key": "council-2026-10-15-1" }),
    );
    let first = command(&app, &p.maria, DECIDE_APPLICATION, keyed.clone()).await;
    let again = command(&app, &p.maria, DECIDE_APPLICATION, keyed).await;
    assert!(!first.replayed && again.replayed);
    assert_eq!(again.token, first.token);
    let seen = ledger(&app, &p.maria, &fund, 2026, &again.token).await;
    assert_eq!(
        in_kronor(&seen),
        [1_000_000, 400_000, 0, 0, 600_000],
        "committed once"
    );
}

#[tokio::test]
async fn bad_input_to_every_funding_mutation_is_bad_user_input_and_records_nothing() {
    let app = App::spawn_on("funding-invalid", TODAY).await.unwrap();
    let p = people(&app).await;

    // Given a fund with a budget of 500 000 and a round, one with a round whose deadline has
    // passed, and an application in every state a command is refused in: a draft, one in
    // review, and one granted 400 000.
    let (fund, round_id, _) = fund_with_round(&app, &p.maria, "MUNICIPALITY", 500_000).await;
    let (_, past_round) = schedule_round(
        &app,
        &p.maria,
        &fund,
        round("Försommarrådet", "2026-06-01", "2026-06-20"),
    )
    .await;
    let drafted = draft(
        &app,
        &p.anna,
        &fund,
        &round_id,
        draft_details("Utkast", &["anna"]),
    )
    .await;
    let late = draft(
        &app,
        &p.anna,
        &fund,
        &past_round,
        complete_details("För sent", &["anna"], 400_000, "MUNICIPALITY"),
    )
    .await;
    let reviewing = in_review(&app, &p, (&fund, &round_id), 400_000).await;
    let granted = in_review(&app, &p, (&fund, &round_id), 400_000).await;
    let settled =
        decide_application(&app, &p.maria, &granted.id, &round_id, "APPROVED", None).await;
    let period = period_id(&fund, 2026);

    let records = [
        &fund,
        &period,
        &drafted.id,
        &late.id,
        &reviewing.id,
        &granted.id,
    ];
    let mut histories = Vec::new();
    for record in records {
        histories.push(history(&app, &p.maria, record).await);
    }
    let views = [
        application(&app, &p.maria, &drafted.id, &settled.token).await,
        application(&app, &p.maria, &reviewing.id, &settled.token).await,
        application(&app, &p.maria, &granted.id, &settled.token).await,
        ledger(&app, &p.maria, &fund, 2026, &settled.token).await,
    ];
    let before = bystander_write(&app).await;

    let long = |n: usize| "x".repeat(n);
    let terms = |extra| json!({ "terms": with(fund_terms("Ny fond", "MUNICIPALITY"), extra) });
    let budget = |year: i32, budget: Value| json!({ "fund": fund, "year": year, "budget": budget });
    let schedule = |deadline: &str, council: &str| json!({ "fund": fund, "round": round("Ny runda", deadline, council) });
    let new_draft = |round: &str, extra| json!({ "fund": fund, "round": round, "details": with(draft_details("Ny", &["anna"]), extra) });
    let change = |id: &str, details: Value| json!({ "id": id, "details": details });
    let scored = |scores: Value| json!({ "id": reviewing.id, "review": { "scores": scores, "comment": "Bra" } });
    let decided =
        |outcome: &str, amount: Option<i64>| decision(&reviewing.id, &round_id, outcome, amount);
    let money = |id: &str, amount: Value| json!({ "id": id, "amount": amount });
    let eur = json!({ "minorUnits": 100, "currency": "EUR" });
    // Who, what is wrong, the mutation, its variables, and what the refusal says.
    #[rustfmt::skip]
    let cases: Vec<(&str, &str, &str, Value, &str)> = vec![
        (&p.maria, "no name", CREATE_FUND, terms(json!({ "name": " " })), "name"),
        (&p.maria, "name of 121", CREATE_FUND, terms(json!({ "name": long(121) })), "name"),
        (&p.maria, "a largest grant in euro", CREATE_FUND, terms(json!({ "maxGrant": { "minorUnits": 100_000_000, "currency": "EUR" } })), "maxGrant"),
        (&p.maria, "a largest grant below the smallest", CREATE_FUND, terms(json!({ "maxGrant": sek(100_000) })), "maxGrant"),
        (&p.maria, "no criteria", CREATE_FUND, terms(json!({ "criteria": [] })), "criteria"),
        (&p.maria, "a criterion twice", CREATE_FUND, terms(json!({ "criteria": [{ "name": "A", "weight": 1 }, { "name": "A", "weight": 2 }] })), "criteria"),
        (&p.maria, "a weight of 0", CREATE_FUND, terms(json!({ "criteria": [{ "name": "A", "weight": 0 }] })), "weight"),
        (&p.maria, "no department needed", CREATE_FUND, terms(json!({ "minDepartments": 0 })), "minDepartments"),
        (&p.maria, "a currency that is none", CREATE_FUND, terms(json!({ "currency": "KRONOR" })), "currency"),
        (&p.maria, "unknown visibility (variable)", CREATE_FUND, terms(json!({ "visibility": "SECRET" })), "SECRET"),
        (&p.maria, "a budget in euro", SET_BUDGET, budget(2026, eur.clone()), "budget"),
        (&p.maria, "a negative budget", SET_BUDGET, budget(2026, sek(-1)), "budget"),
        (&p.maria, "a budget below what is committed", SET_BUDGET, budget(2026, sek(399_999)), "400000.00 SEK"),
        (&p.maria, "a deadline after the council", SCHEDULE_ROUND, schedule("2026-11-01", "2026-10-15"), "applicationDeadline"),
        (&p.maria, "a day that is no date", SCHEDULE_ROUND, schedule("2026-02-30", "2026-10-15"), "NaiveDate"),
        (&p.anna, "no title", DRAFT_APPLICATION, new_draft(&round_id, json!({ "title": "" })), "title"),
        (&p.anna, "no applicant", DRAFT_APPLICATION, new_draft(&round_id, json!({ "applicants": [] })), "applicants"),
        (&p.anna, "an amount in euro", DRAFT_APPLICATION, new_draft(&round_id, json!({ "amountRequested": eur.clone() })), "amountRequested"),
        (&p.anna, "a round of no fund", DRAFT_APPLICATION, new_draft(NOBODY, json!({})), "round"),
        (&p.anna, "an origin of another municipality", DRAFT_APPLICATION, with(new_draft(&round_id, json!({})), json!({ "origin": { "context": "ideas", "kind": "idea", "id": NOBODY, "municipality": DK } })), "origin"),
        (&p.anna, "title cleared", UPDATE_APPLICATION, change(&drafted.id, json!({ "title": "" })), "title"),
        (&p.anna, "a cost line in euro", UPDATE_APPLICATION, change(&drafted.id, json!({ "canvas": { "costPlan": [{ "description": "Allt", "amount": eur.clone() }] } })), "costPlan"),
        (&p.anna, "an application in review", UPDATE_APPLICATION, change(&reviewing.id, json!({ "title": "Nytt" })), "DRAFT"),
        (&p.anna, "an incomplete draft", SUBMIT_APPLICATION, json!({ "id": drafted.id }), "summary"),
        (&p.anna, "past the round's deadline", SUBMIT_APPLICATION, json!({ "id": late.id }), "deadline"),
        (&p.anna, "an application in review", SUBMIT_APPLICATION, json!({ "id": reviewing.id }), "DRAFT"),
        (&p.anna, "a granted application", WITHDRAW_APPLICATION, json!({ "id": granted.id }), "APPROVED"),
        (&p.maria, "a draft", ASSIGN_REVIEWER, json!({ "id": drafted.id, "reviewer": "rolf" }), "DRAFT"),
        (&p.maria, "an applicant", ASSIGN_REVIEWER, json!({ "id": reviewing.id, "reviewer": "anna" }), "reviewer"),
        (&p.maria, "a reviewer who is no user", ASSIGN_REVIEWER, json!({ "id": reviewing.id, "reviewer": " " }), "reviewer"),
        (&p.rolf, "a score of 6", REVIEW_APPLICATION, scored(json!([{ "criterion": FUND_CRITERIA[0].0, "score": 6 }, { "criterion": FUND_CRITERIA[1].0, "score": 3 }])), "score"),
        (&p.rolf, "a criterion missing", REVIEW_APPLICATION, scored(json!([{ "criterion": FUND_CRITERIA[0].0, "score": 3 }])), FUND_CRITERIA[1].0),
        (&p.rolf, "an unknown criterion", REVIEW_APPLICATION, scored(json!([{ "criterion": FUND_CRITERIA[0].0, "score": 3 }, { "criterion": FUND_CRITERIA[1].0, "score": 3 }, { "criterion": "Skönhet", "score": 3 }])), "Skönhet"),
        (&p.maria, "over the remaining budget", DECIDE_APPLICATION, decided("APPROVED", None), "exceeds the remaining budget"),
        (&p.maria, "a partial grant of all", DECIDE_APPLICATION, decided("PARTIALLY_APPROVED", Some(400_000)), "amount"),
        (&p.maria, "a partial grant of nothing", DECIDE_APPLICATION, decided("PARTIALLY_APPROVED", None), "amount"),
        (&p.maria, "no rationale", DECIDE_APPLICATION, with(decided("REJECTED", None), json!({ "rationale": " " })), "rationale"),
        (&p.maria, "another round", DECIDE_APPLICATION, decision(&reviewing.id, &past_round, "REJECTED", None), "round"),
        (&p.maria, "a draft", DECIDE_APPLICATION, decision(&drafted.id, &round_id, "REJECTED", None), "DRAFT"),
        (&p.maria, "unknown outcome (variable)", DECIDE_APPLICATION, decided("MAYBE", None), "MAYBE"),
        (&p.maria, "more than granted", DISBURSE, money(&granted.id, sek(400_001)), "amount"),
        (&p.maria, "nothing", DISBURSE, money(&granted.id, sek(0)), "amount"),
        (&p.maria, "in euro", DISBURSE, money(&granted.id, eur.clone()), "amount"),
        (&p.maria, "an application in review", DISBURSE, money(&reviewing.id, sek(1)), "IN_REVIEW"),
        (&p.anna, "no text", RECORD_PROGRESS, json!({ "id": granted.id, "report": { "date": TODAY, "text": " " } }), "text"),
        (&p.anna, "an application in review", RECORD_PROGRESS, json!({ "id": reviewing.id, "report": progress(TODAY, 1) }), "IN_REVIEW"),
        (&p.maria, "more than granted", RETURN_UNSPENT, money(&granted.id, sek(400_001)), "amount"),
        (&p.maria, "nothing", RETURN_UNSPENT, money(&granted.id, sek(0)), "amount"),
        (&p.maria, "an application in review", RETURN_UNSPENT, money(&reviewing.id, sek(1)), "IN_REVIEW"),
    ];
    let mut mutations = std::collections::BTreeSet::new();
    for (who, what, query, variables, why) in cases {
        mutations.insert(refused_input(&app, who, what, query, variables, &[why]).await);
    }
    // Every mutation of the funding context was tried.
    assert_eq!(mutations.into_iter().collect::<Vec<_>>(), FUNDING_MUTATIONS);

    // Nothing was appended in between: the next write directly follows the last one, every
    // record's history (its length and its entries) and every view is as it was.
    let after = bystander_write(&app).await;
    assert_eq!(after.position(), before.position() + 1);
    for (record, before) in records.into_iter().zip(histories) {
        assert_eq!(history(&app, &p.maria, record).await, before, "{record}");
    }
    let now = [
        application(&app, &p.maria, &drafted.id, &settled.token).await,
        application(&app, &p.maria, &reviewing.id, &settled.token).await,
        application(&app, &p.maria, &granted.id, &settled.token).await,
        ledger(&app, &p.maria, &fund, 2026, &settled.token).await,
    ];
    assert_eq!(now, views);
    let funds = ok(&app, &p.maria, FUNDS, json!({ "c": after.token })).await;
    assert_eq!(ids(&funds["funds"]), [fund.as_str()], "no fund was created");
}
