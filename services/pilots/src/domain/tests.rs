//! Every pilots rule as a given/when/then sentence, and the one mapping of every event to
//! its contract message and back.

use chrono::NaiveDate;
use innohub_proto::innohub::common::v1::{self as common, RecordRef};
use innohub_proto::innohub::pilots::v1 as pb;
use innohub_proto::innohub::processes::v1::Visibility as PbVisibility;
use innohub_runtime::testing::{Breaks, day, given, golden_event, person, round_trip};
use innohub_runtime::{
    Access, Aggregate as _, DecodeError, DomainEvent, ErrorCode, MunicipalityId, Principal,
    RecordLink, Role, UserId, Viewer, Visibility,
};
use prost::Message as _;
use prost_types::FieldMask;
use uuid::Uuid;

use super::pilot::{Pilot, PilotCommand as C, PilotEvent as E};
use super::values::{
    Benefit, Decided, Decision, DecisionBasis, Evaluation, Incident, Observation, PilotPlan,
    Reading, Status,
};
use crate::PilotsError;

const ID: Uuid = Uuid::from_u128(0x0195_d2d0_3b00_7c4d_8e5f_6071_8293_a4b5);
const BENEFIT: Uuid = Uuid::from_u128(0x0195_d2d0_3b00_7000_8000_0000_0000_00b1);
const OTHER_BENEFIT: Uuid = Uuid::from_u128(0x0195_d2d0_3b00_7000_8000_0000_0000_00b2);
const IDEA: Uuid = Uuid::from_u128(0x0195_d2c8_1a00_7b3e_9f21_3c4d_5e6f_7a8b);
const HOME: &str = "NO-4626";

/// A command, made when asked.
type Command = fn() -> C;

fn today() -> NaiveDate {
    day("2026-06-15")
}

/// The innovation lead who runs the pilots.
fn lead() -> Principal {
    person("kari", HOME, Some("innovasjon"), &[Role::InnovationLead])
}
/// The person responsible for the pilot: an employee of the department that runs it.
fn responsible() -> Principal {
    person("sigrid", HOME, Some("helse"), &[Role::Employee])
}
/// An employee of another department.
fn colleague() -> Principal {
    person("ola", HOME, Some("kultur"), &[Role::Employee])
}
/// An innovation lead of a partner municipality.
fn partner() -> Principal {
    person(
        "pia",
        "SE-1283",
        Some("it"),
        &[Role::Employee, Role::InnovationLead],
    )
}

fn home() -> MunicipalityId {
    MunicipalityId::parse(HOME).unwrap()
}

fn user(p: &Principal) -> UserId {
    p.user.clone()
}

fn paths(paths: &[&str]) -> FieldMask {
    FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    }
}

// ---------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------

/// A plan with every topic filled, kept to the municipality.
fn fields() -> pb::PilotPlan {
    pb::PilotPlan {
        title: "Digitalt tilsyn i heimetenesta".into(),
        departments: vec!["helse".into()],
        visibility: PbVisibility::Municipality as i32,
        goals: "Færre unødvendige heimebesøk om natta".into(),
        learning_goals: "Kva brukarar og tilsette opplever".into(),
        scope: Some(pb::Scope {
            touchpoints: vec!["nattbesøk".into()],
            work_processes: vec!["nattevakt".into()],
            routines: vec![],
            growth: pb::ScopeGrowth::Fixed as i32,
        }),
        start_date: "2026-03-01".into(),
        end_date: "2026-08-31".into(),
        participants: vec![pb::Participants {
            kind: pb::ParticipantKind::Users as i32,
            description: "Brukarar i Sotra nord".into(),
            count: 12,
            recruitment: "Spurde av primærkontakt".into(),
        }],
        information: "Informasjonsmøte".into(),
        training: "Opplæring av nattevakter".into(),
        error_handling: "Ring vakttelefonen".into(),
        measurement: "Tal på besøk per natt".into(),
        observation: "Skugging".into(),
        documentation: "Logg i fagsystemet".into(),
        responsible: "sigrid".into(),
        anchoring: vec!["helse".into()],
    }
}

/// A plan with nothing but what the first event needs.
fn draft() -> pb::PilotPlan {
    pb::PilotPlan {
        title: "Digitalt tilsyn".into(),
        departments: vec!["helse".into()],
        ..Default::default()
    }
}

fn plan_of(fields: pb::PilotPlan) -> PilotPlan {
    PilotPlan::requested(fields).unwrap()
}

fn planned_with(fields: pb::PilotPlan) -> E {
    E::PilotPlanned {
        id: ID,
        municipality: home(),
        planned_by: user(&lead()),
        plan: plan_of(fields),
        origin: None,
    }
}

fn planned() -> E {
    planned_with(fields())
}

fn plan(by: Principal, fields: pb::PilotPlan) -> C {
    C::Plan {
        id: ID,
        by,
        plan: fields,
        origin: None,
    }
}

fn update(by: Principal, patch: pb::PilotPlan, fields: &[&str]) -> C {
    C::UpdatePlan {
        by,
        plan: patch,
        mask: paths(fields),
    }
}

fn start(by: Principal) -> C {
    C::Start { by, today: today() }
}

fn started() -> E {
    E::PilotStarted {
        started_by: user(&lead()),
        date: day("2026-03-01"),
    }
}

#[test]
fn an_innovation_lead_plans_a_pilot_kept_to_the_municipality_unless_said() {
    // Given nothing, when an innovation lead plans a complete pilot, then it is planned.
    given::<Pilot>([])
        .when(plan(lead(), fields()))
        .then_events([planned()]);
    // When the plan has only its title and departments and no visibility, then it is
    // planned, PLANNING, kept to the municipality.
    let unspecified = pb::PilotPlan {
        visibility: 0,
        ..draft()
    };
    let pilot = given::<Pilot>([])
        .when(plan(lead(), unspecified))
        .then_state();
    let record = pilot.0.unwrap();
    assert_eq!(record.status(), Status::Planning);
    assert_eq!(record.plan().visibility(), Visibility::Municipality);
    assert_eq!(record.planned_by(), &user(&lead()));
    // When an employee plans one, then it is forbidden.
    given::<Pilot>([])
        .when(plan(responsible(), fields()))
        .then_error(ErrorCode::Forbidden);
    // Given a planned pilot, when the same id is planned again, then it is refused.
    given::<Pilot>([planned()])
        .when(plan(lead(), fields()))
        .then_error(ErrorCode::BadUserInput);
}

#[test]
fn a_plan_may_be_incomplete_but_what_is_set_must_be_valid() {
    let cases: [Breaks<pb::PilotPlan>; 17] = [
        (|p| p.title = "x".repeat(81), "title"),
        (|p| p.title.clear(), "title"),
        (|p| p.departments.clear(), "departments"),
        (|p| p.departments = vec!["d".into(); 21], "departments"),
        (|p| p.visibility = 9, "visibility"),
        (|p| p.goals = "\u{202e}gpj.exe".into(), "goals"),
        (|p| p.learning_goals = "\u{200b}".into(), "learningGoals"),
        (|p| p.start_date = "01.03.2026".into(), "startDate"),
        (|p| p.end_date = "2026-02-30".into(), "endDate"),
        (|p| p.end_date = "2026-02-28".into(), "endDate"),
        (|p| p.participants[0].kind = 0, "participants"),
        (
            |p| p.participants[0].description = "x".repeat(201),
            "participants",
        ),
        (|p| p.scope.as_mut().unwrap().growth = 9, "scope.growth"),
        (
            |p| p.scope.as_mut().unwrap().touchpoints = vec![" ".into()],
            "scope.touchpoints",
        ),
        (|p| p.responsible = "a\u{7}b".into(), "responsible"),
        (|p| p.anchoring = vec!["\u{1}".into()], "anchoring"),
        (|p| p.documentation = "x".repeat(10_001), "documentation"),
    ];
    for (break_it, field) in cases {
        // Given nothing, when a plan with one broken field is planned, then it is refused
        // naming that field.
        let mut p = fields();
        break_it(&mut p);
        let e = given::<Pilot>([])
            .when(plan(lead(), p))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some(field), "{e}");
    }
    // A plan without an end date, a scope without growth or a participant kind not yet
    // recruited is still a valid draft.
    let unfinished = pb::PilotPlan {
        end_date: String::new(),
        scope: Some(pb::Scope {
            touchpoints: vec!["app".into()],
            ..Default::default()
        }),
        participants: vec![pb::Participants {
            kind: pb::ParticipantKind::Staff as i32,
            ..Default::default()
        }],
        ..fields()
    };
    let pilot = given::<Pilot>([])
        .when(plan(lead(), unfinished))
        .then_state();
    assert_eq!(
        pilot.0.unwrap().plan().missing(),
        [
            pb::PilotTopic::Scope,
            pb::PilotTopic::Dates,
            pb::PilotTopic::Participants
        ]
    );
}

fn idea_ref(municipality: &str) -> RecordRef {
    RecordRef {
        context: "ideas".into(),
        kind: "idea".into(),
        id: IDEA.to_string(),
        municipality: municipality.into(),
    }
}

#[test]
fn an_origin_names_a_record_of_the_planners_municipality() {
    // Given nothing, when a pilot is planned from an idea of the municipality, then it
    // carries the idea as its origin.
    let from_idea = |origin| C::Plan {
        id: ID,
        by: lead(),
        plan: draft(),
        origin: Some(origin),
    };
    let pilot = given::<Pilot>([])
        .when(from_idea(idea_ref(HOME)))
        .then_state();
    let origin = pilot.0.unwrap().origin().cloned().unwrap();
    assert!(origin.is("ideas", "idea"));
    assert_eq!(origin.id(), IDEA);
    // When the origin is another municipality's record or no record at all, then it is
    // refused naming the origin.
    for origin in [
        idea_ref("SE-1283"),
        RecordRef {
            id: "42".into(),
            ..idea_ref(HOME)
        },
    ] {
        let e = given::<Pilot>([])
            .when(from_idea(origin))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some("origin"), "{e}");
    }
}

#[test]
fn start_is_refused_naming_every_missing_plan_topic_in_roadmap_order() {
    // Given a pilot planned with only a title and departments, when it is started, then it
    // is refused naming all thirteen topics in the roadmap's order.
    let e = given::<Pilot>([planned_with(draft())])
        .when(start(lead()))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        e.to_string(),
        "the plan is incomplete; missing: goals, learning_goals, scope, dates, participants, \
         information, training, error_handling, measurement, observation, documentation, \
         responsible, anchoring"
    );
    // Given a plan missing its goals, training and responsible person, when it is started,
    // then it is refused naming exactly those.
    let almost = pb::PilotPlan {
        goals: String::new(),
        training: " ".into(),
        responsible: String::new(),
        ..fields()
    };
    let e = given::<Pilot>([planned_with(almost)])
        .when(start(lead()))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        e,
        PilotsError::Rule("the plan is incomplete; missing: goals, training, responsible".into())
    );
    // Given a participant kind without its recruitment, then participants are missing.
    let mut unrecruited = fields();
    unrecruited.participants[0].recruitment.clear();
    let e = given::<Pilot>([planned_with(unrecruited)])
        .when(start(lead()))
        .then_error(ErrorCode::BadUserInput);
    assert!(e.to_string().ends_with("missing: participants"), "{e}");
}

#[test]
fn a_complete_plan_starts_today_by_an_innovation_lead_and_only_from_planning() {
    // Given a complete plan, when an innovation lead starts it, then it starts today.
    given::<Pilot>([planned()])
        .when(start(lead()))
        .then_events([E::PilotStarted {
            started_by: user(&lead()),
            date: today(),
        }]);
    // When the responsible person (no innovation lead) starts it, then it is forbidden.
    given::<Pilot>([planned()])
        .when(start(responsible()))
        .then_error(ErrorCode::Forbidden);
    // Given a running pilot, when it is started again, then it is refused.
    let e = given::<Pilot>([planned(), started()])
        .when(start(lead()))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        e.to_string(),
        "a pilot is started only while the pilot is PLANNING; it is RUNNING"
    );
    // Given nothing, when a pilot is started, then it is not found.
    given::<Pilot>([])
        .when(start(lead()))
        .then_error(ErrorCode::NotFound);
}

#[test]
fn while_planning_any_topic_of_the_plan_changes_and_the_same_again_changes_nothing() {
    // Given a draft, when the goals and the end date are set, then the plan changes to
    // the draft with them.
    let patch = pb::PilotPlan {
        goals: "Færre besøk".into(),
        start_date: "2026-03-01".into(),
        end_date: "2026-05-31".into(),
        ..Default::default()
    };
    let expected = pb::PilotPlan {
        visibility: PbVisibility::Municipality as i32,
        goals: "Færre besøk".into(),
        start_date: "2026-03-01".into(),
        end_date: "2026-05-31".into(),
        ..draft()
    };
    given::<Pilot>([planned_with(draft())])
        .when(update(
            lead(),
            patch.clone(),
            &["goals", "start_date", "end_date"],
        ))
        .then_events([E::PilotPlanChanged {
            plan: plan_of(expected.clone()),
        }]);
    // Given that change, when it is asked again, then nothing changes.
    given::<Pilot>([
        planned_with(draft()),
        E::PilotPlanChanged {
            plan: plan_of(expected),
        },
    ])
    .when(update(lead(), patch, &["goals", "start_date", "end_date"]))
    .then_events([]);
    // When the title is cleared or the mask names no field, then it is refused by name.
    let e = given::<Pilot>([planned()])
        .when(update(lead(), pb::PilotPlan::default(), &["title"]))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.field(), Some("title"));
    let e = given::<Pilot>([planned()])
        .when(update(lead(), pb::PilotPlan::default(), &["budget"]))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.field(), Some("updateMask"));
    // When an employee changes it, then it is forbidden.
    given::<Pilot>([planned()])
        .when(update(responsible(), draft(), &["title"]))
        .then_error(ErrorCode::Forbidden);
}

#[test]
fn a_running_plan_stays_complete_keeps_its_dates_and_is_not_changed_after_the_run() {
    let running = || vec![planned(), started()];
    // Given a running pilot, when its scope grows, then the plan changes.
    let grows = pb::PilotPlan {
        scope: Some(pb::Scope {
            touchpoints: vec!["nattbesøk".into(), "dagbesøk".into()],
            growth: pb::ScopeGrowth::Grows as i32,
            ..Default::default()
        }),
        ..Default::default()
    };
    let state = given::<Pilot>(running())
        .when(update(lead(), grows, &["scope"]))
        .then_state();
    assert_eq!(state.0.unwrap().status(), Status::Running);
    // When its goals are cleared, then it is refused naming what would be missing.
    let e = given::<Pilot>(running())
        .when(update(lead(), pb::PilotPlan::default(), &["goals"]))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.to_string(), "the plan is incomplete; missing: goals");
    // When its end or start date moves, then it is refused: that is EXTEND.
    for field in ["end_date", "start_date"] {
        let moved = pb::PilotPlan {
            start_date: "2026-02-01".into(),
            end_date: "2026-09-30".into(),
            ..Default::default()
        };
        let e = given::<Pilot>(running())
            .when(update(lead(), moved, &[field]))
            .then_error(ErrorCode::BadUserInput);
        assert!(e.to_string().contains("EXTEND"), "{e}");
    }
    // Given an evaluated pilot, when its plan changes, then it is refused.
    let e = given::<Pilot>(at(Status::Evaluating))
        .when(update(lead(), fields(), &["goals"]))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        e.to_string(),
        "the plan is changed only while the pilot is PLANNING or RUNNING; it is EVALUATING"
    );
    given::<Pilot>(at(Status::InOperation))
        .when(update(lead(), fields(), &["goals"]))
        .then_error(ErrorCode::BadUserInput);
}

// ---------------------------------------------------------------------------------------
// Run
// ---------------------------------------------------------------------------------------

fn observation_fields() -> pb::Observation {
    pb::Observation {
        observer: "sigrid".into(),
        touchpoint: "nattbesøk".into(),
        worked: "Sensoren varsla rett".into(),
        stuck: String::new(),
        joy: "Brukaren sov heile natta".into(),
        links: vec!["https://bilete.oygarden.kommune.no/1.jpg".into()],
        date: "2026-04-02".into(),
    }
}

fn observe(by: Principal, observation: pb::Observation) -> C {
    C::RecordObservation {
        by,
        observation_id: Uuid::from_u128(1),
        observation,
    }
}

fn observed() -> E {
    E::PilotObservationRecorded {
        observation_id: Uuid::from_u128(1),
        observation: Observation::try_from(observation_fields()).unwrap(),
    }
}

fn incident_fields() -> pb::Incident {
    pb::Incident {
        what: "Sensoren fall ut".into(),
        handling: "Nattevakta køyrde ut".into(),
        date: "2026-04-03".into(),
    }
}

fn report(by: Principal, incident: pb::Incident) -> C {
    C::RecordIncident {
        by,
        incident_id: Uuid::from_u128(2),
        incident,
    }
}

fn incident(by: &Principal) -> E {
    E::PilotIncidentRecorded {
        incident_id: Uuid::from_u128(2),
        incident: Incident::try_from(incident_fields()).unwrap(),
        recorded_by: user(by),
    }
}

fn reading(value: f64, date: &str) -> common::Reading {
    common::Reading {
        value,
        date: date.into(),
    }
}

fn measure(by: Principal, benefit: &str, reading: common::Reading) -> C {
    C::RecordMeasurement {
        by,
        benefit_id: benefit.into(),
        reading,
        today: today(),
    }
}

fn measured(by: &Principal) -> E {
    E::PilotMeasurementRecorded {
        benefit_id: BENEFIT,
        reading: Reading {
            value: 30.0,
            date: day("2026-05-01"),
        },
        recorded_by: user(by),
    }
}

/// A pilot's history up to `status`, with a benefit defined while planning.
fn at(status: Status) -> Vec<E> {
    let mut events = vec![planned(), benefit_defined()];
    let decided = |decided| E::PilotDecided {
        decided,
        basis: basis(),
        decider: user(&lead()),
    };
    if status == Status::Planning {
        return events;
    }
    events.push(started());
    if status == Status::Running {
        return events;
    }
    events.push(evaluated());
    match status {
        Status::InOperation => events.push(decided(Decided::ToOperation)),
        Status::Stopped => events.push(decided(Decided::Stop {
            why: "Brukarane ville ikkje".into(),
        })),
        Status::BackToIdeation => events.push(decided(Decided::BackToIdeation)),
        _ => {}
    }
    events
}

const NOT_RUNNING: [Status; 5] = [
    Status::Planning,
    Status::Evaluating,
    Status::InOperation,
    Status::Stopped,
    Status::BackToIdeation,
];

#[test]
fn the_run_is_recorded_only_while_running() {
    let records: [(Command, &str); 3] = [
        (
            || observe(lead(), observation_fields()),
            "an observation is recorded",
        ),
        (
            || report(lead(), incident_fields()),
            "an incident is recorded",
        ),
        (
            || measure(lead(), &BENEFIT.to_string(), reading(30.0, "2026-05-01")),
            "a measurement is recorded",
        ),
    ];
    for (record, what) in records {
        for status in NOT_RUNNING {
            // Given a pilot that is not running, when the run is recorded, then it is
            // refused saying when it may be.
            let e = given::<Pilot>(at(status))
                .when(record())
                .then_error(ErrorCode::BadUserInput);
            assert_eq!(
                e.to_string(),
                format!(
                    "{what} only while the pilot is RUNNING; it is {}",
                    super::values::status_name(status)
                )
            );
        }
    }
    // Given a running pilot, when the run is recorded, then it is.
    given::<Pilot>(at(Status::Running))
        .when(observe(lead(), observation_fields()))
        .then_events([observed()]);
    given::<Pilot>(at(Status::Running))
        .when(report(lead(), incident_fields()))
        .then_events([incident(&lead())]);
    given::<Pilot>(at(Status::Running))
        .when(measure(
            lead(),
            &BENEFIT.to_string(),
            reading(30.0, "2026-05-01"),
        ))
        .then_events([measured(&lead())]);
}

#[test]
fn the_responsible_person_records_the_run_and_nothing_else() {
    // Given a running pilot, when its responsible person (an employee) records what the run
    // shows, then it is recorded as theirs.
    given::<Pilot>(at(Status::Running))
        .when(observe(responsible(), observation_fields()))
        .then_events([observed()]);
    given::<Pilot>(at(Status::Running))
        .when(report(responsible(), incident_fields()))
        .then_events([incident(&responsible())]);
    given::<Pilot>(at(Status::Running))
        .when(measure(
            responsible(),
            &BENEFIT.to_string(),
            reading(30.0, "2026-05-01"),
        ))
        .then_events([measured(&responsible())]);
    // When another employee does, then it is forbidden.
    given::<Pilot>(at(Status::Running))
        .when(observe(colleague(), observation_fields()))
        .then_error(ErrorCode::Forbidden);
    given::<Pilot>(at(Status::Running))
        .when(report(colleague(), incident_fields()))
        .then_error(ErrorCode::Forbidden);
    // When the responsible person evaluates or defines a benefit, then it is forbidden.
    given::<Pilot>(at(Status::Running))
        .when(evaluate(responsible(), evaluation_fields()))
        .then_error(ErrorCode::Forbidden);
    given::<Pilot>(at(Status::Running))
        .when(define(responsible(), "", benefit_fields()))
        .then_error(ErrorCode::Forbidden);
}

#[test]
fn an_observation_needs_a_touchpoint_a_date_and_something_seen_with_web_links() {
    let cases: [Breaks<pb::Observation>; 8] = [
        (|o| o.touchpoint.clear(), "touchpoint"),
        (|o| o.date = "i går".into(), "date"),
        (|o| o.date.clear(), "date"),
        (
            |o| {
                o.worked.clear();
                o.joy = " ".into();
            },
            "worked",
        ),
        (|o| o.links = vec!["ftp://bilete/1.jpg".into()], "links"),
        (|o| o.links = vec!["https:///1.jpg".into()], "links"),
        (|o| o.links = vec!["https://a.no/x y.jpg".into()], "links"),
        (
            |o| o.links = (0..11).map(|i| format!("https://a.no/{i}")).collect(),
            "links",
        ),
    ];
    for (break_it, field) in cases {
        // Given a running pilot, when a broken observation is recorded, then it is refused
        // naming the field.
        let mut o = observation_fields();
        break_it(&mut o);
        let e = given::<Pilot>(at(Status::Running))
            .when(observe(lead(), o))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some(field), "{e}");
    }
    // Where people got stuck alone is something seen, and links are http or https.
    let stuck_only = pb::Observation {
        worked: String::new(),
        joy: String::new(),
        stuck: "Appen krasja".into(),
        links: vec!["HTTP://video.no/a".into(), "https://video.no/b?t=3".into()],
        ..observation_fields()
    };
    given::<Pilot>(at(Status::Running))
        .when(observe(lead(), stuck_only))
        .then_state();
}

#[test]
fn an_incident_needs_what_happened_how_it_was_handled_and_a_date() {
    let cases: [Breaks<pb::Incident>; 3] = [
        (|i| i.what.clear(), "what"),
        (|i| i.handling = "\u{200b}".into(), "handling"),
        (|i| i.date = "2026-13-01".into(), "date"),
    ];
    for (break_it, field) in cases {
        // Given a running pilot, when a broken incident is recorded, then it is refused
        // naming the field.
        let mut i = incident_fields();
        break_it(&mut i);
        let e = given::<Pilot>(at(Status::Running))
            .when(report(lead(), i))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some(field), "{e}");
    }
}

// ---------------------------------------------------------------------------------------
// Benefits
// ---------------------------------------------------------------------------------------

/// Hours spent on night visits a week: lower is better.
fn benefit_fields() -> common::Benefit {
    common::Benefit {
        title: "Timar brukt på nattbesøk".into(),
        kind: common::BenefitKind::Efficiency as i32,
        category: common::BenefitCategory::TimeSaved as i32,
        priced: false,
        beneficiary: "Nattevakta".into(),
        owner: "sigrid".into(),
        indicator: Some(common::Indicator {
            unit: "timar/veke".into(),
            method: "Timeregistrering".into(),
            frequency: "Kvar veke".into(),
        }),
        baseline: Some(reading(40.0, "2026-02-01")),
        target: Some(reading(10.0, "2026-08-31")),
    }
}

fn benefit_defined() -> E {
    E::PilotBenefitDefined {
        benefit_id: BENEFIT,
        benefit: Benefit::try_from(benefit_fields()).unwrap(),
    }
}

fn define(by: Principal, benefit_id: &str, benefit: common::Benefit) -> C {
    C::DefineBenefit {
        by,
        benefit_id: benefit_id.into(),
        new_id: OTHER_BENEFIT,
        benefit,
    }
}

#[test]
fn a_benefit_is_defined_before_the_decision_with_a_new_id_or_redefined_by_its_own() {
    let revenue = common::Benefit {
        title: "Sparte køyrekilometer".into(),
        kind: common::BenefitKind::BenefitToOthers as i32,
        category: common::BenefitCategory::CostSaved as i32,
        priced: true,
        owner: String::new(),
        ..benefit_fields()
    };
    for status in [Status::Planning, Status::Running, Status::Evaluating] {
        // Given a pilot before its decision, when a new benefit is defined, then it gets
        // the new id.
        given::<Pilot>(at(status))
            .when(define(lead(), "", revenue.clone()))
            .then_events([E::PilotBenefitDefined {
                benefit_id: OTHER_BENEFIT,
                benefit: Benefit::try_from(revenue.clone()).unwrap(),
            }]);
    }
    // Given a benefit, when it is redefined by its id, then it is replaced as a whole.
    let lower_target = common::Benefit {
        target: Some(reading(20.0, "2026-08-31")),
        ..benefit_fields()
    };
    let pilot = given::<Pilot>(at(Status::Running))
        .when(define(lead(), &BENEFIT.to_string(), lower_target.clone()))
        .then_state();
    let benefits = pilot.0.unwrap().benefits().to_vec();
    assert_eq!(benefits.len(), 1);
    assert_eq!(benefits[0].id, BENEFIT);
    assert_eq!(common::Benefit::from(&benefits[0].benefit), lower_target);
    // When it is redefined as it is, then nothing changes.
    given::<Pilot>(at(Status::Running))
        .when(define(lead(), &BENEFIT.to_string(), benefit_fields()))
        .then_events([]);
    // When an unknown benefit is redefined, then it is refused naming the benefit id.
    for unknown in [OTHER_BENEFIT.to_string(), "42".into()] {
        let e = given::<Pilot>(at(Status::Running))
            .when(define(lead(), &unknown, benefit_fields()))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some("benefitId"), "{e}");
    }
    // Given a decided pilot, when a benefit is defined, then it is refused.
    for status in [Status::InOperation, Status::Stopped, Status::BackToIdeation] {
        let e = given::<Pilot>(at(status))
            .when(define(lead(), "", revenue.clone()))
            .then_error(ErrorCode::BadUserInput);
        assert!(
            e.to_string().starts_with("a benefit is defined only while"),
            "{e}"
        );
    }
}

#[test]
fn benefit_titles_are_unique_within_a_pilot() {
    // Given a benefit, when a new one takes its title in other letters' case, then it is
    // refused naming the title.
    let same_title = common::Benefit {
        title: "TIMAR BRUKT PÅ NATTBESØK".into(),
        ..benefit_fields()
    };
    let e = given::<Pilot>(at(Status::Planning))
        .when(define(lead(), "", same_title.clone()))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.field(), Some("title"));
    // When the benefit itself is redefined with it, then it is its own title.
    given::<Pilot>(at(Status::Planning))
        .when(define(lead(), &BENEFIT.to_string(), same_title))
        .then_state();
}

#[test]
fn a_benefit_needs_kind_category_beneficiary_indicator_and_a_target_apart_from_its_baseline() {
    let cases: [Breaks<common::Benefit>; 15] = [
        (|b| b.title = "x".repeat(81), "title"),
        (|b| b.kind = 0, "kind"),
        (|b| b.category = 0, "category"),
        (|b| b.category = 99, "category"),
        (|b| b.beneficiary.clear(), "beneficiary"),
        (|b| b.owner = "\u{7}".into(), "owner"),
        (|b| b.indicator = None, "indicator"),
        (
            |b| b.indicator.as_mut().unwrap().unit.clear(),
            "indicator.unit",
        ),
        (
            |b| b.indicator.as_mut().unwrap().method = " ".into(),
            "indicator.method",
        ),
        (
            |b| b.indicator.as_mut().unwrap().frequency.clear(),
            "indicator.frequency",
        ),
        (|b| b.baseline = None, "baseline"),
        (
            |b| b.baseline = Some(reading(f64::NAN, "2026-02-01")),
            "baseline.value",
        ),
        (|b| b.target = Some(reading(10.0, "")), "target.date"),
        (
            |b| b.target = Some(reading(10.0, "2026-01-31")),
            "target.date",
        ),
        (
            |b| b.target = Some(reading(40.0, "2026-08-31")),
            "target.value",
        ),
    ];
    for (break_it, field) in cases {
        // Given a planned pilot, when a broken benefit is defined, then it is refused naming
        // the field.
        let mut b = benefit_fields();
        break_it(&mut b);
        let e = given::<Pilot>([planned()])
            .when(define(lead(), "", b))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some(field), "{e}");
    }
}

#[test]
fn a_measurement_needs_a_known_benefit_and_a_day_from_its_baseline_to_today() {
    let cases: [(&str, common::Reading, &str); 5] = [
        ("", reading(30.0, "2026-05-01"), "benefitId"),
        ("42", reading(30.0, "2026-05-01"), "benefitId"),
        (
            "0195d2d0-3b00-7000-8000-0000000000b2",
            reading(30.0, "2026-05-01"),
            "benefitId",
        ),
        ("", reading(30.0, "2026-01-31"), "reading.date"),
        ("", reading(30.0, "2026-06-16"), "reading.date"),
    ];
    for (benefit, reading, field) in cases {
        // Given a running pilot with a benefit from 2026-02-01, when a measurement names no
        // benefit of it or a day before its baseline or after today, then it is refused.
        let benefit = if field == "benefitId" {
            benefit.to_owned()
        } else {
            BENEFIT.to_string()
        };
        let e = given::<Pilot>(at(Status::Running))
            .when(measure(lead(), &benefit, reading))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some(field), "{e}");
    }
    // When it is of the baseline's day or of today, then it is recorded.
    for date in ["2026-02-01", "2026-06-15"] {
        given::<Pilot>(at(Status::Running))
            .when(measure(lead(), &BENEFIT.to_string(), reading(35.0, date)))
            .then_state();
    }
    // When its value is no number, then it is refused.
    let e = given::<Pilot>(at(Status::Running))
        .when(measure(
            lead(),
            &BENEFIT.to_string(),
            reading(f64::INFINITY, "2026-05-01"),
        ))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.field(), Some("reading.value"));
}

// ---------------------------------------------------------------------------------------
// Evaluate and decide
// ---------------------------------------------------------------------------------------

fn rating(score: u32) -> Option<pb::Rating> {
    Some(pb::Rating {
        score,
        notes: "Godt".into(),
    })
}

fn evaluation_fields() -> pb::Evaluation {
    pb::Evaluation {
        users_experience: rating(5),
        staff_experience: rating(4),
        touchpoints: rating(4),
        flow_of_work: rating(3),
        value_of_steps: rating(3),
        routines: rating(2),
        roles: rating(3),
        works_as_intended: rating(4),
        meets_needs: rating(4),
        stable_and_secure: rating(1),
        integrates: rating(2),
        benefit_review: Some(pb::BenefitReview {
            expected_realised: "Delvis".into(),
            new_benefits: "Betre søvn".into(),
            cost_estimate: "Uendra".into(),
            follow_up: "Månadleg rapport".into(),
        }),
    }
}

fn evaluate(by: Principal, evaluation: pb::Evaluation) -> C {
    C::Evaluate { by, evaluation }
}

fn evaluated() -> E {
    E::PilotEvaluated {
        evaluation: Evaluation::try_from(evaluation_fields()).unwrap(),
        evaluated_by: user(&lead()),
    }
}

#[test]
fn a_running_or_evaluating_pilot_is_evaluated_and_becomes_evaluating() {
    // Given a running pilot, when it is evaluated, then it is EVALUATING.
    let state = given::<Pilot>(at(Status::Running))
        .when(evaluate(lead(), evaluation_fields()))
        .then_state();
    assert_eq!(state.0.unwrap().status(), Status::Evaluating);
    // Given an evaluated pilot, when it is evaluated again, then the new one is recorded.
    given::<Pilot>(at(Status::Evaluating))
        .when(evaluate(lead(), evaluation_fields()))
        .then_events([evaluated()]);
    // Given a pilot being planned or decided, when it is evaluated, then it is refused.
    for status in [Status::Planning, Status::InOperation, Status::Stopped] {
        let e = given::<Pilot>(at(status))
            .when(evaluate(lead(), evaluation_fields()))
            .then_error(ErrorCode::BadUserInput);
        assert!(
            e.to_string()
                .starts_with("a pilot is evaluated only while the pilot is RUNNING or EVALUATING"),
            "{e}"
        );
    }
}

#[test]
fn an_evaluation_rates_all_eleven_questions_from_1_to_5_and_answers_the_benefit_review() {
    let cases: [Breaks<pb::Evaluation>; 19] = [
        (|e| e.users_experience = None, "usersExperience"),
        (|e| e.staff_experience = None, "staffExperience"),
        (|e| e.touchpoints = None, "touchpoints"),
        (|e| e.flow_of_work = None, "flowOfWork"),
        (|e| e.value_of_steps = None, "valueOfSteps"),
        (|e| e.routines = None, "routines"),
        (|e| e.roles = None, "roles"),
        (|e| e.works_as_intended = None, "worksAsIntended"),
        (|e| e.meets_needs = None, "meetsNeeds"),
        (|e| e.stable_and_secure = None, "stableAndSecure"),
        (|e| e.integrates = None, "integrates"),
        (|e| e.users_experience = rating(0), "usersExperience"),
        (|e| e.integrates = rating(6), "integrates"),
        (
            |e| e.roles.as_mut().unwrap().notes = "\u{202e}".into(),
            "roles",
        ),
        (|e| e.benefit_review = None, "benefitReview"),
        (
            |e| e.benefit_review.as_mut().unwrap().expected_realised.clear(),
            "benefitReview.expectedRealised",
        ),
        (
            |e| e.benefit_review.as_mut().unwrap().new_benefits = " ".into(),
            "benefitReview.newBenefits",
        ),
        (
            |e| e.benefit_review.as_mut().unwrap().cost_estimate.clear(),
            "benefitReview.costEstimate",
        ),
        (
            |e| e.benefit_review.as_mut().unwrap().follow_up.clear(),
            "benefitReview.followUp",
        ),
    ];
    for (break_it, field) in cases {
        // Given a running pilot, when an evaluation misses a rating, rates outside 1–5 or
        // leaves a review answer blank, then it is refused naming the question.
        let mut e = evaluation_fields();
        break_it(&mut e);
        let error = given::<Pilot>(at(Status::Running))
            .when(evaluate(lead(), e))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(error.field(), Some(field), "{error}");
    }
    // Every score from 1 to 5 is a rating.
    for score in 1..=5 {
        let e = pb::Evaluation {
            users_experience: rating(score),
            ..evaluation_fields()
        };
        given::<Pilot>(at(Status::Running))
            .when(evaluate(lead(), e))
            .then_state();
    }
}

fn basis_fields() -> pb::DecisionBasis {
    pb::DecisionBasis {
        final_design: "Sensorar etter samtykke".into(),
        benefit_assessment: "Halve gevinsten er henta ut".into(),
        recommendation: "Forleng".into(),
    }
}

fn basis() -> DecisionBasis {
    DecisionBasis::try_from(basis_fields()).unwrap()
}

fn decide(decision: Decision, new_end_date: &str, why_stopped: &str) -> C {
    C::Decide {
        by: lead(),
        decision,
        new_end_date: new_end_date.into(),
        why_stopped: why_stopped.into(),
        basis: basis_fields(),
    }
}

#[test]
fn a_pilot_is_decided_only_from_evaluating() {
    for status in [
        Status::Planning,
        Status::Running,
        Status::InOperation,
        Status::Stopped,
        Status::BackToIdeation,
    ] {
        // Given a pilot that is not evaluated, when it is decided, then it is refused.
        let e = given::<Pilot>(at(status))
            .when(decide(Decision::ToOperation, "", ""))
            .then_error(ErrorCode::BadUserInput);
        assert!(
            e.to_string()
                .starts_with("a pilot is decided only while the pilot is EVALUATING"),
            "{e}"
        );
    }
    // Given an evaluated pilot, when an employee decides it, then it is forbidden.
    let by_employee = C::Decide {
        by: responsible(),
        decision: Decision::ToOperation,
        new_end_date: String::new(),
        why_stopped: String::new(),
        basis: basis_fields(),
    };
    given::<Pilot>(at(Status::Evaluating))
        .when(by_employee)
        .then_error(ErrorCode::Forbidden);
}

#[test]
fn to_operation_and_back_to_ideation_end_the_pilot_with_their_basis() {
    for (decision, decided, status) in [
        (
            Decision::ToOperation,
            Decided::ToOperation,
            Status::InOperation,
        ),
        (
            Decision::BackToIdeation,
            Decided::BackToIdeation,
            Status::BackToIdeation,
        ),
    ] {
        // Given an evaluated pilot, when it is decided, then the decision is recorded with
        // its basis and decider, and the pilot ends.
        given::<Pilot>(at(Status::Evaluating))
            .when(decide(decision, "", ""))
            .then_events([E::PilotDecided {
                decided: decided.clone(),
                basis: basis(),
                decider: user(&lead()),
            }]);
        let state = given::<Pilot>(at(Status::Evaluating))
            .when(decide(decision, "", ""))
            .then_state();
        assert_eq!(state.0.unwrap().status(), status);
        // When it names a new end date or why it stopped, then it is refused.
        for (date, why, field) in [("2026-12-31", "", "newEndDate"), ("", "Nei", "whyStopped")] {
            let e = given::<Pilot>(at(Status::Evaluating))
                .when(decide(decision, date, why))
                .then_error(ErrorCode::BadUserInput);
            assert_eq!(e.field(), Some(field), "{e}");
        }
    }
}

#[test]
fn stop_needs_why_it_did_not_work() {
    // Given an evaluated pilot, when it is stopped without saying why, then it is refused.
    for why in ["", "  "] {
        let e = given::<Pilot>(at(Status::Evaluating))
            .when(decide(Decision::Stop, "", why))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(
            e,
            PilotsError::invalid("whyStopped", "STOP needs why it did not work")
        );
    }
    // When it is stopped with a new end date, then it is refused.
    let e = given::<Pilot>(at(Status::Evaluating))
        .when(decide(Decision::Stop, "2026-12-31", "Dyrt"))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.field(), Some("newEndDate"));
    // When it is stopped saying why, then it is STOPPED.
    let state = given::<Pilot>(at(Status::Evaluating))
        .when(decide(Decision::Stop, "", "Brukarane ville ikkje"))
        .then_state();
    assert_eq!(state.0.unwrap().status(), Status::Stopped);
}

#[test]
fn extend_needs_a_later_end_date_and_returns_the_pilot_to_running_until_it() {
    // Given an evaluated pilot planned to end 2026-08-31, when it is extended without a
    // date, to a malformed one, to that day or before it, then it is refused.
    for date in ["", "31.12.2026", "2026-08-31", "2026-07-01"] {
        let e = given::<Pilot>(at(Status::Evaluating))
            .when(decide(Decision::Extend, date, ""))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some("newEndDate"), "{date}: {e}");
    }
    // When it is extended saying why it stopped, then it is refused.
    let e = given::<Pilot>(at(Status::Evaluating))
        .when(decide(Decision::Extend, "2026-12-31", "Nei"))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.field(), Some("whyStopped"));
    // When it is extended to a later day, then it runs again until that day.
    let extended = given::<Pilot>(at(Status::Evaluating))
        .when(decide(Decision::Extend, "2026-12-31", ""))
        .then_state();
    let record = extended.0.clone().unwrap();
    assert_eq!(record.status(), Status::Running);
    assert_eq!(record.plan().end(), Some(day("2026-12-31")));
    assert_eq!(pb::PilotPlan::from(record.plan()).end_date, "2026-12-31");
    // Then the run is recorded again, and it is evaluated and decided anew.
    let mut history = at(Status::Evaluating);
    history.push(E::PilotDecided {
        decided: Decided::Extend {
            until: day("2026-12-31"),
        },
        basis: basis(),
        decider: user(&lead()),
    });
    given::<Pilot>(history.clone())
        .when(observe(lead(), observation_fields()))
        .then_events([observed()]);
    given::<Pilot>(history.clone())
        .when(decide(Decision::ToOperation, "", ""))
        .then_error(ErrorCode::BadUserInput);
    history.push(evaluated());
    let e = given::<Pilot>(history.clone())
        .when(decide(Decision::Extend, "2026-12-31", ""))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        e.to_string(),
        "newEndDate: must be after the current end date 2026-12-31"
    );
    given::<Pilot>(history)
        .when(decide(Decision::Extend, "2027-03-31", ""))
        .then_state();
}

#[test]
fn a_decision_rests_on_a_final_design_a_benefit_assessment_and_a_recommendation() {
    let cases: [Breaks<pb::DecisionBasis>; 3] = [
        (|b| b.final_design.clear(), "basis.finalDesign"),
        (
            |b| b.benefit_assessment = " ".into(),
            "basis.benefitAssessment",
        ),
        (|b| b.recommendation.clear(), "basis.recommendation"),
    ];
    for (break_it, field) in cases {
        // Given an evaluated pilot, when the basis misses a part, then it is refused naming
        // the part.
        let mut b = basis_fields();
        break_it(&mut b);
        let command = C::Decide {
            by: lead(),
            decision: Decision::ToOperation,
            new_end_date: String::new(),
            why_stopped: String::new(),
            basis: b,
        };
        let e = given::<Pilot>(at(Status::Evaluating))
            .when(command)
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some(field), "{e}");
    }
}

#[test]
fn a_final_pilot_changes_no_more() {
    for status in [Status::InOperation, Status::Stopped, Status::BackToIdeation] {
        // Given a decided pilot, when it is started, evaluated or decided again, then it is
        // refused.
        for command in [
            start(lead()),
            evaluate(lead(), evaluation_fields()),
            decide(Decision::Extend, "2027-12-31", ""),
        ] {
            given::<Pilot>(at(status))
                .when(command)
                .then_error(ErrorCode::BadUserInput);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Partners and the read rule
// ---------------------------------------------------------------------------------------

#[test]
fn partners_change_nothing_of_another_municipalitys_pilot() {
    let commands: [(Status, Command); 8] = [
        (Status::Planning, || update(partner(), fields(), &["goals"])),
        (Status::Planning, || start(partner())),
        (Status::Running, || observe(partner(), observation_fields())),
        (Status::Running, || report(partner(), incident_fields())),
        (Status::Running, || define(partner(), "", benefit_fields())),
        (Status::Running, || {
            measure(partner(), &BENEFIT.to_string(), reading(30.0, "2026-05-01"))
        }),
        (Status::Running, || evaluate(partner(), evaluation_fields())),
        (Status::Evaluating, || C::Decide {
            by: partner(),
            decision: Decision::ToOperation,
            new_end_date: String::new(),
            why_stopped: String::new(),
            basis: basis_fields(),
        }),
    ];
    for (status, command) in commands {
        // Given a pilot of another municipality, when a partner's innovation lead acts on
        // it, then it is forbidden.
        let e = given::<Pilot>(at(status))
            .when(command())
            .then_error(ErrorCode::Forbidden);
        assert!(e.to_string().contains("read-only"), "{e}");
    }
}

fn shared(visibility: PbVisibility) -> Pilot {
    Pilot::from_events(&[planned_with(pb::PilotPlan {
        visibility: visibility as i32,
        ..fields()
    })])
}

#[test]
fn pilots_are_read_by_the_one_read_rule_with_the_planner_and_the_responsible_among_the_people() {
    let read = |visibility, viewer: Viewer| shared(visibility).0.unwrap().access(&viewer);
    let private = PbVisibility::Private;
    let department_mate = person("dora", HOME, Some("helse"), &[Role::Employee]);
    let other_lead = person("ivar", HOME, Some("kultur"), &[Role::InnovationLead]);
    assert_eq!(read(private, Viewer::new(lead())), Access::Full);
    assert_eq!(read(private, Viewer::new(responsible())), Access::Full);
    assert_eq!(read(private, Viewer::new(department_mate)), Access::Full);
    assert_eq!(read(private, Viewer::new(colleague())), Access::None);
    assert_eq!(read(private, Viewer::new(other_lead)), Access::None);
    assert_eq!(
        read(PbVisibility::Municipality, Viewer::new(colleague())),
        Access::Full
    );
    assert_eq!(
        read(PbVisibility::Municipality, Viewer::new(partner())),
        Access::None
    );
    assert_eq!(
        read(PbVisibility::Public, Viewer::new(partner())),
        Access::Partner
    );
    assert_eq!(
        read(PbVisibility::Network, Viewer::new(partner())),
        Access::None
    );
    let mut networked = Viewer::new(partner());
    networked.network_partners.insert(home());
    assert_eq!(read(PbVisibility::Network, networked), Access::Partner);
}

// ---------------------------------------------------------------------------------------
// The one mapping between the events and the contract's messages
// ---------------------------------------------------------------------------------------

#[test]
fn every_event_maps_to_its_contract_message_and_back() {
    let decided = |decided| E::PilotDecided {
        decided,
        basis: basis(),
        decider: user(&lead()),
    };
    for event in [
        planned(),
        E::PilotPlanned {
            id: ID,
            municipality: home(),
            planned_by: user(&lead()),
            plan: plan_of(draft()),
            origin: Some(RecordLink::try_from(&idea_ref(HOME)).unwrap()),
        },
        E::PilotPlanChanged {
            plan: plan_of(pb::PilotPlan {
                visibility: PbVisibility::Network as i32,
                ..fields()
            }),
        },
        started(),
        observed(),
        incident(&responsible()),
        benefit_defined(),
        measured(&lead()),
        evaluated(),
        decided(Decided::ToOperation),
        decided(Decided::Extend {
            until: day("2026-12-31"),
        }),
        decided(Decided::Stop { why: "Dyrt".into() }),
        decided(Decided::BackToIdeation),
    ] {
        round_trip(event);
    }
}

#[test]
fn a_stored_event_that_breaks_a_rule_is_refused_not_misread() {
    let too_long = pb::PilotPlanned {
        pilot_id: ID.to_string(),
        municipality: HOME.into(),
        planned_by: "kari".into(),
        plan: Some(pb::PilotPlan {
            title: "x".repeat(81),
            ..fields()
        }),
        origin: None,
    };
    assert_eq!(
        E::decode("PilotPlanned", &too_long.encode_to_vec()),
        Err(DecodeError(
            "title: must be at most 80 characters, got 81".into()
        ))
    );
    let unshared = pb::PilotPlanChanged {
        plan: Some(pb::PilotPlan {
            visibility: 0,
            ..fields()
        }),
    };
    assert!(E::decode("PilotPlanChanged", &unshared.encode_to_vec()).is_err());
    let stop_without_why = pb::PilotDecided {
        decision: Decision::Stop as i32,
        basis: Some(basis_fields()),
        decider: "kari".into(),
        ..Default::default()
    };
    assert!(E::decode("PilotDecided", &stop_without_why.encode_to_vec()).is_err());
    let undecided = pb::PilotDecided {
        decision: 0,
        ..stop_without_why
    };
    assert!(E::decode("PilotDecided", &undecided.encode_to_vec()).is_err());
    let unrated = pb::PilotEvaluated {
        evaluation: Some(pb::Evaluation {
            meets_needs: None,
            ..evaluation_fields()
        }),
        evaluated_by: "kari".into(),
    };
    assert!(E::decode("PilotEvaluated", &unrated.encode_to_vec()).is_err());
    assert!(E::decode("PilotPlanned", &[]).is_err(), "no plan");
    assert!(
        E::decode("PilotMeasurementRecorded", &[]).is_err(),
        "no reading"
    );
    assert!(E::decode("PilotPlanned", b"\xff\xffnot protobuf").is_err());
    assert!(
        E::decode("IdeaSubmitted", &[]).is_err(),
        "not a pilot event"
    );
}

#[test]
fn the_contracts_golden_samples_decode_into_the_domain() {
    let (aggregate_id, event) = golden_event::<E>(include_str!(
        "../../../../proto/tests/golden/pilot_planned.hex"
    ));
    let E::PilotPlanned {
        id,
        municipality,
        planned_by,
        plan,
        origin,
    } = event
    else {
        panic!("not a plan");
    };
    assert_eq!(id.to_string(), aggregate_id);
    assert_eq!(
        (municipality.as_str(), planned_by.as_str()),
        (HOME, "kari@oygarden.kommune.no")
    );
    assert_eq!(plan.title(), "Digitalt tilsyn i heimetenesta");
    assert_eq!(plan.visibility(), Visibility::Network);
    assert!(plan.missing().is_empty(), "the sample's plan is complete");
    assert_eq!(plan.end(), Some(day("2026-08-31")));
    let origin = origin.unwrap();
    assert!(origin.is("ideas", "idea"));
    assert_eq!(origin.id(), IDEA);

    let (_, event) = golden_event::<E>(include_str!(
        "../../../../proto/tests/golden/pilot_measurement_recorded.hex"
    ));
    assert_eq!(
        event,
        E::PilotMeasurementRecorded {
            benefit_id: BENEFIT,
            reading: Reading {
                value: 31.5,
                date: day("2026-05-15"),
            },
            recorded_by: UserId::parse("kari@oygarden.kommune.no").unwrap(),
        }
    );

    let (_, event) = golden_event::<E>(include_str!(
        "../../../../proto/tests/golden/pilot_decided.hex"
    ));
    let E::PilotDecided {
        decided,
        basis,
        decider,
    } = event
    else {
        panic!("not a decision");
    };
    assert_eq!(
        decided,
        Decided::Extend {
            until: day("2026-12-31")
        }
    );
    assert_eq!(
        pb::DecisionBasis::from(&basis).recommendation,
        "Forleng til nyttår med fleire brukarar"
    );
    assert_eq!(decider.as_str(), "kari@oygarden.kommune.no");
}
