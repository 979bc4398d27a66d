//! How `serve`, `gateway` and the services are told which bearer tokens to accept
//! ([`AuthArgs`]): development tokens signed with a secret, an identity provider's access
//! tokens (OIDC), or both when explicitly allowed; and where embedded mode keeps its
//! development secret. The verification itself is `innohub_runtime::auth`'s.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use innohub_runtime::Verifier;
use innohub_runtime::auth::{ClaimMapping, DevKeys, OidcConfig};

/// How callers sign in: the verifier of their bearer tokens, and the identity provider the
/// dashboard sends people to (when one is configured for it).
pub struct SignIn {
    /// Verifies bearer tokens.
    pub verifier: Verifier,
    /// The dashboard's login at the identity provider.
    pub login: Option<crate::dashboard::Login>,
}

/// Where accepted tokens come from (flags shared by `serve`, `gateway` and the services).
#[derive(clap::Args, Clone, Debug)]
pub struct AuthArgs {
    /// HS256 secret of development tokens. `serve` generates one into its data dir when
    /// none is given; the distributed processes need it unless an identity provider is set.
    #[arg(long, env = "INNOHUB_DEV_SECRET", hide_env_values = true)]
    pub dev_secret: Option<String>,
    /// The identity provider's issuer URL (its `/.well-known/openid-configuration` names
    /// the signing keys). With it, RS256/ES256 access tokens of that issuer are accepted,
    /// and development tokens are refused unless `--allow-dev-tokens`.
    #[arg(long, env = "INNOHUB_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    /// The audience (`aud`) the identity provider issues innohub's tokens for.
    #[arg(long, env = "INNOHUB_OIDC_AUDIENCE", requires = "oidc_issuer")]
    pub oidc_audience: Option<String>,
    /// The claim that holds the user id (Entra ID's stable one is `oid`).
    #[arg(long, env = "INNOHUB_OIDC_USER_CLAIM", default_value = "sub")]
    pub oidc_user_claim: String,
    /// The claim that holds the municipality (`DK-0706`); a dotted path reaches into
    /// nested claims.
    #[arg(
        long,
        env = "INNOHUB_OIDC_MUNICIPALITY_CLAIM",
        default_value = "municipality"
    )]
    pub oidc_municipality_claim: String,
    /// Claims that list roles, comma-separated: `roles` (Entra ID app roles, a plain
    /// array), `realm_access.roles` (Keycloak realm roles), …
    #[arg(
        long,
        env = "INNOHUB_OIDC_ROLES_CLAIM",
        default_value = "roles",
        value_delimiter = ','
    )]
    pub oidc_roles_claim: Vec<String>,
    /// The claim that holds the department.
    #[arg(
        long,
        env = "INNOHUB_OIDC_DEPARTMENT_CLAIM",
        default_value = "department"
    )]
    pub oidc_department_claim: String,
    /// Also accept development tokens when an identity provider is configured (for a test
    /// installation; never in production).
    #[arg(long, env = "INNOHUB_ALLOW_DEV_TOKENS")]
    pub allow_dev_tokens: bool,
    /// The dashboard's client id at the identity provider (a public client allowed the
    /// authorization code flow with PKCE and the redirect URI `https://<innohub>/dashboard`).
    /// With it, `/dashboard` offers to sign in there; without it, a token is pasted.
    #[arg(long, env = "INNOHUB_OIDC_CLIENT_ID", requires = "oidc_issuer")]
    pub oidc_client_id: Option<String>,
    /// The scopes the dashboard asks the identity provider for, space-separated; they must
    /// yield an access token for `--oidc-audience` (Entra ID: `openid api://innohub/access`).
    #[arg(long, env = "INNOHUB_OIDC_SCOPE", default_value = "openid")]
    pub oidc_scope: String,
}

impl AuthArgs {
    /// The verifier these flags describe. `data_dir` is embedded mode's, where the
    /// development secret is generated on first use; the distributed processes have none
    /// and must be given the secret (or an identity provider).
    pub async fn verifier(&self, data_dir: Option<&Path>) -> anyhow::Result<Verifier> {
        let dev = || -> anyhow::Result<DevKeys> {
            match (self.explicit_secret(), data_dir) {
                (Some(secret), _) => Ok(DevKeys::from_secret(secret.as_bytes())),
                (None, Some(dir)) => load_or_create_secret(dir),
                (None, None) => anyhow::bail!(
                    "--dev-secret (INNOHUB_DEV_SECRET) or --oidc-issuer (INNOHUB_OIDC_ISSUER) is required"
                ),
            }
        };
        let Some(issuer) = self.oidc_issuer.clone().filter(|i| !i.trim().is_empty()) else {
            return Ok(Verifier::development(dev()?));
        };
        let audience = self
            .oidc_audience
            .clone()
            .context("--oidc-audience (INNOHUB_OIDC_AUDIENCE) is required with --oidc-issuer")?;
        let dev = if self.allow_dev_tokens {
            tracing::warn!("development tokens are accepted next to the identity provider's");
            Some(dev()?)
        } else {
            None
        };
        let config = OidcConfig {
            issuer,
            audience,
            claims: ClaimMapping {
                user: self.oidc_user_claim.clone(),
                municipality: self.oidc_municipality_claim.clone(),
                roles: self
                    .oidc_roles_claim
                    .iter()
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty())
                    .collect(),
                department: self.oidc_department_claim.clone(),
            },
        };
        let verifier = Verifier::oidc(config, dev).map_err(anyhow::Error::msg)?;
        let prefetch = verifier.clone();
        tokio::spawn(async move { prefetch.prefetch().await });
        Ok(verifier)
    }

    /// The verifier ([`AuthArgs::verifier`]) and the dashboard's login, for `serve` and
    /// `gateway`.
    pub async fn sign_in(&self, data_dir: Option<&Path>) -> anyhow::Result<SignIn> {
        Ok(SignIn {
            verifier: self.verifier(data_dir).await?,
            login: self.dashboard_login(),
        })
    }

    /// The identity provider the dashboard signs in with, when a client id names it there.
    fn dashboard_login(&self) -> Option<crate::dashboard::Login> {
        let issuer = self.oidc_issuer.clone().filter(|i| !i.trim().is_empty())?;
        let client_id = self
            .oidc_client_id
            .clone()
            .filter(|c| !c.trim().is_empty())?;
        Some(crate::dashboard::Login {
            issuer,
            client_id,
            scope: self.oidc_scope.clone(),
        })
    }

    fn explicit_secret(&self) -> Option<&str> {
        self.dev_secret.as_deref().filter(|s| !s.is_empty())
    }
}

/// Where embedded mode keeps its development secret.
fn secret_path(data_dir: &Path) -> PathBuf {
    data_dir.join("dev-secret")
}

/// The development secret in `data_dir`, generated there on first use (`serve`).
fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<DevKeys> {
    let path = secret_path(data_dir);
    if !path.exists() {
        std::fs::create_dir_all(data_dir)?;
        let secret: [u8; 32] = rand::random();
        let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        std::fs::write(&path, hex)?;
    }
    read_secret(&path)
}

fn read_secret(path: &Path) -> anyhow::Result<DevKeys> {
    let secret =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(DevKeys::from_secret(secret.trim().as_bytes()))
}

/// The keys `innohub token` signs with: the explicit secret, or the one `serve` generated
/// in `data_dir`. Never a new one: a token signed with a secret no server has is useless.
pub fn minting_keys(explicit: Option<&str>, data_dir: &Path) -> anyhow::Result<DevKeys> {
    if let Some(secret) = explicit.filter(|s| !s.is_empty()) {
        return Ok(DevKeys::from_secret(secret.as_bytes()));
    }
    let path = secret_path(data_dir);
    anyhow::ensure!(
        path.exists(),
        "no development secret at {}: `innohub serve` creates it there on its first start. \
         Run `innohub token` with the same --data-dir (INNOHUB_DATA_DIR) as `innohub serve`, \
         or give both the same --dev-secret (INNOHUB_DEV_SECRET)",
        path.display()
    );
    read_secret(&path)
}
