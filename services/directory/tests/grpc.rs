//! The directory service through its generated client, the way the gateway calls it in both
//! modes: over a real network (`grpc::router` served by axum on a free local port) and
//! in-process (`grpc::channel`, no socket), on one SQLite event store. Answers are compared
//! between the two, so the embedded mode cannot drift from the distributed one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use innohub_directory::{DirectoryApp, grpc};
use innohub_proto::innohub::common::v1::{CommandReply, EventEnvelope, GetHistoryRequest};
use innohub_proto::innohub::directory::v1 as pb;
use innohub_runtime::auth::DevKeys;
use innohub_runtime::grpc::{Channel, ServiceError};
use innohub_runtime::store::AppendRequest;
use innohub_runtime::testing::{Served, forged_request, person, send};
use innohub_runtime::{EncodedEvent, ErrorCode, MunicipalityId, Principal, Role};
use pb::directory_service_client::DirectoryServiceClient;
use prost::Message as _;
use uuid::Uuid;

type Client = DirectoryServiceClient<Channel>;

/// A served directory service and both clients on its store.
type Harness = Served<DirectoryApp, Client>;

async fn start() -> Harness {
    Served::start(DirectoryApp::new, grpc::router, grpc::channel, Client::new).await
}

const DK: &str = "DK-0706";
const SE: &str = "SE-1283";
const NO: &str = "NO-4626";
const FI: &str = "FI-091";

/// The platform's administrator (whose own municipality is Reykjavík's).
fn platform() -> Principal {
    person(
        "platform@innohub.eu",
        "IS-0000",
        None,
        &[Role::PlatformAdmin],
    )
}

/// The administrator of `municipality`.
fn admin(municipality: &str) -> Principal {
    person(
        &format!("admin@{municipality}"),
        municipality,
        None,
        &[Role::MunicipalityAdmin],
    )
}

/// An employee of `municipality`.
fn employee(municipality: &str) -> Principal {
    person(
        &format!("employee@{municipality}"),
        municipality,
        None,
        &[Role::Employee],
    )
}

fn profile(country: &str, code: &str, name: &str, inhabitants: u32) -> pb::MunicipalityProfile {
    pb::MunicipalityProfile {
        country: country.into(),
        code: code.into(),
        name: name.into(),
        inhabitants,
        size_band: pb::SizeBand::Unspecified as i32,
    }
}

async fn register(
    client: &Client,
    by: &Principal,
    key: Option<&str>,
    profile: pb::MunicipalityProfile,
) -> Result<CommandReply, ServiceError> {
    let request = pb::RegisterMunicipalityRequest {
        profile: Some(profile),
    };
    send(client, by, key, request, |mut c, r| async move {
        c.register_municipality(r).await
    })
    .await
}

/// Register Syddjurs, Helsingborg and Stavanger.
async fn register_three(client: &Client) {
    for p in [
        profile("DK", "0706", "Syddjurs", 43_000),
        profile("SE", "1283", "Helsingborg", 150_000),
        profile("NO", "1103", "Stavanger", 145_000),
    ] {
        register(client, &platform(), None, p).await.unwrap();
    }
}

async fn add_department(
    client: &Client,
    by: &Principal,
    id: &str,
    name: &str,
    parent: &str,
) -> Result<CommandReply, ServiceError> {
    let request = pb::AddDepartmentRequest {
        department: Some(pb::DepartmentAdded {
            department_id: id.into(),
            name: name.into(),
            parent_id: parent.into(),
        }),
    };
    send(client, by, None, request, |mut c, r| async move {
        c.add_department(r).await
    })
    .await
}

async fn rename_department(
    client: &Client,
    by: &Principal,
    id: &str,
    name: &str,
) -> Result<CommandReply, ServiceError> {
    let request = pb::RenameDepartmentRequest {
        department: Some(pb::DepartmentRenamed {
            department_id: id.into(),
            name: name.into(),
        }),
    };
    send(client, by, None, request, |mut c, r| async move {
        c.rename_department(r).await
    })
    .await
}

async fn retire_department(
    client: &Client,
    by: &Principal,
    id: &str,
) -> Result<CommandReply, ServiceError> {
    let request = pb::RetireDepartmentRequest {
        department_id: id.into(),
    };
    send(client, by, None, request, |mut c, r| async move {
        c.retire_department(r).await
    })
    .await
}

async fn create_network(
    client: &Client,
    by: &Principal,
    name: &str,
) -> Result<CommandReply, ServiceError> {
    let request = pb::CreateNetworkRequest { name: name.into() };
    send(client, by, None, request, |mut c, r| async move {
        c.create_network(r).await
    })
    .await
}

async fn invite(
    client: &Client,
    by: &Principal,
    network: &str,
    municipality: &str,
) -> Result<CommandReply, ServiceError> {
    let request = pb::InviteToNetworkRequest {
        network_id: network.into(),
        municipality: municipality.into(),
    };
    send(client, by, None, request, |mut c, r| async move {
        c.invite_to_network(r).await
    })
    .await
}

async fn accept(
    client: &Client,
    by: &Principal,
    network: &str,
) -> Result<CommandReply, ServiceError> {
    let request = pb::AcceptNetworkInvitationRequest {
        network_id: network.into(),
    };
    send(client, by, None, request, |mut c, r| async move {
        c.accept_network_invitation(r).await
    })
    .await
}

async fn leave(
    client: &Client,
    by: &Principal,
    network: &str,
) -> Result<CommandReply, ServiceError> {
    let request = pb::LeaveNetworkRequest {
        network_id: network.into(),
    };
    send(client, by, None, request, |mut c, r| async move {
        c.leave_network(r).await
    })
    .await
}

/// `by`'s network partners, asked remotely and locally; the answers must agree.
async fn partners(h: &Harness, by: &Principal) -> Vec<String> {
    let mut answers = Vec::new();
    for client in [&h.remote, &h.local] {
        let reply = send(
            client,
            by,
            None,
            pb::GetNetworkPartnersRequest {},
            |mut c, r| async move { c.get_network_partners(r).await },
        )
        .await
        .unwrap();
        answers.push(reply.municipalities);
    }
    assert_eq!(answers[0], answers[1], "remote and local partners differ");
    answers.swap_remove(0)
}

/// The history of `id` as `by` may see it.
async fn history(
    client: &Client,
    by: &Principal,
    id: &str,
) -> Result<Vec<EventEnvelope>, ServiceError> {
    let request = GetHistoryRequest {
        aggregate_id: id.to_owned(),
    };
    let reply = send(client, by, None, request, |mut c, r| async move {
        c.get_history(r).await
    })
    .await?;
    Ok(reply.events)
}

fn types(events: &[EventEnvelope]) -> Vec<&str> {
    events.iter().map(|e| e.event_type.as_str()).collect()
}

#[tokio::test]
async fn every_command_succeeds_over_the_network() {
    let h = start().await;
    let p = &h.remote;
    let dk = admin(DK);

    // The platform registers; the reply names the municipality's stream.
    let registered = register(
        p,
        &platform(),
        None,
        profile("DK", "0706", "Syddjurs", 43_000),
    )
    .await
    .unwrap();
    assert_eq!(
        (registered.aggregate_id.as_str(), registered.version),
        (DK, 1)
    );
    register(
        p,
        &platform(),
        None,
        profile("SE", "1283", "Helsingborg", 150_000),
    )
    .await
    .unwrap();
    register(
        p,
        &platform(),
        None,
        profile("NO", "1103", "Stavanger", 145_000),
    )
    .await
    .unwrap();

    // The administrator builds the department tree.
    add_department(p, &dk, "social", "Social", "")
        .await
        .unwrap();
    add_department(p, &dk, "jobcenter", "Jobcenter", "social")
        .await
        .unwrap();
    let renamed = rename_department(p, &dk, "social", "Social og Sundhed")
        .await
        .unwrap();
    assert_eq!((renamed.aggregate_id.as_str(), renamed.version), (DK, 4));
    // The same name again records nothing.
    let same = rename_department(&h.local, &dk, "social", "Social og Sundhed")
        .await
        .unwrap();
    assert_eq!(same.version, 4);
    let retired = retire_department(p, &dk, "jobcenter").await.unwrap();
    assert_eq!(retired.version, 5);

    let events = history(p, &dk, DK).await.unwrap();
    assert_eq!(
        types(&events),
        [
            "MunicipalityRegistered",
            "DepartmentAdded",
            "DepartmentAdded",
            "DepartmentRenamed",
            "DepartmentRetired",
        ]
    );
    let first = pb::MunicipalityRegistered::decode(events[0].payload.as_slice()).unwrap();
    assert_eq!(
        first.profile.unwrap().size_band(),
        pb::SizeBand::SizeBand30kTo60k,
        "the band is derived"
    );
    assert_eq!(events, history(&h.local, &dk, DK).await.unwrap());
    // The platform's administrators read every municipality's history.
    assert_eq!(history(p, &platform(), DK).await.unwrap().len(), 5);

    // A network: created, then SE invited and joining, NO joining in-process, SE leaving.
    let created = create_network(p, &dk, "Automation network East Jutland")
        .await
        .unwrap();
    let network = created.aggregate_id.clone();
    assert!(Uuid::parse_str(&network).is_ok());
    assert!(partners(&h, &dk).await.is_empty());

    invite(p, &dk, &network, SE).await.unwrap();
    assert!(
        partners(&h, &dk).await.is_empty(),
        "an invitee is no partner yet"
    );
    assert!(partners(&h, &admin(SE)).await.is_empty());
    // The invitee may read the network's history before joining.
    assert_eq!(history(p, &admin(SE), &network).await.unwrap().len(), 2);

    accept(p, &admin(SE), &network).await.unwrap();
    assert_eq!(partners(&h, &dk).await, [SE]);
    assert_eq!(
        partners(&h, &employee(SE)).await,
        [DK],
        "any caller may ask"
    );

    invite(&h.local, &admin(SE), &network, "NO-1103")
        .await
        .unwrap();
    accept(&h.local, &admin("NO-1103"), &network).await.unwrap();
    assert_eq!(partners(&h, &dk).await, ["NO-1103", SE], "sorted");

    let gone = leave(p, &admin(SE), &network).await.unwrap();
    assert_eq!(partners(&h, &dk).await, ["NO-1103"]);
    assert!(partners(&h, &admin(SE)).await.is_empty());
    // A second app on the same store folds the same partners from scratch.
    let fresh = DirectoryApp::new(h.store.clone());
    let no = MunicipalityId::parse("NO-1103").unwrap();
    assert_eq!(
        fresh.network_partners(&no).await.unwrap(),
        BTreeSet::from([MunicipalityId::parse(DK).unwrap()])
    );

    // The network's history: its members read it, who left does not.
    let events = history(p, &dk, &network).await.unwrap();
    assert_eq!(
        types(&events),
        [
            "NetworkCreated",
            "NetworkInvitationSent",
            "NetworkInvitationAccepted",
            "NetworkInvitationSent",
            "NetworkInvitationAccepted",
            "NetworkLeft",
        ]
    );
    assert_eq!(events.last().unwrap().position, gone.position);
    assert_eq!(events, history(&h.local, &dk, &network).await.unwrap());
    let for_no = history(p, &admin("NO-1103"), &network).await.unwrap();
    assert_eq!(for_no.len(), 6);
    assert_eq!(
        history(p, &admin(SE), &network).await.unwrap_err().code,
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn refusals_are_alike_remotely_and_locally() {
    let h = start().await;
    register_three(&h.remote).await;
    let network = create_network(&h.remote, &admin(DK), "East")
        .await
        .unwrap()
        .aggregate_id;
    invite(&h.remote, &admin(DK), &network, SE).await.unwrap();

    // Each refusal is asked remotely and locally, with the same answer.
    macro_rules! case {
        ($code:expr, $message:expr, |$c:ident| $call:expr) => {{
            let remote = {
                let $c = &h.remote;
                $call.await.unwrap_err()
            };
            let expected = ServiceError {
                code: $code,
                message: String::from($message),
            };
            assert_eq!(remote, expected);
            let $c = &h.local;
            assert_eq!($call.await.unwrap_err(), expected, "locally");
        }};
    }
    use ErrorCode::{BadUserInput, Forbidden, NotFound};
    let (platform, dk, no, fi) = (platform(), admin(DK), admin(NO), admin(FI));
    let (dk_employee, se_employee, no_employee) = (employee(DK), employee(SE), employee(NO));
    let long_name = profile("FI", "091", &"n".repeat(81), 650_000);
    case!(
        BadUserInput,
        "profile.name: must be at most 80 characters, got 81",
        |c| register(c, &platform, None, long_name.clone())
    );
    case!(
        Forbidden,
        "registering a municipality needs the platform_admin role",
        |c| register(c, &fi, None, profile("FI", "091", "Helsinki", 650_000))
    );
    case!(
        BadUserInput,
        "municipality DK-0706 is already registered",
        |c| register(
            c,
            &platform,
            None,
            profile("DK", "0706", "Syddjurs", 43_000)
        )
    );
    case!(BadUserInput, "municipality FI-091 is not registered", |c| {
        add_department(c, &fi, "social", "Social", "")
    });
    case!(
        Forbidden,
        "managing departments needs the municipality_admin role",
        |c| add_department(c, &dk_employee, "social", "Social", "")
    );
    case!(
        BadUserInput,
        "department.parentId: DK-0706 has no department nowhere",
        |c| add_department(c, &dk, "social", "Social", "nowhere")
    );
    case!(
        BadUserInput,
        "department.departmentId: DK-0706 has no department nowhere",
        |c| rename_department(c, &dk, "nowhere", "X")
    );
    case!(
        BadUserInput,
        "departmentId: DK-0706 has no department nowhere",
        |c| retire_department(c, &dk, "nowhere")
    );
    case!(BadUserInput, "municipality FI-091 is not registered", |c| {
        create_network(c, &fi, "Nordic")
    });
    case!(
        Forbidden,
        "creating a network needs the municipality_admin role",
        |c| create_network(c, &dk_employee, "Nordic")
    );
    case!(BadUserInput, "name: is required", |c| create_network(
        c, &dk, ""
    ));
    case!(BadUserInput, "municipality FI-091 is not registered", |c| {
        invite(c, &dk, &network, FI)
    });
    case!(
        BadUserInput,
        "municipality: municipality must look like DK-0706 (country code, dash, municipality \
         code), got \"Helsinki\"",
        |c| invite(c, &dk, &network, "Helsinki")
    );
    let pending = format!("SE-1283 already has a pending invitation to network {network}");
    case!(BadUserInput, &pending, |c| invite(c, &dk, &network, SE));
    case!(
        Forbidden,
        "inviting to a network needs the municipality_admin role",
        |c| invite(c, &dk_employee, &network, NO)
    );
    case!(
        Forbidden,
        "accepting an invitation needs the municipality_admin role",
        |c| accept(c, &se_employee, &network)
    );
    // Who is neither member nor invited does not learn the network exists.
    let random = Uuid::now_v7().to_string();
    for id in [network.as_str(), random.as_str(), "not-a-uuid", DK] {
        case!(NotFound, "not found", |c| invite(c, &no, id, FI));
        case!(NotFound, "not found", |c| accept(c, &no, id));
        case!(NotFound, "not found", |c| leave(c, &no_employee, id));
    }

    // Histories that are not the caller's are not found.
    for (by, id) in [
        (admin(SE), DK),
        (admin(NO), network.as_str()),
        (admin(DK), "DK-9999"),
        (admin(DK), "x".repeat(65).as_str()),
    ] {
        for c in [&h.remote, &h.local] {
            assert_eq!(history(c, &by, id).await.unwrap_err().code, NotFound);
        }
    }
    assert_eq!(
        history(&h.remote, &admin(DK), &network)
            .await
            .unwrap()
            .len(),
        2,
        "nothing recorded by the refusals"
    );
}

#[tokio::test]
async fn another_services_events_in_a_shared_store_are_no_directory_records() {
    let h = start().await;
    register_three(&h.remote).await;
    // An event of another service (embedded mode shares the store), under a UUID.
    let process = Uuid::now_v7().to_string();
    h.store
        .append(AppendRequest {
            aggregate_type: "process",
            aggregate_id: process.clone(),
            expected_version: 0,
            municipality: MunicipalityId::parse(DK).unwrap(),
            actor: admin(DK),
            correlation_id: Uuid::now_v7(),
            idempotency_key: None,
            request: "test".into(),
            also: Vec::new(),
            events: vec![EncodedEvent {
                event_type: "ProcessSubmitted",
                payload: b"not a directory event".to_vec(),
            }],
        })
        .await
        .unwrap();
    let network = create_network(&h.remote, &admin(DK), "East")
        .await
        .unwrap()
        .aggregate_id;
    invite(&h.remote, &admin(DK), &network, SE).await.unwrap();
    accept(&h.remote, &admin(SE), &network).await.unwrap();
    assert_eq!(partners(&h, &admin(DK)).await, [SE]);
    for c in [&h.remote, &h.local] {
        assert_eq!(
            accept(c, &admin(DK), &process).await.unwrap_err().code,
            ErrorCode::NotFound
        );
        assert_eq!(
            history(c, &admin(DK), &process).await.unwrap_err().code,
            ErrorCode::NotFound
        );
    }
}

#[tokio::test]
async fn a_retry_with_the_same_key_replays_the_first_reply() {
    let h = start().await;
    let syddjurs = || profile("DK", "0706", "Syddjurs", 43_000);
    let first = register(&h.remote, &platform(), Some("register-1"), syddjurs())
        .await
        .unwrap();
    let again = register(&h.local, &platform(), Some("register-1"), syddjurs())
        .await
        .unwrap();
    assert!(again.replayed && !first.replayed);
    assert_eq!(
        (again.aggregate_id, again.version, again.position),
        (first.aggregate_id, first.version, first.position)
    );
}

/// A call over the network with `authorization` metadata (if any) and a principal claimed
/// in metadata.
async fn forged(h: &Harness, authorization: Option<&str>) -> tonic::Status {
    let mut raw = DirectoryServiceClient::new(innohub_runtime::grpc::remote(&h.url).unwrap());
    let principal = innohub_proto::innohub::common::v1::Principal {
        user: "platform@innohub.eu".into(),
        municipality: "IS-0000".into(),
        department: String::new(),
        roles: vec!["platform_admin".into()],
    };
    let request = forged_request(
        pb::RegisterMunicipalityRequest {
            profile: Some(profile("FI", "091", "Helsinki", 650_000)),
        },
        &principal,
        authorization,
    );
    raw.register_municipality(request).await.unwrap_err()
}

#[tokio::test]
async fn calls_without_a_valid_token_are_unauthenticated_and_record_nothing() {
    let h = start().await;
    let before = h.store.head();
    let mut raw = DirectoryServiceClient::new(innohub_runtime::grpc::remote(&h.url).unwrap());
    let status = raw
        .get_network_partners(pb::GetNetworkPartnersRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);

    // A principal claimed in metadata, with no token, a token of another secret (forged),
    // or garbage.
    let other = DevKeys::from_secret(b"another secret")
        .mint(&platform(), 1)
        .unwrap();
    for authorization in [
        None,
        Some(format!("Bearer {other}")),
        Some("Bearer not-a-token".to_owned()),
        Some(other.clone()),
    ] {
        let status = forged(&h, authorization.as_deref()).await;
        assert_eq!(
            status.code(),
            tonic::Code::Unauthenticated,
            "{authorization:?}"
        );
    }
    assert_eq!(h.store.head(), before, "nothing was recorded");
}
