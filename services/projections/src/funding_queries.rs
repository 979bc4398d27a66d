//! Queries on the funding read models ([`FundingQueries`]): funds with their rounds and
//! ledgers, a fund's ledger of a year, the application pipeline and one application. Read by
//! the one read rule in SQL ([`access::visible`]: [`FUNDS`] for a fund and its ledgers,
//! which follow their fund; [`APPLICATIONS`] for an application, which names its applicants,
//! drafter and the fund roles that see it), and in Rust by [`FundView::new`] and
//! [`ApplicationView::new`], the only ways a funding record leaves this crate, redacted for
//! partners by the contract's privacy marks (`innohub_runtime::reflect::redact`): no people,
//! no internal notes, no origin. A record the viewer may not read is not found, exactly like
//! an id that names nothing.
//!
//! What a view computes is never stored: what remains of a budget
//! ([`LedgerView::remaining`]), the weighted score of a review and of an application (the
//! mean of its reviewers' latest) by `innohub-funding-rules`, the pipeline's stages and
//! their sums ([`pipeline`]). Money stays integer minor units throughout.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use innohub_funding_rules::{Reader, application_score, weighted_score};
use innohub_proto::innohub::common::v1::Money;
use innohub_proto::innohub::funding::v1 as pb;
use innohub_proto::innohub::projections::v1::{
    ApplicationRecord, FundLedgerRecord, FundRecord, GrantRecord,
};
use innohub_runtime::sql::Sql;
use innohub_runtime::{Access, Database, MunicipalityId, RecordLink, Role, Viewer};
use prost::Message;
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::access::{self, APPLICATIONS, FUNDS};
use crate::filter::ApplicationFilter;
use crate::queries::{
    QueryError, corrupt, link, non_empty as person, parse_time, record, seen_by, time,
};

/// The query side of the funding read models.
#[derive(Debug, Clone)]
pub struct FundingQueries {
    pub(crate) db: Database,
}

/// Something that happened to a record, and when it was recorded.
#[derive(Debug, Clone)]
pub struct Dated<T> {
    /// What happened, as the contract's message (redacted for partners).
    pub item: T,
    /// When it was recorded.
    pub at: DateTime<Utc>,
}

impl<T> Dated<T> {
    fn of(item: Option<T>, at: &str) -> Result<Option<Self>, QueryError> {
        item.map(|item| {
            Ok(Self {
                item,
                at: parse_time(at)?,
            })
        })
        .transpose()
    }
}

/// The ledger of a fund's period (a year): the sums of the period's events, in integer
/// minor units of `currency`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerView {
    /// The fund.
    pub fund: Uuid,
    /// The year.
    pub year: i32,
    /// The fund's currency (ISO 4217).
    pub currency: String,
    /// The budget as last set.
    pub budget: i64,
    /// The grants committed.
    pub committed: i64,
    /// Paid out.
    pub disbursed: i64,
    /// Unspent money given back.
    pub returned: i64,
}

impl LedgerView {
    fn of(record: FundLedgerRecord) -> Result<Self, QueryError> {
        Ok(Self {
            fund: Uuid::parse_str(&record.fund_id).map_err(corrupt)?,
            year: record.year,
            currency: record.currency,
            budget: record.budget,
            committed: record.committed,
            disbursed: record.disbursed,
            returned: record.returned,
        })
    }

    /// What is left to commit: budget − committed + returned (the service keeps it ≥ 0).
    pub fn remaining(&self) -> i64 {
        self.budget
            .saturating_sub(self.committed)
            .saturating_add(self.returned)
    }

    /// An amount of the ledger's currency.
    pub fn money(&self, minor_units: i64) -> Money {
        Money {
            minor_units,
            currency: self.currency.clone(),
        }
    }
}

/// A decision round of a fund.
#[derive(Debug, Clone)]
pub struct RoundView {
    /// Its id.
    pub id: Uuid,
    /// The round.
    pub round: pb::DecisionRound,
    /// When it was scheduled.
    pub scheduled_at: DateTime<Utc>,
}

impl RoundView {
    /// The year of its period: its council date's.
    pub fn year(&self) -> Option<i32> {
        self.round.council_date.get(..4)?.parse().ok()
    }
}

/// A fund as one viewer may see it: the contract's messages, redacted for partners.
#[derive(Debug, Clone)]
pub struct FundView {
    /// Full (own municipality) or partner (redacted).
    pub access: Access,
    /// Its id.
    pub id: Uuid,
    /// Owning municipality.
    pub municipality: MunicipalityId,
    /// Its terms.
    pub terms: pb::FundTerms,
    /// Who created it; `None` for partners.
    pub created_by: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Its decision rounds, in the order scheduled.
    pub rounds: Vec<RoundView>,
    /// The ledger of each year it has a budget for, oldest first.
    pub periods: Vec<LedgerView>,
}

impl FundView {
    /// The view of a record whose row passed [`access::visible`] for `viewer`, with the
    /// ledgers of its periods.
    pub fn new(
        viewer: &Viewer,
        record: FundRecord,
        periods: Vec<LedgerView>,
    ) -> Result<Self, QueryError> {
        let (municipality, access, record) = seen_by(viewer, &record, &record.municipality)?;
        let rounds = record
            .rounds
            .into_iter()
            .map(|r| {
                let scheduled = r.scheduled.unwrap_or_default();
                Ok(RoundView {
                    id: Uuid::parse_str(&scheduled.round_id).map_err(corrupt)?,
                    round: scheduled.round.unwrap_or_default(),
                    scheduled_at: parse_time(&r.scheduled_at)?,
                })
            })
            .collect::<Result<_, QueryError>>()?;
        Ok(Self {
            access,
            id: Uuid::parse_str(&record.fund_id).map_err(corrupt)?,
            municipality,
            terms: record.terms.unwrap_or_default(),
            created_by: person(record.created_by),
            created_at: parse_time(&record.created_at)?,
            rounds,
            periods,
        })
    }

    /// Its round `id`, if it has one.
    pub fn round(&self, id: Uuid) -> Option<&RoundView> {
        self.rounds.iter().find(|r| r.id == id)
    }
}

/// A reviewer's latest review of an application.
#[derive(Debug, Clone)]
pub struct ReviewView {
    /// The reviewer; `None` for the application's applicants and drafter (unless they are
    /// fund managers or reviewers themselves) and for partners.
    pub reviewer: Option<String>,
    /// The scores and the comment (no comment for partners).
    pub review: pb::Review,
    /// Its weighted score by the fund's criteria (`innohub_funding_rules::weighted_score`).
    pub score: Option<f64>,
    /// When it was recorded.
    pub reviewed_at: DateTime<Utc>,
}

/// The money of an application's grant.
#[derive(Debug, Clone)]
pub struct GrantView {
    /// The year of the period it is committed against.
    pub year: i32,
    /// The amount committed.
    pub committed: Money,
    /// The disbursements, in the order recorded (who recorded them only for members).
    pub disbursements: Vec<Dated<pb::GrantDisbursed>>,
    /// The returns of unspent money, in the order recorded.
    pub returns: Vec<Dated<pb::UnspentReturned>>,
}

impl GrantView {
    fn of(record: GrantRecord) -> Result<Self, QueryError> {
        let committed = record.committed.unwrap_or_default();
        Ok(Self {
            year: record.year,
            committed: committed.amount.unwrap_or_default(),
            disbursements: record
                .disbursements
                .into_iter()
                .filter_map(|d| Dated::of(d.disbursed, &d.recorded_at).transpose())
                .collect::<Result<_, _>>()?,
            returns: record
                .returns
                .into_iter()
                .filter_map(|r| Dated::of(r.returned, &r.recorded_at).transpose())
                .collect::<Result<_, _>>()?,
        })
    }

    /// An amount of the grant's currency.
    fn money(&self, minor_units: i64) -> Money {
        Money {
            minor_units,
            currency: self.committed.currency.clone(),
        }
    }

    /// How much was paid out.
    pub fn disbursed(&self) -> Money {
        let amounts = self.disbursements.iter().map(|d| d.item.amount.as_ref());
        self.money(sum(amounts))
    }

    /// How much was given back.
    pub fn returned(&self) -> Money {
        self.money(sum(self.returns.iter().map(|r| r.item.amount.as_ref())))
    }
}

/// The sum of amounts (of one currency) in minor units; a sum beyond 64 bits stays at the
/// largest.
fn sum<'a>(amounts: impl Iterator<Item = Option<&'a Money>>) -> i64 {
    amounts
        .flatten()
        .fold(0_i64, |sum, m| sum.saturating_add(m.minor_units))
}

/// An application as one viewer may see it: the contract's messages, redacted for partners,
/// reviewers hidden from its applicants.
#[derive(Debug, Clone)]
pub struct ApplicationView {
    /// Full (own municipality) or partner (redacted).
    pub access: Access,
    /// Its id.
    pub id: Uuid,
    /// The applicants' municipality.
    pub municipality: MunicipalityId,
    /// The fund applied to.
    pub fund: Uuid,
    /// The round applied to.
    pub round: Uuid,
    /// Its status.
    pub status: pb::ApplicationStatus,
    /// The details; for partners without applicants.
    pub details: pb::ApplicationDetails,
    /// Who drafted it; `None` for partners.
    pub drafted_by: Option<String>,
    /// When it was drafted.
    pub drafted_at: DateTime<Utc>,
    /// The idea, pilot or process it is for; `None` for one of its own, and for partners.
    pub origin: Option<RecordLink>,
    /// Its submission; `None` while DRAFT.
    pub submission: Option<Dated<pb::ApplicationSubmitted>>,
    /// The reviewers assigned, in the order assigned (the reviewer hidden as in
    /// [`ReviewView::reviewer`]).
    pub assignments: Vec<Dated<pb::ApplicationReviewerAssigned>>,
    /// Each reviewer's latest review, in the order they first reviewed.
    pub reviews: Vec<ReviewView>,
    /// The mean of the reviews' weighted scores; `None` without one
    /// (`innohub_funding_rules::application_score`).
    pub score: Option<f64>,
    /// The council's decision.
    pub decision: Option<Dated<pb::ApplicationDecided>>,
    /// Its withdrawal.
    pub withdrawal: Option<Dated<pb::ApplicationWithdrawn>>,
    /// Its progress reports, in the order recorded.
    pub progress_reports: Vec<Dated<pb::ProgressReported>>,
    /// The money of its grant; `None` unless granted.
    pub grant: Option<GrantView>,
    /// When it last changed; `None` for partners.
    pub updated_at: Option<DateTime<Utc>>,
}

/// Whether `viewer` may see who reviews `record` (`innohub_funding_rules::shows_reviewers`:
/// not its applicants' side unless they manage or review funds; partners see no user id at
/// all, the privacy marks redact them).
fn sees_reviewers(viewer: &Viewer, record: &ApplicationRecord) -> bool {
    let me = &viewer.principal;
    let empty = pb::ApplicationDetails::default();
    innohub_funding_rules::shows_reviewers(
        record.details.as_ref().unwrap_or(&empty),
        &record.drafted_by,
        Reader {
            user: me.user.as_str(),
            member: me.municipality.as_str() == record.municipality,
            fund_manager: me.has(Role::FundManager),
            fund_reviewer: me.has(Role::FundReviewer),
        },
    )
}

impl ApplicationView {
    /// The view of a record whose row passed [`access::visible`] for `viewer`: full for
    /// members of the owning municipality, redacted for partners. `fund` gives the criteria
    /// the reviews are scored by, `grant` the money that followed a grant.
    pub fn new(
        viewer: &Viewer,
        record: ApplicationRecord,
        fund: Option<&FundRecord>,
        grant: Option<GrantRecord>,
        updated_at: DateTime<Utc>,
    ) -> Result<Self, QueryError> {
        let reviewers_shown = sees_reviewers(viewer, &record);
        let (municipality, access, mut record) = seen_by(viewer, &record, &record.municipality)?;
        let grant = grant
            .map(|g| seen_by(viewer, &g, municipality.as_str()).map(|(_, _, g)| g))
            .transpose()?
            .map(GrantView::of)
            .transpose()?;
        if !reviewers_shown {
            for r in &mut record.reviews {
                if let Some(reviewed) = r.reviewed.as_mut() {
                    reviewed.reviewer.clear();
                }
            }
            for a in &mut record.assignments {
                if let Some(assigned) = a.assigned.as_mut() {
                    assigned.reviewer.clear();
                }
            }
        }
        let criteria = fund
            .and_then(|f| f.terms.as_ref())
            .map_or(&[][..], |t| &t.criteria[..]);
        let reviews: Vec<ReviewView> = record
            .reviews
            .into_iter()
            .map(|r| {
                let reviewed = r.reviewed.unwrap_or_default();
                let review = reviewed.review.unwrap_or_default();
                Ok(ReviewView {
                    reviewer: person(reviewed.reviewer),
                    score: weighted_score(criteria, &review),
                    review,
                    reviewed_at: parse_time(&r.reviewed_at)?,
                })
            })
            .collect::<Result<_, QueryError>>()?;
        let status = pb::ApplicationStatus::try_from(record.status)
            .ok()
            .filter(|s| *s != pb::ApplicationStatus::Unspecified)
            .ok_or_else(|| corrupt(format!("no application status {}", record.status)))?;
        let origin = record.origin.as_ref().map(link).transpose()?;
        Ok(Self {
            access,
            id: Uuid::parse_str(&record.application_id).map_err(corrupt)?,
            municipality,
            fund: Uuid::parse_str(&record.fund_id).map_err(corrupt)?,
            round: Uuid::parse_str(&record.round_id).map_err(corrupt)?,
            status,
            details: record.details.unwrap_or_default(),
            drafted_by: person(record.drafted_by),
            drafted_at: parse_time(&record.drafted_at)?,
            origin,
            submission: record
                .submission
                .map(|s| Dated::of(s.submitted, &s.submitted_at))
                .transpose()?
                .flatten(),
            assignments: record
                .assignments
                .into_iter()
                .filter_map(|a| Dated::of(a.assigned, &a.assigned_at).transpose())
                .collect::<Result<_, _>>()?,
            score: application_score(criteria, reviews.iter().map(|r| &r.review)),
            reviews,
            decision: record
                .decision
                .map(|d| Dated::of(d.decided, &d.decided_at))
                .transpose()?
                .flatten(),
            withdrawal: record
                .withdrawal
                .map(|w| Dated::of(w.withdrawn, &w.withdrawn_at))
                .transpose()?
                .flatten(),
            progress_reports: record
                .progress_reports
                .into_iter()
                .filter_map(|p| Dated::of(p.reported, &p.recorded_at).transpose())
                .collect::<Result<_, _>>()?,
            grant,
            updated_at: (access == Access::Full).then_some(updated_at),
        })
    }

    /// The amount granted: the decision's approved amount; `None` until decided.
    pub fn approved(&self) -> Option<&Money> {
        self.decision
            .as_ref()
            .and_then(|d| d.item.approved.as_ref())
    }
}

/// Every status an application can be in, in the order it goes through them.
pub const STATUSES: [pb::ApplicationStatus; 7] = [
    pb::ApplicationStatus::Draft,
    pb::ApplicationStatus::Submitted,
    pb::ApplicationStatus::InReview,
    pb::ApplicationStatus::Approved,
    pb::ApplicationStatus::PartiallyApproved,
    pb::ApplicationStatus::Rejected,
    pb::ApplicationStatus::Withdrawn,
];

/// The sums of `amounts` per currency, in the currencies' order; a sum beyond 64 bits stays
/// at the largest.
pub fn per_currency<'a>(amounts: impl IntoIterator<Item = &'a Money>) -> Vec<Money> {
    let mut sums: BTreeMap<&str, i64> = BTreeMap::new();
    for m in amounts {
        let sum = sums.entry(m.currency.as_str()).or_default();
        *sum = sum.saturating_add(m.minor_units);
    }
    sums.into_iter()
        .map(|(currency, minor_units)| Money {
            minor_units,
            currency: currency.to_owned(),
        })
        .collect()
}

/// The applications in one status, in a pipeline.
#[derive(Debug, Clone)]
pub struct PipelineStage {
    /// The status.
    pub status: pb::ApplicationStatus,
    /// Its applications, newest first.
    pub applications: Vec<ApplicationView>,
    /// The sum they ask for, per currency.
    pub requested: Vec<Money>,
    /// The sum granted to them, per currency (empty before a decision).
    pub approved: Vec<Money>,
}

/// Applications by status.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// How many applications.
    pub total: usize,
    /// Every status, in the order an application goes through them.
    pub stages: Vec<PipelineStage>,
}

/// The pipeline of `applications` (newest first): every status in order, with its
/// applications and the sums they ask for and were granted.
pub fn pipeline(applications: Vec<ApplicationView>) -> Pipeline {
    let total = applications.len();
    let mut by_status: HashMap<pb::ApplicationStatus, Vec<ApplicationView>> = HashMap::new();
    for a in applications {
        by_status.entry(a.status).or_default().push(a);
    }
    let stages = STATUSES
        .into_iter()
        .map(|status| {
            let applications = by_status.remove(&status).unwrap_or_default();
            PipelineStage {
                status,
                requested: per_currency(
                    applications
                        .iter()
                        .filter_map(|a| a.details.amount_requested.as_ref()),
                ),
                approved: per_currency(applications.iter().filter_map(ApplicationView::approved)),
                applications,
            }
        })
        .collect();
    Pipeline { total, stages }
}

/// An optional `record` column of a left join.
fn joined<R: Message + Default>(row: &AnyRow, column: &str) -> Result<Option<R>, QueryError> {
    row.try_get::<Option<Vec<u8>>, _>(column)?
        .map(|bytes| R::decode(bytes.as_slice()).map_err(corrupt))
        .transpose()
}

/// The columns an application's view is made of.
const APPLICATION_COLUMNS: &str = "SELECT r.record, pv.updated_at, f.record AS fund_rec, \
     g.record AS grant_rec FROM application_view pv JOIN application_record r ON r.id = pv.id \
     LEFT JOIN fund_record f ON f.id = pv.fund_id LEFT JOIN fund_grant g ON g.id = pv.id \
     WHERE ";

impl FundingQueries {
    /// Query the read models in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The funds the viewer may read, of `municipality` if named, newest first, with the
    /// ledgers of their periods.
    pub async fn funds(
        &self,
        viewer: &Viewer,
        municipality: Option<&MunicipalityId>,
    ) -> Result<Vec<FundView>, QueryError> {
        self.read_funds(viewer, |sql| {
            if let Some(m) = municipality {
                sql.push(" AND pv.municipality = ").bind(m.as_str());
            }
        })
        .await
    }

    /// One fund, if the viewer may read it, with the ledgers of its periods.
    pub async fn fund(&self, viewer: &Viewer, id: Uuid) -> Result<Option<FundView>, QueryError> {
        let mut funds = self
            .read_funds(viewer, |sql| {
                sql.push(" AND pv.id = ").bind(id.to_string());
            })
            .await?;
        Ok(funds.pop())
    }

    /// The funds the viewer may read that the conditions `narrow` appends match.
    async fn read_funds(
        &self,
        viewer: &Viewer,
        narrow: impl FnOnce(&mut Sql),
    ) -> Result<Vec<FundView>, QueryError> {
        let mut sql =
            Sql::new("SELECT r.record FROM fund_view pv JOIN fund_record r ON r.id = pv.id WHERE ");
        access::visible(&mut sql, viewer, &FUNDS);
        narrow(&mut sql);
        sql.push(" ORDER BY pv.created_at DESC, pv.id DESC");
        let rows = sql.query().fetch_all(self.db.reader()).await?;
        let records: Vec<FundRecord> = rows.iter().map(record).collect::<Result<_, _>>()?;
        let mut periods: HashMap<String, Vec<LedgerView>> = HashMap::new();
        if !records.is_empty() {
            let mut sql = Sql::new("SELECT record FROM fund_period WHERE fund_id IN ");
            sql.bind_list(records.iter().map(|r| r.fund_id.as_str()));
            sql.push(" ORDER BY year");
            for row in sql.query().fetch_all(self.db.reader()).await? {
                let ledger: FundLedgerRecord = record(&row)?;
                periods
                    .entry(ledger.fund_id.clone())
                    .or_default()
                    .push(LedgerView::of(ledger)?);
            }
        }
        records
            .into_iter()
            .map(|r| {
                let ledgers = periods.remove(&r.fund_id).unwrap_or_default();
                FundView::new(viewer, r, ledgers)
            })
            .collect()
    }

    /// The ledger of `fund` in `year`, if the viewer may read the fund: the sums of the
    /// period's events, all zero in the fund's currency before a budget is set for the year.
    pub async fn ledger(
        &self,
        viewer: &Viewer,
        fund: Uuid,
        year: i32,
    ) -> Result<Option<LedgerView>, QueryError> {
        let mut sql = Sql::new(
            "SELECT r.record, p.record AS ledger FROM fund_view pv \
             JOIN fund_record r ON r.id = pv.id \
             LEFT JOIN fund_period p ON p.fund_id = pv.id AND p.year = ",
        );
        sql.bind(i64::from(year))
            .push(" WHERE pv.id = ")
            .bind(fund.to_string())
            .push(" AND ");
        access::visible(&mut sql, viewer, &FUNDS);
        let Some(row) = sql.query().fetch_optional(self.db.reader()).await? else {
            return Ok(None);
        };
        if let Some(ledger) = joined::<FundLedgerRecord>(&row, "ledger")? {
            return LedgerView::of(ledger).map(Some);
        }
        let terms = record::<FundRecord>(&row)?.terms.unwrap_or_default();
        Ok(Some(LedgerView {
            fund,
            year,
            currency: terms.currency,
            budget: 0,
            committed: 0,
            disbursed: 0,
            returned: 0,
        }))
    }

    /// The ledger of the period whose stream is `id` (`fund-period:<fund>:<year>`), if it
    /// has a budget and the viewer may read its fund.
    pub async fn period(
        &self,
        viewer: &Viewer,
        id: &str,
    ) -> Result<Option<LedgerView>, QueryError> {
        let mut sql = Sql::new(
            "SELECT p.record FROM fund_period p JOIN fund_view pv ON pv.id = p.fund_id \
             WHERE p.id = ",
        );
        sql.bind(id).push(" AND ");
        access::visible(&mut sql, viewer, &FUNDS);
        let row = sql.query().fetch_optional(self.db.reader()).await?;
        row.map(|row| LedgerView::of(record(&row)?)).transpose()
    }

    /// The views of application rows (of [`APPLICATION_COLUMNS`]) that passed the read rule.
    fn applications_of(
        viewer: &Viewer,
        rows: &[AnyRow],
    ) -> Result<Vec<ApplicationView>, QueryError> {
        rows.iter()
            .map(|row| {
                let fund: Option<FundRecord> = joined(row, "fund_rec")?;
                ApplicationView::new(
                    viewer,
                    record(row)?,
                    fund.as_ref(),
                    joined(row, "grant_rec")?,
                    time(row, "updated_at")?,
                )
            })
            .collect()
    }

    /// One application, if the viewer may read it.
    pub async fn application(
        &self,
        viewer: &Viewer,
        id: Uuid,
    ) -> Result<Option<ApplicationView>, QueryError> {
        let mut sql = Sql::new(APPLICATION_COLUMNS);
        access::visible(&mut sql, viewer, &APPLICATIONS);
        sql.push(" AND pv.id = ").bind(id.to_string());
        let rows = sql.query().fetch_all(self.db.reader()).await?;
        Ok(Self::applications_of(viewer, &rows)?.pop())
    }

    /// The applications the viewer may read that `filter` matches, by status ([`pipeline`]).
    pub async fn pipeline(
        &self,
        viewer: &Viewer,
        filter: &ApplicationFilter,
    ) -> Result<Pipeline, QueryError> {
        let mut sql = Sql::new(APPLICATION_COLUMNS);
        access::visible(&mut sql, viewer, &APPLICATIONS);
        filter.push(&mut sql);
        sql.push(" ORDER BY pv.drafted_at DESC, pv.id DESC");
        let rows = sql.query().fetch_all(self.db.reader()).await?;
        Ok(pipeline(Self::applications_of(viewer, &rows)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(minor_units: i64, currency: &str) -> Money {
        Money {
            minor_units,
            currency: currency.into(),
        }
    }

    #[test]
    fn what_remains_is_the_budget_less_the_commitments_plus_the_returns() {
        // Given 1 MSEK budgeted, 650 kSEK committed, 300 kSEK paid and 50 kSEK returned.
        let ledger = LedgerView {
            fund: Uuid::now_v7(),
            year: 2026,
            currency: "SEK".into(),
            budget: 100_000_000,
            committed: 65_000_000,
            disbursed: 30_000_000,
            returned: 5_000_000,
        };
        // Then 400 kSEK remain: what was paid out is part of what was committed.
        assert_eq!(ledger.remaining(), 40_000_000);
        assert_eq!(ledger.money(1), money(1, "SEK"));
    }

    fn application(
        status: pb::ApplicationStatus,
        requested: i64,
        approved: Option<i64>,
    ) -> ApplicationView {
        let at = parse_time("2026-03-01T10:00:00.000000000Z").expect("time");
        ApplicationView {
            access: Access::Full,
            id: Uuid::now_v7(),
            municipality: MunicipalityId::parse("SE-1283").expect("municipality"),
            fund: Uuid::now_v7(),
            round: Uuid::now_v7(),
            status,
            details: pb::ApplicationDetails {
                amount_requested: Some(money(requested, "SEK")),
                ..Default::default()
            },
            drafted_by: None,
            drafted_at: at,
            origin: None,
            submission: None,
            assignments: Vec::new(),
            reviews: Vec::new(),
            score: None,
            decision: approved.map(|a| Dated {
                item: pb::ApplicationDecided {
                    approved: Some(money(a, "SEK")),
                    ..Default::default()
                },
                at,
            }),
            withdrawal: None,
            progress_reports: Vec::new(),
            grant: None,
            updated_at: Some(at),
        }
    }

    #[test]
    fn the_pipeline_groups_every_status_in_order_with_its_sums() {
        use pb::ApplicationStatus as S;
        // Given two applications in review (300 and 500 kSEK asked), one approved as asked
        // (250 kSEK), one granted 400 of 600 kSEK and one rejected (1 MSEK asked).
        let applications = vec![
            application(S::InReview, 30_000_000, None),
            application(S::Approved, 25_000_000, Some(25_000_000)),
            application(S::InReview, 50_000_000, None),
            application(S::PartiallyApproved, 60_000_000, Some(40_000_000)),
            application(S::Rejected, 100_000_000, Some(0)),
        ];
        let first = applications[0].id;
        // When they are grouped.
        let p = pipeline(applications);
        // Then every status is a stage, in order, with its count and sums, the applications
        // in the order given.
        assert_eq!(p.total, 5);
        let stages: Vec<(S, usize)> = p
            .stages
            .iter()
            .map(|s| (s.status, s.applications.len()))
            .collect();
        assert_eq!(
            stages,
            [
                (S::Draft, 0),
                (S::Submitted, 0),
                (S::InReview, 2),
                (S::Approved, 1),
                (S::PartiallyApproved, 1),
                (S::Rejected, 1),
                (S::Withdrawn, 0)
            ]
        );
        let review = &p.stages[2];
        assert_eq!(review.applications[0].id, first);
        assert_eq!(review.requested, [money(80_000_000, "SEK")]);
        assert!(review.approved.is_empty());
        assert_eq!(p.stages[4].approved, [money(40_000_000, "SEK")]);
        assert_eq!(p.stages[5].approved, [money(0, "SEK")]);
        assert!(p.stages[0].requested.is_empty());
    }

    #[test]
    fn sums_are_kept_apart_per_currency() {
        let sums = per_currency(&[money(5, "SEK"), money(7, "NOK"), money(1, "SEK")]);
        assert_eq!(sums, [money(7, "NOK"), money(6, "SEK")]);
        assert_eq!(
            per_currency(&[money(i64::MAX, "EUR"), money(1, "EUR")]),
            [money(i64::MAX, "EUR")]
        );
    }
}
