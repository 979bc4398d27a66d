//! The GraphQL mirrors of the funding contract's messages and enums (`innohub.funding.v1`,
//! and the shared `Money` and `RecordRef` of `innohub.common.v1`): each message is one
//! GraphQL object that is also an input (`FundTerms` / `FundTermsInput`, `Money` /
//! `MoneyInput`, …) with the contract's fields of the same names, converted both ways by
//! `mirror!`; the enums by `contract_enum!`. The mutations (`funding_commands`) send them,
//! the queries (`funding`) show them, with [`ApplicationFilter`], the pipeline's filter.
//! Nullable fields are the contract's empty form (`""`, an empty list, UNSPECIFIED, an unset
//! message): no domain rule is checked here, the service validates what it is sent. Money is
//! integer minor units (`Int`), never a float.

use async_graphql::{Enum, ID, InputObject, SimpleObject};
use chrono::NaiveDate;
use innohub_projections::filter::ApplicationFilter as Filter;
use innohub_proto::innohub::funding::v1 as pb;

use super::ideas::filter_id;
use super::types::{Visibility, contract_enum, mirror, unknown};

/// The shared mirrors of `innohub.common.v1`.
pub use common::{Money, RecordRef};

contract_enum! {
    /// Where a fund application is: DRAFT → SUBMITTED → IN_REVIEW → APPROVED |
    /// PARTIALLY_APPROVED | REJECTED; WITHDRAWN before the decision.
    ApplicationStatus => ApplicationStatus {
        /// Being written; only its applicants, its drafter and the fund managers see it.
        Draft,
        /// Submitted to its round.
        Submitted,
        /// A reviewer is assigned.
        InReview,
        /// Granted as requested.
        Approved,
        /// Granted in part.
        PartiallyApproved,
        /// Not granted.
        Rejected,
        /// Withdrawn by its applicants.
        Withdrawn,
    }
}

contract_enum! {
    /// What the innovation council decided on an application.
    DecisionOutcome => DecisionOutcome {
        /// The amount requested is granted.
        Approved,
        /// Part of the amount requested is granted.
        PartiallyApproved,
        /// Nothing is granted.
        Rejected,
    }
}

mirror! {
    /// What a fund grants and on which terms. Every amount is in the fund's currency.
    FundTerms as "FundTermsInput" => FundTerms {
        /// At most 120 characters, e.g. "Helsingborg innovation fund". Required.
        name: String,
        /// What the fund is for.
        description: Option<String>,
        /// ISO 4217 currency of every amount of the fund, e.g. SEK. Required.
        currency: String,
        /// The smallest grant an application may ask for (above zero).
        min_grant: Option<Money>,
        /// The largest grant an application may ask for (not below the smallest).
        max_grant: Option<Money>,
        /// How many departments an application must name at least (1 or more).
        min_departments: u32,
        /// What reviewers score, each with its weight; at least one, names unique.
        criteria: Vec<FundCriterion>,
        /// Who sees the fund, its rounds and its ledger: PRIVATE is its fund managers and
        /// reviewers; NETWORK also partner municipalities. MUNICIPALITY when not given.
        visibility: Option<Visibility>,
    }
}

mirror! {
    /// One thing a fund's reviewers score, with its weight in the weighted score.
    FundCriterion as "FundCriterionInput" => Criterion {
        /// Unique within the fund, at most 80 characters, e.g. "Benefit for citizens".
        name: String,
        /// What reviewers should look at.
        description: Option<String>,
        /// 1 to 100.
        weight: u32,
    }
}

mirror! {
    /// A decision round of a fund: the innovation council's meeting; its grants are
    /// committed against the council date's year.
    DecisionRound as "DecisionRoundInput" => DecisionRound {
        /// Short name, e.g. "Spring council 2026". Required.
        title: String,
        /// The last day applications may be submitted, on or before the council date.
        application_deadline: Option<NaiveDate>,
        /// The day the council decides.
        council_date: Option<NaiveDate>,
    }
}

mirror! {
    /// What an application asks for. As an update, null fields keep their value (see
    /// `updateApplication`). For partners the applicants are null.
    ApplicationDetails as "ApplicationDetailsInput" => ApplicationDetails {
        /// At most 120 characters. Required.
        title: Option<String>,
        /// The pitch in a few sentences. Required to submit.
        summary: Option<String>,
        /// User ids of the applicants: at least one.
        applicants: Option<Vec<String>>,
        /// Departments taking part; at least the fund's minimum to submit.
        departments: Option<Vec<String>>,
        /// The amount applied for, in the fund's currency, within its smallest and largest
        /// grant and equal to the cost plan's sum to submit.
        amount_requested: Option<Money>,
        /// The innovation canvas.
        canvas: Option<Canvas>,
        /// The fund's checklist as the applicants answered it.
        checklist: Option<Vec<ChecklistItem>>,
        /// Who sees it once submitted: PRIVATE is its applicants and the fund's managers and
        /// reviewers; NETWORK also partners, without people. MUNICIPALITY when not given.
        visibility: Option<Visibility>,
    }
}

mirror! {
    /// The innovation canvas of an application; each text at most 4000 characters.
    Canvas as "CanvasInput" => Canvas {
        /// The need or problem.
        need: Option<String>,
        /// The proposed solution.
        solution: Option<String>,
        /// Who it is for.
        target_group: Option<String>,
        /// Organisations taking part.
        partners: Option<String>,
        /// The timeline of the project.
        timeline: Option<String>,
        /// What the money is spent on; the lines sum to the amount requested.
        cost_plan: Option<Vec<CostLine>>,
        /// The effects the project is expected to have.
        expected_effects: Option<String>,
    }
}

mirror! {
    /// One line of a cost plan.
    CostLine as "CostLineInput" => CostLine {
        /// What is bought, at most 200 characters.
        description: String,
        /// How much (above zero, in the fund's currency).
        amount: Option<Money>,
    }
}

mirror! {
    /// One item of an application's checklist.
    ChecklistItem as "ChecklistItemInput" => ChecklistItem {
        /// What is checked, e.g. "The department heads have agreed".
        item: String,
        /// Whether it holds.
        done: bool,
    }
}

mirror! {
    /// A review: a score for every criterion of the fund and a comment.
    Review as "ReviewInput" => Review {
        /// One score (1–5) for every criterion of the fund.
        scores: Vec<ReviewScore>,
        /// The reviewer's comment; null for partners.
        comment: Option<String>,
    }
}

mirror! {
    /// A reviewer's score of one criterion of the fund.
    ReviewScore as "ReviewScoreInput" => CriterionScore {
        /// The criterion's name.
        criterion: String,
        /// 1 (poor) to 5 (excellent).
        score: u32,
    }
}

mirror! {
    /// A progress report of a granted project.
    ProgressReport as "ProgressReportInput" => ProgressReport {
        /// The day it reports on. Required.
        date: Option<NaiveDate>,
        /// What was done and learnt, at most 4000 characters. Required.
        text: String,
        /// How much of the grant was spent so far, as the project reports it.
        spent: Option<Money>,
        /// Who reported (set by the service from the caller; ignored as input); null for
        /// partners.
        reported_by: Option<String>,
    }
}

/// `innohub.common.v1`: money and the general link between records of different services.
pub mod common {
    use async_graphql::{ComplexObject, InputObject, SimpleObject};
    use innohub_proto::innohub::common::v1 as pb;

    use super::super::types::mirror;

    mirror! {
        /// An amount of money: integer minor units (öre, øre, cent) of an ISO 4217 currency;
        /// 250 000 SEK is 25000000. Never a float.
        #[graphql(complex)]
        Money as "MoneyInput" => Money {
            /// The amount in the currency's minor units.
            minor_units: i64,
            /// ISO 4217 code, e.g. SEK. Required.
            currency: String,
        }
    }

    #[ComplexObject]
    impl Money {
        /// The amount in the currency's units, e.g. "250000.00 SEK" (integer arithmetic);
        /// null when it is not a valid amount.
        async fn formatted(&self) -> Option<String> {
            innohub_funding_rules::formatted(&pb::Money::from(self.clone()))
        }
    }

    mirror! {
        /// A record of any service: an idea, a pilot or a process.
        RecordRef as "RecordRefInput" => RecordRef {
            /// The service that owns it, e.g. ideas.
            context: String,
            /// Its kind in that service, e.g. idea.
            kind: String,
            /// Its id.
            id: String,
            /// Its municipality, e.g. SE-1283.
            municipality: String,
        }
    }
}

/// Narrows the applications of a pipeline.
#[derive(InputObject, Default)]
pub struct ApplicationFilter {
    /// Of this fund.
    fund: Option<ID>,
    /// Of this decision round.
    round: Option<ID>,
    /// With this status.
    status: Option<ApplicationStatus>,
}

impl ApplicationFilter {
    /// The read model's filter.
    pub(super) fn into_filter(self) -> async_graphql::Result<Filter> {
        Ok(Filter {
            fund: self
                .fund
                .map(|f| filter_id(&f, "filter.fund"))
                .transpose()?,
            round: self
                .round
                .map(|r| filter_id(&r, "filter.round"))
                .transpose()?,
            status: self.status.map(Into::into),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_go_to_graphql_and_back_unchanged() {
        // given details with money, a canvas with a cost plan, a checklist and an enum of
        // another package
        let sek = |minor_units| innohub_proto::innohub::common::v1::Money {
            minor_units,
            currency: "SEK".into(),
        };
        let details = pb::ApplicationDetails {
            title: "Digital trygghetslarm".into(),
            applicants: vec!["anna".into()],
            amount_requested: Some(sek(30_000_000_000)),
            canvas: Some(pb::Canvas {
                need: "Larm som inte når fram".into(),
                cost_plan: vec![pb::CostLine {
                    description: "Sensorer".into(),
                    amount: Some(sek(30_000_000_000)),
                }],
                ..pb::Canvas::default()
            }),
            checklist: vec![pb::ChecklistItem {
                item: "Förvaltningscheferna är överens".into(),
                done: true,
            }],
            visibility: innohub_proto::innohub::processes::v1::Visibility::Network as i32,
            ..pb::ApplicationDetails::default()
        };
        // when they become the GraphQL object and that the contract's message again
        let mirrored = ApplicationDetails::from(details.clone());
        // then nothing is lost (300 MSEK in öre is beyond 32 bits), and what is empty is null
        assert_eq!(
            mirrored.amount_requested.as_ref().map(|m| m.minor_units),
            Some(30_000_000_000)
        );
        assert!(mirrored.summary.is_none() && mirrored.departments.is_none());
        assert_eq!(pb::ApplicationDetails::from(mirrored), details);
    }
}
