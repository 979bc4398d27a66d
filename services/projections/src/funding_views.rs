//! The `funding_views` projection, built from the funding events only, decoded from the
//! contract's messages (`innohub.funding.v1`); read by [`crate::funding_queries`] and
//! [`crate::innovation_funnel`]. Each record is folded from ONE stream, so that it never
//! depends on the order in which different streams' events arrive (on Kafka they are on
//! different partitions); the queries join them:
//!
//! - a fund (stream `fund`): one row for the read rule and the order (`fund_view`) and the
//!   fund as its events made it (`fund_record`, an `innohub.projections.v1.FundRecord`: its
//!   terms and decision rounds);
//! - a period (stream `fund_period`, one per fund and year): its ledger (`fund_period`, a
//!   `FundLedgerRecord`: budget, committed, disbursed, returned as the sums of the
//!   period's events in minor units, [`post`]) and the money of each grant committed
//!   against it (`fund_grant`, a `GrantRecord` per application: the commitment, the
//!   disbursements and returns);
//! - an application (stream `application`): one row for the read rule, the filters and the
//!   funnel (`application_view`), the application as its events made it
//!   (`application_record`) and its applicants as facets (`funding_facet`).
//!
//! Weighted scores and what remains of a budget are not stored: they are computed when read.
//!
//! A batch is applied in three steps, like `pilot_views`: [`Batch::load`] decodes every event
//! and reads, once, the records the batch touches; [`Batch::fold`] folds the events into them
//! in memory; [`Batch::write`] writes each table once, in multi-row statements.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use innohub_funding_rules::{decided_status, status_name};
use innohub_proto::innohub::common::v1::Money;
use innohub_proto::innohub::funding::v1 as pb;
use innohub_proto::innohub::projections::v1::{
    ApplicationAssignment, ApplicationDecision, ApplicationProgress, ApplicationRecord,
    ApplicationReview, ApplicationSubmission, ApplicationWithdrawal, FundLedgerRecord, FundRecord,
    FundRound, GrantDisbursement, GrantRecord, GrantReturn,
};
use innohub_proto::short_name as short;
use innohub_runtime::StoredEvent;
use innohub_runtime::projection::{Projection, ProjectionError};
use innohub_runtime::sql::{Rows, Value};
use prost::{Message, Name};
use sqlx::AnyConnection;

use crate::access::{APPLICATIONS, FUNDS, ReadModel};
use crate::filter::application_facets;
use crate::idea_views::visibility_of;
use crate::pilot_views::IDEAS;
use crate::process_views::{aggregates, decoded, records_of};
use crate::records::{Kept, Records};
use crate::timeline::stored_time;

/// The projection.
#[derive(Debug, Default, Clone, Copy)]
pub struct FundingViews;

/// The aggregate types of the funding service's streams.
const FUND: &str = "fund";
const PERIOD: &str = "fund_period";
const APPLICATION: &str = "application";

impl Projection for FundingViews {
    fn name(&self) -> &'static str {
        "funding_views"
    }

    fn source(&self) -> &'static str {
        "funding"
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "fund_view",
            "fund_record",
            "fund_period",
            "fund_grant",
            "application_view",
            "application_record",
            "funding_facet",
        ]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        events: &[&StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut batch = Batch::load(conn, events).await?;
        batch.fold()?;
        batch.write(conn).await
    }
}

/// The status a decision leads to (`innohub_funding_rules::decided_status`).
fn decided(outcome: i32) -> Result<pb::ApplicationStatus, String> {
    pb::DecisionOutcome::try_from(outcome)
        .ok()
        .and_then(decided_status)
        .ok_or_else(|| format!("no decision outcome {outcome}"))
}

/// A movement of a period's money, as its event states it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Movement<'a> {
    /// The budget was set to this amount.
    Budget(&'a Money),
    /// A grant was committed.
    Committed(&'a Money),
    /// Money of a grant was paid out.
    Disbursed(&'a Money),
    /// Unspent money of a grant came back.
    Returned(&'a Money),
}

/// Post `movement` to `ledger`: the budget is the latest set, the other sums add up. The
/// first budget names the ledger's currency; an amount in another currency, or a sum beyond
/// what 64 bits hold, is refused (a ledger that mixed them would be misread).
pub(crate) fn post(ledger: &mut FundLedgerRecord, movement: Movement<'_>) -> Result<(), String> {
    let (amount, sum, what) = match movement {
        Movement::Budget(m) => (m, None, "budget"),
        Movement::Committed(m) => (m, Some(&mut ledger.committed), "grant committed"),
        Movement::Disbursed(m) => (m, Some(&mut ledger.disbursed), "disbursement"),
        Movement::Returned(m) => (m, Some(&mut ledger.returned), "return"),
    };
    if ledger.currency.is_empty() && matches!(movement, Movement::Budget(_)) {
        ledger.currency = amount.currency.clone();
    }
    if amount.currency != ledger.currency {
        return Err(format!(
            "a {what} in {} on a ledger in {}",
            amount.currency, ledger.currency
        ));
    }
    match sum {
        None => ledger.budget = amount.minor_units,
        Some(sum) => {
            *sum = sum
                .checked_add(amount.minor_units)
                .ok_or_else(|| format!("the ledger's {what}s overflow"))?;
        }
    }
    Ok(())
}

/// A fund event's contract message, decoded once.
enum FundChange {
    Created(Box<pb::FundCreated>),
    Round(pb::DecisionRoundScheduled),
}

/// A period event's contract message, decoded once.
enum PeriodChange {
    Budget(pb::FundBudgetSet),
    Committed(pb::GrantCommitted),
    Disbursed(pb::GrantDisbursed),
    Returned(pb::UnspentReturned),
}

impl PeriodChange {
    /// The application whose grant the event moves money of.
    fn application(&self) -> Option<&str> {
        match self {
            PeriodChange::Budget(_) => None,
            PeriodChange::Committed(e) => Some(&e.application_id),
            PeriodChange::Disbursed(e) => Some(&e.application_id),
            PeriodChange::Returned(e) => Some(&e.application_id),
        }
    }
}

/// An application event's contract message, decoded once.
enum ApplicationChange {
    Drafted(Box<pb::ApplicationDrafted>),
    Details(Box<pb::ApplicationDetailsChanged>),
    Submitted(Box<pb::ApplicationSubmitted>),
    Assigned(pb::ApplicationReviewerAssigned),
    Reviewed(pb::ApplicationReviewed),
    Decided(pb::ApplicationDecided),
    Withdrawn(pb::ApplicationWithdrawn),
    Progress(pb::ProgressReported),
}

/// An event's contract message, decoded once.
enum Change {
    Fund(FundChange),
    Period(PeriodChange),
    Application(Box<ApplicationChange>),
    /// Another aggregate type, or an event type this build does not know: nothing here.
    None,
}

/// Decode `event`, or refuse it. Unknown event types are skipped (the contract's rule).
fn decode(event: &StoredEvent) -> Result<Change, ProjectionError> {
    use ApplicationChange as A;
    let app = |c: A| Change::Application(Box::new(c));
    let decoded = match (event.aggregate_type.as_str(), event.event_type.as_str()) {
        (FUND, pb::FundCreated::NAME) => event
            .message()
            .map(|m| Change::Fund(FundChange::Created(Box::new(m)))),
        (FUND, pb::DecisionRoundScheduled::NAME) => {
            event.message().map(|m| Change::Fund(FundChange::Round(m)))
        }
        (PERIOD, pb::FundBudgetSet::NAME) => event
            .message()
            .map(|m| Change::Period(PeriodChange::Budget(m))),
        (PERIOD, pb::GrantCommitted::NAME) => event
            .message()
            .map(|m| Change::Period(PeriodChange::Committed(m))),
        (PERIOD, pb::GrantDisbursed::NAME) => event
            .message()
            .map(|m| Change::Period(PeriodChange::Disbursed(m))),
        (PERIOD, pb::UnspentReturned::NAME) => event
            .message()
            .map(|m| Change::Period(PeriodChange::Returned(m))),
        (APPLICATION, pb::ApplicationDrafted::NAME) => {
            event.message().map(|m| app(A::Drafted(Box::new(m))))
        }
        (APPLICATION, pb::ApplicationDetailsChanged::NAME) => {
            event.message().map(|m| app(A::Details(Box::new(m))))
        }
        (APPLICATION, pb::ApplicationSubmitted::NAME) => {
            event.message().map(|m| app(A::Submitted(Box::new(m))))
        }
        (APPLICATION, pb::ApplicationReviewerAssigned::NAME) => {
            event.message().map(|m| app(A::Assigned(m)))
        }
        (APPLICATION, pb::ApplicationReviewed::NAME) => {
            event.message().map(|m| app(A::Reviewed(m)))
        }
        (APPLICATION, pb::ApplicationDecided::NAME) => event.message().map(|m| app(A::Decided(m))),
        (APPLICATION, pb::ApplicationWithdrawn::NAME) => {
            event.message().map(|m| app(A::Withdrawn(m)))
        }
        (APPLICATION, pb::ProgressReported::NAME) => event.message().map(|m| app(A::Progress(m))),
        _ => Ok(Change::None),
    };
    decoded.map_err(|e| ProjectionError::refused(event, e))
}

impl Kept for FundRecord {
    const TABLE: &'static str = "fund_record";
    const INSERT: &'static str = "INSERT INTO fund_record (id, record)";
    const MODEL: &'static ReadModel = &FUNDS;
    const INSERT_FACETS: &'static str = "INSERT INTO funding_facet (record_id, facet, value)";

    /// A fund is filed under nothing.
    fn facets(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

impl Kept for ApplicationRecord {
    const TABLE: &'static str = "application_record";
    const INSERT: &'static str = "INSERT INTO application_record (id, record)";
    const MODEL: &'static ReadModel = &APPLICATIONS;
    const INSERT_FACETS: &'static str = "INSERT INTO funding_facet (record_id, facet, value)";

    fn facets(&self) -> Vec<(&'static str, String)> {
        application_facets(self)
    }
}

/// A record of a stream without a view row or facets (a period's ledger, a grant), with the
/// time of its last event once the batch changed it.
struct Folded<R> {
    records: HashMap<String, Option<R>>,
    changed: BTreeMap<String, String>,
}

impl<R: Message + Default> Folded<R> {
    async fn read(
        conn: &mut AnyConnection,
        table: &str,
        ids: BTreeSet<&str>,
    ) -> Result<Self, ProjectionError> {
        Ok(Self {
            records: records_of(conn, (table, "id", "record"), ids).await?,
            changed: BTreeMap::new(),
        })
    }

    /// `id`'s record, changed at `at`; `None` while it has none.
    fn get_mut(&mut self, id: &str, at: &str) -> Option<&mut R> {
        let record = self.records.get_mut(id)?.as_mut()?;
        self.changed.insert(id.to_owned(), at.to_owned());
        Some(record)
    }

    /// `id`'s first record, made at `at`.
    fn created(&mut self, id: &str, record: R, at: &str) {
        self.records.insert(id.to_owned(), Some(record));
        self.changed.insert(id.to_owned(), at.to_owned());
    }

    /// Each changed record's row, made by `row` (of its id, record and time of its last
    /// event), for `rows`, an upsert.
    async fn write(
        &self,
        conn: &mut AnyConnection,
        mut rows: Rows,
        row: impl Fn(&str, &R, &str) -> Vec<Value>,
    ) -> Result<(), ProjectionError> {
        for (id, at) in &self.changed {
            if let Some(record) = self.records.get(id).and_then(Option::as_ref) {
                rows.push(row(id, record, at));
            }
        }
        rows.execute(conn).await?;
        Ok(())
    }
}

/// What one batch reads, folds and writes.
struct Batch<'a> {
    events: Vec<(&'a StoredEvent, Change)>,
    funds: Records<FundRecord>,
    applications: Records<ApplicationRecord>,
    /// Ledgers by period stream id.
    periods: Folded<FundLedgerRecord>,
    /// Grants by application id, with the period stream they are committed against.
    grants: Folded<GrantRecord>,
    grant_periods: HashMap<String, String>,
}

impl<'a> Batch<'a> {
    /// Decode the events and read the records they touch.
    async fn load(
        conn: &mut AnyConnection,
        events: &[&'a StoredEvent],
    ) -> Result<Batch<'a>, ProjectionError> {
        let events = decoded(events, decode)?;
        let funds = aggregates(&events, |c| matches!(c, Change::Fund(_)));
        let periods = aggregates(&events, |c| matches!(c, Change::Period(_)));
        let applications = aggregates(&events, |c| matches!(c, Change::Application(_)));
        let granted: BTreeSet<&str> = events
            .iter()
            .filter_map(|(_, c)| match c {
                Change::Period(p) => p.application(),
                _ => None,
            })
            .collect();
        Ok(Batch {
            funds: Records::read(conn, funds).await?,
            applications: Records::read(conn, applications).await?,
            periods: Folded::read(conn, "fund_period", periods).await?,
            grants: Folded::read(conn, "fund_grant", granted).await?,
            grant_periods: HashMap::new(),
            events,
        })
    }

    /// Fold every event into the loaded records.
    fn fold(&mut self) -> Result<(), ProjectionError> {
        for (event, change) in std::mem::take(&mut self.events) {
            let at = stored_time(&event.occurred_at);
            let id = event.aggregate_id.as_str();
            match change {
                Change::Fund(c) => self.fold_fund(id, c, at),
                Change::Period(c) => self.fold_period(id, c, &at),
                Change::Application(c) => self.fold_application(id, *c, at),
                Change::None => Ok(()),
            }
            .map_err(|reason| ProjectionError::refused(event, reason))?;
        }
        Ok(())
    }

    fn fold_fund(&mut self, id: &str, change: FundChange, at: String) -> Result<(), String> {
        let round = match change {
            FundChange::Created(e) => {
                let e = *e;
                let record = FundRecord {
                    fund_id: e.fund_id,
                    municipality: e.municipality,
                    terms: e.terms,
                    created_by: e.created_by,
                    created_at: at.clone(),
                    rounds: Vec::new(),
                };
                self.funds.created(id.to_owned(), record, at);
                return Ok(());
            }
            FundChange::Round(e) => e,
        };
        let Some(Some(fund)) = self.funds.records.get_mut(id) else {
            return Err(format!("a round of fund {id} before it was created"));
        };
        fund.rounds.push(FundRound {
            scheduled: Some(round),
            scheduled_at: at.clone(),
        });
        self.funds.changed.insert(id.to_owned(), at);
        Ok(())
    }

    fn fold_period(&mut self, id: &str, change: PeriodChange, at: &str) -> Result<(), String> {
        if let PeriodChange::Budget(e) = &change
            && self.periods.get_mut(id, at).is_none()
        {
            let ledger = FundLedgerRecord {
                fund_id: e.fund_id.clone(),
                municipality: e.municipality.clone(),
                year: e.year,
                ..FundLedgerRecord::default()
            };
            self.periods.created(id, ledger, at);
        }
        let ledger = self
            .periods
            .get_mut(id, at)
            .ok_or_else(|| format!("money of period {id} before its budget was set"))?;
        let money = |m: &Option<Money>| m.clone().unwrap_or_default();
        match change {
            PeriodChange::Budget(e) => {
                let budget = money(&e.budget);
                post(ledger, Movement::Budget(&budget))?;
                ledger.budget_set_at = at.to_owned();
            }
            PeriodChange::Committed(e) => {
                post(ledger, Movement::Committed(&money(&e.amount)))?;
                let grant = GrantRecord {
                    application_id: e.application_id.clone(),
                    fund_id: ledger.fund_id.clone(),
                    year: ledger.year,
                    committed: Some(e),
                    committed_at: at.to_owned(),
                    ..GrantRecord::default()
                };
                let application = grant.application_id.clone();
                self.grants.created(&application, grant, at);
                self.grant_periods.insert(application, id.to_owned());
            }
            PeriodChange::Disbursed(e) => {
                post(ledger, Movement::Disbursed(&money(&e.amount)))?;
                self.grant(&e.application_id, id, at)?
                    .disbursements
                    .push(GrantDisbursement {
                        disbursed: Some(e),
                        recorded_at: at.to_owned(),
                    });
            }
            PeriodChange::Returned(e) => {
                post(ledger, Movement::Returned(&money(&e.amount)))?;
                self.grant(&e.application_id, id, at)?
                    .returns
                    .push(GrantReturn {
                        returned: Some(e),
                        recorded_at: at.to_owned(),
                    });
            }
        }
        Ok(())
    }

    /// The grant of `application`, committed against `period`, changed at `at`.
    fn grant(
        &mut self,
        application: &str,
        period: &str,
        at: &str,
    ) -> Result<&mut GrantRecord, String> {
        self.grant_periods
            .insert(application.to_owned(), period.to_owned());
        self.grants
            .get_mut(application, at)
            .ok_or_else(|| format!("money of application {application} before it was granted"))
    }

    fn fold_application(
        &mut self,
        id: &str,
        change: ApplicationChange,
        at: String,
    ) -> Result<(), String> {
        use pb::ApplicationStatus as S;
        if let ApplicationChange::Drafted(e) = change {
            let e = *e;
            let record = ApplicationRecord {
                application_id: e.application_id,
                municipality: e.municipality,
                fund_id: e.fund_id,
                round_id: e.round_id,
                status: S::Draft as i32,
                details: e.details,
                drafted_by: e.drafted_by,
                origin: e.origin,
                drafted_at: at.clone(),
                ..ApplicationRecord::default()
            };
            self.applications.created(id.to_owned(), record, at);
            return Ok(());
        }
        let Some(Some(r)) = self.applications.records.get_mut(id) else {
            return Err(format!(
                "an event of application {id} before it was drafted"
            ));
        };
        match change {
            ApplicationChange::Drafted(_) => unreachable!("handled above"),
            ApplicationChange::Details(e) => {
                r.details = e.details;
                self.applications.refaceted.insert(id.to_owned());
            }
            ApplicationChange::Submitted(e) => {
                r.status = S::Submitted as i32;
                // The details as submitted are the draft's, which the record holds.
                let submitted = pb::ApplicationSubmitted {
                    details: None,
                    ..*e
                };
                r.submission = Some(ApplicationSubmission {
                    submitted: Some(submitted),
                    submitted_at: at.clone(),
                });
            }
            ApplicationChange::Assigned(e) => {
                if r.status == S::Submitted as i32 {
                    r.status = S::InReview as i32;
                }
                r.assignments.push(ApplicationAssignment {
                    assigned: Some(e),
                    assigned_at: at.clone(),
                });
            }
            ApplicationChange::Reviewed(e) => {
                let reviewer = e.reviewer.clone();
                let review = ApplicationReview {
                    reviewed: Some(e),
                    reviewed_at: at.clone(),
                };
                match r.reviews.iter_mut().find(|earlier| {
                    earlier
                        .reviewed
                        .as_ref()
                        .is_some_and(|e| e.reviewer == reviewer)
                }) {
                    Some(earlier) => *earlier = review,
                    None => r.reviews.push(review),
                }
            }
            ApplicationChange::Decided(e) => {
                r.status = decided(e.outcome)? as i32;
                r.decision = Some(ApplicationDecision {
                    decided: Some(e),
                    decided_at: at.clone(),
                });
            }
            ApplicationChange::Withdrawn(e) => {
                r.status = S::Withdrawn as i32;
                r.withdrawal = Some(ApplicationWithdrawal {
                    withdrawn: Some(e),
                    withdrawn_at: at.clone(),
                });
            }
            ApplicationChange::Progress(e) => r.progress_reports.push(ApplicationProgress {
                reported: Some(e),
                recorded_at: at.clone(),
            }),
        }
        self.applications.changed.insert(id.to_owned(), at);
        Ok(())
    }

    /// Each table once.
    async fn write(self, conn: &mut AnyConnection) -> Result<(), ProjectionError> {
        let funds = Rows::new(
            "INSERT INTO fund_view (id, municipality, visibility, created_at, updated_at)",
            "ON CONFLICT (id) DO UPDATE SET visibility = excluded.visibility, \
             updated_at = excluded.updated_at",
        );
        self.funds
            .write(conn, funds, |_, fund, at| fund_row(fund, at))
            .await?;
        let periods = Rows::new(
            "INSERT INTO fund_period (id, fund_id, year, record, updated_at)",
            "ON CONFLICT (id) DO UPDATE SET record = excluded.record, \
             updated_at = excluded.updated_at",
        );
        self.periods
            .write(conn, periods, |id, ledger, at| {
                vec![
                    id.into(),
                    ledger.fund_id.clone().into(),
                    i64::from(ledger.year).into(),
                    ledger.encode_to_vec().into(),
                    at.into(),
                ]
            })
            .await?;
        let grants = Rows::new(
            "INSERT INTO fund_grant (id, period_id, record)",
            "ON CONFLICT (id) DO UPDATE SET record = excluded.record",
        );
        let period_of = |application: &str| {
            self.grant_periods
                .get(application)
                .cloned()
                .unwrap_or_default()
        };
        self.grants
            .write(conn, grants, |id, grant, _| {
                vec![
                    id.into(),
                    period_of(id).into(),
                    grant.encode_to_vec().into(),
                ]
            })
            .await?;
        let applications = Rows::new(
            "INSERT INTO application_view (id, municipality, visibility, drafted_by, fund_id, \
             round_id, status, origin_idea, drafted_at, updated_at)",
            "ON CONFLICT (id) DO UPDATE SET visibility = excluded.visibility, \
             status = excluded.status, updated_at = excluded.updated_at",
        );
        self.applications
            .write(conn, applications, |_, application, at| {
                application_row(application, at)
            })
            .await
    }
}

/// The `fund_view` row of a fund last changed at `updated_at`.
fn fund_row(fund: &FundRecord, updated_at: &str) -> Vec<Value> {
    let visibility = visibility_of(fund.terms.as_ref().map_or(0, |t| t.visibility));
    vec![
        fund.fund_id.clone().into(),
        fund.municipality.clone().into(),
        short(visibility.as_str_name()).into(),
        fund.created_at.clone().into(),
        updated_at.into(),
    ]
}

/// The `application_view` row of an application last changed at `updated_at`. A DRAFT is
/// PRIVATE whatever its details say: the read rule shows it to its applicants, its drafter
/// and the fund managers alone.
fn application_row(application: &ApplicationRecord, updated_at: &str) -> Vec<Value> {
    let status = pb::ApplicationStatus::try_from(application.status).unwrap_or_default();
    let visibility = if status == pb::ApplicationStatus::Draft {
        innohub_proto::innohub::processes::v1::Visibility::Private
    } else {
        visibility_of(application.details.as_ref().map_or(0, |d| d.visibility))
    };
    let origin_idea = application
        .origin
        .as_ref()
        .filter(|o| (o.context.as_str(), o.kind.as_str()) == IDEAS)
        .map(|o| o.id.clone());
    vec![
        application.application_id.clone().into(),
        application.municipality.clone().into(),
        short(visibility.as_str_name()).into(),
        application.drafted_by.clone().into(),
        application.fund_id.clone().into(),
        application.round_id.clone().into(),
        status_name(status).into(),
        origin_idea.into(),
        application.drafted_at.clone().into(),
        updated_at.into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sek(minor_units: i64) -> Money {
        Money {
            minor_units,
            currency: "SEK".into(),
        }
    }

    #[test]
    fn the_ledger_is_the_sum_of_its_periods_movements() {
        // Given a budget of 1 MSEK, set again to 900 kSEK, two grants of 400 and 250 kSEK,
        // 300 kSEK paid out of the first and 50 kSEK of the second given back.
        let mut ledger = FundLedgerRecord::default();
        let movements = [
            Movement::Budget(&sek(100_000_000)),
            Movement::Committed(&sek(40_000_000)),
            Movement::Budget(&sek(90_000_000)),
            Movement::Committed(&sek(25_000_000)),
            Movement::Disbursed(&sek(30_000_000)),
            Movement::Returned(&sek(5_000_000)),
        ];
        // When each is posted.
        for m in movements {
            post(&mut ledger, m).expect("posted");
        }
        // Then the budget is the latest and the rest the sums, in the budget's currency.
        assert_eq!(ledger.currency, "SEK");
        assert_eq!(
            (
                ledger.budget,
                ledger.committed,
                ledger.disbursed,
                ledger.returned
            ),
            (90_000_000, 65_000_000, 30_000_000, 5_000_000)
        );
    }

    #[test]
    fn a_ledger_refuses_another_currency_and_an_overflow() {
        // Given a ledger in SEK with a commitment near the largest sum.
        let mut ledger = FundLedgerRecord::default();
        post(&mut ledger, Movement::Budget(&sek(i64::MAX))).expect("budget");
        post(&mut ledger, Movement::Committed(&sek(i64::MAX - 1))).expect("committed");
        // When a grant in euros, a new budget in euros or one more öre than 64 bits hold is
        // posted, then each is refused and the ledger is unchanged.
        let eur = Money {
            minor_units: 1,
            currency: "EUR".into(),
        };
        let before = ledger.clone();
        assert!(post(&mut ledger, Movement::Committed(&eur)).is_err());
        assert!(post(&mut ledger, Movement::Budget(&eur)).is_err());
        assert!(post(&mut ledger, Movement::Committed(&sek(2))).is_err());
        assert_eq!(ledger, before);
    }

    #[test]
    fn a_decision_leads_to_its_status_and_an_unknown_outcome_is_refused() {
        use pb::DecisionOutcome as O;
        assert_eq!(
            decided(O::PartiallyApproved as i32),
            Ok(pb::ApplicationStatus::PartiallyApproved)
        );
        assert!(decided(O::Unspecified as i32).is_err());
        assert!(decided(99).is_err());
    }
}
