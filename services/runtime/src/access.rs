//! Who may read a record: the visibility levels and the one rule that maps a viewer and a
//! record's audience to full access, partner (redacted) access, or none. Write paths call
//! [`access`]; read models translate the same rule into SQL and test that they agree.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{DepartmentId, MunicipalityId, Principal, UserId};

/// How widely a record is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Visibility {
    /// The reporter, the owner and members of the record's departments.
    Private,
    /// Everyone in the owning municipality.
    #[default]
    Municipality,
    /// Also the municipalities in any network the owner belongs to.
    Network,
    /// All municipalities.
    Public,
}

impl Visibility {
    /// Every level, narrowest first.
    pub const ALL: [Visibility; 4] = [
        Visibility::Private,
        Visibility::Municipality,
        Visibility::Network,
        Visibility::Public,
    ];

    /// The stored spelling, e.g. `MUNICIPALITY`.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "PRIVATE",
            Visibility::Municipality => "MUNICIPALITY",
            Visibility::Network => "NETWORK",
            Visibility::Public => "PUBLIC",
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Visibility {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Visibility::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown visibility {s:?}"))
    }
}

/// The caller as the read rules see them: the principal and the municipalities they share
/// a network with.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The caller.
    pub principal: Principal,
    /// Municipalities in any network the caller's municipality belongs to.
    pub network_partners: BTreeSet<MunicipalityId>,
}

impl Viewer {
    /// A viewer without network partners.
    pub fn new(principal: Principal) -> Self {
        Self {
            principal,
            network_partners: BTreeSet::new(),
        }
    }
}

/// Who a record is for.
#[derive(Debug, Clone, Copy)]
pub struct Audience<'a> {
    /// The owning municipality.
    pub municipality: &'a MunicipalityId,
    /// How widely it is shared.
    pub visibility: Visibility,
    /// Its departments.
    pub departments: &'a [DepartmentId],
    /// The people who always see it (reporter, owner).
    pub people: &'a [&'a UserId],
}

/// What a viewer may see of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Everything: a member of the owning municipality who may see it.
    Full,
    /// A partner: the record without people, internal notes and departments.
    Partner,
    /// Nothing; the record does not exist for this viewer.
    None,
}

/// The read rule.
pub fn access(viewer: &Viewer, audience: Audience<'_>) -> Access {
    let me = &viewer.principal;
    if me.is_member_of(audience.municipality) {
        let sees = match audience.visibility {
            Visibility::Private => {
                audience.people.contains(&&me.user)
                    || me
                        .department
                        .as_ref()
                        .is_some_and(|d| audience.departments.contains(d))
            }
            Visibility::Municipality | Visibility::Network | Visibility::Public => true,
        };
        if sees { Access::Full } else { Access::None }
    } else {
        match audience.visibility {
            Visibility::Public => Access::Partner,
            Visibility::Network if viewer.network_partners.contains(audience.municipality) => {
                Access::Partner
            }
            _ => Access::None,
        }
    }
}
