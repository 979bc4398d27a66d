//! A caller's network partners, for the read rule of records shared with a network
//! ([`Visibility::Network`]): a service that holds such records asks the directory's
//! `GetNetworkPartners` for them ([`Partners::directory`]), relaying the caller's token (the
//! directory verifies it; in-process the verified caller travels with the call), and only
//! when a record in question is NETWORK-visible and the caller is not a member of its
//! municipality ([`needs_partners`]), once per command ([`Asker`]).

use std::collections::BTreeSet;

use innohub_proto::innohub::directory::v1::GetNetworkPartnersRequest;
use innohub_proto::innohub::directory::v1::directory_service_client::DirectoryServiceClient;
use uuid::Uuid;

use crate::command::CommandError;
use crate::grpc::{self, Caller, Channel, ServiceError};
use crate::{DomainError, MunicipalityId, Principal, Viewer, Visibility};

/// Where a service asks for its callers' network partners: the directory, or nowhere (the
/// default), in which case no caller has partners and NETWORK records are their
/// municipality's only.
#[derive(Clone, Default)]
pub struct Partners(Option<DirectoryServiceClient<Channel>>);

impl std::fmt::Debug for Partners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Partners").field(&self.0.is_some()).finish()
    }
}

/// Whether the read rule needs `principal`'s network partners for a record of
/// `municipality` shared with `visibility`.
pub fn needs_partners(
    principal: &Principal,
    municipality: &MunicipalityId,
    visibility: Visibility,
) -> bool {
    visibility == Visibility::Network && !principal.is_member_of(municipality)
}

impl Partners {
    /// Ask `directory`.
    pub fn directory(directory: DirectoryServiceClient<Channel>) -> Self {
        Self(Some(directory))
    }

    /// The caller `principal` as the read rule sees them, their partners not asked yet;
    /// `token` is their bearer token, relayed when the partners are asked.
    pub fn asker<'a>(
        &'a self,
        principal: &Principal,
        token: Option<&'a str>,
        correlation_id: Option<Uuid>,
    ) -> Asker<'a> {
        Asker {
            partners: self,
            viewer: Viewer::new(principal.clone()),
            token,
            correlation_id,
            complete: self.0.is_none(),
        }
    }

    /// The municipalities that share a network with `principal`'s, as the directory says.
    async fn of(
        &self,
        principal: &Principal,
        token: Option<&str>,
        correlation_id: Option<Uuid>,
    ) -> Result<BTreeSet<MunicipalityId>, CommandError<DomainError>> {
        let Some(directory) = &self.0 else {
            return Ok(BTreeSet::new());
        };
        let failed = |why: String| CommandError::Domain(DomainError::Internal(why));
        let caller = Caller {
            principal,
            token,
            idempotency_key: None,
            correlation_id,
        };
        let reply = grpc::send(
            directory,
            caller,
            GetNetworkPartnersRequest {},
            |mut c, r| async move { c.get_network_partners(r).await },
        )
        .await
        .map_err(|e: ServiceError| {
            failed(format!(
                "directory GetNetworkPartners: {} {}",
                e.code, e.message
            ))
        })?;
        reply
            .municipalities
            .iter()
            .map(|m| {
                MunicipalityId::parse(m)
                    .map_err(|e| failed(format!("directory named a bad municipality {m:?}: {e}")))
            })
            .collect()
    }
}

/// The caller as the read rule sees them, with their network partners asked of the
/// directory once, and only when a record in question needs them.
#[derive(Debug)]
pub struct Asker<'a> {
    partners: &'a Partners,
    viewer: Viewer,
    token: Option<&'a str>,
    correlation_id: Option<Uuid>,
    complete: bool,
}

impl Asker<'_> {
    /// The viewer as known so far.
    pub fn viewer(&self) -> &Viewer {
        &self.viewer
    }

    /// Whether the viewer's partners are known (asked, or there is no directory to ask).
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The viewer, complete enough for a record of `municipality` shared with `visibility`.
    pub async fn for_record(
        &mut self,
        municipality: &MunicipalityId,
        visibility: Visibility,
    ) -> Result<&Viewer, CommandError<DomainError>> {
        if !self.complete && needs_partners(&self.viewer.principal, municipality, visibility) {
            self.complete().await?;
        }
        Ok(&self.viewer)
    }

    /// Ask the directory for the viewer's partners.
    pub async fn complete(&mut self) -> Result<(), CommandError<DomainError>> {
        self.viewer.network_partners = self
            .partners
            .of(&self.viewer.principal, self.token, self.correlation_id)
            .await?;
        self.complete = true;
        Ok(())
    }
}
