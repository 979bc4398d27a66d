//! The spreadsheet export (`/export/processes.xlsx` and `.csv`) against the `processes` query
//! and the read rule, and the OS2autoproces import CLI on a file built from the documented 62
//! columns: what it yields over GraphQL, and that a second run changes nothing.
//!
//! The export runs against the embedded app and against the distributed cluster's gateway.
//! The import runs embedded only: the CLI writes straight into the app's data directory (its
//! SQLite files), which a distributed cluster does not have.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader as _};
use common::*;
use innohub_tests::distributed::{Broker, Cluster};
use innohub_tests::{App, binary, temp_data_dir};
use serde_json::{Value, json};

/// Processes as the `processes` query lists them: the fields the export also has.
const LIST: &str = "query($filter: ProcessFilter, $after: String) {
    processes(filter: $filter, first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        edges { node { id municipality title shortDescription phase status visibility departments
            reporter owner contact internalNotes domains technologies casesPerYear } }
    }
}";

/// Every process of the `processes` query for `token` and `filter`, in its order.
async fn listed(app: &App, token: &str, filter: Value) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = ok(
            app,
            token,
            LIST,
            json!({ "filter": filter, "after": after }),
        )
        .await;
        let connection = &data["processes"];
        all.extend(nodes(connection));
        if connection["pageInfo"]["hasNextPage"] != json!(true) {
            return all;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
}

/// GET an export; returns status, headers and body.
async fn get(
    app: &App,
    path: &str,
    token: Option<&str>,
    language: Option<&str>,
    filter: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let query = filter
        .map(|f| format!("?filter={}", encode(&f.to_string())))
        .unwrap_or_default();
    let mut request = app.client().get(format!("{}{path}{query}", app.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(language) = language {
        request = request.header("Accept-Language", language);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.bytes().await.expect("body").to_vec(),
    )
}

/// `raw` percent-encoded for a URL's query.
fn encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The cells of the xlsx export's only sheet, as text.
fn sheet(body: &[u8]) -> Vec<Vec<String>> {
    let mut workbook =
        calamine::Xlsx::new(Cursor::new(body.to_vec())).expect("the export is a valid xlsx");
    let names = workbook.sheet_names();
    assert_eq!(names.len(), 1, "one sheet: {names:?}");
    let range = workbook.worksheet_range(&names[0]).expect("the sheet");
    range.rows().map(|r| r.iter().map(text).collect()).collect()
}

fn text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// The rows of the CSV export (after checking its byte-order mark).
fn csv_rows(body: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(body).expect("UTF-8");
    let text = text.strip_prefix('\u{feff}').expect("a byte-order mark");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect()
}

/// The column of `header` in `rows`' header row.
fn at(rows: &[Vec<String>], header: &str) -> usize {
    rows[0]
        .iter()
        .position(|h| h == header)
        .unwrap_or_else(|| panic!("no column {header:?} in {:?}", rows[0]))
}

/// The export's rows agree with the query's nodes: ids, titles, phases and the redacted
/// fields, in order.
fn assert_rows_equal(rows: &[Vec<String>], nodes: &[Value], what: &str) {
    assert_eq!(rows.len() - 1, nodes.len(), "{what}: one row per process");
    let (id, title, phase, departments, owner, notes, reporter) = (
        at(rows, "ID"),
        at(rows, "Title"),
        at(rows, "Phase"),
        at(rows, "Departments"),
        at(rows, "Owner"),
        at(rows, "Internal notes"),
        at(rows, "Reporter"),
    );
    for (row, node) in rows[1..].iter().zip(nodes) {
        assert_eq!(row[id], node["id"].as_str().unwrap(), "{what}: id");
        assert_eq!(row[title], node["title"].as_str().unwrap(), "{what}: title");
        assert_eq!(row[phase], node["phase"].as_str().unwrap(), "{what}: phase");
        let joined: Vec<&str> = node["departments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        assert_eq!(row[departments], joined.join("; "), "{what}: departments");
        assert_eq!(
            row[owner],
            node["owner"].as_str().unwrap_or(""),
            "{what}: owner"
        );
        assert_eq!(
            row[notes],
            node["internalNotes"].as_str().unwrap_or(""),
            "{what}: internal notes"
        );
        assert_eq!(
            row[reporter],
            node["reporter"].as_str().unwrap_or(""),
            "{what}: reporter"
        );
    }
}

/// The export against the `processes` query, for a member and for a partner.
async fn the_export_holds_the_processes_query_rows(app: &App) {
    let member = app
        .token("dk-it", DK, Some("social"), &["employee", "it_portfolio"])
        .await
        .unwrap();
    let partner = app.token("se-emp", SE, None, &["employee"]).await.unwrap();
    let mut written = Vec::new();
    for (i, (title, visibility)) in [
        ("Udbetaling, \"boligstøtte\"", "PUBLIC"),
        ("Intern lønkørsel", "MUNICIPALITY"),
        ("Journalisering af post\nmed to linjer", "PUBLIC"),
    ]
    .into_iter()
    .enumerate()
    {
        let input = with(
            form(title, &["social", "økonomi"], 1000 + i as i64, 12.5, 40),
            json!({
                "owner": "anna", "contact": "anna@syddjurs.dk", "internalNotes": "kun for os",
                "visibility": visibility, "domains": ["economy"], "technologies": ["RPA"],
            }),
        );
        written.push(submit(app, &member, input).await.token);
    }
    // Another municipality's own process, unshared: never in Syddjurs' export, but in
    // Helsingborg's, unredacted.
    let se_own = app
        .token("se-it", SE, Some("it"), &["employee"])
        .await
        .unwrap();
    written.push(
        submit(app, &se_own, form("Helsingborgs egen", &["it"], 5, 5.0, 5))
            .await
            .token,
    );
    // Read after each write: distributed, a token covers only its own process's events.
    for token in written {
        ok(
            app,
            &member,
            "query($c: String) { processes(first: 1, consistency: $c) { edges { node { id } } } }",
            json!({ "c": token }),
        )
        .await;
    }

    // A member: every process of the query, unredacted.
    let nodes = listed(app, &member, Value::Null).await;
    assert_eq!(nodes.len(), 3);
    let (status, headers, body) =
        get(app, "/export/processes.xlsx", Some(&member), None, None).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment"),
        "downloaded as a file"
    );
    let rows = sheet(&body);
    assert_rows_equal(&rows, &nodes, "member xlsx");
    assert_eq!(rows[1][at(&rows, "Internal notes")], "kun for os");
    assert_eq!(rows[1][at(&rows, "Municipality")], DK);

    // A partner: only what is shared, redacted as the query redacts it.
    let shared = listed(app, &partner, Value::Null).await;
    assert_eq!(shared.len(), 3, "the two PUBLIC processes and its own");
    let (status, _, body) = get(app, "/export/processes.xlsx", Some(&partner), None, None).await;
    assert_eq!(status, 200);
    let rows = sheet(&body);
    assert_rows_equal(&rows, &shared, "partner xlsx");
    let municipality = at(&rows, "Municipality");
    assert_eq!(
        rows[1..].iter().filter(|r| r[municipality] == DK).count(),
        2
    );
    for row in rows[1..].iter().filter(|r| r[municipality] == DK) {
        for header in [
            "Departments",
            "Owner",
            "Contact",
            "Internal notes",
            "Reporter",
        ] {
            assert_eq!(
                row[at(&rows, header)],
                "",
                "{header} is empty for a partner"
            );
        }
        assert_eq!(row[at(&rows, "Shared with you")], "true");
    }

    // CSV: the same rows, quoted so that commas, quotes and line breaks survive.
    for (token, expected, what) in [
        (&member, &nodes, "member csv"),
        (&partner, &shared, "partner csv"),
    ] {
        let (status, headers, body) =
            get(app, "/export/processes.csv", Some(token), None, None).await;
        assert_eq!(status, 200);
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        assert_rows_equal(&csv_rows(&body), expected, what);
    }

    // The filter is the query's.
    let filter = json!({ "titleContains": "lønkørsel" });
    let filtered = listed(app, &member, filter.clone()).await;
    assert_eq!(filtered.len(), 1);
    let (_, _, body) = get(
        app,
        "/export/processes.xlsx",
        Some(&member),
        None,
        Some(filter),
    )
    .await;
    assert_rows_equal(&sheet(&body), &filtered, "filtered xlsx");
    let (status, _, body) = get(
        app,
        "/export/processes.csv",
        Some(&member),
        None,
        Some(json!({ "phase": "NO_SUCH_PHASE" })),
    )
    .await;
    assert_eq!(status, 400);
    let error: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error["error"]["code"], "BAD_USER_INPUT", "{error}");

    // Headers in the language Accept-Language prefers.
    for (language, title, summary) in [
        ("da", "Titel", "Resumé"),
        ("sv-SE,sv;q=0.9,en;q=0.5", "Titel", "Sammanfattning"),
        ("en-GB", "Title", "Short description"),
        ("de", "Title", "Short description"),
        ("en;q=0.2, da;q=0.4, sv;q=0.9", "Titel", "Sammanfattning"),
        ("sv;q=0.2, da;q=0.8", "Titel", "Resumé"),
    ] {
        let (_, _, body) = get(
            app,
            "/export/processes.xlsx",
            Some(&member),
            Some(language),
            None,
        )
        .await;
        let rows = sheet(&body);
        assert_eq!(rows[0][2], title, "{language}");
        assert_eq!(rows[0][3], summary, "{language}");
        let (_, _, body) = get(
            app,
            "/export/processes.csv",
            Some(&member),
            Some(language),
            None,
        )
        .await;
        assert_eq!(csv_rows(&body)[0][3], summary, "csv {language}");
    }

    // No token, a bad token, an unregistered municipality.
    for path in ["/export/processes.xlsx", "/export/processes.csv"] {
        let (status, _, body) = get(app, path, None, None, None).await;
        assert_eq!(status, 401);
        let error: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(error["error"]["code"], "UNAUTHENTICATED", "{error}");
        let (status, _, _) = get(app, path, Some("not-a-token"), None, None).await;
        assert_eq!(status, 401);
        let stranger = app
            .token("x", "DK-0999", None, &["employee"])
            .await
            .unwrap();
        let (status, _, body) = get(app, path, Some(&stranger), None, None).await;
        assert_eq!(status, 403);
        let error: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(error["error"]["code"], "FORBIDDEN", "{error}");
    }
}

#[tokio::test]
async fn embedded_the_export_holds_the_processes_query_rows_under_the_read_rule() {
    let app = App::spawn("export").await.unwrap();
    the_export_holds_the_processes_query_rows(&app).await;
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn distributed_the_export_holds_the_processes_query_rows_under_the_read_rule() {
    let broker = Broker::start(false).await.expect("broker");
    let cluster = Cluster::start(&broker, &[]).await.expect("cluster");
    the_export_holds_the_processes_query_rows(&cluster.gateway).await;
}

/// Headers of the 62 documented columns of an OS2autoproces export (46 and 47 as labelled,
/// the data under them swapped).
const HEADERS: [&str; 62] = [
    "ID",
    "Titel",
    "Resumé",
    "Fase",
    "Status",
    "Statustekst",
    "Indberetter",
    "Faglig kontaktperson",
    "Kontaktperson",
    "Mail",
    "Anden kontakt information",
    "Tilknyttede personer",
    "Synlighed",
    "Fagområder",
    "Afdelinger",
    "Myndighed",
    "Leverandør",
    "Lovparagraf",
    "KLE-nr",
    "KL ID",
    "KL's Arbejdsgangsbank",
    "Beskrivelse",
    "Idéer til løsning",
    "Udfordringer",
    "Nuværende systemer",
    "Andre systemer",
    "Oprettet",
    "Sidst opdateret",
    "Antal forekomster årligt",
    "Tidsforbrug i minutter",
    "Automatiseringsgrad",
    "Manuelle timer",
    "Potentiale timer",
    "Antal medarbejdere",
    "Borgerrettet",
    "Virksomhedsrettet",
    "Udviklingstid",
    "Tidskommentar",
    "Faglig vurdering",
    "Forandringer",
    "Struktureret information",
    "Varierende",
    "Digitale data",
    "Kvalitet",
    "Hurtigere service",
    "Frigivelse af medarbejdere",
    "Automatiseringsgrad (vurdering)",
    "Teknisk implementering",
    "Organisatorisk implementering",
    "Anvendt teknologi",
    "Skedulering",
    "Systemer/snitflader",
    "Beskrivelse af automatisering",
    "Rating",
    "Lovparagraf verificeret",
    "I drift fra",
    "Taget ud af drift",
    "Gevinstkommentar",
    "ESDH-reference",
    "Links",
    "Bilag",
    "Interne Noter",
];

/// A row: `(column number, value)` pairs; numbers are written as numbers.
type Row = Vec<(usize, Value)>;

fn write_export(path: &Path, rows: &[Row]) {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Processer").unwrap();
    for (c, header) in HEADERS.iter().enumerate() {
        sheet.write_string(0, c as u16, *header).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (column, value) in row {
            let (r, c) = (r as u32 + 1, *column as u16 - 1);
            match value {
                Value::Number(n) => {
                    sheet.write_number(r, c, n.as_f64().unwrap()).unwrap();
                }
                Value::String(s) => {
                    sheet.write_string(r, c, s).unwrap();
                }
                other => panic!("no cell for {other}"),
            }
        }
    }
    workbook.save(path).unwrap();
}

/// The rows of the test's file: both spellings of labels, the swapped columns, rows to skip.
fn os2_rows() -> Vec<Row> {
    let answers = |a: [&str; 9]| -> Row {
        a.iter()
            .enumerate()
            .map(|(i, s)| (39 + i, json!(s)))
            .collect()
    };
    let mut operation: Row = vec![
        (1, json!(101)),
        (2, json!("Udbetaling af boligstøtte")),
        (3, json!("Robot udbetaler boligstøtte")),
        (4, json!("I drift")),
        (5, json!("I gang")),
        (7, json!("Jens Indberetter")),
        (8, json!("Anna Faglig")),
        (9, json!("Bo Kontakt")),
        (13, json!("Offentlig")),
        (14, json!("Økonomi, Social")),
        (15, json!("Borgerservice")),
        (16, json!("Syddjurs Kommune")),
        (17, json!("Netcompany")),
        (19, json!("27.24.00")),
        (22, json!("Sagsbehandlingen af boligstøtte")),
        (25, json!("KMD Boligstøtte, SAP")),
        (29, json!(1200)),
        (30, json!(15)),
        (31, json!(60)),
        (34, json!(3)),
        (35, json!("Ja")),
        (36, json!("Nej")),
        (50, json!("RPA")),
        (51, json!("Dagligt")),
        (53, json!("En robot der udbetaler")),
        (54, json!(3)),
        (56, json!("2023-04-01")),
        (
            60,
            json!(
                "https://os2autoproces.eu/details/101\nhttps://github.com/syddjurs/boligstotte\nhttps://example.dk/vejledning"
            ),
        ),
        (62, json!("Husk licensen")),
    ];
    // Judgement "I mindre grad" (rules-based 4), changes "Slet ikke" (stable 5), column 46
    // holds how far it can be automated ("Slet ikke", not rated) and 47 the staff relief
    // ("I høj grad": 5).
    operation.extend(answers([
        "I mindre grad",
        "Slet ikke",
        "I høj grad",
        "I nogen grad",
        "I høj grad",
        "I nogen grad",
        "I høj grad",
        "Slet ikke",
        "I høj grad",
    ]));
    let mut on_hold: Row = vec![
        (1, json!(102)),
        (2, json!("Journalisering af post")),
        (3, json!("Post journaliseres automatisk")),
        (4, json!("Drift")),
        (5, json!("Afventer")),
        (6, json!("Venter på leverandøren")),
        (13, json!("Myndighed")),
        (14, json!("IT")),
        (29, json!(5000)),
        (30, json!("2,5")),
        (31, json!(80)),
        (50, json!("Integration, RPA")),
        (51, json!("Løbende kørsel")),
        (56, json!("01-09-2022")),
    ];
    on_hold.extend(answers([
        "Ved ikke",
        "I nogen grad",
        "Ikke forholdt sig",
        "",
        "",
        "",
        "",
        "I høj grad",
        "Slet ikke",
    ]));
    let idea: Row = vec![
        (1, json!(103)),
        (2, json!("Idé om chatbot")),
        (3, json!("En chatbot til borgerservice")),
        (4, json!("Idé")),
        (5, json!("Ikke vurderet")),
        (13, json!("Personlig")),
        (15, json!("Borgerservice")),
        (51, json!("Efter behov")),
    ];
    let shared: Row = vec![
        (1, json!(104)),
        (2, json!("Deling fra en anden kommune")),
        (3, json!("Delt")),
        (4, json!("Deling (ingen fase)")),
        (15, json!("Borgerservice")),
    ];
    let long: Row = vec![
        (1, json!(105)),
        (2, json!("L".repeat(81))),
        (3, json!("For lang titel")),
        (4, json!("Idé")),
        (15, json!("Borgerservice")),
    ];
    // Another municipality's shared process, as an export holds them.
    let theirs: Row = vec![
        (1, json!(106)),
        (2, json!("Aarhus' robot")),
        (3, json!("Delt af Aarhus")),
        (4, json!("I drift")),
        (13, json!("Offentlig")),
        (16, json!("Aarhus Kommune")),
    ];
    vec![operation, on_hold, idea, shared, long, theirs]
}

/// Run `innohub import os2autoproces` for Syddjurs.
async fn import_output(file: &Path, data_dir: &Path) -> std::process::Output {
    tokio::process::Command::new(binary().unwrap())
        .args(["import", "os2autoproces"])
        .arg(file)
        .args(["--municipality", DK, "--department", "it", "--data-dir"])
        .arg(data_dir)
        .env("INNOHUB_LOG", "warn")
        .output()
        .await
        .unwrap()
}

/// Run `innohub import os2autoproces`, which must succeed; returns its report.
async fn import(file: &Path, data_dir: &Path) -> String {
    let out = import_output(file, data_dir).await;
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "import failed: {report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    report
}

const IMPORTED: &str = "query {
    processes(first: 100) { edges { node {
        id title shortDescription phase status statusReason visibility departments owner contact
        internalNotes domains itSystems technologies vendor runPeriod targetsCitizens
        targetsCompanies casesPerYear minutesPerCase employees automationShare goLiveDate
        classification { scheme code } longDescription
        assessment { rulesBased structuredInput processStability caseVariation qualityGain
            speedGain routineRelief inputQuality }
        experience { whatWasBuilt realisedBenefit repositoryUrl }
    } } }
}";

/// The imported processes by title, and each one's history length.
async fn imported(app: &App, token: &str) -> Vec<(String, Value, usize)> {
    let data = ok(app, token, IMPORTED, json!({})).await;
    let mut out = Vec::new();
    for node in nodes(&data["processes"]) {
        let events = history(app, token, node["id"].as_str().unwrap())
            .await
            .len();
        out.push((node["title"].as_str().unwrap().to_owned(), node, events));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[tokio::test]
async fn an_os2autoproces_export_imports_once_with_the_mapped_fields() {
    let data_dir = temp_data_dir("import");
    std::fs::create_dir_all(&data_dir).unwrap();
    let file = data_dir.join("os2autoproces.xlsx");
    write_export(&file, &os2_rows());

    // Only a registered municipality's processes are imported.
    let refused = import_output(&file, &data_dir).await;
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("DK-0706 is not registered"),
        "{refused:?}"
    );
    App::spawn_in(&data_dir, &[])
        .await
        .unwrap()
        .stop()
        .await
        .unwrap();

    let report = import(&file, &data_dir).await;
    assert!(report.contains("row 2 (ID 101): imported as"), "{report}");
    assert!(report.contains("row 3 (ID 102): imported as"), "{report}");
    assert!(report.contains("row 4 (ID 103): imported as"), "{report}");
    assert!(
        report.contains("row 5 (ID 104): skipped: phase \"Deling (ingen fase)\""),
        "{report}"
    );
    assert!(
        report.contains("row 6 (ID 105): skipped: the title is 81 characters"),
        "{report}"
    );
    assert!(
        report.contains(
            "row 7 (ID 106): skipped: a process of another municipality (Myndighed: \"Aarhus Kommune\", not Syddjurs)"
        ),
        "{report}"
    );
    assert!(
        report.contains("total: 6 rows, 3 imported, 0 unchanged, 3 skipped, 0 failed"),
        "{report}"
    );

    let app = App::spawn_in(&data_dir, &[]).await.unwrap();
    // In Borgerservice, to see the PRIVATE idea too.
    let reader = app
        .token(
            "dk-reader",
            DK,
            Some("Borgerservice"),
            &["employee", "it_portfolio"],
        )
        .await
        .unwrap();
    let first = imported(&app, &reader).await;
    let titles: Vec<&str> = first.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Idé om chatbot",
            "Journalisering af post",
            "Udbetaling af boligstøtte"
        ]
    );

    let (_, idea, _) = &first[0];
    assert_eq!(idea["phase"], "IDEA");
    assert_eq!(idea["status"], "NOT_ASSESSED");
    assert_eq!(idea["visibility"], "PRIVATE");
    assert_eq!(idea["runPeriod"], "ON_DEMAND");
    assert_eq!(idea["assessment"], Value::Null);

    let (_, post, _) = &first[1];
    assert_eq!(post["phase"], "OPERATION", "old spelling Drift");
    assert_eq!(post["status"], "ON_HOLD");
    assert_eq!(post["statusReason"], "Venter på leverandøren");
    assert_eq!(post["visibility"], "MUNICIPALITY");
    assert_eq!(post["departments"], json!(["it"]), "--department");
    assert_eq!(post["runPeriod"], "ON_DEMAND", "Løbende kørsel");
    assert_eq!(post["domains"], json!(["it"]));
    assert_eq!(post["technologies"], json!(["Integration", "RPA"]));
    assert_eq!(post["minutesPerCase"], json!(2.5));
    assert_eq!(post["goLiveDate"], "2022-09-01");
    // 46 holds "I høj grad" for automatability (not rated); 47 "Slet ikke" for relief.
    assert_eq!(
        post["assessment"],
        json!({ "rulesBased": null, "structuredInput": null, "processStability": 2,
                "caseVariation": null, "qualityGain": null, "speedGain": null,
                "routineRelief": 1, "inputQuality": null })
    );
    assert_eq!(post["experience"], Value::Null);

    let (_, benefit, _) = &first[2];
    assert_eq!(benefit["phase"], "OPERATION", "new spelling I drift");
    assert_eq!(benefit["status"], "IN_PROGRESS");
    assert_eq!(benefit["visibility"], "PUBLIC");
    assert_eq!(benefit["shortDescription"], "Robot udbetaler boligstøtte");
    assert_eq!(benefit["departments"], json!(["Borgerservice"]));
    assert_eq!(benefit["owner"], "Anna Faglig");
    assert_eq!(benefit["contact"], "Bo Kontakt");
    assert_eq!(benefit["domains"], json!(["economy", "social"]));
    assert_eq!(benefit["itSystems"], json!(["KMD Boligstøtte", "SAP"]));
    assert_eq!(benefit["technologies"], json!(["RPA"]));
    assert_eq!(benefit["vendor"], "Netcompany");
    assert_eq!(benefit["runPeriod"], "DAILY");
    assert_eq!(benefit["targetsCitizens"], true);
    assert_eq!(benefit["targetsCompanies"], false);
    assert_eq!(benefit["casesPerYear"], 1200);
    assert_eq!(benefit["minutesPerCase"], json!(15.0));
    assert_eq!(benefit["employees"], 3);
    assert_eq!(benefit["automationShare"], 60);
    assert_eq!(benefit["goLiveDate"], "2023-04-01");
    assert_eq!(
        benefit["classification"],
        json!({ "scheme": "KLE", "code": "27.24.00" })
    );
    assert_eq!(
        benefit["assessment"],
        json!({ "rulesBased": 4, "structuredInput": 5, "processStability": 5,
                "caseVariation": 4, "qualityGain": 4, "speedGain": 5, "routineRelief": 5,
                "inputQuality": null })
    );
    assert_eq!(
        benefit["experience"],
        json!({ "whatWasBuilt": "En robot der udbetaler", "realisedBenefit": 3,
                "repositoryUrl": "https://github.com/syddjurs/boligstotte" })
    );
    assert!(
        benefit["longDescription"]
            .as_str()
            .unwrap()
            .contains("https://example.dk/vejledning")
    );
    let notes = benefit["internalNotes"].as_str().unwrap();
    assert!(notes.contains("ID 101"), "{notes}");
    assert!(notes.contains("Indberetter: Jens Indberetter"), "{notes}");
    assert!(notes.contains("Husk licensen"), "{notes}");
    app.stop().await.unwrap();

    // Again: every command replays; nothing is recorded.
    let report = import(&file, &data_dir).await;
    assert!(
        report.contains("total: 6 rows, 0 imported, 3 unchanged, 3 skipped, 0 failed"),
        "{report}"
    );
    assert!(
        report.contains("row 2 (ID 101): unchanged, imported before as"),
        "{report}"
    );
    let app = App::spawn_in(&data_dir, &[]).await.unwrap();
    let second = imported(&app, &reader).await;
    assert_eq!(second.len(), first.len(), "same processes");
    for ((title, before, events_before), (_, after, events_after)) in first.iter().zip(&second) {
        assert_eq!(before, after, "{title} unchanged");
        assert_eq!(events_before, events_after, "{title}: same history length");
    }
    app.stop().await.unwrap();
}
