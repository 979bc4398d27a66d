//! The demo: three municipalities (Syddjurs, Helsingborg, Uppsala), registered with their
//! departments, Syddjurs and Helsingborg in a network, a few dozen automation candidates
//! spread over the phases (a third of them public, several in operation), an adoption and an
//! umbrella group, and Helsingborg's innovation work (evaluation criteria, a challenge, a
//! dozen ideas over the stages with support, comments and scores, a workshop with its action
//! items, one of them overdue, and an idea that became an automation candidate), loaded once
//! into an empty store through the ordinary commands, so every rule applies to it as to real
//! data. Dates of the innovation work are relative to the day it is loaded ("today" as the
//! services see it: `INNOHUB_TODAY` if set, else the UTC date).

use std::collections::{BTreeSet, HashMap};
use std::future::Future;

use anyhow::Context as _;
use chrono::Days;
use innohub_proto::innohub::common::v1::CommandReply;
use innohub_proto::innohub::directory::v1 as dpb;
use innohub_proto::innohub::ideas::v1::ideas_service_client::IdeasServiceClient;
use innohub_proto::innohub::ideas::v1::{self as ipb, Driver, Outcome, Stage};
use innohub_proto::innohub::processes::v1::processes_service_client::ProcessesServiceClient;
use innohub_proto::innohub::processes::v1::{self as pb, Phase, Visibility};
use innohub_runtime::grpc::{Caller, Channel};
use innohub_runtime::{DepartmentId, MunicipalityId, Principal, Role, UserId};
use pb::rank_process_request::Placement;
use uuid::Uuid;

use crate::graphql::Services;

struct Candidate {
    title: &'static str,
    summary: &'static str,
    department: &'static str,
    cases: u32,
    minutes: f64,
    share: u32,
    technology: &'static str,
    system: &'static str,
    domain: &'static str,
    kle: &'static str,
    phase: Phase,
    visibility: Visibility,
}

const fn c(
    title: &'static str,
    summary: &'static str,
    department: &'static str,
    (cases, minutes, share): (u32, f64, u32),
    (technology, system, domain, kle): (&'static str, &'static str, &'static str, &'static str),
    phase: Phase,
    visibility: Visibility,
) -> Candidate {
    Candidate {
        title,
        summary,
        department,
        cases,
        minutes,
        share,
        technology,
        system,
        domain,
        kle,
        phase,
        visibility,
    }
}

fn municipalities() -> Vec<(&'static str, &'static str, Vec<Candidate>)> {
    use Phase::*;
    use Visibility::*;
    vec![
        (
            "DK-0706",
            "Syddjurs",
            vec![
                c(
                    "Tabt arbejdsfortjeneste",
                    "Beregning og udbetaling af kompensation for tabt arbejdsfortjeneste",
                    "social",
                    (1400, 35.0, 70),
                    ("RPA", "KMD Nexus", "social", "27.24.00"),
                    Operation,
                    Public,
                ),
                c(
                    "Sygedagpenge: opfølgning",
                    "Automatisk indhentning af oplysninger til opfølgning på sygedagpenge",
                    "employment",
                    (5200, 12.0, 60),
                    ("RPA", "DFDG", "employment", "15.00.00"),
                    Implementation,
                    Public,
                ),
                c(
                    "Boligstøtte: partshøring",
                    "Udsendelse af partshøringer ved ændret indkomst",
                    "citizen-service",
                    (2100, 8.0, 80),
                    ("Integration", "KY", "economy", "27.30.00"),
                    Development,
                    Network,
                ),
                c(
                    "Ferieafregning for timelønnede",
                    "Manuel beregning af feriepenge ved fratrædelse",
                    "hr",
                    (600, 25.0, 50),
                    ("RPA", "OPUS Løn", "HR", "81.05.00"),
                    Specification,
                    Municipality,
                ),
                c(
                    "Kørselsgodtgørelse",
                    "Kontrol og udbetaling af kørselsgodtgørelse",
                    "economy",
                    (9000, 4.0, 90),
                    ("Self-service", "Prisme", "economy", "81.06.00"),
                    PreAnalysis,
                    Municipality,
                ),
                c(
                    "Aktindsigt: journalisering",
                    "Registrering af anmodninger om aktindsigt i ESDH",
                    "secretariat",
                    (350, 20.0, 40),
                    ("RPA", "SBSYS", "administration", "01.00.00"),
                    Idea,
                    Municipality,
                ),
                c(
                    "Befordring til specialskole",
                    "Visitation og bestilling af skolekørsel",
                    "education",
                    (420, 45.0, 30),
                    ("Integration", "Flextrafik", "education", "17.13.00"),
                    Idea,
                    Private,
                ),
                c(
                    "Hjemmepleje: ruteplaner",
                    "Daglig omlægning af ruter ved fravær",
                    "health",
                    (3650, 15.0, 50),
                    ("AI", "Cura", "health", "27.36.00"),
                    Idea,
                    Municipality,
                ),
                c(
                    "Byggesag: komplethedstjek",
                    "Kontrol af om en byggeansøgning er komplet",
                    "technical",
                    (900, 30.0, 60),
                    ("AI", "Byg og Miljø", "technical", "02.34.00"),
                    PreAnalysis,
                    Public,
                ),
                c(
                    "Faktura-match",
                    "Match af fakturaer mod indkøbsordrer",
                    "economy",
                    (40000, 2.0, 85),
                    ("RPA", "Prisme", "economy", "00.00.00"),
                    Operation,
                    Public,
                ),
                c(
                    "Opsigelse af daginstitutionsplads",
                    "Registrering af opsigelser fra forældre",
                    "children",
                    (1100, 10.0, 90),
                    ("Self-service", "Aula", "family", "28.03.00"),
                    Idea,
                    Municipality,
                ),
                c(
                    "Borgerservice: pas-booking",
                    "Påmindelser og ombooking af tider",
                    "citizen-service",
                    (6000, 3.0, 70),
                    ("Self-service", "Timebooking", "administration", "23.05.00"),
                    Development,
                    Network,
                ),
            ],
        ),
        (
            "SE-1283",
            "Helsingborg",
            vec![
                c(
                    "Ekonomiskt bistånd: ansökan",
                    "Automatiserad handläggning av återansökan om försörjningsstöd",
                    "social",
                    (24000, 20.0, 60),
                    ("RPA", "Procapita", "social", "RR 2.1"),
                    Operation,
                    Public,
                ),
                c(
                    "Bygglov: registrering",
                    "Registrering av inkomna bygglovsansökningar",
                    "technical",
                    (2600, 15.0, 70),
                    ("Integration", "ByggR", "technical", "RR 3.4"),
                    Implementation,
                    Network,
                ),
                c(
                    "Skolskjuts",
                    "Beslut om skolskjuts enligt riktlinjer",
                    "education",
                    (1800, 25.0, 65),
                    ("Rules engine", "Procapita", "education", "RR 5.2"),
                    Specification,
                    Public,
                ),
                c(
                    "Leverantörsfakturor",
                    "Kontering av leverantörsfakturor",
                    "economy",
                    (60000, 1.5, 80),
                    ("AI", "Raindance", "economy", "RR 1.1"),
                    Development,
                    Municipality,
                ),
                c(
                    "Parkeringstillstånd",
                    "Handläggning av parkeringstillstånd för rörelsehindrade",
                    "technical",
                    (900, 40.0, 35),
                    ("Self-service", "E-tjänst", "technical", "RR 3.9"),
                    PreAnalysis,
                    Municipality,
                ),
                c(
                    "Anställningsavtal",
                    "Upprättande av anställningsavtal från rekrytering",
                    "hr",
                    (3500, 12.0, 75),
                    ("Integration", "Heroma", "HR", "RR 8.2"),
                    Idea,
                    Municipality,
                ),
                c(
                    "Felanmälan gata/park",
                    "Sortering och fördelning av felanmälningar",
                    "technical",
                    (15000, 3.0, 70),
                    ("AI", "Infracontrol", "environment", "RR 3.2"),
                    Idea,
                    Public,
                ),
                c(
                    "Kulturbidrag",
                    "Kontroll av ansökningar om föreningsbidrag",
                    "culture",
                    (300, 60.0, 30),
                    ("Self-service", "Interbook", "culture", "RR 7.1"),
                    Idea,
                    Municipality,
                ),
                c(
                    "Avgiftshandläggning äldreomsorg",
                    "Beräkning av avgifter vid ändrade inkomster",
                    "elderly-care",
                    (7000, 10.0, 55),
                    ("RPA", "Treserva", "social", "RR 2.4"),
                    PreAnalysis,
                    Municipality,
                ),
                c(
                    "Lönekorrigeringar",
                    "Korrigering av felaktiga tidrapporter",
                    "hr",
                    (4200, 6.0, 60),
                    ("RPA", "Heroma", "HR", "RR 8.4"),
                    Specification,
                    Private,
                ),
                c(
                    "Arkivering av diarium",
                    "Gallring och överföring till e-arkiv",
                    "secretariat",
                    (12000, 2.0, 90),
                    ("Integration", "Public 360", "administration", "RR 0.3"),
                    Decommissioned,
                    Public,
                ),
                c(
                    "Vuxenutbildning: antagning",
                    "Kontroll av behörighet vid antagning",
                    "education",
                    (5000, 8.0, 65),
                    ("Rules engine", "Alvis", "education", "RR 5.7"),
                    Idea,
                    Network,
                ),
                c(
                    "Avgiftsfakturering",
                    "Fakturering av avgifter för förskola och fritidshem",
                    "economy",
                    (18000, 3.0, 85),
                    ("RPA", "Raindance", "economy", "RR 1.1"),
                    Operation,
                    Public,
                ),
                c(
                    "Färdtjänst: beslut",
                    "Beslut om färdtjänst enligt riktlinjerna",
                    "social",
                    (2200, 30.0, 50),
                    ("RPA", "Pascal", "social", "RR 2.7"),
                    Operation,
                    Public,
                ),
            ],
        ),
        (
            "SE-0380",
            "Uppsala",
            vec![
                c(
                    "Ekonomiskt bistånd: kontroller",
                    "Automatiska kontroller mot andra myndigheter (SSBTEK)",
                    "social",
                    (30000, 6.0, 80),
                    ("Integration", "Lifecare", "social", "RR 2.1"),
                    Operation,
                    Public,
                ),
                c(
                    "Förskoleplacering",
                    "Placering i förskola utifrån regelverk och önskemål",
                    "education",
                    (4500, 20.0, 50),
                    ("Rules engine", "Tieto Edu", "education", "RR 5.1"),
                    Development,
                    Public,
                ),
                c(
                    "Sjukfrånvaro: rehabärenden",
                    "Påminnelser och uppföljning av rehabiliteringsärenden",
                    "hr",
                    (1500, 15.0, 40),
                    ("RPA", "Adato", "HR", "RR 8.5"),
                    PreAnalysis,
                    Municipality,
                ),
                c(
                    "Tillsyn livsmedel: planering",
                    "Planering av kontrollbesök enligt riskklass",
                    "environment",
                    (1200, 30.0, 45),
                    ("AI", "Ecos", "environment", "RR 4.2"),
                    Specification,
                    Network,
                ),
                c(
                    "Bostadsanpassningsbidrag",
                    "Förhandskontroll av ansökningar",
                    "technical",
                    (1600, 35.0, 35),
                    ("Self-service", "E-tjänst", "technical", "RR 3.6"),
                    Idea,
                    Municipality,
                ),
                c(
                    "Färdtjänst: tillstånd",
                    "Handläggning av förlängda färdtjänsttillstånd",
                    "transport",
                    (5500, 18.0, 60),
                    ("RPA", "Pascal", "social", "RR 2.7"),
                    Implementation,
                    Public,
                ),
                c(
                    "Inköp: avtalstrohet",
                    "Uppföljning av köp utanför avtal",
                    "economy",
                    (25000, 1.0, 70),
                    ("AI", "Raindance", "economy", "RR 1.4"),
                    Idea,
                    Municipality,
                ),
                c(
                    "Gymnasieantagning: intyg",
                    "Hantering av intyg och kompletteringar",
                    "education",
                    (2200, 10.0, 60),
                    ("Integration", "Indra", "education", "RR 5.3"),
                    Idea,
                    Municipality,
                ),
                c(
                    "Hemtjänst: beställningar",
                    "Överföring av beställningar till utförare",
                    "elderly-care",
                    (9000, 7.0, 85),
                    ("Integration", "Lifecare", "social", "RR 2.4"),
                    PreAnalysis,
                    Public,
                ),
                c(
                    "Nämndhandlingar",
                    "Sammanställning av handlingar till nämnd",
                    "secretariat",
                    (240, 120.0, 40),
                    ("RPA", "Ciceron", "administration", "RR 0.2"),
                    Idea,
                    Private,
                ),
                c(
                    "Lönesättning: underlag",
                    "Sammanställning av lönestatistik inför översyn",
                    "hr",
                    (60, 300.0, 50),
                    ("RPA", "Heroma", "HR", "RR 8.3"),
                    Idea,
                    Municipality,
                ),
                c(
                    "Vattenmätare: avläsning",
                    "Avvikelsekontroll av mätarställningar",
                    "technical",
                    (52000, 1.0, 95),
                    ("AI", "VA-bank", "technical", "RR 3.8"),
                    Development,
                    Network,
                ),
                c(
                    "Leverantörsfakturor: matchning",
                    "Matchning av leverantörsfakturor mot inköpsorder",
                    "economy",
                    (80000, 1.0, 85),
                    ("RPA", "Raindance", "economy", "RR 1.1"),
                    Operation,
                    Public,
                ),
            ],
        ),
    ]
}

fn person(
    user: &str,
    municipality: &MunicipalityId,
    department: &str,
    roles: &[Role],
) -> anyhow::Result<Principal> {
    Ok(Principal {
        user: UserId::parse(user).map_err(anyhow::Error::msg)?,
        municipality: municipality.clone(),
        department: Some(DepartmentId::parse(department).map_err(anyhow::Error::msg)?),
        roles: roles.iter().copied().collect::<BTreeSet<_>>(),
    })
}

/// Send `message` for `by` to a service with `call`: the same clients and requests as the
/// gateway's.
async fn send<C, M, R, F, Fut>(client: &C, by: &Principal, message: M, call: F) -> anyhow::Result<R>
where
    C: Clone,
    F: FnOnce(C, tonic::Request<M>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<R>, tonic::Status>>,
{
    // Embedded mode only: the call stays in this process, so it needs no token.
    let caller = Caller {
        principal: by,
        token: None,
        idempotency_key: None,
        correlation_id: Some(Uuid::now_v7()),
    };
    Ok(innohub_runtime::grpc::send(client, caller, message, call).await?)
}

/// The demo's way to the processes service.
struct Demo {
    client: ProcessesServiceClient<Channel>,
}

impl Demo {
    /// Send `message` for `by` with `call`.
    async fn send<M, F, Fut>(
        &self,
        by: &Principal,
        message: M,
        call: F,
    ) -> anyhow::Result<CommandReply>
    where
        F: FnOnce(ProcessesServiceClient<Channel>, tonic::Request<M>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<CommandReply>, tonic::Status>>,
    {
        send(&self.client, by, message, call).await
    }
}

/// A municipality of the demo: id, name, inhabitants, and the departments its processes
/// name (id, name).
type Registered = (
    &'static str,
    &'static str,
    u32,
    &'static [(&'static str, &'static str)],
);

/// The demo's municipalities.
const DIRECTORY: &[Registered] = &[
    (
        "DK-0706",
        "Syddjurs",
        43_000,
        &[
            ("social", "Social og Sundhed"),
            ("employment", "Jobcenter"),
            ("citizen-service", "Borgerservice"),
            ("hr", "HR og Løn"),
            ("economy", "Økonomi"),
            ("secretariat", "Sekretariatet"),
            ("it", "IT og Digitalisering"),
            ("technical", "Natur og Teknik"),
            ("education", "Børn og Læring"),
            ("children", "Børn og Familie"),
            ("health", "Sundhed og Omsorg"),
        ],
    ),
    (
        "SE-1283",
        "Helsingborg",
        151_000,
        &[
            ("social", "Socialförvaltningen"),
            ("technical", "Stadsbyggnadsförvaltningen"),
            ("education", "Skol- och fritidsförvaltningen"),
            ("economy", "Ekonomiavdelningen"),
            ("hr", "HR-avdelningen"),
            ("culture", "Kulturförvaltningen"),
            ("elderly-care", "Vård- och omsorgsförvaltningen"),
            ("secretariat", "Stadsledningsförvaltningen"),
            ("it", "Digitaliseringsavdelningen"),
        ],
    ),
    (
        "SE-0380",
        "Uppsala",
        245_000,
        &[
            ("social", "Socialförvaltningen"),
            ("technical", "Stadsbyggnadsförvaltningen"),
            ("education", "Utbildningsförvaltningen"),
            ("economy", "Kommunledningskontoret, ekonomi"),
            ("hr", "Kommunledningskontoret, HR"),
            ("elderly-care", "Äldreförvaltningen"),
            ("environment", "Miljöförvaltningen"),
            ("transport", "Gatu- och samhällsmiljöförvaltningen"),
            ("secretariat", "Kommunledningskontoret"),
            ("it", "IT-avdelningen"),
        ],
    ),
];

/// Register the demo's municipalities and their departments, and a network of Syddjurs and
/// Helsingborg.
async fn directory(services: &Services) -> anyhow::Result<()> {
    let client = &services.directory;
    let operator = person(
        "platform.operator",
        &MunicipalityId::parse("DK-0706").map_err(anyhow::Error::msg)?,
        "it",
        &[Role::PlatformAdmin],
    )?;
    let mut admins = Vec::new();
    for (id, name, inhabitants, departments) in DIRECTORY {
        let municipality = MunicipalityId::parse(id).map_err(anyhow::Error::msg)?;
        let (country, code) = id.split_once('-').unwrap_or_default();
        let profile = dpb::MunicipalityProfile {
            country: country.into(),
            code: code.into(),
            name: (*name).into(),
            inhabitants: *inhabitants,
            size_band: 0,
        };
        send(
            client,
            &operator,
            dpb::RegisterMunicipalityRequest {
                profile: Some(profile),
            },
            |mut c, r| async move { c.register_municipality(r).await },
        )
        .await?;
        let admin = person(
            &format!("admin.{}", name.to_lowercase()),
            &municipality,
            "it",
            &[Role::MunicipalityAdmin],
        )?;
        for (department, title) in *departments {
            let request = dpb::AddDepartmentRequest {
                department: Some(dpb::DepartmentAdded {
                    department_id: (*department).into(),
                    name: (*title).into(),
                    parent_id: String::new(),
                }),
            };
            send(client, &admin, request, |mut c, r| async move {
                c.add_department(r).await
            })
            .await?;
        }
        admins.push(admin);
    }
    let [syddjurs, helsingborg, ..] = admins.as_slice() else {
        anyhow::bail!("the demo has three municipalities");
    };
    let network = send(
        client,
        syddjurs,
        dpb::CreateNetworkRequest {
            name: "Nordisk automatiseringsnetværk".into(),
        },
        |mut c, r| async move { c.create_network(r).await },
    )
    .await?
    .aggregate_id;
    let request = dpb::InviteToNetworkRequest {
        network_id: network.clone(),
        municipality: helsingborg.municipality.to_string(),
    };
    send(client, syddjurs, request, |mut c, r| async move {
        c.invite_to_network(r).await
    })
    .await?;
    let request = dpb::AcceptNetworkInvitationRequest {
        network_id: network,
    };
    send(client, helsingborg, request, |mut c, r| async move {
        c.accept_network_invitation(r).await
    })
    .await?;
    Ok(())
}

/// Load the demo into an empty store (embedded mode).
pub async fn load(services: &Services) -> anyhow::Result<()> {
    directory(services).await?;
    let app = Demo {
        client: services.processes.clone(),
    };
    let mut loaded = 0;
    let mut ids = HashMap::new();
    for (code, name, candidates) in municipalities() {
        let municipality = MunicipalityId::parse(code).map_err(anyhow::Error::msg)?;
        let it = person(
            &format!("it.{}", name.to_lowercase()),
            &municipality,
            "it",
            &[Role::ItPortfolio],
        )?;
        let mut ranked: Vec<String> = Vec::new();
        for (i, cand) in candidates.into_iter().enumerate() {
            let reporter = person(
                &format!("{}.{}", cand.department, name.to_lowercase()),
                &municipality,
                cand.department,
                &[Role::Employee],
            )?;
            let details = pb::ProcessDetails {
                title: cand.title.into(),
                short_description: cand.summary.into(),
                departments: vec![cand.department.into()],
                volume: Some(pb::Volume {
                    cases_per_year: cand.cases,
                    minutes_per_case: cand.minutes,
                    employees: None,
                    automation_share: cand.share,
                }),
                domains: vec![cand.domain.into()],
                it_systems: vec![cand.system.into()],
                classification: Some(pb::Classification {
                    scheme: if code.starts_with("DK") { "KLE" } else { "RR" }.into(),
                    code: cand.kle.trim_start_matches("RR ").into(),
                }),
                owner: reporter.user.to_string(),
                visibility: cand.visibility as i32,
                ..pb::ProcessDetails::default()
            };
            let request = pb::SubmitProcessRequest {
                details: Some(details),
                origin: None,
            };
            let id = app
                .send(&reporter, request, |mut c, r| async move {
                    c.submit_process(r).await
                })
                .await?
                .aggregate_id;
            ids.insert(cand.title, id.clone());
            loaded += 1;
            // Private drafts stay with their department; IT cannot see them yet.
            if cand.visibility == Visibility::Private || (cand.phase == Phase::Idea && i % 3 != 0) {
                continue;
            }
            let rating = |base: u32| Some(1 + (base + i as u32) % 5);
            let assessment = pb::Assessment {
                rules_based: rating(3),
                structured_input: rating(2),
                input_quality: rating(4),
                process_stability: rating(1),
                case_variation: rating(0),
                documentation: rating(2),
                data_sensitivity: rating(3),
                quality_gain: rating(1),
                speed_gain: rating(4),
                routine_relief: rating(2),
                strategic_fit: rating(3),
                risk: rating(1),
            };
            let request = pb::AssessProcessRequest {
                process_id: id.clone(),
                assessment: Some(assessment),
            };
            app.send(
                &it,
                request,
                |mut c, r| async move { c.assess_process(r).await },
            )
            .await?;
            let request = pb::UpdateProcessRequest {
                process_id: id.clone(),
                details: Some(pb::ProcessDetails {
                    technologies: vec![cand.technology.into()],
                    go_live_date: format!("2026-{:02}-01", 1 + i % 12),
                    ..pb::ProcessDetails::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["technologies".into(), "go_live_date".into()],
                }),
            };
            app.send(
                &it,
                request,
                |mut c, r| async move { c.update_process(r).await },
            )
            .await?;
            let mut phase = Phase::Idea;
            while phase < cand.phase {
                let Ok(next) = Phase::try_from(phase as i32 + 1) else {
                    break;
                };
                let request = pb::ChangeProcessPhaseRequest {
                    process_id: id.clone(),
                    to: next as i32,
                    reason: String::new(),
                };
                app.send(&it, request, |mut c, r| async move {
                    c.change_process_phase(r).await
                })
                .await?;
                phase = next;
            }
            if phase >= Phase::Operation {
                let experience = pb::Experience {
                    what_was_built: format!(
                        "{} robot running against {}",
                        cand.technology, cand.system
                    ),
                    organisational_notes:
                        "Involve the case workers from day one; they own the exceptions.".into(),
                    run_frequency: "daily".into(),
                    realised_benefit: Some(2 + (i as u32 % 2)),
                    ..pb::Experience::default()
                };
                let request = pb::RecordProcessExperienceRequest {
                    process_id: id.clone(),
                    experience: Some(experience),
                };
                app.send(&it, request, |mut c, r| async move {
                    c.record_process_experience(r).await
                })
                .await?;
            }
            if phase < Phase::Operation && ranked.len() < 3 {
                let placement = ranked.last().map_or(Placement::Top(true), |prev| {
                    Placement::AfterProcessId(prev.clone())
                });
                let request = pb::RankProcessRequest {
                    process_id: id.clone(),
                    placement: Some(placement),
                };
                app.send(
                    &it,
                    request,
                    |mut c, r| async move { c.rank_process(r).await },
                )
                .await?;
                ranked.push(id);
            }
        }
    }
    reuse(&app, &ids).await?;
    let ideas = ideas(services).await?;
    tracing::info!(processes = loaded, ideas, "demo loaded");
    Ok(())
}

/// Reuse across municipalities: Uppsala adopts one of Syddjurs' public processes, and
/// Helsingborg groups its own and Uppsala's economic-assistance automations under a public
/// umbrella.
async fn reuse(app: &Demo, ids: &HashMap<&str, String>) -> anyhow::Result<()> {
    let id = |title: &str| {
        ids.get(title)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("the demo has no process {title:?}"))
    };
    let uppsala = MunicipalityId::parse("SE-0380").map_err(anyhow::Error::msg)?;
    let adopter = person("social.uppsala", &uppsala, "social", &[Role::Employee])?;
    let request = pb::AdoptProcessRequest {
        process_id: id("Tabt arbejdsfortjeneste")?,
        departments: Vec::new(),
    };
    app.send(&adopter, request, |mut c, r| async move {
        c.adopt_process(r).await
    })
    .await?;
    let helsingborg = MunicipalityId::parse("SE-1283").map_err(anyhow::Error::msg)?;
    let it = person("it.helsingborg", &helsingborg, "it", &[Role::ItPortfolio])?;
    let request = pb::CreateUmbrellaRequest {
        title: "Ekonomiskt bistånd: automatisering".into(),
        description: "Robotar och integrationer i handläggningen av försörjningsstöd".into(),
        visibility: Visibility::Public as i32,
    };
    let umbrella = app
        .send(&it, request, |mut c, r| async move {
            c.create_umbrella(r).await
        })
        .await?
        .aggregate_id;
    for title in [
        "Ekonomiskt bistånd: ansökan",
        "Ekonomiskt bistånd: kontroller",
    ] {
        let request = pb::AddToUmbrellaRequest {
            umbrella_id: umbrella.clone(),
            process_id: id(title)?,
        };
        app.send(&it, request, |mut c, r| async move {
            c.add_to_umbrella(r).await
        })
        .await?;
    }
    Ok(())
}

/// An idea of the demo: who had it, what it is, and how far it got.
struct Seed {
    title: &'static str,
    need: &'static str,
    solution: &'static str,
    /// The submitter's department (the submitter is `<department>.helsingborg`).
    department: &'static str,
    tags: &'static [&'static str],
    /// Whether it answers the demo's challenge (and is challenge-driven).
    challenge: bool,
    driver: Driver,
    /// Where it ends: a stage of the forward road, PARKED (parked while EXPLORING) or
    /// STOPPED (stopped while EXPLORING).
    stage: Stage,
    /// The likely outcome, judged at DESIGNING.
    outcome: Outcome,
    visibility: Visibility,
}

const fn seed(
    (title, need, solution): (&'static str, &'static str, &'static str),
    department: &'static str,
    tags: &'static [&'static str],
    (challenge, driver): (bool, Driver),
    (stage, outcome): (Stage, Outcome),
    visibility: Visibility,
) -> Seed {
    Seed {
        title,
        need,
        solution,
        department,
        tags,
        challenge,
        driver,
        stage,
        outcome,
        visibility,
    }
}

/// Helsingborg's dozen ideas, from the most advanced to the newest.
fn seeds() -> Vec<Seed> {
    use Driver::*;
    use Outcome::*;
    use Stage::*;
    use Visibility::*;
    let none = Outcome::Unspecified;
    vec![
        seed(
            (
                "Digitala nycklar i hemtjänsten",
                "Personalen lägger mycket tid på att hämta och lämna nycklar",
                "Digitala lås som öppnas med mobilen",
            ),
            "elderly-care",
            &["hemtjänst", "IoT"],
            (true, ChallengeDriven),
            (Implemented, Procurement),
            Public,
        ),
        seed(
            (
                "Fallsensorer i ordinärt boende",
                "Fallolyckor upptäcks ofta först vid nästa besök",
                "Sensorer som larmar vid fall",
            ),
            "elderly-care",
            &["hemtjänst", "sensorer"],
            (true, ChallengeDriven),
            (Scaling, Partnership),
            Network,
        ),
        seed(
            (
                "AI-stöd för biståndsbedömning",
                "Handläggarna skriver liknande utredningar om och om igen",
                "Ett beslutsstöd som föreslår utredningstext utifrån ansökan",
            ),
            "social",
            &["AI", "handläggning"],
            (false, IdeaDriven),
            (Piloting, OwnDevelopment),
            Municipality,
        ),
        seed(
            (
                "Automatisk schemaläggning av vikarier",
                "Chefer lägger timmar varje vecka på att hitta vikarier",
                "Schemat föreslår vikarier utifrån kompetens och tillgänglighet",
            ),
            "elderly-care",
            &["schema"],
            (true, ChallengeDriven),
            (Designing, OwnDevelopment),
            Municipality,
        ),
        seed(
            (
                "Chattbot för bygglovsfrågor",
                "Samma frågor om bygglov kommer in varje dag",
                "En chattbot på webben som svarar på de vanligaste frågorna",
            ),
            "technical",
            &["AI", "medborgarservice"],
            (false, IdeaDriven),
            (Designing, Procurement),
            Public,
        ),
        seed(
            (
                "Gemensam plattform för föreningsbidrag",
                "Varje kommun bygger sin egen e-tjänst för föreningsbidrag",
                "En plattform som kommunerna i nätverket delar",
            ),
            "culture",
            &["samverkan"],
            (false, OpportunityDriven),
            (Exploring, none),
            Network,
        ),
        seed(
            (
                "Digital signering av anställningsavtal",
                "Avtal skickas med post och kommer tillbaka efter veckor",
                "E-signering direkt från rekryteringssystemet",
            ),
            "hr",
            &["e-signering"],
            (false, IdeaDriven),
            (Exploring, none),
            Municipality,
        ),
        seed(
            (
                "Läxhjälp via videolänk",
                "Elever utan stöd hemma halkar efter",
                "Läxhjälp på kvällstid med lärarstudenter via video",
            ),
            "education",
            &["skola"],
            (false, IdeaDriven),
            (Submitted, none),
            Municipality,
        ),
        seed(
            (
                "Digital signering av läkemedelslistor",
                "Pappersblanketter för läkemedel försvinner och tar tid",
                "Signering i mobilen vid varje läkemedelsgivning",
            ),
            "elderly-care",
            &["hemtjänst", "läkemedel"],
            (true, ChallengeDriven),
            (Submitted, none),
            Municipality,
        ),
        seed(
            (
                "Öppna data om lediga parkeringar",
                "Besökare letar länge efter parkering i centrum",
                "Publicera beläggningen i parkeringshusen som öppna data",
            ),
            "technical",
            &["öppna data"],
            (false, OpportunityDriven),
            (Submitted, none),
            Public,
        ),
        seed(
            (
                "Drönare för inspektion av broar",
                "Broinspektioner kräver avstängningar och skylift",
                "Drönare med kamera som fotograferar konstruktionen",
            ),
            "technical",
            &["drönare"],
            (false, OpportunityDriven),
            (Parked, none),
            Municipality,
        ),
        seed(
            (
                "Blockkedja för leverantörsfakturor",
                "Fakturor kan förfalskas",
                "Registrera alla fakturor i en blockkedja",
            ),
            "economy",
            &["blockkedja"],
            (false, IdeaDriven),
            (Stopped, none),
            Municipality,
        ),
    ]
}

/// Why an innovation lead moved an idea to `stage`.
fn rationale(stage: Stage) -> &'static str {
    match stage {
        Stage::Exploring => "Behovet finns i flera verksamheter; värt att undersöka",
        Stage::Designing => "Behovet är bekräftat; dags att ta fram upplägget",
        Stage::Piloting => "Upplägget är klart och finansierat för en pilot",
        Stage::Scaling => "Piloten föll väl ut; införs i fler enheter",
        Stage::Implemented => "Används i hela verksamheten",
        Stage::Parked => "Vänta tills upphandlingen av drönartjänster är klar",
        Stage::Stopped => "Löser inget verkligt problem; attesteringen skyddar redan",
        _ => "",
    }
}

/// The demo's way to the ideas service.
struct Ideas {
    client: IdeasServiceClient<Channel>,
}

impl Ideas {
    /// Send `message` for `by` with `call`; the id the reply names.
    async fn send<M, F, Fut>(&self, by: &Principal, message: M, call: F) -> anyhow::Result<String>
    where
        F: FnOnce(IdeasServiceClient<Channel>, tonic::Request<M>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<CommandReply>, tonic::Status>>,
    {
        Ok(send(&self.client, by, message, call).await?.aggregate_id)
    }

    /// Move idea `id` to `to` for `by`, with `outcome` as the likely outcome.
    async fn gate(
        &self,
        by: &Principal,
        id: &str,
        to: Stage,
        outcome: Outcome,
    ) -> anyhow::Result<()> {
        let request = ipb::DecideIdeaGateRequest {
            idea_id: id.to_owned(),
            to: to as i32,
            rationale: rationale(to).into(),
            likely_outcome: outcome as i32,
        };
        self.send(by, request, |mut c, r| async move {
            c.decide_idea_gate(r).await
        })
        .await?;
        Ok(())
    }
}

/// Helsingborg's innovation work: its evaluation criteria, a challenge, [`seeds`] with
/// support, comments and scores, a workshop with three action items (one overdue, one done),
/// and the AI idea in its pilot reported as an automation candidate. Returns how many ideas.
async fn ideas(services: &Services) -> anyhow::Result<usize> {
    let app = Ideas {
        client: services.ideas.clone(),
    };
    let today = innohub_runtime::clock::today();
    let day = |offset: i64| {
        let days = Days::new(offset.unsigned_abs());
        if offset < 0 {
            today.checked_sub_days(days)
        } else {
            today.checked_add_days(days)
        }
        .map(|d| d.to_string())
        .context("a demo date out of range")
    };
    let helsingborg = MunicipalityId::parse("SE-1283").map_err(anyhow::Error::msg)?;
    let employee = |department: &str| {
        person(
            &format!("{department}.helsingborg"),
            &helsingborg,
            department,
            &[Role::Employee],
        )
    };
    let admin = person(
        "admin.helsingborg",
        &helsingborg,
        "it",
        &[Role::MunicipalityAdmin],
    )?;
    let lead = person(
        "innovation.helsingborg",
        &helsingborg,
        "it",
        &[Role::InnovationLead],
    )?;
    // IT's portfolio manager, named as a reviewer of the AI idea.
    let reviewer = person("it.helsingborg", &helsingborg, "it", &[Role::ItPortfolio])?;

    let criterion = |name: &str, weight, lower_is_better| ipb::Criterion {
        name: name.into(),
        weight,
        scale_min: 1,
        scale_max: 5,
        lower_is_better,
    };
    let request = ipb::SetIdeaCriteriaRequest {
        criteria: vec![
            criterion("Nytta för invånarna", 50, false),
            criterion("Genomförbarhet", 30, false),
            criterion("Kostnad", 20, true),
        ],
    };
    app.send(&admin, request, |mut c, r| async move {
        c.set_idea_criteria(r).await
    })
    .await?;

    let request = ipb::CreateChallengeRequest {
        details: Some(ipb::ChallengeDetails {
            title: "Mer tid för omsorg".into(),
            description: "Hur kan vi minska administrationen i äldreomsorgen så att \
                          personalen får mer tid hos brukarna?"
                .into(),
            owner: lead.user.to_string(),
            departments: vec!["elderly-care".into()],
            open_from: day(-60)?,
            open_to: day(30)?,
        }),
        draft: false,
    };
    let challenge = app
        .send(&lead, request, |mut c, r| async move {
            c.create_challenge(r).await
        })
        .await?;

    let seeds = seeds();
    let mut ids = Vec::with_capacity(seeds.len());
    // Colleagues support the ideas they like (never their own), some more than others.
    let colleagues = ["social", "hr", "education", "economy", "culture"];
    for (i, seed) in seeds.iter().enumerate() {
        let submitter = employee(seed.department)?;
        let details = ipb::IdeaDetails {
            title: seed.title.into(),
            need: seed.need.into(),
            proposed_solution: seed.solution.into(),
            expected_value: String::new(),
            departments: vec![seed.department.into()],
            tags: seed.tags.iter().map(|t| (*t).to_owned()).collect(),
            challenge_id: if seed.challenge {
                challenge.clone()
            } else {
                String::new()
            },
            driver: seed.driver as i32,
            visibility: seed.visibility as i32,
            reviewers: if seed.stage == Stage::Piloting {
                vec![reviewer.user.to_string()]
            } else {
                Vec::new()
            },
        };
        let request = ipb::SubmitIdeaRequest {
            details: Some(details),
        };
        let id = app
            .send(&submitter, request, |mut c, r| async move {
                c.submit_idea(r).await
            })
            .await?;
        for department in colleagues
            .iter()
            .filter(|d| **d != seed.department)
            .take((seeds.len() - i) % 5)
        {
            let request = ipb::SupportIdeaRequest {
                idea_id: id.clone(),
            };
            app.send(&employee(department)?, request, |mut c, r| async move {
                c.support_idea(r).await
            })
            .await?;
        }
        // Forward one stage at a time; PARKED and STOPPED ideas were explored first.
        let (road_end, aside) = match seed.stage {
            Stage::Parked | Stage::Stopped => (Stage::Exploring, Some(seed.stage)),
            stage => (stage, None),
        };
        let mut stage = Stage::Submitted;
        while stage < road_end {
            let next = Stage::try_from(stage as i32 + 1)?;
            let outcome = if next == Stage::Designing {
                seed.outcome
            } else {
                Outcome::Unspecified
            };
            app.gate(&lead, &id, next, outcome).await?;
            stage = next;
        }
        if let Some(aside) = aside {
            app.gate(&lead, &id, aside, Outcome::Unspecified).await?;
        }
        ids.push(id);
    }

    // A partner in Syddjurs supports the shared sensor idea and asks about it.
    let syddjurs = MunicipalityId::parse("DK-0706").map_err(anyhow::Error::msg)?;
    let partner = person("social.syddjurs", &syddjurs, "social", &[Role::Employee])?;
    let sensors = &ids[1];
    let request = ipb::SupportIdeaRequest {
        idea_id: sensors.clone(),
    };
    app.send(&partner, request, |mut c, r| async move {
        c.support_idea(r).await
    })
    .await?;
    // Support is not forever: one colleague changes their mind about the chatbot.
    let request = ipb::WithdrawSupportRequest {
        idea_id: ids[4].clone(),
    };
    app.send(&employee("social")?, request, |mut c, r| async move {
        c.withdraw_support(r).await
    })
    .await?;
    let economy = employee("economy")?;
    let hr = employee("hr")?;
    let comments: [(&Principal, usize, &str); 5] = [
        (
            &partner,
            1,
            "Vi funderar på samma sak i Syddjurs. Vilken leverantör använder ni?",
        ),
        (
            &lead,
            1,
            "Vi upphandlade tillsammans med Region Skåne; kontakta mig gärna.",
        ),
        (
            &reviewer,
            2,
            "Piloten behöver en DPIA innan vi kopplar på riktiga ärenden.",
        ),
        (
            &economy,
            4,
            "Kan chattboten även svara på frågor om avgifter?",
        ),
        (
            &hr,
            6,
            "HR har provat e-signering i Heroma; det fungerar redan för chefer.",
        ),
    ];
    for (author, idea, text) in comments {
        let request = ipb::CommentOnIdeaRequest {
            idea_id: ids[idea].clone(),
            text: text.into(),
        };
        app.send(author, request, |mut c, r| async move {
            c.comment_on_idea(r).await
        })
        .await?;
    }
    // The submitter of the homework idea tags it better.
    let request = ipb::UpdateIdeaRequest {
        idea_id: ids[7].clone(),
        details: Some(ipb::IdeaDetails {
            tags: vec!["skola".into(), "video".into(), "likvärdighet".into()],
            ..ipb::IdeaDetails::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["tags".into()],
        }),
    };
    app.send(&employee("education")?, request, |mut c, r| async move {
        c.update_idea(r).await
    })
    .await?;

    // The innovation lead scores every idea under way (past SUBMITTED, not put aside); the
    // named reviewer scores the AI idea too.
    let scores = |benefit, feasibility, cost| {
        [
            ("Nytta för invånarna", benefit),
            ("Genomförbarhet", feasibility),
            ("Kostnad", cost),
        ]
        .into_iter()
        .map(|(criterion, value)| ipb::CriterionScore {
            criterion: criterion.into(),
            value,
        })
        .collect::<Vec<_>>()
    };
    let mut scored = Vec::new();
    for (i, (seed, id)) in seeds.iter().zip(&ids).enumerate() {
        if matches!(
            seed.stage,
            Stage::Submitted | Stage::Parked | Stage::Stopped
        ) {
            continue;
        }
        let n = i as i32;
        scored.push((&lead, id, scores(5 - n % 3, 4 - n % 4, 1 + n % 5)));
    }
    scored.push((&reviewer, &ids[2], scores(4, 2, 4)));
    for (by, id, scores) in scored {
        let request = ipb::ScoreIdeaRequest {
            idea_id: id.clone(),
            scores,
        };
        app.send(by, request, |mut c, r| async move { c.score_idea(r).await })
            .await?;
    }

    // A workshop on the challenge, and what came out of it: one item done, one overdue,
    // one still ahead.
    let request = ipb::RecordWorkshopRequest {
        details: Some(ipb::WorkshopDetails {
            title: "Idéverkstad: mer tid för omsorg".into(),
            date: day(-40)?,
            facilitator: lead.user.to_string(),
            participants: vec![
                "elderly-care.helsingborg".into(),
                "social.helsingborg".into(),
                "it.helsingborg".into(),
            ],
            challenge_id: challenge.clone(),
            idea_ids: vec![ids[1].clone(), ids[3].clone(), ids[8].clone()],
            summary: "Personal och chefer i hemtjänsten gick igenom var tiden går och \
                      vilka idéer som kan frigöra mest tid hos brukarna."
                .into(),
            outcomes: vec![
                "Vikarieschemat prioriteras".into(),
                "Fallsensorer provas i två områden".into(),
            ],
        }),
    };
    let workshop = app
        .send(&lead, request, |mut c, r| async move {
            c.record_workshop(r).await
        })
        .await?;
    let items = [
        (
            "Kartlägg dokumentationstiden per besök",
            "elderly-care.helsingborg",
            &ids[8],
            -30,
        ),
        (
            "Ta fram kravbild för vikarieschemat",
            "innovation.helsingborg",
            &ids[3],
            -20,
        ),
        (
            "Boka studiebesök hos leverantören av fallsensorer",
            "elderly-care.helsingborg",
            &ids[1],
            21,
        ),
    ];
    for (n, (title, owner, idea, deadline)) in items.into_iter().enumerate() {
        let request = ipb::AddActionItemRequest {
            workshop_id: workshop.clone(),
            idea_id: idea.clone(),
            title: title.into(),
            owner: owner.into(),
            deadline: day(deadline)?,
        };
        let item = app
            .send(&lead, request, |mut c, r| async move {
                c.add_action_item(r).await
            })
            .await?;
        if n == 1 {
            let request = ipb::CompleteActionItemRequest { item_id: item };
            app.send(&lead, request, |mut c, r| async move {
                c.complete_action_item(r).await
            })
            .await?;
        }
    }

    // The AI idea in its pilot becomes an automation candidate for IT's backlog.
    let request = ipb::SpawnProcessFromIdeaRequest {
        idea_id: ids[2].clone(),
        details: Some(pb::ProcessDetails {
            title: "Biståndsbedömning: utredningsstöd".into(),
            short_description: "Förslag på utredningstext utifrån ansökan om bistånd".into(),
            departments: vec!["social".into()],
            volume: Some(pb::Volume {
                cases_per_year: 4000,
                minutes_per_case: 45.0,
                employees: Some(35),
                automation_share: 30,
            }),
            domains: vec!["social".into()],
            technologies: vec!["AI".into()],
            owner: "social.helsingborg".into(),
            visibility: Visibility::Municipality as i32,
            ..pb::ProcessDetails::default()
        }),
    };
    let spawned: ipb::SpawnReply = send(&app.client, &lead, request, |mut c, r| async move {
        c.spawn_process_from_idea(r).await
    })
    .await?;
    anyhow::ensure!(spawned.outcome.is_some(), "the spawn reported no process");
    Ok(ids.len())
}
