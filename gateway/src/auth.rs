//! Bearer tokens: HS256 development tokens signed with a configured secret, turned into a
//! [`Principal`]. The `innohub token` command mints them; `serve` verifies them.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::Utc;
use innohub_runtime::{DepartmentId, MunicipalityId, Principal, Role, UserId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The issuer written into and required of development tokens.
const ISSUER: &str = "innohub-dev";

/// The claims of an innohub token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user.
    pub sub: String,
    /// Their municipality, e.g. `DK-0706`.
    pub municipality: String,
    /// Their department, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Their roles, e.g. `["employee", "it_portfolio"]`.
    pub roles: Vec<String>,
    /// Issuer.
    pub iss: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
}

impl Claims {
    /// Validate the claims into a principal.
    pub fn principal(&self) -> Result<Principal, String> {
        Ok(Principal {
            user: UserId::parse(&self.sub)?,
            municipality: MunicipalityId::parse(&self.municipality)?,
            department: self
                .department
                .as_deref()
                .map(DepartmentId::parse)
                .transpose()?,
            roles: self
                .roles
                .iter()
                .map(|r| r.parse::<Role>())
                .collect::<Result<BTreeSet<_>, _>>()?,
        })
    }
}

/// Signs and verifies development tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(..)")
    }
}

impl TokenKeys {
    /// Keys from a shared secret.
    pub fn from_secret(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// The secret from `INNOHUB_DEV_SECRET` if given, else the one in the data dir,
    /// generated there on first use.
    pub fn load(explicit: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        if let Some(secret) = explicit.filter(|s| !s.is_empty()) {
            return Ok(Self::from_secret(secret.as_bytes()));
        }
        let path = data_dir.join("dev-secret");
        if !path.exists() {
            std::fs::create_dir_all(data_dir)?;
            let secret: [u8; 32] = rand::random();
            let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
            std::fs::write(&path, hex)?;
        }
        let secret = std::fs::read_to_string(&path)?;
        Ok(Self::from_secret(secret.trim().as_bytes()))
    }

    /// Mint a token for a principal, valid for `ttl_hours`.
    pub fn mint(&self, principal: &Principal, ttl_hours: i64) -> anyhow::Result<String> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: principal.user.to_string(),
            municipality: principal.municipality.to_string(),
            department: principal.department.as_ref().map(ToString::to_string),
            roles: principal
                .roles
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            iss: ISSUER.into(),
            iat: now,
            exp: now + ttl_hours * 3600,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Verify a bearer token: signature, algorithm, issuer, expiry and claims.
    pub fn verify(&self, token: &str) -> Result<Principal, String> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|e| format!("invalid token: {e}"))?;
        data.claims
            .principal()
            .map_err(|e| format!("invalid token claims: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal() -> Principal {
        Claims {
            sub: "anna".into(),
            municipality: "DK-0706".into(),
            department: Some("social".into()),
            roles: vec!["employee".into()],
            iss: ISSUER.into(),
            iat: 0,
            exp: 0,
        }
        .principal()
        .unwrap()
    }

    #[test]
    fn a_minted_token_verifies_to_the_same_principal() {
        let keys = TokenKeys::from_secret(b"secret");
        let token = keys.mint(&principal(), 1).unwrap();
        assert_eq!(keys.verify(&token).unwrap(), principal());
    }

    #[test]
    fn a_token_signed_with_another_secret_is_rejected() {
        let token = TokenKeys::from_secret(b"other")
            .mint(&principal(), 1)
            .unwrap();
        assert!(TokenKeys::from_secret(b"secret").verify(&token).is_err());
    }

    #[test]
    fn an_expired_token_is_rejected() {
        let keys = TokenKeys::from_secret(b"secret");
        let token = keys.mint(&principal(), -2).unwrap();
        assert!(keys.verify(&token).is_err());
    }

    #[test]
    fn unknown_roles_are_rejected() {
        let claims = Claims {
            roles: vec!["root".into()],
            ..Claims {
                sub: "anna".into(),
                municipality: "DK-0706".into(),
                department: None,
                roles: vec![],
                iss: ISSUER.into(),
                iat: 0,
                exp: 0,
            }
        };
        assert!(claims.principal().is_err());
    }
}
