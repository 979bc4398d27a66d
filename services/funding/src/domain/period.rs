//! The `FundPeriod` aggregate: one fund's year (stream `fund-period:<fund id>:<year>`), its
//! budget and every movement of its money in ONE stream: budgets set (`FundBudgetSet`, the
//! first event), grants committed by the council's decisions (`GrantCommitted`), money paid
//! out (`GrantDisbursed`) and unspent money given back (`UnspentReturned`). Because the
//! period's commitments are one stream, the store's optimistic concurrency (each append at
//! the version it was decided on) is what keeps them within the budget under any
//! concurrency: [`Ledger`]'s `committed − returned ≤ budget` holds after every event.
//!
//! A period is read by its fund's read rule (the application service checks the fund
//! first). Its events map to and from the contract's messages in [`PeriodEvent`]'s
//! `DomainEvent`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use innohub_proto::innohub::common::v1 as common;
use innohub_proto::innohub::funding::v1 as pb;
use innohub_runtime::aggregate::message;
use innohub_runtime::{
    Aggregate, DecodeError, DomainEvent, EncodedEvent, MunicipalityId, Principal, Role, UserId,
};
use prost::Name as _;
use uuid::Uuid;

use super::fund::FundRecord;
use super::values::{self, Money, NOTE, optional, require_member, require_role};
use crate::FundingError;

/// What can be asked of a period.
#[derive(Debug, Clone)]
pub enum PeriodCommand {
    /// Set the period's budget (the first time, or again).
    SetBudget {
        /// A fund manager.
        by: Principal,
        /// The fund, as it stands.
        fund: Box<FundRecord>,
        /// The year, as requested.
        year: i32,
        /// The budget, as requested.
        budget: Option<common::Money>,
    },
    /// Commit a grant the council decided (with the application's decision, in one
    /// transaction).
    Commit {
        /// The fund manager who records the decision.
        by: Principal,
        /// The application granted.
        application_id: Uuid,
        /// The round that decided it.
        round_id: Uuid,
        /// The amount granted, checked by the decision.
        amount: Money,
        /// The decision's period.
        year: i32,
    },
    /// Pay out part of a grant.
    Disburse {
        /// A fund manager.
        by: Principal,
        /// The granted application.
        application_id: Uuid,
        /// New id (UUIDv7).
        disbursement_id: Uuid,
        /// How much, as requested.
        amount: Option<common::Money>,
        /// The day it was paid, as requested (`""`: today).
        date: String,
        /// The day it is recorded on.
        today: NaiveDate,
        /// What it pays for, as requested.
        note: String,
    },
    /// Give unspent money of a grant back to the period's remaining budget.
    ReturnUnspent {
        /// A fund manager.
        by: Principal,
        /// The granted application.
        application_id: Uuid,
        /// How much, as requested.
        amount: Option<common::Money>,
        /// Why, as requested.
        note: String,
    },
}

/// What happened to a period's money.
#[derive(Debug, Clone, PartialEq)]
pub enum PeriodEvent {
    /// The budget was set (the first event) or changed.
    FundBudgetSet {
        /// The fund.
        fund_id: Uuid,
        /// The fund's municipality.
        municipality: MunicipalityId,
        /// The period.
        year: i32,
        /// The budget.
        budget: Money,
        /// The fund manager who set it.
        set_by: UserId,
    },
    /// A grant was committed.
    GrantCommitted {
        /// The application granted.
        application_id: Uuid,
        /// The round that decided it.
        round_id: Uuid,
        /// The approved amount.
        amount: Money,
    },
    /// Money of a grant was paid out.
    GrantDisbursed {
        /// The granted application.
        application_id: Uuid,
        /// The disbursement's id.
        disbursement_id: Uuid,
        /// How much.
        amount: Money,
        /// The day it was paid.
        date: NaiveDate,
        /// What it pays for (`""`: not said).
        note: String,
        /// The fund manager who recorded it.
        disbursed_by: UserId,
    },
    /// Unspent money of a grant went back to the period.
    UnspentReturned {
        /// The granted application.
        application_id: Uuid,
        /// How much.
        amount: Money,
        /// Why (`""`: not said).
        note: String,
        /// The fund manager who recorded it.
        returned_by: UserId,
    },
}

impl DomainEvent for PeriodEvent {
    fn encode(&self) -> EncodedEvent {
        use PeriodEvent as E;
        match self {
            E::FundBudgetSet {
                fund_id,
                municipality,
                year,
                budget,
                set_by,
            } => EncodedEvent::of(&pb::FundBudgetSet {
                fund_id: fund_id.to_string(),
                municipality: municipality.to_string(),
                year: *year,
                budget: Some(budget.into()),
                set_by: set_by.to_string(),
            }),
            E::GrantCommitted {
                application_id,
                round_id,
                amount,
            } => EncodedEvent::of(&pb::GrantCommitted {
                application_id: application_id.to_string(),
                round_id: round_id.to_string(),
                amount: Some(amount.into()),
            }),
            E::GrantDisbursed {
                application_id,
                disbursement_id,
                amount,
                date,
                note,
                disbursed_by,
            } => EncodedEvent::of(&pb::GrantDisbursed {
                application_id: application_id.to_string(),
                disbursement_id: disbursement_id.to_string(),
                amount: Some(amount.into()),
                date: date.to_string(),
                note: note.clone(),
                disbursed_by: disbursed_by.to_string(),
            }),
            E::UnspentReturned {
                application_id,
                amount,
                note,
                returned_by,
            } => EncodedEvent::of(&pb::UnspentReturned {
                application_id: application_id.to_string(),
                amount: Some(amount.into()),
                note: note.clone(),
                returned_by: returned_by.to_string(),
            }),
        }
    }

    fn decode(event_type: &str, payload: &[u8]) -> Result<Self, DecodeError> {
        use PeriodEvent as E;
        let application = |raw: &str| values::id("applicationId", raw);
        let amount = |m: Option<&common::Money>| {
            Money::required("amount", m).and_then(|a| a.positive("amount"))
        };
        Ok(match event_type {
            pb::FundBudgetSet::NAME => {
                let m: pb::FundBudgetSet = message(payload)?;
                E::FundBudgetSet {
                    fund_id: values::id("fundId", &m.fund_id)?,
                    municipality: MunicipalityId::parse(&m.municipality).map_err(DecodeError)?,
                    year: values::year("year", m.year)?,
                    budget: Money::required("budget", m.budget.as_ref())?,
                    set_by: values::user("setBy", &m.set_by)?,
                }
            }
            pb::GrantCommitted::NAME => {
                let m: pb::GrantCommitted = message(payload)?;
                E::GrantCommitted {
                    application_id: application(&m.application_id)?,
                    round_id: values::id("roundId", &m.round_id)?,
                    amount: amount(m.amount.as_ref())?,
                }
            }
            pb::GrantDisbursed::NAME => {
                let m: pb::GrantDisbursed = message(payload)?;
                E::GrantDisbursed {
                    application_id: application(&m.application_id)?,
                    disbursement_id: values::id("disbursementId", &m.disbursement_id)?,
                    amount: amount(m.amount.as_ref())?,
                    date: values::date("date", &m.date)?,
                    note: optional(NOTE, "note", &m.note)?,
                    disbursed_by: values::user("disbursedBy", &m.disbursed_by)?,
                }
            }
            pb::UnspentReturned::NAME => {
                let m: pb::UnspentReturned = message(payload)?;
                E::UnspentReturned {
                    application_id: application(&m.application_id)?,
                    amount: amount(m.amount.as_ref())?,
                    note: optional(NOTE, "note", &m.note)?,
                    returned_by: values::user("returnedBy", &m.returned_by)?,
                }
            }
            other => return Err(DecodeError(format!("no fund period event {other}"))),
        })
    }
}

/// A period's money, each the sum of its events: the latest budget, Σ committed, Σ
/// disbursed, Σ returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ledger {
    /// The budget (the latest set).
    pub budget: Money,
    /// Σ of the grants committed.
    pub committed: Money,
    /// Σ of the money paid out.
    pub disbursed: Money,
    /// Σ of the unspent money given back.
    pub returned: Money,
}

impl Ledger {
    /// What the period's grants hold: committed − returned (never below zero: no grant
    /// returns more than it was granted).
    pub fn outstanding(&self) -> Money {
        self.committed
            .checked_sub(self.returned)
            .unwrap_or(Money::zero(self.budget.currency()))
    }

    /// What is left to grant: budget − committed + returned (never below zero: the
    /// period's invariant).
    pub fn remaining(&self) -> Money {
        self.budget
            .checked_sub(self.outstanding())
            .unwrap_or(Money::zero(self.budget.currency()))
    }
}

/// One grant of a period, from its own events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// The round that decided it.
    pub round_id: Uuid,
    /// The approved amount.
    pub approved: Money,
    /// Σ paid out.
    pub disbursed: Money,
    /// Σ given back.
    pub returned: Money,
}

impl Grant {
    /// What may still be paid out or given back: approved − disbursed − returned.
    pub fn open(&self) -> Money {
        self.approved
            .checked_sub(self.disbursed)
            .and_then(|left| left.checked_sub(self.returned))
            .unwrap_or(Money::zero(self.approved.currency()))
    }
}

/// A period as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodRecord {
    fund_id: Uuid,
    municipality: MunicipalityId,
    year: i32,
    ledger: Ledger,
    grants: BTreeMap<Uuid, Grant>,
}

impl PeriodRecord {
    /// The fund.
    pub fn fund_id(&self) -> Uuid {
        self.fund_id
    }

    /// The fund's municipality.
    pub fn municipality(&self) -> &MunicipalityId {
        &self.municipality
    }

    /// The year.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// Its money.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Its grants, by application.
    pub fn grants(&self) -> &BTreeMap<Uuid, Grant> {
        &self.grants
    }

    /// The grant of application `id`, or why none.
    fn grant(&self, id: Uuid) -> Result<&Grant, FundingError> {
        self.grants.get(&id).ok_or_else(|| {
            FundingError::Rule(format!(
                "application {id} has no grant in {} of the fund",
                self.year
            ))
        })
    }

    /// `amount` of the grant of `application_id` that `by`, a fund manager, moves (pays out
    /// or gives back: `what`), checked: more than nothing, in the period's currency, and at
    /// most what is open of the grant.
    fn movable(
        &self,
        by: &Principal,
        application_id: Uuid,
        amount: Option<&common::Money>,
        what: &str,
    ) -> Result<Money, FundingError> {
        require_member(by, &self.municipality, "funds")?;
        require_role(by, &[Role::FundManager], what)?;
        let open = self.grant(application_id)?.open();
        let amount = Money::required("amount", amount)?
            .in_currency("amount", self.ledger.budget.currency())?
            .positive("amount")?;
        if open.checked_sub(amount).is_none() {
            return Err(FundingError::invalid(
                "amount",
                format!("{amount} exceeds what is open of the grant ({open})"),
            ));
        }
        Ok(amount)
    }
}

/// The aggregate: `None` until its first budget is set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FundPeriod(pub Option<PeriodRecord>);

impl FundPeriod {
    /// The stream of fund `fund`'s year `year`.
    pub fn stream_id(fund: Uuid, year: i32) -> String {
        format!("{}{fund}:{year}", crate::PERIOD_PREFIX)
    }

    fn existing(&self, application_id: Uuid) -> Result<&PeriodRecord, FundingError> {
        self.0.as_ref().ok_or_else(|| {
            FundingError::Rule(format!(
                "application {application_id} has no grant in this period"
            ))
        })
    }
}

impl Aggregate for FundPeriod {
    type Command = PeriodCommand;
    type Event = PeriodEvent;
    type Error = FundingError;
    const TYPE: &'static str = "fund_period";

    fn decide(&self, command: PeriodCommand) -> Result<Vec<PeriodEvent>, FundingError> {
        use PeriodCommand as C;
        use PeriodEvent as E;
        match command {
            C::SetBudget {
                by,
                fund,
                year,
                budget,
            } => {
                fund.managed_by(&by, "setting a fund's budget")?;
                let year = values::year("year", year)?;
                let budget = Money::required("budget", budget.as_ref())?
                    .in_currency("budget", fund.terms().currency())?;
                if let Some(r) = &self.0 {
                    let outstanding = r.ledger.outstanding();
                    if budget.checked_sub(outstanding).is_none() {
                        return Err(FundingError::invalid(
                            "budget",
                            format!("{budget} is below what {year} has committed ({outstanding})"),
                        ));
                    }
                    if budget == r.ledger.budget {
                        return Ok(vec![]);
                    }
                }
                Ok(vec![E::FundBudgetSet {
                    fund_id: fund.id(),
                    municipality: fund.municipality().clone(),
                    year,
                    budget,
                    set_by: by.user,
                }])
            }
            C::Commit {
                by,
                application_id,
                round_id,
                amount,
                year,
            } => {
                let Some(r) = self.0.as_ref().filter(|r| r.year == year) else {
                    return Err(FundingError::Rule(format!("fund has no budget for {year}")));
                };
                require_member(&by, &r.municipality, "funds")?;
                if r.grants.contains_key(&application_id) {
                    return Err(FundingError::Rule(format!(
                        "application {application_id} already has a grant in {year}"
                    )));
                }
                let amount = amount.in_currency("amount", r.ledger.budget.currency())?;
                let remaining = r.ledger.remaining();
                let fits = remaining.checked_sub(amount).is_some()
                    && r.ledger.committed.checked_add(amount).is_some();
                if !fits {
                    return Err(FundingError::invalid(
                        "amount",
                        format!("{amount} exceeds the remaining budget of {year} ({remaining})"),
                    ));
                }
                Ok(vec![E::GrantCommitted {
                    application_id,
                    round_id,
                    amount,
                }])
            }
            C::Disburse {
                by,
                application_id,
                disbursement_id,
                amount,
                date,
                today,
                note,
            } => {
                let r = self.existing(application_id)?;
                let amount =
                    r.movable(&by, application_id, amount.as_ref(), "disbursing a grant")?;
                let date = match date.trim() {
                    "" => today,
                    raw => values::date("date", raw)?,
                };
                Ok(vec![E::GrantDisbursed {
                    application_id,
                    disbursement_id,
                    amount,
                    date,
                    note: optional(NOTE, "note", &note)?,
                    disbursed_by: by.user,
                }])
            }
            C::ReturnUnspent {
                by,
                application_id,
                amount,
                note,
            } => {
                let r = self.existing(application_id)?;
                let amount = r.movable(
                    &by,
                    application_id,
                    amount.as_ref(),
                    "returning unspent money",
                )?;
                Ok(vec![E::UnspentReturned {
                    application_id,
                    amount,
                    note: optional(NOTE, "note", &note)?,
                    returned_by: by.user,
                }])
            }
        }
    }

    fn evolve(self, event: &PeriodEvent) -> Self {
        use PeriodEvent as E;
        if let E::FundBudgetSet {
            fund_id,
            municipality,
            year,
            budget,
            ..
        } = event
        {
            return FundPeriod(Some(match self.0 {
                Some(r) => PeriodRecord {
                    ledger: Ledger {
                        budget: *budget,
                        ..r.ledger
                    },
                    ..r
                },
                None => {
                    let zero = Money::zero(budget.currency());
                    PeriodRecord {
                        fund_id: *fund_id,
                        municipality: municipality.clone(),
                        year: *year,
                        ledger: Ledger {
                            budget: *budget,
                            committed: zero,
                            disbursed: zero,
                            returned: zero,
                        },
                        grants: BTreeMap::new(),
                    }
                }
            }));
        }
        let Some(mut r) = self.0 else {
            return self;
        };
        match event {
            E::FundBudgetSet { .. } => {}
            E::GrantCommitted {
                application_id,
                round_id,
                amount,
            } => {
                let zero = Money::zero(amount.currency());
                r.grants.insert(
                    *application_id,
                    Grant {
                        round_id: *round_id,
                        approved: *amount,
                        disbursed: zero,
                        returned: zero,
                    },
                );
                r.ledger.committed = r.ledger.committed.saturating_add(*amount);
            }
            E::GrantDisbursed {
                application_id,
                amount,
                ..
            } => {
                if let Some(g) = r.grants.get_mut(application_id) {
                    g.disbursed = g.disbursed.saturating_add(*amount);
                }
                r.ledger.disbursed = r.ledger.disbursed.saturating_add(*amount);
            }
            E::UnspentReturned {
                application_id,
                amount,
                ..
            } => {
                if let Some(g) = r.grants.get_mut(application_id) {
                    g.returned = g.returned.saturating_add(*amount);
                }
                r.ledger.returned = r.ledger.returned.saturating_add(*amount);
            }
        }
        FundPeriod(Some(r))
    }

    fn municipality(&self) -> Option<&MunicipalityId> {
        self.0.as_ref().map(|r| &r.municipality)
    }
}
