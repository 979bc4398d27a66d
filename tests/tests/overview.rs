//! The cross-municipal overview and the quarterly status history over HTTP.
//!
//! - `crossMunicipalOverview`: 312 processes in six municipalities, of every visibility, in
//!   every phase, with classifications, IT systems, technologies and domains, are made
//!   through the API; the overview a viewer gets (with each filter) equals, group by group,
//!   what the test computes from the processes shared with that viewer; adding PRIVATE and
//!   MUNICIPALITY processes, in OPERATION too, changes nothing; a municipality outside the
//!   network never gets another's NETWORK processes, nor a look into the network.
//! - `statusHistory`: the quarter in progress counts what the status overview counts now;
//!   asked again after later changes, the past quarter is the same and the current one
//!   follows the changes. (The projection's own tests show past quarters with events at
//!   chosen times: services/projections/tests/timeline.rs.)
//!
//! Each scenario runs against the embedded app and against the distributed cluster's
//! gateway. Distributed, a consistency token covers only its own record's events (they reach
//! the read models through a partitioned topic), so a read that must see many writes is
//! preceded by a read after each of them ([`settle`]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Months, NaiveDate, Utc};
use common::*;
use futures::StreamExt as _;
use innohub_tests::distributed::{Broker, Cluster};
use innohub_tests::{App, token_at, token_position};
use serde_json::{Value, json};

/// The six municipalities, the viewer's first; Syddjurs and Øygarden are of 30–60k.
const MUNICIPALITIES: [&str; 6] = [
    "DK-0706", "SE-1283", "NO-4626", "SE-0380", "NO-0301", "FI-0091",
];
const PHASES: [&str; 7] = [
    "IDEA",
    "PRE_ANALYSIS",
    "SPECIFICATION",
    "DEVELOPMENT",
    "IMPLEMENTATION",
    "OPERATION",
    "DECOMMISSIONED",
];
const VISIBILITIES: [&str; 4] = ["PRIVATE", "MUNICIPALITY", "NETWORK", "PUBLIC"];
/// A scheme with a space in its name, and the unclassified: the groups keep them apart.
const CLASSIFICATIONS: [Option<(&str, &str)>; 6] = [
    Some(("KLE", "27.24.00")),
    Some(("KLE", "27.24.10")),
    Some(("KLE", "32.18.02")),
    Some(("FORM online", "17.03")),
    Some(("KLE", "27.30.04")),
    None,
];
const SYSTEMS: [&str; 7] = [
    "SBSYS", "KMD Nova", "Acadre", "Opus", "SAP", "Outlook", "DUBU",
];
const TECHNOLOGIES: [&str; 6] = [
    "RPA",
    "API integration",
    "AI",
    "OCR",
    "Self-service",
    "Low-code",
];
const DOMAINS: [&str; 4] = ["social", "employment", "economy", "health"];

/// One generated process.
#[derive(Debug, Clone)]
struct Spec {
    municipality: &'static str,
    visibility: &'static str,
    phase: usize,
    classification: Option<(&'static str, &'static str)>,
    systems: Vec<&'static str>,
    technologies: Vec<&'static str>,
    domains: Vec<&'static str>,
    cases: u32,
    minutes: f64,
    share: u32,
    id: String,
}

impl Spec {
    /// The `i`th process of the data set; `visibility` given for the later additions.
    fn generated(i: usize, visibility: Option<&'static str>) -> Spec {
        let phase = (i * 5 + i / 6) % PHASES.len();
        // Technologies are required from DEVELOPMENT; the earlier ones may have none.
        let technologies = if phase < 3 && i.is_multiple_of(4) {
            vec![]
        } else {
            (0..1 + i % 2)
                .map(|k| TECHNOLOGIES[(i / 2 + k * 3) % TECHNOLOGIES.len()])
                .collect()
        };
        Spec {
            municipality: MUNICIPALITIES[i % MUNICIPALITIES.len()],
            visibility: visibility.unwrap_or(VISIBILITIES[(i / 6 + i) % VISIBILITIES.len()]),
            phase,
            classification: CLASSIFICATIONS[(i * 7 / 3) % CLASSIFICATIONS.len()],
            systems: (0..i % 4)
                .map(|k| SYSTEMS[(i + k * 2) % SYSTEMS.len()])
                .collect(),
            technologies,
            domains: vec![DOMAINS[i % DOMAINS.len()]],
            cases: 100 + (i as u32 * 37) % 900,
            minutes: 2.5 + (i % 13) as f64,
            share: 10 + (i as u32 * 11) % 90,
            id: String::new(),
        }
    }

    fn input(&self, i: usize) -> Value {
        let mut input = with(
            form(&format!("Proces {i:03}"), &["social"], 1, 1.0, 1),
            json!({
                "casesPerYear": self.cases,
                "minutesPerCase": self.minutes,
                "automationShare": self.share,
                "visibility": self.visibility,
                "itSystems": self.systems,
                "technologies": self.technologies,
                "domains": self.domains,
                "goLiveDate": "2026-06-01",
            }),
        );
        if let Some((scheme, code)) = self.classification {
            input = with(
                input,
                json!({ "classification": { "scheme": scheme, "code": code } }),
            );
        }
        input
    }

    fn hours(&self) -> f64 {
        f64::from(self.cases) * self.minutes / 60.0 * f64::from(self.share) / 100.0
    }

    fn in_operation(&self) -> bool {
        PHASES[self.phase] == "OPERATION"
    }
}

/// Each municipality's IT person (employee and it_portfolio, in "social") and admin.
struct People {
    it: BTreeMap<&'static str, String>,
    admin: BTreeMap<&'static str, String>,
}

async fn people(app: &App) -> People {
    let mut it = BTreeMap::new();
    let mut admin = BTreeMap::new();
    for m in MUNICIPALITIES {
        it.insert(
            m,
            app.token("it", m, Some("social"), &["employee", "it_portfolio"])
                .await
                .unwrap(),
        );
        admin.insert(
            m,
            app.token("admin", m, None, &["municipality_admin"])
                .await
                .unwrap(),
        );
    }
    People { it, admin }
}

/// How many processes are made at once (each is a chain of up to eight writes that must
/// follow one another); kept in flight continuously rather than in batches that wait for
/// their slowest chain.
const CONCURRENCY: usize = 48;

/// Submit the processes and take each to its phase, [`CONCURRENCY`] at a time; returns the
/// consistency token of each one's last write.
async fn make(app: &App, people: &People, specs: &mut [Spec], first: usize) -> Vec<String> {
    futures::stream::iter(specs.iter_mut().enumerate().map(|(k, spec)| {
        let i = first + k;
        async move {
            let token = &people.it[spec.municipality];
            let written = submit(app, token, spec.input(i)).await;
            spec.id = written.id.clone();
            let mut last = written.token;
            if spec.phase >= 1 {
                last = assess(app, token, &spec.id, middling()).await.token;
            }
            for phase in &PHASES[1..=spec.phase] {
                last = change_phase(app, token, &spec.id, phase).await.token;
            }
            last
        }
    }))
    .buffer_unordered(CONCURRENCY)
    .collect()
    .await
}

/// Read once after each of the writes `tokens` (as `reader`), so that the read models hold
/// every one of them; returns the token of the last, which later reads pass. Embedded, the
/// last position alone would do (the projections apply the store in order); distributed,
/// a token covers only its own record's events, so each is waited for.
async fn settle(app: &App, reader: &str, tokens: Vec<String>) -> String {
    let last = tokens
        .iter()
        .map(|t| token_position(t).expect("a processes token"))
        .max()
        .expect("some writes");
    futures::stream::iter(tokens.into_iter().map(|token| async move {
        ok(
            app,
            reader,
            "query($c: String) { municipalities(consistency: $c) { id } }",
            json!({ "c": token }),
        )
        .await;
    }))
    .buffer_unordered(CONCURRENCY)
    .collect::<Vec<()>>()
    .await;
    token_at(last)
}

/// Which generated processes a filter selects.
type Selects = Box<dyn Fn(&Spec) -> bool>;

/// A group as the test computes it, or as the overview answers it (members as ids).
#[derive(Debug, Clone, PartialEq)]
struct Group {
    key: Option<(String, String)>,
    in_operation: i64,
    municipalities: i64,
    processes: i64,
    hours_in_operation: f64,
    hours: f64,
    it_systems: Vec<(String, i64)>,
    technologies: Vec<(String, i64)>,
    members: BTreeSet<String>,
}

/// The most used names, most first, ties by name, at most five.
fn top<'a>(names: impl Iterator<Item = &'a str>) -> Vec<(String, i64)> {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for name in names {
        *counts.entry(name).or_default() += 1;
    }
    let mut counts: Vec<(String, i64)> =
        counts.into_iter().map(|(n, c)| (n.to_owned(), c)).collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts.truncate(5);
    counts
}

/// The overview computed from the processes `shared` with the viewer.
fn expected(specs: &[Spec], shared: impl Fn(&Spec) -> bool) -> Vec<Group> {
    let mut groups: BTreeMap<Option<(&str, &str)>, Vec<&Spec>> = BTreeMap::new();
    for spec in specs.iter().filter(|s| shared(s)) {
        groups.entry(spec.classification).or_default().push(spec);
    }
    let mut groups: Vec<Group> = groups
        .into_iter()
        .map(|(key, members)| {
            let operating: Vec<&&Spec> = members.iter().filter(|s| s.in_operation()).collect();
            Group {
                key: key.map(|(s, c)| (s.to_owned(), c.to_owned())),
                in_operation: operating
                    .iter()
                    .map(|s| s.municipality)
                    .collect::<BTreeSet<_>>()
                    .len() as i64,
                municipalities: members
                    .iter()
                    .map(|s| s.municipality)
                    .collect::<BTreeSet<_>>()
                    .len() as i64,
                processes: members.len() as i64,
                hours_in_operation: operating.iter().map(|s| s.hours()).sum(),
                hours: members.iter().map(|s| s.hours()).sum(),
                it_systems: top(members.iter().flat_map(|s| s.systems.iter().copied())),
                technologies: top(members.iter().flat_map(|s| s.technologies.iter().copied())),
                members: members.iter().map(|s| s.id.clone()).collect(),
            }
        })
        .collect();
    groups.sort_by(|a, b| {
        b.in_operation
            .cmp(&a.in_operation)
            .then(b.municipalities.cmp(&a.municipalities))
            .then_with(|| match (&a.key, &b.key) {
                (Some(a), Some(b)) => a.cmp(b),
                (a, b) => a.is_none().cmp(&b.is_none()),
            })
    });
    groups
}

const OVERVIEW: &str = "query($filter: OverviewFilter, $first: Int, $consistency: String) {
    crossMunicipalOverview(filter: $filter, first: $first, consistency: $consistency) {
        scheme code municipalitiesInOperation municipalities processCount
        hoursSavedInOperation hoursSaved
        itSystems { name count } technologies { name count }
        members { id municipality sharedWithYou reporter departments visibility phase hoursSavedPerYear updatedAt }
    }
}";

/// The overview as `token` sees it, with every member, read after `consistency`.
async fn overview(app: &App, token: &str, filter: Value, consistency: &str) -> Value {
    ok(
        app,
        token,
        OVERVIEW,
        json!({ "filter": filter, "first": 100, "consistency": consistency }),
    )
    .await["crossMunicipalOverview"]
        .clone()
}

/// An overview answer as [`Group`]s.
fn answered(overview: &Value) -> Vec<Group> {
    let usage = |list: &Value| -> Vec<(String, i64)> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|u| {
                (
                    u["name"].as_str().unwrap().to_owned(),
                    u["count"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    overview
        .as_array()
        .expect("a list of groups")
        .iter()
        .map(|g| Group {
            key: g["scheme"]
                .as_str()
                .map(|s| (s.to_owned(), g["code"].as_str().unwrap().to_owned())),
            in_operation: g["municipalitiesInOperation"].as_i64().unwrap(),
            municipalities: g["municipalities"].as_i64().unwrap(),
            processes: g["processCount"].as_i64().unwrap(),
            hours_in_operation: g["hoursSavedInOperation"].as_f64().unwrap(),
            hours: g["hoursSaved"].as_f64().unwrap(),
            it_systems: usage(&g["itSystems"]),
            technologies: usage(&g["technologies"]),
            members: g["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_owned())
                .collect(),
        })
        .collect()
}

/// The answer equals the expectation, the sums to rounding.
#[track_caller]
fn assert_groups(answer: &Value, expected: &[Group], what: &str) {
    let mut got = answered(answer);
    assert_eq!(
        got.iter().map(|g| g.key.clone()).collect::<Vec<_>>(),
        expected.iter().map(|g| g.key.clone()).collect::<Vec<_>>(),
        "{what}: the groups, in order"
    );
    for (got, want) in got.iter_mut().zip(expected) {
        for (g, w) in [
            (&mut got.hours, want.hours),
            (&mut got.hours_in_operation, want.hours_in_operation),
        ] {
            assert!(
                (*g - w).abs() < 1e-6 * w.max(1.0),
                "{what}: {g} ≠ {w} in {want:?}"
            );
            *g = w;
        }
        assert_eq!(got, want, "{what}");
    }
}

/// Members come in OPERATION first, then by hours saved; partners' are redacted.
#[track_caller]
fn assert_members_ordered_and_redacted(answer: &Value, viewer: &str) {
    for group in answer.as_array().unwrap() {
        let members = group["members"].as_array().unwrap();
        let keys: Vec<(bool, f64)> = members
            .iter()
            .map(|m| {
                (
                    m["phase"] != "OPERATION",
                    -m["hoursSavedPerYear"].as_f64().unwrap(),
                )
            })
            .collect();
        assert!(
            keys.windows(2).all(|w| w[0] <= w[1]),
            "members out of order: {keys:?}"
        );
        for m in members {
            assert!(
                m["visibility"] == "NETWORK" || m["visibility"] == "PUBLIC",
                "{m}"
            );
            let theirs = m["municipality"] != viewer;
            assert_eq!(m["sharedWithYou"], theirs, "{m}");
            if theirs {
                assert_eq!(m["reporter"], Value::Null, "{m}");
                assert_eq!(m["departments"], json!([]), "{m}");
            }
        }
    }
}

/// Create a network of Syddjurs and Helsingborg; returns its id.
async fn network(app: &App, people: &People) -> String {
    let (dk, se) = (MUNICIPALITIES[0], MUNICIPALITIES[1]);
    let created = ok(
        app,
        &people.admin[dk],
        "mutation { createNetwork(name: \"Automatisering Øresund\") { id consistencyToken } }",
        Value::Null,
    )
    .await;
    let id = created["createNetwork"]["id"].as_str().unwrap().to_owned();
    ok(
        app,
        &people.admin[dk],
        "mutation($n: ID!, $m: ID!) { inviteToNetwork(network: $n, municipality: $m) { id } }",
        json!({ "n": id, "m": se }),
    )
    .await;
    let accepted = ok(
        app,
        &people.admin[se],
        "mutation($n: ID!) { acceptNetworkInvitation(network: $n) { id consistencyToken } }",
        json!({ "n": id }),
    )
    .await;
    // Read after the acceptance (the directory's store, which the processes' tokens do not
    // cover): from here on the read models have Helsingborg in the network.
    let networks = ok(
        app,
        &people.admin[dk],
        "query($c: String) { networks(consistency: $c) { id members { municipality } } }",
        json!({ "c": accepted["acceptNetworkInvitation"]["consistencyToken"] }),
    )
    .await;
    assert_eq!(
        networks["networks"],
        json!([{ "id": id, "members": [{ "municipality": dk }, { "municipality": se }] }]),
        "the network once Helsingborg accepted"
    );
    id
}

/// The overview against the generated data set, with every filter, and again after PRIVATE
/// and MUNICIPALITY processes are added.
async fn the_overview_counts_exactly_what_is_shared(app: &App) -> anyhow::Result<()> {
    let people = people(app).await;
    let net = network(app, &people).await;
    let mut specs: Vec<Spec> = (0..312).map(|i| Spec::generated(i, None)).collect();
    let written = make(app, &people, &mut specs, 0).await;
    let (dk, se, fi) = (MUNICIPALITIES[0], MUNICIPALITIES[1], MUNICIPALITIES[5]);
    let viewer = app
        .token("viewer", dk, Some("culture"), &["employee"])
        .await?;
    let outsider = app
        .token("viewer", fi, Some("culture"), &["employee"])
        .await?;
    let at = settle(app, &viewer, written).await;
    let partners = [dk, se];
    let shared_with_dk = |s: &Spec| {
        s.visibility == "PUBLIC"
            || (s.visibility == "NETWORK" && partners.contains(&s.municipality))
    };
    let shared_with_fi =
        |s: &Spec| s.visibility == "PUBLIC" || (s.visibility == "NETWORK" && s.municipality == fi);

    // The data set has every kind of process.
    for v in VISIBILITIES {
        assert!(
            specs
                .iter()
                .filter(|s| s.visibility == v && s.in_operation())
                .count()
                >= 5
        );
    }
    assert!(specs.iter().filter(|s| shared_with_dk(s)).count() >= 100);

    let dk_view = overview(app, &viewer, Value::Null, &at).await;
    assert_groups(&dk_view, &expected(&specs, shared_with_dk), "DK, no filter");
    assert_members_ordered_and_redacted(&dk_view, dk);
    let fi_view = overview(app, &outsider, Value::Null, &at).await;
    assert_groups(&fi_view, &expected(&specs, shared_with_fi), "FI, no filter");
    assert_members_ordered_and_redacted(&fi_view, fi);
    // An outsider never gets another municipality's NETWORK process.
    for group in fi_view.as_array().unwrap() {
        for m in group["members"].as_array().unwrap() {
            assert!(
                m["visibility"] != "NETWORK" || m["municipality"] == fi,
                "{m}"
            );
        }
    }

    // Every filter narrows the same way.
    let code = |s: &Spec, prefix: &str| {
        s.classification
            .is_some_and(|(scheme, code)| scheme == "KLE" && code.starts_with(prefix))
    };
    let filters: Vec<(Value, Selects)> = vec![
        (
            json!({ "classification": { "scheme": "KLE", "codePrefix": "27.24" } }),
            Box::new(move |s: &Spec| code(s, "27.24")),
        ),
        (
            json!({ "classification": { "scheme": "KLE" } }),
            Box::new(move |s: &Spec| code(s, "")),
        ),
        (
            json!({ "classification": { "scheme": "FORM online", "codePrefix": "17" } }),
            Box::new(|s: &Spec| s.classification == Some(("FORM online", "17.03"))),
        ),
        (
            json!({ "technology": "AI" }),
            Box::new(|s: &Spec| s.technologies.contains(&"AI")),
        ),
        (
            json!({ "itSystem": "SBSYS" }),
            Box::new(|s: &Spec| s.systems.contains(&"SBSYS")),
        ),
        (
            json!({ "domain": "economy" }),
            Box::new(|s: &Spec| s.domains.contains(&"economy")),
        ),
        (
            json!({ "domain": "health", "itSystem": "SBSYS" }),
            Box::new(|s: &Spec| s.domains.contains(&"health") && s.systems.contains(&"SBSYS")),
        ),
        (
            json!({ "sizeBand": "FROM_30K_TO_60K" }),
            Box::new(|s: &Spec| ["DK-0706", "NO-4626"].contains(&s.municipality)),
        ),
        (
            json!({ "network": net }),
            Box::new(move |s: &Spec| partners.contains(&s.municipality)),
        ),
    ];
    for (filter, selects) in &filters {
        let answer = overview(app, &viewer, filter.clone(), &at).await;
        let want = expected(&specs, |s| shared_with_dk(s) && selects(s));
        assert!(!want.is_empty(), "{filter} selects something");
        assert_groups(&answer, &want, &format!("DK, {filter}"));
    }
    // A network the viewer's municipality is not in shows nothing.
    let outside = overview(app, &outsider, json!({ "network": net }), &at).await;
    assert_eq!(outside, json!([]));

    // Members per group: `first` of them; out of range is the client's error.
    let one = ok(
        app,
        &viewer,
        OVERVIEW,
        json!({ "first": 1, "consistency": at }),
    )
    .await;
    for group in one["crossMunicipalOverview"].as_array().unwrap() {
        assert_eq!(group["members"].as_array().unwrap().len(), 1, "{group}");
    }
    for first in [-1, 101] {
        refused(
            app,
            Some(&viewer),
            OVERVIEW,
            json!({ "first": first }),
            "BAD_USER_INPUT",
        )
        .await;
    }
    refused(app, None, OVERVIEW, Value::Null, "UNAUTHENTICATED").await;
    let unregistered = app
        .token("viewer", "DK-0999", Some("culture"), &["employee"])
        .await?;
    refused(app, Some(&unregistered), OVERVIEW, Value::Null, "FORBIDDEN").await;

    // PRIVATE and MUNICIPALITY processes, in OPERATION too, in every municipality: the
    // overview does not move.
    let mut hidden: Vec<Spec> = (312..384)
        .map(|i| Spec::generated(i, Some(VISIBILITIES[i % 2])))
        .collect();
    for spec in hidden.iter_mut().step_by(2) {
        spec.phase = 5;
        spec.technologies = vec!["RPA"];
    }
    let written = make(app, &people, &mut hidden, 312).await;
    let at = settle(app, &viewer, written).await;
    assert_eq!(
        overview(app, &viewer, Value::Null, &at).await,
        dk_view,
        "unchanged for DK"
    );
    assert_eq!(
        overview(app, &outsider, Value::Null, &at).await,
        fi_view,
        "unchanged for FI"
    );
    // Not even the viewer's own IT person, who may read them, gets them counted.
    let own = overview(app, &people.it[dk], Value::Null, &at).await;
    assert_groups(
        &own,
        &expected(&specs, shared_with_dk),
        "DK's IT, no filter",
    );
    Ok(())
}

#[tokio::test]
async fn embedded_the_overview_counts_exactly_what_is_shared_with_the_viewer() -> anyhow::Result<()>
{
    let app = App::spawn("overview").await?;
    the_overview_counts_exactly_what_is_shared(&app).await?;
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn distributed_the_overview_counts_exactly_what_is_shared_with_the_viewer()
-> anyhow::Result<()> {
    let broker = Broker::start(false).await?;
    let cluster = Cluster::start(&broker, &[]).await?;
    the_overview_counts_exactly_what_is_shared(&cluster.gateway).await
}

const HISTORY: &str = "query($m: ID!, $from: NaiveDate!, $to: NaiveDate!, $consistency: String) {
    statusHistory(municipality: $m, from: $from, to: $to, consistency: $consistency) {
        quarter end cells { department phase status count }
    }
}";

/// The first day of the quarter `date` is in.
fn quarter_start(date: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(date.year(), date.month0() / 3 * 3 + 1, 1).unwrap()
}

/// The cells of an answer as a set of `(department, phase, status, count)`.
fn cells(cells: &Value) -> BTreeSet<String> {
    cells
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect()
}

/// The status history before and after later changes.
async fn a_past_quarter_is_the_same(app: &App) -> anyhow::Result<()> {
    let people = people(app).await;
    let mut specs: Vec<Spec> = (0..60).map(|i| Spec::generated(i, None)).collect();
    let written = make(app, &people, &mut specs, 0).await;
    let (dk, se) = (MUNICIPALITIES[0], MUNICIPALITIES[1]);
    let member = app.token("bo", dk, Some("social"), &["employee"]).await?;
    let partner = app.token("sven", se, Some("social"), &["employee"]).await?;
    let last = token_position(&settle(app, &member, written).await).unwrap();
    let today = Utc::now().date_naive();
    let current = quarter_start(today);
    let previous = current - Months::new(3);
    let end = current + Months::new(3) - chrono::Days::new(1);
    let ask = |token: &str, at: i64| {
        let token = token.to_owned();
        async move {
            ok(
                app,
                &token,
                HISTORY,
                json!({ "m": dk, "from": previous.to_string(), "to": end.to_string(), "consistency": token_at(at) }),
            )
            .await["statusHistory"]
                .clone()
        }
    };
    let status_now = |token: &str, at: i64| {
        let token = token.to_owned();
        async move {
            ok(
                app,
                &token,
                STATUS_OVERVIEW,
                json!({ "m": dk, "consistency": token_at(at) }),
            )
            .await["statusOverview"]["cells"]
                .clone()
        }
    };

    let before = ask(&member, last).await;
    let partner_before = ask(&partner, last).await;
    for history in [&before, &partner_before] {
        let quarters: Vec<&Value> = history.as_array().unwrap().iter().collect();
        assert_eq!(quarters.len(), 2, "{history:#}");
        let name = |d: NaiveDate| format!("{}-Q{}", d.year(), d.month0() / 3 + 1);
        assert_eq!(quarters[0]["quarter"], name(previous));
        assert_eq!(quarters[1]["quarter"], name(current));
        assert_eq!(quarters[1]["end"], end.to_string());
        // Nothing had happened by the end of the previous quarter.
        assert_eq!(quarters[0]["cells"], json!([]));
    }
    // The quarter in progress counts what the status overview counts now: per department
    // for a member, without for a partner (who sees only what is shared).
    assert_eq!(
        cells(&before[1]["cells"]),
        cells(&status_now(&member, last).await)
    );
    assert_eq!(
        cells(&partner_before[1]["cells"]),
        cells(&status_now(&partner, last).await)
    );
    assert!(
        partner_before[1]["cells"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["department"].is_null())
    );

    // Later changes: moves, new processes, a process made PUBLIC and one withdrawn; read
    // after each of them, the last write's position covers them all.
    let token = &people.it[dk];
    let mine: Vec<&Spec> = specs.iter().filter(|s| s.municipality == dk).collect();
    let mut written = Vec::new();
    for spec in mine.iter().filter(|s| s.phase == 1) {
        written.push(
            change_phase(app, token, &spec.id, PHASES[spec.phase + 1])
                .await
                .token,
        );
    }
    for (spec, visibility) in mine
        .iter()
        .take(4)
        .zip(["PUBLIC", "PRIVATE", "NETWORK", "PUBLIC"])
    {
        let updated = ok(
            app,
            token,
            UPDATE,
            json!({ "id": spec.id, "input": { "visibility": visibility } }),
        )
        .await;
        written.push(Written::from_payload(&updated["updateProcess"]).token);
    }
    written.push(
        submit(
            app,
            token,
            form("Ny proces", &["social", "hr"], 10, 1.0, 10),
        )
        .await
        .token,
    );
    let last = token_position(&settle(app, &member, written).await).unwrap();
    let after = ask(&member, last).await;
    let partner_after = ask(&partner, last).await;
    assert_eq!(after[0], before[0], "the past quarter is the same");
    assert_eq!(
        partner_after[0], partner_before[0],
        "the past quarter is the same"
    );
    assert_ne!(
        after[1], before[1],
        "the quarter in progress follows the changes"
    );
    assert_eq!(
        cells(&after[1]["cells"]),
        cells(&status_now(&member, last).await)
    );
    assert_eq!(
        cells(&partner_after[1]["cells"]),
        cells(&status_now(&partner, last).await)
    );

    // More than 40 quarters, or a span that runs backwards, is the client's error.
    for (from, to) in [("2010-01-01", "2020-06-30"), ("2026-06-30", "2026-01-01")] {
        refused(
            app,
            Some(&member),
            HISTORY,
            json!({ "m": dk, "from": from, "to": to }),
            "BAD_USER_INPUT",
        )
        .await;
    }
    refused(
        app,
        None,
        HISTORY,
        json!({ "m": dk, "from": "2026-01-01", "to": "2026-12-31" }),
        "UNAUTHENTICATED",
    )
    .await;
    let unregistered = app
        .token("bo", "DK-0999", Some("social"), &["employee"])
        .await?;
    refused(
        app,
        Some(&unregistered),
        HISTORY,
        json!({ "m": dk, "from": "2026-01-01", "to": "2026-12-31" }),
        "FORBIDDEN",
    )
    .await;
    // Ten years is allowed.
    let decade = ok(
        app,
        &member,
        HISTORY,
        json!({ "m": dk, "from": "2016-01-01", "to": "2025-12-31" }),
    )
    .await;
    assert_eq!(decade["statusHistory"].as_array().unwrap().len(), 40);
    Ok(())
}

#[tokio::test]
async fn embedded_a_past_quarter_is_the_same_whenever_it_is_asked() -> anyhow::Result<()> {
    let app = App::spawn("status-history").await?;
    a_past_quarter_is_the_same(&app).await?;
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn distributed_a_past_quarter_is_the_same_whenever_it_is_asked() -> anyhow::Result<()> {
    let broker = Broker::start(false).await?;
    let cluster = Cluster::start(&broker, &[]).await?;
    a_past_quarter_is_the_same(&cluster.gateway).await
}
