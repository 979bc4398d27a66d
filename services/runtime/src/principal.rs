//! Who is calling: user, municipality (the tenant), department and roles. Built by the
//! gateway from a verified token and carried on every command and event envelope.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A municipality (tenant): country code and official municipality code, e.g. `DK-0706`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MunicipalityId(String);

impl MunicipalityId {
    /// Parse `CC-CODE`: two-letter country, dash, 1–10 letters or digits.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let valid = raw.split_once('-').is_some_and(|(country, code)| {
            country.len() == 2
                && country.chars().all(|c| c.is_ascii_uppercase())
                && (1..=10).contains(&code.len())
                && code.chars().all(|c| c.is_ascii_alphanumeric())
        });
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!(
                "municipality must look like DK-0706 (country code, dash, municipality code), got {raw:?}"
            ))
        }
    }

    /// The canonical spelling.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MunicipalityId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<MunicipalityId> for String {
    fn from(value: MunicipalityId) -> Self {
        value.0
    }
}

impl fmt::Display for MunicipalityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Declares a validated identifier newtype: 1–`max` characters, no control characters.
macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validate and wrap.
            pub fn parse(raw: &str) -> Result<Self, String> {
                let raw = raw.trim();
                if raw.is_empty() || raw.chars().count() > $max || raw.chars().any(char::is_control) {
                    Err(format!(
                        "{} must be 1 to {} characters without control characters",
                        stringify!($name),
                        $max
                    ))
                } else {
                    Ok(Self(raw.to_owned()))
                }
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

identifier!(
    /// A user as the identity provider names them (the token's `sub`).
    UserId,
    200
);
identifier!(
    /// A department (org unit) inside a municipality, e.g. `social-services`.
    DepartmentId,
    100
);

/// What a caller may do in their municipality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Submit, comment, support.
    Employee,
    /// Leads a department.
    DepartmentLead,
    /// Assesses, prioritises and moves automation candidates through phases.
    ItPortfolio,
    /// Runs ideas, workshops and pilots.
    InnovationLead,
    /// Manages innovation funds.
    FundManager,
    /// Reviews fund applications.
    FundReviewer,
    /// Departments, scoring weights, networks.
    MunicipalityAdmin,
    /// Registers municipalities.
    PlatformAdmin,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Role; 8] = [
        Role::Employee,
        Role::DepartmentLead,
        Role::ItPortfolio,
        Role::InnovationLead,
        Role::FundManager,
        Role::FundReviewer,
        Role::MunicipalityAdmin,
        Role::PlatformAdmin,
    ];

    /// The claim spelling, e.g. `it_portfolio`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Employee => "employee",
            Role::DepartmentLead => "department_lead",
            Role::ItPortfolio => "it_portfolio",
            Role::InnovationLead => "innovation_lead",
            Role::FundManager => "fund_manager",
            Role::FundReviewer => "fund_reviewer",
            Role::MunicipalityAdmin => "municipality_admin",
            Role::PlatformAdmin => "platform_admin",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| format!("unknown role {s:?}"))
    }
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// Who.
    pub user: UserId,
    /// Their municipality: the tenant they act in.
    pub municipality: MunicipalityId,
    /// Their department, if the token names one.
    pub department: Option<DepartmentId>,
    /// Their roles in their municipality.
    pub roles: BTreeSet<Role>,
}

impl Principal {
    /// Whether the caller holds a role.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the caller belongs to the given municipality (otherwise they are a partner).
    pub fn is_member_of(&self, municipality: &MunicipalityId) -> bool {
        &self.municipality == municipality
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn municipality_ids_are_country_dash_code() {
        assert!(MunicipalityId::parse("DK-0706").is_ok());
        assert!(MunicipalityId::parse("SE-1283").is_ok());
        assert!(MunicipalityId::parse("dk-0706").is_err());
        assert!(MunicipalityId::parse("DK0706").is_err());
        assert!(MunicipalityId::parse("DK-").is_err());
    }

    #[test]
    fn roles_round_trip_their_claim_spelling() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn identifiers_reject_empty_and_overlong() {
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse(&"x".repeat(201)).is_err());
        assert!(DepartmentId::parse("social").is_ok());
    }
}
