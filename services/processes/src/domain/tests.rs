//! Every processes rule as a given/when/then sentence.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use innohub_proto::innohub::common::v1::RecordRef;
use innohub_runtime::testing::{given, golden, round_trip};
use innohub_runtime::{ErrorCode, MunicipalityId, Principal, RecordLink, Role, UserId, Visibility};
use uuid::Uuid;

use innohub_proto::innohub::processes::v1 as pb;
use prost_types::FieldMask;

use super::assessment::Assessment;
use super::backlog::{Backlog, BacklogCommand, BacklogEvent, Placement};
use super::details::ProcessDetails;
use super::lifecycle::{Phase, Status};
use super::process::{Follower, Process, ProcessCommand as C, ProcessEvent as E};
use super::scoring::ScoringWeights;
use super::settings::{MunicipalitySettings, SettingsCommand, SettingsEvent};
use super::values::{Classification, LongText};

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

/// A valid, public submission (also the app's tests' fixture).
pub(crate) fn fields() -> pb::ProcessDetails {
    pb::ProcessDetails {
        title: "Indberetning af tabt arbejdsfortjeneste".into(),
        short_description: "Manuel sagsbehandling af kompensation".into(),
        departments: vec!["social".into()],
        volume: Some(pb::Volume {
            cases_per_year: 1200,
            minutes_per_case: 15.0,
            employees: None,
            automation_share: 60,
        }),
        visibility: pb::Visibility::Public as i32,
        ..Default::default()
    }
}

/// `fields()` with `change` applied to its volume.
fn with_volume(change: impl FnOnce(&mut pb::Volume)) -> pb::ProcessDetails {
    let mut f = fields();
    if let Some(v) = f.volume.as_mut() {
        change(v);
    }
    f
}

fn details() -> ProcessDetails {
    ProcessDetails::reported(fields()).unwrap()
}

/// An update of the fields `paths` names to their values in `patch`.
fn update(by: Principal, patch: pb::ProcessDetails, paths: &[&str]) -> C {
    C::Update {
        by,
        details: patch,
        mask: FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        },
    }
}

fn submitted() -> E {
    E::ProcessSubmitted {
        id: ID,
        municipality: MunicipalityId::parse("DK-0706").unwrap(),
        reporter: UserId::parse("anna").unwrap(),
        details: details(),
        adopted_from: None,
        origin: None,
    }
}

fn ratings() -> pb::Assessment {
    pb::Assessment {
        rules_based: Some(4),
        input_quality: Some(3),
        ..Default::default()
    }
}

fn assessment() -> Assessment {
    Assessment::try_from(ratings()).unwrap()
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
            details: fields(),
            origin: None,
        })
        .then_events([submitted()]);
}

fn idea_of(municipality: &str) -> RecordRef {
    RecordRef {
        context: "ideas".into(),
        kind: "idea".into(),
        id: "0190aaaa-0000-7000-8000-000000000001".into(),
        municipality: municipality.into(),
    }
}

#[test]
fn a_process_spawned_from_an_idea_carries_the_link_to_it() {
    let origin = idea_of("DK-0706");
    let E::ProcessSubmitted { origin: linked, .. } = submitted() else {
        unreachable!()
    };
    assert_eq!(linked, None);
    given::<Process>([])
        .when(C::Submit {
            id: ID,
            by: reporter(),
            details: fields(),
            origin: Some(origin.clone()),
        })
        .then_events([E::ProcessSubmitted {
            municipality: MunicipalityId::parse("DK-0706").unwrap(),
            reporter: UserId::parse("anna").unwrap(),
            id: ID,
            details: details(),
            adopted_from: None,
            origin: Some(RecordLink::try_from(&origin).unwrap()),
        }]);
}

#[test]
fn a_process_is_spawned_only_from_a_well_formed_record_of_its_own_municipality() {
    let mut malformed = idea_of("DK-0706");
    malformed.id = "not-a-uuid".into();
    for (origin, says) in [
        (
            idea_of("SE-1283"),
            "origin: a process is spawned from a record of its own municipality",
        ),
        (malformed, "origin: id: not a UUID"),
    ] {
        let error = given::<Process>([])
            .when(C::Submit {
                id: ID,
                by: reporter(),
                details: fields(),
                origin: Some(origin),
            })
            .then_error(ErrorCode::BadUserInput);
        assert!(error.to_string().starts_with(says), "{error}");
    }
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
    let volume = pb::Volume::from(&record.details.volume);
    assert!((innohub_priority::manual_hours(&volume) - 300.0).abs() < 1e-9);
    assert!((innohub_priority::hours_saved(&volume) - 180.0).abs() < 1e-9);
}

#[test]
fn submission_validates_every_field() {
    let cases: Vec<(pb::ProcessDetails, &str)> = vec![
        (
            pb::ProcessDetails {
                title: "x".repeat(81),
                ..fields()
            },
            "title",
        ),
        (
            pb::ProcessDetails {
                title: String::new(),
                ..fields()
            },
            "title",
        ),
        (
            pb::ProcessDetails {
                short_description: "x".repeat(201),
                ..fields()
            },
            "shortDescription",
        ),
        (
            pb::ProcessDetails {
                departments: vec![],
                ..fields()
            },
            "departments",
        ),
        (with_volume(|v| v.automation_share = 150), "automationShare"),
        (
            with_volume(|v| v.cases_per_year = 100_000_001),
            "casesPerYear",
        ),
        (with_volume(|v| v.minutes_per_case = -1.0), "minutesPerCase"),
        (
            pb::ProcessDetails {
                go_live_date: "next spring".into(),
                ..fields()
            },
            "goLiveDate",
        ),
        (
            pb::ProcessDetails {
                classification: Some(pb::Classification {
                    scheme: "KLE".into(),
                    code: String::new(),
                }),
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
                details: f,
                origin: None,
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
            details: fields(),
            origin: None,
        })
        .then_error(ErrorCode::Forbidden);
}

#[test]
fn the_reporter_updates_fields_and_absent_fields_keep_their_values() {
    let patch = pb::ProcessDetails {
        title: "Ny titel".into(),
        technologies: vec!["RPA".into()],
        ..Default::default()
    };
    let state = given::<Process>([submitted()])
        .when(update(reporter(), patch, &["title", "technologies"]))
        .then_state();
    let d = state.0.unwrap().details;
    assert_eq!(d.title.as_str(), "Ny titel");
    assert_eq!(d.short_description, details().short_description);
    assert_eq!(d.technologies.len(), 1);
}

#[test]
fn an_update_that_changes_nothing_records_nothing() {
    given::<Process>([submitted()])
        .when(update(
            reporter(),
            pb::ProcessDetails {
                title: details().title.as_str().into(),
                ..Default::default()
            },
            &["title"],
        ))
        .then_events([]);
}

#[test]
fn a_colleague_from_another_department_may_not_edit() {
    given::<Process>([submitted()])
        .when(update(colleague(), pb::ProcessDetails::default(), &[]))
        .then_error(ErrorCode::Forbidden);
}

#[test]
fn partners_are_read_only() {
    given::<Process>([submitted()])
        .when(C::Assess {
            by: partner(),
            assessment: pb::Assessment::default(),
        })
        .then_error(ErrorCode::Forbidden);
}

#[test]
fn it_portfolio_assesses_and_the_status_leaves_not_assessed() {
    given::<Process>([submitted()])
        .when(C::Assess {
            by: it(),
            assessment: ratings(),
        })
        .then_events([assessed(), in_progress()]);
}

#[test]
fn assessment_ratings_are_one_to_five() {
    let err = given::<Process>([submitted()])
        .when(C::Assess {
            by: it(),
            assessment: pb::Assessment {
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
            assessment: pb::Assessment::default(),
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
        .when(update(
            it(),
            pb::ProcessDetails::default(),
            &["technologies"],
        ))
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
    let experience = pb::Experience {
        what_was_built: "A robot that files the forms".into(),
        realised_benefit: Some(3),
        repository_url: "https://git.example.dk/robot".into(),
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
            experience: pb::Experience {
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
    let weights = ScoringWeights::try_from(pb::ScoringWeights {
        hours_saved: 5.0,
        automation_potential: 1.0,
        ease: 1.0,
        strategic_fit: 1.0,
        risk: 1.0,
    })
    .unwrap();
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

// ---------------------------------------------------------------------------------------
// The one mapping between the events and the contract's messages
// ---------------------------------------------------------------------------------------

use innohub_runtime::{DecodeError, DomainEvent};
use prost::Message as _;

#[test]
fn every_event_maps_to_its_contract_message_and_back() {
    let follower = Follower {
        municipality: partner().municipality,
        user: partner().user,
    };
    let experience = pb::Experience {
        what_was_built: "A robot".into(),
        realised_benefit: Some(0),
        repository_url: "https://git.example.dk/robot".into(),
        decommission_date: "2030-01-31".into(),
        ..Default::default()
    };
    let mut everything = details();
    everything.classification = Classification::parse(Some(pb::Classification {
        scheme: "KLE".into(),
        code: "27.24.00".into(),
    }))
    .unwrap();
    everything.development_effort_hours = Some(0);
    everything.go_live_date = NaiveDate::from_ymd_opt(2027, 3, 31);
    everything.volume.employees = Some(3);
    for event in [
        submitted(),
        E::ProcessDetailsChanged {
            details: everything,
        },
        assessed(),
        in_progress(),
        E::ProcessPhaseChanged {
            from: Phase::Operation,
            to: Phase::Implementation,
            reason: Some(text("Integration broke")),
        },
        E::ProcessCommented {
            comment_id: Uuid::from_u128(7),
            author: partner().user,
            author_municipality: partner().municipality,
            text: text("Hur?"),
        },
        E::ProcessFollowed {
            follower: follower.clone(),
        },
        E::ProcessUnfollowed { follower },
        E::ProcessExperienceRecorded {
            experience: experience.try_into().unwrap(),
        },
    ] {
        round_trip(event);
    }
    round_trip(BacklogEvent::ProcessRanked {
        municipality: it().municipality,
        process_id: ID,
        after: Some(Uuid::from_u128(9)),
    });
    round_trip(BacklogEvent::ProcessRanked {
        municipality: it().municipality,
        process_id: ID,
        after: None,
    });
    round_trip(BacklogEvent::ProcessUnranked {
        municipality: it().municipality,
        process_id: ID,
    });
    round_trip(SettingsEvent::ScoringWeightsSet {
        municipality: it().municipality,
        weights: ScoringWeights::try_from(pb::ScoringWeights {
            hours_saved: 1.5,
            ..Default::default()
        })
        .unwrap(),
    });
}

#[test]
fn a_stored_event_that_breaks_a_rule_is_refused_not_misread() {
    let too_long = pb::ProcessSubmitted {
        process_id: ID.to_string(),
        municipality: "DK-0706".into(),
        reporter: "anna".into(),
        details: Some(pb::ProcessDetails {
            title: "x".repeat(81),
            ..fields()
        }),
        adopted_from: None,
        origin: None,
    };
    assert_eq!(
        E::decode("ProcessSubmitted", &too_long.encode_to_vec()),
        Err(DecodeError(
            "title: must be at most 80 characters, got 81".into()
        ))
    );
    let unspecified = pb::ProcessPhaseChanged::default().encode_to_vec();
    assert!(E::decode("ProcessPhaseChanged", &unspecified).is_err());
    assert!(E::decode("ProcessSubmitted", b"\xff\xffnot protobuf").is_err());
    assert!(E::decode("ProcessSubmitted", &[]).is_err(), "no details");
    assert!(
        E::decode("ProcessRanked", &[]).is_err(),
        "not a process event"
    );
}

#[test]
fn the_contracts_golden_samples_decode_into_the_domain() {
    use innohub_proto::innohub::common::v1::EventEnvelope;
    let bytes = golden(include_str!(
        "../../../../proto/tests/golden/process_submitted.hex"
    ));
    let envelope = EventEnvelope::decode(bytes.as_slice()).unwrap();
    let E::ProcessSubmitted {
        id,
        municipality,
        reporter,
        details,
        adopted_from,
        origin,
    } = E::decode(&envelope.event_type, &envelope.payload).unwrap()
    else {
        panic!("not a submission");
    };
    assert_eq!(id.to_string(), envelope.aggregate_id);
    assert_eq!(
        (municipality.as_str(), reporter.as_str()),
        ("DK-0706", "anne.jensen@syddjurs.dk")
    );
    assert_eq!(details.title.as_str(), "Udbetaling af sygedagpenge");
    assert_eq!(details.departments.len(), 2);
    assert_eq!(details.volume.automation_share, 70);
    assert_eq!(details.development_effort_hours, Some(0));
    assert_eq!(details.visibility, Visibility::Network);
    assert_eq!(adopted_from, None, "blessed before adoption existed");
    assert_eq!(origin, None, "blessed before spawning from ideas existed");

    let bytes = golden(include_str!(
        "../../../../proto/tests/golden/process_phase_changed.hex"
    ));
    let envelope = EventEnvelope::decode(bytes.as_slice()).unwrap();
    assert_eq!(
        E::decode(&envelope.event_type, &envelope.payload),
        Ok(E::ProcessPhaseChanged {
            from: Phase::Operation,
            to: Phase::Implementation,
            reason: Some(text("Fejl i integrationen; tilbage til implementering")),
        })
    );
}

/// `fields()` with one text field set to `value`; the field's name in the API.
fn with_text(field: &'static str, value: &str) -> (pb::ProcessDetails, &'static str) {
    let mut f = fields();
    let v = value.to_owned();
    match field {
        "title" => f.title = v,
        "shortDescription" => f.short_description = v,
        "longDescription" => f.long_description = v,
        "painPoints" => f.pain_points = v,
        "wishedSolution" => f.wished_solution = v,
        "owner" => f.owner = v,
        "contact" => f.contact = v,
        "legalBasis" => f.legal_basis = v,
        "vendor" => f.vendor = v,
        "internalNotes" => f.internal_notes = v,
        "domains" => f.domains = vec!["social".into(), v],
        "itSystems" => f.it_systems = vec![v],
        "technologies" => f.technologies = vec![v],
        "classification.scheme" => {
            f.classification = Some(pb::Classification {
                scheme: v,
                code: "27.24.00".into(),
            });
        }
        "classification.code" => {
            f.classification = Some(pb::Classification {
                scheme: "KLE".into(),
                code: v,
            });
        }
        other => panic!("no text field {other}"),
    }
    (f, field)
}

/// Every free-text field of the form, required or optional.
const TEXT_FIELDS: [&str; 15] = [
    "title",
    "shortDescription",
    "longDescription",
    "painPoints",
    "wishedSolution",
    "owner",
    "contact",
    "legalBasis",
    "vendor",
    "internalNotes",
    "domains",
    "itSystems",
    "technologies",
    "classification.scheme",
    "classification.code",
];

#[test]
fn text_that_renders_as_nothing_is_refused_in_every_field() {
    for invisible in [
        "\u{200B}",
        " \u{200B} ",
        "\u{FEFF}\u{00AD}",
        "\u{2060}\u{180E}",
    ] {
        for field in TEXT_FIELDS {
            let (f, field) = with_text(field, invisible);
            let err = given::<Process>([])
                .when(C::Submit {
                    id: ID,
                    by: reporter(),
                    details: f,
                    origin: None,
                })
                .then_error(ErrorCode::BadUserInput);
            assert_eq!(err.field(), Some(field), "{invisible:?} in {field}: {err}");
        }
    }
    // Left blank, an optional text is simply not given.
    let (f, _) = with_text("internalNotes", "  ");
    let state = given::<Process>([])
        .when(C::Submit {
            id: ID,
            by: reporter(),
            details: f,
            origin: None,
        })
        .then_state();
    assert_eq!(state.0.unwrap().details.internal_notes, None);
}

#[test]
fn bidi_overrides_embeddings_and_isolates_are_refused_in_every_field() {
    for control in [
        '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
        '\u{2068}', '\u{2069}',
    ] {
        let spoof = format!("invoice{control}fdp.exe");
        let code_point = format!("U+{:04X}", u32::from(control));
        for field in TEXT_FIELDS {
            let (f, field) = with_text(field, &spoof);
            let err = given::<Process>([])
                .when(C::Submit {
                    id: ID,
                    by: reporter(),
                    details: f,
                    origin: None,
                })
                .then_error(ErrorCode::BadUserInput);
            assert_eq!(err.field(), Some(field));
            assert!(err.to_string().contains(&code_point), "{err}");
        }
    }
}

#[test]
fn commands_refuse_invisible_and_bidi_text_too() {
    let spoof = "ok \u{202E}kcab";
    let mut operation = in_implementation(NaiveDate::from_ymd_opt(2027, 1, 1));
    operation.push(moved(Phase::Implementation, Phase::Operation));
    let cases: Vec<(Vec<E>, C, &str)> = vec![
        (
            vec![submitted()],
            C::Comment {
                by: partner(),
                comment_id: Uuid::from_u128(7),
                text: "\u{200B}".into(),
            },
            "text",
        ),
        (
            vec![submitted()],
            C::Comment {
                by: partner(),
                comment_id: Uuid::from_u128(7),
                text: spoof.into(),
            },
            "text",
        ),
        (
            vec![submitted()],
            C::ChangeStatus {
                by: it(),
                to: Status::OnHold,
                reason: Some("\u{200B}".into()),
            },
            "reason",
        ),
        (
            vec![submitted()],
            C::ChangeStatus {
                by: it(),
                to: Status::OnHold,
                reason: Some(spoof.into()),
            },
            "reason",
        ),
        (
            vec![
                submitted(),
                assessed(),
                moved(Phase::Idea, Phase::PreAnalysis),
            ],
            C::ChangePhase {
                by: it(),
                to: Phase::Idea,
                reason: Some(spoof.into()),
            },
            "reason",
        ),
        (
            vec![submitted()],
            update(
                reporter(),
                pb::ProcessDetails {
                    title: "\u{2063}".into(),
                    ..Default::default()
                },
                &["title"],
            ),
            "title",
        ),
        (
            vec![submitted()],
            update(
                reporter(),
                pb::ProcessDetails {
                    internal_notes: spoof.into(),
                    ..Default::default()
                },
                &["internal_notes"],
            ),
            "internalNotes",
        ),
        (
            operation.clone(),
            C::RecordExperience {
                by: it(),
                experience: pb::Experience {
                    organisational_notes: spoof.into(),
                    ..Default::default()
                },
            },
            "organisationalNotes",
        ),
        (
            operation,
            C::RecordExperience {
                by: it(),
                experience: pb::Experience {
                    run_frequency: "\u{200B}".into(),
                    ..Default::default()
                },
            },
            "runFrequency",
        ),
    ];
    for (history, command, field) in cases {
        let what = format!("{command:?}");
        let err = given::<Process>(history)
            .when(command)
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(err.field(), Some(field), "{what}: {err}");
    }
}

#[test]
fn visible_text_with_direction_marks_and_joiners_is_kept_as_written() {
    let title = "Ansøgning \u{200F}עברית\u{200D} 👩\u{200D}💻";
    let (f, _) = with_text("title", title);
    let state = given::<Process>([])
        .when(C::Submit {
            id: ID,
            by: reporter(),
            details: f,
            origin: None,
        })
        .then_state();
    assert_eq!(state.0.unwrap().details.title.as_str(), title);
}

// ---------------------------------------------------------------------------------------
// Adoption
// ---------------------------------------------------------------------------------------

use innohub_runtime::{Access, Aggregate as _, Viewer};

use super::process::AdoptionOrigin;
use super::umbrella::{Candidate, Umbrella, UmbrellaCommand as U, UmbrellaEvent as UE};

/// DK's process with everything a partner must not get: people, internal notes,
/// departments, and a go-live date.
fn origin() -> super::process::ProcessRecord {
    let mut full = fields();
    full.owner = "olle".into();
    full.contact = "olle@syddjurs.dk".into();
    full.internal_notes = "Kun til internt brug".into();
    full.departments = vec!["social".into(), "jobcenter".into()];
    full.classification = Some(pb::Classification {
        scheme: "KLE".into(),
        code: "15.00.00".into(),
    });
    full.it_systems = vec!["KMD Sygedagpenge".into()];
    full.technologies = vec!["RPA".into()];
    full.long_description = "Robot henter anmodninger".into();
    full.go_live_date = "2026-01-01".into();
    let submitted = E::ProcessSubmitted {
        id: ID,
        municipality: MunicipalityId::parse("DK-0706").unwrap(),
        reporter: UserId::parse("anna").unwrap(),
        details: ProcessDetails::reported(full).unwrap(),
        adopted_from: None,
        origin: None,
    };
    Process::from_events(&[submitted]).0.unwrap()
}

const COPY: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0002);

fn adopt(by: Principal, access: Access, departments: &[&str]) -> C {
    C::Adopt {
        id: COPY,
        by,
        origin: Box::new(origin()),
        access,
        departments: departments.iter().map(|d| (*d).to_owned()).collect(),
    }
}

#[test]
fn a_partner_adopts_a_shared_process_as_a_new_idea_with_only_its_shareable_fields() {
    // Given nothing at the new id, when a partner adopts DK's shared process,
    let state = given::<Process>([])
        .when(adopt(partner(), Access::Partner, &[]))
        .then_state();
    let copy = state.0.unwrap();
    // then a new IDEA process in their municipality, reported by them, links to its origin,
    assert_eq!(copy.id, COPY);
    assert_eq!(copy.municipality, partner().municipality);
    assert_eq!(copy.reporter, partner().user);
    assert_eq!(
        (copy.phase, copy.status),
        (Phase::Idea, Status::NotAssessed)
    );
    assert_eq!(
        copy.adopted_from,
        Some(AdoptionOrigin {
            process: ID,
            municipality: MunicipalityId::parse("DK-0706").unwrap(),
        })
    );
    // with the shareable fields copied,
    let from = origin().details;
    let d = &copy.details;
    assert_eq!(d.title, from.title);
    assert_eq!(d.short_description, from.short_description);
    assert_eq!(d.long_description, from.long_description);
    assert_eq!(d.classification, from.classification);
    assert_eq!(d.it_systems, from.it_systems);
    assert_eq!(d.technologies, from.technologies);
    assert_eq!(d.volume, from.volume);
    // never people, internal notes or departments (theirs: the adopter's department),
    assert_eq!((d.owner.as_ref(), d.contact.as_ref()), (None, None));
    assert_eq!(d.internal_notes, None);
    assert_eq!(
        d.departments,
        vec![innohub_runtime::DepartmentId::parse("it").unwrap()]
    );
    // kept to the adopter's municipality, without the origin's go-live date.
    assert_eq!(d.visibility, Visibility::Municipality);
    assert_eq!(d.go_live_date, None);
}

#[test]
fn an_adopter_names_their_departments_or_has_one() {
    let state = given::<Process>([])
        .when(adopt(partner(), Access::Partner, &["digital", "social"]))
        .then_state();
    let departments: Vec<String> = state
        .0
        .unwrap()
        .details
        .departments
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(departments, ["digital", "social"]);
    let homeless = person("sven", "SE-1283", None, &[Role::Employee]);
    let e = given::<Process>([])
        .when(adopt(homeless, Access::Partner, &[]))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.field(), Some("departments"));
}

#[test]
fn only_a_process_shared_by_another_municipality_can_be_adopted() {
    // Not visible to the caller: it does not exist for them.
    given::<Process>([])
        .when(adopt(partner(), Access::None, &[]))
        .then_error(ErrorCode::NotFound);
    // One's own municipality's: nothing to adopt.
    let e = given::<Process>([])
        .when(adopt(colleague(), Access::Full, &[]))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.field(), Some("id"));
    assert!(
        e.to_string().contains("another municipality's process"),
        "{e}"
    );
    // Adopting needs the employee or it_portfolio role.
    let admin = person("ada", "SE-1283", Some("it"), &[Role::MunicipalityAdmin]);
    given::<Process>([])
        .when(adopt(admin, Access::Partner, &[]))
        .then_error(ErrorCode::Forbidden);
    // An existing id is never overwritten.
    given::<Process>([submitted()])
        .when(adopt(partner(), Access::Partner, &[]))
        .then_error(ErrorCode::BadUserInput);
}

#[test]
fn an_adopted_submission_maps_to_its_contract_message_and_back() {
    let mut event = submitted();
    if let E::ProcessSubmitted { adopted_from, .. } = &mut event {
        *adopted_from = Some(AdoptionOrigin {
            process: Uuid::from_u128(5),
            municipality: partner().municipality,
        });
    }
    round_trip(event);
}

// ---------------------------------------------------------------------------------------
// Umbrella groups
// ---------------------------------------------------------------------------------------

const UMBRELLA: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0003);
const OWN: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0004);
const THEIRS: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0005);

fn umbrella_created(visibility: Visibility) -> UE {
    UE::UmbrellaCreated {
        id: UMBRELLA,
        municipality: it().municipality,
        title: super::values::Title::parse("title", "Sygedagpenge").unwrap(),
        description: None,
        visibility,
        created_by: it().user,
    }
}

fn create(by: Principal, title: &str, visibility: pb::Visibility) -> U {
    U::Create {
        id: UMBRELLA,
        by,
        title: title.into(),
        description: String::new(),
        visibility: visibility as i32,
    }
}

fn own(access: Access) -> Candidate {
    Candidate {
        id: OWN,
        municipality: it().municipality,
        access,
    }
}

fn theirs(access: Access) -> Candidate {
    Candidate {
        id: THEIRS,
        municipality: partner().municipality,
        access,
    }
}

fn add(by: Principal, process: Candidate) -> U {
    U::Add { by, process }
}

#[test]
fn it_portfolio_creates_an_umbrella_local_by_default() {
    given::<Umbrella>([])
        .when(create(it(), "Sygedagpenge", pb::Visibility::Unspecified))
        .then_events([umbrella_created(Visibility::Municipality)]);
    given::<Umbrella>([])
        .when(create(colleague(), "Sygedagpenge", pb::Visibility::Public))
        .then_error(ErrorCode::Forbidden);
    let e = given::<Umbrella>([])
        .when(create(it(), &"x".repeat(81), pb::Visibility::Public))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.field(), Some("title"));
    let e = given::<Umbrella>([])
        .when(create(it(), "Sygedagpenge", pb::Visibility::Unspecified))
        .then_state();
    assert_eq!(e.0.unwrap().visibility, Visibility::Municipality);
}

#[test]
fn a_local_umbrella_holds_only_its_municipalitys_processes() {
    given::<Umbrella>([umbrella_created(Visibility::Municipality)])
        .when(add(it(), own(Access::Full)))
        .then_events([UE::UmbrellaMemberAdded {
            process: OWN,
            municipality: it().municipality,
        }]);
    let e = given::<Umbrella>([umbrella_created(Visibility::Private)])
        .when(add(it(), theirs(Access::Partner)))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.field(), Some("process"));
}

#[test]
fn a_shared_umbrella_also_holds_processes_others_share_with_its_municipality() {
    for visibility in [Visibility::Network, Visibility::Public] {
        given::<Umbrella>([umbrella_created(visibility)])
            .when(add(it(), theirs(Access::Partner)))
            .then_events([UE::UmbrellaMemberAdded {
                process: THEIRS,
                municipality: partner().municipality,
            }]);
        // A process the caller cannot see does not exist for them.
        given::<Umbrella>([umbrella_created(visibility)])
            .when(add(it(), theirs(Access::None)))
            .then_error(ErrorCode::NotFound);
    }
}

#[test]
fn members_are_added_once_and_removed_only_when_members() {
    let added = UE::UmbrellaMemberAdded {
        process: OWN,
        municipality: it().municipality,
    };
    let e = given::<Umbrella>([umbrella_created(Visibility::Public), added.clone()])
        .when(add(it(), own(Access::Full)))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.field(), Some("process"));
    given::<Umbrella>([umbrella_created(Visibility::Public), added.clone()])
        .when(U::Remove {
            by: it(),
            process: OWN,
        })
        .then_events([UE::UmbrellaMemberRemoved { process: OWN }]);
    let e = given::<Umbrella>([umbrella_created(Visibility::Public)])
        .when(U::Remove {
            by: it(),
            process: OWN,
        })
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.field(), Some("process"));
    let state = given::<Umbrella>([
        umbrella_created(Visibility::Public),
        added,
        UE::UmbrellaMemberRemoved { process: OWN },
    ])
    .when(add(it(), own(Access::Full)))
    .then_state();
    assert_eq!(
        state.0.unwrap().members.len(),
        1,
        "added again after removal"
    );
}

#[test]
fn only_it_portfolio_of_the_umbrellas_municipality_changes_its_members() {
    given::<Umbrella>([umbrella_created(Visibility::Public)])
        .when(add(colleague(), own(Access::Full)))
        .then_error(ErrorCode::Forbidden);
    given::<Umbrella>([umbrella_created(Visibility::Public)])
        .when(add(partner(), theirs(Access::Full)))
        .then_error(ErrorCode::Forbidden);
    given::<Umbrella>([])
        .when(add(it(), own(Access::Full)))
        .then_error(ErrorCode::NotFound);
}

#[test]
fn an_umbrella_is_read_by_the_read_rule_of_processes() {
    let umbrella = |visibility| {
        Umbrella::from_events(&[umbrella_created(visibility)])
            .0
            .unwrap()
    };
    let partner_in_network = Viewer {
        principal: partner(),
        network_partners: [it().municipality].into_iter().collect(),
    };
    let see = |visibility, viewer: &Viewer| umbrella(visibility).access(viewer);
    use Visibility::{Municipality, Network, Private, Public};
    assert_eq!(see(Private, &Viewer::new(it())), Access::Full);
    assert_eq!(see(Private, &Viewer::new(colleague())), Access::None);
    assert_eq!(see(Municipality, &Viewer::new(colleague())), Access::Full);
    assert_eq!(see(Municipality, &partner_in_network), Access::None);
    assert_eq!(see(Network, &Viewer::new(partner())), Access::None);
    assert_eq!(see(Network, &partner_in_network), Access::Partner);
    assert_eq!(see(Public, &Viewer::new(partner())), Access::Partner);
}

#[test]
fn every_umbrella_event_maps_to_its_contract_message_and_back() {
    round_trip(umbrella_created(Visibility::Network));
    round_trip(UE::UmbrellaCreated {
        id: UMBRELLA,
        municipality: it().municipality,
        title: super::values::Title::parse("title", "Sygedagpenge").unwrap(),
        description: Some(text("Robotter til sygedagpenge")),
        visibility: Visibility::Private,
        created_by: it().user,
    });
    round_trip(UE::UmbrellaMemberAdded {
        process: THEIRS,
        municipality: partner().municipality,
    });
    round_trip(UE::UmbrellaMemberRemoved { process: THEIRS });
    assert!(UE::decode("UmbrellaCreated", &[]).is_err(), "no title");
}
