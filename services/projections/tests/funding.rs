//! The funding read models on both backends: funding events with chosen times are fed to
//! the `funding_views` projection (one event a batch and all in one, as its runner would),
//! and every query is checked: the ledger equals the sums of its period's events (zero
//! before a budget), funds by their visibility (a PRIVATE fund is its fund managers' and
//! reviewers' only; a partner reads a NETWORK fund and its ledger redacted), applications
//! by the funding read rule (a DRAFT is its applicants', drafter's and fund managers' only;
//! a PRIVATE one also the fund reviewers'; a partner reads a NETWORK one redacted, without
//! people, comments, origin; another municipality never reads what is not shared), reviewers
//! hidden from the applicants, weighted scores, the grant's money, the pipeline and the
//! innovation funnel's applications and grants.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use innohub_projections::filter::ApplicationFilter;
use innohub_projections::funding_queries::ApplicationView;
use innohub_projections::{FundingQueries, FundingViews, PilotQueries};
use innohub_proto::innohub::common::v1::{Money, RecordRef};
use innohub_proto::innohub::funding::v1 as pb;
use innohub_proto::innohub::processes::v1::Visibility;
use innohub_runtime::{Access, Role, Viewer};
use prost::{Message, Name};
use uuid::Uuid;

mod common;
use common::{Events, project, stores, viewer};

const SE: &str = "SE-1283";
const NO: &str = "NO-4626";
const DK: &str = "DK-0706";

fn sek(minor_units: i64) -> Money {
    Money {
        minor_units,
        currency: "SEK".into(),
    }
}

/// A viewer of Helsingborg (with Bergen as network partner) holding `role` too.
fn member(user: &str, role: Option<Role>) -> Viewer {
    let mut v = viewer(user, SE, "social", &[NO]);
    v.principal.roles.extend(role);
    v
}

/// The ids of the funding records of the scenario.
struct Ids {
    fund: Uuid,
    private_fund: Uuid,
    round: Uuid,
    /// NETWORK, from an idea, granted 400 kSEK: 300 paid, 50 returned.
    granted: Uuid,
    /// A DRAFT of anna's.
    draft: Uuid,
    /// PRIVATE, granted 200 of 300 kSEK.
    private: Uuid,
    /// MUNICIPALITY, rejected.
    rejected: Uuid,
}

impl Events {
    fn funding<M: Message + Name>(&mut self, (kind, id): (&str, &str), at: &str, m: M) {
        self.event((kind, id), SE, at, m);
    }

    fn fund(&mut self, fund: Uuid, at: &str, visibility: Visibility) {
        let terms = pb::FundTerms {
            name: "Helsingborgs innovationsfond".into(),
            currency: "SEK".into(),
            min_grant: Some(sek(25_000_000)),
            max_grant: Some(sek(100_000_000)),
            min_departments: 2,
            criteria: vec![
                pb::Criterion {
                    name: "Nytta".into(),
                    weight: 3,
                    ..Default::default()
                },
                pb::Criterion {
                    name: "Genomförbarhet".into(),
                    weight: 1,
                    ..Default::default()
                },
            ],
            visibility: visibility as i32,
            ..Default::default()
        };
        let created = pb::FundCreated {
            fund_id: fund.to_string(),
            municipality: SE.into(),
            terms: Some(terms),
            created_by: "frida".into(),
        };
        self.funding(("fund", &fund.to_string()), at, created);
    }

    fn period<M: Message + Name>(&mut self, fund: Uuid, at: &str, m: M) {
        self.funding(("fund_period", &format!("fund-period:{fund}:2026")), at, m);
    }

    fn application<M: Message + Name>(&mut self, id: Uuid, at: &str, m: M) {
        self.funding(("application", &id.to_string()), at, m);
    }

    #[allow(clippy::too_many_arguments)]
    fn draft(
        &mut self,
        ids: &Ids,
        id: Uuid,
        at: &str,
        by: &str,
        applicants: &[&str],
        requested: i64,
        visibility: Visibility,
        origin: Option<Uuid>,
    ) {
        let details = pb::ApplicationDetails {
            title: format!("Ansökan {by}"),
            applicants: applicants.iter().map(|a| (*a).into()).collect(),
            departments: vec!["social".into(), "vard".into()],
            amount_requested: Some(sek(requested)),
            visibility: visibility as i32,
            ..Default::default()
        };
        let drafted = pb::ApplicationDrafted {
            application_id: id.to_string(),
            municipality: SE.into(),
            fund_id: ids.fund.to_string(),
            round_id: ids.round.to_string(),
            details: Some(details),
            drafted_by: by.into(),
            origin: origin.map(|idea| RecordRef {
                context: "ideas".into(),
                kind: "idea".into(),
                id: idea.to_string(),
                municipality: SE.into(),
            }),
        };
        self.application(id, at, drafted);
    }

    fn submit(&mut self, id: Uuid, at: &str) {
        let submitted = pb::ApplicationSubmitted {
            submitted_by: "anna".into(),
            date: at[..10].into(),
            // The read model keeps the draft's details, which these are.
            details: None,
        };
        self.application(id, at, submitted);
    }

    fn review(&mut self, id: Uuid, at: &str, scores: (u32, u32)) {
        let review = pb::Review {
            scores: vec![
                pb::CriterionScore {
                    criterion: "Nytta".into(),
                    score: scores.0,
                },
                pb::CriterionScore {
                    criterion: "Genomförbarhet".into(),
                    score: scores.1,
                },
            ],
            comment: "Stark nytta".into(),
        };
        let reviewed = pb::ApplicationReviewed {
            reviewer: "rita".into(),
            review: Some(review),
        };
        self.application(id, at, reviewed);
    }

    fn decide(&mut self, ids: &Ids, id: Uuid, at: &str, outcome: pb::DecisionOutcome, amount: i64) {
        let decided = pb::ApplicationDecided {
            round_id: ids.round.to_string(),
            outcome: outcome as i32,
            approved: Some(sek(amount)),
            rationale: "Rådets beslut".into(),
            decided_by: "frida".into(),
            year: 2026,
            ..Default::default()
        };
        self.application(id, at, decided);
        if amount > 0 {
            let committed = pb::GrantCommitted {
                application_id: id.to_string(),
                round_id: ids.round.to_string(),
                amount: Some(sek(amount)),
            };
            self.period(ids.fund, at, committed);
        }
    }
}

/// The scenario: a NETWORK fund with a round and a 2026 budget of 1 MSEK, a PRIVATE fund,
/// and four applications (see [`Ids`]).
fn scenario() -> (Events, Ids) {
    let ids = Ids {
        fund: Uuid::now_v7(),
        private_fund: Uuid::now_v7(),
        round: Uuid::now_v7(),
        granted: Uuid::now_v7(),
        draft: Uuid::now_v7(),
        private: Uuid::now_v7(),
        rejected: Uuid::now_v7(),
    };
    let idea = Uuid::now_v7();
    let mut e = Events::default();
    e.fund(ids.fund, "2026-01-10T09:00:00Z", Visibility::Network);
    e.fund(
        ids.private_fund,
        "2026-01-11T09:00:00Z",
        Visibility::Private,
    );
    let round = pb::DecisionRoundScheduled {
        round_id: ids.round.to_string(),
        round: Some(pb::DecisionRound {
            title: "Vårens råd 2026".into(),
            application_deadline: "2026-04-30".into(),
            council_date: "2026-05-20".into(),
        }),
    };
    e.funding(
        ("fund", &ids.fund.to_string()),
        "2026-01-12T09:00:00Z",
        round,
    );
    let budget = pb::FundBudgetSet {
        fund_id: ids.fund.to_string(),
        municipality: SE.into(),
        year: 2026,
        budget: Some(sek(100_000_000)),
        set_by: "frida".into(),
    };
    e.period(ids.fund, "2026-01-13T09:00:00Z", budget);

    e.draft(
        &ids,
        ids.granted,
        "2026-02-01T09:00:00Z",
        "lena",
        &["anna", "bo"],
        40_000_000,
        Visibility::Network,
        Some(idea),
    );
    e.submit(ids.granted, "2026-02-02T09:00:00Z");
    let assigned = pb::ApplicationReviewerAssigned {
        reviewer: "rita".into(),
        assigned_by: "frida".into(),
    };
    e.application(ids.granted, "2026-02-03T09:00:00Z", assigned);
    e.review(ids.granted, "2026-02-04T09:00:00Z", (5, 1));
    e.review(ids.granted, "2026-02-05T09:00:00Z", (4, 4));
    e.decide(
        &ids,
        ids.granted,
        "2026-05-20T12:00:00Z",
        pb::DecisionOutcome::Approved,
        40_000_000,
    );
    let disbursed = pb::GrantDisbursed {
        application_id: ids.granted.to_string(),
        disbursement_id: Uuid::now_v7().to_string(),
        amount: Some(sek(30_000_000)),
        date: "2026-06-01".into(),
        note: "Första delen".into(),
        disbursed_by: "frida".into(),
    };
    e.period(ids.fund, "2026-06-01T09:00:00Z", disbursed);
    let returned = pb::UnspentReturned {
        application_id: ids.granted.to_string(),
        amount: Some(sek(5_000_000)),
        note: "Blev billigare".into(),
        returned_by: "frida".into(),
    };
    e.period(ids.fund, "2026-11-01T09:00:00Z", returned);
    let report = pb::ProgressReported {
        report_id: Uuid::now_v7().to_string(),
        report: Some(pb::ProgressReport {
            date: "2026-09-01".into(),
            text: "Sensorerna är på plats".into(),
            spent: Some(sek(20_000_000)),
            reported_by: "anna".into(),
        }),
    };
    e.application(ids.granted, "2026-09-01T09:00:00Z", report);

    e.draft(
        &ids,
        ids.draft,
        "2026-02-10T09:00:00Z",
        "anna",
        &["anna"],
        30_000_000,
        Visibility::Municipality,
        None,
    );

    e.draft(
        &ids,
        ids.private,
        "2026-02-11T09:00:00Z",
        "carl",
        &["carl"],
        30_000_000,
        Visibility::Private,
        None,
    );
    e.submit(ids.private, "2026-02-12T09:00:00Z");
    e.decide(
        &ids,
        ids.private,
        "2026-05-20T12:01:00Z",
        pb::DecisionOutcome::PartiallyApproved,
        20_000_000,
    );

    e.draft(
        &ids,
        ids.rejected,
        "2026-02-13T09:00:00Z",
        "dan",
        &["dan"],
        50_000_000,
        Visibility::Municipality,
        None,
    );
    e.submit(ids.rejected, "2026-02-14T09:00:00Z");
    e.decide(
        &ids,
        ids.rejected,
        "2026-05-20T12:02:00Z",
        pb::DecisionOutcome::Rejected,
        0,
    );
    (e, ids)
}

/// Whether `viewer` reads application `id`, and how.
async fn reads(q: &FundingQueries, viewer: &Viewer, id: Uuid) -> Option<ApplicationView> {
    q.application(viewer, id).await.unwrap()
}

#[tokio::test]
async fn the_funding_read_models_answer_by_the_read_rule_on_both_backends() {
    let (events, ids) = scenario();
    let all = events.since(0);
    for (store, batch) in stores("funding").await {
        project(&FundingViews, &store.db, &all, batch).await;
        let q = FundingQueries::new(store.db.clone());
        let manager = member("frida", Some(Role::FundManager));
        let reviewer = member("rita", Some(Role::FundReviewer));
        let employee = member("eva", None);
        let anna = member("anna", None);
        let partner = viewer("ola", NO, "helse", &[SE]);
        let stranger = viewer("mads", DK, "social", &[]);

        // The ledger of 2026 is the sum of its period's events: 1 MSEK budget, 600 kSEK
        // committed, 300 kSEK paid, 50 kSEK returned, so 450 kSEK remain.
        let ledger = q.ledger(&manager, ids.fund, 2026).await.unwrap().unwrap();
        assert_eq!(
            (
                ledger.budget,
                ledger.committed,
                ledger.disbursed,
                ledger.returned,
                ledger.remaining()
            ),
            (100_000_000, 60_000_000, 30_000_000, 5_000_000, 45_000_000),
            "batch {batch}"
        );
        assert_eq!(ledger.currency, "SEK");
        let period = format!("fund-period:{}:2026", ids.fund);
        assert_eq!(
            q.period(&manager, &period).await.unwrap(),
            Some(ledger.clone())
        );
        // A year without a budget is all zero in the fund's currency.
        let next = q.ledger(&manager, ids.fund, 2027).await.unwrap().unwrap();
        assert_eq!(
            (next.budget, next.remaining(), next.currency.as_str()),
            (0, 0, "SEK")
        );
        // The partner reads the NETWORK fund's ledger; another municipality does not, nor
        // anyone the PRIVATE fund's but its managers and reviewers.
        assert_eq!(
            q.ledger(&partner, ids.fund, 2026).await.unwrap(),
            Some(ledger)
        );
        assert_eq!(q.ledger(&stranger, ids.fund, 2026).await.unwrap(), None);
        assert_eq!(q.period(&stranger, &period).await.unwrap(), None);
        assert!(
            q.ledger(&employee, ids.private_fund, 2026)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            q.ledger(&reviewer, ids.private_fund, 2026)
                .await
                .unwrap()
                .is_some()
        );

        // Funds: the manager reads both, newest first, with the round and the ledger; an
        // employee the NETWORK one; the partner it redacted; another municipality none.
        let funds = |v: &Viewer| {
            let q = q.clone();
            let v = v.clone();
            async move { q.funds(&v, None).await.unwrap() }
        };
        let managed: Vec<Uuid> = funds(&manager).await.iter().map(|f| f.id).collect();
        assert_eq!(managed, [ids.private_fund, ids.fund]);
        let fund = q.fund(&employee, ids.fund).await.unwrap().unwrap();
        assert_eq!(fund.created_by.as_deref(), Some("frida"));
        assert_eq!(fund.rounds.len(), 1);
        assert_eq!(fund.rounds[0].year(), Some(2026));
        assert_eq!(fund.periods.len(), 1);
        assert_eq!(fund.periods[0].committed, 60_000_000);
        assert_eq!(funds(&employee).await.len(), 1);
        let shared = q.fund(&partner, ids.fund).await.unwrap().unwrap();
        assert_eq!((shared.access, shared.created_by), (Access::Partner, None));
        assert!(funds(&stranger).await.is_empty());
        assert!(q.fund(&partner, ids.private_fund).await.unwrap().is_none());

        // A DRAFT is its applicants', its drafter's and the fund managers' only.
        assert!(reads(&q, &anna, ids.draft).await.is_some());
        assert!(reads(&q, &manager, ids.draft).await.is_some());
        assert!(reads(&q, &reviewer, ids.draft).await.is_none());
        assert!(reads(&q, &employee, ids.draft).await.is_none());
        // A PRIVATE application is also the fund reviewers', not the other employees'.
        assert!(reads(&q, &reviewer, ids.private).await.is_some());
        assert!(reads(&q, &employee, ids.private).await.is_none());
        assert!(reads(&q, &partner, ids.private).await.is_none());
        // A MUNICIPALITY one is the municipality's; a NETWORK one the partner's, redacted.
        assert!(reads(&q, &employee, ids.rejected).await.is_some());
        assert!(reads(&q, &partner, ids.rejected).await.is_none());
        assert!(reads(&q, &stranger, ids.granted).await.is_none());
        let seen = reads(&q, &partner, ids.granted).await.unwrap();
        assert_eq!(seen.access, Access::Partner);
        assert!(seen.details.applicants.is_empty() && seen.drafted_by.is_none());
        assert!(seen.origin.is_none() && seen.updated_at.is_none());
        assert!(seen.reviews.iter().all(|r| r.reviewer.is_none()));
        assert!(seen.reviews.iter().all(|r| r.review.comment.is_empty()));
        let grant = seen.grant.as_ref().unwrap();
        assert!(
            grant
                .disbursements
                .iter()
                .all(|d| d.item.disbursed_by.is_empty())
        );

        // The latest review replaced the first: (3·4 + 1·4) / 4 = 4. Who reviewed is hidden
        // from the applicants, not from the employees nor the fund manager.
        let full = reads(&q, &employee, ids.granted).await.unwrap();
        assert_eq!(full.reviews.len(), 1);
        assert_eq!((full.reviews[0].score, full.score), (Some(4.0), Some(4.0)));
        assert_eq!(full.reviews[0].reviewer.as_deref(), Some("rita"));
        assert_eq!(full.origin.as_ref().map(|o| o.kind()), Some("idea"));
        let applicants = reads(&q, &anna, ids.granted).await.unwrap();
        assert_eq!(applicants.reviews[0].reviewer, None);
        assert_eq!(applicants.assignments[0].item.reviewer, "");
        assert_eq!(applicants.reviews[0].review.comment, "Stark nytta");
        // The grant's money: 300 kSEK paid, 50 kSEK returned, one progress report.
        let grant = full.grant.as_ref().unwrap();
        assert_eq!(
            (grant.disbursed(), grant.returned()),
            (sek(30_000_000), sek(5_000_000))
        );
        assert_eq!(full.progress_reports.len(), 1);
        assert_eq!(full.status, pb::ApplicationStatus::Approved);

        // The pipeline of the fund: the manager sees all four, the employee the two not
        // DRAFT nor PRIVATE; granted sums per stage.
        let of_fund = ApplicationFilter {
            fund: Some(ids.fund),
            ..Default::default()
        };
        let p = q.pipeline(&manager, &of_fund).await.unwrap();
        assert_eq!(p.total, 4);
        let count = |s: pb::ApplicationStatus| {
            p.stages
                .iter()
                .find(|st| st.status == s)
                .map(|st| st.applications.len())
        };
        assert_eq!(count(pb::ApplicationStatus::Draft), Some(1));
        assert_eq!(count(pb::ApplicationStatus::PartiallyApproved), Some(1));
        let approved = &p.stages[3];
        assert_eq!(approved.requested, [sek(40_000_000)]);
        assert_eq!(approved.approved, [sek(40_000_000)]);
        assert_eq!(q.pipeline(&employee, &of_fund).await.unwrap().total, 2);
        let rejected = ApplicationFilter {
            status: Some(pb::ApplicationStatus::Rejected),
            ..of_fund.clone()
        };
        assert_eq!(q.pipeline(&manager, &rejected).await.unwrap().total, 1);
        let elsewhere = ApplicationFilter {
            round: Some(Uuid::now_v7()),
            ..Default::default()
        };
        assert_eq!(q.pipeline(&manager, &elsewhere).await.unwrap().total, 0);
        assert_eq!(q.pipeline(&stranger, &of_fund).await.unwrap().total, 0);

        // The funnel: three applications submitted, one for an idea; two grants, 600 kSEK.
        let municipality = manager.principal.municipality.clone();
        let funnel = PilotQueries::new(store.db.clone())
            .innovation_funnel(&manager, &municipality, None, None)
            .await
            .unwrap();
        assert_eq!(
            (
                funnel.applications.applications,
                funnel.applications.from_ideas
            ),
            (3, 1)
        );
        assert_eq!(funnel.grants.grants, 2);
        assert_eq!(funnel.grants.granted, [sek(60_000_000)]);
        store.remove().await;
    }
}
