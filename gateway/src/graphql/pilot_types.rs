//! The GraphQL mirrors of the pilots contract's messages and enums (`innohub.pilots.v1`,
//! and the shared benefit of `innohub.common.v1`): each message is one GraphQL object that
//! is also an input (`PilotPlan` / `PilotPlanInput`, …) with the contract's fields of the
//! same names, converted both ways by `mirror!`. The mutations (`pilot_commands`) send them,
//! the queries (`pilots`) show them. Nullable fields are the contract's empty form (`""`, an
//! empty list, UNSPECIFIED, an unset message): no domain rule is checked here, the service
//! validates what it is sent.

use async_graphql::{Enum, InputObject, SimpleObject};
use chrono::NaiveDate;
use innohub_proto::innohub::pilots::v1 as pb;

use super::types::{Visibility, contract_enum, mirror, unknown};

/// The shared benefit's mirrors; its enums and its indicator are in [`benefit`].
pub use benefit::{Benefit, Reading};

contract_enum! {
    /// Status of a pilot.
    PilotStatus => Status {
        /// Being planned; the plan may be incomplete.
        Planning,
        /// Running: observations, incidents and measurements are recorded.
        Running,
        /// Evaluated, awaiting the decision.
        Evaluating,
        /// Decided TO_OPERATION: the service runs in operation. Final.
        InOperation,
        /// Decided STOP. Final.
        Stopped,
        /// Decided BACK_TO_IDEATION. Final.
        BackToIdeation,
    }
}

contract_enum! {
    /// A decision on an evaluated pilot.
    PilotDecision => Decision {
        /// The service goes into operation.
        ToOperation,
        /// More trials, until a new end date: back to RUNNING.
        Extend,
        /// Stopped: it did not work (why is required).
        Stop,
        /// Back to ideation: the idea needs rethinking.
        BackToIdeation,
    }
}

contract_enum! {
    /// Whether a pilot's scope grows while it runs.
    ScopeGrowth => ScopeGrowth {
        /// The scope stays as planned.
        Fixed,
        /// The scope grows step by step during the pilot.
        Grows,
    }
}

contract_enum! {
    /// A kind of pilot participant.
    ParticipantKind => ParticipantKind {
        /// Those who receive the service (citizens, users).
        Users,
        /// Those who give it (the municipality's staff).
        Staff,
        /// Third parties (suppliers, other authorities, volunteers).
        ThirdParties,
    }
}

contract_enum! {
    /// A topic of a pilot's plan, as the roadmap names them; every one is filled before
    /// the pilot starts.
    PilotTopic => PilotTopic {
        /// Goals.
        Goals,
        /// Learning goals.
        LearningGoals,
        /// Scope: touchpoints or work processes, and whether it grows.
        Scope,
        /// Start and end dates.
        Dates,
        /// Participants and their recruitment.
        Participants,
        /// Information to participants.
        Information,
        /// Training.
        Training,
        /// Error handling.
        ErrorHandling,
        /// How benefits are measured.
        Measurement,
        /// How users and staff are observed.
        Observation,
        /// How findings are documented.
        Documentation,
        /// The responsible person.
        Responsible,
        /// Anchoring: who runs it afterwards.
        Anchoring,
    }
}

mirror! {
    /// The plan of a pilot: one field per topic of the roadmap; null is not set. Every topic
    /// is filled before the pilot starts. For partners people and departments are null.
    PilotPlan as "PilotPlanInput" => PilotPlan {
        /// At most 80 characters. Required.
        title: Option<String>,
        /// Departments of the owning municipality that run the pilot (at least one).
        departments: Option<Vec<String>>,
        /// Who may read it; MUNICIPALITY when not given.
        visibility: Option<Visibility>,
        /// What the pilot is to achieve.
        goals: Option<String>,
        /// What the municipality wants to learn from it.
        learning_goals: Option<String>,
        /// What the pilot covers.
        scope: Option<Scope>,
        /// First day of the run.
        start_date: Option<NaiveDate>,
        /// Last planned day of the run, not before the first.
        end_date: Option<NaiveDate>,
        /// Who takes part, by kind, and how they are recruited.
        participants: Option<Vec<Participants>>,
        /// How participants are informed.
        information: Option<String>,
        /// What training participants and staff need.
        training: Option<String>,
        /// How errors are handled during the pilot.
        error_handling: Option<String>,
        /// How the benefits are measured during the pilot.
        measurement: Option<String>,
        /// How users and staff are observed.
        observation: Option<String>,
        /// How findings are documented.
        documentation: Option<String>,
        /// The person responsible for the pilot (a user id of the municipality).
        responsible: Option<String>,
        /// Anchoring: the departments that will run the service afterwards.
        anchoring: Option<Vec<String>>,
    }
}

mirror! {
    /// What a pilot covers.
    Scope as "ScopeInput" => Scope {
        /// The touchpoints between the service and its users, e.g. "booking page".
        touchpoints: Option<Vec<String>>,
        /// The work processes included.
        work_processes: Option<Vec<String>>,
        /// The routines included.
        routines: Option<Vec<String>>,
        /// Whether the scope grows during the pilot.
        growth: Option<ScopeGrowth>,
    }
}

mirror! {
    /// One kind of participant of a pilot.
    Participants as "ParticipantsInput" => Participants {
        /// Who they are. Required.
        kind: Option<ParticipantKind>,
        /// Which of them, e.g. "home care users in Sotra north".
        description: String,
        /// How many are planned; 0 = not counted.
        count: u32,
        /// How they are recruited.
        recruitment: String,
    }
}

mirror! {
    /// What someone observed while the pilot ran; at least one of worked, stuck and joy.
    Observation as "ObservationInput" => Observation {
        /// Who observed (a user id or a name); null for partners.
        observer: Option<String>,
        /// The touchpoint observed.
        touchpoint: String,
        /// What worked.
        worked: Option<String>,
        /// Where people got stuck.
        stuck: Option<String>,
        /// What brought joy.
        joy: Option<String>,
        /// Links to photos or video (http or https addresses, at most 10).
        links: Option<Vec<String>>,
        /// The day it was observed. Required.
        date: Option<NaiveDate>,
    }
}

mirror! {
    /// Something that went wrong while the pilot ran, and how it was handled.
    Incident as "IncidentInput" => Incident {
        /// What happened.
        what: String,
        /// How it was handled.
        handling: String,
        /// The day it happened. Required.
        date: Option<NaiveDate>,
    }
}

mirror! {
    /// A rating of one evaluation question.
    Rating as "RatingInput" => Rating {
        /// 1 (poor) to 5 (very good).
        score: u32,
        /// What lies behind the score.
        notes: Option<String>,
    }
}

mirror! {
    /// The evaluation of a pilot through three lenses (people, organisation, technology)
    /// and a benefit review. Every rating is required.
    Evaluation as "EvaluationInput" => Evaluation {
        /// People: the users' experience.
        users_experience: Option<Rating>,
        /// People: the staff's experience.
        staff_experience: Option<Rating>,
        /// People: the touchpoints.
        touchpoints: Option<Rating>,
        /// Organisation: the flow of work.
        flow_of_work: Option<Rating>,
        /// Organisation: the value of each step.
        value_of_steps: Option<Rating>,
        /// Organisation: clear routines.
        routines: Option<Rating>,
        /// Organisation: roles and responsibilities.
        roles: Option<Rating>,
        /// Technology: works as intended.
        works_as_intended: Option<Rating>,
        /// Technology: meets the needs.
        meets_needs: Option<Rating>,
        /// Technology: stable and secure.
        stable_and_secure: Option<Rating>,
        /// Technology: integrates with other systems.
        integrates: Option<Rating>,
        /// The benefit review.
        benefit_review: Option<BenefitReview>,
    }
}

mirror! {
    /// The benefit review of an evaluation; every answer is required.
    BenefitReview as "BenefitReviewInput" => BenefitReview {
        /// Were the expected benefits realised?
        expected_realised: String,
        /// Were new benefits found?
        new_benefits: String,
        /// Should the cost estimate change?
        cost_estimate: String,
        /// How will the benefits be followed in operation?
        follow_up: String,
    }
}

mirror! {
    /// What a decision on a pilot rests on; every part is required.
    DecisionBasis as "DecisionBasisInput" => DecisionBasis {
        /// The final design of the service.
        final_design: String,
        /// The assessment of the benefits.
        benefit_assessment: String,
        /// A short recommendation.
        recommendation: String,
    }
}

/// Benefits (`innohub.common.v1`): what a change is expected to bring, measured against a
/// baseline; a pilot's today, a process's and a funded project's later.
pub mod benefit {
    use async_graphql::{Enum, InputObject, SimpleObject};
    use chrono::NaiveDate;
    use innohub_proto::innohub::common::v1 as pb;

    use super::super::types::{contract_enum, mirror, unknown};

    contract_enum! {
        /// The kind of a benefit.
        BenefitKind => BenefitKind {
            /// The organisation does the same with less (time, money).
            Efficiency,
            /// The service gets better.
            Quality,
            /// Someone outside the organisation gains (citizens, businesses, other
            /// authorities).
            BenefitToOthers,
        }
    }

    contract_enum! {
        /// What a benefit is counted as.
        BenefitCategory => BenefitCategory {
            /// Working time freed.
            TimeSaved,
            /// A cost that will not arise.
            CostAvoided,
            /// A cost that is no longer paid.
            CostSaved,
            /// New income.
            Revenue,
            /// Better quality, not counted in money.
            Quality,
        }
    }

    mirror! {
        /// One expected benefit with its indicator, baseline and target; a target below
        /// the baseline means lower is better.
        Benefit as "BenefitInput" => Benefit {
            /// At most 80 characters, e.g. "Hours spent on home-visit planning".
            title: String,
            /// What kind of benefit it is. Required.
            kind: Option<BenefitKind>,
            /// What it is counted as. Required.
            category: Option<BenefitCategory>,
            /// True if it is valued in money.
            priced: bool,
            /// Who gains it, e.g. "home care staff", "citizens".
            beneficiary: String,
            /// Who is responsible for realising it (a user id); null for partners.
            owner: Option<String>,
            /// How it is measured. Required.
            indicator: Option<Indicator>,
            /// Where the indicator stood before the change. Required.
            baseline: Option<Reading>,
            /// Where it should stand, and by when. Required.
            target: Option<Reading>,
        }
    }

    mirror! {
        /// How a benefit is measured.
        Indicator as "IndicatorInput" => Indicator {
            /// Unit of the values, e.g. "hours/week", "NOK", "%".
            unit: String,
            /// How a value is obtained, e.g. "time registration", "survey".
            method: String,
            /// How often it is measured, e.g. "weekly".
            frequency: String,
        }
    }

    mirror! {
        /// A value of an indicator on a day.
        Reading as "ReadingInput" => Reading {
            /// The value.
            value: f64,
            /// The day. Required.
            date: Option<NaiveDate>,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_goes_to_graphql_and_back_unchanged() {
        // given a plan with nested messages, lists and enums of two packages
        let plan = pb::PilotPlan {
            title: "Digitalt tilsyn".into(),
            departments: vec!["health".into()],
            visibility: innohub_proto::innohub::processes::v1::Visibility::Network as i32,
            scope: Some(pb::Scope {
                touchpoints: vec!["sensor".into()],
                growth: pb::ScopeGrowth::Grows as i32,
                ..pb::Scope::default()
            }),
            start_date: "2026-01-05".into(),
            participants: vec![pb::Participants {
                kind: pb::ParticipantKind::Staff as i32,
                description: "Nattpatruljen".into(),
                count: 9,
                recruitment: "Alle".into(),
            }],
            ..pb::PilotPlan::default()
        };
        // when it becomes the GraphQL object and that the contract's message again
        let mirrored = PilotPlan::from(plan.clone());
        // then nothing is lost, and what the plan leaves empty is null
        assert!(mirrored.visibility == Some(Visibility::Network));
        assert_eq!(mirrored.start_date, "2026-01-05".parse().ok());
        assert_eq!(mirrored.goals, None);
        assert_eq!(mirrored.anchoring, None);
        assert_eq!(pb::PilotPlan::from(mirrored), plan);
    }

    #[test]
    fn unspecified_enums_and_empty_messages_are_null() {
        // given a benefit with nothing set
        let empty = innohub_proto::innohub::common::v1::Benefit::default();
        // when it is mirrored
        let mirrored = Benefit::from(empty.clone());
        // then its enums and messages are null, and go back as the contract's empty form
        assert!(mirrored.kind.is_none() && mirrored.category.is_none());
        assert!(mirrored.indicator.is_none() && mirrored.baseline.is_none());
        assert_eq!(
            innohub_proto::innohub::common::v1::Benefit::from(mirrored),
            empty
        );
    }
}
