//! Golden encoded samples: events written today must stay decodable forever.
//!
//! Each sample is an `EventEnvelope` stored as hex in `tests/golden/<name>.hex`. The test
//! decodes the stored bytes and checks field by field what they must mean, checks that
//! re-encoding gives the same bytes, and that today's encoder turns the same sample into
//! the same bytes. A failure means a field was renumbered, retyped or reinterpreted:
//! that is a breaking change (a new `v2` package), not a reason to re-bless.
//!
//! `INNOHUB_BLESS=1 cargo test -p innohub-proto --test golden` (re)writes the files from
//! the samples below; do that only when adding a new sample.

use std::error::Error;
use std::path::PathBuf;

use innohub_proto::FILE_DESCRIPTOR_SET;
use innohub_proto::innohub::common::v1::{Actor, EventEnvelope};
use innohub_proto::innohub::processes::v1::{
    Classification, Phase, ProcessDetails, ProcessPhaseChanged, ProcessSubmitted, Visibility,
    Volume,
};
use prost::{Message, Name};

type TestResult = Result<(), Box<dyn Error>>;

const PROCESS_ID: &str = "0195d2c4-7a10-7b3e-9f21-3c4d5e6f7a8b";

fn envelope<M: Message + Name>(
    event_id: &str,
    sequence: i64,
    position: i64,
    causation_id: &str,
    event: &M,
) -> EventEnvelope {
    EventEnvelope {
        event_id: event_id.to_owned(),
        municipality: "DK-0706".to_owned(),
        aggregate_type: "process".to_owned(),
        aggregate_id: PROCESS_ID.to_owned(),
        sequence,
        position,
        event_type: M::NAME.to_owned(),
        occurred_at: Some(prost_types::Timestamp {
            seconds: 1_742_980_000,
            nanos: 123_456_000,
        }),
        actor: Some(Actor {
            user: "anne.jensen@syddjurs.dk".to_owned(),
            municipality: "DK-0706".to_owned(),
        }),
        correlation_id: "0195d2c4-7a0f-7000-8000-000000000001".to_owned(),
        causation_id: causation_id.to_owned(),
        payload: event.encode_to_vec(),
        schema_version: 1,
    }
}

fn process_submitted() -> EventEnvelope {
    let event = ProcessSubmitted {
        process_id: PROCESS_ID.to_owned(),
        municipality: "DK-0706".to_owned(),
        reporter: "anne.jensen@syddjurs.dk".to_owned(),
        details: Some(ProcessDetails {
            title: "Udbetaling af sygedagpenge".to_owned(),
            short_description: "Automatisk kontrol og udbetaling af sygedagpenge".to_owned(),
            long_description: String::new(),
            pain_points: "Manuel indtastning fra NemRefusion; ventetid for borgere".to_owned(),
            wished_solution: "Robot henter anmodninger og opretter udbetalinger".to_owned(),
            departments: vec!["jobcenter".to_owned(), "ydelse".to_owned()],
            owner: "Mette Sørensen".to_owned(),
            contact: String::new(),
            classification: Some(Classification {
                scheme: "KLE".to_owned(),
                code: "15.00.00".to_owned(),
            }),
            legal_basis: "Sygedagpengeloven § 7".to_owned(),
            domains: vec!["employment".to_owned(), "economy".to_owned()],
            it_systems: vec!["KMD Sygedagpenge".to_owned(), "NemRefusion".to_owned()],
            technologies: vec!["RPA".to_owned()],
            vendor: String::new(),
            targets_citizens: true,
            targets_companies: false,
            volume: Some(Volume {
                cases_per_year: 4_200,
                minutes_per_case: 12.5,
                employees: Some(3),
                automation_share: 70,
            }),
            development_effort_hours: Some(0),
            go_live_date: String::new(),
            internal_notes: "Afventer afklaring med IT-sikkerhed".to_owned(),
            visibility: Visibility::Network as i32,
            // Added after the sample was blessed; their defaults are not on the wire.
            run_period: 0,
            legal_basis_verified_on: String::new(),
        }),
        // Added after the sample was blessed: absent, not on the wire.
        adopted_from: None,
        origin: None,
    };
    envelope("0195d2c4-7a10-7b3e-9f21-3c4d5e6f0001", 1, 41, "", &event)
}

fn process_phase_changed() -> EventEnvelope {
    let event = ProcessPhaseChanged {
        from: Phase::Operation as i32,
        to: Phase::Implementation as i32,
        reason: "Fejl i integrationen; tilbage til implementering".to_owned(),
    };
    envelope(
        "0195d2c5-0000-7000-8000-00000000002a",
        7,
        1_234_567_890_123,
        "0195d2c4-ffff-7000-8000-000000000029",
        &event,
    )
}

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
        .join(format!("{name}.hex"))
}

/// The stored bytes of a golden sample; with `INNOHUB_BLESS=1`, first (re)writes them.
fn golden(name: &str, sample: &EventEnvelope) -> Result<Vec<u8>, Box<dyn Error>> {
    let path = golden_path(name);
    if std::env::var("INNOHUB_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, to_hex(&sample.encode_to_vec()))?;
    }
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "{}: {e} (run with INNOHUB_BLESS=1 to create it)",
            path.display()
        )
    })?;
    Ok(from_hex(&text)?)
}

/// Lower-case hex, 64 digits per line.
fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (i, b) in bytes.iter().enumerate() {
        out.push_str(&format!("{b:02x}"));
        if i % 32 == 31 || i + 1 == bytes.len() {
            out.push('\n');
        }
    }
    out
}

fn from_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let pairs = digits.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err("odd number of hex digits".to_owned());
    }
    pairs
        .map(|pair| {
            let s = std::str::from_utf8(pair).map_err(|e| e.to_string())?;
            u8::from_str_radix(s, 16).map_err(|e| format!("bad hex {s:?}: {e}"))
        })
        .collect()
}

/// Decoding the stored bytes and encoding again must give exactly the stored bytes, and
/// today's encoder must produce them from the same sample.
fn assert_stable(stored: &[u8], decoded: &EventEnvelope, sample: &EventEnvelope) {
    assert_eq!(
        decoded.encode_to_vec(),
        stored,
        "re-encoding changed the bytes"
    );
    assert_eq!(
        sample.encode_to_vec(),
        stored,
        "the encoder no longer produces the golden bytes for the same sample"
    );
    assert_eq!(decoded, sample);
}

#[test]
fn process_submitted_stays_decodable() -> TestResult {
    let sample = process_submitted();
    let stored = golden("process_submitted", &sample)?;
    let env = EventEnvelope::decode(stored.as_slice())?;

    assert_eq!(env.event_id, "0195d2c4-7a10-7b3e-9f21-3c4d5e6f0001");
    assert_eq!(env.municipality, "DK-0706");
    assert_eq!(env.aggregate_type, "process");
    assert_eq!(env.aggregate_id, PROCESS_ID);
    assert_eq!(env.sequence, 1);
    assert_eq!(env.position, 41);
    assert_eq!(env.event_type, "ProcessSubmitted");
    let at = env.occurred_at.ok_or("occurred_at missing")?;
    assert_eq!((at.seconds, at.nanos), (1_742_980_000, 123_456_000));
    let actor = env.actor.clone().ok_or("actor missing")?;
    assert_eq!(actor.user, "anne.jensen@syddjurs.dk");
    assert_eq!(actor.municipality, "DK-0706");
    assert_eq!(env.correlation_id, "0195d2c4-7a0f-7000-8000-000000000001");
    assert_eq!(env.causation_id, "");
    assert_eq!(env.schema_version, 1);

    let event = ProcessSubmitted::decode(env.payload.as_slice())?;
    assert_eq!(event.process_id, PROCESS_ID);
    assert_eq!(event.municipality, "DK-0706");
    assert_eq!(event.reporter, "anne.jensen@syddjurs.dk");
    let d = event.details.ok_or("details missing")?;
    assert_eq!(d.title, "Udbetaling af sygedagpenge");
    assert_eq!(
        d.short_description,
        "Automatisk kontrol og udbetaling af sygedagpenge"
    );
    assert_eq!(d.long_description, "");
    assert_eq!(
        d.pain_points,
        "Manuel indtastning fra NemRefusion; ventetid for borgere"
    );
    assert_eq!(
        d.wished_solution,
        "Robot henter anmodninger og opretter udbetalinger"
    );
    assert_eq!(d.departments, ["jobcenter", "ydelse"]);
    assert_eq!(d.owner, "Mette Sørensen");
    assert_eq!(d.contact, "");
    let c = d.classification.as_ref().ok_or("classification missing")?;
    assert_eq!((c.scheme.as_str(), c.code.as_str()), ("KLE", "15.00.00"));
    assert_eq!(d.legal_basis, "Sygedagpengeloven § 7");
    assert_eq!(d.domains, ["employment", "economy"]);
    assert_eq!(d.it_systems, ["KMD Sygedagpenge", "NemRefusion"]);
    assert_eq!(d.technologies, ["RPA"]);
    assert_eq!(d.vendor, "");
    assert!(d.targets_citizens);
    assert!(!d.targets_companies);
    let v = d.volume.as_ref().ok_or("volume missing")?;
    assert_eq!(v.cases_per_year, 4_200);
    assert_eq!(v.minutes_per_case, 12.5);
    assert_eq!(v.employees, Some(3));
    assert_eq!(v.automation_share, 70);
    // `optional`: an explicit zero is kept apart from "not set".
    assert_eq!(d.development_effort_hours, Some(0));
    assert_eq!(d.go_live_date, "");
    assert_eq!(d.internal_notes, "Afventer afklaring med IT-sikkerhed");
    assert_eq!(d.visibility(), Visibility::Network);

    assert_stable(&stored, &env, &sample);
    Ok(())
}

#[test]
fn process_phase_changed_stays_decodable() -> TestResult {
    let sample = process_phase_changed();
    let stored = golden("process_phase_changed", &sample)?;
    let env = EventEnvelope::decode(stored.as_slice())?;

    assert_eq!(env.event_id, "0195d2c5-0000-7000-8000-00000000002a");
    assert_eq!(env.municipality, "DK-0706");
    assert_eq!(env.aggregate_type, "process");
    assert_eq!(env.aggregate_id, PROCESS_ID);
    assert_eq!(env.sequence, 7);
    assert_eq!(env.position, 1_234_567_890_123);
    assert_eq!(env.event_type, "ProcessPhaseChanged");
    assert_eq!(env.causation_id, "0195d2c4-ffff-7000-8000-000000000029");
    assert_eq!(env.schema_version, 1);

    let event = ProcessPhaseChanged::decode(env.payload.as_slice())?;
    assert_eq!(event.from(), Phase::Operation);
    assert_eq!(event.to(), Phase::Implementation);
    assert_eq!(event.from, 6);
    assert_eq!(event.to, 5);
    assert_eq!(
        event.reason,
        "Fejl i integrationen; tilbage til implementering"
    );

    assert_stable(&stored, &env, &sample);
    Ok(())
}

#[test]
fn event_type_is_the_message_name() {
    assert_eq!(ProcessSubmitted::NAME, "ProcessSubmitted");
    assert_eq!(
        ProcessPhaseChanged::full_name(),
        "innohub.processes.v1.ProcessPhaseChanged"
    );
}

/// The descriptor set holds `files`, and `service` with `methods` rpcs in one of them.
fn contract_in_descriptor_set(files: &[&str], service: &str, methods: usize) -> TestResult {
    let set = prost_types::FileDescriptorSet::decode(FILE_DESCRIPTOR_SET)?;
    let names: Vec<&str> = set.file.iter().map(|f| f.name()).collect();
    for expected in files {
        assert!(
            names.contains(expected),
            "{expected} missing from {names:?}"
        );
    }
    let found = set
        .file
        .iter()
        .flat_map(|f| &f.service)
        .find(|s| s.name() == service)
        .ok_or(format!("{service} missing"))?;
    assert_eq!(found.method.len(), methods, "{service}");
    Ok(())
}

#[test]
fn descriptor_set_holds_every_contract() -> TestResult {
    // 13 rpcs, then AdoptProcess, CreateUmbrella, AddToUmbrella and RemoveFromUmbrella.
    contract_in_descriptor_set(
        &[
            "innohub/common/v1/envelope.proto",
            "innohub/processes/v1/events.proto",
            "innohub/processes/v1/service.proto",
        ],
        "ProcessesService",
        17,
    )
}

// ---------------------------------------------------------------------------------------
// The directory context
// ---------------------------------------------------------------------------------------

const NETWORK_ID: &str = "0195d2c6-1b20-7c4d-8e3f-4a5b6c7d8e9f";

fn municipality_registered() -> EventEnvelope {
    use innohub_proto::innohub::directory::v1::{
        MunicipalityProfile, MunicipalityRegistered, SizeBand,
    };
    let event = MunicipalityRegistered {
        municipality: "DK-0706".to_owned(),
        profile: Some(MunicipalityProfile {
            country: "DK".to_owned(),
            code: "0706".to_owned(),
            name: "Syddjurs".to_owned(),
            inhabitants: 43_000,
            size_band: SizeBand::SizeBand30kTo60k as i32,
        }),
    };
    EventEnvelope {
        aggregate_type: "municipality".to_owned(),
        aggregate_id: "DK-0706".to_owned(),
        actor: Some(Actor {
            user: "platform@innohub.eu".to_owned(),
            municipality: "DK-0706".to_owned(),
        }),
        ..envelope("0195d2c6-0000-7000-8000-000000000001", 1, 3, "", &event)
    }
}

fn network_invitation_accepted() -> EventEnvelope {
    use innohub_proto::innohub::directory::v1::NetworkInvitationAccepted;
    let event = NetworkInvitationAccepted {
        municipality: "SE-1283".to_owned(),
    };
    EventEnvelope {
        // The network's stream belongs to its founder; the actor is the joining one's.
        aggregate_type: "network".to_owned(),
        aggregate_id: NETWORK_ID.to_owned(),
        actor: Some(Actor {
            user: "admin@helsingborg.se".to_owned(),
            municipality: "SE-1283".to_owned(),
        }),
        ..envelope("0195d2c7-0000-7000-8000-000000000003", 3, 97, "", &event)
    }
}

#[test]
fn municipality_registered_stays_decodable() -> TestResult {
    use innohub_proto::innohub::directory::v1::{MunicipalityRegistered, SizeBand};
    let sample = municipality_registered();
    let stored = golden("municipality_registered", &sample)?;
    let env = EventEnvelope::decode(stored.as_slice())?;

    assert_eq!(env.event_id, "0195d2c6-0000-7000-8000-000000000001");
    assert_eq!(env.municipality, "DK-0706");
    assert_eq!(env.aggregate_type, "municipality");
    assert_eq!(env.aggregate_id, "DK-0706");
    assert_eq!(env.sequence, 1);
    assert_eq!(env.position, 3);
    assert_eq!(env.event_type, "MunicipalityRegistered");
    let actor = env.actor.clone().ok_or("actor missing")?;
    assert_eq!(actor.user, "platform@innohub.eu");
    assert_eq!(actor.municipality, "DK-0706");
    assert_eq!(env.schema_version, 1);

    let event = MunicipalityRegistered::decode(env.payload.as_slice())?;
    assert_eq!(event.municipality, "DK-0706");
    let p = event.profile.ok_or("profile missing")?;
    assert_eq!((p.country.as_str(), p.code.as_str()), ("DK", "0706"));
    assert_eq!(p.name, "Syddjurs");
    assert_eq!(p.inhabitants, 43_000);
    assert_eq!(p.size_band(), SizeBand::SizeBand30kTo60k);
    assert_eq!(p.size_band, 3);

    assert_stable(&stored, &env, &sample);
    Ok(())
}

#[test]
fn network_invitation_accepted_stays_decodable() -> TestResult {
    use innohub_proto::innohub::directory::v1::NetworkInvitationAccepted;
    let sample = network_invitation_accepted();
    let stored = golden("network_invitation_accepted", &sample)?;
    let env = EventEnvelope::decode(stored.as_slice())?;

    assert_eq!(env.event_id, "0195d2c7-0000-7000-8000-000000000003");
    assert_eq!(env.municipality, "DK-0706", "the founder's");
    assert_eq!(env.aggregate_type, "network");
    assert_eq!(env.aggregate_id, NETWORK_ID);
    assert_eq!(env.sequence, 3);
    assert_eq!(env.position, 97);
    assert_eq!(env.event_type, "NetworkInvitationAccepted");
    let actor = env.actor.clone().ok_or("actor missing")?;
    assert_eq!(actor.user, "admin@helsingborg.se");
    assert_eq!(actor.municipality, "SE-1283");

    let event = NetworkInvitationAccepted::decode(env.payload.as_slice())?;
    assert_eq!(event.municipality, "SE-1283");

    assert_stable(&stored, &env, &sample);
    Ok(())
}

#[test]
fn descriptor_set_holds_the_directory_contract() -> TestResult {
    contract_in_descriptor_set(
        &[
            "innohub/directory/v1/events.proto",
            "innohub/directory/v1/service.proto",
        ],
        "DirectoryService",
        10,
    )
}

const IDEA_ID: &str = "0195d2c8-1a00-7b3e-9f21-3c4d5e6f7a8b";

fn idea_envelope<M: Message + Name>(sequence: i64, position: i64, event: &M) -> EventEnvelope {
    EventEnvelope {
        municipality: "SE-1283".to_owned(),
        aggregate_type: "idea".to_owned(),
        aggregate_id: IDEA_ID.to_owned(),
        actor: Some(Actor {
            user: "lena@helsingborg.se".to_owned(),
            municipality: "SE-1283".to_owned(),
        }),
        ..envelope(
            &format!("0195d2c8-0000-7000-8000-00000000000{sequence}"),
            sequence,
            position,
            "",
            event,
        )
    }
}

fn idea_submitted() -> EventEnvelope {
    use innohub_proto::innohub::ideas::v1::{Driver, IdeaDetails, IdeaSubmitted};
    let event = IdeaSubmitted {
        idea_id: IDEA_ID.to_owned(),
        municipality: "SE-1283".to_owned(),
        submitter: "lena@helsingborg.se".to_owned(),
        details: Some(IdeaDetails {
            title: "Chattbot för bygglovsfrågor".to_owned(),
            need: "Handläggare svarar på samma frågor varje dag".to_owned(),
            proposed_solution: "En chattbot som svarar på vanliga frågor".to_owned(),
            expected_value: "Kortare väntetid för medborgare".to_owned(),
            departments: vec!["stadsbyggnad".to_owned()],
            tags: vec!["AI".to_owned(), "medborgarservice".to_owned()],
            challenge_id: "0195d2c8-0000-7000-8000-0000000000c1".to_owned(),
            driver: Driver::ChallengeDriven as i32,
            visibility: Visibility::Network as i32,
            reviewers: vec!["olof@helsingborg.se".to_owned()],
        }),
    };
    idea_envelope(1, 210, &event)
}

fn idea_gate_decided() -> EventEnvelope {
    use innohub_proto::innohub::ideas::v1::{IdeaGateDecided, Outcome, Stage};
    let event = IdeaGateDecided {
        from: Stage::Exploring as i32,
        to: Stage::Designing as i32,
        rationale: "Behovet är bekräftat i två workshops".to_owned(),
        decider: "lena@helsingborg.se".to_owned(),
        likely_outcome: Outcome::Procurement as i32,
    };
    idea_envelope(3, 230, &event)
}

fn idea_outcome_linked() -> EventEnvelope {
    use innohub_proto::innohub::common::v1::RecordRef;
    use innohub_proto::innohub::ideas::v1::IdeaOutcomeLinked;
    let event = IdeaOutcomeLinked {
        outcome: Some(RecordRef {
            context: "processes".to_owned(),
            kind: "process".to_owned(),
            id: PROCESS_ID.to_owned(),
            municipality: "SE-1283".to_owned(),
        }),
    };
    idea_envelope(4, 241, &event)
}

#[test]
fn idea_submitted_stays_decodable() -> TestResult {
    use innohub_proto::innohub::ideas::v1::{Driver, IdeaSubmitted};
    let sample = idea_submitted();
    let stored = golden("idea_submitted", &sample)?;
    let env = EventEnvelope::decode(stored.as_slice())?;
    assert_eq!(
        (env.aggregate_type.as_str(), env.aggregate_id.as_str()),
        ("idea", IDEA_ID)
    );
    assert_eq!(env.event_type, "IdeaSubmitted");
    let event = IdeaSubmitted::decode(env.payload.as_slice())?;
    assert_eq!(event.municipality, "SE-1283");
    assert_eq!(event.submitter, "lena@helsingborg.se");
    let d = event.details.ok_or("details missing")?;
    assert_eq!(d.title, "Chattbot för bygglovsfrågor");
    assert_eq!(d.departments, ["stadsbyggnad"]);
    assert_eq!(d.tags, ["AI", "medborgarservice"]);
    assert_eq!(d.challenge_id, "0195d2c8-0000-7000-8000-0000000000c1");
    assert_eq!(d.driver(), Driver::ChallengeDriven);
    assert_eq!(d.visibility(), Visibility::Network);
    assert_eq!(d.reviewers, ["olof@helsingborg.se"]);
    assert_stable(&stored, &env, &sample);
    Ok(())
}

#[test]
fn idea_gate_decided_stays_decodable() -> TestResult {
    use innohub_proto::innohub::ideas::v1::{IdeaGateDecided, Outcome, Stage};
    let sample = idea_gate_decided();
    let stored = golden("idea_gate_decided", &sample)?;
    let env = EventEnvelope::decode(stored.as_slice())?;
    assert_eq!(env.event_type, "IdeaGateDecided");
    assert_eq!(env.sequence, 3);
    let event = IdeaGateDecided::decode(env.payload.as_slice())?;
    assert_eq!(
        (event.from(), event.to()),
        (Stage::Exploring, Stage::Designing)
    );
    assert_eq!(event.rationale, "Behovet är bekräftat i två workshops");
    assert_eq!(event.decider, "lena@helsingborg.se");
    assert_eq!(event.likely_outcome(), Outcome::Procurement);
    assert_stable(&stored, &env, &sample);
    Ok(())
}

#[test]
fn idea_outcome_linked_stays_decodable() -> TestResult {
    use innohub_proto::innohub::ideas::v1::IdeaOutcomeLinked;
    let sample = idea_outcome_linked();
    let stored = golden("idea_outcome_linked", &sample)?;
    let env = EventEnvelope::decode(stored.as_slice())?;
    assert_eq!(env.event_type, "IdeaOutcomeLinked");
    let event = IdeaOutcomeLinked::decode(env.payload.as_slice())?;
    let outcome = event.outcome.ok_or("outcome missing")?;
    assert_eq!(
        (
            outcome.context.as_str(),
            outcome.kind.as_str(),
            outcome.id.as_str(),
            outcome.municipality.as_str()
        ),
        ("processes", "process", PROCESS_ID, "SE-1283")
    );
    assert_stable(&stored, &env, &sample);
    Ok(())
}

#[test]
fn descriptor_set_holds_the_ideas_contract() -> TestResult {
    contract_in_descriptor_set(
        &[
            "innohub/common/v1/link.proto",
            "innohub/ideas/v1/events.proto",
            "innohub/ideas/v1/service.proto",
        ],
        "IdeasService",
        18,
    )
}

const PILOT_ID: &str = "0195d2d0-3b00-7c4d-8e5f-60718293a4b5";
const BENEFIT_ID: &str = "0195d2d0-3b00-7000-8000-0000000000b1";

fn pilot_envelope<M: Message + Name>(sequence: i64, position: i64, event: &M) -> EventEnvelope {
    EventEnvelope {
        municipality: "NO-4626".to_owned(),
        aggregate_type: "pilot".to_owned(),
        aggregate_id: PILOT_ID.to_owned(),
        actor: Some(Actor {
            user: "kari@oygarden.kommune.no".to_owned(),
            municipality: "NO-4626".to_owned(),
        }),
        ..envelope(
            &format!("0195d2d0-0000-7000-8000-0000000000{sequence:02}"),
            sequence,
            position,
            "",
            event,
        )
    }
}

fn pilot_planned() -> EventEnvelope {
    use innohub_proto::innohub::common::v1::RecordRef;
    use innohub_proto::innohub::pilots::v1::{
        ParticipantKind, Participants, PilotPlan, PilotPlanned, Scope, ScopeGrowth,
    };
    let event = PilotPlanned {
        pilot_id: PILOT_ID.to_owned(),
        municipality: "NO-4626".to_owned(),
        plan: Some(PilotPlan {
            title: "Digitalt tilsyn i heimetenesta".to_owned(),
            departments: vec!["helse-omsorg".to_owned()],
            visibility: Visibility::Network as i32,
            goals: "Færre unødvendige heimebesøk om natta".to_owned(),
            learning_goals: "Kva brukarar og tilsette opplever".to_owned(),
            scope: Some(Scope {
                touchpoints: vec!["nattbesøk".to_owned()],
                work_processes: vec!["nattevakt".to_owned()],
                routines: vec![],
                growth: ScopeGrowth::Grows as i32,
            }),
            start_date: "2026-03-01".to_owned(),
            end_date: "2026-08-31".to_owned(),
            participants: vec![Participants {
                kind: ParticipantKind::Users as i32,
                description: "Brukarar i Sotra nord".to_owned(),
                count: 12,
                recruitment: "Spurde av primærkontakt".to_owned(),
            }],
            information: "Informasjonsmøte og brev".to_owned(),
            training: "Opplæring av nattevakter".to_owned(),
            error_handling: "Ring vakttelefonen".to_owned(),
            measurement: "Tal på besøk per natt".to_owned(),
            observation: "Skugging av nattevakter".to_owned(),
            documentation: "Logg i fagsystemet".to_owned(),
            responsible: "kari@oygarden.kommune.no".to_owned(),
            anchoring: vec!["helse-omsorg".to_owned()],
        }),
        planned_by: "kari@oygarden.kommune.no".to_owned(),
        origin: Some(RecordRef {
            context: "ideas".to_owned(),
            kind: "idea".to_owned(),
            id: IDEA_ID.to_owned(),
            municipality: "NO-4626".to_owned(),
        }),
    };
    pilot_envelope(1, 310, &event)
}

fn pilot_measurement_recorded() -> EventEnvelope {
    use innohub_proto::innohub::common::v1::Reading;
    use innohub_proto::innohub::pilots::v1::PilotMeasurementRecorded;
    let event = PilotMeasurementRecorded {
        benefit_id: BENEFIT_ID.to_owned(),
        reading: Some(Reading {
            value: 31.5,
            date: "2026-05-15".to_owned(),
        }),
        recorded_by: "kari@oygarden.kommune.no".to_owned(),
    };
    pilot_envelope(5, 352, &event)
}

fn pilot_decided() -> EventEnvelope {
    use innohub_proto::innohub::pilots::v1::{Decision, DecisionBasis, PilotDecided};
    let event = PilotDecided {
        decision: Decision::Extend as i32,
        new_end_date: "2026-12-31".to_owned(),
        why_stopped: String::new(),
        basis: Some(DecisionBasis {
            final_design: "Sensorar og kamera etter samtykke".to_owned(),
            benefit_assessment: "Halvparten av gevinsten er henta ut".to_owned(),
            recommendation: "Forleng til nyttår med fleire brukarar".to_owned(),
        }),
        decider: "kari@oygarden.kommune.no".to_owned(),
    };
    pilot_envelope(8, 377, &event)
}

#[test]
fn pilot_planned_stays_decodable() -> TestResult {
    use innohub_proto::innohub::pilots::v1::{ParticipantKind, PilotPlanned, ScopeGrowth};
    let sample = pilot_planned();
    let stored = golden("pilot_planned", &sample)?;
    let env = EventEnvelope::decode(stored.as_slice())?;
    assert_eq!(
        (env.aggregate_type.as_str(), env.aggregate_id.as_str()),
        ("pilot", PILOT_ID)
    );
    assert_eq!(env.event_type, "PilotPlanned");
    let event = PilotPlanned::decode(env.payload.as_slice())?;
    assert_eq!(event.pilot_id, PILOT_ID);
    assert_eq!(event.municipality, "NO-4626");
    assert_eq!(event.planned_by, "kari@oygarden.kommune.no");
    let p = event.plan.ok_or("plan missing")?;
    assert_eq!(p.title, "Digitalt tilsyn i heimetenesta");
    assert_eq!(p.departments, ["helse-omsorg"]);
    assert_eq!(p.visibility(), Visibility::Network);
    assert_eq!(p.goals, "Færre unødvendige heimebesøk om natta");
    assert_eq!(p.learning_goals, "Kva brukarar og tilsette opplever");
    let scope = p.scope.as_ref().ok_or("scope missing")?;
    assert_eq!(scope.touchpoints, ["nattbesøk"]);
    assert_eq!(scope.work_processes, ["nattevakt"]);
    assert!(scope.routines.is_empty());
    assert_eq!(scope.growth(), ScopeGrowth::Grows);
    assert_eq!(
        (p.start_date.as_str(), p.end_date.as_str()),
        ("2026-03-01", "2026-08-31")
    );
    let who = p.participants.first().ok_or("participants missing")?;
    assert_eq!(who.kind(), ParticipantKind::Users);
    assert_eq!(who.description, "Brukarar i Sotra nord");
    assert_eq!(who.count, 12);
    assert_eq!(who.recruitment, "Spurde av primærkontakt");
    assert_eq!(p.information, "Informasjonsmøte og brev");
    assert_eq!(p.training, "Opplæring av nattevakter");
    assert_eq!(p.error_handling, "Ring vakttelefonen");
    assert_eq!(p.measurement, "Tal på besøk per natt");
    assert_eq!(p.observation, "Skugging av nattevakter");
    assert_eq!(p.documentation, "Logg i fagsystemet");
    assert_eq!(p.responsible, "kari@oygarden.kommune.no");
    assert_eq!(p.anchoring, ["helse-omsorg"]);
    let origin = event.origin.ok_or("origin missing")?;
    assert_eq!(
        (
            origin.context.as_str(),
            origin.kind.as_str(),
            origin.id.as_str(),
            origin.municipality.as_str()
        ),
        ("ideas", "idea", IDEA_ID, "NO-4626")
    );
    assert_stable(&stored, &env, &sample);
    Ok(())
}

#[test]
fn pilot_measurement_recorded_stays_decodable() -> TestResult {
    use innohub_proto::innohub::pilots::v1::PilotMeasurementRecorded;
    let sample = pilot_measurement_recorded();
    let stored = golden("pilot_measurement_recorded", &sample)?;
    let env = EventEnvelope::decode(stored.as_slice())?;
    assert_eq!(env.event_type, "PilotMeasurementRecorded");
    assert_eq!(env.sequence, 5);
    let event = PilotMeasurementRecorded::decode(env.payload.as_slice())?;
    assert_eq!(event.benefit_id, BENEFIT_ID);
    let reading = event.reading.ok_or("reading missing")?;
    assert_eq!((reading.value, reading.date.as_str()), (31.5, "2026-05-15"));
    assert_eq!(event.recorded_by, "kari@oygarden.kommune.no");
    assert_stable(&stored, &env, &sample);
    Ok(())
}

#[test]
fn pilot_decided_stays_decodable() -> TestResult {
    use innohub_proto::innohub::pilots::v1::{Decision, PilotDecided};
    let sample = pilot_decided();
    let stored = golden("pilot_decided", &sample)?;
    let env = EventEnvelope::decode(stored.as_slice())?;
    assert_eq!(env.event_type, "PilotDecided");
    assert_eq!(env.sequence, 8);
    let event = PilotDecided::decode(env.payload.as_slice())?;
    assert_eq!(event.decision(), Decision::Extend);
    assert_eq!(event.new_end_date, "2026-12-31");
    assert_eq!(event.why_stopped, "");
    let basis = event.basis.ok_or("basis missing")?;
    assert_eq!(basis.final_design, "Sensorar og kamera etter samtykke");
    assert_eq!(
        basis.benefit_assessment,
        "Halvparten av gevinsten er henta ut"
    );
    assert_eq!(
        basis.recommendation,
        "Forleng til nyttår med fleire brukarar"
    );
    assert_eq!(event.decider, "kari@oygarden.kommune.no");
    assert_stable(&stored, &env, &sample);
    Ok(())
}

#[test]
fn descriptor_set_holds_the_pilots_contract() -> TestResult {
    contract_in_descriptor_set(
        &[
            "innohub/common/v1/benefit.proto",
            "innohub/pilots/v1/events.proto",
            "innohub/pilots/v1/service.proto",
        ],
        "PilotsService",
        10,
    )
}

const FUND_ID: &str = "0195d2e0-4c00-7a1b-8c2d-3e4f5a6b7c8d";
const ROUND_ID: &str = "0195d2e0-4c00-7000-8000-0000000000a1";
const APPLICATION_ID: &str = "0195d2e1-5d00-7b2c-9d3e-4f5a6b7c8d9e";

fn funding_envelope<M: Message + Name>(
    aggregate_type: &str,
    aggregate_id: &str,
    sequence: i64,
    position: i64,
    event: &M,
) -> EventEnvelope {
    EventEnvelope {
        municipality: "SE-1283".to_owned(),
        aggregate_type: aggregate_type.to_owned(),
        aggregate_id: aggregate_id.to_owned(),
        actor: Some(Actor {
            user: "maria.lind@helsingborg.se".to_owned(),
            municipality: "SE-1283".to_owned(),
        }),
        correlation_id: format!("0195d2e0-0000-7000-8000-00000000{position:04}"),
        ..envelope(
            &format!("0195d2e0-0000-7000-8000-0000000{position:05}"),
            sequence,
            position,
            "",
            event,
        )
    }
}

fn sek(minor_units: i64) -> innohub_proto::innohub::common::v1::Money {
    innohub_proto::innohub::common::v1::Money {
        minor_units,
        currency: "SEK".to_owned(),
    }
}

fn fund_created() -> EventEnvelope {
    use innohub_proto::innohub::funding::v1::{Criterion, FundCreated, FundTerms};
    let event = FundCreated {
        fund_id: FUND_ID.to_owned(),
        municipality: "SE-1283".to_owned(),
        terms: Some(FundTerms {
            name: "Helsingborgs innovationsfond".to_owned(),
            description: "För idéer som gör staden bättre för invånarna".to_owned(),
            currency: "SEK".to_owned(),
            min_grant: Some(sek(25_000_000)),
            max_grant: Some(sek(100_000_000)),
            min_departments: 2,
            criteria: vec![
                Criterion {
                    name: "Nytta för invånarna".to_owned(),
                    description: "Vem har nytta av det, och hur mycket".to_owned(),
                    weight: 40,
                },
                Criterion {
                    name: "Genomförbarhet".to_owned(),
                    description: String::new(),
                    weight: 30,
                },
                Criterion {
                    name: "Spridning".to_owned(),
                    description: "Kan andra förvaltningar använda det".to_owned(),
                    weight: 30,
                },
            ],
            visibility: Visibility::Network as i32,
        }),
        created_by: "maria.lind@helsingborg.se".to_owned(),
    };
    funding_envelope("fund", FUND_ID, 1, 901, &event)
}

fn application_decided() -> EventEnvelope {
    use innohub_proto::innohub::funding::v1::{ApplicationDecided, DecisionOutcome};
    let event = ApplicationDecided {
        round_id: ROUND_ID.to_owned(),
        outcome: DecisionOutcome::PartiallyApproved as i32,
        approved: Some(sek(40_000_000)),
        conditions: "Redovisa resultatet för rådet i december".to_owned(),
        rationale: "Bra nytta; etapp två prövas i nästa omgång".to_owned(),
        decided_by: "maria.lind@helsingborg.se".to_owned(),
        year: 2026,
    };
    funding_envelope("application", APPLICATION_ID, 5, 912, &event)
}

fn grant_committed() -> EventEnvelope {
    use innohub_proto::innohub::funding::v1::GrantCommitted;
    let event = GrantCommitted {
        application_id: APPLICATION_ID.to_owned(),
        round_id: ROUND_ID.to_owned(),
        amount: Some(sek(40_000_000)),
    };
    let period = format!("fund-period:{FUND_ID}:2026");
    EventEnvelope {
        correlation_id: application_decided().correlation_id,
        ..funding_envelope("fund_period", &period, 3, 913, &event)
    }
}

#[test]
fn fund_created_stays_decodable() -> TestResult {
    use innohub_proto::innohub::funding::v1::FundCreated;
    let sample = fund_created();
    let stored = golden("fund_created", &sample)?;
    let env = EventEnvelope::decode(stored.as_slice())?;
    assert_eq!(
        (env.aggregate_type.as_str(), env.aggregate_id.as_str()),
        ("fund", FUND_ID)
    );
    assert_eq!(env.event_type, "FundCreated");
    let event = FundCreated::decode(env.payload.as_slice())?;
    assert_eq!(event.fund_id, FUND_ID);
    assert_eq!(event.municipality, "SE-1283");
    assert_eq!(event.created_by, "maria.lind@helsingborg.se");
    let t = event.terms.ok_or("terms missing")?;
    assert_eq!(t.name, "Helsingborgs innovationsfond");
    assert_eq!(
        t.description,
        "För idéer som gör staden bättre för invånarna"
    );
    assert_eq!(t.currency, "SEK");
    assert_eq!(t.min_grant, Some(sek(25_000_000)));
    assert_eq!(t.max_grant, Some(sek(100_000_000)));
    assert_eq!(t.min_departments, 2);
    let criteria: Vec<_> = t
        .criteria
        .iter()
        .map(|c| (c.name.as_str(), c.weight))
        .collect();
    assert_eq!(
        criteria,
        [
            ("Nytta för invånarna", 40),
            ("Genomförbarhet", 30),
            ("Spridning", 30)
        ]
    );
    assert_eq!(
        t.criteria[0].description,
        "Vem har nytta av det, och hur mycket"
    );
    assert_eq!(t.visibility(), Visibility::Network);
    assert_stable(&stored, &env, &sample);
    Ok(())
}

#[test]
fn application_decided_stays_decodable() -> TestResult {
    use innohub_proto::innohub::funding::v1::{ApplicationDecided, DecisionOutcome};
    let sample = application_decided();
    let stored = golden("application_decided", &sample)?;
    let env = EventEnvelope::decode(stored.as_slice())?;
    assert_eq!(
        (env.aggregate_type.as_str(), env.aggregate_id.as_str()),
        ("application", APPLICATION_ID)
    );
    assert_eq!(env.event_type, "ApplicationDecided");
    assert_eq!(env.sequence, 5);
    let event = ApplicationDecided::decode(env.payload.as_slice())?;
    assert_eq!(event.round_id, ROUND_ID);
    assert_eq!(event.outcome(), DecisionOutcome::PartiallyApproved);
    assert_eq!(event.approved, Some(sek(40_000_000)));
    assert_eq!(event.conditions, "Redovisa resultatet för rådet i december");
    assert_eq!(
        event.rationale,
        "Bra nytta; etapp två prövas i nästa omgång"
    );
    assert_eq!(event.decided_by, "maria.lind@helsingborg.se");
    assert_eq!(event.year, 2026);
    assert_stable(&stored, &env, &sample);
    Ok(())
}

#[test]
fn grant_committed_stays_decodable() -> TestResult {
    use innohub_proto::innohub::funding::v1::GrantCommitted;
    let sample = grant_committed();
    let stored = golden("grant_committed", &sample)?;
    let env = EventEnvelope::decode(stored.as_slice())?;
    assert_eq!(env.aggregate_type, "fund_period");
    assert_eq!(env.aggregate_id, format!("fund-period:{FUND_ID}:2026"));
    assert_eq!(env.event_type, "GrantCommitted");
    assert_eq!(env.correlation_id, application_decided().correlation_id);
    let event = GrantCommitted::decode(env.payload.as_slice())?;
    assert_eq!(event.application_id, APPLICATION_ID);
    assert_eq!(event.round_id, ROUND_ID);
    assert_eq!(event.amount, Some(sek(40_000_000)));
    assert_stable(&stored, &env, &sample);
    Ok(())
}

#[test]
fn descriptor_set_holds_the_funding_contract() -> TestResult {
    contract_in_descriptor_set(
        &[
            "innohub/common/v1/money.proto",
            "innohub/funding/v1/events.proto",
            "innohub/funding/v1/service.proto",
        ],
        "FundingService",
        14,
    )
}
