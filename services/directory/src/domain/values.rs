//! Validated domain values: a municipality's profile, names, department ids. Each
//! constructor names the input field it failed on, and the same constructors check
//! commands' input and stored events on load, so no rule is written twice.

use innohub_proto::innohub::directory::v1 as pb;
pub use innohub_runtime::field::require_role;
use innohub_runtime::text::TextRule;
use innohub_runtime::{DepartmentId, MunicipalityId};

use crate::DirectoryError;

/// The countries whose municipalities the platform registers (ISO 3166-1 alpha-2).
pub const COUNTRIES: [&str; 5] = ["DK", "SE", "NO", "FI", "IS"];

/// The most inhabitants a municipality is registered with.
pub const MAX_INHABITANTS: u32 = 10_000_000;

/// A name on one line: trimmed, visible, without control or bidi characters, at most
/// `max` characters ([`innohub_runtime::text`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(String);

impl Name {
    /// A municipality's or a network's name: at most 80 characters.
    pub const SHORT: TextRule = TextRule::new(80, false);
    /// A department's name: at most 120 characters.
    pub const LONG: TextRule = TextRule::new(120, false);

    /// Validate `raw` for input field `field` by `rule`.
    pub fn parse(rule: TextRule, field: &'static str, raw: &str) -> Result<Self, DirectoryError> {
        rule.required(raw)
            .map(|text| Self(text.to_owned()))
            .map_err(|e| DirectoryError::invalid(field, e.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A department id, by the rule tokens' department claims keep ([`DepartmentId`]).
pub fn department_id(field: &'static str, raw: &str) -> Result<DepartmentId, DirectoryError> {
    DepartmentId::parse(raw).map_err(|e| DirectoryError::invalid(field, e))
}

/// An optional department id: `""` is none.
pub fn parent_id(field: &'static str, raw: &str) -> Result<Option<DepartmentId>, DirectoryError> {
    if raw.is_empty() {
        Ok(None)
    } else {
        department_id(field, raw).map(Some)
    }
}

/// A municipality id as the contract spells it.
pub fn municipality_id(field: &'static str, raw: &str) -> Result<MunicipalityId, DirectoryError> {
    MunicipalityId::parse(raw).map_err(|e| DirectoryError::invalid(field, e))
}

/// The band `inhabitants` falls in.
pub fn size_band(inhabitants: u32) -> pb::SizeBand {
    match inhabitants {
        0..10_000 => pb::SizeBand::Under10k,
        10_000..30_000 => pb::SizeBand::SizeBand10kTo30k,
        30_000..60_000 => pb::SizeBand::SizeBand30kTo60k,
        60_000..100_000 => pb::SizeBand::SizeBand60kTo100k,
        _ => pb::SizeBand::SizeBand100kAndMore,
    }
}

/// A municipality as the platform registered it: its id (country and code), name and
/// inhabitants; the size band is derived from the inhabitants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// `<country>-<code>`, e.g. `DK-0706`.
    pub id: MunicipalityId,
    /// e.g. "Syddjurs".
    pub name: Name,
    /// 1 to [`MAX_INHABITANTS`].
    pub inhabitants: u32,
}

impl Profile {
    /// The band the inhabitants fall in.
    pub fn size_band(&self) -> pb::SizeBand {
        size_band(self.inhabitants)
    }
}

impl TryFrom<pb::MunicipalityProfile> for Profile {
    type Error = DirectoryError;

    fn try_from(p: pb::MunicipalityProfile) -> Result<Self, DirectoryError> {
        if !COUNTRIES.contains(&p.country.as_str()) {
            return Err(DirectoryError::invalid(
                "profile.country",
                format!(
                    "must be one of {}, got {:?}",
                    COUNTRIES.join(", "),
                    p.country
                ),
            ));
        }
        if !(1..=10).contains(&p.code.len()) || !p.code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DirectoryError::invalid(
                "profile.code",
                format!("must be 1 to 10 digits, e.g. \"0706\", got {:?}", p.code),
            ));
        }
        let id = municipality_id("profile", &format!("{}-{}", p.country, p.code))?;
        let name = Name::parse(Name::SHORT, "profile.name", &p.name)?;
        if !(1..=MAX_INHABITANTS).contains(&p.inhabitants) {
            return Err(DirectoryError::invalid(
                "profile.inhabitants",
                format!(
                    "must be between 1 and {MAX_INHABITANTS}, got {}",
                    p.inhabitants
                ),
            ));
        }
        let derived = size_band(p.inhabitants);
        match pb::SizeBand::try_from(p.size_band) {
            Ok(pb::SizeBand::Unspecified) => {}
            Ok(band) if band == derived => {}
            Ok(band) => {
                return Err(DirectoryError::invalid(
                    "profile.sizeBand",
                    format!(
                        "{} does not match {} inhabitants, which are {}; leave it \
                         unspecified to have it derived",
                        band.as_str_name(),
                        p.inhabitants,
                        derived.as_str_name()
                    ),
                ));
            }
            Err(_) => {
                return Err(DirectoryError::invalid(
                    "profile.sizeBand",
                    format!("unknown size band {}", p.size_band),
                ));
            }
        }
        Ok(Self {
            id,
            name,
            inhabitants: p.inhabitants,
        })
    }
}

impl From<&Profile> for pb::MunicipalityProfile {
    fn from(p: &Profile) -> Self {
        let (country, code) = p.id.as_str().split_once('-').unwrap_or_default();
        Self {
            country: country.to_owned(),
            code: code.to_owned(),
            name: p.name.as_str().to_owned(),
            inhabitants: p.inhabitants,
            size_band: p.size_band() as i32,
        }
    }
}

/// Why a command naming an unregistered municipality is refused.
pub fn not_registered(municipality: &MunicipalityId) -> DirectoryError {
    DirectoryError::Rule(format!("municipality {municipality} is not registered"))
}
