//! Every ideas rule as a given/when/then sentence, and the one mapping of every event to its
//! contract message and back.

use chrono::NaiveDate;
use innohub_proto::innohub::common::v1::RecordRef;
use innohub_proto::innohub::ideas::v1 as pb;
use innohub_proto::innohub::processes::v1::Visibility as PbVisibility;
use innohub_runtime::testing::{Breaks, day, given, golden_event, person, round_trip};
use innohub_runtime::{
    Access, Aggregate as _, DecodeError, DomainEvent, ErrorCode, MunicipalityId, Principal,
    RecordLink, Role, UserId, Viewer, Visibility,
};
use prost::Message as _;
use prost_types::FieldMask;
use uuid::Uuid;

use super::action_item::{ActionItem, ActionItemCommand as AC, ActionItemEvent as AE, ItemStatus};
use super::challenge::{Challenge, ChallengeCommand as CC, ChallengeDetails, ChallengeEvent as CE};
use super::criteria::{Criteria, CriteriaCommand, CriteriaEvent, IdeaCriteria, Scores};
use super::idea::{Idea, IdeaCommand as C, IdeaDetails, IdeaEvent as E, Person};
use super::values::{ChallengeStatus, Outcome, Stage};
use super::workshop::{Workshop, WorkshopCommand, WorkshopDetails, WorkshopEvent};
use crate::IdeasError;

const ID: Uuid = Uuid::from_u128(0x0195_d2c8_1a00_7b3e_9f21_3c4d_5e6f_7a8b);
const CHALLENGE: Uuid = Uuid::from_u128(0x0195_d2c8_0000_7000_8000_0000_0000_00c1);
const WORKSHOP: Uuid = Uuid::from_u128(0x0195_d2c8_0000_7000_8000_0000_0000_00e1);
const HOME: &str = "SE-1283";

fn today() -> NaiveDate {
    day("2026-06-15")
}

/// An employee of the municipality, in the department the ideas concern.
fn lena() -> Principal {
    person("lena", HOME, Some("bygg"), &[Role::Employee])
}
/// An employee of another department.
fn colleague() -> Principal {
    person("carl", HOME, Some("kultur"), &[Role::Employee])
}
fn lead() -> Principal {
    person("ivar", HOME, Some("innovation"), &[Role::InnovationLead])
}
fn admin() -> Principal {
    person("maja", HOME, None, &[Role::MunicipalityAdmin])
}
/// A reviewer named on the ideas.
fn reviewer() -> Principal {
    person("olof", HOME, Some("kultur"), &[Role::Employee])
}
fn partner() -> Principal {
    person(
        "pia",
        "DK-0706",
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

// ---------------------------------------------------------------------------------------
// Challenges
// ---------------------------------------------------------------------------------------

fn challenge_fields() -> pb::ChallengeDetails {
    pb::ChallengeDetails {
        title: "Färre samtal om bygglov".into(),
        description: "Hur svarar vi snabbare på vanliga frågor?".into(),
        owner: "ivar".into(),
        departments: vec!["bygg".into()],
        open_from: "2026-06-01".into(),
        open_to: "2026-06-30".into(),
    }
}

fn created(status: ChallengeStatus) -> CE {
    CE::ChallengeCreated {
        id: CHALLENGE,
        municipality: home(),
        details: challenge_fields().try_into().unwrap(),
        status,
        created_by: user(&lead()),
    }
}

fn create(by: Principal, details: pb::ChallengeDetails, draft: bool) -> CC {
    CC::Create {
        id: CHALLENGE,
        by,
        details,
        draft,
    }
}

#[test]
fn an_innovation_lead_creates_a_challenge_open_or_as_a_draft() {
    given::<Challenge>([])
        .when(create(lead(), challenge_fields(), false))
        .then_events([created(ChallengeStatus::Open)]);
    given::<Challenge>([])
        .when(create(lead(), challenge_fields(), true))
        .then_events([created(ChallengeStatus::Draft)]);
    given::<Challenge>([])
        .when(create(lena(), challenge_fields(), false))
        .then_error(ErrorCode::Forbidden);
    given::<Challenge>([created(ChallengeStatus::Open)])
        .when(create(lead(), challenge_fields(), false))
        .then_error(ErrorCode::BadUserInput);
}

#[test]
fn a_challenge_needs_a_title_a_description_and_open_dates_in_order() {
    let cases: [Breaks<pb::ChallengeDetails>; 6] = [
        (|d| d.title = "x".repeat(81), "title"),
        (|d| d.description = " ".into(), "description"),
        (|d| d.open_from.clear(), "openFrom"),
        (|d| d.open_to = "end of June".into(), "openTo"),
        (|d| d.open_to = "2026-05-31".into(), "openTo"),
        (|d| d.departments = vec!["".into()], "departments"),
    ];
    for (break_it, field) in cases {
        let mut d = challenge_fields();
        break_it(&mut d);
        let e = given::<Challenge>([])
            .when(create(lead(), d, false))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some(field), "{e}");
    }
    let e = ChallengeDetails::try_from(pb::ChallengeDetails {
        title: "x".repeat(81),
        ..challenge_fields()
    })
    .unwrap_err();
    assert_eq!(
        e,
        IdeasError::invalid("title", "must be at most 80 characters, got 81")
    );
}

#[test]
fn a_draft_is_opened_and_a_challenge_closed_once() {
    given::<Challenge>([created(ChallengeStatus::Draft)])
        .when(CC::Open { by: lead() })
        .then_events([CE::ChallengeOpened]);
    given::<Challenge>([created(ChallengeStatus::Open)])
        .when(CC::Open { by: lead() })
        .then_error(ErrorCode::BadUserInput);
    given::<Challenge>([created(ChallengeStatus::Draft)])
        .when(CC::Open { by: lena() })
        .then_error(ErrorCode::Forbidden);
    given::<Challenge>([created(ChallengeStatus::Draft)])
        .when(CC::Close {
            by: lead(),
            reason: " ".into(),
        })
        .then_events([CE::ChallengeClosed {
            reason: String::new(),
        }]);
    let closed = CE::ChallengeClosed {
        reason: "Enough ideas".into(),
    };
    given::<Challenge>([created(ChallengeStatus::Open)])
        .when(CC::Close {
            by: lead(),
            reason: " Enough ideas ".into(),
        })
        .then_events([closed.clone()]);
    given::<Challenge>([created(ChallengeStatus::Open), closed])
        .when(CC::Close {
            by: lead(),
            reason: String::new(),
        })
        .then_error(ErrorCode::BadUserInput);
    given::<Challenge>([])
        .when(CC::Open { by: lead() })
        .then_error(ErrorCode::NotFound);
}

#[test]
fn a_challenge_takes_ideas_only_when_open_and_within_its_dates() {
    let open = Challenge::from_events(&[created(ChallengeStatus::Open)])
        .0
        .unwrap();
    for d in ["2026-06-01", "2026-06-15", "2026-06-30"] {
        assert_eq!(open.takes_ideas(day(d)), Ok(()), "{d}");
    }
    for d in ["2026-05-31", "2026-07-01"] {
        assert!(open.takes_ideas(day(d)).is_err(), "{d}");
    }
    let draft = Challenge::from_events(&[created(ChallengeStatus::Draft)])
        .0
        .unwrap();
    assert!(draft.takes_ideas(today()).is_err());
    let closed = Challenge::from_events(&[
        created(ChallengeStatus::Open),
        CE::ChallengeClosed {
            reason: String::new(),
        },
    ])
    .0
    .unwrap();
    assert_eq!(
        closed.takes_ideas(today()),
        Err("the challenge is CLOSED: it takes no ideas".into())
    );
}

// ---------------------------------------------------------------------------------------
// Ideas: submission and update
// ---------------------------------------------------------------------------------------

/// A valid submission, kept to the municipality.
fn fields() -> pb::IdeaDetails {
    pb::IdeaDetails {
        title: "Chattbot för bygglovsfrågor".into(),
        need: "Handläggare svarar på samma frågor varje dag".into(),
        departments: vec!["bygg".into()],
        tags: vec!["AI".into()],
        driver: pb::Driver::IdeaDriven as i32,
        visibility: PbVisibility::Municipality as i32,
        reviewers: vec!["olof".into()],
        ..Default::default()
    }
}

fn details() -> IdeaDetails {
    IdeaDetails::requested(fields()).unwrap()
}

fn submitted() -> E {
    E::IdeaSubmitted {
        id: ID,
        municipality: home(),
        submitter: user(&lena()),
        details: details(),
    }
}

fn submit(by: Principal, details: pb::IdeaDetails, challenge: Challenge) -> C {
    C::Submit {
        id: ID,
        by,
        details,
        challenge,
        today: today(),
    }
}

fn update(by: Principal, patch: pb::IdeaDetails, paths: &[&str], challenge: Challenge) -> C {
    C::Update {
        by,
        details: patch,
        mask: FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        },
        challenge,
        today: today(),
    }
}

fn answering() -> pb::IdeaDetails {
    pb::IdeaDetails {
        challenge_id: CHALLENGE.to_string(),
        driver: pb::Driver::ChallengeDriven as i32,
        ..fields()
    }
}

#[test]
fn an_employee_submits_an_idea_kept_to_the_municipality_unless_said() {
    given::<Idea>([])
        .when(submit(lena(), fields(), Challenge::default()))
        .then_events([submitted()]);
    let unspecified = pb::IdeaDetails {
        visibility: 0,
        ..fields()
    };
    let idea = given::<Idea>([])
        .when(submit(lena(), unspecified, Challenge::default()))
        .then_state();
    let record = idea.0.unwrap();
    assert_eq!(record.stage(), Stage::Submitted);
    assert_eq!(record.details().visibility(), Visibility::Municipality);
    given::<Idea>([])
        .when(submit(admin(), fields(), Challenge::default()))
        .then_error(ErrorCode::Forbidden);
    given::<Idea>([submitted()])
        .when(submit(lena(), fields(), Challenge::default()))
        .then_error(ErrorCode::BadUserInput);
}

#[test]
fn submission_validates_every_field() {
    let cases: [Breaks<pb::IdeaDetails>; 10] = [
        (|d| d.title = "x".repeat(81), "title"),
        (|d| d.title.clear(), "title"),
        (|d| d.need = "\u{200b}".into(), "need"),
        (
            |d| d.proposed_solution = "\u{202e}gpj.exe".into(),
            "proposedSolution",
        ),
        (|d| d.departments.clear(), "departments"),
        (|d| d.tags = vec!["t".into(); 21], "tags"),
        (|d| d.tags = vec!["x".repeat(41)], "tags"),
        (|d| d.driver = 0, "driver"),
        (|d| d.visibility = 9, "visibility"),
        (|d| d.reviewers = vec![" ".into()], "reviewers"),
    ];
    for (break_it, field) in cases {
        let mut d = fields();
        break_it(&mut d);
        let e = given::<Idea>([])
            .when(submit(lena(), d, Challenge::default()))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some(field), "{e}");
    }
    let e = given::<Idea>([])
        .when(submit(
            lena(),
            pb::IdeaDetails {
                title: "x".repeat(81),
                ..fields()
            },
            Challenge::default(),
        ))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        e.to_string(),
        "title: must be at most 80 characters, got 81"
    );
}

#[test]
fn an_idea_answers_a_challenge_only_while_it_is_open_and_within_its_dates() {
    let open = Challenge::from_events(&[created(ChallengeStatus::Open)]);
    given::<Idea>([])
        .when(submit(lena(), answering(), open.clone()))
        .then_events([E::IdeaSubmitted {
            id: ID,
            municipality: home(),
            submitter: user(&lena()),
            details: IdeaDetails::requested(answering()).unwrap(),
        }]);
    let refused = |challenge: Challenge, today: NaiveDate| {
        given::<Idea>([])
            .when(C::Submit {
                id: ID,
                by: lena(),
                details: answering(),
                challenge,
                today,
            })
            .then_error(ErrorCode::BadUserInput)
    };
    let draft = Challenge::from_events(&[created(ChallengeStatus::Draft)]);
    let closed = Challenge::from_events(&[
        created(ChallengeStatus::Open),
        CE::ChallengeClosed {
            reason: String::new(),
        },
    ]);
    for (challenge, on) in [
        (draft, today()),
        (closed, today()),
        (open.clone(), day("2026-05-31")),
        (open.clone(), day("2026-07-01")),
    ] {
        let e = refused(challenge, on);
        assert_eq!(e.field(), Some("challengeId"), "{e}");
    }
    // A challenge that is not there, or is another municipality's, is no such challenge.
    let mut foreign = open.clone();
    if let Some(c) = foreign.0.as_mut() {
        c.municipality = partner().municipality;
    }
    for challenge in [Challenge::default(), foreign] {
        let e = refused(challenge, today());
        assert_eq!(e.to_string(), "challengeId: no such challenge");
    }
    let e = given::<Idea>([])
        .when(submit(
            lena(),
            pb::IdeaDetails {
                challenge_id: "42".into(),
                ..fields()
            },
            open,
        ))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.to_string(), "challengeId: no such challenge");
}

#[test]
fn the_submitter_or_an_innovation_lead_updates_and_nothing_else_changes() {
    let patch = pb::IdeaDetails {
        expected_value: "Kortare väntetid".into(),
        title: "ignored".into(),
        ..Default::default()
    };
    for by in [lena(), lead()] {
        let idea = given::<Idea>([submitted()])
            .when(update(
                by,
                patch.clone(),
                &["expected_value"],
                Challenge::default(),
            ))
            .then_state();
        let after = pb::IdeaDetails::from(idea.0.unwrap().details());
        assert_eq!(after.expected_value, "Kortare väntetid");
        assert_eq!(after.title, fields().title);
    }
    given::<Idea>([submitted()])
        .when(update(lena(), fields(), &["title"], Challenge::default()))
        .then_events([]);
    for by in [colleague(), partner()] {
        given::<Idea>([submitted()])
            .when(update(
                by,
                patch.clone(),
                &["expected_value"],
                Challenge::default(),
            ))
            .then_error(ErrorCode::Forbidden);
    }
    let e = given::<Idea>([submitted()])
        .when(update(
            lena(),
            patch.clone(),
            &["title"],
            Challenge::default(),
        ))
        .then_state();
    assert_eq!(
        pb::IdeaDetails::from(e.0.unwrap().details()).title,
        "ignored"
    );
    for (paths, field) in [(&["colour"][..], "updateMask"), (&["need"][..], "need")] {
        let e = given::<Idea>([submitted()])
            .when(update(lena(), patch.clone(), paths, Challenge::default()))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some(field), "{e}");
    }
}

#[test]
fn an_update_to_another_challenge_needs_it_open_but_keeping_one_does_not() {
    let open = Challenge::from_events(&[created(ChallengeStatus::Open)]);
    let closed = Challenge::from_events(&[
        created(ChallengeStatus::Open),
        CE::ChallengeClosed {
            reason: String::new(),
        },
    ]);
    let paths = ["challenge_id", "driver"];
    given::<Idea>([submitted()])
        .when(update(lena(), answering(), &paths, closed.clone()))
        .then_error(ErrorCode::BadUserInput);
    let answers = given::<Idea>([submitted()])
        .when(update(lena(), answering(), &paths, open))
        .then_state();
    let details = answers.0.unwrap().details().clone();
    assert_eq!(details.challenge(), Some(CHALLENGE));
    // Once the challenge closed, the idea's other details still change.
    let answered = E::IdeaSubmitted {
        id: ID,
        municipality: home(),
        submitter: user(&lena()),
        details,
    };
    given::<Idea>([answered])
        .when(update(
            lena(),
            pb::IdeaDetails {
                expected_value: "Mer tid".into(),
                ..answering()
            },
            &["expected_value", "challenge_id"],
            closed,
        ))
        .then_state();
}

// ---------------------------------------------------------------------------------------
// Ideas: gates
// ---------------------------------------------------------------------------------------

fn gate(to: Stage, likely_outcome: Option<Outcome>) -> C {
    C::DecideGate {
        by: lead(),
        to,
        rationale: "Decided at the board".into(),
        likely_outcome,
    }
}

fn decided(from: Stage, to: Stage, likely_outcome: Option<Outcome>) -> E {
    E::IdeaGateDecided {
        from,
        to,
        rationale: "Decided at the board".into(),
        decider: user(&lead()),
        likely_outcome,
    }
}

/// An idea walked forward to `stage`, its likely outcome judged at DESIGNING.
fn at(stage: Stage) -> Vec<E> {
    let order = [
        Stage::Submitted,
        Stage::Exploring,
        Stage::Designing,
        Stage::Piloting,
        Stage::Scaling,
        Stage::Implemented,
    ];
    let mut events = vec![submitted()];
    for pair in order.windows(2).take_while(|p| p[0] != stage) {
        let outcome = (pair[1] == Stage::Designing).then_some(Outcome::Procurement);
        events.push(decided(pair[0], pair[1], outcome));
    }
    events
}

#[test]
fn gates_move_forward_one_stage_at_a_time() {
    given::<Idea>([submitted()])
        .when(gate(Stage::Exploring, None))
        .then_events([decided(Stage::Submitted, Stage::Exploring, None)]);
    let e = given::<Idea>([submitted()])
        .when(gate(Stage::Designing, Some(Outcome::Partnership)))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        e.to_string(),
        "stages move forward one at a time: from SUBMITTED the next is EXPLORING"
    );
    given::<Idea>(at(Stage::Piloting))
        .when(gate(Stage::Exploring, None))
        .then_error(ErrorCode::BadUserInput);
    given::<Idea>(at(Stage::Piloting))
        .when(gate(Stage::Piloting, None))
        .then_error(ErrorCode::BadUserInput);
    let idea = given::<Idea>(at(Stage::Scaling))
        .when(gate(Stage::Implemented, None))
        .then_state();
    let idea = idea.0.unwrap();
    assert_eq!(idea.stage(), Stage::Implemented);
    assert_eq!(idea.likely_outcome(), Some(Outcome::Procurement));
}

#[test]
fn every_gate_needs_a_rationale() {
    for rationale in ["", "  \n"] {
        let e = given::<Idea>([submitted()])
            .when(C::DecideGate {
                by: lead(),
                to: Stage::Parked,
                rationale: rationale.into(),
                likely_outcome: None,
            })
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some("rationale"));
    }
}

#[test]
fn only_an_innovation_lead_of_the_municipality_decides_gates() {
    for by in [lena(), partner()] {
        given::<Idea>([submitted()])
            .when(C::DecideGate {
                by,
                to: Stage::Exploring,
                rationale: "Why not".into(),
                likely_outcome: None,
            })
            .then_error(ErrorCode::Forbidden);
    }
}

#[test]
fn the_likely_outcome_is_required_from_designing_unless_already_known() {
    let e = given::<Idea>(at(Stage::Exploring))
        .when(gate(Stage::Designing, None))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        e.to_string(),
        "likelyOutcome: is required for a move to DESIGNING"
    );
    given::<Idea>(at(Stage::Exploring))
        .when(gate(Stage::Designing, Some(Outcome::OwnDevelopment)))
        .then_events([decided(
            Stage::Exploring,
            Stage::Designing,
            Some(Outcome::OwnDevelopment),
        )]);
    // Known from DESIGNING on, a later gate need not judge it again, but may.
    given::<Idea>(at(Stage::Designing))
        .when(gate(Stage::Piloting, None))
        .then_events([decided(Stage::Designing, Stage::Piloting, None)]);
    let idea = given::<Idea>(at(Stage::Designing))
        .when(gate(Stage::Piloting, Some(Outcome::Partnership)))
        .then_state();
    assert_eq!(idea.0.unwrap().likely_outcome(), Some(Outcome::Partnership));
    // Parked before it was judged, it resumes to EXPLORING without one.
    let mut parked = at(Stage::Exploring);
    parked.push(decided(Stage::Exploring, Stage::Parked, None));
    given::<Idea>(parked)
        .when(gate(Stage::Exploring, None))
        .then_events([decided(Stage::Parked, Stage::Exploring, None)]);
}

#[test]
fn an_open_idea_is_parked_or_stopped_from_any_stage() {
    for stage in [
        Stage::Submitted,
        Stage::Exploring,
        Stage::Designing,
        Stage::Piloting,
        Stage::Scaling,
    ] {
        for to in [Stage::Parked, Stage::Stopped] {
            given::<Idea>(at(stage))
                .when(gate(to, None))
                .then_events([decided(stage, to, None)]);
        }
    }
    let mut parked = at(Stage::Exploring);
    parked.push(decided(Stage::Exploring, Stage::Parked, None));
    given::<Idea>(parked)
        .when(gate(Stage::Stopped, None))
        .then_events([decided(Stage::Parked, Stage::Stopped, None)]);
}

#[test]
fn a_parked_idea_resumes_only_to_the_stage_it_was_parked_in() {
    let mut parked = at(Stage::Piloting);
    parked.push(decided(Stage::Piloting, Stage::Parked, None));
    let e = given::<Idea>(parked.clone())
        .when(gate(Stage::Scaling, None))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        e.to_string(),
        "a parked idea resumes to PILOTING, the stage it was parked in"
    );
    given::<Idea>(parked.clone())
        .when(gate(Stage::Exploring, None))
        .then_error(ErrorCode::BadUserInput);
    given::<Idea>(parked.clone())
        .when(gate(Stage::Piloting, None))
        .then_events([decided(Stage::Parked, Stage::Piloting, None)]);
    // Resumed, it moves on from there, and parked again, it resumes there.
    parked.push(decided(Stage::Parked, Stage::Piloting, None));
    given::<Idea>(parked.clone())
        .when(gate(Stage::Scaling, None))
        .then_state();
    parked.push(decided(Stage::Piloting, Stage::Parked, None));
    given::<Idea>(parked)
        .when(gate(Stage::Piloting, None))
        .then_state();
}

#[test]
fn stopped_and_implemented_ideas_are_final() {
    let mut stopped = at(Stage::Designing);
    stopped.push(decided(Stage::Designing, Stage::Stopped, None));
    let mut implemented = at(Stage::Scaling);
    implemented.push(decided(Stage::Scaling, Stage::Implemented, None));
    for (history, from) in [(stopped, "STOPPED"), (implemented, "IMPLEMENTED")] {
        for to in [
            Stage::Parked,
            Stage::Stopped,
            Stage::Designing,
            Stage::Submitted,
        ] {
            let e = given::<Idea>(history.clone())
                .when(gate(to, Some(Outcome::Procurement)))
                .then_error(ErrorCode::BadUserInput);
            assert_eq!(e.to_string(), format!("the idea is {from}: that is final"));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Ideas: support and comments
// ---------------------------------------------------------------------------------------

fn supporter(p: &Principal) -> Person {
    Person {
        municipality: p.municipality.clone(),
        user: p.user.clone(),
    }
}

#[test]
fn one_support_per_person_per_idea_partners_too() {
    for by in [lena(), partner()] {
        given::<Idea>([submitted()])
            .when(C::Support { by: by.clone() })
            .then_events([E::IdeaSupported {
                supporter: supporter(&by),
            }]);
        let e = given::<Idea>([
            submitted(),
            E::IdeaSupported {
                supporter: supporter(&by),
            },
        ])
        .when(C::Support { by: by.clone() })
        .then_error(ErrorCode::BadUserInput);
        assert_eq!(
            e.to_string(),
            format!("{} already supports this idea", by.user)
        );
    }
    let idea = given::<Idea>([
        submitted(),
        E::IdeaSupported {
            supporter: supporter(&lena()),
        },
    ])
    .when(C::Support { by: colleague() })
    .then_state();
    assert_eq!(idea.0.unwrap().supporters().len(), 2);
}

#[test]
fn support_is_withdrawn_only_by_a_supporter_who_may_support_again() {
    let e = given::<Idea>([submitted()])
        .when(C::Withdraw { by: lena() })
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.to_string(), "lena does not support this idea");
    let supported = E::IdeaSupported {
        supporter: supporter(&lena()),
    };
    let withdrawn = E::IdeaSupportWithdrawn {
        supporter: supporter(&lena()),
    };
    given::<Idea>([submitted(), supported.clone()])
        .when(C::Withdraw { by: lena() })
        .then_events([withdrawn.clone()]);
    given::<Idea>([submitted(), supported.clone(), withdrawn])
        .when(C::Support { by: lena() })
        .then_events([supported]);
}

#[test]
fn anyone_who_can_read_an_idea_comments_with_text() {
    let comment_id = Uuid::from_u128(7);
    given::<Idea>([submitted()])
        .when(C::Comment {
            by: partner(),
            comment_id,
            text: " Hur? ".into(),
        })
        .then_events([E::IdeaCommented {
            comment_id,
            author: supporter(&partner()),
            text: "Hur?".into(),
        }]);
    given::<Idea>([submitted()])
        .when(C::Comment {
            by: lena(),
            comment_id,
            text: "\u{200b}".into(),
        })
        .then_error(ErrorCode::BadUserInput);
    given::<Idea>([])
        .when(C::Support { by: lena() })
        .then_error(ErrorCode::NotFound);
}

// ---------------------------------------------------------------------------------------
// Criteria and scores
// ---------------------------------------------------------------------------------------

fn criterion(name: &str, weight: u32, min: i32, max: i32, lower_is_better: bool) -> pb::Criterion {
    pb::Criterion {
        name: name.into(),
        weight,
        scale_min: min,
        scale_max: max,
        lower_is_better,
    }
}

fn criteria() -> Vec<pb::Criterion> {
    vec![
        criterion("Medborgarnytta", 3, 1, 5, false),
        criterion("Kostnad", 1, 0, 10, true),
    ]
}

fn criteria_set() -> CriteriaEvent {
    CriteriaEvent::IdeaCriteriaSet {
        municipality: home(),
        criteria: criteria().try_into().unwrap(),
    }
}

#[test]
fn a_municipality_admin_sets_the_criteria_and_the_same_again_changes_nothing() {
    given::<IdeaCriteria>([])
        .when(CriteriaCommand::Set {
            by: admin(),
            criteria: criteria(),
        })
        .then_events([criteria_set()]);
    given::<IdeaCriteria>([criteria_set()])
        .when(CriteriaCommand::Set {
            by: admin(),
            criteria: criteria(),
        })
        .then_events([]);
    given::<IdeaCriteria>([])
        .when(CriteriaCommand::Set {
            by: lead(),
            criteria: criteria(),
        })
        .then_error(ErrorCode::Forbidden);
}

#[test]
fn criteria_are_one_to_twenty_with_unique_names_weights_and_ordered_scales() {
    let many: Vec<_> = (0..21)
        .map(|i| criterion(&format!("c{i}"), 1, 1, 5, false))
        .collect();
    let cases: Vec<(Vec<pb::Criterion>, &str)> = vec![
        (vec![], "criteria"),
        (many, "criteria"),
        (
            vec![criterion(&"x".repeat(81), 1, 1, 5, false)],
            "criteria.name",
        ),
        (vec![criterion(" ", 1, 1, 5, false)], "criteria.name"),
        (
            vec![
                criterion("Kostnad", 1, 1, 5, false),
                criterion("kostnad ", 1, 1, 5, true),
            ],
            "criteria.name",
        ),
        (vec![criterion("Risk", 0, 1, 5, false)], "criteria.weight"),
        (vec![criterion("Risk", 101, 1, 5, false)], "criteria.weight"),
        (vec![criterion("Risk", 1, 5, 5, false)], "criteria.scaleMax"),
        (vec![criterion("Risk", 1, 5, 1, false)], "criteria.scaleMax"),
    ];
    for (criteria, field) in cases {
        let e = given::<IdeaCriteria>([])
            .when(CriteriaCommand::Set {
                by: admin(),
                criteria,
            })
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some(field), "{e}");
    }
    let twenty: Vec<_> = (0..20)
        .map(|i| criterion(&format!("c{i}"), 100, -3, 3, i % 2 == 0))
        .collect();
    given::<IdeaCriteria>([])
        .when(CriteriaCommand::Set {
            by: admin(),
            criteria: twenty,
        })
        .then_state();
}

fn value(criterion: &str, value: i32) -> pb::CriterionScore {
    pb::CriterionScore {
        criterion: criterion.into(),
        value,
    }
}

fn score(by: Principal, scores: Vec<pb::CriterionScore>) -> C {
    C::Score {
        by,
        scores,
        criteria: IdeaCriteria::from_events(&[criteria_set()]),
    }
}

#[test]
fn an_innovation_lead_or_a_named_reviewer_scores_every_criterion_within_its_scale() {
    // The lower-is-better "Kostnad" is scored on its own scale, 0 (best) to 10.
    let scores = vec![value("Medborgarnytta", 5), value("Kostnad", 0)];
    for by in [lead(), reviewer()] {
        given::<Idea>([submitted()])
            .when(score(by.clone(), scores.clone()))
            .then_events([E::IdeaScored {
                reviewer: by.user,
                scores: scores.clone().try_into().unwrap(),
            }]);
    }
    for by in [lena(), colleague(), partner()] {
        given::<Idea>([submitted()])
            .when(score(by, scores.clone()))
            .then_error(ErrorCode::Forbidden);
    }
}

#[test]
fn scores_are_refused_without_criteria_and_against_them() {
    let e = given::<Idea>([submitted()])
        .when(C::Score {
            by: lead(),
            scores: vec![value("Medborgarnytta", 3)],
            criteria: IdeaCriteria::default(),
        })
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.to_string(), "no criteria are set");
    let cases = [
        (
            vec![value("Medborgarnytta", 3)],
            "scores: \"Kostnad\" has no value",
        ),
        (
            vec![
                value("Medborgarnytta", 3),
                value("Kostnad", 2),
                value("Kostnad", 2),
            ],
            "scores: \"Kostnad\" is scored twice",
        ),
        (
            vec![
                value("Medborgarnytta", 3),
                value("Kostnad", 2),
                value("Risk", 2),
            ],
            "scores: there is no criterion \"Risk\"",
        ),
        (
            vec![value("Medborgarnytta", 6), value("Kostnad", 2)],
            "scores: \"Medborgarnytta\" is scored 1 to 5, got 6",
        ),
        (
            vec![value("Medborgarnytta", 1), value("Kostnad", -1)],
            "scores: \"Kostnad\" is scored 0 to 10, got -1",
        ),
        (
            vec![value("Medborgarnytta", 1), value("Kostnad", 11)],
            "scores: \"Kostnad\" is scored 0 to 10, got 11",
        ),
    ];
    for (scores, message) in cases {
        let e = given::<Idea>([submitted()])
            .when(score(lead(), scores))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.to_string(), message);
    }
}

// ---------------------------------------------------------------------------------------
// What an idea became
// ---------------------------------------------------------------------------------------

fn process_ref(municipality: &str) -> RecordRef {
    RecordRef {
        context: "processes".into(),
        kind: "process".into(),
        id: Uuid::from_u128(0x0195_0000_0000_7000_8000_0000_0000_0042).to_string(),
        municipality: municipality.into(),
    }
}

#[test]
fn an_outcome_is_linked_once_and_only_of_the_ideas_municipality() {
    let linked = E::IdeaOutcomeLinked {
        outcome: RecordLink::try_from(&process_ref(HOME)).unwrap(),
    };
    given::<Idea>([submitted()])
        .when(C::LinkOutcome {
            outcome: process_ref(HOME),
        })
        .then_events([linked.clone()]);
    let idea = given::<Idea>([submitted(), linked.clone()])
        .when(C::LinkOutcome {
            outcome: process_ref(HOME),
        })
        .then_state();
    assert_eq!(
        idea.0.unwrap().outcomes().len(),
        1,
        "the same link again changes nothing"
    );
    let e = given::<Idea>([submitted()])
        .when(C::LinkOutcome {
            outcome: process_ref("DK-0706"),
        })
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.field(), Some("outcome"));
    let e = given::<Idea>([submitted()])
        .when(C::LinkOutcome {
            outcome: RecordRef {
                id: "42".into(),
                ..process_ref(HOME)
            },
        })
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.field(), Some("outcome"));
    given::<Idea>([])
        .when(C::LinkOutcome {
            outcome: process_ref(HOME),
        })
        .then_error(ErrorCode::NotFound);
}

// ---------------------------------------------------------------------------------------
// The read rule of ideas
// ---------------------------------------------------------------------------------------

fn shared(visibility: PbVisibility) -> Vec<E> {
    vec![
        submitted(),
        E::IdeaDetailsChanged {
            details: IdeaDetails::requested(pb::IdeaDetails {
                visibility: visibility as i32,
                ..fields()
            })
            .unwrap(),
        },
    ]
}

#[test]
fn ideas_are_read_by_the_one_read_rule_with_reviewers_among_the_people() {
    let read = |visibility, viewer: Viewer| {
        Idea::from_events(&shared(visibility))
            .0
            .unwrap()
            .access(&viewer)
    };
    let private = PbVisibility::Private;
    let department_mate = person("dora", HOME, Some("bygg"), &[Role::Employee]);
    assert_eq!(read(private, Viewer::new(lena())), Access::Full);
    assert_eq!(read(private, Viewer::new(reviewer())), Access::Full);
    assert_eq!(read(private, Viewer::new(department_mate)), Access::Full);
    assert_eq!(read(private, Viewer::new(colleague())), Access::None);
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
// Workshops and action items
// ---------------------------------------------------------------------------------------

fn workshop_fields() -> pb::WorkshopDetails {
    pb::WorkshopDetails {
        title: "Idéverkstad bygglov".into(),
        date: "2026-06-10".into(),
        facilitator: "ivar".into(),
        participants: vec!["lena".into(), "olof".into()],
        challenge_id: CHALLENGE.to_string(),
        idea_ids: vec![ID.to_string()],
        summary: "Vi valde chattboten".into(),
        outcomes: vec!["En pilot till hösten".into()],
    }
}

fn recorded() -> WorkshopEvent {
    WorkshopEvent::WorkshopRecorded {
        id: WORKSHOP,
        municipality: home(),
        details: workshop_fields().try_into().unwrap(),
    }
}

#[test]
fn an_innovation_lead_records_a_workshop_once() {
    let record = |by| WorkshopCommand::Record {
        id: WORKSHOP,
        by,
        details: workshop_fields().try_into().unwrap(),
    };
    given::<Workshop>([])
        .when(record(lead()))
        .then_events([recorded()]);
    given::<Workshop>([])
        .when(record(lena()))
        .then_error(ErrorCode::Forbidden);
    given::<Workshop>([recorded()])
        .when(record(lead()))
        .then_error(ErrorCode::BadUserInput);
}

#[test]
fn a_workshop_needs_a_title_a_date_and_a_summary() {
    let cases: [Breaks<pb::WorkshopDetails>; 6] = [
        (|d| d.title.clear(), "title"),
        (|d| d.date = "June".into(), "date"),
        (|d| d.summary = " ".into(), "summary"),
        (|d| d.challenge_id = "c1".into(), "challengeId"),
        (|d| d.idea_ids = vec!["i1".into()], "ideaIds"),
        (|d| d.outcomes = vec!["x".repeat(201)], "outcomes"),
    ];
    for (break_it, field) in cases {
        let mut d = workshop_fields();
        break_it(&mut d);
        let e = WorkshopDetails::try_from(d).unwrap_err();
        assert_eq!(e.field(), Some(field), "{e}");
    }
}

const ITEM: Uuid = Uuid::from_u128(0x0195_d2c8_0000_7000_8000_0000_0000_00f1);

fn add(by: Principal, title: &str, owner: &str, deadline: &str) -> AC {
    AC::Add {
        id: ITEM,
        by,
        workshop: WORKSHOP,
        idea: Some(ID),
        title: title.into(),
        owner: owner.into(),
        deadline: deadline.into(),
    }
}

fn added() -> AE {
    AE::ActionItemAdded {
        id: ITEM,
        municipality: home(),
        workshop: WORKSHOP,
        idea: Some(ID),
        title: "Boka möte med IT".into(),
        owner: user(&lena()),
        deadline: day("2026-06-30"),
    }
}

#[test]
fn an_innovation_lead_adds_an_action_item_with_an_owner_and_a_deadline() {
    given::<ActionItem>([])
        .when(add(lead(), "Boka möte med IT", "lena", "2026-06-30"))
        .then_events([added()]);
    given::<ActionItem>([])
        .when(add(lena(), "Boka möte med IT", "lena", "2026-06-30"))
        .then_error(ErrorCode::Forbidden);
    for (title, owner, deadline, field) in [
        ("", "lena", "2026-06-30", "title"),
        (&*"x".repeat(201), "lena", "2026-06-30", "title"),
        ("Boka", " ", "2026-06-30", "owner"),
        ("Boka", "lena", "", "deadline"),
        ("Boka", "lena", "2026-02-30", "deadline"),
    ] {
        let e = given::<ActionItem>([])
            .when(add(lead(), title, owner, deadline))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some(field), "{e}");
    }
    let item = ActionItem::from_events(&[added()]).0.unwrap();
    assert_eq!(item.status, ItemStatus::Open);
}

#[test]
fn an_open_action_item_is_completed_or_dropped_with_a_reason_by_its_owner_or_a_lead() {
    for by in [lena(), lead()] {
        given::<ActionItem>([added()])
            .when(AC::Complete { by: by.clone() })
            .then_events([AE::ActionItemCompleted]);
        given::<ActionItem>([added()])
            .when(AC::Drop {
                by,
                reason: "Not needed".into(),
            })
            .then_events([AE::ActionItemDropped {
                reason: "Not needed".into(),
            }]);
    }
    given::<ActionItem>([added()])
        .when(AC::Complete { by: colleague() })
        .then_error(ErrorCode::Forbidden);
    let e = given::<ActionItem>([added()])
        .when(AC::Drop {
            by: lena(),
            reason: " ".into(),
        })
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.field(), Some("reason"));
    let dropped = AE::ActionItemDropped {
        reason: "Not needed".into(),
    };
    for closed in [AE::ActionItemCompleted, dropped] {
        given::<ActionItem>([added(), closed.clone()])
            .when(AC::Complete { by: lead() })
            .then_error(ErrorCode::BadUserInput);
        let e = given::<ActionItem>([added(), closed])
            .when(AC::Drop {
                by: lead(),
                reason: "Again".into(),
            })
            .then_error(ErrorCode::BadUserInput);
        assert!(e.to_string().contains("only an open one"), "{e}");
    }
    given::<ActionItem>([])
        .when(AC::Complete { by: lead() })
        .then_error(ErrorCode::NotFound);
}

// ---------------------------------------------------------------------------------------
// The one mapping between the events and the contract's messages
// ---------------------------------------------------------------------------------------

#[test]
fn every_event_maps_to_its_contract_message_and_back() {
    round_trip(created(ChallengeStatus::Draft));
    round_trip(CE::ChallengeOpened);
    round_trip(CE::ChallengeClosed {
        reason: "Enough".into(),
    });
    let everything = pb::IdeaDetails {
        proposed_solution: "A chatbot".into(),
        expected_value: "Time".into(),
        visibility: PbVisibility::Public as i32,
        ..answering()
    };
    for event in [
        submitted(),
        E::IdeaDetailsChanged {
            details: IdeaDetails::requested(everything).unwrap(),
        },
        decided(
            Stage::Exploring,
            Stage::Designing,
            Some(Outcome::Partnership),
        ),
        decided(Stage::Designing, Stage::Parked, None),
        E::IdeaSupported {
            supporter: supporter(&partner()),
        },
        E::IdeaSupportWithdrawn {
            supporter: supporter(&partner()),
        },
        E::IdeaCommented {
            comment_id: Uuid::from_u128(7),
            author: supporter(&partner()),
            text: "Hur?".into(),
        },
        E::IdeaScored {
            reviewer: user(&reviewer()),
            scores: Scores::try_from(vec![value("Medborgarnytta", 4), value("Kostnad", 9)])
                .unwrap(),
        },
        E::IdeaOutcomeLinked {
            outcome: RecordLink::try_from(&process_ref(HOME)).unwrap(),
        },
    ] {
        round_trip(event);
    }
    round_trip(criteria_set());
    round_trip(recorded());
    round_trip(added());
    round_trip(added_without_idea());
    round_trip(AE::ActionItemCompleted);
    round_trip(AE::ActionItemDropped {
        reason: "Not needed".into(),
    });
}

fn added_without_idea() -> AE {
    let AE::ActionItemAdded {
        id,
        municipality,
        workshop,
        title,
        owner,
        deadline,
        ..
    } = added()
    else {
        unreachable!()
    };
    AE::ActionItemAdded {
        id,
        municipality,
        workshop,
        idea: None,
        title,
        owner,
        deadline,
    }
}

#[test]
fn a_stored_event_that_breaks_a_rule_is_refused_not_misread() {
    let too_long = pb::IdeaSubmitted {
        idea_id: ID.to_string(),
        municipality: HOME.into(),
        submitter: "lena".into(),
        details: Some(pb::IdeaDetails {
            title: "x".repeat(81),
            ..fields()
        }),
    };
    assert_eq!(
        E::decode("IdeaSubmitted", &too_long.encode_to_vec()),
        Err(DecodeError(
            "title: must be at most 80 characters, got 81".into()
        ))
    );
    let no_rationale = pb::IdeaGateDecided {
        from: Stage::Submitted as i32,
        to: Stage::Exploring as i32,
        decider: "ivar".into(),
        ..Default::default()
    };
    assert!(E::decode("IdeaGateDecided", &no_rationale.encode_to_vec()).is_err());
    assert!(E::decode("IdeaSubmitted", &[]).is_err(), "no details");
    assert!(E::decode("IdeaSubmitted", b"\xff\xffnot protobuf").is_err());
    assert!(
        E::decode("ChallengeOpened", &[]).is_err(),
        "not an idea event"
    );
    assert!(AE::decode("ActionItemDropped", &[]).is_err(), "no reason");
    let closed = pb::ChallengeCreated {
        status: ChallengeStatus::Closed as i32,
        ..Default::default()
    };
    assert!(CE::decode("ChallengeCreated", &closed.encode_to_vec()).is_err());
    let none = pb::IdeaCriteriaSet {
        municipality: HOME.into(),
        criteria: vec![],
    };
    assert!(CriteriaEvent::decode("IdeaCriteriaSet", &none.encode_to_vec()).is_err());
    assert!(Criteria::try_from(vec![]).is_err());
}

#[test]
fn the_contracts_golden_samples_decode_into_the_domain() {
    let (aggregate_id, event) = golden_event::<E>(include_str!(
        "../../../../proto/tests/golden/idea_submitted.hex"
    ));
    let E::IdeaSubmitted {
        id,
        municipality,
        submitter,
        details,
    } = event
    else {
        panic!("not a submission");
    };
    assert_eq!(id.to_string(), aggregate_id);
    assert_eq!(
        (municipality.as_str(), submitter.as_str()),
        (HOME, "lena@helsingborg.se")
    );
    assert_eq!(details.visibility(), Visibility::Network);
    assert_eq!(details.challenge(), Some(CHALLENGE));
    assert_eq!(
        pb::IdeaDetails::from(&details).title,
        "Chattbot för bygglovsfrågor"
    );

    let (_, event) = golden_event::<E>(include_str!(
        "../../../../proto/tests/golden/idea_gate_decided.hex"
    ));
    assert_eq!(
        event,
        E::IdeaGateDecided {
            from: Stage::Exploring,
            to: Stage::Designing,
            rationale: "Behovet är bekräftat i två workshops".into(),
            decider: UserId::parse("lena@helsingborg.se").unwrap(),
            likely_outcome: Some(Outcome::Procurement),
        }
    );

    let (_, event) = golden_event::<E>(include_str!(
        "../../../../proto/tests/golden/idea_outcome_linked.hex"
    ));
    let E::IdeaOutcomeLinked { outcome } = event else {
        panic!("not a link");
    };
    assert!(outcome.is("processes", "process"));
    assert_eq!(outcome.municipality().as_str(), HOME);
}
