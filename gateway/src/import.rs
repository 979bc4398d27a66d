//! `innohub import os2autoproces FILE --municipality DK-0706`: reads the sheet "Processer" of
//! an OS2autoproces Excel export, maps each row onto innohub's fields
//! (docs/os2autoproces-import.md has the table) and records it through the processes
//! service's ordinary commands, in-process on the embedded data directory, as an importer of
//! that municipality. Every command carries an idempotency key made of the municipality, the
//! OS2autoproces ID and the step, so running the same file again replays and records nothing.
//! Rows that cannot be imported are skipped with the reason; the report lists every row.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use calamine::{Data, Reader as _};
use chrono::NaiveDate;
use std::future::Future;

use innohub_proto::innohub::common::v1::CommandReply;
use innohub_proto::innohub::processes::v1 as pb;
use innohub_proto::innohub::processes::v1::processes_service_client::ProcessesServiceClient;
use innohub_runtime::grpc::{Caller, Channel, ServiceError, send};
use innohub_runtime::{MunicipalityId, Principal, Role, UserId};
use tokio::sync::watch;
use uuid::Uuid;

use crate::graphql::Services;

/// The user the imported processes are reported by.
pub const IMPORTER: &str = "os2autoproces-import";
/// The sheet an OS2autoproces export holds its processes in.
pub const SHEET: &str = "Processer";
/// Columns of the export.
const COLUMNS: usize = 62;

/// `innohub import …`.
#[derive(clap::Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    source: Source,
}

#[derive(clap::Subcommand)]
enum Source {
    /// An OS2autoproces Excel export (sheet "Processer", 62 columns).
    Os2autoproces(Os2autoprocesArgs),
}

#[derive(clap::Args)]
struct Os2autoprocesArgs {
    /// The .xlsx file.
    file: PathBuf,
    /// The municipality the processes are imported into, e.g. DK-0706.
    #[arg(long)]
    municipality: String,
    /// The data directory of `innohub serve` (stop the server first).
    #[arg(long, env = "INNOHUB_DATA_DIR", default_value = "./innohub-data")]
    data_dir: PathBuf,
    /// The department of rows whose "Afdelinger" is empty.
    #[arg(long)]
    department: Option<String>,
}

/// Run `innohub import`.
pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    match args.source {
        Source::Os2autoproces(args) => os2autoproces(args).await,
    }
}

async fn os2autoproces(args: Os2autoprocesArgs) -> anyhow::Result<()> {
    let municipality = MunicipalityId::parse(&args.municipality).map_err(anyhow::Error::msg)?;
    let rows = read_sheet(&args.file)?;
    let (stop, shutdown) = watch::channel(false);
    let (services, databases, _) = crate::embedded::start(&args.data_dir, shutdown).await?;
    let principal = Principal {
        user: UserId::parse(IMPORTER).map_err(anyhow::Error::msg)?,
        municipality: municipality.clone(),
        department: None,
        roles: BTreeSet::from([Role::Employee, Role::ItPortfolio]),
    };
    // The same admission as for a token: only a registered municipality's processes are
    // recorded, and rows of other municipalities (an export also holds what others
    // shared) are not taken for its own.
    let registered = innohub_projections::DirectoryQueries::new(services.views.clone())
        .municipality(&principal, &municipality)
        .await?;
    let Some(registered) = registered else {
        let _ = stop.send(true);
        bail!(
            "{municipality} is not registered in innohub: a platform administrator registers it (registerMunicipality) before its processes are imported"
        );
    };
    let name = registered.municipality.profile.name;
    let mut report = Report::default();
    let mut last = 0;
    for (index, cells) in rows.iter().enumerate() {
        // Row 1 holds the headers.
        let line = index + 2;
        let row = Row(cells);
        let id = row.text(1);
        let outcome = match map(&row, &name, args.department.as_deref()) {
            Err(why) => Outcome::Skipped(why),
            Ok(mapped) => match record(&services, &principal, &id, &mapped).await {
                Ok((process, true, _)) => Outcome::Unchanged(process),
                Ok((process, false, position)) => {
                    last = last.max(position);
                    Outcome::Imported(process)
                }
                Err(e) => Outcome::Failed(e),
            },
        };
        report.add(line, &id, outcome);
    }
    // Let the read models take in what was recorded before stopping them: the process exits
    // with them idle, not in the middle of a batch.
    if last > 0 {
        let token = crate::graphql::ConsistencyToken::at(innohub_processes::SERVICE, last);
        services
            .consistency
            .wait(&token, std::time::Duration::from_secs(60))
            .await;
    }
    let _ = stop.send(true);
    drop(databases);
    report.print(&args.file, &municipality);
    if report.failed > 0 {
        bail!("{} rows failed", report.failed);
    }
    Ok(())
}

/// The data rows of the sheet (without the header row), each padded to 62 cells.
fn read_sheet(file: &std::path::Path) -> anyhow::Result<Vec<Vec<Data>>> {
    let mut workbook = calamine::open_workbook_auto(file)
        .with_context(|| format!("opening {}", file.display()))?;
    let range = workbook
        .worksheet_range(SHEET)
        .with_context(|| format!("{} has no sheet {SHEET:?}", file.display()))?;
    let mut rows = range.rows();
    let header = rows.next().context("the sheet is empty")?;
    let first = header.first().map(cell_text).unwrap_or_default();
    if !first.eq_ignore_ascii_case("ID") || header.len() < COLUMNS {
        bail!(
            "sheet {SHEET:?} is not an OS2autoproces export: expected {COLUMNS} columns starting with ID, found {} starting with {first:?}",
            header.len()
        );
    }
    Ok(rows
        .filter(|r| r.iter().any(|c| !matches!(c, Data::Empty)))
        .map(|r| {
            let mut r = r.to_vec();
            r.resize(COLUMNS.max(r.len()), Data::Empty);
            r
        })
        .collect())
}

/// A cell as text: trimmed; whole numbers without a decimal point; dates as ISO 8601.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d
            .as_datetime()
            .map(|d| d.date().to_string())
            .unwrap_or_default(),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

/// One data row; columns are numbered from 1 as in the documentation.
struct Row<'a>(&'a [Data]);

impl Row<'_> {
    fn cell(&self, column: usize) -> &Data {
        self.0.get(column - 1).unwrap_or(&Data::Empty)
    }

    fn text(&self, column: usize) -> String {
        cell_text(self.cell(column))
    }

    /// A comma-separated list, trimmed, without blanks.
    fn list(&self, column: usize) -> Vec<String> {
        split(&self.text(column), ',')
    }

    /// The lines of a cell, trimmed, without blanks.
    fn lines(&self, column: usize) -> Vec<String> {
        split(&self.text(column), '\n')
    }

    fn number(&self, column: usize) -> Result<Option<f64>, String> {
        let raw = self.text(column);
        if raw.is_empty() {
            return Ok(None);
        }
        raw.replace(' ', "")
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map(Some)
            .ok_or_else(|| format!("column {column} is not a number: {raw:?}"))
    }

    fn count(&self, column: usize) -> Result<Option<u32>, String> {
        Ok(self
            .number(column)?
            .map(|n| n.round().min(f64::from(u32::MAX)) as u32))
    }

    fn yes(&self, column: usize) -> bool {
        matches!(self.cell(column), Data::Bool(true))
            || matches!(
                fold(&self.text(column)).as_str(),
                "ja" | "yes" | "true" | "sand" | "1" | "x"
            )
    }

    fn date(&self, column: usize) -> Result<Option<NaiveDate>, String> {
        if let Data::DateTime(d) = self.cell(column) {
            return Ok(d.as_datetime().map(|d| d.date()));
        }
        let raw = self.text(column);
        if raw.is_empty() {
            return Ok(None);
        }
        let day = raw.split([' ', 'T']).next().unwrap_or_default();
        ["%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(day, f).ok())
            .map(Some)
            .ok_or_else(|| format!("column {column} is not a date: {raw:?}"))
    }
}

fn split(raw: &str, separator: char) -> Vec<String> {
    raw.split(separator)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Lower case, Danish letters folded (æ→ae, ø→oe, å→aa), single spaces: both spellings of
/// a label compare equal.
fn fold(raw: &str) -> String {
    raw.trim()
        .to_lowercase()
        .replace('æ', "ae")
        .replace('ø', "oe")
        .replace('å', "aa")
        .replace('é', "e")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A row mapped onto innohub: what the commands carry.
#[derive(Debug, Clone, PartialEq)]
struct Mapped {
    details: pb::ProcessDetails,
    assessment: pb::Assessment,
    phase: pb::Phase,
    status: Option<(pb::Status, String)>,
    experience: Option<pb::Experience>,
}

/// The phase of a Danish label; `Err` for a label innohub has no phase for.
fn phase(label: &str) -> Result<pb::Phase, String> {
    Ok(match fold(label).as_str() {
        "ide" | "idea" => pb::Phase::Idea,
        "foranalyse" | "preanalysis" | "pre_analysis" => pb::Phase::PreAnalysis,
        "specifikation" | "specification" => pb::Phase::Specification,
        "udvikling" | "development" => pb::Phase::Development,
        "implementering" | "implementation" => pb::Phase::Implementation,
        "drift" | "i drift" | "operation" => pb::Phase::Operation,
        "taget ud af drift" | "decommissioned" => pb::Phase::Decommissioned,
        "deling (ingen fase)" | "deling" | "sharing" => {
            return Err(format!(
                "phase {label:?} (shared, no phase) has no innohub phase"
            ));
        }
        "" => return Err("no phase (Fase is empty)".into()),
        _ => return Err(format!("unknown phase {label:?}")),
    })
}

/// The status of a Danish label; `None` when the cell is empty.
fn status(label: &str) -> Result<Option<pb::Status>, String> {
    Ok(Some(match fold(label).as_str() {
        "" => return Ok(None),
        "ikke vurderet" | "not_assessed" => pb::Status::NotAssessed,
        "i gang" | "igang" | "inprogress" | "in_progress" => pb::Status::InProgress,
        "afventer" | "pending" | "on_hold" => pb::Status::OnHold,
        "afvist" | "rejected" => pb::Status::Rejected,
        "mislykket" | "failed" => pb::Status::Failed,
        "ikke relevant mere" | "ikke relevant" | "not_relevant" => pb::Status::NotRelevant,
        _ => return Err(format!("unknown status {label:?}")),
    }))
}

fn visibility(label: &str) -> Result<pb::Visibility, String> {
    Ok(match fold(label).as_str() {
        "personlig" | "personal" => pb::Visibility::Private,
        "" | "myndighed" | "municipality" => pb::Visibility::Municipality,
        "offentlig" | "public" => pb::Visibility::Public,
        _ => return Err(format!("unknown visibility {label:?}")),
    })
}

fn run_period(label: &str) -> Result<pb::RunPeriod, String> {
    Ok(match fold(label).as_str() {
        "" => pb::RunPeriod::Unspecified,
        "efter behov" | "loebende koersel" | "on_demand" => pb::RunPeriod::OnDemand,
        "enkeltkoersel" | "engangskoersel" | "one_off" => pb::RunPeriod::OneOff,
        "dagligt" | "daily" => pb::RunPeriod::Daily,
        "ugentligt" | "weekly" => pb::RunPeriod::Weekly,
        "maanedligt" | "monthly" => pb::RunPeriod::Monthly,
        "kvartalsvis" | "hvert kvartal" | "quarterly" => pb::RunPeriod::Quarterly,
        "aarligt" | "yearly" => pb::RunPeriod::Yearly,
        _ => return Err(format!("unknown run period (Skedulering) {label:?}")),
    })
}

/// innohub's name of an OS2autoproces domain (Fagområde); others are kept as they are.
fn domain(label: &str) -> String {
    match fold(label).as_str() {
        "administration" => "administration",
        "beskaeftigelse" => "employment",
        "erhverv" => "business",
        "familie" => "family",
        "uddannelse" => "education",
        "demokrati" => "democracy",
        "miljoe" => "environment",
        "teknik" => "technical",
        "social" => "social",
        "sundhed" => "health",
        "baeredygtighed" => "sustainability",
        "hr" => "hr",
        "it" => "it",
        "kultur" => "culture",
        "oekonomi" => "economy",
        _ => return label.trim().to_owned(),
    }
    .to_owned()
}

/// An assessment answer on innohub's 1–5 scale (`inverted` for a question whose "to a high
/// degree" is innohub's low end); `None` for don't know, not considered or empty.
fn answer(label: &str, inverted: bool) -> Result<Option<u32>, String> {
    let rating = match fold(label).as_str() {
        "i hoej grad" => 5,
        "i nogen grad" => 4,
        "i mindre grad" => 2,
        "slet ikke" => 1,
        "" | "ved ikke" | "ikke forholdt sig" => return Ok(None),
        _ => return Err(format!("unknown assessment answer {label:?}")),
    };
    Ok(Some(if inverted { 6 - rating } else { rating }))
}

/// The nine answers (columns 39–47, with 46 and 47 swapped in the export) as innohub's
/// assessment.
fn assessment(row: &Row<'_>) -> Result<pb::Assessment, String> {
    let a = |column: usize, inverted: bool| answer(&row.text(column), inverted);
    let judgement = a(39, true)?;
    let changes = a(40, true)?;
    let structured = a(41, false)?;
    let varying = a(42, false)?;
    let digital = a(43, false)?;
    let quality = a(44, false)?;
    let service = a(45, false)?;
    // Column 46 holds "how far it can be automated" (not rated by innohub: it derives the
    // potential itself); column 47 holds "staff relief from routine work".
    a(46, false)?;
    let relief = a(47, false)?;
    let structured_input = match (structured, digital) {
        (Some(s), Some(d)) => Some((s + d).div_ceil(2)),
        (s, d) => s.or(d),
    };
    Ok(pb::Assessment {
        rules_based: judgement,
        structured_input,
        process_stability: changes,
        case_variation: varying,
        quality_gain: quality,
        speed_gain: service,
        routine_relief: relief,
        ..Default::default()
    })
}

/// Map a row onto innohub's fields, or say why it cannot be imported.
fn map(row: &Row<'_>, municipality: &str, department: Option<&str>) -> Result<Mapped, String> {
    if row.text(1).is_empty() {
        return Err("no OS2autoproces ID".into());
    }
    let authority = row.text(16);
    if !authority.is_empty() && !fold(&authority).contains(&fold(municipality)) {
        return Err(format!(
            "a process of another municipality (Myndighed: {authority:?}, not {municipality})"
        ));
    }
    let title = row.text(2);
    if title.is_empty() {
        return Err("no title (Titel)".into());
    }
    let length = title.chars().count();
    if length > 80 {
        return Err(format!(
            "the title is {length} characters; innohub allows 80"
        ));
    }
    let summary = row.text(3);
    if summary.is_empty() {
        return Err("no short description (Resumé)".into());
    }
    let length = summary.chars().count();
    if length > 200 {
        return Err(format!(
            "the short description (Resumé) is {length} characters; innohub allows 200"
        ));
    }
    let phase = phase(&row.text(4))?;
    let status = status(&row.text(5))?;
    let mut departments = row.list(15);
    if departments.is_empty() {
        departments.extend(department.map(str::to_owned));
    }
    if departments.is_empty() {
        return Err("no department: Afdelinger is empty and no --department was given".into());
    }
    let mut it_systems: Vec<String> = Vec::new();
    for system in [row.list(25), row.list(26), row.list(52)].concat() {
        if !it_systems.contains(&system) {
            it_systems.push(system);
        }
    }
    let mut domains: Vec<String> = Vec::new();
    for d in row.list(14).iter().map(|d| domain(d)) {
        if !domains.contains(&d) {
            domains.push(d);
        }
    }
    let technologies = row.list(50);
    let links = row.lines(60);
    let repository = links
        .get(1)
        .filter(|l| l.starts_with("http://") || l.starts_with("https://"))
        .cloned()
        .unwrap_or_default();
    let other_links: Vec<&String> = links.iter().skip(2).collect();
    let mut long_description = row.text(22);
    if !other_links.is_empty() {
        let list = other_links
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        long_description = format!("{long_description}\n\nLinks:\n{list}")
            .trim()
            .to_owned();
    }
    let people = |column: usize| row.lines(column).join(", ");
    let mut internal = vec![format!(
        "Importeret fra OS2autoproces (ID {}{}).",
        row.text(1),
        links.first().map(|l| format!(", {l}")).unwrap_or_default()
    )];
    let noted = [
        ("Indberetter", people(7)),
        ("Tilknyttede personer", people(12)),
        ("Anden kontakt information", row.text(11)),
        ("Tidskommentar", row.text(38)),
        ("ESDH-reference", row.text(59)),
    ];
    for (label, value) in noted {
        if !value.is_empty() {
            internal.push(format!("{label}: {value}"));
        }
    }
    let notes = row.text(62);
    if !notes.is_empty() {
        internal.push(notes);
    }
    let kle = row.text(19);
    let contact = row
        .lines(9)
        .into_iter()
        .next()
        .or_else(|| row.lines(10).into_iter().next());
    let details = pb::ProcessDetails {
        title,
        short_description: summary,
        long_description,
        pain_points: row.text(24),
        wished_solution: row.text(23),
        departments,
        owner: row.lines(8).into_iter().next().unwrap_or_default(),
        contact: contact.unwrap_or_default(),
        classification: (!kle.is_empty()).then(|| pb::Classification {
            scheme: "KLE".into(),
            code: kle,
        }),
        legal_basis: row.text(18),
        domains,
        it_systems,
        technologies,
        vendor: row.text(17),
        targets_citizens: row.yes(35),
        targets_companies: row.yes(36),
        volume: Some(pb::Volume {
            cases_per_year: row.count(29)?.unwrap_or(0),
            minutes_per_case: row.number(30)?.unwrap_or(0.0),
            employees: row.count(34)?,
            automation_share: row.count(31)?.unwrap_or(0).min(100),
        }),
        development_effort_hours: row.count(37)?,
        go_live_date: row.date(56)?.map(|d| d.to_string()).unwrap_or_default(),
        internal_notes: internal.join("\n"),
        visibility: visibility(&row.text(13))? as i32,
        run_period: run_period(&row.text(51))? as i32,
        legal_basis_verified_on: row.date(55)?.map(|d| d.to_string()).unwrap_or_default(),
    };
    let assessment = assessment(row)?;
    let phase_label = row.text(4);
    if phase >= pb::Phase::PreAnalysis && assessment == pb::Assessment::default() {
        return Err(format!(
            "phase {phase_label:?} needs an assessment, and none of the nine answers is known"
        ));
    }
    if phase >= pb::Phase::Development && details.technologies.is_empty() {
        return Err(format!(
            "phase {phase_label:?} needs technologies, and Anvendt teknologi is empty"
        ));
    }
    if phase >= pb::Phase::Operation && details.go_live_date.is_empty() {
        return Err(format!(
            "phase {phase_label:?} needs the date it went into operation (column 56), which is empty"
        ));
    }
    let rating = row.count(54)?;
    if rating.is_some_and(|r| r > 3) {
        return Err(format!("Rating must be 0 to 3, got {}", row.text(54)));
    }
    let experience = pb::Experience {
        what_was_built: row.text(53),
        technical_notes: row.text(48),
        organisational_notes: row.text(49),
        run_frequency: String::new(),
        realised_benefit: rating,
        realised_benefit_comment: row.text(58),
        repository_url: repository,
        decommission_date: row.date(57)?.map(|d| d.to_string()).unwrap_or_default(),
    };
    let experience = (phase >= pb::Phase::Operation && experience != pb::Experience::default())
        .then_some(experience);
    let status = status.map(|s| {
        let reason = match row.text(6) {
            r if r.is_empty() && requires_reason(s) => {
                "Importeret fra OS2autoproces uden statustekst".to_owned()
            }
            r => r,
        };
        (s, reason)
    });
    Ok(Mapped {
        details,
        assessment,
        phase,
        status,
        experience,
    })
}

fn requires_reason(status: pb::Status) -> bool {
    matches!(
        status,
        pb::Status::OnHold | pb::Status::Rejected | pb::Status::Failed | pb::Status::NotRelevant
    )
}

/// Record a mapped row: submit, assess, each phase step, the status, the experience. Returns
/// the process id, whether every command was a replay (nothing new recorded) and the
/// store's position after the last command.
async fn record(
    services: &Services,
    principal: &Principal,
    os2_id: &str,
    row: &Mapped,
) -> Result<(Uuid, bool, i64), String> {
    let key = |step: &str| format!("os2autoproces/{}/{os2_id}/{step}", principal.municipality);
    let client = &services.processes;
    let mut replayed = true;
    let mut position = 0;
    let mut sent = |reply: CommandReply| {
        replayed &= reply.replayed;
        position = position.max(reply.position);
        reply
    };
    let submitted = sent(
        command(
            principal,
            &key("submit"),
            pb::SubmitProcessRequest {
                details: Some(row.details.clone()),
                origin: None,
            },
            client,
            |mut c, r| async move { c.submit_process(r).await },
        )
        .await?,
    );
    let id = Uuid::parse_str(&submitted.aggregate_id).map_err(|e| e.to_string())?;
    let process_id = id.to_string();
    let mut status = pb::Status::NotAssessed;
    if row.assessment != pb::Assessment::default() {
        sent(
            command(
                principal,
                &key("assess"),
                pb::AssessProcessRequest {
                    process_id: process_id.clone(),
                    assessment: Some(row.assessment),
                },
                client,
                |mut c, r| async move { c.assess_process(r).await },
            )
            .await?,
        );
        status = pb::Status::InProgress;
    }
    let mut at = pb::Phase::Idea;
    while at < row.phase {
        let next = pb::Phase::try_from(at as i32 + 1).map_err(|e| e.to_string())?;
        sent(
            command(
                principal,
                &key(&format!("phase/{}", next.as_str_name())),
                pb::ChangeProcessPhaseRequest {
                    process_id: process_id.clone(),
                    to: next as i32,
                    reason: String::new(),
                },
                client,
                |mut c, r| async move { c.change_process_phase(r).await },
            )
            .await?,
        );
        at = next;
    }
    if let Some((to, reason)) = &row.status
        && *to != status
    {
        sent(
            command(
                principal,
                &key(&format!("status/{}", to.as_str_name())),
                pb::ChangeProcessStatusRequest {
                    process_id: process_id.clone(),
                    to: *to as i32,
                    reason: reason.clone(),
                },
                client,
                |mut c, r| async move { c.change_process_status(r).await },
            )
            .await?,
        );
    }
    if let Some(experience) = &row.experience {
        sent(
            command(
                principal,
                &key("experience"),
                pb::RecordProcessExperienceRequest {
                    process_id: process_id.clone(),
                    experience: Some(experience.clone()),
                },
                client,
                |mut c, r| async move { c.record_process_experience(r).await },
            )
            .await?,
        );
    }
    Ok((id, replayed, position))
}

/// Send one command of the import as `principal` with idempotency key `key`.
async fn command<M, F, Fut>(
    principal: &Principal,
    key: &str,
    message: M,
    client: &ProcessesServiceClient<Channel>,
    call: F,
) -> Result<CommandReply, String>
where
    F: FnOnce(ProcessesServiceClient<Channel>, tonic::Request<M>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<CommandReply>, tonic::Status>>,
{
    let caller = Caller {
        principal,
        token: None,
        idempotency_key: Some(key),
        correlation_id: Some(Uuid::now_v7()),
    };
    send(client, caller, message, call)
        .await
        .map_err(|e: ServiceError| format!("{} ({})", e.message, e.code.as_str()))
}

/// What became of a row.
enum Outcome {
    /// Recorded now.
    Imported(Uuid),
    /// Every command was recorded by an earlier run: nothing changed.
    Unchanged(Uuid),
    /// Not imported, and why.
    Skipped(String),
    /// A command was refused.
    Failed(String),
}

/// The import's report: a line per row, and the totals.
#[derive(Default)]
struct Report {
    lines: Vec<String>,
    imported: usize,
    unchanged: usize,
    skipped: usize,
    failed: usize,
}

impl Report {
    fn add(&mut self, line: usize, id: &str, outcome: Outcome) {
        let row = if id.is_empty() {
            format!("row {line}")
        } else {
            format!("row {line} (ID {id})")
        };
        let text = match outcome {
            Outcome::Imported(process) => {
                self.imported += 1;
                format!("{row}: imported as {process}")
            }
            Outcome::Unchanged(process) => {
                self.unchanged += 1;
                format!("{row}: unchanged, imported before as {process}")
            }
            Outcome::Skipped(why) => {
                self.skipped += 1;
                format!("{row}: skipped: {why}")
            }
            Outcome::Failed(why) => {
                self.failed += 1;
                format!("{row}: failed: {why}")
            }
        };
        self.lines.push(text);
    }

    fn print(&self, file: &std::path::Path, municipality: &MunicipalityId) {
        println!(
            "OS2autoproces import of {} into {municipality}",
            file.display()
        );
        for line in &self.lines {
            println!("{line}");
        }
        println!(
            "total: {} rows, {} imported, {} unchanged, {} skipped, {} failed",
            self.lines.len(),
            self.imported,
            self.unchanged,
            self.skipped,
            self.failed
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_of_the_labels_map() {
        assert_eq!(phase("Drift"), Ok(pb::Phase::Operation));
        assert_eq!(phase("I drift"), Ok(pb::Phase::Operation));
        assert_eq!(phase("Idé"), Ok(pb::Phase::Idea));
        assert!(phase("Deling (ingen fase)").is_err());
        assert_eq!(run_period("Løbende kørsel"), Ok(pb::RunPeriod::OnDemand));
        assert_eq!(run_period("Efter behov"), Ok(pb::RunPeriod::OnDemand));
        assert_eq!(run_period("Hvert kvartal"), Ok(pb::RunPeriod::Quarterly));
        assert_eq!(run_period("Kvartalsvis"), Ok(pb::RunPeriod::Quarterly));
        assert_eq!(run_period("Engangskørsel"), Ok(pb::RunPeriod::OneOff));
        assert_eq!(
            status("Ikke relevant mere"),
            Ok(Some(pb::Status::NotRelevant))
        );
        assert_eq!(visibility("Personlig"), Ok(pb::Visibility::Private));
        assert_eq!(domain("Økonomi"), "economy");
        assert_eq!(domain("Beskæftigelse"), "employment");
    }

    #[test]
    fn answers_map_onto_ratings_and_inverted_questions_turn_around() {
        assert_eq!(answer("I høj grad", false), Ok(Some(5)));
        assert_eq!(answer("I høj grad", true), Ok(Some(1)));
        assert_eq!(answer("I nogen grad", false), Ok(Some(4)));
        assert_eq!(answer("I mindre grad", false), Ok(Some(2)));
        assert_eq!(answer("Slet ikke", true), Ok(Some(5)));
        assert_eq!(answer("Ved ikke", false), Ok(None));
        assert_eq!(answer("Ikke forholdt sig", false), Ok(None));
        assert!(answer("Måske", false).is_err());
    }
}
