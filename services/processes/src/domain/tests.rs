//! Every processes rule as a given/when/then sentence.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use innohub_runtime::testing::given;
use innohub_runtime::{ErrorCode, MunicipalityId, Principal, Role, UserId, Visibility};
use uuid::Uuid;

use super::assessment::{Assessment, AssessmentInput};
use super::backlog::{Backlog, BacklogCommand, BacklogEvent, Placement};
use super::details::{ProcessDetails, ProcessFields};
use super::lifecycle::{Phase, Status};
use super::process::{ExperienceFields, Follower, Process, ProcessCommand as C, ProcessEvent as E};
use super::scoring::ScoringWeights;
use super::settings::{MunicipalitySettings, SettingsCommand, SettingsEvent};
use super::values::LongText;

const ID: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);

fn person(user: &str, municipality: &str, department: Option<&str>, roles: &[Role]) -> Principal {
    Principal {
        user: UserId::parse(user).unwrap(),
        municipality: MunicipalityId::parse(municipality).unwrap(),
        department: department.map(|d| innohub_runtime::DepartmentId::parse(d).unwrap()),
        roles: roles.iter().copied().collect::<BTreeSet<_>>(),
    }
}

fn reporter() -> Principal {
    person("anna", "DK-0706", Some("social"), &[Role::Employee])
}
fn it() -> Principal {
    person("ivan", "DK-0706", Some("it"), &[Role::ItPortfolio])
}
fn colleague() -> Principal {
    person("carl", "DK-0706", Some("culture"), &[Role::Employee])
}
fn partner() -> Principal {
    person("pia", "SE-1283", Some("it"), &[Role::ItPortfolio])
}

fn fields() -> ProcessFields {
    ProcessFields {
        title: Some("Indberetning af tabt arbejdsfortjeneste".into()),
        short_description: Some("Manuel sagsbehandling af kompensation".into()),
        departments: Some(vec!["social".into()]),
        cases_per_year: Some(1200),
        minutes_per_case: Some(15.0),
        automation_share: Some(60),
        visibility: Some(Visibility::Public),
        ..Default::default()
    }
}

fn details() -> ProcessDetails {
    ProcessDetails::apply(None, &fields()).unwrap()
}

fn submitted() -> E {
    E::ProcessSubmitted {
        id: ID,
        municipality: MunicipalityId::parse("DK-0706").unwrap(),
        reporter: UserId::parse("anna").unwrap(),
        details: details(),
    }
}

fn assessment() -> Assessment {
    Assessment::parse(&AssessmentInput {
        rules_based: Some(4),
        input_quality: Some(3),
        ..Default::default()
    })
    .unwrap()
}

fn assessed() -> E {
    E::ProcessAssessed {
        assessment: assessment(),
    }
}

fn in_progress() -> E {
    E::ProcessStatusChanged {
        from: Status::NotAssessed,
        to: Status::InProgress,
        reason: None,
    }
}

fn moved(from: Phase, to: Phase) -> E {
    E::ProcessPhaseChanged {
        from,
        to,
        reason: None,
    }
}

fn text(s: &str) -> LongText {
    LongText::parse("reason", s).unwrap()
}

#[test]
fn a_department_submits_a_process() {
    given::<Process>([])
        .when(C::Submit {
            id: ID,
            by: reporter(),
            fields: fields(),
        })
        .then_events([submitted()]);
}

#[test]
fn a_submitted_process_starts_as_an_unassessed_idea_with_derived_savings() {
    let process = given::<Process>([submitted()])
        .when(C::Follow { by: reporter() })
        .then_state();
    let record = process.0.unwrap();
    assert_eq!(
        (record.phase, record.status),
        (Phase::Idea, Status::NotAssessed)
    );
    assert!((record.details.volume.manual_hours() - 300.0).abs() < 1e-9);
    assert!((record.details.volume.hours_saved() - 180.0).abs() < 1e-9);
}

#[test]
fn submission_validates_every_field() {
    let cases: Vec<(ProcessFields, &str)> = vec![
        (
            ProcessFields {
                title: Some("x".repeat(81)),
                ..fields()
            },
            "title",
        ),
        (
            ProcessFields {
                title: None,
                ..fields()
            },
            "title",
        ),
        (
            ProcessFields {
                short_description: Some("x".repeat(201)),
                ..fields()
            },
            "shortDescription",
        ),
        (
            ProcessFields {
                departments: Some(vec![]),
                ..fields()
            },
            "departments",
        ),
        (
            ProcessFields {
                automation_share: Some(150),
                ..fields()
            },
            "automationShare",
        ),
        (
            ProcessFields {
                cases_per_year: Some(-5),
                ..fields()
            },
            "casesPerYear",
        ),
        (
            ProcessFields {
                minutes_per_case: Some(-1.0),
                ..fields()
            },
            "minutesPerCase",
        ),
        (
            ProcessFields {
                go_live_date: Some("next spring".into()),
                ..fields()
            },
            "goLiveDate",
        ),
        (
            ProcessFields {
                classification: Some(("KLE".into(), "".into())),
                ..fields()
            },
            "classification.code",
        ),
    ];
    for (f, field) in cases {
        let err = given::<Process>([])
            .when(C::Submit {
                id: ID,
                by: reporter(),
                fields: f,
            })
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(err.field(), Some(field));
    }
}

#[test]
fn submitting_needs_a_role() {
    let nobody = person("x", "DK-0706", None, &[]);
    given::<Process>([])
        .when(C::Submit {
            id: ID,
            by: nobody,
            fields: fields(),
        })
        .then_error(ErrorCode::Forbidden);
}

#[test]
fn the_reporter_updates_fields_and_absent_fields_keep_their_values() {
    let update = ProcessFields {
        title: Some("Ny titel".into()),
        technologies: Some(vec!["RPA".into()]),
        ..Default::default()
    };
    let state = given::<Process>([submitted()])
        .when(C::Update {
            by: reporter(),
            fields: update,
        })
        .then_state();
    let d = state.0.unwrap().details;
    assert_eq!(d.title.as_str(), "Ny titel");
    assert_eq!(d.short_description, details().short_description);
    assert_eq!(d.technologies.len(), 1);
}

#[test]
fn an_update_that_changes_nothing_records_nothing() {
    given::<Process>([submitted()])
        .when(C::Update {
            by: reporter(),
            fields: ProcessFields {
                title: Some(details().title.as_str().into()),
                ..Default::default()
            },
        })
        .then_events([]);
}

#[test]
fn a_colleague_from_another_department_may_not_edit() {
    given::<Process>([submitted()])
        .when(C::Update {
            by: colleague(),
            fields: ProcessFields::default(),
        })
        .then_error(ErrorCode::Forbidden);
}

#[test]
fn partners_are_read_only() {
    given::<Process>([submitted()])
        .when(C::Assess {
            by: partner(),
            assessment: AssessmentInput::default(),
        })
        .then_error(ErrorCode::Forbidden);
}

#[test]
fn it_portfolio_assesses_and_the_status_leaves_not_assessed() {
    given::<Process>([submitted()])
        .when(C::Assess {
            by: it(),
            assessment: AssessmentInput {
                rules_based: Some(4),
                input_quality: Some(3),
                ..Default::default()
            },
        })
        .then_events([assessed(), in_progress()]);
}

#[test]
fn assessment_ratings_are_one_to_five() {
    let err = given::<Process>([submitted()])
        .when(C::Assess {
            by: it(),
            assessment: AssessmentInput {
                risk: Some(7),
                ..Default::default()
            },
        })
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(err.field(), Some("risk"));
}

#[test]
fn only_it_portfolio_assesses() {
    given::<Process>([submitted()])
        .when(C::Assess {
            by: reporter(),
            assessment: AssessmentInput::default(),
        })
        .then_error(ErrorCode::Forbidden);
}

#[test]
fn an_assessed_process_moves_forward_one_phase() {
    given::<Process>([submitted(), assessed(), in_progress()])
        .when(C::ChangePhase {
            by: it(),
            to: Phase::PreAnalysis,
            reason: None,
        })
        .then_events([moved(Phase::Idea, Phase::PreAnalysis)]);
}

#[test]
fn phases_cannot_be_skipped() {
    given::<Process>([submitted(), assessed()])
        .when(C::ChangePhase {
            by: it(),
            to: Phase::Specification,
            reason: None,
        })
        .then_error(ErrorCode::BadUserInput);
}

#[test]
fn pre_analysis_requires_an_assessment() {
    let err = given::<Process>([submitted()])
        .when(C::ChangePhase {
            by: it(),
            to: Phase::PreAnalysis,
            reason: None,
        })
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(err.field(), Some("assessment"));
}

#[test]
fn development_requires_technologies() {
    let err = given::<Process>([
        submitted(),
        assessed(),
        moved(Phase::Idea, Phase::PreAnalysis),
        moved(Phase::PreAnalysis, Phase::Specification),
    ])
    .when(C::ChangePhase {
        by: it(),
        to: Phase::Development,
        reason: None,
    })
    .then_error(ErrorCode::BadUserInput);
    assert_eq!(err.field(), Some("technologies"));
}

fn in_implementation(go_live: Option<NaiveDate>) -> Vec<E> {
    let mut d = details();
    d.technologies = vec![super::values::Label::parse("technologies", "RPA").unwrap()];
    d.go_live_date = go_live;
    vec![
        submitted(),
        assessed(),
        E::ProcessDetailsChanged { details: d },
        moved(Phase::Idea, Phase::PreAnalysis),
        moved(Phase::PreAnalysis, Phase::Specification),
        moved(Phase::Specification, Phase::Development),
        moved(Phase::Development, Phase::Implementation),
    ]
}

#[test]
fn operation_requires_a_go_live_date() {
    let err = given::<Process>(in_implementation(None))
        .when(C::ChangePhase {
            by: it(),
            to: Phase::Operation,
            reason: None,
        })
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(err.field(), Some("goLiveDate"));
    given::<Process>(in_implementation(NaiveDate::from_ymd_opt(2027, 1, 1)))
        .when(C::ChangePhase {
            by: it(),
            to: Phase::Operation,
            reason: None,
        })
        .then_events([moved(Phase::Implementation, Phase::Operation)]);
}

#[test]
fn a_required_field_cannot_be_cleared_in_a_phase_that_needs_it() {
    let err = given::<Process>(in_implementation(None))
        .when(C::Update {
            by: it(),
            fields: ProcessFields {
                technologies: Some(vec![]),
                ..Default::default()
            },
        })
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(err.field(), Some("technologies"));
}

#[test]
fn moving_back_requires_a_reason() {
    let history = [
        submitted(),
        assessed(),
        moved(Phase::Idea, Phase::PreAnalysis),
    ];
    let err = given::<Process>(history.clone())
        .when(C::ChangePhase {
            by: it(),
            to: Phase::Idea,
            reason: None,
        })
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(err.field(), Some("reason"));
    given::<Process>(history)
        .when(C::ChangePhase {
            by: it(),
            to: Phase::Idea,
            reason: Some("Scope unclear".into()),
        })
        .then_events([E::ProcessPhaseChanged {
            from: Phase::PreAnalysis,
            to: Phase::Idea,
            reason: Some(text("Scope unclear")),
        }]);
}

#[test]
fn only_it_portfolio_moves_phases() {
    given::<Process>([submitted(), assessed()])
        .when(C::ChangePhase {
            by: reporter(),
            to: Phase::PreAnalysis,
            reason: None,
        })
        .then_error(ErrorCode::Forbidden);
}

#[test]
fn stopping_statuses_require_a_reason() {
    for to in [
        Status::OnHold,
        Status::Rejected,
        Status::Failed,
        Status::NotRelevant,
    ] {
        let err = given::<Process>([submitted()])
            .when(C::ChangeStatus {
                by: it(),
                to,
                reason: None,
            })
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(err.field(), Some("reason"));
        given::<Process>([submitted()])
            .when(C::ChangeStatus {
                by: it(),
                to,
                reason: Some("Covered by national solution".into()),
            })
            .then_events([E::ProcessStatusChanged {
                from: Status::NotAssessed,
                to,
                reason: Some(text("Covered by national solution")),
            }]);
    }
}

#[test]
fn a_rejected_process_does_not_move_forward() {
    given::<Process>([
        submitted(),
        assessed(),
        E::ProcessStatusChanged {
            from: Status::NotAssessed,
            to: Status::Rejected,
            reason: Some(text("no")),
        },
    ])
    .when(C::ChangePhase {
        by: it(),
        to: Phase::PreAnalysis,
        reason: None,
    })
    .then_error(ErrorCode::BadUserInput);
}

#[test]
fn anyone_who_can_read_comments_including_partners() {
    let cid = Uuid::from_u128(7);
    given::<Process>([submitted()])
        .when(C::Comment {
            by: partner(),
            comment_id: cid,
            text: "Vi har samma process".into(),
        })
        .then_events([E::ProcessCommented {
            comment_id: cid,
            author: partner().user,
            author_municipality: partner().municipality,
            text: LongText::parse("text", "Vi har samma process").unwrap(),
        }]);
}

#[test]
fn following_twice_records_once_and_unfollow_removes() {
    let follower = Follower {
        municipality: partner().municipality,
        user: partner().user,
    };
    given::<Process>([submitted()])
        .when(C::Follow { by: partner() })
        .then_events([E::ProcessFollowed {
            follower: follower.clone(),
        }]);
    given::<Process>([
        submitted(),
        E::ProcessFollowed {
            follower: follower.clone(),
        },
    ])
    .when(C::Follow { by: partner() })
    .then_events([]);
    given::<Process>([
        submitted(),
        E::ProcessFollowed {
            follower: follower.clone(),
        },
    ])
    .when(C::Unfollow { by: partner() })
    .then_events([E::ProcessUnfollowed { follower }]);
}

#[test]
fn experience_is_captured_in_operation() {
    let experience = ExperienceFields {
        what_was_built: Some("A robot that files the forms".into()),
        realised_benefit: Some(3),
        repository_url: Some("https://git.example.dk/robot".into()),
        ..Default::default()
    };
    given::<Process>([submitted()])
        .when(C::RecordExperience {
            by: it(),
            experience: experience.clone(),
        })
        .then_error(ErrorCode::BadUserInput);
    let mut operation = in_implementation(NaiveDate::from_ymd_opt(2027, 1, 1));
    operation.push(moved(Phase::Implementation, Phase::Operation));
    let state = given::<Process>(operation.clone())
        .when(C::RecordExperience {
            by: it(),
            experience: experience.clone(),
        })
        .then_state();
    assert_eq!(
        state.0.unwrap().experience.unwrap().realised_benefit,
        Some(3)
    );
    let err = given::<Process>(operation)
        .when(C::RecordExperience {
            by: it(),
            experience: ExperienceFields {
                realised_benefit: Some(4),
                ..experience
            },
        })
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(err.field(), Some("realisedBenefit"));
}

#[test]
fn commands_on_a_missing_process_are_not_found() {
    given::<Process>([])
        .when(C::Follow { by: reporter() })
        .then_error(ErrorCode::NotFound);
}

const A: Uuid = Uuid::from_u128(1);
const B: Uuid = Uuid::from_u128(2);
const X: Uuid = Uuid::from_u128(3);

fn ranked(process_id: Uuid, after: Option<Uuid>) -> BacklogEvent {
    BacklogEvent::ProcessRanked {
        municipality: it().municipality,
        process_id,
        after,
    }
}

#[test]
fn it_ranks_a_process_before_another() {
    given::<Backlog>([ranked(A, None), ranked(B, Some(A))])
        .when(BacklogCommand::Rank {
            by: it(),
            process: X,
            placement: Placement::Before(B),
        })
        .then_events([ranked(X, Some(A))]);
    let state = given::<Backlog>([ranked(A, None), ranked(B, Some(A))])
        .when(BacklogCommand::Rank {
            by: it(),
            process: X,
            placement: Placement::Before(A),
        })
        .then_state();
    assert_eq!(state.order, vec![X, A, B]);
}

#[test]
fn ranking_relative_to_an_unranked_process_is_refused() {
    given::<Backlog>([ranked(A, None)])
        .when(BacklogCommand::Rank {
            by: it(),
            process: X,
            placement: Placement::After(B),
        })
        .then_error(ErrorCode::BadUserInput);
}

#[test]
fn only_it_portfolio_ranks() {
    given::<Backlog>([])
        .when(BacklogCommand::Rank {
            by: reporter(),
            process: X,
            placement: Placement::Top,
        })
        .then_error(ErrorCode::Forbidden);
}

#[test]
fn a_move_to_where_it_already_is_records_nothing() {
    given::<Backlog>([ranked(A, None), ranked(B, Some(A))])
        .when(BacklogCommand::Rank {
            by: it(),
            process: B,
            placement: Placement::After(A),
        })
        .then_events([]);
}

#[test]
fn unranking_removes_from_the_order() {
    let state = given::<Backlog>([ranked(A, None), ranked(B, Some(A))])
        .when(BacklogCommand::Unrank {
            by: it(),
            process: A,
        })
        .then_state();
    assert_eq!(state.order, vec![B]);
}

#[test]
fn municipality_admins_set_scoring_weights() {
    let admin = person("maja", "DK-0706", None, &[Role::MunicipalityAdmin]);
    let weights = ScoringWeights::parse(5.0, 1.0, 1.0, 1.0, 1.0).unwrap();
    given::<MunicipalitySettings>([])
        .when(SettingsCommand::SetScoringWeights {
            by: admin.clone(),
            weights: weights.clone(),
        })
        .then_events([SettingsEvent::ScoringWeightsSet {
            municipality: admin.municipality,
            weights: weights.clone(),
        }]);
    given::<MunicipalitySettings>([])
        .when(SettingsCommand::SetScoringWeights { by: it(), weights })
        .then_error(ErrorCode::Forbidden);
}

#[test]
fn private_processes_are_read_by_reporter_owner_and_department_only() {
    use innohub_runtime::{Access, Viewer};
    let mut d = details();
    d.visibility = Visibility::Private;
    let state = given::<Process>([submitted(), E::ProcessDetailsChanged { details: d }])
        .when(C::Follow { by: reporter() })
        .then_state();
    let record = state.0.unwrap();
    let department_mate = person("dora", "DK-0706", Some("social"), &[Role::Employee]);
    assert_eq!(record.access(&Viewer::new(reporter())), Access::Full);
    assert_eq!(record.access(&Viewer::new(department_mate)), Access::Full);
    assert_eq!(record.access(&Viewer::new(colleague())), Access::None);
    assert_eq!(record.access(&Viewer::new(partner())), Access::None);
}
