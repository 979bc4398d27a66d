//! The ideas read models on both backends: ideas events with chosen times are fed to the
//! `idea_views` and `challenge_views` projections (one event a batch and all in one, as
//! their runners would), and every query is checked: the read rule (a partner reads a
//! NETWORK idea redacted, never a PRIVATE or MUNICIPALITY one, exactly as a random id), the
//! score with a lower-is-better criterion and again after the criteria change, lists,
//! filters and cursors, challenges, workshops, overdue action items and the funnel. The
//! process side of the link (`ProcessSubmitted.origin`) is checked through `process_views`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use innohub_projections::challenge_views::ActionItemStatus;
use innohub_projections::filter::{ActionItemFilter, IdeaFilter};
use innohub_projections::idea_queries::{IdeaCursor, IdeaView};
use innohub_projections::{ChallengeViews, IdeaQueries, IdeaViews, ProcessQueries, ProcessViews};
use innohub_proto::innohub::common::v1::RecordRef;
use innohub_proto::innohub::ideas::v1 as pb;
use innohub_proto::innohub::processes::v1 as processes;
use innohub_runtime::access::access;
use innohub_runtime::{
    Access, Audience, Database, DepartmentId, MunicipalityId, StoredEvent, UserId, Viewer,
    Visibility,
};
use prost::{Message, Name};
use uuid::Uuid;

mod common;
use common::{Events, Fresh, close, day, project, stores, time, viewer};

const DK: &str = "DK-0706";
const SE: &str = "SE-1283";

impl Events {
    /// An event of `aggregate` (of type `kind`, in DK) that occurred at `at`.
    fn push<M: Message + Name>(&mut self, kind: &str, aggregate: &str, at: &str, m: M) {
        self.event((kind, aggregate), DK, at, m);
    }

    fn idea<M: Message + Name>(&mut self, idea: Uuid, at: &str, m: M) {
        self.push("idea", &idea.to_string(), at, m);
    }

    fn submit(&mut self, idea: Uuid, at: &str, submitter: &str, details: pb::IdeaDetails) {
        self.idea(
            idea,
            at,
            pb::IdeaSubmitted {
                idea_id: idea.to_string(),
                municipality: DK.into(),
                submitter: submitter.into(),
                details: Some(details),
            },
        );
    }

    fn gate(
        &mut self,
        idea: Uuid,
        at: &str,
        (from, to): (pb::Stage, pb::Stage),
        outcome: pb::Outcome,
    ) {
        self.idea(
            idea,
            at,
            pb::IdeaGateDecided {
                from: from as i32,
                to: to as i32,
                rationale: format!("to {}", to.as_str_name()),
                decider: "lea".into(),
                likely_outcome: outcome as i32,
            },
        );
    }

    fn criteria(&mut self, at: &str, criteria: Vec<pb::Criterion>) {
        self.push(
            "idea_criteria",
            &format!("idea-criteria:{DK}"),
            at,
            pb::IdeaCriteriaSet {
                municipality: DK.into(),
                criteria,
            },
        );
    }

    fn item(
        &mut self,
        item: Uuid,
        at: &str,
        (title, owner, deadline): (&str, &str, &str),
        idea: Option<Uuid>,
        workshop: Uuid,
    ) {
        self.push(
            "action_item",
            &item.to_string(),
            at,
            pb::ActionItemAdded {
                item_id: item.to_string(),
                municipality: DK.into(),
                workshop_id: workshop.to_string(),
                idea_id: idea.map(|i| i.to_string()).unwrap_or_default(),
                title: title.into(),
                owner: owner.into(),
                deadline: deadline.into(),
            },
        );
    }
}

fn details(
    title: &str,
    visibility: processes::Visibility,
    departments: &[&str],
    tags: &[&str],
) -> pb::IdeaDetails {
    pb::IdeaDetails {
        title: title.into(),
        need: "Borgerne venter".into(),
        proposed_solution: "En chatbot".into(),
        departments: departments.iter().map(|d| (*d).into()).collect(),
        tags: tags.iter().map(|t| (*t).into()).collect(),
        driver: pb::Driver::IdeaDriven as i32,
        visibility: visibility as i32,
        reviewers: vec!["rita".into()],
        ..Default::default()
    }
}

fn criterion(name: &str, weight: u32, scale: (i32, i32), lower_is_better: bool) -> pb::Criterion {
    pb::Criterion {
        name: name.into(),
        weight,
        scale_min: scale.0,
        scale_max: scale.1,
        lower_is_better,
    }
}

fn scored(reviewer: &str, values: &[(&str, i32)]) -> pb::IdeaScored {
    pb::IdeaScored {
        reviewer: reviewer.into(),
        scores: values
            .iter()
            .map(|(c, v)| pb::CriterionScore {
                criterion: (*c).into(),
                value: *v,
            })
            .collect(),
    }
}

/// The ids of the scenario.
struct Ids {
    /// NETWORK, social, tagged AI: scored, supported, commented, through two gates, and a
    /// process.
    network: Uuid,
    /// PRIVATE to bo and the it department.
    private: Uuid,
    /// MUNICIPALITY, answering the open challenge.
    local: Uuid,
    open_challenge: Uuid,
    closed_challenge: Uuid,
    workshop: Uuid,
    late: Uuid,
    done: Uuid,
    dropped: Uuid,
    later: Uuid,
    process: Uuid,
}

fn scenario(e: &mut Events) -> Ids {
    use processes::Visibility::*;
    let ids = Ids {
        network: Uuid::now_v7(),
        private: Uuid::now_v7(),
        local: Uuid::now_v7(),
        open_challenge: Uuid::now_v7(),
        closed_challenge: Uuid::now_v7(),
        workshop: Uuid::now_v7(),
        late: Uuid::now_v7(),
        done: Uuid::now_v7(),
        dropped: Uuid::now_v7(),
        later: Uuid::now_v7(),
        process: Uuid::now_v7(),
    };
    // Citizen value 1–5 (weight 3), cost 1–5 where lower is better (weight 1).
    e.criteria(
        "2026-01-01T08:00:00Z",
        vec![
            criterion("Citizen value", 3, (1, 5), false),
            criterion("Cost", 1, (1, 5), true),
        ],
    );
    for (challenge, status) in [
        (ids.open_challenge, pb::ChallengeStatus::Open),
        (ids.closed_challenge, pb::ChallengeStatus::Draft),
    ] {
        e.push(
            "challenge",
            &challenge.to_string(),
            "2026-01-02T08:00:00Z",
            pb::ChallengeCreated {
                challenge_id: challenge.to_string(),
                municipality: DK.into(),
                details: Some(pb::ChallengeDetails {
                    title: "Færre ventetider".into(),
                    description: "Hvordan?".into(),
                    owner: "lea".into(),
                    departments: vec!["social".into()],
                    open_from: "2026-01-01".into(),
                    open_to: "2026-06-30".into(),
                }),
                status: status as i32,
                created_by: "lea".into(),
            },
        );
    }
    let closed = ids.closed_challenge.to_string();
    e.push(
        "challenge",
        &closed,
        "2026-01-03T08:00:00Z",
        pb::ChallengeOpened {},
    );
    e.push(
        "challenge",
        &closed,
        "2026-01-04T08:00:00Z",
        pb::ChallengeClosed {
            reason: "Nok idéer".into(),
        },
    );

    e.submit(
        ids.network,
        "2026-01-05T00:00:00Z",
        "anna",
        details("Chatbot", Network, &["social"], &["AI"]),
    );
    e.submit(
        ids.private,
        "2026-01-06T00:00:00Z",
        "bo",
        details("Robot", Private, &["it"], &["RPA"]),
    );
    let mut answering = details("Kø-app", Municipality, &["hr"], &[]);
    answering.challenge_id = ids.open_challenge.to_string();
    answering.driver = pb::Driver::ChallengeDriven as i32;
    e.submit(ids.local, "2026-01-07T00:00:00Z", "carl", answering);

    let n = ids.network;
    for (user, municipality) in [("bo", DK), ("sven", SE), ("carl", DK)] {
        e.idea(
            n,
            "2026-01-08T00:00:00Z",
            pb::IdeaSupported {
                user: user.into(),
                municipality: municipality.into(),
            },
        );
    }
    e.idea(
        n,
        "2026-01-08T01:00:00Z",
        pb::IdeaSupportWithdrawn {
            user: "carl".into(),
            municipality: DK.into(),
        },
    );
    for (author, municipality, text) in [("sven", SE, "Vi har en!"), ("anna", DK, "Tak")] {
        e.idea(
            n,
            "2026-01-09T00:00:00Z",
            pb::IdeaCommented {
                comment_id: Uuid::now_v7().to_string(),
                author: author.into(),
                author_municipality: municipality.into(),
                text: text.into(),
            },
        );
    }
    // lea's first values are replaced by her second.
    e.idea(
        n,
        "2026-01-09T01:00:00Z",
        scored("lea", &[("Citizen value", 1), ("Cost", 5)]),
    );
    e.idea(
        n,
        "2026-01-09T02:00:00Z",
        scored("lea", &[("Citizen value", 5), ("Cost", 2)]),
    );
    e.idea(
        n,
        "2026-01-09T03:00:00Z",
        scored("rita", &[("Citizen value", 3), ("Cost", 5)]),
    );
    use pb::Stage::*;
    e.gate(
        n,
        "2026-01-10T00:00:00Z",
        (Submitted, Exploring),
        pb::Outcome::Unspecified,
    );
    e.gate(
        n,
        "2026-01-20T00:00:00Z",
        (Exploring, Designing),
        pb::Outcome::Partnership,
    );
    e.idea(
        n,
        "2026-01-21T00:00:00Z",
        pb::IdeaOutcomeLinked {
            outcome: Some(RecordRef {
                context: "processes".into(),
                kind: "process".into(),
                id: ids.process.to_string(),
                municipality: DK.into(),
            }),
        },
    );
    e.gate(
        ids.private,
        "2026-01-12T00:00:00Z",
        (Submitted, Exploring),
        pb::Outcome::Unspecified,
    );

    e.push(
        "workshop",
        &ids.workshop.to_string(),
        "2026-02-01T15:00:00Z",
        pb::WorkshopRecorded {
            workshop_id: ids.workshop.to_string(),
            municipality: DK.into(),
            details: Some(pb::WorkshopDetails {
                title: "Idéværksted".into(),
                date: "2026-02-01".into(),
                facilitator: "lea".into(),
                participants: vec!["anna".into(), "bo".into()],
                challenge_id: ids.open_challenge.to_string(),
                idea_ids: vec![n.to_string()],
                summary: "Vi prøver chatbotten".into(),
                outcomes: vec!["En pilot".into()],
            }),
        },
    );
    let w = ids.workshop;
    e.item(
        ids.late,
        "2026-02-01T16:00:00Z",
        ("Skriv oplæg", "anna", "2026-02-10"),
        Some(n),
        w,
    );
    e.item(
        ids.done,
        "2026-02-01T16:00:00Z",
        ("Book møde", "bo", "2026-02-05"),
        None,
        w,
    );
    e.item(
        ids.dropped,
        "2026-02-01T16:00:00Z",
        ("Ring til KL", "bo", "2026-02-01"),
        None,
        w,
    );
    e.item(
        ids.later,
        "2026-02-01T16:00:00Z",
        ("Pilotplan", "anna", "2026-03-01"),
        Some(n),
        w,
    );
    e.push(
        "action_item",
        &ids.done.to_string(),
        "2026-02-04T09:00:00Z",
        pb::ActionItemCompleted {},
    );
    e.push(
        "action_item",
        &ids.dropped.to_string(),
        "2026-02-02T09:00:00Z",
        pb::ActionItemDropped {
            reason: "Ikke nødvendigt".into(),
        },
    );
    ids
}

/// Apply `events` to both ideas projections in batches of `size`.
async fn feed(db: &Database, events: &[&StoredEvent], size: usize) {
    project(&IdeaViews, db, events, size).await;
    project(&ChallengeViews, db, events, size).await;
}

/// Every idea of a list for `viewer`, a page of one at a time.
async fn page_through(queries: &IdeaQueries, viewer: &Viewer, filter: &IdeaFilter) -> Vec<Uuid> {
    common::page_through(
        async |after: Option<&IdeaCursor>| queries.ideas(viewer, filter, after, 1).await.unwrap(),
        |view: &IdeaView| view.id,
    )
    .await
}

async fn idea(queries: &IdeaQueries, viewer: &Viewer, id: Uuid) -> Option<IdeaView> {
    queries.idea(viewer, id).await.unwrap()
}

/// What the scenario must read like, on one store.
async fn check(db: &Database, ids: &Ids) {
    let q = IdeaQueries::new(db.clone());
    let anna = viewer("anna", DK, "social", &[]);
    let bo = viewer("bo", DK, "it", &[]);
    let dan = viewer("dan", DK, "it", &[]);
    let sven = viewer("sven", SE, "it", &[DK]);
    let olle = viewer("olle", SE, "it", &[]);

    // A member reads it all, but people of another municipality.
    let full = idea(&q, &anna, ids.network).await.unwrap();
    assert_eq!(full.access, Access::Full);
    assert_eq!(full.submitter.as_deref(), Some("anna"));
    assert_eq!(full.details.departments, ["social"]);
    assert_eq!(full.stage, pb::Stage::Designing);
    assert_eq!(full.likely_outcome, Some(pb::Outcome::Partnership));
    assert_eq!(full.support_count, 2);
    assert!(!full.supported_by_me);
    let gates: Vec<_> = full
        .gates
        .iter()
        .map(|g| (g.from, g.to, g.decider.clone()))
        .collect();
    assert_eq!(
        gates,
        [
            (
                pb::Stage::Submitted,
                pb::Stage::Exploring,
                Some("lea".to_owned())
            ),
            (
                pb::Stage::Exploring,
                pb::Stage::Designing,
                Some("lea".to_owned())
            ),
        ]
    );
    assert_eq!(full.gates[1].likely_outcome, Some(pb::Outcome::Partnership));
    assert_eq!(full.gates[0].decided_at, time("2026-01-10T00:00:00Z"));
    let authors: Vec<_> = full
        .comments
        .iter()
        .map(|c| c.author.as_ref().map(|a| a.to_string()))
        .collect();
    assert_eq!(authors, [None, Some("anna".to_owned())]);
    assert_eq!(full.comments[0].author_municipality.as_str(), SE);
    assert_eq!(full.outcomes.len(), 1);
    assert!(full.outcomes[0].is("processes", "process"));
    assert_eq!(full.outcomes[0].id(), ids.process);
    assert_eq!(full.submitted_at, time("2026-01-05T00:00:00Z"));
    assert_eq!(full.updated_at, Some(time("2026-01-21T00:00:00Z")));
    // lea: citizen value 5 → 1, cost 2 → 0.25, inverted 0.75: (3 + 0.75) / 4 = 93.75.
    // rita: citizen value 3 → 0.5, cost 5 → 1, inverted 0: 1.5 / 4 = 37.5.
    close(full.score, (93.75 + 37.5) / 2.0);
    let reviews = full.reviews.as_ref().unwrap();
    assert_eq!(reviews.len(), 2, "lea's second values replaced her first");
    assert_eq!(reviews[0].reviewer, "lea");
    close(reviews[0].score, 93.75);
    close(reviews[1].score, 37.5);

    // A network partner reads it redacted: no people, departments or reviews; the score.
    let shared = idea(&q, &sven, ids.network).await.unwrap();
    assert_eq!(shared.access, Access::Partner);
    assert_eq!(shared.submitter, None);
    assert!(shared.details.departments.is_empty());
    assert!(shared.details.reviewers.is_empty());
    assert_eq!(shared.details.title, "Chatbot");
    assert_eq!(shared.details.tags, ["AI"]);
    assert!(shared.reviews.is_none());
    close(shared.score, (93.75 + 37.5) / 2.0);
    assert!(shared.gates.iter().all(|g| g.decider.is_none()));
    assert_eq!(shared.gates[1].rationale, "to STAGE_DESIGNING");
    let authors: Vec<_> = shared
        .comments
        .iter()
        .map(|c| c.author.as_ref().map(|a| a.to_string()))
        .collect();
    assert_eq!(authors, [Some("sven".to_owned()), None]);
    assert!(shared.supported_by_me);
    assert_eq!(shared.support_count, 2);
    assert_eq!(shared.updated_at, None);

    // The SQL rule and the Rust rule (the ideas service's) agree on every idea and viewer.
    let viewers = [
        &anna,
        &bo,
        &dan,
        &sven,
        &olle,
        &viewer("rita", DK, "hr", &[]),
    ];
    for (id, submitter) in [
        (ids.network, "anna"),
        (ids.private, "bo"),
        (ids.local, "carl"),
    ] {
        let d = idea(&q, &dan, id).await.unwrap().details;
        let departments: Vec<DepartmentId> = d
            .departments
            .iter()
            .map(|d| DepartmentId::parse(d).unwrap())
            .collect();
        let people: Vec<UserId> = std::iter::once(submitter)
            .chain(d.reviewers.iter().map(String::as_str))
            .map(|u| UserId::parse(u).unwrap())
            .collect();
        let people: Vec<&UserId> = people.iter().collect();
        let dk = MunicipalityId::parse(DK).unwrap();
        let visibility = match processes::Visibility::try_from(d.visibility).unwrap() {
            processes::Visibility::Private => Visibility::Private,
            processes::Visibility::Network => Visibility::Network,
            processes::Visibility::Public => Visibility::Public,
            _ => Visibility::Municipality,
        };
        for who in viewers {
            let rule = access(
                who,
                Audience {
                    municipality: &dk,
                    visibility,
                    departments: &departments,
                    people: &people,
                },
            );
            let read = idea(&q, who, id).await.map(|v| v.access);
            assert_eq!(
                read.unwrap_or(Access::None),
                rule,
                "{} reads {id}",
                who.principal.user
            );
        }
    }

    // Not shared with them: exactly as an id that names nothing.
    for (who, id) in [
        (&olle, ids.network),
        (&sven, ids.private),
        (&sven, ids.local),
        (&sven, Uuid::now_v7()),
        (&anna, ids.private),
    ] {
        assert!(
            idea(&q, who, id).await.is_none(),
            "{} reads {id}",
            who.principal.user
        );
    }
    // PRIVATE: its submitter, its department and the reviewers named on it.
    let rita = viewer("rita", DK, "hr", &[]);
    let carl = viewer("carl", DK, "hr", &[]);
    assert!(idea(&q, &bo, ids.private).await.is_some());
    assert!(idea(&q, &dan, ids.private).await.is_some());
    assert!(idea(&q, &rita, ids.private).await.is_some());
    assert!(idea(&q, &carl, ids.private).await.is_none());
    assert_eq!(
        page_through(&q, &rita, &IdeaFilter::default()).await.len(),
        3
    );

    // Lists: newest first, page by page, by the same rule.
    let all = IdeaFilter::default();
    assert_eq!(
        page_through(&q, &anna, &all).await,
        [ids.local, ids.network]
    );
    assert_eq!(
        page_through(&q, &dan, &all).await,
        [ids.local, ids.private, ids.network]
    );
    assert_eq!(page_through(&q, &sven, &all).await, [ids.network]);
    assert_eq!(page_through(&q, &olle, &all).await, Vec::<Uuid>::new());
    assert_eq!(q.count(&dan, &all).await.unwrap(), 3);
    assert_eq!(q.count(&sven, &all).await.unwrap(), 1);
    let by = |f: fn(&mut IdeaFilter)| {
        let mut filter = IdeaFilter::default();
        f(&mut filter);
        filter
    };
    let filtered = [
        (
            by(|f| f.stage = Some(pb::Stage::Exploring)),
            &dan,
            vec![ids.private],
        ),
        (
            by(|f| f.stage = Some(pb::Stage::Submitted)),
            &dan,
            vec![ids.local],
        ),
        (by(|f| f.tag = Some("AI".into())), &sven, vec![ids.network]),
        (
            by(|f| f.department = Some("social".into())),
            &anna,
            vec![ids.network],
        ),
        // Partners cannot filter by what they cannot see.
        (by(|f| f.department = Some("social".into())), &sven, vec![]),
        (
            by(|f| f.outcome = Some(pb::Outcome::Partnership)),
            &anna,
            vec![ids.network],
        ),
        (
            by(|f| f.outcome = Some(pb::Outcome::Procurement)),
            &anna,
            vec![],
        ),
        (
            by(|f| f.municipality = Some(MunicipalityId::parse(SE).unwrap())),
            &anna,
            vec![],
        ),
    ];
    for (filter, who, expected) in filtered {
        assert_eq!(page_through(&q, who, &filter).await, expected, "{filter:?}");
    }
    let answering = IdeaFilter {
        challenge: Some(ids.open_challenge),
        ..IdeaFilter::default()
    };
    assert_eq!(page_through(&q, &anna, &answering).await, [ids.local]);

    // Challenges: the municipality's own, counting the ideas the viewer may read.
    let challenges = q.challenges(&anna).await.unwrap();
    let open = challenges
        .iter()
        .find(|c| c.id == ids.open_challenge)
        .unwrap();
    assert_eq!(open.status, pb::ChallengeStatus::Open);
    assert_eq!(open.idea_count, 1);
    assert_eq!(open.details.title, "Færre ventetider");
    let closed = q
        .challenge(&anna, ids.closed_challenge)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(closed.status, pb::ChallengeStatus::Closed);
    assert_eq!(closed.closed_reason.as_deref(), Some("Nok idéer"));
    assert!(q.challenges(&sven).await.unwrap().is_empty());
    assert!(
        q.challenge(&sven, ids.open_challenge)
            .await
            .unwrap()
            .is_none()
    );

    // Workshops: the municipality's own.
    let workshops = q.workshops(&anna).await.unwrap();
    assert_eq!(workshops.len(), 1);
    assert_eq!(workshops[0].details.idea_ids, [ids.network.to_string()]);
    assert!(q.workshop(&anna, ids.workshop).await.unwrap().is_some());
    assert!(q.workshops(&sven).await.unwrap().is_empty());
    assert!(q.workshop(&sven, ids.workshop).await.unwrap().is_none());

    // Action items, on 15 February: the open one past its deadline is overdue.
    let today = day("2026-02-15");
    let items = |filter: ActionItemFilter, who: &Viewer| {
        let q = q.clone();
        let who = who.clone();
        async move {
            q.action_items(&who, &filter, today)
                .await
                .unwrap()
                .into_iter()
                .map(|i| i.id)
                .collect::<Vec<_>>()
        }
    };
    let all_items = q
        .action_items(&anna, &ActionItemFilter::default(), today)
        .await
        .unwrap();
    let statuses: Vec<_> = all_items
        .iter()
        .map(|i| (i.id, i.status, i.overdue))
        .collect();
    assert_eq!(
        statuses,
        [
            (ids.dropped, ActionItemStatus::Dropped, false),
            (ids.done, ActionItemStatus::Done, false),
            (ids.late, ActionItemStatus::Open, true),
            (ids.later, ActionItemStatus::Open, false),
        ],
        "by deadline"
    );
    let dropped = &all_items[0];
    assert_eq!(dropped.drop_reason.as_deref(), Some("Ikke nødvendigt"));
    assert_eq!(dropped.closed_at, Some(time("2026-02-02T09:00:00Z")));
    assert_eq!(all_items[1].closed_at, Some(time("2026-02-04T09:00:00Z")));
    assert_eq!(all_items[2].closed_at, None);
    let overdue = ActionItemFilter {
        overdue: Some(true),
        ..Default::default()
    };
    assert_eq!(items(overdue.clone(), &anna).await, [ids.late]);
    assert_eq!(
        items(
            ActionItemFilter {
                overdue: Some(false),
                ..Default::default()
            },
            &anna
        )
        .await,
        [ids.dropped, ids.done, ids.later]
    );
    assert_eq!(
        items(
            ActionItemFilter {
                owner: Some("bo".into()),
                ..Default::default()
            },
            &anna
        )
        .await,
        [ids.dropped, ids.done]
    );
    assert_eq!(
        items(
            ActionItemFilter {
                idea: Some(ids.network),
                ..Default::default()
            },
            &anna
        )
        .await,
        [ids.late, ids.later]
    );
    assert_eq!(
        items(
            ActionItemFilter {
                workshop: Some(ids.workshop),
                overdue: Some(true),
                ..Default::default()
            },
            &anna
        )
        .await,
        [ids.late]
    );
    assert!(items(ActionItemFilter::default(), &sven).await.is_empty());
    // Before its deadline nothing was overdue.
    assert!(
        q.action_items(&anna, &overdue, day("2026-02-10"))
            .await
            .unwrap()
            .is_empty()
    );

    // The funnel of January, as each may read it.
    let dk = MunicipalityId::parse(DK).unwrap();
    let january = (Some(day("2026-01-01")), Some(day("2026-01-31")));
    let funnel = q
        .idea_funnel(&dan, &dk, january.0, january.1)
        .await
        .unwrap();
    let stages: Vec<_> = funnel
        .stages
        .iter()
        .map(|s| (s.stage, s.ideas))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(
        stages,
        [
            (pb::Stage::Submitted, 1),
            (pb::Stage::Exploring, 1),
            (pb::Stage::Designing, 1)
        ]
    );
    let first = funnel.conversions[0];
    assert_eq!(
        (first.from, first.to, first.entered, first.advanced),
        (pb::Stage::Submitted, pb::Stage::Exploring, 3, 2)
    );
    assert_eq!(
        (
            funnel.conversions[1].entered,
            funnel.conversions[1].advanced
        ),
        (2, 1)
    );
    let submitted = funnel.lead_times[0];
    assert_eq!(
        (submitted.stage, submitted.ideas),
        (pb::Stage::Submitted, 2)
    );
    // The network idea left SUBMITTED after 5 days, the private one after 6.
    assert_eq!(submitted.median_days, Some(5.5));
    assert_eq!(funnel.lead_times[1].median_days, Some(10.0));
    assert_eq!(funnel.became_processes, 1);
    let shared = q
        .idea_funnel(&sven, &dk, january.0, january.1)
        .await
        .unwrap();
    let stages: Vec<_> = shared
        .stages
        .iter()
        .map(|s| (s.stage, s.ideas))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(stages, [(pb::Stage::Designing, 1)]);
    assert_eq!(shared.conversions[0].entered, 1);
    assert_eq!(shared.became_processes, 1);
    let february = q
        .idea_funnel(&dan, &dk, Some(day("2026-02-01")), None)
        .await
        .unwrap();
    assert!(february.stages.iter().all(|s| s.ideas == 0));
    assert_eq!(february.conversions[0].entered, 0);

    // The criteria are the municipality's own.
    assert_eq!(q.criteria(&anna).await.unwrap().len(), 2);
    assert!(q.criteria(&sven).await.unwrap().is_empty());
}

/// New criteria re-score every idea of the municipality.
async fn check_rescored(db: &Database, ids: &Ids) {
    let q = IdeaQueries::new(db.clone());
    let anna = viewer("anna", DK, "social", &[]);
    let full = idea(&q, &anna, ids.network).await.unwrap();
    // Citizen value 1–3 (weight 1) and risk 0–10, lower is better (weight 5), which nobody
    // gave a value for: lea's 5 past the scale counts as 1, rita's 3 as 1; cost is gone.
    close(full.score, 100.0);
    let reviews = full.reviews.unwrap();
    close(reviews[0].score, 100.0);
    close(reviews[1].score, 100.0);
    assert_eq!(q.criteria(&anna).await.unwrap()[1].name, "Risk");
    // Partners read the score the members read.
    let sven = viewer("sven", SE, "it", &[DK]);
    close(idea(&q, &sven, ids.network).await.unwrap().score, 100.0);
}

#[tokio::test]
async fn ideas_read_by_the_one_rule_with_scores_items_and_the_funnel() {
    let mut e = Events::default();
    let ids = scenario(&mut e);
    let first_part = e.made.len();
    let stores = stores("ideas").await;
    for (store, batch) in &stores {
        feed(&store.db, &e.since(0), *batch).await;
        check(&store.db, &ids).await;
    }
    e.criteria(
        "2026-03-01T08:00:00Z",
        vec![
            criterion("Citizen value", 1, (1, 3), false),
            criterion("Risk", 5, (0, 10), true),
        ],
    );
    for (store, batch) in &stores {
        feed(&store.db, &e.since(first_part), *batch).await;
        check_rescored(&store.db, &ids).await;
    }
    for (store, _) in stores {
        store.remove().await;
    }
}

/// A process spawned from an idea keeps its origin; one reported directly has none.
#[tokio::test]
async fn a_process_keeps_the_idea_it_was_spawned_from() {
    let origin = RecordRef {
        context: "ideas".into(),
        kind: "idea".into(),
        id: Uuid::now_v7().to_string(),
        municipality: DK.into(),
    };
    let (spawned, direct) = (Uuid::now_v7(), Uuid::now_v7());
    let mut e = Events::default();
    for (id, origin) in [(spawned, Some(origin.clone())), (direct, None)] {
        e.push(
            "process",
            &id.to_string(),
            "2026-01-21T00:00:00Z",
            processes::ProcessSubmitted {
                process_id: id.to_string(),
                municipality: DK.into(),
                reporter: "lea".into(),
                details: Some(processes::ProcessDetails {
                    title: "Chatbot".into(),
                    short_description: "Fra idéen".into(),
                    departments: vec!["social".into()],
                    visibility: processes::Visibility::Municipality as i32,
                    ..Default::default()
                }),
                adopted_from: None,
                origin,
            },
        );
    }
    for store in [
        Fresh::sqlite("origin").await,
        Fresh::postgres("origin").await,
    ] {
        project(&ProcessViews, &store.db, &e.since(0), 1000).await;
        let q = ProcessQueries::new(store.db.clone());
        let anna = viewer("anna", DK, "social", &[]);
        let view = q.get(&anna, spawned).await.unwrap().unwrap();
        assert_eq!(view.origin.as_ref(), Some(&origin));
        assert_eq!(q.get(&anna, direct).await.unwrap().unwrap().origin, None);
        store.remove().await;
    }
}
