//! The pilots read model on both backends: pilots events with chosen times are fed to the
//! `pilot_views` projection (one event a batch and all in one, as its runner would), with
//! the ideas and processes events the innovation funnel reads, and every query is checked:
//! the read rule (a partner reads a NETWORK pilot redacted, never a PRIVATE or MUNICIPALITY
//! one, exactly as a random id; the SQL rule agrees with the runtime's), plan completeness,
//! lens means, benefits with their latest measurement and realisation (falling and rising
//! indicators), decisions (EXTEND moves the end date), lists, filters and cursors, the
//! portfolio and the innovation funnel.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use innohub_projections::filter::PilotFilter;
use innohub_projections::innovation_funnel::FunnelStep;
use innohub_projections::pilot_queries::{PilotCursor, PilotView};
use innohub_projections::{IdeaViews, PilotQueries, PilotViews, ProcessViews};
use innohub_proto::innohub::common::v1::{
    Benefit, BenefitCategory, BenefitKind, Indicator, Reading, RecordRef,
};
use innohub_proto::innohub::ideas::v1 as ideas;
use innohub_proto::innohub::pilots::v1 as pb;
use innohub_proto::innohub::processes::v1 as processes;
use innohub_runtime::access::access;
use innohub_runtime::{
    Access, Audience, Database, DepartmentId, MunicipalityId, UserId, Viewer, Visibility,
};
use prost::{Message, Name};
use uuid::Uuid;

mod common;
use common::{Events, close, day, project, stores, time, viewer};

const NO: &str = "NO-4626";
const DK: &str = "DK-0706";

impl Events {
    fn pilot<M: Message + Name>(&mut self, pilot: Uuid, at: &str, m: M) {
        self.event(("pilot", &pilot.to_string()), NO, at, m);
    }

    fn plan(&mut self, pilot: Uuid, at: &str, plan: pb::PilotPlan, origin: Option<Uuid>) {
        self.pilot(
            pilot,
            at,
            pb::PilotPlanned {
                pilot_id: pilot.to_string(),
                municipality: NO.into(),
                plan: Some(plan),
                planned_by: "lea".into(),
                origin: origin.map(|idea| RecordRef {
                    context: "ideas".into(),
                    kind: "idea".into(),
                    id: idea.to_string(),
                    municipality: NO.into(),
                }),
            },
        );
    }

    fn start(&mut self, pilot: Uuid, at: &str) {
        self.pilot(
            pilot,
            at,
            pb::PilotStarted {
                started_by: "lea".into(),
                date: at[..10].into(),
            },
        );
    }

    fn benefit(&mut self, pilot: Uuid, at: &str, id: Uuid, title: &str, span: (f64, f64)) {
        self.pilot(
            pilot,
            at,
            pb::PilotBenefitDefined {
                benefit_id: id.to_string(),
                benefit: Some(Benefit {
                    title: title.into(),
                    kind: BenefitKind::Efficiency as i32,
                    category: BenefitCategory::TimeSaved as i32,
                    priced: false,
                    beneficiary: "hjemmetjenesten".into(),
                    owner: "kari".into(),
                    indicator: Some(Indicator {
                        unit: "timer/uke".into(),
                        method: "timeregistrering".into(),
                        frequency: "ukentlig".into(),
                    }),
                    baseline: Some(reading(span.0, "2026-01-01")),
                    target: Some(reading(span.1, "2026-06-30")),
                }),
            },
        );
    }

    fn measure(&mut self, pilot: Uuid, at: &str, benefit: Uuid, value: f64, date: &str) {
        self.pilot(
            pilot,
            at,
            pb::PilotMeasurementRecorded {
                benefit_id: benefit.to_string(),
                reading: Some(reading(value, date)),
                recorded_by: "kari".into(),
            },
        );
    }

    fn evaluate(&mut self, pilot: Uuid, at: &str) {
        self.pilot(
            pilot,
            at,
            pb::PilotEvaluated {
                evaluation: Some(evaluation()),
                evaluated_by: "lea".into(),
            },
        );
    }

    fn decide(&mut self, pilot: Uuid, at: &str, decision: pb::Decision, extra: (&str, &str)) {
        self.pilot(
            pilot,
            at,
            pb::PilotDecided {
                decision: decision as i32,
                new_end_date: extra.0.into(),
                why_stopped: extra.1.into(),
                basis: Some(pb::DecisionBasis {
                    final_design: "Digitalt tilsyn om natten".into(),
                    benefit_assessment: "Halvparten av timene spart".into(),
                    recommendation: "Videre".into(),
                }),
                decider: "lea".into(),
            },
        );
    }
}

fn reading(value: f64, date: &str) -> Reading {
    Reading {
        value,
        date: date.into(),
    }
}

/// A rating of `score`.
fn rating(score: u32) -> Option<pb::Rating> {
    Some(pb::Rating {
        score,
        notes: format!("{score} av 5"),
    })
}

/// People 5, 4, 3 (mean 4); organisation 2, 2, 4, 4 (3); technology 1, 1, 1, 5 (2).
fn evaluation() -> pb::Evaluation {
    pb::Evaluation {
        users_experience: rating(5),
        staff_experience: rating(4),
        touchpoints: rating(3),
        flow_of_work: rating(2),
        value_of_steps: rating(2),
        routines: rating(4),
        roles: rating(4),
        works_as_intended: rating(1),
        meets_needs: rating(1),
        stable_and_secure: rating(1),
        integrates: rating(5),
        benefit_review: Some(pb::BenefitReview {
            expected_realised: "Delvis".into(),
            new_benefits: "Tryggere brukere".into(),
            cost_estimate: "Uendret".into(),
            follow_up: "Månedlig".into(),
        }),
    }
}

/// A plan that fills every topic of the roadmap.
fn complete(title: &str, visibility: processes::Visibility, departments: &[&str]) -> pb::PilotPlan {
    pb::PilotPlan {
        title: title.into(),
        departments: departments.iter().map(|d| (*d).into()).collect(),
        visibility: visibility as i32,
        goals: "Færre nattbesøk".into(),
        learning_goals: "Hva brukerne trenger".into(),
        scope: Some(pb::Scope {
            touchpoints: vec!["nattkamera".into()],
            work_processes: vec!["nattrunde".into()],
            routines: vec![],
            growth: pb::ScopeGrowth::Grows as i32,
        }),
        start_date: "2026-01-15".into(),
        end_date: "2026-03-31".into(),
        participants: vec![pb::Participants {
            kind: pb::ParticipantKind::Users as i32,
            description: "Brukere på Sotra nord".into(),
            count: 20,
            recruitment: "Spurt av primærkontakt".into(),
        }],
        information: "Brev og besøk".into(),
        training: "To timer for nattevakter".into(),
        error_handling: "Ring vakttelefonen".into(),
        measurement: "Timeregistrering".into(),
        observation: "Skygging to netter".into(),
        documentation: "Logg i Teams".into(),
        responsible: "kari".into(),
        anchoring: vec!["helse".into()],
    }
}

/// The ids of the scenario.
struct Ids {
    /// NETWORK, helse, from an idea: started, observed, an incident, two benefits measured
    /// (one short of its target, one beyond it), evaluated, TO_OPERATION.
    network: Uuid,
    /// PRIVATE to lea, its responsible bo and the it department; an incomplete plan.
    private: Uuid,
    /// MUNICIPALITY, helse: started, a benefit measured short of its target, evaluated,
    /// EXTENDED: running again.
    local: Uuid,
    /// MUNICIPALITY: started, evaluated, STOPPED.
    stopped: Uuid,
    hours: Uuid,
    satisfaction: Uuid,
    /// The idea the network pilot and a process were born from.
    idea: Uuid,
    process: Uuid,
}

fn scenario(e: &mut Events) -> Ids {
    use processes::Visibility::*;
    let ids = Ids {
        network: Uuid::now_v7(),
        private: Uuid::now_v7(),
        local: Uuid::now_v7(),
        stopped: Uuid::now_v7(),
        hours: Uuid::now_v7(),
        satisfaction: Uuid::now_v7(),
        idea: Uuid::now_v7(),
        process: Uuid::now_v7(),
    };
    // The idea: submitted 1 January, DESIGNING on 5 January.
    let idea = ids.idea.to_string();
    e.event(
        ("idea", &idea),
        NO,
        "2026-01-01T00:00:00Z",
        ideas::IdeaSubmitted {
            idea_id: idea.clone(),
            municipality: NO.into(),
            submitter: "ola".into(),
            details: Some(ideas::IdeaDetails {
                title: "Digitalt nattilsyn".into(),
                need: "Færre forstyrrelser om natten".into(),
                departments: vec!["helse".into()],
                visibility: Municipality as i32,
                ..Default::default()
            }),
        },
    );
    for (at, from, to) in [
        (
            "2026-01-03T00:00:00Z",
            ideas::Stage::Submitted,
            ideas::Stage::Exploring,
        ),
        (
            "2026-01-05T00:00:00Z",
            ideas::Stage::Exploring,
            ideas::Stage::Designing,
        ),
    ] {
        e.event(
            ("idea", &idea),
            NO,
            at,
            ideas::IdeaGateDecided {
                from: from as i32,
                to: to as i32,
                rationale: "Videre".into(),
                decider: "lea".into(),
                likely_outcome: 0,
            },
        );
    }
    // A process from the same idea, submitted 9 January.
    let process = ids.process.to_string();
    e.event(
        ("process", &process),
        NO,
        "2026-01-09T00:00:00Z",
        processes::ProcessSubmitted {
            process_id: process.clone(),
            municipality: NO.into(),
            reporter: "lea".into(),
            details: Some(processes::ProcessDetails {
                title: "Automatisk varsling".into(),
                short_description: "Fra idéen".into(),
                departments: vec!["helse".into()],
                visibility: Municipality as i32,
                ..Default::default()
            }),
            adopted_from: None,
            origin: Some(RecordRef {
                context: "ideas".into(),
                kind: "idea".into(),
                id: idea.clone(),
                municipality: NO.into(),
            }),
        },
    );

    // The network pilot: planned 11 January from the idea, started 15th, decided 31 March.
    let n = ids.network;
    let mut draft = complete("Nattilsyn", Network, &["helse"]);
    draft.training.clear();
    e.plan(n, "2026-01-11T00:00:00Z", draft, Some(ids.idea));
    e.pilot(
        n,
        "2026-01-12T00:00:00Z",
        pb::PilotPlanChanged {
            plan: Some(complete("Digitalt nattilsyn", Network, &["helse"])),
        },
    );
    e.benefit(
        n,
        "2026-01-13T00:00:00Z",
        ids.hours,
        "Timer på nattrunder",
        (40.0, 10.0),
    );
    e.benefit(
        n,
        "2026-01-13T01:00:00Z",
        ids.satisfaction,
        "Fornøyde brukere",
        (3.0, 4.0),
    );
    e.start(n, "2026-01-15T00:00:00Z");
    e.pilot(
        n,
        "2026-01-20T00:00:00Z",
        pb::PilotObservationRecorded {
            observation_id: Uuid::now_v7().to_string(),
            observation: Some(pb::Observation {
                observer: "ola".into(),
                touchpoint: "nattkamera".into(),
                worked: "Brukerne sov".into(),
                stuck: "Innlogging".into(),
                joy: String::new(),
                links: vec!["https://example.org/foto.jpg".into()],
                date: "2026-01-19".into(),
            }),
        },
    );
    e.pilot(
        n,
        "2026-01-21T00:00:00Z",
        pb::PilotIncidentRecorded {
            incident_id: Uuid::now_v7().to_string(),
            incident: Some(pb::Incident {
                what: "Kamera falt ut".into(),
                handling: "Fysisk besøk".into(),
                date: "2026-01-21".into(),
            }),
            recorded_by: "kari".into(),
        },
    );
    // Hours: 25 on 1 March, then back-dated 34 on 1 February: the latest day is March's.
    e.measure(n, "2026-03-01T00:00:00Z", ids.hours, 25.0, "2026-03-01");
    e.measure(n, "2026-03-02T00:00:00Z", ids.hours, 34.0, "2026-02-01");
    e.measure(
        n,
        "2026-03-02T01:00:00Z",
        ids.satisfaction,
        4.5,
        "2026-03-01",
    );
    // The benefit redefined keeps its place and its measurements.
    e.benefit(
        n,
        "2026-03-03T00:00:00Z",
        ids.hours,
        "Timer på nattrunder",
        (40.0, 10.0),
    );
    e.evaluate(n, "2026-03-25T00:00:00Z");
    e.decide(
        n,
        "2026-03-31T00:00:00Z",
        pb::Decision::ToOperation,
        ("", ""),
    );

    // The private pilot: only a title, departments and a responsible person.
    e.plan(
        ids.private,
        "2026-01-12T00:00:00Z",
        pb::PilotPlan {
            title: "Robot i lageret".into(),
            departments: vec!["it".into()],
            visibility: Private as i32,
            goals: "Færre feil".into(),
            responsible: "bo".into(),
            ..Default::default()
        },
        None,
    );

    // The local pilot: extended to 30 June.
    let l = ids.local;
    let hours = Uuid::now_v7();
    e.plan(
        l,
        "2026-01-13T00:00:00Z",
        complete("Matlevering", Municipality, &["helse"]),
        None,
    );
    e.benefit(
        l,
        "2026-01-13T01:00:00Z",
        hours,
        "Timer på levering",
        (10.0, 20.0),
    );
    e.start(l, "2026-01-16T00:00:00Z");
    e.measure(l, "2026-02-01T00:00:00Z", hours, 18.0, "2026-02-01");
    e.evaluate(l, "2026-03-20T00:00:00Z");
    e.decide(
        l,
        "2026-03-21T00:00:00Z",
        pb::Decision::Extend,
        ("2026-06-30", ""),
    );

    // The stopped pilot: started 20 January, stopped 30 January.
    let s = ids.stopped;
    e.plan(
        s,
        "2026-01-14T00:00:00Z",
        complete("Taleassistent", Municipality, &["kultur"]),
        None,
    );
    e.start(s, "2026-01-20T00:00:00Z");
    e.evaluate(s, "2026-01-29T00:00:00Z");
    e.decide(
        s,
        "2026-01-30T00:00:00Z",
        pb::Decision::Stop,
        ("", "Forsto ikke dialekt"),
    );
    ids
}

/// Apply `events` to the pilots, ideas and processes projections in batches of `size`.
async fn feed(db: &Database, events: &[&innohub_runtime::StoredEvent], size: usize) {
    project(&PilotViews, db, events, size).await;
    project(&IdeaViews, db, events, size).await;
    project(&ProcessViews, db, events, size).await;
}

async fn pilot(q: &PilotQueries, viewer: &Viewer, id: Uuid) -> Option<PilotView> {
    q.pilot(viewer, id).await.unwrap()
}

/// Every pilot of a list for `viewer`, a page of one at a time.
async fn page_through(q: &PilotQueries, viewer: &Viewer, filter: &PilotFilter) -> Vec<Uuid> {
    common::page_through(
        async |after: Option<&PilotCursor>| q.pilots(viewer, filter, after, 1).await.unwrap(),
        |view: &PilotView| view.id,
    )
    .await
}

async fn check(db: &Database, ids: &Ids) {
    let q = PilotQueries::new(db.clone());
    let lea = viewer("lea", NO, "innovasjon", &[]);
    let bo = viewer("bo", NO, "helse", &[]);
    let ida = viewer("ida", NO, "it", &[]);
    let carl = viewer("carl", NO, "helse", &[]);
    let sven = viewer("sven", DK, "it", &[NO]);
    let olle = viewer("olle", DK, "it", &[]);

    // A member reads it all: the plan, its completeness, the run, the benefits, the
    // evaluation's lens means and the decision.
    let full = pilot(&q, &carl, ids.network).await.unwrap();
    assert_eq!(full.access, Access::Full);
    assert_eq!(full.status, pb::Status::InOperation);
    assert_eq!(full.plan.title, "Digitalt nattilsyn");
    assert_eq!(full.plan.responsible, "kari");
    assert_eq!(full.plan.departments, ["helse"]);
    assert_eq!(
        (full.completeness.filled, full.completeness.total),
        (13, 13)
    );
    assert!(full.completeness.missing.is_empty());
    assert_eq!(full.planned_by.as_deref(), Some("lea"));
    let origin = full.origin.as_ref().unwrap();
    assert!(origin.is("ideas", "idea"));
    assert_eq!(origin.id(), ids.idea);
    let start = full.start.as_ref().unwrap();
    assert_eq!(start.date, "2026-01-15");
    assert_eq!(start.started_by.as_deref(), Some("lea"));
    assert_eq!(start.started_at, time("2026-01-15T00:00:00Z"));
    assert_eq!(
        full.observations[0].observation.as_ref().unwrap().observer,
        "ola"
    );
    assert_eq!(full.incidents[0].recorded_by, "kari");
    let evaluation = full.evaluation.as_ref().unwrap();
    assert_eq!(
        (
            evaluation.means.people,
            evaluation.means.organisation,
            evaluation.means.technology
        ),
        (4.0, 3.0, 2.0)
    );
    assert_eq!(evaluation.evaluated_by.as_deref(), Some("lea"));
    let decision = full.decision.as_ref().unwrap();
    assert_eq!(decision.decision, pb::Decision::ToOperation);
    assert_eq!(
        (
            decision.new_end_date.as_deref(),
            decision.why_stopped.as_deref()
        ),
        (None, None)
    );
    assert_eq!(decision.decider.as_deref(), Some("lea"));
    assert_eq!(decision.decided_at, time("2026-03-31T00:00:00Z"));
    assert_eq!(decision.basis.recommendation, "Videre");
    // Hours from 40 down to 10: the latest day reads 25, half realised; satisfaction from 3
    // up to 4 reads 4.5, one and a half.
    let benefits: Vec<_> = full.benefits.iter().map(|b| b.id).collect();
    assert_eq!(
        benefits,
        [ids.hours, ids.satisfaction],
        "the redefined keeps its place"
    );
    let hours = &full.benefits[0];
    assert_eq!(hours.latest, Some(reading(25.0, "2026-03-01")));
    let days: Vec<&str> = hours.measurements.iter().map(|m| m.date.as_str()).collect();
    assert_eq!(
        days,
        ["2026-02-01", "2026-03-01"],
        "redefined, its measurements stay"
    );
    close(hours.realisation, 50.0);
    close(full.benefits[1].realisation, 150.0);
    close(full.mean_realisation(), 100.0);
    assert_eq!(hours.benefit.owner, "kari");
    assert_eq!(full.planned_at, time("2026-01-11T00:00:00Z"));
    assert_eq!(full.updated_at, Some(time("2026-03-31T00:00:00Z")));
    assert_eq!(full.visibility(), processes::Visibility::Network);

    // A network partner reads it redacted: no people, departments, anchoring or origin;
    // the completeness of the whole plan.
    let shared = pilot(&q, &sven, ids.network).await.unwrap();
    assert_eq!(shared.access, Access::Partner);
    assert!(shared.plan.departments.is_empty());
    assert!(shared.plan.anchoring.is_empty());
    assert_eq!(shared.plan.responsible, "");
    assert_eq!(shared.plan.goals, "Færre nattbesøk");
    assert_eq!(shared.completeness.filled, 13);
    assert_eq!(shared.planned_by, None);
    assert_eq!(shared.origin, None);
    assert_eq!(shared.start.as_ref().unwrap().started_by, None);
    assert_eq!(
        shared.observations[0]
            .observation
            .as_ref()
            .unwrap()
            .observer,
        ""
    );
    assert_eq!(
        shared.observations[0].observation.as_ref().unwrap().worked,
        "Brukerne sov"
    );
    assert_eq!(shared.incidents[0].recorded_by, "");
    assert_eq!(shared.evaluation.as_ref().unwrap().evaluated_by, None);
    assert_eq!(shared.decision.as_ref().unwrap().decider, None);
    assert_eq!(shared.benefits[0].benefit.owner, "");
    close(shared.benefits[0].realisation, 50.0);
    assert_eq!(shared.updated_at, None);

    // The incomplete plan misses every topic but goals and responsible.
    let private = pilot(&q, &lea, ids.private).await.unwrap();
    assert_eq!(private.status, pb::Status::Planning);
    assert_eq!(private.completeness.filled, 2);
    assert_eq!(
        private.completeness.missing[0],
        pb::PilotTopic::LearningGoals
    );
    assert!(private.start.is_none() && private.decision.is_none());

    // EXTEND: running again until the new end date.
    let local = pilot(&q, &lea, ids.local).await.unwrap();
    assert_eq!(local.status, pb::Status::Running);
    assert_eq!(local.plan.end_date, "2026-06-30");
    let extended = local.decision.as_ref().unwrap();
    assert_eq!(extended.decision, pb::Decision::Extend);
    assert_eq!(extended.new_end_date.as_deref(), Some("2026-06-30"));
    close(local.benefits[0].realisation, 80.0);
    let stopped = pilot(&q, &lea, ids.stopped).await.unwrap();
    assert_eq!(stopped.status, pb::Status::Stopped);
    assert_eq!(
        stopped.decision.as_ref().unwrap().why_stopped.as_deref(),
        Some("Forsto ikke dialekt")
    );
    assert_eq!(stopped.mean_realisation(), None);

    // The SQL rule and the runtime's rule agree on every pilot and viewer.
    let no = MunicipalityId::parse(NO).unwrap();
    for id in [ids.network, ids.private, ids.local, ids.stopped] {
        let view = pilot(&q, &lea, id).await.unwrap();
        let departments: Vec<DepartmentId> = view
            .plan
            .departments
            .iter()
            .map(|d| DepartmentId::parse(d).unwrap())
            .collect();
        let people: Vec<UserId> = ["lea", view.plan.responsible.as_str()]
            .into_iter()
            .map(|u| UserId::parse(u).unwrap())
            .collect();
        let people: Vec<&UserId> = people.iter().collect();
        let visibility = match view.visibility() {
            processes::Visibility::Private => Visibility::Private,
            processes::Visibility::Network => Visibility::Network,
            processes::Visibility::Public => Visibility::Public,
            _ => Visibility::Municipality,
        };
        for who in [&lea, &bo, &ida, &carl, &sven, &olle] {
            let rule = access(
                who,
                Audience {
                    municipality: &no,
                    visibility,
                    departments: &departments,
                    people: &people,
                },
            );
            let read = pilot(&q, who, id).await.map(|v| v.access);
            assert_eq!(
                read.unwrap_or(Access::None),
                rule,
                "{} reads {id}",
                who.principal.user
            );
        }
    }
    // PRIVATE: who planned it, its responsible person and its department; not found for
    // the others, exactly as an id that names nothing.
    for (who, reads) in [(&lea, true), (&bo, true), (&ida, true), (&carl, false)] {
        assert_eq!(
            pilot(&q, who, ids.private).await.is_some(),
            reads,
            "{}",
            who.principal.user
        );
    }
    for (who, id) in [
        (&olle, ids.network),
        (&sven, ids.local),
        (&sven, ids.private),
        (&sven, Uuid::now_v7()),
    ] {
        assert!(
            pilot(&q, who, id).await.is_none(),
            "{} reads {id}",
            who.principal.user
        );
    }

    // Lists: newest first, page by page, by the same rule.
    let all = PilotFilter::default();
    assert_eq!(
        page_through(&q, &lea, &all).await,
        [ids.stopped, ids.local, ids.private, ids.network]
    );
    assert_eq!(
        page_through(&q, &carl, &all).await,
        [ids.stopped, ids.local, ids.network]
    );
    assert_eq!(page_through(&q, &sven, &all).await, [ids.network]);
    assert_eq!(page_through(&q, &olle, &all).await, Vec::<Uuid>::new());
    assert_eq!(q.count(&lea, &all).await.unwrap(), 4);
    assert_eq!(q.count(&sven, &all).await.unwrap(), 1);
    let by = |f: fn(&mut PilotFilter, &Ids), ids: &Ids| {
        let mut filter = PilotFilter::default();
        f(&mut filter, ids);
        filter
    };
    let filtered = [
        (
            by(|f, _| f.status = Some(pb::Status::Running), ids),
            &lea,
            vec![ids.local],
        ),
        (
            by(|f, _| f.status = Some(pb::Status::InOperation), ids),
            &sven,
            vec![ids.network],
        ),
        (
            by(|f, _| f.department = Some("helse".into()), ids),
            &lea,
            vec![ids.local, ids.network],
        ),
        (
            by(|f, ids| f.idea = Some(ids.idea), ids),
            &lea,
            vec![ids.network],
        ),
        (by(|f, _| f.idea = Some(Uuid::now_v7()), ids), &lea, vec![]),
        // Partners cannot filter by what they cannot see.
        (
            by(|f, _| f.department = Some("helse".into()), ids),
            &sven,
            vec![],
        ),
        (by(|f, ids| f.idea = Some(ids.idea), ids), &sven, vec![]),
    ];
    for (filter, who, expected) in filtered {
        assert_eq!(page_through(&q, who, &filter).await, expected, "{filter:?}");
        assert_eq!(q.count(who, &filter).await.unwrap(), expected.len() as i64);
    }

    // The portfolio: by status, with the benefits measured above and below their target.
    let portfolio = q.portfolio(&lea, &no).await.unwrap();
    let by_status: Vec<(pb::Status, Vec<Uuid>)> = portfolio
        .statuses
        .iter()
        .map(|s| (s.status, s.pilots.iter().map(|p| p.id).collect()))
        .collect();
    assert_eq!(
        by_status,
        [
            (pb::Status::Planning, vec![ids.private]),
            (pb::Status::Running, vec![ids.local]),
            (pb::Status::Evaluating, vec![]),
            (pb::Status::InOperation, vec![ids.network]),
            (pb::Status::Stopped, vec![ids.stopped]),
            (pb::Status::BackToIdeation, vec![]),
        ]
    );
    // 150 % is above its target; 50 % and 80 % are below.
    assert_eq!(
        (
            portfolio.benefits_above_target,
            portfolio.benefits_below_target
        ),
        (1, 2)
    );
    let shared = q.portfolio(&sven, &no).await.unwrap();
    let counts: Vec<usize> = shared.statuses.iter().map(|s| s.pilots.len()).collect();
    assert_eq!(counts, [0, 0, 0, 1, 0, 0]);
    assert_eq!(
        (shared.benefits_above_target, shared.benefits_below_target),
        (1, 1)
    );

    // The innovation funnel of January: one idea, designed; one process and three pilots
    // (one of them PRIVATE to others) from it and on their own.
    let january = (Some(day("2026-01-01")), Some(day("2026-01-31")));
    let funnel = q
        .innovation_funnel(&lea, &no, january.0, january.1)
        .await
        .unwrap();
    let steps: Vec<(FunnelStep, i64)> = funnel.steps.iter().map(|s| (s.step, s.count)).collect();
    assert_eq!(
        steps,
        [
            (FunnelStep::IdeasSubmitted, 1),
            (FunnelStep::IdeasReachedDesigning, 1),
            (FunnelStep::PilotsPlanned, 4),
            (FunnelStep::InOperation, 1),
        ]
    );
    assert_eq!(funnel.steps[2].conversion, Some(400.0));
    assert_eq!(funnel.steps[3].conversion, Some(25.0));
    assert_eq!(
        (
            funnel.links.idea_to_process,
            funnel.links.idea_to_pilot,
            funnel.links.pilot_to_operation
        ),
        (1, 1, 1)
    );
    let designing = funnel
        .ideas
        .iter()
        .find(|s| s.stage == ideas::Stage::Designing)
        .unwrap();
    assert_eq!(designing.ideas, 1);
    let idea_phase = funnel
        .processes
        .iter()
        .find(|p| p.phase == processes::Phase::Idea)
        .unwrap();
    assert_eq!(idea_phase.processes, 1);
    let planning = funnel
        .pilots
        .iter()
        .find(|p| p.status == pb::Status::Planning)
        .unwrap();
    assert_eq!(planning.pilots, 1);
    // The idea of 1 January became a pilot on the 11th and a process on the 9th; the network
    // pilot ran 75 days (15 January to 31 March), the stopped one 10.
    assert_eq!(funnel.idea_to_pilot.median_days, Some(10.0));
    assert_eq!(funnel.idea_to_process.median_days, Some(8.0));
    assert_eq!(funnel.pilot_to_decision.records, 2);
    assert_eq!(funnel.pilot_to_decision.median_days, Some(42.5));
    // carl may not read the PRIVATE pilot: it is not counted for him.
    let carls = q
        .innovation_funnel(&carl, &no, january.0, january.1)
        .await
        .unwrap();
    assert_eq!(carls.steps[2].count, 3);
    // February created nothing.
    let february = q
        .innovation_funnel(&lea, &no, Some(day("2026-02-01")), Some(day("2026-02-28")))
        .await
        .unwrap();
    assert!(february.steps.iter().all(|s| s.count == 0));
}

#[tokio::test]
async fn pilots_read_by_the_one_rule_with_benefits_the_portfolio_and_the_funnel() {
    let mut e = Events::default();
    let ids = scenario(&mut e);
    for (store, batch) in stores("pilots").await {
        feed(&store.db, &e.since(0), batch).await;
        check(&store.db, &ids).await;
        store.remove().await;
    }
}
