//! Network partners in a service's gRPC test, asked of a real directory service: the
//! directory served over the network on its own store beside the service under test, and
//! the service served twice more, asking it over the network (relaying the caller's token,
//! which the directory verifies itself) and in-process (the verified caller travels with the
//! call) ([`Networked`]); municipalities registered by their administrators ([`admin`]) and put in one network ([`network_of`],
//! [`accept`]).
//!
//! A test helper reports a broken setup by panicking, with what failed.
#![allow(clippy::expect_used)]

use innohub_proto::innohub::directory::v1 as dpb;
use innohub_proto::innohub::directory::v1::directory_service_client::DirectoryServiceClient;

use super::grpc::{Served, Server, person, send, test_verifier};
use crate::grpc::Channel;
use crate::{EventStore, Principal, Role, Verifier};

/// A client of the directory service.
pub type Directory = DirectoryServiceClient<Channel>;

/// A served service and a directory beside it, with the service served again asking that
/// directory for its callers' partners, over the network and in-process.
pub struct Networked<A, C> {
    /// The service as [`Served::start`] served it: no directory, nobody has partners.
    pub served: Served<A, C>,
    /// The directory, over the network.
    pub directory: Directory,
    /// A client of the service that asks the directory over the network.
    pub remote_with_directory: C,
    /// A client of the service, in-process, that asks the directory in-process.
    pub local_with_directory: C,
    /// The directory and the service that asks it, served until dropped.
    _servers: [Server; 2],
}

impl<A, C> Networked<A, C> {
    /// Serve a directory (its app built by `directory_app` on a store beside `served`'s, its
    /// `directory_router` and `directory_channel`) and the service again on `served`'s store
    /// (its app built by `app` with a directory client, its `router`, `channel` and
    /// `client`), once asking the directory over the network and once in-process.
    #[allow(clippy::too_many_arguments)]
    pub async fn start<D: Clone>(
        served: Served<A, C>,
        directory_app: impl FnOnce(EventStore) -> D,
        directory_router: impl FnOnce(D, Verifier) -> axum::Router,
        directory_channel: impl FnOnce(D) -> Channel,
        app: impl Fn(EventStore, Directory) -> A,
        router: impl FnOnce(A, Verifier) -> axum::Router,
        channel: impl FnOnce(A) -> Channel,
        client: impl Fn(Channel) -> C,
    ) -> Self {
        let directory_app = directory_app(served.open_store("directory.sqlite").await);
        let directory_server =
            Server::start(directory_router(directory_app.clone(), test_verifier())).await;
        let remote_directory = Directory::new(directory_server.remote());
        let local_directory = Directory::new(directory_channel(directory_app));
        let remote_app = app(served.store.clone(), remote_directory.clone());
        let server = Server::start(router(remote_app, test_verifier())).await;
        let local_app = app(served.store.clone(), local_directory);
        Networked {
            remote_with_directory: client(server.remote()),
            local_with_directory: client(channel(local_app)),
            directory: remote_directory,
            served,
            _servers: [directory_server, server],
        }
    }
}

/// The administrator of `municipality` in the directory.
pub fn admin(municipality: &str) -> Principal {
    person(
        &format!("admin@{municipality}"),
        municipality,
        None,
        &[Role::MunicipalityAdmin],
    )
}

/// Register `municipalities` (country, code, name) by `root`, a platform admin; then
/// `admin`, of the first, creates network `name` and invites the second. Returns the
/// network id.
pub async fn network_of(
    directory: &Directory,
    root: &Principal,
    admin: &Principal,
    municipalities: &[(&str, &str, &str)],
    name: &str,
) -> String {
    for (country, code, name) in municipalities {
        let profile = dpb::MunicipalityProfile {
            country: (*country).into(),
            code: (*code).into(),
            name: (*name).into(),
            inhabitants: 40_000,
            ..Default::default()
        };
        let register = dpb::RegisterMunicipalityRequest {
            profile: Some(profile),
        };
        send(directory, root, None, register, |mut c, r| async move {
            c.register_municipality(r).await
        })
        .await
        .expect("a municipality registered");
    }
    let create = dpb::CreateNetworkRequest { name: name.into() };
    let network = send(directory, admin, None, create, |mut c, r| async move {
        c.create_network(r).await
    })
    .await
    .expect("a network created")
    .aggregate_id;
    let (country, code, _) = municipalities[1];
    let invite = dpb::InviteToNetworkRequest {
        network_id: network.clone(),
        municipality: format!("{country}-{code}"),
    };
    send(directory, admin, None, invite, |mut c, r| async move {
        c.invite_to_network(r).await
    })
    .await
    .expect("a municipality invited");
    network
}

/// `admin`, of the invited municipality, accepts the invitation to `network`.
pub async fn accept(directory: &Directory, admin: &Principal, network: &str) {
    let accept = dpb::AcceptNetworkInvitationRequest {
        network_id: network.to_owned(),
    };
    send(directory, admin, None, accept, |mut c, r| async move {
        c.accept_network_invitation(r).await
    })
    .await
    .expect("an invitation accepted");
}
