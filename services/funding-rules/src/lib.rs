//! innohub-funding-rules: the rules of funding (DOMAIN.md §4) that the funding service, the
//! projections and the gateway all need, as pure functions over the contract's messages
//! (`innohub.funding.v1`, `innohub.common.v1.Money`), so each is written once and none of
//! them links another's crate:
//!
//! - [`weighted_score`]: a review's score by its fund's criteria, Σ weight·score / Σ weight,
//!   and [`application_score`], the mean of its reviewers' latest reviews' (for display:
//!   not money);
//! - [`shows_reviewers`]: whether a reader of an application learns who reviews it (not its
//!   applicants' side, [`involves`], unless they manage or review funds);
//! - [`formatted`] and [`write_amount`]: money as people read it, `250000.00 SEK`, split by
//!   the currency's exponent ([`minor_digits`]) in integers: no floating point touches
//!   money;
//! - [`status_name`] (`IN_REVIEW`, as users and the read models name a status) and
//!   [`status_named`], and [`decided_status`], where a decision's outcome leaves an
//!   application.
//!
//! The messages are validated where they are written; these functions only compute.

use std::fmt;

use innohub_proto::innohub::common::v1::Money;
use innohub_proto::innohub::funding::v1::{
    ApplicationDetails, ApplicationStatus, Criterion, DecisionOutcome, Review,
};

/// The prefix of the contract's names of the statuses (`APPLICATION_STATUS_IN_REVIEW`).
const STATUS_PREFIX: &str = "APPLICATION_STATUS_";

/// The name users and the read models see of a status, e.g. `IN_REVIEW`.
pub fn status_name(status: ApplicationStatus) -> &'static str {
    let name = status.as_str_name();
    name.strip_prefix(STATUS_PREFIX).unwrap_or(name)
}

/// The status a name of [`status_name`] stands for; `None` for UNSPECIFIED and unknown ones.
pub fn status_named(name: &str) -> Option<ApplicationStatus> {
    ApplicationStatus::from_str_name(&format!("{STATUS_PREFIX}{name}"))
        .filter(|s| *s != ApplicationStatus::Unspecified)
}

/// The status a decision with `outcome` leaves an application in; `None` for UNSPECIFIED.
pub fn decided_status(outcome: DecisionOutcome) -> Option<ApplicationStatus> {
    match outcome {
        DecisionOutcome::Approved => Some(ApplicationStatus::Approved),
        DecisionOutcome::PartiallyApproved => Some(ApplicationStatus::PartiallyApproved),
        DecisionOutcome::Rejected => Some(ApplicationStatus::Rejected),
        DecisionOutcome::Unspecified => None,
    }
}

/// The weighted score of `review` by its fund's `criteria`: Σ weight·score / Σ weight over
/// the criteria it scores (1 to 5); `None` when it scores none of them. For display only.
pub fn weighted_score(criteria: &[Criterion], review: &Review) -> Option<f64> {
    let (mut weighted, mut weights) = (0_u64, 0_u64);
    for score in &review.scores {
        if let Some(c) = criteria.iter().find(|c| c.name == score.criterion) {
            weighted += u64::from(c.weight) * u64::from(score.score);
            weights += u64::from(c.weight);
        }
    }
    (weights > 0).then(|| weighted as f64 / weights as f64)
}

/// The score of an application whose reviewers' latest reviews are `reviews`: the mean of
/// their [`weighted_score`]s by its fund's `criteria`; `None` before a review that has one.
/// For display only.
pub fn application_score<'a>(
    criteria: &[Criterion],
    reviews: impl IntoIterator<Item = &'a Review>,
) -> Option<f64> {
    let scores: Vec<f64> = reviews
        .into_iter()
        .filter_map(|r| weighted_score(criteria, r))
        .collect();
    (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64)
}

/// Whether `user` is on the applicants' side of an application with `details` drafted by
/// `drafted_by`: one of its applicants, or whoever drafted it.
pub fn involves(details: &ApplicationDetails, drafted_by: &str, user: &str) -> bool {
    drafted_by == user || details.applicants.iter().any(|a| a == user)
}

/// Who reads an application, as far as [`shows_reviewers`] asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reader<'a> {
    /// Their user id.
    pub user: &'a str,
    /// Whether they are a member of the application's municipality (not a partner).
    pub member: bool,
    /// Whether they hold the fund_manager role.
    pub fund_manager: bool,
    /// Whether they hold the fund_reviewer role.
    pub fund_reviewer: bool,
}

/// Whether `reader`, who may read an application with `details` drafted by `drafted_by`,
/// learns who reviews it: everyone but its applicants' side ([`involves`]), unless they are
/// also a fund manager or reviewer of its municipality. (Partners never see a user id: the
/// privacy marks redact them.)
pub fn shows_reviewers(details: &ApplicationDetails, drafted_by: &str, reader: Reader<'_>) -> bool {
    !involves(details, drafted_by, reader.user)
        || (reader.member && (reader.fund_manager || reader.fund_reviewer))
}

/// Whether `code` is an ISO 4217 currency code: three capital letters, e.g. `SEK`.
pub fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// How many digits of an amount in `currency` are minor units (ISO 4217's exponent): 2 but
/// for the currencies without minor units (e.g. ISK, JPY) or with three digits (e.g. KWD).
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// Write `minor_units` of `currency` to `out` as people read them, `250000.00 SEK`: the
/// minor units split by the currency's exponent ([`minor_digits`]), in integers.
pub fn write_amount(out: &mut impl fmt::Write, minor_units: i64, currency: &str) -> fmt::Result {
    let digits = minor_digits(currency);
    if digits == 0 {
        return write!(out, "{minor_units} {currency}");
    }
    let sign = if minor_units < 0 { "-" } else { "" };
    let amount = minor_units.unsigned_abs();
    let scale = 10_u64.pow(digits);
    write!(
        out,
        "{sign}{}.{:0width$} {currency}",
        amount / scale,
        amount % scale,
        width = digits as usize
    )
}

/// `money` as people read it, e.g. `250000.00 SEK` ([`write_amount`]); `None` when it is
/// not an amount: a currency that is no ISO 4217 code, or minor units below zero.
pub fn formatted(money: &Money) -> Option<String> {
    if !is_currency_code(&money.currency) || money.minor_units < 0 {
        return None;
    }
    let mut out = String::new();
    write_amount(&mut out, money.minor_units, &money.currency).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use innohub_proto::innohub::funding::v1::CriterionScore;

    fn criterion(name: &str, weight: u32) -> Criterion {
        Criterion {
            name: name.into(),
            weight,
            ..Default::default()
        }
    }

    fn review(scores: &[(&str, u32)]) -> Review {
        Review {
            scores: scores
                .iter()
                .map(|(c, s)| CriterionScore {
                    criterion: (*c).into(),
                    score: *s,
                })
                .collect(),
            comment: String::new(),
        }
    }

    fn money(minor_units: i64, currency: &str) -> Money {
        Money {
            minor_units,
            currency: currency.into(),
        }
    }

    #[test]
    fn a_review_is_weighted_by_the_funds_criteria() {
        // Given benefit weighing 3 and feasibility 1, scored 5 and 1.
        let criteria = [criterion("Benefit", 3), criterion("Feasibility", 1)];
        let r = review(&[("Benefit", 5), ("Feasibility", 1)]);
        // Then (3·5 + 1·1) / 4 = 4; a review of no known criterion has no score.
        assert_eq!(weighted_score(&criteria, &r), Some(4.0));
        assert_eq!(weighted_score(&criteria, &review(&[("Other", 5)])), None);
        assert_eq!(weighted_score(&[], &r), None);
        // Weights 40/30/30: (4·40 + 3·30 + 5·30) / 100 = 4.0.
        let criteria = [
            criterion("Nytta", 40),
            criterion("Genomförbarhet", 30),
            criterion("Spridning", 30),
        ];
        let scored =
            |[a, b, c]: [u32; 3]| review(&[("Nytta", a), ("Genomförbarhet", b), ("Spridning", c)]);
        assert_eq!(weighted_score(&criteria, &scored([4, 3, 5])), Some(4.0));
        assert_eq!(weighted_score(&criteria, &scored([1, 1, 1])), Some(1.0));
    }

    #[test]
    fn the_score_is_the_mean_of_the_reviewers_latest_weighted_scores() {
        let criteria = [criterion("Benefit", 3), criterion("Feasibility", 1)];
        // Rita's latest is 4.0, Rolf's 2.0; a review of nothing known does not count.
        let reviews = [
            review(&[("Benefit", 5), ("Feasibility", 1)]),
            review(&[("Benefit", 2), ("Feasibility", 2)]),
            review(&[("Other", 5)]),
        ];
        assert_eq!(application_score(&criteria, &reviews), Some(3.0));
        assert_eq!(application_score(&criteria, &reviews[2..]), None);
        assert_eq!(application_score(&criteria, &[]), None);
    }

    #[test]
    fn reviewers_are_not_shown_to_the_applicants_side_unless_they_manage_or_review_funds() {
        let details = ApplicationDetails {
            applicants: vec!["anna".into(), "erik".into()],
            ..Default::default()
        };
        let reader = |user, member, fund_manager, fund_reviewer| Reader {
            user,
            member,
            fund_manager,
            fund_reviewer,
        };
        let shown = |r| shows_reviewers(&details, "lena", r);
        // The applicants and the drafter do not learn them; a colleague, a fund manager or
        // reviewer does, and so does an applicant who manages or reviews funds at home.
        assert!(!shown(reader("anna", true, false, false)));
        assert!(!shown(reader("lena", true, false, false)));
        assert!(shown(reader("kari", true, false, false)));
        assert!(shown(reader("rita", true, false, true)));
        assert!(shown(reader("anna", true, true, false)));
        assert!(shown(reader("erik", true, false, true)));
        // An applicant's namesake who manages funds elsewhere does not.
        assert!(!shown(reader("anna", false, true, false)));
        assert!(involves(&details, "lena", "erik") && !involves(&details, "lena", "kari"));
    }

    #[test]
    fn every_outcome_leads_to_its_status_and_statuses_round_trip_their_names() {
        use ApplicationStatus as S;
        use DecisionOutcome as O;
        assert_eq!(decided_status(O::Approved), Some(S::Approved));
        assert_eq!(
            decided_status(O::PartiallyApproved),
            Some(S::PartiallyApproved)
        );
        assert_eq!(decided_status(O::Rejected), Some(S::Rejected));
        assert_eq!(decided_status(O::Unspecified), None);
        assert_eq!(status_name(S::InReview), "IN_REVIEW");
        for s in [S::Draft, S::PartiallyApproved, S::Withdrawn] {
            assert_eq!(status_named(status_name(s)), Some(s));
        }
        assert_eq!(status_named("UNSPECIFIED"), None);
        assert_eq!(status_named("LOST"), None);
    }

    #[test]
    fn money_shows_its_minor_units_by_the_currencys_exponent() {
        let shown = |minor_units, currency| formatted(&money(minor_units, currency));
        assert_eq!(shown(25_000_000, "SEK").as_deref(), Some("250000.00 SEK"));
        assert_eq!(shown(5, "EUR").as_deref(), Some("0.05 EUR"));
        assert_eq!(shown(1_234, "ISK").as_deref(), Some("1234 ISK"));
        assert_eq!(shown(1_234, "KWD").as_deref(), Some("1.234 KWD"));
        assert_eq!(
            shown(i64::MAX, "SEK").as_deref(),
            Some("92233720368547758.07 SEK")
        );
        let mut written = String::new();
        write_amount(&mut written, -5, "EUR").unwrap();
        assert_eq!(written, "-0.05 EUR");
    }

    #[test]
    fn only_an_amount_of_a_currency_code_is_formatted() {
        for (minor_units, currency) in [(-1, "SEK"), (1, "sek"), (1, "SEKK"), (1, ""), (1, "S€K")]
        {
            assert_eq!(formatted(&money(minor_units, currency)), None, "{currency}");
        }
        assert!(is_currency_code("NOK") && !is_currency_code("Nok"));
    }
}
