//! Every funding rule as a given/when/then sentence (a council's decision, which spans an
//! application and its period, as the same sentence over both), and the one mapping of
//! every event to its contract message and back.

use chrono::NaiveDate;
use innohub_proto::innohub::common::v1::{self as common, RecordRef};
use innohub_proto::innohub::funding::v1 as pb;
use innohub_proto::innohub::processes::v1::Visibility as PbVisibility;
use innohub_runtime::readable::Readable;
use innohub_runtime::testing::{Breaks, day, given, golden_event, person, round_trip};
use innohub_runtime::{
    Access, Aggregate as _, DecodeError, DomainEvent, ErrorCode, HasErrorCode as _, MunicipalityId,
    Principal, RecordLink, Role, UserId, Viewer, Visibility,
};
use prost::Message as _;
use prost_types::FieldMask;
use uuid::Uuid;

use super::application::{
    Application, ApplicationCommand as AC, ApplicationEvent as AE, DecideApplication,
};
use super::fund::{Fund, FundCommand as FC, FundEvent as FE, FundRecord};
use super::period::{FundPeriod, PeriodCommand as PC, PeriodEvent as PE};
use super::values::{
    ApplicationDetails, ApplicationStatus as Status, CouncilDecision, Decided, DecisionOutcome,
    DecisionRound, FundTerms, Money, ProgressReport, Review,
};
use crate::FundingError;

const FUND: Uuid = Uuid::from_u128(0x0195_d2e0_4c00_7a1b_8c2d_3e4f_5a6b_7c8d);
const ROUND: Uuid = Uuid::from_u128(0x0195_d2e0_4c00_7000_8000_0000_0000_00a1);
const OTHER_ROUND: Uuid = Uuid::from_u128(0x0195_d2e0_4c00_7000_8000_0000_0000_00a2);
const APP: Uuid = Uuid::from_u128(0x0195_d2e1_5d00_7b2c_9d3e_4f5a_6b7c_8d9e);
const OTHER_APP: Uuid = Uuid::from_u128(0x0195_d2e1_5d00_7000_8000_0000_0000_0002);
const REPORT: Uuid = Uuid::from_u128(0x0195_d2e1_5d00_7000_8000_0000_0000_00c1);
const PAYMENT: Uuid = Uuid::from_u128(0x0195_d2e1_5d00_7000_8000_0000_0000_00d1);
const IDEA: Uuid = Uuid::from_u128(0x0195_d2c8_1a00_7b3e_9f21_3c4d_5e6f_7a8b);
const HOME: &str = "SE-1283";
/// A thousand SEK in öre.
const KSEK: i64 = 100_000;

/// A command, made when asked.
type Command<C> = fn() -> C;

fn today() -> NaiveDate {
    day("2026-03-15")
}

/// The fund manager (also an employee).
fn manager() -> Principal {
    person(
        "maria",
        HOME,
        Some("stadsledning"),
        &[Role::FundManager, Role::Employee],
    )
}
/// A fund reviewer.
fn reviewer() -> Principal {
    person("rita", HOME, Some("stadsledning"), &[Role::FundReviewer])
}
/// Another fund reviewer.
fn other_reviewer() -> Principal {
    person("rolf", HOME, Some("stadsledning"), &[Role::FundReviewer])
}
/// An applicant.
fn applicant() -> Principal {
    person("anna", HOME, Some("kultur"), &[Role::Employee])
}
/// The innovation lead who drafts the application with the applicants.
fn lead() -> Principal {
    person(
        "ivar",
        HOME,
        Some("innovation"),
        &[Role::InnovationLead, Role::Employee],
    )
}
/// An employee who is not an applicant.
fn colleague() -> Principal {
    person("cilla", HOME, Some("skola"), &[Role::Employee])
}
/// Someone of a partner municipality holding every funding role there.
fn partner() -> Principal {
    person(
        "pia",
        "NO-4626",
        Some("it"),
        &[
            Role::Employee,
            Role::InnovationLead,
            Role::FundManager,
            Role::FundReviewer,
        ],
    )
}

fn home() -> MunicipalityId {
    MunicipalityId::parse(HOME).unwrap()
}

fn user(p: &Principal) -> UserId {
    p.user.clone()
}

fn sek(minor_units: i64) -> common::Money {
    common::Money {
        minor_units,
        currency: "SEK".into(),
    }
}

fn eur(minor_units: i64) -> common::Money {
    common::Money {
        minor_units,
        currency: "EUR".into(),
    }
}

/// `thousands` kSEK as a checked amount.
fn ksek(thousands: i64) -> Money {
    Money::checked("amount", &sek(thousands * KSEK)).unwrap()
}

fn paths(paths: &[&str]) -> FieldMask {
    FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    }
}

// ---------------------------------------------------------------------------------------
// Funds
// ---------------------------------------------------------------------------------------

/// A city innovation fund: 250 kSEK to 1 MSEK, at least two departments, three criteria.
fn terms_fields() -> pb::FundTerms {
    let criterion = |name: &str, weight| pb::Criterion {
        name: name.into(),
        description: String::new(),
        weight,
    };
    pb::FundTerms {
        name: "Helsingborgs innovationsfond".into(),
        description: "För idéer som gör staden bättre".into(),
        currency: "SEK".into(),
        min_grant: Some(sek(250 * KSEK)),
        max_grant: Some(sek(1_000 * KSEK)),
        min_departments: 2,
        criteria: vec![
            criterion("Nytta", 40),
            criterion("Genomförbarhet", 30),
            criterion("Spridning", 30),
        ],
        visibility: PbVisibility::Municipality as i32,
    }
}

fn created_with(terms: pb::FundTerms) -> FE {
    FE::FundCreated {
        id: FUND,
        municipality: home(),
        terms: FundTerms::requested(terms).unwrap(),
        created_by: user(&manager()),
    }
}

fn created() -> FE {
    created_with(terms_fields())
}

fn round_fields() -> pb::DecisionRound {
    pb::DecisionRound {
        title: "Vårens råd 2026".into(),
        application_deadline: "2026-03-31".into(),
        council_date: "2026-04-20".into(),
    }
}

fn scheduled() -> FE {
    FE::DecisionRoundScheduled {
        round_id: ROUND,
        round: DecisionRound::try_from(round_fields()).unwrap(),
    }
}

fn fund_with(terms: pb::FundTerms) -> FundRecord {
    Fund::from_events(&[created_with(terms), scheduled()])
        .0
        .unwrap()
}

fn fund() -> FundRecord {
    fund_with(terms_fields())
}

fn create(by: Principal, terms: pb::FundTerms) -> FC {
    FC::Create {
        id: FUND,
        by,
        terms,
    }
}

fn schedule(by: Principal, round: pb::DecisionRound) -> FC {
    FC::ScheduleRound {
        by,
        round_id: ROUND,
        round,
    }
}

#[test]
fn a_fund_manager_creates_a_fund_kept_to_the_municipality_unless_said() {
    // Given nothing, when a fund manager creates a fund, then it is created.
    given::<Fund>([])
        .when(create(manager(), terms_fields()))
        .then_events([created()]);
    // When its visibility is not said, then it is kept to the municipality.
    let unsaid = pb::FundTerms {
        visibility: 0,
        ..terms_fields()
    };
    let fund = given::<Fund>([])
        .when(create(manager(), unsaid))
        .then_state()
        .0
        .unwrap();
    assert_eq!(fund.terms().visibility(), Visibility::Municipality);
    assert_eq!(fund.terms().min_grant(), ksek(250));
    assert_eq!(fund.created_by(), &user(&manager()));
    // When an employee or a reviewer creates one, then it is forbidden.
    for by in [applicant(), reviewer()] {
        given::<Fund>([])
            .when(create(by, terms_fields()))
            .then_error(ErrorCode::Forbidden);
    }
    // Given a fund, when the same id is created again, then it is refused.
    given::<Fund>([created()])
        .when(create(manager(), terms_fields()))
        .then_error(ErrorCode::BadUserInput);
}

#[test]
fn fund_terms_name_a_currency_grants_in_it_a_minimum_of_departments_and_weighted_criteria() {
    let cases: [Breaks<pb::FundTerms>; 17] = [
        (|t| t.name.clear(), "name"),
        (|t| t.name = "x".repeat(121), "name"),
        (|t| t.description = "x".repeat(4_001), "description"),
        (|t| t.currency = "kr".into(), "currency"),
        (|t| t.currency = "sek".into(), "currency"),
        (|t| t.min_grant = None, "minGrant"),
        (|t| t.min_grant = Some(sek(0)), "minGrant"),
        (|t| t.min_grant = Some(eur(100)), "minGrant"),
        (|t| t.max_grant = Some(sek(-1)), "maxGrant"),
        (|t| t.max_grant = Some(sek(249 * KSEK)), "maxGrant"),
        (|t| t.min_departments = 0, "minDepartments"),
        (|t| t.min_departments = 21, "minDepartments"),
        (|t| t.criteria.clear(), "criteria"),
        (|t| t.criteria[1].name = "NYTTA".into(), "criteria.name"),
        (|t| t.criteria[0].weight = 0, "criteria.weight"),
        (|t| t.criteria[0].weight = 101, "criteria.weight"),
        (|t| t.visibility = 9, "visibility"),
    ];
    for (break_it, field) in cases {
        // Given nothing, when a fund with one broken term is created, then it is refused
        // naming that term.
        let mut t = terms_fields();
        break_it(&mut t);
        let e = given::<Fund>([])
            .when(create(manager(), t))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some(field), "{e}");
    }
    // A fund whose smallest grant is also its largest is a fund.
    let fixed = pb::FundTerms {
        max_grant: Some(sek(250 * KSEK)),
        ..terms_fields()
    };
    given::<Fund>([])
        .when(create(manager(), fixed))
        .then_state();
    // The message names the amounts as money, not floats.
    let mut low = terms_fields();
    low.max_grant = Some(sek(249 * KSEK));
    let e = given::<Fund>([])
        .when(create(manager(), low))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        e.to_string(),
        "maxGrant: must be at least the minimum grant 250000.00 SEK"
    );
}

#[test]
fn a_fund_manager_schedules_rounds_whose_deadline_is_on_or_before_the_council_date() {
    // Given a fund, when a fund manager schedules a round, then it is scheduled, and its
    // period is the council's year.
    given::<Fund>([created()])
        .when(schedule(manager(), round_fields()))
        .then_events([scheduled()]);
    let fund = given::<Fund>([created()])
        .when(schedule(manager(), round_fields()))
        .then_state()
        .0
        .unwrap();
    assert_eq!(fund.round(ROUND).unwrap().year(), 2026);
    // A round may close the day of the council.
    let same_day = pb::DecisionRound {
        application_deadline: "2026-04-20".into(),
        ..round_fields()
    };
    given::<Fund>([created()])
        .when(schedule(manager(), same_day))
        .then_state();
    let cases: [Breaks<pb::DecisionRound>; 6] = [
        (|r| r.title.clear(), "title"),
        (|r| r.title = "x".repeat(81), "title"),
        (
            |r| r.application_deadline = "31.03.2026".into(),
            "applicationDeadline",
        ),
        (|r| r.council_date = "2026-02-30".into(), "councilDate"),
        (|r| r.council_date = "1999-12-01".into(), "councilDate"),
        (
            |r| r.application_deadline = "2026-04-21".into(),
            "applicationDeadline",
        ),
    ];
    for (break_it, field) in cases {
        let mut r = round_fields();
        break_it(&mut r);
        let e = given::<Fund>([created()])
            .when(schedule(manager(), r))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some(field), "{e}");
    }
    // When an employee or a reviewer schedules one, then it is forbidden; a partner's fund
    // manager changes nothing of another municipality's fund.
    for by in [applicant(), reviewer()] {
        given::<Fund>([created()])
            .when(schedule(by, round_fields()))
            .then_error(ErrorCode::Forbidden);
    }
    let e = given::<Fund>([created()])
        .when(schedule(partner(), round_fields()))
        .then_error(ErrorCode::Forbidden);
    assert!(e.to_string().contains("read-only"), "{e}");
    // Given no fund, when a round is scheduled, then there is no such fund.
    given::<Fund>([])
        .when(schedule(manager(), round_fields()))
        .then_error(ErrorCode::NotFound);
}

fn shared_fund(visibility: PbVisibility) -> FundRecord {
    fund_with(pb::FundTerms {
        visibility: visibility as i32,
        ..terms_fields()
    })
}

#[test]
fn funds_are_read_by_their_visibility_a_private_one_by_its_managers_and_reviewers_only() {
    let read = |visibility, viewer: Viewer| shared_fund(visibility).access(&viewer);
    use PbVisibility as V;
    for v in [V::Private, V::Municipality, V::Network] {
        assert_eq!(read(v, Viewer::new(manager())), Access::Full, "{v:?}");
        assert_eq!(read(v, Viewer::new(reviewer())), Access::Full, "{v:?}");
    }
    assert_eq!(read(V::Private, Viewer::new(applicant())), Access::None);
    assert_eq!(read(V::Private, Viewer::new(lead())), Access::None);
    assert_eq!(
        read(V::Municipality, Viewer::new(applicant())),
        Access::Full
    );
    assert_eq!(read(V::Municipality, Viewer::new(partner())), Access::None);
    assert_eq!(read(V::Network, Viewer::new(partner())), Access::None);
    let mut networked = Viewer::new(partner());
    networked.network_partners.insert(home());
    assert_eq!(read(V::Network, networked.clone()), Access::Partner);
    assert_eq!(read(V::Private, networked), Access::None);
}

// ---------------------------------------------------------------------------------------
// Periods: budgets and the ledger
// ---------------------------------------------------------------------------------------

fn budget_set(thousands: i64) -> PE {
    PE::FundBudgetSet {
        fund_id: FUND,
        municipality: home(),
        year: 2026,
        budget: ksek(thousands),
        set_by: user(&manager()),
    }
}

fn committed(application_id: Uuid, thousands: i64) -> PE {
    PE::GrantCommitted {
        application_id,
        round_id: ROUND,
        amount: ksek(thousands),
    }
}

fn disbursed(thousands: i64) -> PE {
    PE::GrantDisbursed {
        application_id: APP,
        disbursement_id: PAYMENT,
        amount: ksek(thousands),
        date: day("2026-05-02"),
        note: String::new(),
        disbursed_by: user(&manager()),
    }
}

fn returned(thousands: i64) -> PE {
    PE::UnspentReturned {
        application_id: APP,
        amount: ksek(thousands),
        note: "Billigare än väntat".into(),
        returned_by: user(&manager()),
    }
}

fn set_budget(by: Principal, budget: common::Money) -> PC {
    PC::SetBudget {
        by,
        fund: Box::new(fund()),
        year: 2026,
        budget: Some(budget),
    }
}

fn commit(application_id: Uuid, thousands: i64) -> PC {
    PC::Commit {
        by: manager(),
        application_id,
        round_id: ROUND,
        amount: ksek(thousands),
        year: 2026,
    }
}

fn disburse(by: Principal, amount: common::Money, date: &str) -> PC {
    PC::Disburse {
        by,
        application_id: APP,
        disbursement_id: PAYMENT,
        amount: Some(amount),
        date: date.into(),
        today: day("2026-05-02"),
        note: String::new(),
    }
}

fn give_back(by: Principal, amount: common::Money) -> PC {
    PC::ReturnUnspent {
        by,
        application_id: APP,
        amount: Some(amount),
        note: "Billigare än väntat".into(),
    }
}

#[test]
fn a_fund_manager_sets_a_years_budget_in_the_funds_currency_and_may_change_it() {
    // Given no budget for 2026, when a fund manager sets one, then the period begins.
    given::<FundPeriod>([])
        .when(set_budget(manager(), sek(1_000 * KSEK)))
        .then_events([budget_set(1_000)]);
    // Given one, when it is set again, then it changes; the same again changes nothing.
    given::<FundPeriod>([budget_set(1_000)])
        .when(set_budget(manager(), sek(1_200 * KSEK)))
        .then_events([budget_set(1_200)]);
    given::<FundPeriod>([budget_set(1_000)])
        .when(set_budget(manager(), sek(1_000 * KSEK)))
        .then_events([]);
    // A zero budget is a budget.
    given::<FundPeriod>([])
        .when(set_budget(manager(), sek(0)))
        .then_events([budget_set(0)]);
    // When the budget is in another currency, negative or missing, or the year is not a
    // year of the fund's, then it is refused naming the field.
    for (command, field) in [
        (set_budget(manager(), eur(1_000)), "budget"),
        (set_budget(manager(), sek(-1)), "budget"),
        (
            PC::SetBudget {
                by: manager(),
                fund: Box::new(fund()),
                year: 2026,
                budget: None,
            },
            "budget",
        ),
        (
            PC::SetBudget {
                by: manager(),
                fund: Box::new(fund()),
                year: 1999,
                budget: Some(sek(1)),
            },
            "year",
        ),
    ] {
        let e = given::<FundPeriod>([])
            .when(command)
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some(field), "{e}");
    }
    // When anyone but a fund manager of the fund's municipality sets it, then it is
    // forbidden.
    for by in [applicant(), reviewer(), partner()] {
        given::<FundPeriod>([])
            .when(set_budget(by, sek(KSEK)))
            .then_error(ErrorCode::Forbidden);
    }
}

#[test]
fn a_budget_is_never_set_below_what_the_year_has_committed_less_what_came_back() {
    let history = [
        budget_set(1_000),
        committed(APP, 600),
        returned(100),
        committed(OTHER_APP, 300),
    ];
    // Committed 900, returned 100: 800 are held.
    given::<FundPeriod>(history.clone())
        .when(set_budget(manager(), sek(800 * KSEK)))
        .then_events([budget_set(800)]);
    let e = given::<FundPeriod>(history)
        .when(set_budget(manager(), sek(800 * KSEK - 1)))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        e.to_string(),
        "budget: 799999.99 SEK is below what 2026 has committed (800000.00 SEK)"
    );
}

#[test]
fn the_ledger_is_the_sum_of_the_periods_events_and_remaining_is_budget_less_committed_plus_returned()
 {
    let period = FundPeriod::from_events(&[
        budget_set(1_000),
        committed(APP, 600),
        disbursed(200),
        disbursed(100),
        returned(50),
        committed(OTHER_APP, 250),
        budget_set(1_100),
    ])
    .0
    .unwrap();
    let l = period.ledger();
    assert_eq!(
        (l.budget, l.committed, l.disbursed, l.returned),
        (ksek(1_100), ksek(850), ksek(300), ksek(50))
    );
    assert_eq!(l.outstanding(), ksek(800));
    assert_eq!(l.remaining(), ksek(300));
    let grant = period.grants()[&APP];
    assert_eq!(
        (
            grant.approved,
            grant.disbursed,
            grant.returned,
            grant.open()
        ),
        (ksek(600), ksek(300), ksek(50), ksek(250))
    );
    assert_eq!(
        (period.fund_id(), period.year(), period.municipality()),
        (FUND, 2026, &home())
    );
    assert_eq!(
        FundPeriod::stream_id(FUND, 2026),
        format!("fund-period:{FUND}:2026")
    );
}

#[test]
fn a_grant_is_committed_only_against_a_budget_it_fits_in() {
    // Given a budget of 1 MSEK with 600 kSEK committed, when 400 kSEK is committed, then it
    // fits exactly.
    let history = [budget_set(1_000), committed(OTHER_APP, 600)];
    given::<FundPeriod>(history.clone())
        .when(commit(APP, 400))
        .then_events([committed(APP, 400)]);
    // When one öre more is committed, then it exceeds the remaining budget.
    let mut over = commit(APP, 400);
    if let PC::Commit { amount, .. } = &mut over {
        *amount = Money::checked("amount", &sek(400 * KSEK + 1)).unwrap();
    }
    let e = given::<FundPeriod>(history.clone())
        .when(over)
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        e.to_string(),
        "amount: 400000.01 SEK exceeds the remaining budget of 2026 (400000.00 SEK)"
    );
    // Given money that came back, when it is committed again, then it fits.
    given::<FundPeriod>([
        budget_set(1_000),
        committed(OTHER_APP, 600),
        committed(APP, 400),
        returned(100),
    ])
    .when(commit(Uuid::now_v7(), 100))
    .then_state();
    // Given no budget for the year, when a grant is committed, then the fund has none.
    let e = given::<FundPeriod>([])
        .when(commit(APP, 1))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.to_string(), "fund has no budget for 2026");
    // Given a grant of the application, when it is committed again, then it is refused.
    given::<FundPeriod>([budget_set(1_000), committed(APP, 400)])
        .when(commit(APP, 400))
        .then_error(ErrorCode::BadUserInput);
    // A partner's fund manager commits nothing to another municipality's period.
    let mut theirs = commit(APP, 1);
    if let PC::Commit { by, .. } = &mut theirs {
        *by = partner();
    }
    given::<FundPeriod>(history)
        .when(theirs)
        .then_error(ErrorCode::Forbidden);
}

#[test]
fn committed_less_returned_never_exceeds_the_budget_whatever_is_asked() {
    // Given a budget, when grants of every size are asked for one after the other (with
    // returns and a smaller budget in between), then what the period holds never exceeds
    // its budget: each is committed or refused.
    let mut period = FundPeriod::from_events(&[budget_set(1_000)]);
    for (i, thousands) in [300, 450, 260, 90, 1, 500, 150, 149, 10]
        .into_iter()
        .enumerate()
    {
        let application_id = Uuid::from_u128(i as u128 + 1);
        match period.decide(commit(application_id, thousands)) {
            Ok(events) => period = events.iter().fold(period, FundPeriod::evolve),
            Err(e) => assert!(
                e.to_string().contains("exceeds the remaining budget"),
                "{e}"
            ),
        }
        if i == 4 {
            let back = PC::ReturnUnspent {
                by: manager(),
                application_id: Uuid::from_u128(1),
                amount: Some(sek(100 * KSEK)),
                note: String::new(),
            };
            let events = period.decide(back).unwrap();
            period = events.iter().fold(period, FundPeriod::evolve);
            let lower = period
                .decide(set_budget(manager(), sek(901 * KSEK)))
                .unwrap();
            period = lower.iter().fold(period, FundPeriod::evolve);
        }
        let l = period.0.as_ref().unwrap().ledger();
        assert!(
            l.outstanding().minor_units() <= l.budget.minor_units(),
            "{l:?}"
        );
        assert_eq!(
            l.remaining().minor_units(),
            l.budget.minor_units() - l.committed.minor_units() + l.returned.minor_units()
        );
    }
    let l = *period.0.unwrap().ledger();
    assert_eq!(l.remaining(), ksek(0), "{l:?}");
}

#[test]
fn a_fund_manager_pays_out_a_grant_in_parts_never_more_than_is_open_of_it() {
    let granted = [budget_set(1_000), committed(APP, 400)];
    // Given a grant of 400 kSEK, when 150 kSEK is paid out on a day, then it is; a day not
    // given is today.
    given::<FundPeriod>(granted.clone())
        .when(disburse(manager(), sek(150 * KSEK), "2026-05-02"))
        .then_events([disbursed(150)]);
    given::<FundPeriod>(granted.clone())
        .when(disburse(manager(), sek(150 * KSEK), ""))
        .then_events([disbursed(150)]);
    // Given 300 paid out and 50 returned, 50 are open: exactly that is paid, one öre more
    // is refused.
    let paid = [
        budget_set(1_000),
        committed(APP, 400),
        disbursed(300),
        returned(50),
    ];
    given::<FundPeriod>(paid.clone())
        .when(disburse(manager(), sek(50 * KSEK), ""))
        .then_events([disbursed(50)]);
    let e = given::<FundPeriod>(paid)
        .when(disburse(manager(), sek(50 * KSEK + 1), ""))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        e.to_string(),
        "amount: 50000.01 SEK exceeds what is open of the grant (50000.00 SEK)"
    );
    // When the amount is nothing, another currency or missing, the day no date or the note
    // too long, then it is refused naming the field.
    let mut no_amount = disburse(manager(), sek(1), "");
    if let PC::Disburse { amount, .. } = &mut no_amount {
        *amount = None;
    }
    let mut long_note = disburse(manager(), sek(1), "");
    if let PC::Disburse { note, .. } = &mut long_note {
        *note = "x".repeat(401);
    }
    for (command, field) in [
        (disburse(manager(), sek(0), ""), "amount"),
        (disburse(manager(), eur(100), ""), "amount"),
        (no_amount, "amount"),
        (disburse(manager(), sek(1), "2. maj"), "date"),
        (long_note, "note"),
    ] {
        let e = given::<FundPeriod>(granted.clone())
            .when(command)
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some(field), "{e}");
    }
    // When anyone but a fund manager of the fund's municipality pays, then it is forbidden.
    for by in [applicant(), reviewer(), partner()] {
        given::<FundPeriod>(granted.clone())
            .when(disburse(by, sek(KSEK), ""))
            .then_error(ErrorCode::Forbidden);
    }
    // Given no grant of the application in the period, or no period, then nothing is paid.
    given::<FundPeriod>([budget_set(1_000), committed(OTHER_APP, 400)])
        .when(disburse(manager(), sek(KSEK), ""))
        .then_error(ErrorCode::BadUserInput);
    given::<FundPeriod>([])
        .when(disburse(manager(), sek(KSEK), ""))
        .then_error(ErrorCode::BadUserInput);
}

#[test]
fn unspent_money_goes_back_to_the_periods_remaining_budget_within_what_is_open_of_the_grant() {
    let paid = [budget_set(1_000), committed(APP, 400), disbursed(300)];
    // Given 300 of 400 kSEK paid, when 100 come back, then the period has them again.
    let period = given::<FundPeriod>(paid.clone())
        .when(give_back(manager(), sek(100 * KSEK)))
        .then_state();
    let l = period.0.unwrap();
    assert_eq!(l.ledger().remaining(), ksek(700));
    assert_eq!(l.grants()[&APP].open(), ksek(0));
    // When more than is open comes back, then it is refused.
    let e = given::<FundPeriod>(paid.clone())
        .when(give_back(manager(), sek(100 * KSEK + 1)))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.field(), Some("amount"));
    given::<FundPeriod>(paid.clone())
        .when(give_back(manager(), sek(0)))
        .then_error(ErrorCode::BadUserInput);
    // When anyone but a fund manager of the fund's municipality gives it back, then it is
    // forbidden.
    for by in [applicant(), partner()] {
        given::<FundPeriod>(paid.clone())
            .when(give_back(by, sek(KSEK)))
            .then_error(ErrorCode::Forbidden);
    }
}

// ---------------------------------------------------------------------------------------
// Applications: drafts
// ---------------------------------------------------------------------------------------

fn cost(description: &str, thousands: i64) -> pb::CostLine {
    pb::CostLine {
        description: description.into(),
        amount: Some(sek(thousands * KSEK)),
    }
}

/// A complete application by Anna and Bo of two departments for 400 kSEK, drafted with
/// the innovation lead.
fn details_fields() -> pb::ApplicationDetails {
    pb::ApplicationDetails {
        title: "Digital bokning av lokaler".into(),
        summary: "Invånarna bokar stadens lokaler själva".into(),
        applicants: vec!["anna".into(), "bo".into()],
        departments: vec!["kultur".into(), "fritid".into()],
        amount_requested: Some(sek(400 * KSEK)),
        canvas: Some(pb::Canvas {
            need: "Bokningar tar veckor".into(),
            solution: "En bokningstjänst".into(),
            target_group: "Föreningar".into(),
            partners: "Föreningsrådet".into(),
            timeline: "Hösten 2026".into(),
            cost_plan: vec![cost("Utveckling", 300), cost("Utbildning", 100)],
            expected_effects: "Kortare väntan".into(),
        }),
        checklist: vec![pb::ChecklistItem {
            item: "Förvaltningscheferna är överens".into(),
            done: true,
        }],
        visibility: PbVisibility::Municipality as i32,
    }
}

/// The details asking for `thousands` kSEK with a cost plan of one line of that.
fn asking(thousands: i64) -> pb::ApplicationDetails {
    let mut d = details_fields();
    d.amount_requested = Some(sek(thousands * KSEK));
    d.canvas.as_mut().unwrap().cost_plan = vec![cost("Allt", thousands)];
    d
}

fn drafted_with(details: pb::ApplicationDetails) -> AE {
    AE::ApplicationDrafted {
        id: APP,
        municipality: home(),
        fund_id: FUND,
        round_id: ROUND,
        details: ApplicationDetails::requested(details).unwrap(),
        drafted_by: user(&lead()),
        origin: None,
    }
}

fn drafted() -> AE {
    drafted_with(details_fields())
}

fn draft(by: Principal, details: pb::ApplicationDetails) -> AC {
    AC::Draft {
        id: APP,
        by,
        fund: fund(),
        round_id: ROUND.to_string(),
        details,
        origin: None,
    }
}

fn update(by: Principal, patch: pb::ApplicationDetails, fields: &[&str]) -> AC {
    AC::Update {
        by,
        fund: fund(),
        details: patch,
        mask: paths(fields),
    }
}

fn submit_on(by: Principal, today: NaiveDate) -> AC {
    AC::Submit {
        by,
        fund: fund(),
        today,
    }
}

fn submit(by: Principal) -> AC {
    submit_on(by, today())
}

fn submitted() -> AE {
    submitted_with(details_fields())
}

/// Submitted by the applicant today, as drafted with `details`.
fn submitted_with(details: pb::ApplicationDetails) -> AE {
    AE::ApplicationSubmitted {
        submitted_by: user(&applicant()),
        date: today(),
        details: ApplicationDetails::requested(details).unwrap(),
    }
}

#[test]
fn an_employee_or_innovation_lead_drafts_an_application_to_a_round_of_the_fund() {
    // Given nothing, when the innovation lead drafts the application, then it is drafted,
    // a DRAFT of the fund's municipality.
    given::<Application>([])
        .when(draft(lead(), details_fields()))
        .then_events([drafted()]);
    let record = given::<Application>([])
        .when(draft(applicant(), details_fields()))
        .then_state()
        .0
        .unwrap();
    assert_eq!(record.status(), Status::Draft);
    assert_eq!((record.fund_id(), record.round_id()), (FUND, ROUND));
    assert_eq!(record.drafted_by(), &user(&applicant()));
    // A draft may be no more than a title and an applicant, kept to the municipality.
    let bare = pb::ApplicationDetails {
        title: "Idé".into(),
        applicants: vec!["anna".into()],
        ..Default::default()
    };
    let record = given::<Application>([])
        .when(draft(applicant(), bare))
        .then_state()
        .0
        .unwrap();
    assert_eq!(record.details().visibility(), Visibility::Municipality);
    assert_eq!(record.details().amount_requested(), None);
    // When a reviewer (no employee) drafts one, then it is forbidden; a partner drafts
    // nothing to another municipality's fund.
    given::<Application>([])
        .when(draft(reviewer(), details_fields()))
        .then_error(ErrorCode::Forbidden);
    let e = given::<Application>([])
        .when(draft(partner(), details_fields()))
        .then_error(ErrorCode::Forbidden);
    assert!(e.to_string().contains("read-only"), "{e}");
    // When the round is not one of the fund's, then it is refused naming it.
    for round in [OTHER_ROUND.to_string(), "vår".into(), String::new()] {
        let e = given::<Application>([])
            .when(AC::Draft {
                id: APP,
                by: lead(),
                fund: fund(),
                round_id: round,
                details: details_fields(),
                origin: None,
            })
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some("roundId"));
    }
    // Given the application, when the same id is drafted again, then it is refused.
    given::<Application>([drafted()])
        .when(draft(lead(), details_fields()))
        .then_error(ErrorCode::BadUserInput);
}

#[test]
fn what_a_draft_sets_must_be_valid_and_in_the_funds_currency() {
    let cases: [Breaks<pb::ApplicationDetails>; 17] = [
        (|d| d.title.clear(), "title"),
        (|d| d.title = "x".repeat(121), "title"),
        (|d| d.summary = "x".repeat(2_001), "summary"),
        (|d| d.applicants.clear(), "applicants"),
        (|d| d.applicants = vec!["a\u{7}".into()], "applicants"),
        (|d| d.applicants = vec!["a".into(); 21], "applicants"),
        (|d| d.departments = vec![" ".into()], "departments"),
        (|d| d.amount_requested = Some(sek(-1)), "amountRequested"),
        (
            |d| d.amount_requested = Some(eur(40_000)),
            "amountRequested",
        ),
        (
            |d| d.canvas.as_mut().unwrap().need = "x".repeat(4_001),
            "canvas.need",
        ),
        (
            |d| d.canvas.as_mut().unwrap().target_group = "\u{202e}gpj.exe".into(),
            "canvas.targetGroup",
        ),
        (
            |d| d.canvas.as_mut().unwrap().cost_plan[0].description.clear(),
            "canvas.costPlan.description",
        ),
        (
            |d| d.canvas.as_mut().unwrap().cost_plan[0].amount = Some(sek(0)),
            "canvas.costPlan.amount",
        ),
        (
            |d| d.canvas.as_mut().unwrap().cost_plan[0].amount = Some(eur(5)),
            "canvas.costPlan.amount",
        ),
        (
            |d| d.canvas.as_mut().unwrap().cost_plan = vec![cost("x", 1); 51],
            "canvas.costPlan",
        ),
        (|d| d.checklist[0].item.clear(), "checklist.item"),
        (|d| d.visibility = 9, "visibility"),
    ];
    for (break_it, field) in cases {
        // Given nothing, when a draft with one broken field is drafted, then it is refused
        // naming that field.
        let mut d = details_fields();
        break_it(&mut d);
        let e = given::<Application>([])
            .when(draft(lead(), d))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some(field), "{e}");
    }
}

fn idea_ref(municipality: &str) -> RecordRef {
    RecordRef {
        context: "ideas".into(),
        kind: "idea".into(),
        id: IDEA.to_string(),
        municipality: municipality.into(),
    }
}

#[test]
fn an_origin_names_an_idea_pilot_or_process_of_the_drafters_municipality() {
    let from = |origin| AC::Draft {
        id: APP,
        by: lead(),
        fund: fund(),
        round_id: ROUND.to_string(),
        details: details_fields(),
        origin: Some(origin),
    };
    // Given nothing, when the application is drafted from an idea of the municipality,
    // then it remembers the idea.
    let record = given::<Application>([])
        .when(from(idea_ref(HOME)))
        .then_state()
        .0
        .unwrap();
    let origin = record.origin().unwrap();
    assert!(origin.is("ideas", "idea"));
    assert_eq!(origin.id(), IDEA);
    // When the idea is another municipality's, or the link is not one, then it is refused.
    for bad in [
        idea_ref("NO-4626"),
        RecordRef {
            id: "42".into(),
            ..idea_ref(HOME)
        },
    ] {
        let e = given::<Application>([])
            .when(from(bad))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some("origin"));
    }
}

#[test]
fn only_the_applicants_side_edits_a_draft_and_only_while_it_is_a_draft() {
    let patch = pb::ApplicationDetails {
        summary: "Föreningar bokar själva, dygnet runt".into(),
        ..Default::default()
    };
    let mut changed = details_fields();
    changed.summary = patch.summary.clone();
    let changed = AE::ApplicationDetailsChanged {
        details: ApplicationDetails::requested(changed).unwrap(),
    };
    // Given a draft, when an applicant or the drafter changes its summary, then only the
    // summary changes.
    for by in [applicant(), lead()] {
        given::<Application>([drafted()])
            .when(update(by, patch.clone(), &["summary"]))
            .then_events([changed.clone()]);
    }
    // When the same is set again, then nothing changes.
    given::<Application>([drafted(), changed.clone()])
        .when(update(applicant(), patch.clone(), &["summary"]))
        .then_events([]);
    // When anyone else changes it, a fund manager too, then it is forbidden.
    for by in [colleague(), manager()] {
        given::<Application>([drafted()])
            .when(update(by, patch.clone(), &["summary"]))
            .then_error(ErrorCode::Forbidden);
    }
    // When the change breaks a rule (no applicant left, another currency, an unknown field)
    // then it is refused naming it.
    for (patch, fields, field) in [
        (
            pb::ApplicationDetails::default(),
            vec!["applicants"],
            "applicants",
        ),
        (
            pb::ApplicationDetails {
                amount_requested: Some(eur(1)),
                ..Default::default()
            },
            vec!["amount_requested"],
            "amountRequested",
        ),
        (
            pb::ApplicationDetails::default(),
            vec!["budget"],
            "updateMask",
        ),
    ] {
        let e = given::<Application>([drafted()])
            .when(update(applicant(), patch, &fields))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some(field), "{e}");
    }
    // Given it was submitted, when it is changed, then it is refused.
    given::<Application>([drafted(), submitted()])
        .when(update(applicant(), patch, &["summary"]))
        .then_error(ErrorCode::BadUserInput);
}

#[test]
fn a_complete_draft_is_submitted_by_its_applicants_side_on_or_before_the_rounds_deadline() {
    // Given a complete draft, when an applicant submits it, then it is SUBMITTED today.
    given::<Application>([drafted()])
        .when(submit(applicant()))
        .then_events([submitted()]);
    // The drafter may submit it too, on the deadline itself.
    let record = given::<Application>([drafted()])
        .when(submit_on(lead(), day("2026-03-31")))
        .then_state()
        .0
        .unwrap();
    assert_eq!(record.status(), Status::Submitted);
    // The smallest and the largest grant may be asked for.
    for thousands in [250, 1_000] {
        given::<Application>([drafted_with(asking(thousands))])
            .when(submit(applicant()))
            .then_events([submitted_with(asking(thousands))]);
    }
    // When anyone else submits it, then it is forbidden.
    for by in [colleague(), manager()] {
        given::<Application>([drafted()])
            .when(submit(by))
            .then_error(ErrorCode::Forbidden);
    }
    // Given it was submitted, when it is submitted again, then it is refused.
    given::<Application>([drafted(), submitted()])
        .when(submit(applicant()))
        .then_error(ErrorCode::BadUserInput);
}

#[test]
fn a_submission_is_refused_with_one_message_naming_every_rule_it_fails() {
    // Given a draft with no summary, one department, 2 MSEK asked for with a cost plan of
    // 400 kSEK, when it is submitted after the deadline, then every failed rule is named.
    let mut d = details_fields();
    d.summary.clear();
    d.departments = vec!["kultur".into()];
    d.amount_requested = Some(sek(2_000 * KSEK));
    let e = given::<Application>([drafted_with(d)])
        .when(submit_on(applicant(), day("2026-04-01")))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        e.to_string(),
        "the application cannot be submitted: summary: is required to submit; \
         departments: names 1, the fund asks for at least 2; \
         amountRequested: 2000000.00 SEK is outside the fund's 250000.00 SEK to \
         1000000.00 SEK; \
         canvas.costPlan: sums to 400000.00 SEK, not the amount requested 2000000.00 SEK; \
         the round's application deadline 2026-03-31 has passed"
    );
    // Each rule alone.
    let cases: [(Breaks<pb::ApplicationDetails>, NaiveDate); 6] = [
        ((|d| d.summary.clear(), "summary"), today()),
        ((|d| d.departments.truncate(1), "departments"), today()),
        ((|d| *d = asking(249), "amountRequested"), today()),
        ((|d| *d = asking(1_001), "amountRequested"), today()),
        (
            (
                |d| d.canvas.as_mut().unwrap().cost_plan.truncate(1),
                "canvas.costPlan",
            ),
            today(),
        ),
        ((|_| {}, "deadline"), day("2026-04-01")),
    ];
    for ((break_it, rule), on) in cases {
        let mut d = details_fields();
        break_it(&mut d);
        let e = given::<Application>([drafted_with(d)])
            .when(submit_on(applicant(), on))
            .then_error(ErrorCode::BadUserInput);
        let message = e.to_string();
        assert!(message.contains(rule), "{message}");
        assert_eq!(message.matches("; ").count(), 0, "{message}");
    }
    // A draft without an amount cannot be submitted.
    let mut d = details_fields();
    d.amount_requested = None;
    let e = given::<Application>([drafted_with(d)])
        .when(submit(applicant()))
        .then_error(ErrorCode::BadUserInput);
    assert!(
        e.to_string().contains("amountRequested: is required"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------
// Applications: withdrawal and review
// ---------------------------------------------------------------------------------------

fn assigned(by: &Principal) -> AE {
    AE::ApplicationReviewerAssigned {
        reviewer: user(by),
        assigned_by: user(&manager()),
    }
}

fn assign(by: Principal, reviewer: &str) -> AC {
    AC::AssignReviewer {
        by,
        reviewer: reviewer.into(),
    }
}

fn review_fields(scores: [u32; 3]) -> pb::Review {
    let score = |criterion: &str, score| pb::CriterionScore {
        criterion: criterion.into(),
        score,
    };
    pb::Review {
        scores: vec![
            score("Nytta", scores[0]),
            score("Genomförbarhet", scores[1]),
            score("Spridning", scores[2]),
        ],
        comment: "Tydlig nytta".into(),
    }
}

fn reviewed(by: &Principal, scores: [u32; 3]) -> AE {
    AE::ApplicationReviewed {
        reviewer: user(by),
        review: Review::try_from(review_fields(scores)).unwrap(),
    }
}

fn review(by: Principal, review: pb::Review) -> AC {
    AC::Review {
        by,
        fund: fund(),
        review,
    }
}

fn decided(outcome: DecisionOutcome, thousands: i64) -> AE {
    AE::ApplicationDecided(
        CouncilDecision::new(Decided {
            round_id: ROUND,
            outcome,
            approved: ksek(thousands),
            conditions: "",
            rationale: "Rådet beslutade så",
            decided_by: user(&manager()),
            year: 2026,
        })
        .unwrap(),
    )
}

/// The application's history up to `status`.
fn at(status: Status) -> Vec<AE> {
    let mut events = vec![drafted()];
    let upto = match status {
        Status::Unspecified | Status::Draft => return events,
        Status::Withdrawn => {
            events.push(AE::ApplicationWithdrawn {
                withdrawn_by: user(&applicant()),
                reason: String::new(),
            });
            return events;
        }
        Status::Submitted => 1,
        Status::InReview => 2,
        Status::Approved | Status::PartiallyApproved | Status::Rejected => 3,
    };
    events.push(submitted());
    if upto >= 2 {
        events.push(assigned(&reviewer()));
        events.push(reviewed(&reviewer(), [4, 3, 5]));
    }
    if upto >= 3 {
        events.push(match status {
            Status::Approved => decided(DecisionOutcome::Approved, 400),
            Status::PartiallyApproved => decided(DecisionOutcome::PartiallyApproved, 300),
            _ => decided(DecisionOutcome::Rejected, 0),
        });
    }
    events
}

const ALL: [Status; 7] = [
    Status::Draft,
    Status::Submitted,
    Status::InReview,
    Status::Approved,
    Status::PartiallyApproved,
    Status::Rejected,
    Status::Withdrawn,
];

#[test]
fn the_applicants_side_withdraws_an_application_before_it_is_decided() {
    let withdraw = |by| AC::Withdraw {
        by,
        reason: "Vi löser det på annat sätt".into(),
    };
    for status in ALL {
        let open = matches!(status, Status::Draft | Status::Submitted | Status::InReview);
        if open {
            // Given an application not decided yet, when an applicant withdraws it, then it
            // is WITHDRAWN.
            let record = given::<Application>(at(status))
                .when(withdraw(applicant()))
                .then_state()
                .0
                .unwrap();
            assert_eq!(record.status(), Status::Withdrawn, "{status:?}");
        } else {
            // Given it was decided or withdrawn, then it is refused.
            let e = given::<Application>(at(status))
                .when(withdraw(applicant()))
                .then_error(ErrorCode::BadUserInput);
            assert!(
                e.to_string().starts_with(
                    "an application is withdrawn only while the application is DRAFT or \
                     SUBMITTED or IN_REVIEW; it is "
                ),
                "{e}"
            );
        }
    }
    // When anyone but its applicants' side withdraws it, then it is forbidden.
    for by in [manager(), colleague()] {
        given::<Application>(at(Status::Submitted))
            .when(withdraw(by))
            .then_error(ErrorCode::Forbidden);
    }
    // A reason is at most 2000 characters.
    let e = given::<Application>(at(Status::Submitted))
        .when(AC::Withdraw {
            by: lead(),
            reason: "x".repeat(2_001),
        })
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(e.field(), Some("reason"));
}

#[test]
fn a_fund_manager_assigns_reviewers_the_first_puts_it_in_review_and_twice_changes_nothing() {
    // Given a submitted application, when a fund manager assigns a reviewer, then it is
    // IN_REVIEW.
    let history = vec![drafted(), submitted()];
    given::<Application>(history.clone())
        .when(assign(manager(), "rita"))
        .then_events([assigned(&reviewer())]);
    let record = given::<Application>(history.clone())
        .when(assign(manager(), "rita"))
        .then_state()
        .0
        .unwrap();
    assert_eq!(record.status(), Status::InReview);
    // Given it in review, a second reviewer is assigned; the same again appends nothing.
    let in_review = [drafted(), submitted(), assigned(&reviewer())];
    let record = given::<Application>(in_review.clone())
        .when(assign(manager(), "rolf"))
        .then_state()
        .0
        .unwrap();
    assert_eq!(
        record.reviewers(),
        [user(&reviewer()), user(&other_reviewer())]
    );
    given::<Application>(in_review.clone())
        .when(assign(manager(), "rita"))
        .then_events([]);
    // When the reviewer is an applicant or the drafter, then it is refused naming them.
    for who in ["anna", "bo", "ivar"] {
        let e = given::<Application>(history.clone())
            .when(assign(manager(), who))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some("reviewer"), "{who}");
    }
    given::<Application>(history.clone())
        .when(assign(manager(), ""))
        .then_error(ErrorCode::BadUserInput);
    // When anyone but a fund manager assigns one, then it is forbidden.
    for by in [reviewer(), applicant()] {
        given::<Application>(history.clone())
            .when(assign(by, "rolf"))
            .then_error(ErrorCode::Forbidden);
    }
    // A draft, a decided or a withdrawn application gets no reviewer.
    for status in [Status::Draft, Status::Approved, Status::Withdrawn] {
        given::<Application>(at(status))
            .when(assign(manager(), "rolf"))
            .then_error(ErrorCode::BadUserInput);
    }
}

#[test]
fn an_assigned_fund_reviewer_scores_every_criterion_and_a_new_review_replaces_theirs() {
    let in_review = vec![drafted(), submitted(), assigned(&reviewer())];
    // Given an application in review, when its reviewer reviews it, then it is reviewed.
    given::<Application>(in_review.clone())
        .when(review(reviewer(), review_fields([4, 3, 5])))
        .then_events([reviewed(&reviewer(), [4, 3, 5])]);
    // Given their review, the same again appends nothing, a new one replaces it.
    let mut again = in_review.clone();
    again.push(reviewed(&reviewer(), [4, 3, 5]));
    given::<Application>(again.clone())
        .when(review(reviewer(), review_fields([4, 3, 5])))
        .then_events([]);
    let record = given::<Application>(again)
        .when(review(reviewer(), review_fields([2, 2, 2])))
        .then_state()
        .0
        .unwrap();
    assert_eq!(record.reviews().len(), 1);
    assert_eq!(record.reviews()[0].review, reviewed_review([2, 2, 2]));
    // When a reviewer not assigned, or an assigned user without the role, reviews it, then
    // it is forbidden.
    given::<Application>(in_review.clone())
        .when(review(other_reviewer(), review_fields([4, 3, 5])))
        .then_error(ErrorCode::Forbidden);
    let unreviewing = person("rita", HOME, None, &[Role::Employee]);
    given::<Application>(in_review.clone())
        .when(review(unreviewing, review_fields([4, 3, 5])))
        .then_error(ErrorCode::Forbidden);
    // Scores are 1 to 5, one for every criterion of the fund and none else; a comment is
    // required.
    let cases: [Breaks<pb::Review>; 7] = [
        (|r| r.scores[0].score = 0, "review.scores"),
        (|r| r.scores[0].score = 6, "review.scores"),
        (|r| r.scores.truncate(2), "review.scores"),
        (|r| r.scores[2].criterion = "Pris".into(), "review.scores"),
        (|r| r.scores[2].criterion = "Nytta".into(), "review.scores"),
        (|r| r.scores.clear(), "review.scores"),
        (|r| r.comment.clear(), "review.comment"),
    ];
    for (break_it, field) in cases {
        let mut r = review_fields([4, 3, 5]);
        break_it(&mut r);
        let e = given::<Application>(in_review.clone())
            .when(review(reviewer(), r))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some(field), "{e}");
    }
    // A decided application is reviewed no more.
    given::<Application>(at(Status::Approved))
        .when(review(reviewer(), review_fields([1, 1, 1])))
        .then_error(ErrorCode::BadUserInput);
}

fn reviewed_review(scores: [u32; 3]) -> Review {
    Review::try_from(review_fields(scores)).unwrap()
}

// ---------------------------------------------------------------------------------------
// Decisions: the application and its period together
// ---------------------------------------------------------------------------------------

fn decision(
    by: Principal,
    outcome: DecisionOutcome,
    amount: Option<common::Money>,
) -> DecideApplication {
    DecideApplication {
        by,
        fund: fund(),
        round_id: ROUND.to_string(),
        outcome,
        amount,
        conditions: String::new(),
        rationale: "Rådet beslutade så".into(),
    }
}

type Decision = Result<(Vec<AE>, Vec<PE>), FundingError>;

/// Given the application's and the period's histories, when `d` is decided.
fn decide(application: &[AE], period: &[PE], d: DecideApplication) -> Decision {
    Application::from_events(application).decide_with_period(&FundPeriod::from_events(period), d)
}

#[test]
fn an_approval_grants_the_amount_requested_and_commits_it_to_the_rounds_period_together() {
    let (application, period) = decide(
        &at(Status::InReview),
        &[budget_set(1_000)],
        decision(manager(), DecisionOutcome::Approved, None),
    )
    .unwrap();
    assert_eq!(application, [decided(DecisionOutcome::Approved, 400)]);
    assert_eq!(period, [committed(APP, 400)]);
    let record = Application::from_events(&[at(Status::InReview), application].concat())
        .0
        .unwrap();
    assert_eq!(record.status(), Status::Approved);
    assert_eq!(record.decision().unwrap().year(), 2026);
}

#[test]
fn a_partial_approval_grants_more_than_nothing_and_less_than_was_asked() {
    let partial = |amount| decision(manager(), DecisionOutcome::PartiallyApproved, amount);
    let (application, period) = decide(
        &at(Status::InReview),
        &[budget_set(1_000)],
        partial(Some(sek(300 * KSEK))),
    )
    .unwrap();
    assert_eq!(
        application,
        [decided(DecisionOutcome::PartiallyApproved, 300)]
    );
    assert_eq!(period, [committed(APP, 300)]);
    for amount in [
        Some(sek(400 * KSEK)),
        Some(sek(500 * KSEK)),
        Some(sek(0)),
        Some(eur(100)),
        None,
    ] {
        let e = decide(
            &at(Status::InReview),
            &[budget_set(1_000)],
            partial(amount.clone()),
        )
        .unwrap_err();
        assert_eq!(
            (e.code(), e.field()),
            (ErrorCode::BadUserInput, Some("amount")),
            "{amount:?}: {e}"
        );
    }
}

#[test]
fn a_rejection_grants_nothing_and_appends_to_the_application_only() {
    // Whatever amount was sent, and even for a year without a budget.
    for period in [vec![budget_set(1_000)], vec![]] {
        let (application, money) = decide(
            &at(Status::InReview),
            &period,
            decision(manager(), DecisionOutcome::Rejected, Some(sek(KSEK))),
        )
        .unwrap();
        assert_eq!(application, [decided(DecisionOutcome::Rejected, 0)]);
        assert!(money.is_empty());
    }
}

#[test]
fn a_grant_that_does_not_fit_the_periods_remaining_budget_or_a_year_without_one_is_refused() {
    // Given 700 kSEK of 1 MSEK committed, when 400 kSEK is approved, then it is refused.
    let e = decide(
        &at(Status::InReview),
        &[budget_set(1_000), committed(OTHER_APP, 700)],
        decision(manager(), DecisionOutcome::Approved, None),
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadUserInput);
    assert_eq!(
        e.to_string(),
        "amount: 400000.00 SEK exceeds the remaining budget of 2026 (300000.00 SEK)"
    );
    // The part that fits is granted.
    decide(
        &at(Status::InReview),
        &[budget_set(1_000), committed(OTHER_APP, 700)],
        decision(
            manager(),
            DecisionOutcome::PartiallyApproved,
            Some(sek(300 * KSEK)),
        ),
    )
    .unwrap();
    // Given no budget for the round's year, when money is granted, then it is refused.
    let e = decide(
        &at(Status::InReview),
        &[],
        decision(manager(), DecisionOutcome::Approved, None),
    )
    .unwrap_err();
    assert_eq!(
        (e.code(), e.to_string()),
        (
            ErrorCode::BadUserInput,
            "fund has no budget for 2026".to_owned()
        )
    );
}

#[test]
fn a_fund_manager_decides_an_application_in_review_in_its_own_round_with_a_rationale() {
    let approve = |by| decision(by, DecisionOutcome::Approved, None);
    // Only from IN_REVIEW.
    for status in ALL.into_iter().filter(|s| *s != Status::InReview) {
        let e = decide(&at(status), &[budget_set(1_000)], approve(manager())).unwrap_err();
        assert_eq!(e.code(), ErrorCode::BadUserInput, "{status:?}");
    }
    // Only by a fund manager; a partner's decides nothing of another municipality's.
    for by in [reviewer(), applicant(), partner()] {
        let e = decide(&at(Status::InReview), &[budget_set(1_000)], approve(by)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Forbidden);
    }
    // In the application's round.
    for round in [OTHER_ROUND.to_string(), "vår".into()] {
        let mut d = approve(manager());
        d.round_id = round;
        let e = decide(&at(Status::InReview), &[budget_set(1_000)], d).unwrap_err();
        assert_eq!(e.field(), Some("roundId"), "{e}");
    }
    // With a rationale; conditions are optional but not endless.
    let mut d = approve(manager());
    d.rationale = " ".into();
    let e = decide(&at(Status::InReview), &[budget_set(1_000)], d).unwrap_err();
    assert_eq!(e.field(), Some("rationale"));
    let mut d = approve(manager());
    d.conditions = "x".repeat(2_001);
    let e = decide(&at(Status::InReview), &[budget_set(1_000)], d).unwrap_err();
    assert_eq!(e.field(), Some("conditions"));
    // Given no application, there is nothing to decide.
    let e = decide(&[], &[budget_set(1_000)], approve(manager())).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
}

#[test]
fn only_a_fund_manager_moves_a_granted_applications_money_in_its_decisions_year() {
    for status in [Status::Approved, Status::PartiallyApproved] {
        let record = Application::from_events(&at(status)).0.unwrap();
        assert_eq!(record.grant_year(&manager(), "disbursing"), Ok(2026));
        assert_eq!(
            record
                .grant_year(&applicant(), "disbursing")
                .unwrap_err()
                .code(),
            ErrorCode::Forbidden
        );
        assert_eq!(
            record
                .grant_year(&partner(), "disbursing")
                .unwrap_err()
                .code(),
            ErrorCode::Forbidden
        );
    }
    for status in ALL
        .into_iter()
        .filter(|s| !matches!(s, Status::Approved | Status::PartiallyApproved))
    {
        let record = Application::from_events(&at(status)).0.unwrap();
        let e = record.grant_year(&manager(), "disbursing").unwrap_err();
        assert_eq!(e.code(), ErrorCode::BadUserInput, "{status:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Progress reports
// ---------------------------------------------------------------------------------------

fn report_fields() -> pb::ProgressReport {
    pb::ProgressReport {
        date: "2026-09-30".into(),
        text: "Tjänsten är i drift i två stadsdelar".into(),
        spent: Some(sek(120 * KSEK)),
        reported_by: String::new(),
    }
}

fn report(by: Principal, report: pb::ProgressReport) -> AC {
    AC::ReportProgress {
        by,
        report_id: REPORT,
        report,
    }
}

#[test]
fn a_granted_project_reports_its_progress_recorded_as_the_caller() {
    // Given a granted application, when an applicant, the drafter or a fund manager
    // reports, then it is recorded as them.
    for by in [applicant(), lead(), manager()] {
        let who = user(&by);
        let record = given::<Application>(at(Status::PartiallyApproved))
            .when(report(by, report_fields()))
            .then_state()
            .0
            .unwrap();
        let (id, stored) = &record.reports()[0];
        assert_eq!(*id, REPORT);
        assert_eq!(
            pb::ProgressReport::from(stored).reported_by,
            who.to_string()
        );
    }
    // Whoever the request names, the caller reported it.
    let forged = pb::ProgressReport {
        reported_by: "someone-else".into(),
        ..report_fields()
    };
    let record = given::<Application>(at(Status::Approved))
        .when(report(applicant(), forged))
        .then_state()
        .0
        .unwrap();
    assert_eq!(
        pb::ProgressReport::from(&record.reports()[0].1).reported_by,
        "anna"
    );
    // When anyone else reports, then it is forbidden.
    for by in [colleague(), reviewer()] {
        given::<Application>(at(Status::Approved))
            .when(report(by, report_fields()))
            .then_error(ErrorCode::Forbidden);
    }
    // Only a granted application reports.
    for status in [Status::InReview, Status::Rejected, Status::Withdrawn] {
        given::<Application>(at(status))
            .when(report(applicant(), report_fields()))
            .then_error(ErrorCode::BadUserInput);
    }
    let cases: [Breaks<pb::ProgressReport>; 4] = [
        (|r| r.date = "hösten".into(), "report.date"),
        (|r| r.text.clear(), "report.text"),
        (|r| r.spent = Some(sek(-1)), "report.spent"),
        (|r| r.spent = Some(eur(1)), "report.spent"),
    ];
    for (break_it, field) in cases {
        let mut r = report_fields();
        break_it(&mut r);
        let e = given::<Application>(at(Status::Approved))
            .when(report(applicant(), r))
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(e.field(), Some(field), "{e}");
    }
}

// ---------------------------------------------------------------------------------------
// Partners and the read rule
// ---------------------------------------------------------------------------------------

#[test]
fn partners_change_nothing_of_another_municipalitys_application() {
    let commands: [(Status, Command<AC>); 6] = [
        (Status::Draft, || {
            update(partner(), details_fields(), &["title"])
        }),
        (Status::Draft, || submit(partner())),
        (Status::Submitted, || AC::Withdraw {
            by: partner(),
            reason: String::new(),
        }),
        (Status::Submitted, || assign(partner(), "rita")),
        (Status::InReview, || {
            review(partner(), review_fields([3, 3, 3]))
        }),
        (Status::Approved, || report(partner(), report_fields())),
    ];
    for (status, command) in commands {
        // Given an application of another municipality, when a partner holding every role
        // acts on it, then it is forbidden.
        let e = given::<Application>(at(status))
            .when(command())
            .then_error(ErrorCode::Forbidden);
        assert!(e.to_string().contains("read-only"), "{e}");
    }
}

fn shared(status: Status, visibility: PbVisibility) -> Application {
    let mut events = at(status);
    events[0] = drafted_with(pb::ApplicationDetails {
        visibility: visibility as i32,
        ..details_fields()
    });
    Application::from_events(&events)
}

#[test]
fn a_draft_is_its_applicants_sides_and_the_fund_managers_and_then_read_by_its_visibility() {
    use PbVisibility as V;
    let read = |status, visibility, viewer: Viewer| shared(status, visibility).access(&viewer);
    let mut networked = Viewer::new(partner());
    networked.network_partners.insert(home());
    // A draft: the applicants, the drafter and fund managers only, whatever its visibility.
    for v in [V::Private, V::Network, V::Public] {
        for who in [applicant(), lead(), manager()] {
            assert_eq!(read(Status::Draft, v, Viewer::new(who)), Access::Full);
        }
        for who in [reviewer(), colleague()] {
            assert_eq!(read(Status::Draft, v, Viewer::new(who)), Access::None);
        }
        assert_eq!(read(Status::Draft, v, networked.clone()), Access::None);
    }
    // Submitted: fund reviewers too; others by its visibility.
    for who in [applicant(), lead(), manager(), reviewer()] {
        assert_eq!(
            read(Status::Submitted, V::Private, Viewer::new(who)),
            Access::Full
        );
    }
    assert_eq!(
        read(Status::Submitted, V::Private, Viewer::new(colleague())),
        Access::None
    );
    assert_eq!(
        read(Status::Submitted, V::Municipality, Viewer::new(colleague())),
        Access::Full
    );
    assert_eq!(
        read(Status::Submitted, V::Municipality, networked.clone()),
        Access::None
    );
    assert_eq!(
        read(Status::Submitted, V::Network, Viewer::new(partner())),
        Access::None
    );
    assert_eq!(
        read(Status::Approved, V::Network, networked),
        Access::Partner
    );
    let record = shared(Status::Draft, V::Network);
    assert_eq!(Readable::visibility(&record), Some(Visibility::Private));
}

#[test]
fn reviewers_are_not_shown_to_the_applicants_side_unless_they_manage_or_review_funds() {
    let record = Application::from_events(&at(Status::InReview)).0.unwrap();
    assert!(!record.shows_reviewers_to(&applicant()));
    assert!(!record.shows_reviewers_to(&lead()));
    assert!(record.shows_reviewers_to(&manager()));
    assert!(record.shows_reviewers_to(&reviewer()));
    assert!(record.shows_reviewers_to(&colleague()));
    let managing_applicant = person("anna", HOME, None, &[Role::Employee, Role::FundManager]);
    assert!(record.shows_reviewers_to(&managing_applicant));
}

// ---------------------------------------------------------------------------------------
// The one mapping between the events and the contract's messages
// ---------------------------------------------------------------------------------------

#[test]
fn every_event_maps_to_its_contract_message_and_back() {
    for event in [
        created(),
        created_with(pb::FundTerms {
            visibility: PbVisibility::Private as i32,
            description: String::new(),
            ..terms_fields()
        }),
        scheduled(),
    ] {
        round_trip(event);
    }
    for event in [
        budget_set(1_000),
        budget_set(0),
        committed(APP, 400),
        disbursed(150),
        returned(50),
    ] {
        round_trip(event);
    }
    let bare = pb::ApplicationDetails {
        title: "Idé".into(),
        applicants: vec!["anna".into()],
        ..Default::default()
    };
    for event in [
        drafted(),
        drafted_with(bare.clone()),
        AE::ApplicationDrafted {
            id: APP,
            municipality: home(),
            fund_id: FUND,
            round_id: ROUND,
            details: ApplicationDetails::requested(bare).unwrap(),
            drafted_by: user(&lead()),
            origin: Some(RecordLink::try_from(&idea_ref(HOME)).unwrap()),
        },
        AE::ApplicationDetailsChanged {
            details: ApplicationDetails::requested(asking(500)).unwrap(),
        },
        submitted(),
        assigned(&reviewer()),
        reviewed(&reviewer(), [1, 5, 3]),
        decided(DecisionOutcome::Approved, 400),
        decided(DecisionOutcome::PartiallyApproved, 300),
        decided(DecisionOutcome::Rejected, 0),
        AE::ApplicationWithdrawn {
            withdrawn_by: user(&applicant()),
            reason: "Annan lösning".into(),
        },
        AE::ProgressReported {
            report_id: REPORT,
            report: ProgressReport::try_from(pb::ProgressReport {
                reported_by: "anna".into(),
                ..report_fields()
            })
            .unwrap(),
        },
        AE::ProgressReported {
            report_id: REPORT,
            report: ProgressReport::try_from(pb::ProgressReport {
                reported_by: "anna".into(),
                spent: None,
                ..report_fields()
            })
            .unwrap(),
        },
    ] {
        round_trip(event);
    }
}

#[test]
fn a_stored_event_that_breaks_a_rule_is_refused_not_misread() {
    let lowercase = pb::FundCreated {
        fund_id: FUND.to_string(),
        municipality: HOME.into(),
        terms: Some(pb::FundTerms {
            currency: "sek".into(),
            ..terms_fields()
        }),
        created_by: "maria".into(),
    };
    assert_eq!(
        FE::decode("FundCreated", &lowercase.encode_to_vec()),
        Err(DecodeError(
            "currency: \"sek\" is not an ISO 4217 currency code (three capital letters)".into()
        ))
    );
    let unnamed_round = pb::DecisionRoundScheduled {
        round_id: ROUND.to_string(),
        round: Some(pb::DecisionRound {
            title: String::new(),
            ..round_fields()
        }),
    };
    assert!(FE::decode("DecisionRoundScheduled", &unnamed_round.encode_to_vec()).is_err());
    let old_year = pb::FundBudgetSet {
        fund_id: FUND.to_string(),
        municipality: HOME.into(),
        year: 1999,
        budget: Some(sek(1)),
        set_by: "maria".into(),
    };
    assert!(PE::decode("FundBudgetSet", &old_year.encode_to_vec()).is_err());
    let nothing = pb::GrantCommitted {
        application_id: APP.to_string(),
        round_id: ROUND.to_string(),
        amount: Some(sek(0)),
    };
    assert!(PE::decode("GrantCommitted", &nothing.encode_to_vec()).is_err());
    let rejected_with_money = pb::ApplicationDecided {
        round_id: ROUND.to_string(),
        outcome: DecisionOutcome::Rejected as i32,
        approved: Some(sek(1)),
        conditions: String::new(),
        rationale: "Nej".into(),
        decided_by: "maria".into(),
        year: 2026,
    };
    assert!(AE::decode("ApplicationDecided", &rejected_with_money.encode_to_vec()).is_err());
    let approved_nothing = pb::ApplicationDecided {
        outcome: DecisionOutcome::Approved as i32,
        approved: Some(sek(0)),
        ..rejected_with_money.clone()
    };
    assert!(AE::decode("ApplicationDecided", &approved_nothing.encode_to_vec()).is_err());
    let undecided = pb::ApplicationDecided {
        outcome: 0,
        approved: Some(sek(0)),
        ..rejected_with_money
    };
    assert!(AE::decode("ApplicationDecided", &undecided.encode_to_vec()).is_err());
    let overscored = pb::ApplicationReviewed {
        reviewer: "rita".into(),
        review: Some(review_fields([6, 3, 3])),
    };
    assert!(AE::decode("ApplicationReviewed", &overscored.encode_to_vec()).is_err());
    let nobody = pb::ApplicationDetailsChanged {
        details: Some(pb::ApplicationDetails {
            applicants: vec![],
            ..details_fields()
        }),
    };
    assert!(AE::decode("ApplicationDetailsChanged", &nobody.encode_to_vec()).is_err());
    assert!(AE::decode("ApplicationDrafted", &[]).is_err(), "no details");
    assert!(FE::decode("FundCreated", b"\xff\xffnot protobuf").is_err());
    assert!(
        PE::decode("FundCreated", &[]).is_err(),
        "not a period event"
    );
    assert!(FE::decode("PilotPlanned", &[]).is_err(), "not a fund event");
    assert!(
        AE::decode("GrantCommitted", &[]).is_err(),
        "not an application event"
    );
}

#[test]
fn the_contracts_golden_samples_decode_into_the_domain() {
    let (aggregate_id, event) = golden_event::<FE>(include_str!(
        "../../../../proto/tests/golden/fund_created.hex"
    ));
    let FE::FundCreated {
        id,
        municipality,
        terms,
        created_by,
    } = event
    else {
        panic!("not a fund");
    };
    assert_eq!(id.to_string(), aggregate_id);
    assert_eq!(
        (municipality.as_str(), created_by.as_str()),
        (HOME, "maria.lind@helsingborg.se")
    );
    assert_eq!(terms.name(), "Helsingborgs innovationsfond");
    assert_eq!(terms.currency().as_str(), "SEK");
    assert_eq!(
        (terms.min_grant().to_string(), terms.max_grant().to_string()),
        ("250000.00 SEK".to_owned(), "1000000.00 SEK".to_owned())
    );
    assert_eq!(terms.min_departments(), 2);
    assert_eq!(terms.criteria().len(), 3);
    assert_eq!(terms.visibility(), Visibility::Network);

    let (aggregate_id, event) = golden_event::<AE>(include_str!(
        "../../../../proto/tests/golden/application_decided.hex"
    ));
    let AE::ApplicationDecided(decision) = event else {
        panic!("not a decision");
    };
    assert_eq!(aggregate_id, APP.to_string());
    assert_eq!(decision.outcome(), DecisionOutcome::PartiallyApproved);
    assert_eq!(decision.approved(), ksek(400));
    assert_eq!(decision.round_id(), ROUND);
    assert_eq!(decision.year(), 2026);
    assert_eq!(decision.status(), Status::PartiallyApproved);
    assert_eq!(decision.decided_by().as_str(), "maria.lind@helsingborg.se");

    let (aggregate_id, event) = golden_event::<PE>(include_str!(
        "../../../../proto/tests/golden/grant_committed.hex"
    ));
    assert_eq!(aggregate_id, FundPeriod::stream_id(FUND, 2026));
    assert_eq!(event, committed(APP, 400));
}
