//! The `Application` aggregate: an application to a round of a fund, from its draft
//! (`DRAFT`, edited by its applicants and whoever drafted it) through submission
//! (`SUBMITTED`, refused naming every rule it fails), review (`IN_REVIEW` from the first
//! assigned reviewer; each reviewer's latest review counts) and the council's decision
//! (`APPROVED`, `PARTIALLY_APPROVED`, `REJECTED`), or `WITHDRAWN` before it; a granted
//! project then reports its progress. The decision is the one rule that spans two
//! aggregates: [`Application::decide_with_period`] decides the application and commits the
//! grant against its period ([`super::period`]) in one go, so that both streams are
//! appended in one transaction.
//!
//! Its commands carry the contract's messages as they came in, with the fund they apply to
//! as it stands; `decide` validates them with the domain's values ([`super::values`]). Its
//! events map to and from the contract's messages in [`ApplicationEvent`]'s `DomainEvent`.

use chrono::NaiveDate;
use innohub_proto::innohub::common::v1::{self as common, RecordRef};
use innohub_proto::innohub::funding::v1 as pb;
use innohub_runtime::aggregate::{message, required as present};
use innohub_runtime::link;
use innohub_runtime::readable::Readable;
use innohub_runtime::{
    Access, Aggregate, Audience, DecodeError, DomainEvent, EncodedEvent, MunicipalityId, Principal,
    RecordLink, Role, UserId, Viewer, Visibility,
};
use prost::Name as _;
use prost_types::FieldMask;
use uuid::Uuid;

use super::fund::FundRecord;
use super::period::{FundPeriod, PeriodCommand, PeriodEvent};
use super::values::{
    self, ApplicationDetails, ApplicationStatus as Status, CouncilDecision, Decided,
    DecisionOutcome, DecisionRound, FundTerms, Money, ProgressReport, Review, SUMMARY, only_while,
    optional, require_member, require_role, status_name,
};
use crate::FundingError;

/// What can be asked of an application (its decision is [`DecideApplication`]).
#[derive(Debug, Clone)]
pub enum ApplicationCommand {
    /// Draft a new application. `id` is chosen by the caller (UUIDv7).
    Draft {
        /// New id.
        id: Uuid,
        /// An employee or an innovation lead of the fund's municipality.
        by: Principal,
        /// The fund applied to, as it stands.
        fund: FundRecord,
        /// The round of the fund, as requested.
        round_id: String,
        /// The details as far as they are known, as requested.
        details: pb::ApplicationDetails,
        /// The record it is for, if any (of the caller's municipality).
        origin: Option<RecordRef>,
    },
    /// Change the details that `mask` names.
    Update {
        /// An applicant or whoever drafted it.
        by: Principal,
        /// The fund applied to, as it stands.
        fund: FundRecord,
        /// The new values of the named fields.
        details: pb::ApplicationDetails,
        /// The fields to change.
        mask: FieldMask,
    },
    /// Submit the draft to its round.
    Submit {
        /// An applicant or whoever drafted it.
        by: Principal,
        /// The fund applied to, as it stands.
        fund: FundRecord,
        /// The day it is submitted on.
        today: NaiveDate,
    },
    /// Withdraw it before it is decided.
    Withdraw {
        /// An applicant or whoever drafted it.
        by: Principal,
        /// Why, as requested.
        reason: String,
    },
    /// Assign a reviewer.
    AssignReviewer {
        /// A fund manager.
        by: Principal,
        /// The reviewer's user id, as requested.
        reviewer: String,
    },
    /// Review it (again).
    Review {
        /// An assigned fund reviewer.
        by: Principal,
        /// The fund applied to, as it stands (its criteria).
        fund: FundRecord,
        /// The review, as requested.
        review: pb::Review,
    },
    /// Record a progress report of the granted project.
    ReportProgress {
        /// An applicant, whoever drafted it, or a fund manager.
        by: Principal,
        /// New id (UUIDv7).
        report_id: Uuid,
        /// The report, as requested (`reported_by` is the caller).
        report: pb::ProgressReport,
    },
}

/// Record the council's decision on an application: with
/// [`Application::decide_with_period`] only, which commits a grant against its period too.
#[derive(Debug, Clone)]
pub struct DecideApplication {
    /// A fund manager.
    pub by: Principal,
    /// The fund applied to, as it stands (the round's period, the currency).
    pub fund: FundRecord,
    /// The deciding round, as requested (the application's).
    pub round_id: String,
    /// The decision (never UNSPECIFIED: the adapter refuses that).
    pub outcome: DecisionOutcome,
    /// For PARTIALLY_APPROVED: the amount granted, as requested.
    pub amount: Option<common::Money>,
    /// Conditions of the grant, as requested.
    pub conditions: String,
    /// Why, as requested.
    pub rationale: String,
}

/// What happened to an application.
#[derive(Debug, Clone, PartialEq)]
pub enum ApplicationEvent {
    /// It was drafted.
    ApplicationDrafted {
        /// Its id.
        id: Uuid,
        /// The applicants' municipality (the fund's).
        municipality: MunicipalityId,
        /// The fund applied to.
        fund_id: Uuid,
        /// The round applied to.
        round_id: Uuid,
        /// What is applied for.
        details: ApplicationDetails,
        /// Who drafted it.
        drafted_by: UserId,
        /// The record it is for.
        origin: Option<RecordLink>,
    },
    /// The draft was edited; holds the details in full.
    ApplicationDetailsChanged {
        /// The details after the change.
        details: ApplicationDetails,
    },
    /// It was submitted.
    ApplicationSubmitted {
        /// Who submitted it.
        submitted_by: UserId,
        /// The day.
        date: NaiveDate,
        /// The details as submitted.
        details: ApplicationDetails,
    },
    /// A reviewer was assigned.
    ApplicationReviewerAssigned {
        /// The reviewer.
        reviewer: UserId,
        /// The fund manager who assigned them.
        assigned_by: UserId,
    },
    /// An assigned reviewer reviewed it, replacing their earlier review.
    ApplicationReviewed {
        /// The reviewer.
        reviewer: UserId,
        /// The review.
        review: Review,
    },
    /// The council decided it.
    ApplicationDecided(CouncilDecision),
    /// It was withdrawn.
    ApplicationWithdrawn {
        /// Who withdrew it.
        withdrawn_by: UserId,
        /// Why (`""`: not said).
        reason: String,
    },
    /// The granted project reported its progress.
    ProgressReported {
        /// The report's id.
        report_id: Uuid,
        /// The report.
        report: ProgressReport,
    },
}

impl DomainEvent for ApplicationEvent {
    fn encode(&self) -> EncodedEvent {
        use ApplicationEvent as E;
        match self {
            E::ApplicationDrafted {
                id,
                municipality,
                fund_id,
                round_id,
                details,
                drafted_by,
                origin,
            } => EncodedEvent::of(&pb::ApplicationDrafted {
                application_id: id.to_string(),
                municipality: municipality.to_string(),
                fund_id: fund_id.to_string(),
                round_id: round_id.to_string(),
                details: Some(details.into()),
                drafted_by: drafted_by.to_string(),
                origin: origin.as_ref().map(RecordRef::from),
            }),
            E::ApplicationDetailsChanged { details } => {
                EncodedEvent::of(&pb::ApplicationDetailsChanged {
                    details: Some(details.into()),
                })
            }
            E::ApplicationSubmitted {
                submitted_by,
                date,
                details,
            } => EncodedEvent::of(&pb::ApplicationSubmitted {
                submitted_by: submitted_by.to_string(),
                date: date.to_string(),
                details: Some(details.into()),
            }),
            E::ApplicationReviewerAssigned {
                reviewer,
                assigned_by,
            } => EncodedEvent::of(&pb::ApplicationReviewerAssigned {
                reviewer: reviewer.to_string(),
                assigned_by: assigned_by.to_string(),
            }),
            E::ApplicationReviewed { reviewer, review } => {
                EncodedEvent::of(&pb::ApplicationReviewed {
                    reviewer: reviewer.to_string(),
                    review: Some(review.into()),
                })
            }
            E::ApplicationDecided(decision) => {
                EncodedEvent::of(&pb::ApplicationDecided::from(decision))
            }
            E::ApplicationWithdrawn {
                withdrawn_by,
                reason,
            } => EncodedEvent::of(&pb::ApplicationWithdrawn {
                withdrawn_by: withdrawn_by.to_string(),
                reason: reason.clone(),
            }),
            E::ProgressReported { report_id, report } => EncodedEvent::of(&pb::ProgressReported {
                report_id: report_id.to_string(),
                report: Some(report.into()),
            }),
        }
    }

    fn decode(event_type: &str, payload: &[u8]) -> Result<Self, DecodeError> {
        use ApplicationEvent as E;
        Ok(match event_type {
            pb::ApplicationDrafted::NAME => {
                let m: pb::ApplicationDrafted = message(payload)?;
                E::ApplicationDrafted {
                    id: values::id("applicationId", &m.application_id)?,
                    municipality: MunicipalityId::parse(&m.municipality).map_err(DecodeError)?,
                    fund_id: values::id("fundId", &m.fund_id)?,
                    round_id: values::id("roundId", &m.round_id)?,
                    details: present(m.details, "details")?.try_into()?,
                    drafted_by: values::user("draftedBy", &m.drafted_by)?,
                    origin: link::stored_origin(m.origin.as_ref())?,
                }
            }
            pb::ApplicationDetailsChanged::NAME => {
                let m: pb::ApplicationDetailsChanged = message(payload)?;
                E::ApplicationDetailsChanged {
                    details: present(m.details, "details")?.try_into()?,
                }
            }
            pb::ApplicationSubmitted::NAME => {
                let m: pb::ApplicationSubmitted = message(payload)?;
                E::ApplicationSubmitted {
                    submitted_by: values::user("submittedBy", &m.submitted_by)?,
                    date: values::date("date", &m.date)?,
                    details: present(m.details, "details")?.try_into()?,
                }
            }
            pb::ApplicationReviewerAssigned::NAME => {
                let m: pb::ApplicationReviewerAssigned = message(payload)?;
                E::ApplicationReviewerAssigned {
                    reviewer: values::user("reviewer", &m.reviewer)?,
                    assigned_by: values::user("assignedBy", &m.assigned_by)?,
                }
            }
            pb::ApplicationReviewed::NAME => {
                let m: pb::ApplicationReviewed = message(payload)?;
                E::ApplicationReviewed {
                    reviewer: values::user("reviewer", &m.reviewer)?,
                    review: present(m.review, "review")?.try_into()?,
                }
            }
            pb::ApplicationDecided::NAME => {
                E::ApplicationDecided(message::<pb::ApplicationDecided>(payload)?.try_into()?)
            }
            pb::ApplicationWithdrawn::NAME => {
                let m: pb::ApplicationWithdrawn = message(payload)?;
                E::ApplicationWithdrawn {
                    withdrawn_by: values::user("withdrawnBy", &m.withdrawn_by)?,
                    reason: optional(SUMMARY, "reason", &m.reason)?,
                }
            }
            pb::ProgressReported::NAME => {
                let m: pb::ProgressReported = message(payload)?;
                E::ProgressReported {
                    report_id: values::id("reportId", &m.report_id)?,
                    report: present(m.report, "report")?.try_into()?,
                }
            }
            other => return Err(DecodeError(format!("no application event {other}"))),
        })
    }
}

/// A reviewer's latest review.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewBy {
    /// Who reviewed.
    pub reviewer: UserId,
    /// Their latest review.
    pub review: Review,
}

/// An application as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationRecord {
    id: Uuid,
    municipality: MunicipalityId,
    fund_id: Uuid,
    round_id: Uuid,
    details: ApplicationDetails,
    drafted_by: UserId,
    origin: Option<RecordLink>,
    status: Status,
    reviewers: Vec<UserId>,
    reviews: Vec<ReviewBy>,
    decision: Option<CouncilDecision>,
    reports: Vec<(Uuid, ProgressReport)>,
}

impl ApplicationRecord {
    /// Its id.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// The applicants' municipality (the fund's).
    pub fn municipality(&self) -> &MunicipalityId {
        &self.municipality
    }

    /// The fund applied to.
    pub fn fund_id(&self) -> Uuid {
        self.fund_id
    }

    /// The round applied to.
    pub fn round_id(&self) -> Uuid {
        self.round_id
    }

    /// What is applied for, as it reads now.
    pub fn details(&self) -> &ApplicationDetails {
        &self.details
    }

    /// Who drafted it.
    pub fn drafted_by(&self) -> &UserId {
        &self.drafted_by
    }

    /// The record it is for, if any.
    pub fn origin(&self) -> Option<&RecordLink> {
        self.origin.as_ref()
    }

    /// Where it stands.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The reviewers assigned, in the order assigned.
    pub fn reviewers(&self) -> &[UserId] {
        &self.reviewers
    }

    /// Each reviewer's latest review, in the order first reviewed.
    pub fn reviews(&self) -> &[ReviewBy] {
        &self.reviews
    }

    /// The council's decision, once made.
    pub fn decision(&self) -> Option<&CouncilDecision> {
        self.decision.as_ref()
    }

    /// The progress reports of the granted project, with their ids, oldest first.
    pub fn reports(&self) -> &[(Uuid, ProgressReport)] {
        &self.reports
    }

    /// Whether `user` is on the applicants' side: an applicant, or whoever drafted it
    /// ([`innohub_funding_rules::involves`]).
    pub fn involves(&self, user: &UserId) -> bool {
        innohub_funding_rules::involves(
            self.details.message(),
            self.drafted_by.as_str(),
            user.as_str(),
        )
    }

    /// Whether `principal` may learn who reviews it: everyone who may read it but its
    /// applicants' side, unless they are also a fund manager or reviewer of its
    /// municipality ([`innohub_funding_rules::shows_reviewers`]).
    pub fn shows_reviewers_to(&self, principal: &Principal) -> bool {
        innohub_funding_rules::shows_reviewers(
            self.details.message(),
            self.drafted_by.as_str(),
            innohub_funding_rules::Reader {
                user: principal.user.as_str(),
                member: principal.is_member_of(&self.municipality),
                fund_manager: principal.has(Role::FundManager),
                fund_reviewer: principal.has(Role::FundReviewer),
            },
        )
    }

    /// What `viewer` may see of it: its applicants' side and the fund managers of its
    /// municipality always; a draft no one else; once submitted, the fund reviewers too, and
    /// others by its visibility (partners redacted when it is shared with their network).
    pub fn access(&self, viewer: &Viewer) -> Access {
        let me = &viewer.principal;
        let submitted = self.status != Status::Draft;
        if me.is_member_of(&self.municipality)
            && (self.involves(&me.user)
                || me.has(Role::FundManager)
                || (submitted && me.has(Role::FundReviewer)))
        {
            return Access::Full;
        }
        if !submitted {
            return Access::None;
        }
        innohub_runtime::access::access(
            viewer,
            Audience {
                municipality: &self.municipality,
                visibility: self.details.visibility(),
                departments: &[],
                people: &[],
            },
        )
    }

    /// The year whose period holds the grant, for `by`, a fund manager of its municipality,
    /// to move its money (`what`): only a granted application has one.
    pub fn grant_year(&self, by: &Principal, what: &str) -> Result<i32, FundingError> {
        self.owned_by(by)?;
        require_role(by, &[Role::FundManager], what)?;
        self.only_while(
            &[Status::Approved, Status::PartiallyApproved],
            "money of a grant moves",
        )?;
        self.decision
            .as_ref()
            .map(CouncilDecision::year)
            .ok_or_else(|| {
                FundingError::Internal(format!("application {} has no decision", self.id))
            })
    }

    /// The record, if `by` is a member of its municipality: partners only read applications.
    fn owned_by(&self, by: &Principal) -> Result<&Self, FundingError> {
        require_member(by, &self.municipality, "applications")?;
        Ok(self)
    }

    /// `by` may do `what`, which is for the applicants' side.
    fn may_edit(&self, by: &Principal, what: &str) -> Result<(), FundingError> {
        if self.involves(&by.user) {
            Ok(())
        } else {
            Err(FundingError::Forbidden(format!(
                "{what} is for its applicants and whoever drafted it"
            )))
        }
    }

    /// `what` (e.g. "an application is submitted") may happen in one of `statuses` only.
    fn only_while(&self, statuses: &[Status], what: &str) -> Result<(), FundingError> {
        only_while("the application", self.status, statuses, status_name, what)
    }

    /// The round applied to, of `fund`.
    fn round<'f>(&self, fund: &'f FundRecord) -> Result<&'f DecisionRound, FundingError> {
        fund.round(self.round_id).ok_or_else(|| {
            FundingError::Internal(format!(
                "application {} names round {} that fund {} does not have",
                self.id,
                self.round_id,
                fund.id()
            ))
        })
    }
}

/// Every rule a submission of `details` to `round` of a fund with `terms` fails on `today`,
/// each naming its field: a summary, the fund's minimum of departments, an amount within
/// the fund's minimum and maximum, a cost plan that sums to it, the round's deadline.
fn unmet(
    details: &ApplicationDetails,
    terms: &FundTerms,
    round: &DecisionRound,
    today: NaiveDate,
) -> Vec<String> {
    let mut unmet = Vec::new();
    if details.summary().is_empty() {
        unmet.push("summary: is required to submit".to_owned());
    }
    let departments = details.departments().len();
    if departments < terms.min_departments() {
        unmet.push(format!(
            "departments: names {departments}, the fund asks for at least {}",
            terms.min_departments()
        ));
    }
    let (min, max) = (terms.min_grant(), terms.max_grant());
    match details.amount_requested() {
        None => unmet.push("amountRequested: is required to submit".to_owned()),
        Some(amount) => {
            if amount.checked_sub(min).is_none() || max.checked_sub(amount).is_none() {
                unmet.push(format!(
                    "amountRequested: {amount} is outside the fund's {min} to {max}"
                ));
            }
            match Money::sum(terms.currency(), details.costs().iter().copied()) {
                Some(total) if total == amount => {}
                Some(total) => unmet.push(format!(
                    "canvas.costPlan: sums to {total}, not the amount requested {amount}"
                )),
                None => unmet.push(format!(
                    "canvas.costPlan: does not sum to the amount requested {amount}"
                )),
            }
        }
    }
    if today > round.deadline() {
        unmet.push(format!(
            "the round's application deadline {} has passed",
            round.deadline()
        ));
    }
    unmet
}

/// The aggregate: `None` until drafted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Application(pub Option<ApplicationRecord>);

impl Application {
    fn existing(&self) -> Result<&ApplicationRecord, FundingError> {
        self.0.as_ref().ok_or(FundingError::NotFound)
    }

    /// Record the council's decision on this application, IN_REVIEW, in the round it
    /// applied to: APPROVED grants the amount requested, PARTIALLY_APPROVED less than it
    /// (more than nothing), REJECTED nothing. A grant is committed against `period` (the
    /// fund's year of the round's council date) and refused when the period has no budget
    /// or the grant does not fit what remains of it. The events of both aggregates are
    /// appended together, each stream at the version they were decided on.
    pub fn decide_with_period(
        &self,
        period: &FundPeriod,
        d: DecideApplication,
    ) -> Result<(Vec<ApplicationEvent>, Vec<PeriodEvent>), FundingError> {
        let r = self.existing()?.owned_by(&d.by)?;
        require_role(&d.by, &[Role::FundManager], "deciding an application")?;
        r.only_while(&[Status::InReview], "an application is decided")?;
        if Uuid::parse_str(d.round_id.trim()).ok() != Some(r.round_id) {
            return Err(FundingError::invalid(
                "roundId",
                format!("must be the application's round {}", r.round_id),
            ));
        }
        let year = r.round(&d.fund)?.year();
        let currency = d.fund.terms().currency();
        let requested = r.details.amount_requested().ok_or_else(|| {
            FundingError::Internal(format!("submitted application {} asks for nothing", r.id))
        })?;
        let approved = match d.outcome {
            DecisionOutcome::Approved => requested,
            DecisionOutcome::PartiallyApproved => {
                let amount = Money::required("amount", d.amount.as_ref())?
                    .in_currency("amount", currency)?
                    .positive("amount")?;
                if requested.checked_sub(amount).is_none_or(Money::is_zero) {
                    return Err(FundingError::invalid(
                        "amount",
                        format!("must be less than the amount requested {requested}"),
                    ));
                }
                amount
            }
            DecisionOutcome::Rejected | DecisionOutcome::Unspecified => Money::zero(currency),
        };
        let decision = CouncilDecision::new(Decided {
            round_id: r.round_id,
            outcome: d.outcome,
            approved,
            conditions: &d.conditions,
            rationale: &d.rationale,
            decided_by: d.by.user.clone(),
            year,
        })?;
        let committed = if decision.grants() {
            period.decide(PeriodCommand::Commit {
                by: d.by,
                application_id: r.id,
                round_id: r.round_id,
                amount: approved,
                year,
            })?
        } else {
            Vec::new()
        };
        Ok((
            vec![ApplicationEvent::ApplicationDecided(decision)],
            committed,
        ))
    }
}

impl Aggregate for Application {
    type Command = ApplicationCommand;
    type Event = ApplicationEvent;
    type Error = FundingError;
    const TYPE: &'static str = "application";

    fn decide(&self, command: ApplicationCommand) -> Result<Vec<ApplicationEvent>, FundingError> {
        use ApplicationCommand as C;
        use ApplicationEvent as E;
        match command {
            C::Draft {
                id,
                by,
                fund,
                round_id,
                details,
                origin,
            } => {
                if self.0.is_some() {
                    return Err(FundingError::Rule(format!(
                        "application {id} already exists"
                    )));
                }
                require_member(&by, fund.municipality(), "funds")?;
                require_role(
                    &by,
                    &[Role::Employee, Role::InnovationLead],
                    "drafting an application",
                )?;
                let (round_id, _) = fund.named_round("roundId", &round_id)?;
                let details = ApplicationDetails::requested(details)?;
                details.in_currency(fund.terms().currency())?;
                let origin = link::origin(
                    origin.as_ref(),
                    &by.municipality,
                    "an application is born from",
                )?;
                Ok(vec![E::ApplicationDrafted {
                    id,
                    municipality: by.municipality,
                    fund_id: fund.id(),
                    round_id,
                    details,
                    drafted_by: by.user,
                    origin,
                }])
            }
            C::Update {
                by,
                fund,
                details,
                mask,
            } => {
                let r = self.existing()?.owned_by(&by)?;
                r.may_edit(&by, "changing an application")?;
                r.only_while(&[Status::Draft], "the details are changed")?;
                let details = r.details.updated(&details, &mask)?;
                details.in_currency(fund.terms().currency())?;
                Ok(if details == r.details {
                    vec![]
                } else {
                    vec![E::ApplicationDetailsChanged { details }]
                })
            }
            C::Submit { by, fund, today } => {
                let r = self.existing()?.owned_by(&by)?;
                r.may_edit(&by, "submitting an application")?;
                r.only_while(&[Status::Draft], "an application is submitted")?;
                let unmet = unmet(&r.details, fund.terms(), r.round(&fund)?, today);
                if !unmet.is_empty() {
                    return Err(FundingError::Rule(format!(
                        "the application cannot be submitted: {}",
                        unmet.join("; ")
                    )));
                }
                Ok(vec![E::ApplicationSubmitted {
                    submitted_by: by.user,
                    date: today,
                    details: r.details.clone(),
                }])
            }
            C::Withdraw { by, reason } => {
                let r = self.existing()?.owned_by(&by)?;
                r.may_edit(&by, "withdrawing an application")?;
                r.only_while(
                    &[Status::Draft, Status::Submitted, Status::InReview],
                    "an application is withdrawn",
                )?;
                Ok(vec![E::ApplicationWithdrawn {
                    withdrawn_by: by.user,
                    reason: optional(SUMMARY, "reason", &reason)?,
                }])
            }
            C::AssignReviewer { by, reviewer } => {
                let r = self.existing()?.owned_by(&by)?;
                require_role(&by, &[Role::FundManager], "assigning a reviewer")?;
                r.only_while(
                    &[Status::Submitted, Status::InReview],
                    "a reviewer is assigned",
                )?;
                let reviewer = values::user("reviewer", &reviewer)?;
                if r.involves(&reviewer) {
                    return Err(FundingError::invalid(
                        "reviewer",
                        "an applicant, or whoever drafted the application, may not review it",
                    ));
                }
                Ok(if r.reviewers.contains(&reviewer) {
                    vec![]
                } else {
                    vec![E::ApplicationReviewerAssigned {
                        reviewer,
                        assigned_by: by.user,
                    }]
                })
            }
            C::Review { by, fund, review } => {
                let r = self.existing()?.owned_by(&by)?;
                require_role(&by, &[Role::FundReviewer], "reviewing an application")?;
                if !r.reviewers.contains(&by.user) {
                    return Err(FundingError::Forbidden(
                        "only a reviewer assigned to the application reviews it".into(),
                    ));
                }
                r.only_while(&[Status::InReview], "an application is reviewed")?;
                let review = Review::try_from(review)?;
                review.check(fund.terms().criteria())?;
                let unchanged = r
                    .reviews
                    .iter()
                    .any(|earlier| earlier.reviewer == by.user && earlier.review == review);
                Ok(if unchanged {
                    vec![]
                } else {
                    vec![E::ApplicationReviewed {
                        reviewer: by.user,
                        review,
                    }]
                })
            }
            C::ReportProgress {
                by,
                report_id,
                report,
            } => {
                let r = self.existing()?.owned_by(&by)?;
                if !(r.involves(&by.user) || by.has(Role::FundManager)) {
                    return Err(FundingError::Forbidden(
                        "recording a progress report is for the application's applicants, \
                         whoever drafted it and fund managers"
                            .into(),
                    ));
                }
                r.only_while(
                    &[Status::Approved, Status::PartiallyApproved],
                    "progress is reported",
                )?;
                let report = ProgressReport::try_from(pb::ProgressReport {
                    reported_by: by.user.to_string(),
                    ..report
                })?;
                if let (Some(spent), Some(decision)) = (report.spent(), &r.decision) {
                    spent.in_currency("report.spent", decision.approved().currency())?;
                }
                Ok(vec![E::ProgressReported { report_id, report }])
            }
        }
    }

    fn evolve(self, event: &ApplicationEvent) -> Self {
        use ApplicationEvent as E;
        if let E::ApplicationDrafted {
            id,
            municipality,
            fund_id,
            round_id,
            details,
            drafted_by,
            origin,
        } = event
        {
            return Application(Some(ApplicationRecord {
                id: *id,
                municipality: municipality.clone(),
                fund_id: *fund_id,
                round_id: *round_id,
                details: details.clone(),
                drafted_by: drafted_by.clone(),
                origin: origin.clone(),
                status: Status::Draft,
                reviewers: Vec::new(),
                reviews: Vec::new(),
                decision: None,
                reports: Vec::new(),
            }));
        }
        let Some(mut r) = self.0 else {
            return self;
        };
        match event {
            E::ApplicationDrafted { .. } => {}
            E::ApplicationDetailsChanged { details } => r.details = details.clone(),
            E::ApplicationSubmitted { .. } => r.status = Status::Submitted,
            E::ApplicationReviewerAssigned { reviewer, .. } => {
                if !r.reviewers.contains(reviewer) {
                    r.reviewers.push(reviewer.clone());
                }
                if r.status == Status::Submitted {
                    r.status = Status::InReview;
                }
            }
            E::ApplicationReviewed { reviewer, review } => {
                match r.reviews.iter_mut().find(|e| &e.reviewer == reviewer) {
                    Some(earlier) => earlier.review = review.clone(),
                    None => r.reviews.push(ReviewBy {
                        reviewer: reviewer.clone(),
                        review: review.clone(),
                    }),
                }
            }
            E::ApplicationDecided(decision) => {
                r.status = decision.status();
                r.decision = Some(decision.clone());
            }
            E::ApplicationWithdrawn { .. } => r.status = Status::Withdrawn,
            E::ProgressReported { report_id, report } => {
                r.reports.push((*report_id, report.clone()));
            }
        }
        Application(Some(r))
    }

    fn municipality(&self) -> Option<&MunicipalityId> {
        self.0.as_ref().map(|r| &r.municipality)
    }
}

/// An application is read by its read rule ([`ApplicationRecord::access`]): a draft is its
/// applicants' side's and the fund managers' only.
impl Readable for Application {
    fn visibility(&self) -> Option<Visibility> {
        self.0.as_ref().map(|r| match r.status {
            Status::Draft => Visibility::Private,
            _ => r.details.visibility(),
        })
    }

    fn access(&self, viewer: &Viewer) -> Access {
        self.0.as_ref().map_or(Access::None, |r| r.access(viewer))
    }
}
