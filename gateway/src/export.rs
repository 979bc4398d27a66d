//! The spreadsheet export of the processes list: `GET /export/processes.xlsx` and
//! `GET /export/processes.csv`. The rows are exactly what the `processes` query returns for
//! the caller and filter, in its order (the same read rule, so partners get people, internal
//! notes and departments empty); the column headers are Danish, Swedish or English as the
//! `Accept-Language` header prefers.
//!
//! Query parameter `filter`: the JSON of the GraphQL input `ProcessFilter`, parsed as that
//! very input type (same fields, same validation).

use async_graphql::{InputType as _, Pos};
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use innohub_projections::access::ProcessView;
use innohub_projections::queries::{Position, ProcessFilter as Filter, ProcessList};
use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::{Access, ErrorCode, HasErrorCode as _, Viewer};

use crate::graphql::{ProcessFilter, Services};
use crate::server::{AppState, Refusal};

/// Rows read from the read models per page.
const PAGE: i64 = 500;
/// The most rows one export holds (a guard, far above any municipality's register).
const MAX_ROWS: usize = 200_000;

/// `GET /export/processes.xlsx`: the processes as an Excel workbook, one sheet.
pub async fn xlsx(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    export(&state, address, &headers, query.as_deref(), Kind::Xlsx).await
}

/// `GET /export/processes.csv`: the processes as CSV (UTF-8 with a byte-order mark, comma
/// separated, quoted as RFC 4180 says), which Excel opens as it is.
pub async fn csv(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    export(&state, address, &headers, query.as_deref(), Kind::Csv).await
}

/// The file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Xlsx,
    Csv,
}

async fn export(
    state: &AppState,
    address: SocketAddr,
    headers: &HeaderMap,
    query: Option<&str>,
    kind: Kind,
) -> Response {
    let viewer = match crate::server::viewer_of(state, address, headers).await {
        Ok(viewer) => viewer,
        Err(refusal) => return refusal.into_response(),
    };
    let filter = match filter(query) {
        Ok(filter) => filter,
        Err(message) => return Refusal::new(ErrorCode::BadUserInput, message).into_response(),
    };
    let language = Language::negotiate(headers);
    let Some(services) = state.services() else {
        tracing::error!("the schema holds no services");
        return Refusal::new(ErrorCode::Internal, "internal error").into_response();
    };
    let rows = match rows(services, &viewer, &filter).await {
        Ok(rows) => rows,
        Err(response) => return response,
    };
    let (body, content_type) = match kind {
        Kind::Xlsx => match workbook(language, &rows) {
            Ok(bytes) => (
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            Err(e) => {
                tracing::error!(error = %e, "writing the xlsx export");
                return Refusal::new(ErrorCode::Internal, "internal error").into_response();
            }
        },
        Kind::Csv => (comma_separated(language, &rows), "text/csv; charset=utf-8"),
    };
    let name = match kind {
        Kind::Xlsx => "processes.xlsx",
        Kind::Csv => "processes.csv",
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
            (
                header::CONTENT_LANGUAGE,
                HeaderValue::from_static(language.tag()),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::VARY,
                HeaderValue::from_static("Authorization, Accept-Language"),
            ),
        ],
        body,
    )
        .into_response()
}

/// The read models' filter from the `filter` parameter (JSON of the GraphQL input
/// `ProcessFilter`); none is no filter.
fn filter(query: Option<&str>) -> Result<Filter, String> {
    let raw = query
        .into_iter()
        .flat_map(url_pairs)
        .find_map(|(name, value)| (name == "filter").then_some(value));
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok(Filter::default());
    };
    let json: serde_json::Value =
        serde_json::from_str(&raw).map_err(|e| format!("filter must be JSON: {e}"))?;
    let value = async_graphql::Value::from_json(json)
        .map_err(|e| format!("filter must be a JSON object: {e}"))?;
    let input = ProcessFilter::parse(Some(value))
        .map_err(|e| format!("filter: {}", e.into_server_error(Pos::default()).message))?;
    input
        .into_filter()
        .map_err(|e| format!("filter: {}", e.message))
}

/// The `name=value` pairs of a URL query, percent-decoded (`+` is a space).
fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every process of the `processes` query for `viewer` and `filter`, in its order.
async fn rows(
    services: &Services,
    viewer: &Viewer,
    filter: &Filter,
) -> Result<Vec<ProcessView>, Response> {
    let mut rows = Vec::new();
    let mut after: Option<Position> = None;
    loop {
        let page = services
            .queries
            .processes(viewer, ProcessList::All, filter, after.as_ref(), PAGE)
            .await
            .map_err(|e| {
                let code = e.code();
                if code == ErrorCode::Internal {
                    tracing::error!(error = %e, "reading the processes to export");
                    Refusal::new(code, "internal error").into_response()
                } else {
                    Refusal::new(code, e.to_string()).into_response()
                }
            })?;
        after = page.items.last().map(|(_, at)| at.clone());
        rows.extend(page.items.into_iter().map(|(view, _)| view));
        if !page.has_next || after.is_none() {
            return Ok(rows);
        }
        if rows.len() >= MAX_ROWS {
            return Err(Refusal::new(
                ErrorCode::BadUserInput,
                format!("more than {MAX_ROWS} processes match; narrow the filter"),
            )
            .into_response());
        }
    }
}

/// The languages of the column headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// English (the default).
    English,
    /// Danish.
    Danish,
    /// Swedish.
    Swedish,
}

impl Language {
    /// The language `Accept-Language` prefers: the highest `q` among da, sv and en (the
    /// first listed on a tie; `*` is English); English when it names none of them.
    pub fn negotiate(headers: &HeaderMap) -> Self {
        let Some(accept) = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
        else {
            return Language::English;
        };
        let mut best: Option<(f32, Language)> = None;
        for range in accept.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or_default();
            let language = match primary {
                "da" => Language::Danish,
                "sv" => Language::Swedish,
                "en" | "*" => Language::English,
                _ => continue,
            };
            if q <= 0.0 {
                continue;
            }
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, language));
            }
        }
        best.map_or(Language::English, |(_, language)| language)
    }

    /// The language's tag, for `Content-Language`.
    fn tag(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Danish => "da",
            Language::Swedish => "sv",
        }
    }
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    Number(f64),
    Bool(bool),
    Empty,
}

impl Cell {
    fn text(value: &str) -> Cell {
        if value.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(value.to_owned())
        }
    }

    fn list(values: &[String]) -> Cell {
        Cell::text(&values.join("; "))
    }

    fn number(value: Option<f64>) -> Cell {
        value.map_or(Cell::Empty, Cell::Number)
    }
}

/// A column: its headers in English, Danish and Swedish, and its value.
struct Column {
    en: &'static str,
    da: &'static str,
    sv: &'static str,
    value: fn(&ProcessView) -> Cell,
}

impl Column {
    fn header(&self, language: Language) -> &'static str {
        match language {
            Language::English => self.en,
            Language::Danish => self.da,
            Language::Swedish => self.sv,
        }
    }
}

/// A contract enum's name without its prefix, as the GraphQL enum spells it.
fn name(full: &str, prefix: &str) -> Cell {
    Cell::text(full.strip_prefix(prefix).unwrap_or(full))
}

fn volume(p: &ProcessView) -> pb::Volume {
    p.details.volume.unwrap_or_default()
}

fn experience(p: &ProcessView) -> pb::Experience {
    p.experience.clone().unwrap_or_default()
}

/// The columns, in order.
const COLUMNS: &[Column] = &[
    Column {
        en: "ID",
        da: "ID",
        sv: "ID",
        value: |p| Cell::Text(p.id.to_string()),
    },
    Column {
        en: "Municipality",
        da: "Kommune",
        sv: "Kommun",
        value: |p| Cell::Text(p.municipality.to_string()),
    },
    Column {
        en: "Title",
        da: "Titel",
        sv: "Titel",
        value: |p| Cell::text(&p.details.title),
    },
    Column {
        en: "Short description",
        da: "Resumé",
        sv: "Sammanfattning",
        value: |p| Cell::text(&p.details.short_description),
    },
    Column {
        en: "Phase",
        da: "Fase",
        sv: "Fas",
        value: |p| name(p.phase.as_str_name(), "PHASE_"),
    },
    Column {
        en: "Status",
        da: "Status",
        sv: "Status",
        value: |p| name(p.status.as_str_name(), "STATUS_"),
    },
    Column {
        en: "Status reason",
        da: "Statustekst",
        sv: "Statusorsak",
        value: |p| Cell::text(&p.status_reason),
    },
    Column {
        en: "Visibility",
        da: "Synlighed",
        sv: "Synlighet",
        value: |p| name(p.details.visibility().as_str_name(), "VISIBILITY_"),
    },
    Column {
        en: "Shared with you",
        da: "Delt med dig",
        sv: "Delad med dig",
        value: |p| Cell::Bool(p.access == Access::Partner),
    },
    Column {
        en: "Departments",
        da: "Afdelinger",
        sv: "Förvaltningar",
        value: |p| Cell::list(&p.details.departments),
    },
    Column {
        en: "Reporter",
        da: "Indberetter",
        sv: "Rapportör",
        value: |p| Cell::text(p.reporter.as_deref().unwrap_or_default()),
    },
    Column {
        en: "Owner",
        da: "Faglig kontaktperson",
        sv: "Processägare",
        value: |p| Cell::text(&p.details.owner),
    },
    Column {
        en: "Contact",
        da: "Kontaktperson",
        sv: "Kontaktperson",
        value: |p| Cell::text(&p.details.contact),
    },
    Column {
        en: "Classification",
        da: "Klassifikation",
        sv: "Klassificering",
        value: |p| match &p.details.classification {
            Some(c) if !c.scheme.is_empty() => Cell::Text(format!("{} {}", c.scheme, c.code)),
            _ => Cell::Empty,
        },
    },
    Column {
        en: "Domains",
        da: "Fagområder",
        sv: "Verksamhetsområden",
        value: |p| Cell::list(&p.details.domains),
    },
    Column {
        en: "IT systems",
        da: "It-systemer",
        sv: "IT-system",
        value: |p| Cell::list(&p.details.it_systems),
    },
    Column {
        en: "Technologies",
        da: "Teknologier",
        sv: "Teknologier",
        value: |p| Cell::list(&p.details.technologies),
    },
    Column {
        en: "Vendor",
        da: "Leverandør",
        sv: "Leverantör",
        value: |p| Cell::text(&p.details.vendor),
    },
    Column {
        en: "Run period",
        da: "Skedulering",
        sv: "Körintervall",
        value: |p| match p.details.run_period() {
            pb::RunPeriod::Unspecified => Cell::Empty,
            period => name(period.as_str_name(), "RUN_PERIOD_"),
        },
    },
    Column {
        en: "Cases per year",
        da: "Antal forekomster om året",
        sv: "Ärenden per år",
        value: |p| Cell::Number(f64::from(volume(p).cases_per_year)),
    },
    Column {
        en: "Minutes per case",
        da: "Minutter pr. forekomst",
        sv: "Minuter per ärende",
        value: |p| Cell::Number(volume(p).minutes_per_case),
    },
    Column {
        en: "Employees",
        da: "Antal medarbejdere",
        sv: "Antal medarbetare",
        value: |p| Cell::number(volume(p).employees.map(f64::from)),
    },
    Column {
        en: "Automation share %",
        da: "Automatiseringsgrad %",
        sv: "Automatiseringsgrad %",
        value: |p| Cell::Number(f64::from(volume(p).automation_share)),
    },
    Column {
        en: "Manual hours per year",
        da: "Manuelle timer om året",
        sv: "Manuella timmar per år",
        value: |p| Cell::Number(innohub_priority::manual_hours(&volume(p))),
    },
    Column {
        en: "Hours saved per year",
        da: "Sparede timer om året",
        sv: "Sparade timmar per år",
        value: |p| Cell::Number(innohub_priority::hours_saved(&volume(p))),
    },
    Column {
        en: "Development effort (hours)",
        da: "Udviklingstid (timer)",
        sv: "Utvecklingstid (timmar)",
        value: |p| Cell::number(p.details.development_effort_hours.map(f64::from)),
    },
    Column {
        en: "Automation potential",
        da: "Automatiseringspotentiale",
        sv: "Automatiseringspotential",
        value: |p| {
            Cell::number(
                p.assessment
                    .as_ref()
                    .and_then(innohub_priority::automation_potential),
            )
        },
    },
    Column {
        en: "Ease of implementation",
        da: "Lethed ved implementering",
        sv: "Enkelhet att införa",
        value: |p| {
            Cell::number(
                p.assessment
                    .as_ref()
                    .and_then(innohub_priority::ease_of_implementation),
            )
        },
    },
    Column {
        en: "Priority score",
        da: "Prioritetsscore",
        sv: "Prioritetspoäng",
        value: |p| Cell::Number(p.score),
    },
    Column {
        en: "Targets citizens",
        da: "Rettet mod borgere",
        sv: "Riktar sig till medborgare",
        value: |p| Cell::Bool(p.details.targets_citizens),
    },
    Column {
        en: "Targets companies",
        da: "Rettet mod virksomheder",
        sv: "Riktar sig till företag",
        value: |p| Cell::Bool(p.details.targets_companies),
    },
    Column {
        en: "Legal basis",
        da: "Lovparagraf",
        sv: "Rättslig grund",
        value: |p| Cell::text(&p.details.legal_basis),
    },
    Column {
        en: "Legal basis verified on",
        da: "Lovparagraf verificeret",
        sv: "Rättslig grund kontrollerad",
        value: |p| Cell::text(&p.details.legal_basis_verified_on),
    },
    Column {
        en: "Long description",
        da: "Beskrivelse",
        sv: "Beskrivning",
        value: |p| Cell::text(&p.details.long_description),
    },
    Column {
        en: "Pain points",
        da: "Udfordringer",
        sv: "Utmaningar",
        value: |p| Cell::text(&p.details.pain_points),
    },
    Column {
        en: "Wished solution",
        da: "Idéer til løsning",
        sv: "Önskad lösning",
        value: |p| Cell::text(&p.details.wished_solution),
    },
    Column {
        en: "Internal notes",
        da: "Interne noter",
        sv: "Interna anteckningar",
        value: |p| Cell::text(&p.details.internal_notes),
    },
    Column {
        en: "Go-live date",
        da: "I drift fra",
        sv: "I drift från",
        value: |p| Cell::text(&p.details.go_live_date),
    },
    Column {
        en: "Decommission date",
        da: "Taget ud af drift",
        sv: "Avvecklad",
        value: |p| Cell::text(&experience(p).decommission_date),
    },
    Column {
        en: "Realised benefit (0-3)",
        da: "Realiseret gevinst (0-3)",
        sv: "Realiserad nytta (0-3)",
        value: |p| Cell::number(experience(p).realised_benefit.map(f64::from)),
    },
    Column {
        en: "Repository",
        da: "Kodebibliotek",
        sv: "Kodförråd",
        value: |p| Cell::text(&experience(p).repository_url),
    },
    Column {
        en: "Submitted",
        da: "Oprettet",
        sv: "Registrerad",
        value: |p| Cell::Text(p.submitted_at.to_rfc3339()),
    },
    Column {
        en: "Last changed",
        da: "Sidst opdateret",
        sv: "Senast ändrad",
        value: |p| Cell::Text(p.updated_at.to_rfc3339()),
    },
];

/// The sheet's name.
fn sheet_name(language: Language) -> &'static str {
    match language {
        Language::English => "Processes",
        Language::Danish => "Processer",
        Language::Swedish => "Processer",
    }
}

/// The rows as an xlsx workbook: headers in bold, frozen, with an autofilter.
fn workbook(
    language: Language,
    rows: &[ProcessView],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(language))?;
    for (c, column) in COLUMNS.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        sheet.write_string_with_format(0, c, column.header(language), &bold)?;
    }
    for (r, process) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (c, column) in COLUMNS.iter().enumerate() {
            let c = u16::try_from(c).unwrap_or(u16::MAX);
            match (column.value)(process) {
                Cell::Text(text) => {
                    sheet.write_string(r, c, text)?;
                }
                Cell::Number(n) => {
                    sheet.write_number(r, c, n)?;
                }
                Cell::Bool(b) => {
                    sheet.write_boolean(r, c, b)?;
                }
                Cell::Empty => {}
            }
        }
    }
    let last_column = u16::try_from(COLUMNS.len().saturating_sub(1)).unwrap_or(u16::MAX);
    let last_row = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    sheet.set_freeze_panes(0, 0)?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last_row, last_column)?;
    workbook.save_to_buffer()
}

/// The rows as CSV: UTF-8 with a byte-order mark (so Excel reads it as UTF-8), CRLF line
/// ends, and fields quoted when they hold a comma, a quote or a line break.
fn comma_separated(language: Language, rows: &[ProcessView]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    let line = |out: &mut String, fields: &mut dyn Iterator<Item = String>| {
        let mut first = true;
        for field in fields {
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(&quote(&field));
        }
        out.push_str("\r\n");
    };
    line(
        &mut out,
        &mut COLUMNS.iter().map(|c| c.header(language).to_owned()),
    );
    for process in rows {
        line(
            &mut out,
            &mut COLUMNS.iter().map(|c| match (c.value)(process) {
                Cell::Text(text) => text,
                Cell::Number(n) => n.to_string(),
                Cell::Bool(b) => b.to_string(),
                Cell::Empty => String::new(),
            }),
        );
    }
    out.into_bytes()
}

/// A CSV field, quoted (with doubled quotes) when it must be.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Language {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_str(value).unwrap(),
        );
        Language::negotiate(&headers)
    }

    #[test]
    fn accept_language_is_negotiated_by_q() {
        assert_eq!(Language::negotiate(&HeaderMap::new()), Language::English);
        assert_eq!(accept("da"), Language::Danish);
        assert_eq!(accept("sv-SE,sv;q=0.9,en;q=0.8"), Language::Swedish);
        assert_eq!(accept("en;q=0.5, da;q=0.9"), Language::Danish);
        assert_eq!(accept("da;q=0, sv;q=0.1"), Language::Swedish);
        assert_eq!(accept("de, fr"), Language::English);
        assert_eq!(accept("nb, *;q=0.5, da;q=0.4"), Language::English);
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a, b"), "\"a, b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn the_filter_parameter_is_the_graphql_input() {
        assert!(filter(None).unwrap().phase.is_none());
        let f = filter(Some(
            "filter=%7B%22phase%22%3A%22OPERATION%22%2C%22titleContains%22%3A%22a+b%22%7D",
        ))
        .unwrap();
        assert_eq!(f.phase, Some(pb::Phase::Operation));
        assert_eq!(f.title_contains.as_deref(), Some("a b"));
        assert!(filter(Some("filter=%7B%22phase%22%3A%22NOPE%22%7D")).is_err());
        assert!(filter(Some("filter=%7B%22municipality%22%3A%22x%22%7D")).is_err());
        assert!(filter(Some("filter=not-json")).is_err());
    }
}
