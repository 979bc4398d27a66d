//! Every directory rule as a given/when/then sentence, the round trip of every event
//! through the contract, and the golden samples read into the domain.

use std::collections::BTreeSet;

use innohub_proto::innohub::directory::v1 as pb;
use innohub_runtime::testing::{given, round_trip};
use innohub_runtime::{
    DepartmentId, DomainEvent, ErrorCode, MunicipalityId, Principal, Role, UserId,
};
use uuid::Uuid;

use super::municipality::{Municipality, MunicipalityCommand as MC, MunicipalityEvent as ME};
use super::network::{Network, NetworkCommand as NC, NetworkEvent as NE};
use super::values::{Name, Profile, size_band};
use crate::DirectoryError;

const DK: &str = "DK-0706";
const SE: &str = "SE-1283";
const NO: &str = "NO-4626";
const FI: &str = "FI-091";
const NETWORK: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0042);

fn person(user: &str, municipality: &str, roles: &[Role]) -> Principal {
    Principal {
        user: UserId::parse(user).unwrap(),
        municipality: MunicipalityId::parse(municipality).unwrap(),
        department: None,
        roles: roles.iter().copied().collect::<BTreeSet<_>>(),
    }
}

fn platform() -> Principal {
    person("root@innohub", DK, &[Role::PlatformAdmin])
}
fn admin(municipality: &str) -> Principal {
    person("admin", municipality, &[Role::MunicipalityAdmin])
}
fn employee(municipality: &str) -> Principal {
    person("employee", municipality, &[Role::Employee])
}
fn id(raw: &str) -> MunicipalityId {
    MunicipalityId::parse(raw).unwrap()
}
fn dept(raw: &str) -> DepartmentId {
    DepartmentId::parse(raw).unwrap()
}
fn long(raw: &str) -> Name {
    Name::parse(Name::LONG, "name", raw).unwrap()
}

/// Syddjurs, as requested (the size band left to be derived).
pub(crate) fn syddjurs() -> pb::MunicipalityProfile {
    pb::MunicipalityProfile {
        country: "DK".into(),
        code: "0706".into(),
        name: "Syddjurs".into(),
        inhabitants: 43_000,
        size_band: pb::SizeBand::Unspecified as i32,
    }
}

fn profile(p: pb::MunicipalityProfile) -> Result<Profile, DirectoryError> {
    Profile::try_from(p)
}

fn registered() -> ME {
    ME::MunicipalityRegistered {
        profile: profile(syddjurs()).unwrap(),
    }
}

fn added(id: &str, name: &str, parent: Option<&str>) -> ME {
    ME::DepartmentAdded {
        id: dept(id),
        name: long(name),
        parent: parent.map(dept),
    }
}

fn retired(id: &str) -> ME {
    ME::DepartmentRetired { id: dept(id) }
}

fn add(by: Principal, id: &str, name: &str, parent: &str) -> MC {
    MC::AddDepartment {
        by,
        department: pb::DepartmentAdded {
            department_id: id.into(),
            name: name.into(),
            parent_id: parent.into(),
        },
    }
}

fn rename(by: Principal, id: &str, name: &str) -> MC {
    MC::RenameDepartment {
        by,
        department: pb::DepartmentRenamed {
            department_id: id.into(),
            name: name.into(),
        },
    }
}

fn retire(by: Principal, id: &str) -> MC {
    MC::RetireDepartment {
        by,
        department_id: id.into(),
    }
}

fn message(error: DirectoryError) -> String {
    error.to_string()
}

// ---------------------------------------------------------------------------------------
// Profiles
// ---------------------------------------------------------------------------------------

#[test]
fn a_profile_is_a_nordic_country_a_numeric_code_a_name_and_inhabitants() {
    let p = profile(syddjurs()).unwrap();
    assert_eq!(p.id, id(DK));
    assert_eq!(p.name.as_str(), "Syddjurs");
    assert_eq!(p.size_band(), pb::SizeBand::SizeBand30kTo60k);
    for (country, code) in [
        ("SE", "1283"),
        ("NO", "4626"),
        ("FI", "091"),
        ("IS", "0000"),
    ] {
        let other = pb::MunicipalityProfile {
            country: country.into(),
            code: code.into(),
            ..syddjurs()
        };
        assert_eq!(profile(other).unwrap().id, id(&format!("{country}-{code}")));
    }

    let refused = |change: fn(&mut pb::MunicipalityProfile)| {
        let mut p = syddjurs();
        change(&mut p);
        message(profile(p).unwrap_err())
    };
    assert_eq!(
        refused(|p| p.country = "DE".into()),
        "profile.country: must be one of DK, SE, NO, FI, IS, got \"DE\""
    );
    assert!(refused(|p| p.country = "dk".into()).starts_with("profile.country: "));
    for code in ["", "07a6", "12345678901", "-0706", "０７０６"] {
        let mut p = syddjurs();
        p.code = code.into();
        assert_eq!(
            message(profile(p).unwrap_err()),
            format!("profile.code: must be 1 to 10 digits, e.g. \"0706\", got {code:?}")
        );
    }
    assert_eq!(
        refused(|p| p.name = String::new()),
        "profile.name: is required"
    );
    assert_eq!(
        refused(|p| p.name = "  ".into()),
        "profile.name: must not be empty"
    );
    assert_eq!(
        refused(|p| p.name = "a".repeat(81)),
        "profile.name: must be at most 80 characters, got 81"
    );
    assert!(refused(|p| p.name = "Syd\u{202E}djurs".into()).starts_with("profile.name: "));
    assert!(refused(|p| p.name = "Syd\ndjurs".into()).starts_with("profile.name: "));
    assert!(
        profile(pb::MunicipalityProfile {
            name: format!("  {}  ", "å".repeat(80)),
            ..syddjurs()
        })
        .is_ok()
    );
    assert_eq!(
        refused(|p| p.inhabitants = 0),
        "profile.inhabitants: must be between 1 and 10000000, got 0"
    );
    assert_eq!(
        refused(|p| p.inhabitants = 10_000_001),
        "profile.inhabitants: must be between 1 and 10000000, got 10000001"
    );
    assert!(
        profile(pb::MunicipalityProfile {
            inhabitants: 10_000_000,
            ..syddjurs()
        })
        .is_ok()
    );
}

#[test]
fn the_size_band_is_derived_from_the_inhabitants_and_a_disagreeing_one_is_refused() {
    use pb::SizeBand as B;
    for (inhabitants, band) in [
        (1, B::Under10k),
        (9_999, B::Under10k),
        (10_000, B::SizeBand10kTo30k),
        (29_999, B::SizeBand10kTo30k),
        (30_000, B::SizeBand30kTo60k),
        (59_999, B::SizeBand30kTo60k),
        (60_000, B::SizeBand60kTo100k),
        (99_999, B::SizeBand60kTo100k),
        (100_000, B::SizeBand100kAndMore),
        (10_000_000, B::SizeBand100kAndMore),
    ] {
        assert_eq!(size_band(inhabitants), band, "{inhabitants}");
        let agreeing = pb::MunicipalityProfile {
            inhabitants,
            size_band: band as i32,
            ..syddjurs()
        };
        assert_eq!(profile(agreeing).unwrap().size_band(), band);
    }
    let disagreeing = pb::MunicipalityProfile {
        size_band: B::Under10k as i32,
        ..syddjurs()
    };
    assert_eq!(
        message(profile(disagreeing).unwrap_err()),
        "profile.sizeBand: SIZE_BAND_UNDER_10K does not match 43000 inhabitants, which are \
         SIZE_BAND_30K_TO_60K; leave it unspecified to have it derived"
    );
    let unknown = pb::MunicipalityProfile {
        size_band: 99,
        ..syddjurs()
    };
    assert_eq!(
        message(profile(unknown).unwrap_err()),
        "profile.sizeBand: unknown size band 99"
    );
    // The contract's form always carries the derived band.
    let p = profile(syddjurs()).unwrap();
    assert_eq!(
        pb::MunicipalityProfile::from(&p).size_band,
        B::SizeBand30kTo60k as i32
    );
}

// ---------------------------------------------------------------------------------------
// Municipality
// ---------------------------------------------------------------------------------------

#[test]
fn a_platform_administrator_registers_a_municipality_once() {
    let p = profile(syddjurs()).unwrap();
    given::<Municipality>([])
        .when(MC::Register {
            by: platform(),
            profile: p.clone(),
        })
        .then_events([registered()]);
    let error = given::<Municipality>([registered()])
        .when(MC::Register {
            by: platform(),
            profile: p.clone(),
        })
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(message(error), "municipality DK-0706 is already registered");
    for by in [admin(DK), employee(DK)] {
        let error = given::<Municipality>([])
            .when(MC::Register {
                by,
                profile: p.clone(),
            })
            .then_error(ErrorCode::Forbidden);
        assert_eq!(
            message(error),
            "registering a municipality needs the platform_admin role"
        );
    }
    let state = given::<Municipality>([])
        .when(MC::Register {
            by: platform(),
            profile: p,
        })
        .then_state();
    assert!(state.is_registered());
    assert_eq!(
        innohub_runtime::Aggregate::municipality(&state),
        Some(&id(DK))
    );
}

#[test]
fn an_administrator_adds_departments_to_their_registered_municipality() {
    given::<Municipality>([registered()])
        .when(add(
            admin(DK),
            "social",
            "Social- og Sundhedsforvaltningen",
            "",
        ))
        .then_events([added("social", "Social- og Sundhedsforvaltningen", None)]);
    given::<Municipality>([registered(), added("social", "Social", None)])
        .when(add(admin(DK), "jobcenter", "  Jobcenter  ", "social"))
        .then_events([added("jobcenter", "Jobcenter", Some("social"))]);

    let error = given::<Municipality>([])
        .when(add(admin(DK), "social", "Social", ""))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(message(error), "municipality DK-0706 is not registered");
    for by in [employee(DK), platform()] {
        let error = given::<Municipality>([registered()])
            .when(add(by, "social", "Social", ""))
            .then_error(ErrorCode::Forbidden);
        assert_eq!(
            message(error),
            "managing departments needs the municipality_admin role"
        );
    }
    // An administrator of another municipality never acts on this one.
    let error = given::<Municipality>([registered()])
        .when(add(admin(SE), "social", "Social", ""))
        .then_error(ErrorCode::Forbidden);
    assert_eq!(
        message(error),
        "only DK-0706's administrators manage its departments"
    );
}

#[test]
fn a_department_needs_a_valid_id_a_name_and_an_active_parent() {
    let history = || {
        [
            registered(),
            added("social", "Social", None),
            added("old", "Old", None),
            retired("old"),
        ]
    };
    let refused = |command: MC| {
        message(
            given::<Municipality>(history())
                .when(command)
                .then_error(ErrorCode::BadUserInput),
        )
    };
    assert_eq!(
        refused(add(admin(DK), "", "Social", "")),
        "department.departmentId: DepartmentId must be 1 to 100 characters without control characters"
    );
    assert!(
        refused(add(admin(DK), &"x".repeat(101), "X", "")).starts_with("department.departmentId: ")
    );
    assert!(refused(add(admin(DK), "a\u{7}b", "X", "")).starts_with("department.departmentId: "));
    assert_eq!(
        refused(add(admin(DK), "it", "", "")),
        "department.name: is required"
    );
    assert_eq!(
        refused(add(admin(DK), "it", &"n".repeat(121), "")),
        "department.name: must be at most 120 characters, got 121"
    );
    given::<Municipality>(history())
        .when(add(admin(DK), "it", &"n".repeat(120), ""))
        .then_events([added("it", &"n".repeat(120), None)]);
    assert_eq!(
        refused(add(admin(DK), "it", "IT", "nowhere")),
        "department.parentId: DK-0706 has no department nowhere"
    );
    assert_eq!(
        refused(add(admin(DK), "it", "IT", "old")),
        "department.parentId: department old is retired"
    );
    assert_eq!(
        refused(add(admin(DK), "social", "Social again", "")),
        "department social already exists"
    );
    assert_eq!(
        refused(add(admin(DK), "old", "Old again", "")),
        "department old was retired; a department id is never reused"
    );
}

#[test]
fn renaming_a_department_records_the_new_name_and_the_same_name_changes_nothing() {
    let history = || [registered(), added("social", "Social", None)];
    given::<Municipality>(history())
        .when(rename(admin(DK), "social", "Social og Sundhed"))
        .then_events([ME::DepartmentRenamed {
            id: dept("social"),
            name: long("Social og Sundhed"),
        }]);
    given::<Municipality>(history())
        .when(rename(admin(DK), "social", " Social "))
        .then_events([]);
    let state = given::<Municipality>(history())
        .when(rename(admin(DK), "social", "Sundhed"))
        .then_state();
    let record = state.0.unwrap();
    assert_eq!(record.departments[&dept("social")].name.as_str(), "Sundhed");

    let error = given::<Municipality>(history())
        .when(rename(admin(DK), "nowhere", "X"))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        message(error),
        "department.departmentId: DK-0706 has no department nowhere"
    );
    let error = given::<Municipality>(history())
        .when(rename(admin(DK), "social", "\u{200B}"))
        .then_error(ErrorCode::BadUserInput);
    assert!(message(error).starts_with("department.name: must contain at least one visible"));
    let error = given::<Municipality>([
        registered(),
        added("social", "Social", None),
        retired("social"),
    ])
    .when(rename(admin(DK), "social", "Sundhed"))
    .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        message(error),
        "department.departmentId: department social is retired"
    );
    given::<Municipality>(history())
        .when(rename(employee(DK), "social", "Sundhed"))
        .then_error(ErrorCode::Forbidden);
    let error = given::<Municipality>([])
        .when(rename(admin(DK), "social", "Sundhed"))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(message(error), "municipality DK-0706 is not registered");
}

#[test]
fn a_department_is_retired_once_and_only_without_active_children() {
    let tree = || {
        [
            registered(),
            added("social", "Social", None),
            added("jobcenter", "Jobcenter", Some("social")),
            added("ydelse", "Ydelse", Some("social")),
        ]
    };
    let error = given::<Municipality>(tree())
        .when(retire(admin(DK), "social"))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        message(error),
        "department social has active departments under it (jobcenter, ydelse); retire them first"
    );
    given::<Municipality>(tree())
        .when(retire(admin(DK), "jobcenter"))
        .then_events([retired("jobcenter")]);
    let mut all_retired = tree().to_vec();
    all_retired.extend([retired("jobcenter"), retired("ydelse")]);
    given::<Municipality>(all_retired.clone())
        .when(retire(admin(DK), "social"))
        .then_events([retired("social")]);
    all_retired.push(retired("social"));
    let error = given::<Municipality>(all_retired)
        .when(retire(admin(DK), "social"))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(message(error), "departmentId: department social is retired");
    let error = given::<Municipality>(tree())
        .when(retire(admin(DK), "nowhere"))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        message(error),
        "departmentId: DK-0706 has no department nowhere"
    );
    given::<Municipality>(tree())
        .when(retire(employee(DK), "ydelse"))
        .then_error(ErrorCode::Forbidden);
}

// ---------------------------------------------------------------------------------------
// Network
// ---------------------------------------------------------------------------------------

fn created() -> NE {
    NE::NetworkCreated {
        id: NETWORK,
        name: Name::parse(Name::SHORT, "name", "Automation network East Jutland").unwrap(),
        founder: id(DK),
    }
}
fn invited(municipality: &str, by: &str) -> NE {
    NE::NetworkInvitationSent {
        municipality: id(municipality),
        invited_by: id(by),
    }
}
fn accepted(municipality: &str) -> NE {
    NE::NetworkInvitationAccepted {
        municipality: id(municipality),
    }
}
fn left(municipality: &str) -> NE {
    NE::NetworkLeft {
        municipality: id(municipality),
    }
}
fn create(by: Principal, name: &str, registered: bool) -> NC {
    NC::Create {
        id: NETWORK,
        by,
        name: name.into(),
        registered,
    }
}
fn invite(by: Principal, municipality: &str, registered: bool) -> NC {
    NC::Invite {
        by,
        municipality: id(municipality),
        registered,
    }
}

/// DK founded it, SE joined, NO is invited.
fn network() -> Vec<NE> {
    vec![created(), invited(SE, DK), accepted(SE), invited(NO, SE)]
}

#[test]
fn an_administrator_of_a_registered_municipality_creates_a_network() {
    given::<Network>([])
        .when(create(admin(DK), " Automation network East Jutland ", true))
        .then_events([created()]);
    let state = given::<Network>([])
        .when(create(admin(DK), "Automation network East Jutland", true))
        .then_state();
    assert_eq!(
        innohub_runtime::Aggregate::municipality(&state),
        Some(&id(DK))
    );
    assert_eq!(state.0.unwrap().members, BTreeSet::from([id(DK)]));

    let error = given::<Network>([])
        .when(create(admin(DK), "East", false))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(message(error), "municipality DK-0706 is not registered");
    let error = given::<Network>([])
        .when(create(employee(DK), "East", true))
        .then_error(ErrorCode::Forbidden);
    assert_eq!(
        message(error),
        "creating a network needs the municipality_admin role"
    );
    let error = given::<Network>([])
        .when(create(admin(DK), &"n".repeat(81), true))
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        message(error),
        "name: must be at most 80 characters, got 81"
    );
    given::<Network>([])
        .when(create(admin(DK), "", true))
        .then_error(ErrorCode::BadUserInput);
}

#[test]
fn a_member_invites_a_registered_municipality_that_is_neither_member_nor_invited() {
    given::<Network>(network())
        .when(invite(admin(SE), FI, true))
        .then_events([invited(FI, SE)]);
    given::<Network>(network())
        .when(invite(admin(DK), FI, true))
        .then_events([invited(FI, DK)]);
    let refused = |by: Principal, whom: &str, registered: bool, code: ErrorCode| {
        message(
            given::<Network>(network())
                .when(invite(by, whom, registered))
                .then_error(code),
        )
    };
    assert_eq!(
        refused(admin(DK), FI, false, ErrorCode::BadUserInput),
        "municipality FI-091 is not registered"
    );
    assert_eq!(
        refused(admin(DK), SE, true, ErrorCode::BadUserInput),
        format!("SE-1283 is already a member of network {NETWORK}")
    );
    assert_eq!(
        refused(admin(DK), DK, true, ErrorCode::BadUserInput),
        format!("DK-0706 is already a member of network {NETWORK}")
    );
    assert_eq!(
        refused(admin(SE), NO, true, ErrorCode::BadUserInput),
        format!("NO-4626 already has a pending invitation to network {NETWORK}")
    );
    assert_eq!(
        refused(employee(DK), FI, true, ErrorCode::Forbidden),
        "inviting to a network needs the municipality_admin role"
    );
    // The invitee knows of the network but is not a member yet.
    assert_eq!(
        refused(admin(NO), FI, true, ErrorCode::BadUserInput),
        format!("NO-4626 is not a member of network {NETWORK}")
    );
    // Anyone else does not learn that it exists, whatever their role.
    assert_eq!(
        refused(admin(FI), "IS-0000", true, ErrorCode::NotFound),
        "not found"
    );
    assert_eq!(
        refused(employee(FI), "IS-0000", true, ErrorCode::NotFound),
        "not found"
    );
    given::<Network>([])
        .when(invite(admin(DK), FI, true))
        .then_error(ErrorCode::NotFound);
}

#[test]
fn the_invited_municipality_accepts_and_becomes_a_member() {
    given::<Network>(network())
        .when(NC::Accept { by: admin(NO) })
        .then_events([accepted(NO)]);
    let state = given::<Network>(network())
        .when(NC::Accept { by: admin(NO) })
        .then_state();
    let record = state.0.unwrap();
    assert_eq!(record.members, BTreeSet::from([id(DK), id(SE), id(NO)]));
    assert!(record.invited.is_empty());

    let error = given::<Network>(network())
        .when(NC::Accept { by: employee(NO) })
        .then_error(ErrorCode::Forbidden);
    assert_eq!(
        message(error),
        "accepting an invitation needs the municipality_admin role"
    );
    let error = given::<Network>(network())
        .when(NC::Accept { by: admin(SE) })
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        message(error),
        format!("SE-1283 is already a member of network {NETWORK}")
    );
    given::<Network>(network())
        .when(NC::Accept { by: admin(FI) })
        .then_error(ErrorCode::NotFound);
}

#[test]
fn a_member_leaves_and_may_be_invited_again() {
    given::<Network>(network())
        .when(NC::Leave { by: admin(SE) })
        .then_events([left(SE)]);
    // The founder may leave too; the network stays theirs.
    let state = given::<Network>(network())
        .when(NC::Leave { by: admin(DK) })
        .then_state();
    assert_eq!(
        innohub_runtime::Aggregate::municipality(&state),
        Some(&id(DK))
    );
    assert_eq!(state.0.unwrap().members, BTreeSet::from([id(SE)]));

    let mut history = network();
    history.push(left(SE));
    // Who left no longer knows of the network...
    given::<Network>(history.clone())
        .when(NC::Leave { by: admin(SE) })
        .then_error(ErrorCode::NotFound);
    // ...and may be invited again, and accept.
    given::<Network>(history.clone())
        .when(invite(admin(DK), SE, true))
        .then_events([invited(SE, DK)]);
    history.push(invited(SE, DK));
    given::<Network>(history)
        .when(NC::Accept { by: admin(SE) })
        .then_events([accepted(SE)]);

    let error = given::<Network>(network())
        .when(NC::Leave { by: employee(SE) })
        .then_error(ErrorCode::Forbidden);
    assert_eq!(
        message(error),
        "leaving a network needs the municipality_admin role"
    );
    let error = given::<Network>(network())
        .when(NC::Leave { by: admin(NO) })
        .then_error(ErrorCode::BadUserInput);
    assert_eq!(
        message(error),
        format!("NO-4626 is not a member of network {NETWORK}")
    );
    given::<Network>(network())
        .when(NC::Leave { by: admin(FI) })
        .then_error(ErrorCode::NotFound);
}

#[test]
fn partners_are_the_other_current_members() {
    let mut history = network();
    history.push(accepted(NO));
    let state = given::<Network>(history.clone())
        .when(NC::Leave { by: admin(DK) })
        .then_state();
    let record = state.0.unwrap();
    let partners = |m: &str| {
        let m = id(m);
        record.partners_of(&m).cloned().collect::<Vec<_>>()
    };
    assert_eq!(partners(SE), [id(NO)]);
    assert_eq!(partners(NO), [id(SE)]);
    assert!(
        partners(DK).is_empty(),
        "who left has no partners through it"
    );
    assert!(partners(FI).is_empty());
    // An invitee has none until they accept.
    let record = given::<Network>(network())
        .when(NC::Leave { by: admin(SE) })
        .then_state()
        .0
        .unwrap();
    let no = id(NO);
    assert_eq!(record.partners_of(&no).count(), 0);
    assert!(record.knows(&no));
}

// ---------------------------------------------------------------------------------------
// The one mapping
// ---------------------------------------------------------------------------------------

#[test]
fn every_event_round_trips_through_the_contract() {
    for event in [
        registered(),
        added("social", "Social", None),
        added("jobcenter", "Jobcenter", Some("social")),
        ME::DepartmentRenamed {
            id: dept("social"),
            name: long("Sundhed"),
        },
        retired("social"),
    ] {
        round_trip(event);
    }
    for event in [created(), invited(SE, DK), accepted(SE), left(SE)] {
        round_trip(event);
    }
    let encoded = registered().encode();
    assert_eq!(encoded.event_type, "MunicipalityRegistered");
    let m: pb::MunicipalityRegistered = prost::Message::decode(encoded.payload.as_slice()).unwrap();
    assert_eq!(m.municipality, DK);
    assert_eq!(
        m.profile.unwrap(),
        pb::MunicipalityProfile {
            size_band: pb::SizeBand::SizeBand30kTo60k as i32,
            ..syddjurs()
        }
    );
}

#[test]
fn stored_events_that_break_a_rule_are_refused() {
    use prost::Message as _;
    let bad_profile = pb::MunicipalityRegistered {
        municipality: DK.into(),
        profile: Some(pb::MunicipalityProfile {
            inhabitants: 0,
            ..syddjurs()
        }),
    };
    assert!(ME::decode("MunicipalityRegistered", &bad_profile.encode_to_vec()).is_err());
    let other_id = pb::MunicipalityRegistered {
        municipality: SE.into(),
        profile: Some(syddjurs()),
    };
    assert!(ME::decode("MunicipalityRegistered", &other_id.encode_to_vec()).is_err());
    let no_profile = pb::MunicipalityRegistered {
        municipality: DK.into(),
        profile: None,
    };
    assert!(ME::decode("MunicipalityRegistered", &no_profile.encode_to_vec()).is_err());
    let bad_member = pb::NetworkInvitationAccepted {
        municipality: "nowhere".into(),
    };
    assert!(NE::decode("NetworkInvitationAccepted", &bad_member.encode_to_vec()).is_err());
    assert!(NE::decode("ProcessSubmitted", &[]).is_err());
    assert!(ME::decode("NetworkCreated", &[]).is_err());
}

/// A golden sample's envelope (`proto/tests/golden`, [`innohub_runtime::testing::golden`]).
fn golden(hex: &str) -> innohub_proto::innohub::common::v1::EventEnvelope {
    prost::Message::decode(innohub_runtime::testing::golden(hex).as_slice()).unwrap()
}

#[test]
fn the_contracts_golden_samples_decode_into_the_domain() {
    let env = golden(include_str!(
        "../../../../proto/tests/golden/municipality_registered.hex"
    ));
    assert_eq!(env.aggregate_id, DK);
    assert_eq!(
        ME::decode(&env.event_type, &env.payload).unwrap(),
        registered()
    );
    let env = golden(include_str!(
        "../../../../proto/tests/golden/network_invitation_accepted.hex"
    ));
    assert_eq!(
        NE::decode(&env.event_type, &env.payload).unwrap(),
        accepted(SE)
    );
}
