//! Validated domain values of the funding context and the checks they are built with, each
//! the ONE mapping of a contract message: `TryFrom<message>` with the domain's rules, naming
//! the input field it refuses (`"maxGrant: must be at least the minimum grant 250000.00
//! SEK"`), and `From<&value>` back. The same checks validate commands' input and stored
//! events on load, so no rule is written twice. What needs more than the message (an
//! amount in the fund's currency, a review against the fund's criteria) is checked by the
//! value's methods given the fund's terms.
//!
//! [`Money`] is integer minor units of an ISO 4217 [`Currency`]: amounts are added,
//! subtracted and compared as integers (checked), and shown as `250000.00 SEK` by integer
//! arithmetic (`innohub_funding_rules`, the format the views show too); no floating point
//! touches money. The contract's enums
//! (`ApplicationStatus`, `DecisionOutcome`) are the domain's too: [`outcome`] refuses what an
//! event may not hold.

use std::fmt;

use chrono::{Datelike as _, NaiveDate};
use innohub_proto::innohub::common::v1 as common;
use innohub_proto::innohub::funding::v1 as pb;
pub use innohub_proto::innohub::funding::v1::{ApplicationStatus, DecisionOutcome};
use innohub_proto::innohub::processes::v1 as processes;
pub use innohub_runtime::field::{
    date, list, only_while, optional, require_member, require_role, required, user, visibility,
    visibility_of,
};
use innohub_runtime::text::TextRule;
use innohub_runtime::{DepartmentId, UserId, Visibility, reflect};
use prost_types::FieldMask;
use uuid::Uuid;

use crate::FundingError;

/// A fund's name or an application's title: one line, at most 120 characters.
pub const NAME: TextRule = TextRule::new(120, false);
/// A round's title or a criterion's name: one line, at most 80 characters.
pub const TITLE: TextRule = TextRule::new(80, false);
/// One line: a cost line, a checklist item. At most 200 characters.
pub const LINE: TextRule = TextRule::new(200, false);
/// A note of a disbursement or a return: at most 400 characters.
pub const NOTE: TextRule = TextRule::new(400, true);
/// A summary, conditions, a reason: at most 2,000 characters.
pub const SUMMARY: TextRule = TextRule::new(2_000, true);
/// Free text (a description, the canvas, a comment, a rationale, a report): at most 4,000
/// characters.
pub const TEXT: TextRule = TextRule::new(4_000, true);

/// The most criteria a fund has.
pub const MAX_CRITERIA: usize = 20;
/// The most departments an application names (and the highest minimum a fund sets).
pub const MAX_DEPARTMENTS: usize = 20;
/// The most applicants an application names.
pub const MAX_APPLICANTS: usize = 20;
/// The most lines of a cost plan or a checklist.
pub const MAX_LINES: usize = 50;
/// The years a fund's period may be.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2999;

/// A period's year, named by `field`.
pub fn year(field: &'static str, raw: i32) -> Result<i32, FundingError> {
    if YEARS.contains(&raw) {
        Ok(raw)
    } else {
        Err(FundingError::invalid(
            field,
            format!(
                "must be a year from {} to {}, got {raw}",
                YEARS.start(),
                YEARS.end()
            ),
        ))
    }
}

/// A record id of a stored event.
pub fn id(field: &'static str, raw: &str) -> Result<Uuid, FundingError> {
    Uuid::parse_str(raw.trim()).map_err(|_| FundingError::invalid(field, "must be a UUID"))
}

/// A decision's outcome from the contract's wire value: unspecified or unknown is refused.
pub fn outcome(raw: i32) -> Result<DecisionOutcome, FundingError> {
    DecisionOutcome::try_from(raw)
        .ok()
        .filter(|o| *o != DecisionOutcome::Unspecified)
        .ok_or_else(|| {
            FundingError::invalid(
                "outcome",
                "must be APPROVED, PARTIALLY_APPROVED or REJECTED",
            )
        })
}

/// The name users see of a status, e.g. `IN_REVIEW`.
pub use innohub_funding_rules::status_name;

// ---------------------------------------------------------------------------------------
// Money
// ---------------------------------------------------------------------------------------

/// An ISO 4217 currency code: three capital letters, e.g. `SEK`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    /// `raw`, if it is three capital letters; else why not.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match *raw.as_bytes() {
            [a, b, c] if innohub_funding_rules::is_currency_code(raw) => Ok(Self([a, b, c])),
            _ => Err(format!(
                "{raw:?} is not an ISO 4217 currency code (three capital letters)"
            )),
        }
    }

    /// The code, e.g. `SEK`.
    pub fn as_str(&self) -> &str {
        // Three ASCII capitals are UTF-8.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount of money: non-negative integer minor units (öre, øre, cent) of a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    minor_units: i64,
    currency: Currency,
}

impl Money {
    /// Nothing, in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self {
            minor_units: 0,
            currency,
        }
    }

    /// `m` as the amount of input field `field`: a currency code and minor units not below
    /// zero.
    pub fn checked(field: &'static str, m: &common::Money) -> Result<Self, FundingError> {
        let currency = Currency::parse(&m.currency).map_err(|e| FundingError::invalid(field, e))?;
        if m.minor_units < 0 {
            return Err(FundingError::invalid(
                field,
                format!("must not be negative, got {} minor units", m.minor_units),
            ));
        }
        Ok(Self {
            minor_units: m.minor_units,
            currency,
        })
    }

    /// The amount of input field `field`, which is required.
    pub fn required(field: &'static str, m: Option<&common::Money>) -> Result<Self, FundingError> {
        Self::checked(
            field,
            m.ok_or_else(|| FundingError::invalid(field, "is required"))?,
        )
    }

    /// The amount of input field `field`, if given.
    pub fn optional(
        field: &'static str,
        m: Option<&common::Money>,
    ) -> Result<Option<Self>, FundingError> {
        m.map(|m| Self::checked(field, m)).transpose()
    }

    /// This amount, if it is in `currency` (the fund's); else refused naming `field`.
    pub fn in_currency(
        self,
        field: &'static str,
        currency: Currency,
    ) -> Result<Self, FundingError> {
        if self.currency == currency {
            Ok(self)
        } else {
            Err(FundingError::invalid(
                field,
                format!(
                    "must be in the fund's currency {currency}, got {}",
                    self.currency
                ),
            ))
        }
    }

    /// This amount, if it is more than nothing; else refused naming `field`.
    pub fn positive(self, field: &'static str) -> Result<Self, FundingError> {
        if self.minor_units > 0 {
            Ok(self)
        } else {
            Err(FundingError::invalid(field, "must be more than zero"))
        }
    }

    /// The amount in minor units.
    pub fn minor_units(self) -> i64 {
        self.minor_units
    }

    /// Its currency.
    pub fn currency(self) -> Currency {
        self.currency
    }

    /// Whether it is nothing.
    pub fn is_zero(self) -> bool {
        self.minor_units == 0
    }

    /// This and `other`: none if their currencies differ or the sum does not fit.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        (self.currency == other.currency).then_some(())?;
        Some(Self {
            minor_units: self.minor_units.checked_add(other.minor_units)?,
            currency: self.currency,
        })
    }

    /// This less `other`: none if their currencies differ or `other` is more.
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        (self.currency == other.currency).then_some(())?;
        let minor_units = self.minor_units.checked_sub(other.minor_units)?;
        (minor_units >= 0).then_some(Self {
            minor_units,
            currency: self.currency,
        })
    }

    /// This and `other`, for folding events whose amounts `decide` already checked with
    /// [`Self::checked_add`] (so the bound is never reached).
    pub fn saturating_add(self, other: Self) -> Self {
        Self {
            minor_units: self.minor_units.saturating_add(other.minor_units),
            currency: self.currency,
        }
    }

    /// The sum of `amounts` in `currency`: none if one is in another currency or the sum
    /// does not fit.
    pub fn sum(currency: Currency, amounts: impl IntoIterator<Item = Self>) -> Option<Self> {
        amounts
            .into_iter()
            .try_fold(Self::zero(currency), Self::checked_add)
    }
}

/// `250000.00 SEK`: the minor units split by the currency's exponent, in integers
/// ([`innohub_funding_rules::write_amount`]).
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        innohub_funding_rules::write_amount(f, self.minor_units, self.currency.as_str())
    }
}

impl From<&Money> for common::Money {
    fn from(m: &Money) -> Self {
        common::Money {
            minor_units: m.minor_units,
            currency: m.currency.to_string(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Funds
// ---------------------------------------------------------------------------------------

/// A fund's terms: the contract's message, checked and trimmed, with what the rules read
/// from it parsed: a currency, a minimum grant above zero and a maximum not below it in that
/// currency, a minimum of departments, 1 to [`MAX_CRITERIA`] criteria (names unique ignoring
/// case, weights 1 to 100), a visibility.
#[derive(Debug, Clone, PartialEq)]
pub struct FundTerms {
    terms: pb::FundTerms,
    currency: Currency,
    min_grant: Money,
    max_grant: Money,
    visibility: Visibility,
}

impl FundTerms {
    /// Terms as a request gives them: an unspecified visibility is MUNICIPALITY.
    pub fn requested(mut terms: pb::FundTerms) -> Result<Self, FundingError> {
        if terms.visibility == processes::Visibility::Unspecified as i32 {
            terms.visibility = visibility_of(Visibility::default()) as i32;
        }
        terms.try_into()
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.terms.name
    }

    /// The currency of every amount of the fund.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The smallest grant an application may ask for.
    pub fn min_grant(&self) -> Money {
        self.min_grant
    }

    /// The largest grant an application may ask for.
    pub fn max_grant(&self) -> Money {
        self.max_grant
    }

    /// How many departments an application must name at least.
    pub fn min_departments(&self) -> usize {
        self.terms.min_departments as usize
    }

    /// What reviewers score, with their weights.
    pub fn criteria(&self) -> &[pb::Criterion] {
        &self.terms.criteria
    }

    /// Who sees the fund, its rounds and its ledgers.
    pub fn visibility(&self) -> Visibility {
        self.visibility
    }
}

impl TryFrom<pb::FundTerms> for FundTerms {
    type Error = FundingError;

    fn try_from(t: pb::FundTerms) -> Result<Self, FundingError> {
        let name = required(NAME, "name", &t.name)?;
        let description = optional(TEXT, "description", &t.description)?;
        let currency =
            Currency::parse(&t.currency).map_err(|e| FundingError::invalid("currency", e))?;
        let min_grant = Money::required("minGrant", t.min_grant.as_ref())?
            .in_currency("minGrant", currency)?
            .positive("minGrant")?;
        let max_grant =
            Money::required("maxGrant", t.max_grant.as_ref())?.in_currency("maxGrant", currency)?;
        if max_grant.minor_units < min_grant.minor_units {
            return Err(FundingError::invalid(
                "maxGrant",
                format!("must be at least the minimum grant {min_grant}"),
            ));
        }
        if !(1..=MAX_DEPARTMENTS).contains(&(t.min_departments as usize)) {
            return Err(FundingError::invalid(
                "minDepartments",
                format!("must be 1 to {MAX_DEPARTMENTS}, got {}", t.min_departments),
            ));
        }
        let criteria = criteria(t.criteria)?;
        let visibility = visibility(t.visibility)?;
        Ok(Self {
            terms: pb::FundTerms {
                name,
                description,
                currency: currency.to_string(),
                min_grant: Some((&min_grant).into()),
                max_grant: Some((&max_grant).into()),
                min_departments: t.min_departments,
                criteria,
                visibility: visibility_of(visibility) as i32,
            },
            currency,
            min_grant,
            max_grant,
            visibility,
        })
    }
}

impl From<&FundTerms> for pb::FundTerms {
    fn from(t: &FundTerms) -> Self {
        t.terms.clone()
    }
}

/// A fund's criteria, checked as every list of weighted criteria is
/// ([`innohub_runtime::field::criteria`]: 1 to [`MAX_CRITERIA`], names unique ignoring
/// case, weights 1 to 100), each with an optional description.
fn criteria(raw: Vec<pb::Criterion>) -> Result<Vec<pb::Criterion>, FundingError> {
    innohub_runtime::field::criteria(
        raw,
        MAX_CRITERIA,
        TITLE,
        |c| (c.name.as_str(), c.weight),
        |name, c| {
            Ok(pb::Criterion {
                name,
                description: optional(TEXT, "criteria.description", &c.description)?,
                weight: c.weight,
            })
        },
    )
}

/// A decision round: the contract's message, checked and trimmed; the application deadline
/// is on or before the council date, and the council's year is the round's period.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRound {
    round: pb::DecisionRound,
    deadline: NaiveDate,
    council_date: NaiveDate,
}

impl DecisionRound {
    /// Its short name.
    pub fn title(&self) -> &str {
        &self.round.title
    }

    /// The last day applications may be submitted.
    pub fn deadline(&self) -> NaiveDate {
        self.deadline
    }

    /// The day the innovation council decides.
    pub fn council_date(&self) -> NaiveDate {
        self.council_date
    }

    /// The period its grants are committed against: the council's year.
    pub fn year(&self) -> i32 {
        self.council_date.year()
    }
}

impl TryFrom<pb::DecisionRound> for DecisionRound {
    type Error = FundingError;

    fn try_from(r: pb::DecisionRound) -> Result<Self, FundingError> {
        let title = required(TITLE, "title", &r.title)?;
        let deadline = date("applicationDeadline", &r.application_deadline)?;
        let council_date = date("councilDate", &r.council_date)?;
        year("councilDate", council_date.year())?;
        if deadline > council_date {
            return Err(FundingError::invalid(
                "applicationDeadline",
                format!("must be on or before the council date {council_date}"),
            ));
        }
        Ok(Self {
            round: pb::DecisionRound {
                title,
                application_deadline: deadline.to_string(),
                council_date: council_date.to_string(),
            },
            deadline,
            council_date,
        })
    }
}

impl From<&DecisionRound> for pb::DecisionRound {
    fn from(r: &DecisionRound) -> Self {
        r.round.clone()
    }
}

// ---------------------------------------------------------------------------------------
// Applications
// ---------------------------------------------------------------------------------------

/// What an application asks for: the contract's message, checked and trimmed, with what
/// the rules read from it parsed. A draft may be incomplete (no summary, no amount, a cost
/// plan that does not sum yet: submitting checks those); what is set is valid, and it names
/// a title and at least one applicant.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationDetails {
    details: pb::ApplicationDetails,
    departments: Vec<DepartmentId>,
    amount_requested: Option<Money>,
    costs: Vec<Money>,
    visibility: Visibility,
}

impl ApplicationDetails {
    /// Details as a request gives them: an unspecified visibility is MUNICIPALITY.
    pub fn requested(mut details: pb::ApplicationDetails) -> Result<Self, FundingError> {
        if details.visibility == processes::Visibility::Unspecified as i32 {
            details.visibility = visibility_of(Visibility::default()) as i32;
        }
        details.try_into()
    }

    /// These details with the fields `mask` names taken from `patch`.
    pub fn updated(
        &self,
        patch: &pb::ApplicationDetails,
        mask: &FieldMask,
    ) -> Result<Self, FundingError> {
        let merged = reflect::apply_mask(&self.details, patch, mask)
            .map_err(|e| FundingError::invalid("updateMask", e))?;
        Self::requested(merged)
    }

    /// Every amount is in `currency` (the fund's), or refused naming the amount's field.
    pub fn in_currency(&self, currency: Currency) -> Result<(), FundingError> {
        if let Some(amount) = self.amount_requested {
            amount.in_currency("amountRequested", currency)?;
        }
        for cost in &self.costs {
            cost.in_currency("canvas.costPlan.amount", currency)?;
        }
        Ok(())
    }

    /// Its short name.
    pub fn title(&self) -> &str {
        &self.details.title
    }

    /// The pitch (`""`: not written yet).
    pub fn summary(&self) -> &str {
        &self.details.summary
    }

    /// The departments taking part.
    pub fn departments(&self) -> &[DepartmentId] {
        &self.departments
    }

    /// The amount applied for, once set.
    pub fn amount_requested(&self) -> Option<Money> {
        self.amount_requested
    }

    /// The amounts of the cost plan's lines.
    pub fn costs(&self) -> &[Money] {
        &self.costs
    }

    /// Who may read it once submitted.
    pub fn visibility(&self) -> Visibility {
        self.visibility
    }

    /// The contract's message, as the rules over it read it (`innohub_funding_rules`).
    pub fn message(&self) -> &pb::ApplicationDetails {
        &self.details
    }
}

impl TryFrom<pb::ApplicationDetails> for ApplicationDetails {
    type Error = FundingError;

    fn try_from(d: pb::ApplicationDetails) -> Result<Self, FundingError> {
        let title = required(NAME, "title", &d.title)?;
        let summary = optional(SUMMARY, "summary", &d.summary)?;
        let applicants = list("applicants", &d.applicants, MAX_APPLICANTS, UserId::parse)?;
        if applicants.is_empty() {
            return Err(FundingError::invalid(
                "applicants",
                "name at least one applicant",
            ));
        }
        let departments = list(
            "departments",
            &d.departments,
            MAX_DEPARTMENTS,
            DepartmentId::parse,
        )?;
        let amount_requested = Money::optional("amountRequested", d.amount_requested.as_ref())?;
        let (canvas, costs) = canvas(&d.canvas.unwrap_or_default())?;
        if d.checklist.len() > MAX_LINES {
            return Err(FundingError::invalid(
                "checklist",
                format!("at most {MAX_LINES} items, got {}", d.checklist.len()),
            ));
        }
        let checklist = d
            .checklist
            .iter()
            .map(|c| {
                Ok(pb::ChecklistItem {
                    item: required(LINE, "checklist.item", &c.item)?,
                    done: c.done,
                })
            })
            .collect::<Result<_, FundingError>>()?;
        let visibility = visibility(d.visibility)?;
        Ok(Self {
            details: pb::ApplicationDetails {
                title,
                summary,
                applicants: applicants.iter().map(ToString::to_string).collect(),
                departments: departments.iter().map(ToString::to_string).collect(),
                amount_requested: amount_requested.as_ref().map(Into::into),
                canvas: Some(canvas).filter(|c| *c != pb::Canvas::default()),
                checklist,
                visibility: visibility_of(visibility) as i32,
            },
            departments,
            amount_requested,
            costs,
            visibility,
        })
    }
}

impl From<&ApplicationDetails> for pb::ApplicationDetails {
    fn from(d: &ApplicationDetails) -> Self {
        d.details.clone()
    }
}

/// An application's canvas, checked and trimmed, and the amounts of its cost plan: each
/// line describes what is bought and costs more than nothing.
fn canvas(c: &pb::Canvas) -> Result<(pb::Canvas, Vec<Money>), FundingError> {
    if c.cost_plan.len() > MAX_LINES {
        return Err(FundingError::invalid(
            "canvas.costPlan",
            format!("at most {MAX_LINES} lines, got {}", c.cost_plan.len()),
        ));
    }
    let mut lines = Vec::with_capacity(c.cost_plan.len());
    let mut costs = Vec::with_capacity(c.cost_plan.len());
    for line in &c.cost_plan {
        let amount = Money::required("canvas.costPlan.amount", line.amount.as_ref())?
            .positive("canvas.costPlan.amount")?;
        lines.push(pb::CostLine {
            description: required(LINE, "canvas.costPlan.description", &line.description)?,
            amount: Some((&amount).into()),
        });
        costs.push(amount);
    }
    let canvas = pb::Canvas {
        need: optional(TEXT, "canvas.need", &c.need)?,
        solution: optional(TEXT, "canvas.solution", &c.solution)?,
        target_group: optional(TEXT, "canvas.targetGroup", &c.target_group)?,
        partners: optional(TEXT, "canvas.partners", &c.partners)?,
        timeline: optional(TEXT, "canvas.timeline", &c.timeline)?,
        cost_plan: lines,
        expected_effects: optional(TEXT, "canvas.expectedEffects", &c.expected_effects)?,
    };
    Ok((canvas, costs))
}

/// A review: the contract's message, checked on its own: each criterion named once and
/// scored 1 to 5, and a comment. Whether it scores exactly the fund's criteria is
/// [`Self::check`]'s.
#[derive(Debug, Clone, PartialEq)]
pub struct Review(pb::Review);

impl Review {
    /// It scores every criterion of `criteria` (a fund's) and none there is not.
    pub fn check(&self, criteria: &[pb::Criterion]) -> Result<(), FundingError> {
        if let Some(s) = self
            .0
            .scores
            .iter()
            .find(|s| !criteria.iter().any(|c| c.name == s.criterion))
        {
            return Err(FundingError::invalid(
                "review.scores",
                format!("the fund has no criterion {:?}", s.criterion),
            ));
        }
        match criteria
            .iter()
            .find(|c| !self.0.scores.iter().any(|s| s.criterion == c.name))
        {
            Some(c) => Err(FundingError::invalid(
                "review.scores",
                format!("{:?} has no score", c.name),
            )),
            None => Ok(()),
        }
    }
}

impl TryFrom<pb::Review> for Review {
    type Error = FundingError;

    fn try_from(r: pb::Review) -> Result<Self, FundingError> {
        if !(1..=MAX_CRITERIA).contains(&r.scores.len()) {
            return Err(FundingError::invalid(
                "review.scores",
                format!("score 1 to {MAX_CRITERIA} criteria, got {}", r.scores.len()),
            ));
        }
        let mut scores: Vec<pb::CriterionScore> = Vec::with_capacity(r.scores.len());
        for s in r.scores {
            let criterion = required(TITLE, "review.scores", &s.criterion)?;
            if scores.iter().any(|o| o.criterion == criterion) {
                return Err(FundingError::invalid(
                    "review.scores",
                    format!("{criterion:?} is scored twice"),
                ));
            }
            if !(1..=5).contains(&s.score) {
                return Err(FundingError::invalid(
                    "review.scores",
                    format!("{criterion:?} must be scored 1 to 5, got {}", s.score),
                ));
            }
            scores.push(pb::CriterionScore {
                criterion,
                score: s.score,
            });
        }
        Ok(Self(pb::Review {
            scores,
            comment: required(TEXT, "review.comment", &r.comment)?,
        }))
    }
}

impl From<&Review> for pb::Review {
    fn from(r: &Review) -> Self {
        r.0.clone()
    }
}

/// A progress report of a granted project: the contract's message, checked and trimmed,
/// with who reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressReport {
    report: pb::ProgressReport,
    spent: Option<Money>,
}

impl ProgressReport {
    /// How much of the grant the project says it spent so far, if it says.
    pub fn spent(&self) -> Option<Money> {
        self.spent
    }
}

impl TryFrom<pb::ProgressReport> for ProgressReport {
    type Error = FundingError;

    fn try_from(r: pb::ProgressReport) -> Result<Self, FundingError> {
        let spent = Money::optional("report.spent", r.spent.as_ref())?;
        Ok(Self {
            report: pb::ProgressReport {
                date: date("report.date", &r.date)?.to_string(),
                text: required(TEXT, "report.text", &r.text)?,
                spent: spent.as_ref().map(Into::into),
                reported_by: user("reportedBy", &r.reported_by)?.to_string(),
            },
            spent,
        })
    }
}

impl From<&ProgressReport> for pb::ProgressReport {
    fn from(r: &ProgressReport) -> Self {
        r.report.clone()
    }
}

/// What the innovation council decided, as recorded: the outcome with the amount it grants
/// (nothing for REJECTED, more than nothing else), its conditions and rationale, the round
/// and the period (year) it was decided in, and the fund manager who recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct CouncilDecision {
    round_id: Uuid,
    outcome: DecisionOutcome,
    approved: Money,
    conditions: String,
    rationale: String,
    decided_by: UserId,
    year: i32,
}

/// What a decision is made of, as a command or an event gives it.
#[derive(Debug, Clone)]
pub struct Decided<'a> {
    /// The round that decided it.
    pub round_id: Uuid,
    /// The outcome (never UNSPECIFIED).
    pub outcome: DecisionOutcome,
    /// The amount granted.
    pub approved: Money,
    /// Conditions of the grant, as written.
    pub conditions: &'a str,
    /// Why, as written.
    pub rationale: &'a str,
    /// The fund manager who records it.
    pub decided_by: UserId,
    /// The period.
    pub year: i32,
}

impl CouncilDecision {
    /// The decision `d`, checked: REJECTED grants nothing and the others more than nothing;
    /// a rationale is required, conditions are optional.
    pub fn new(d: Decided<'_>) -> Result<Self, FundingError> {
        let outcome = outcome(d.outcome as i32)?;
        match outcome {
            DecisionOutcome::Rejected if !d.approved.is_zero() => {
                return Err(FundingError::invalid(
                    "approved",
                    "a rejection grants nothing",
                ));
            }
            DecisionOutcome::Rejected => {}
            _ => {
                d.approved.positive("amount")?;
            }
        }
        Ok(Self {
            round_id: d.round_id,
            outcome,
            approved: d.approved,
            conditions: optional(SUMMARY, "conditions", d.conditions)?,
            rationale: required(TEXT, "rationale", d.rationale)?,
            decided_by: d.decided_by,
            year: year("year", d.year)?,
        })
    }

    /// The round that decided it.
    pub fn round_id(&self) -> Uuid {
        self.round_id
    }

    /// What was decided.
    pub fn outcome(&self) -> DecisionOutcome {
        self.outcome
    }

    /// The amount granted (nothing for a rejection).
    pub fn approved(&self) -> Money {
        self.approved
    }

    /// The period the grant is committed against.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// Who recorded it.
    pub fn decided_by(&self) -> &UserId {
        &self.decided_by
    }

    /// Whether money is granted.
    pub fn grants(&self) -> bool {
        self.outcome != DecisionOutcome::Rejected
    }

    /// Where it leaves the application ([`innohub_funding_rules::decided_status`]; the
    /// outcome is never UNSPECIFIED).
    pub fn status(&self) -> ApplicationStatus {
        innohub_funding_rules::decided_status(self.outcome).unwrap_or(ApplicationStatus::Rejected)
    }
}

impl TryFrom<pb::ApplicationDecided> for CouncilDecision {
    type Error = FundingError;

    fn try_from(m: pb::ApplicationDecided) -> Result<Self, FundingError> {
        Self::new(Decided {
            round_id: id("roundId", &m.round_id)?,
            outcome: outcome(m.outcome)?,
            approved: Money::required("approved", m.approved.as_ref())?,
            conditions: &m.conditions,
            rationale: &m.rationale,
            decided_by: user("decidedBy", &m.decided_by)?,
            year: m.year,
        })
    }
}

impl From<&CouncilDecision> for pb::ApplicationDecided {
    fn from(d: &CouncilDecision) -> Self {
        pb::ApplicationDecided {
            round_id: d.round_id.to_string(),
            outcome: d.outcome as i32,
            approved: Some((&d.approved).into()),
            conditions: d.conditions.clone(),
            rationale: d.rationale.clone(),
            decided_by: d.decided_by.to_string(),
            year: d.year,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(minor_units: i64, currency: &str) -> Money {
        Money::checked(
            "amount",
            &common::Money {
                minor_units,
                currency: currency.into(),
            },
        )
        .unwrap()
    }

    #[test]
    fn money_shows_as_the_funding_rules_format_it() {
        // The exponents of the currencies are the rules' (`innohub_funding_rules::formatted`).
        assert_eq!(money(25_000_000, "SEK").to_string(), "250000.00 SEK");
        assert_eq!(money(1_234, "ISK").to_string(), "1234 ISK");
    }

    #[test]
    fn money_adds_and_subtracts_in_one_currency_without_overflow_or_going_below_zero() {
        let sek = |n| money(n, "SEK");
        assert_eq!(sek(5).checked_add(sek(7)), Some(sek(12)));
        assert_eq!(sek(7).checked_sub(sek(5)), Some(sek(2)));
        assert_eq!(sek(5).checked_sub(sek(7)), None);
        assert_eq!(sek(i64::MAX).checked_add(sek(1)), None);
        assert_eq!(sek(5).checked_add(money(5, "NOK")), None);
        assert_eq!(
            Money::sum(sek(0).currency(), [sek(1), sek(2)]),
            Some(sek(3))
        );
        assert_eq!(Money::sum(sek(0).currency(), [money(1, "EUR")]), None);
    }

    #[test]
    fn money_is_a_currency_code_and_minor_units_not_below_zero() {
        for (minor_units, currency) in [(-1, "SEK"), (1, "sek"), (1, "SEKK"), (1, ""), (1, "S€K")]
        {
            let m = common::Money {
                minor_units,
                currency: currency.into(),
            };
            assert_eq!(
                Money::checked("budget", &m).unwrap_err().field(),
                Some("budget"),
                "{currency} {minor_units}"
            );
        }
        assert_eq!(
            Money::required("budget", None).unwrap_err().field(),
            Some("budget")
        );
    }

    #[test]
    fn outcomes_refuse_unspecified_and_unknown_values() {
        assert_eq!(
            outcome(DecisionOutcome::Rejected as i32),
            Ok(DecisionOutcome::Rejected)
        );
        assert_eq!(outcome(0).unwrap_err().field(), Some("outcome"));
        assert_eq!(outcome(99).unwrap_err().field(), Some("outcome"));
        assert_eq!(status_name(ApplicationStatus::InReview), "IN_REVIEW");
    }
}
