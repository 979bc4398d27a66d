//! What the funding service's tests (`grpc.rs`, `race.rs`) share: the client, the day the
//! services count as today, the people of Helsingborg who run its innovation fund and apply
//! to it, and money in Swedish crowns.
#![allow(dead_code, clippy::unwrap_used)]

use chrono::NaiveDate;
use innohub_proto::innohub::common::v1::Money;
use innohub_proto::innohub::funding::v1::funding_service_client::FundingServiceClient;
use innohub_runtime::grpc::Channel;
use innohub_runtime::testing::person;
use innohub_runtime::{Principal, Role};

/// The generated client of the funding service.
pub type Client = FundingServiceClient<Channel>;

/// The day the tests' services count as today.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()
}

/// Helsingborg, whose innovation fund the tests follow.
pub const HOME: &str = "SE-1283";

/// `user` of Helsingborg, in `department`, with `roles`.
pub fn helsingborg(user: &str, department: &str, roles: &[Role]) -> Principal {
    person(
        &format!("{user}@helsingborg.se"),
        HOME,
        Some(department),
        roles,
    )
}

/// The fund manager, who creates the fund and records the council's decisions.
pub fn manager() -> Principal {
    helsingborg("maria", "innovation", &[Role::Employee, Role::FundManager])
}

/// A reviewer of the fund's applications.
pub fn reviewer() -> Principal {
    helsingborg(
        "rolf",
        "stadsledning",
        &[Role::Employee, Role::FundReviewer],
    )
}

/// The applicant: an employee of the social services.
pub fn applicant() -> Principal {
    helsingborg("anna", "social", &[Role::Employee])
}

/// `kronor` Swedish crowns, in öre.
pub fn sek(kronor: i64) -> Option<Money> {
    Some(Money {
        minor_units: kronor * 100,
        currency: "SEK".into(),
    })
}
