//! Helsingborg's innovation fund in the demo: the fund (250 000–1 000 000 SEK a project, at
//! least two departments, three weighted criteria), this year's budget, a decision round,
//! and [`PITCHES`], one application in every status (DRAFT, SUBMITTED, IN_REVIEW with a
//! review, APPROVED with a disbursement and a progress report, PARTIALLY_APPROVED with
//! unspent money returned, REJECTED, WITHDRAWN), the approved one for one of Helsingborg's
//! ideas. Through the ordinary commands of the funding service, so every rule applies.

use std::future::Future;

use anyhow::Context as _;
use chrono::{Datelike as _, Days, NaiveDate};
use innohub_ideas::links::IDEA;
use innohub_proto::innohub::common::v1::{self as cpb, CommandReply, GetHistoryRequest};
use innohub_proto::innohub::funding::v1::funding_service_client::FundingServiceClient;
use innohub_proto::innohub::funding::v1::{self as fpb, ApplicationStatus, DecisionOutcome};
use innohub_proto::innohub::processes::v1::Visibility;
use innohub_runtime::grpc::Channel;
use innohub_runtime::{MunicipalityId, Principal, RecordLink, Role};
use prost::{Message as _, Name as _};
use uuid::Uuid;

use super::{person, seeds, send};
use crate::graphql::Services;

/// The fund's currency.
const CURRENCY: &str = "SEK";

/// `kronor` whole Swedish crowns.
fn sek(kronor: i64) -> cpb::Money {
    cpb::Money {
        minor_units: kronor * 100,
        currency: CURRENCY.into(),
    }
}

/// The fund's criteria and their weights; reviewers score each 1–5.
const CRITERIA: [(&str, &str, u32); 3] = [
    (
        "Nytta för invånarna",
        "Hur mycket invånarna vinner på resultatet",
        50,
    ),
    (
        "Genomförbarhet",
        "Om projektet kan genomföras med den tid, kompetens och budget det har",
        30,
    ),
    (
        "Spridningsbarhet",
        "Om resultatet kan användas av fler förvaltningar eller kommuner",
        20,
    ),
];

/// An application of the demo: what is asked for, by which departments (the applicants are
/// `<department>.helsingborg`), the cost plan (its lines sum to the amount requested), and
/// how far it gets.
struct Pitch {
    title: &'static str,
    /// Empty for the draft, which is not finished yet.
    summary: &'static str,
    /// Need, solution, target group, partners, timeline and expected effects.
    canvas: [&'static str; 6],
    departments: [&'static str; 2],
    costs: &'static [(&'static str, i64)],
    visibility: Visibility,
    /// Where it ends.
    status: ApplicationStatus,
    /// The idea of [`seeds`] it is for, by title.
    idea: Option<&'static str>,
}

/// Helsingborg's applications to its fund, one in every status.
const PITCHES: [Pitch; 7] = [
    Pitch {
        title: "Vikarieschema som föreslår rätt vikarie",
        summary: "Ett schemastöd som föreslår vikarier utifrån kompetens och tillgänglighet, \
                  så att cheferna i hemtjänsten får tillbaka timmar varje vecka.",
        canvas: [
            "Chefer i hemtjänsten lägger flera timmar i veckan på att ringa runt efter vikarier",
            "Schemasystemet föreslår vikarier och skickar förfrågan i appen",
            "Enhetschefer och bemanningsenheten i vård och omsorg",
            "Leverantören av schemasystemet",
            "Upphandling under våren, pilot i två områden under hösten",
            "Hälften så lång tid för att tillsätta ett pass; färre obemannade pass",
        ],
        departments: ["elderly-care", "hr"],
        costs: &[
            ("Konfiguration och integration av schemasystemet", 450_000),
            ("Projektledning", 250_000),
            ("Utbildning av chefer och bemanning", 100_000),
        ],
        visibility: Visibility::Network,
        status: ApplicationStatus::Approved,
        idea: Some("Automatisk schemaläggning av vikarier"),
    },
    Pitch {
        title: "E-signering av anställningsavtal",
        summary: "Anställningsavtal signeras digitalt direkt från rekryteringssystemet i \
                  stället för att skickas med post.",
        canvas: [
            "Avtal skickas med post och kommer tillbaka efter veckor",
            "E-signering med BankID kopplad till rekryteringssystemet",
            "Nyanställda och rekryterande chefer",
            "Leverantören av rekryteringssystemet",
            "Införande under ett halvår",
            "Avtal på plats inom två dagar; inget pappersarkiv",
        ],
        departments: ["hr", "economy"],
        costs: &[
            ("Licenser för e-signering, två år", 200_000),
            ("Integration med rekryteringssystemet", 300_000),
        ],
        visibility: Visibility::Municipality,
        status: ApplicationStatus::PartiallyApproved,
        idea: None,
    },
    Pitch {
        title: "Chattbot för bygglovsfrågor",
        summary: "En chattbot på webben som svarar på de vanligaste frågorna om bygglov, \
                  dygnet runt.",
        canvas: [
            "Samma frågor om bygglov kommer in varje dag",
            "En chattbot som tränas på handläggarnas svar",
            "Invånare och företag som söker bygglov",
            "Kontaktcenter",
            "Sex månader",
            "Färre samtal till bygglovshandläggarna",
        ],
        departments: ["technical", "secretariat"],
        costs: &[
            ("Chattbottjänst, ett år", 350_000),
            ("Framtagning av svar och träning", 250_000),
        ],
        visibility: Visibility::Municipality,
        status: ApplicationStatus::InReview,
        idea: None,
    },
    Pitch {
        title: "Läxhjälp via videolänk",
        summary: "Läxhjälp på kvällstid med lärarstudenter via video för elever som saknar \
                  stöd hemma.",
        canvas: [
            "Elever utan stöd hemma halkar efter",
            "Lärarstudenter ger läxhjälp via video tre kvällar i veckan",
            "Elever i årskurs 4–9",
            "Lunds universitet, lärarutbildningen",
            "Ett läsår",
            "Fler elever med godkända betyg",
        ],
        departments: ["education", "social"],
        costs: &[
            ("Arvoden till lärarstudenter", 300_000),
            ("Videoplattform och samordning", 100_000),
        ],
        visibility: Visibility::Municipality,
        status: ApplicationStatus::Submitted,
        idea: None,
    },
    Pitch {
        title: "Drönare för inspektion av broar",
        summary: "Drönare med kamera fotograferar brokonstruktionerna i stället för \
                  inspektion från skylift.",
        canvas: [
            "Broinspektioner kräver avstängningar och skylift",
            "Drönare med högupplöst kamera och bildanalys",
            "Förvaltare av broar och konstruktioner",
            "En drönarleverantör",
            "Ett år",
            "Färre avstängningar; säkrare inspektioner",
        ],
        departments: ["technical", "economy"],
        costs: &[("Drönare och kamera", 400_000), ("Bildanalys", 500_000)],
        visibility: Visibility::Municipality,
        status: ApplicationStatus::Rejected,
        idea: None,
    },
    Pitch {
        title: "Öppna data om lediga parkeringar",
        summary: "Beläggningen i parkeringshusen publiceras som öppna data.",
        canvas: [
            "Besökare letar länge efter parkering i centrum",
            "Sensorer i parkeringshusen och ett öppet API",
            "Besökare och appbyggare",
            "Parkeringsbolaget",
            "Tre månader",
            "Mindre söktrafik i centrum",
        ],
        departments: ["technical", "it"],
        costs: &[("Sensorer och API", 300_000)],
        visibility: Visibility::Municipality,
        status: ApplicationStatus::Withdrawn,
        idea: None,
    },
    Pitch {
        title: "Digital signering av läkemedelslistor",
        summary: "",
        canvas: [
            "Pappersblanketter för läkemedel försvinner och tar tid",
            "Signering i mobilen vid varje läkemedelsgivning",
            "Personal i hemtjänsten",
            "",
            "",
            "",
        ],
        departments: ["elderly-care", "it"],
        costs: &[("Mobil signering, licenser", 250_000)],
        visibility: Visibility::Municipality,
        status: ApplicationStatus::Draft,
        idea: None,
    },
];

/// The demo's way to the funding service.
struct Fund {
    client: FundingServiceClient<Channel>,
    /// The fund manager, who records the council's decisions and the money.
    manager: Principal,
    /// The innovation lead, who helps the applicants draft and submit.
    lead: Principal,
    /// The fund's reviewers.
    reviewers: [Principal; 2],
    helsingborg: MunicipalityId,
    fund: String,
    round: String,
    today: NaiveDate,
}

impl Fund {
    /// Send `message` for `by` with `call`; the id the reply names.
    async fn send<M, F, Fut>(&self, by: &Principal, message: M, call: F) -> anyhow::Result<String>
    where
        F: FnOnce(FundingServiceClient<Channel>, tonic::Request<M>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<CommandReply>, tonic::Status>>,
    {
        Ok(send(&self.client, by, message, call).await?.aggregate_id)
    }

    /// The applicant of `department`.
    fn applicant(&self, department: &str) -> anyhow::Result<Principal> {
        person(
            &format!("{department}.helsingborg"),
            &self.helsingborg,
            department,
            &[Role::Employee],
        )
    }

    /// Draft `pitch` (the innovation lead with its applicants), for `idea` if given: its id.
    async fn draft(&self, pitch: &Pitch, idea: Option<Uuid>) -> anyhow::Result<String> {
        let [
            need,
            solution,
            target_group,
            partners,
            timeline,
            expected_effects,
        ] = pitch.canvas;
        let requested = pitch.costs.iter().map(|(_, kronor)| kronor).sum();
        let details = fpb::ApplicationDetails {
            title: pitch.title.into(),
            summary: pitch.summary.into(),
            applicants: pitch
                .departments
                .iter()
                .map(|d| format!("{d}.helsingborg"))
                .collect(),
            departments: pitch.departments.map(str::to_owned).to_vec(),
            amount_requested: Some(sek(requested)),
            canvas: Some(fpb::Canvas {
                need: need.into(),
                solution: solution.into(),
                target_group: target_group.into(),
                partners: partners.into(),
                timeline: timeline.into(),
                cost_plan: pitch
                    .costs
                    .iter()
                    .map(|(description, kronor)| fpb::CostLine {
                        description: (*description).into(),
                        amount: Some(sek(*kronor)),
                    })
                    .collect(),
                expected_effects: expected_effects.into(),
            }),
            checklist: vec![fpb::ChecklistItem {
                item: "Förvaltningscheferna har godkänt ansökan".into(),
                done: !pitch.summary.is_empty(),
            }],
            visibility: pitch.visibility as i32,
        };
        let request = fpb::DraftApplicationRequest {
            fund_id: self.fund.clone(),
            round_id: self.round.clone(),
            details: Some(details),
            origin: idea.map(|id| {
                let link =
                    RecordLink::new(innohub_ideas::SERVICE, IDEA, id, self.helsingborg.clone());
                cpb::RecordRef::from(&link)
            }),
        };
        self.send(&self.lead, request, |mut c, r| async move {
            c.draft_application(r).await
        })
        .await
    }

    /// `reviewer` scores `application` (benefit, feasibility, spread) and comments.
    async fn review(
        &self,
        reviewer: &Principal,
        application: &str,
        scores: [u32; 3],
        comment: &str,
    ) -> anyhow::Result<()> {
        let request = fpb::AssignReviewerRequest {
            application_id: application.into(),
            reviewer: reviewer.user.to_string(),
        };
        self.send(&self.manager, request, |mut c, r| async move {
            c.assign_reviewer(r).await
        })
        .await?;
        let request = fpb::ReviewApplicationRequest {
            application_id: application.into(),
            review: Some(fpb::Review {
                scores: CRITERIA
                    .iter()
                    .zip(scores)
                    .map(|((criterion, _, _), score)| fpb::CriterionScore {
                        criterion: (*criterion).into(),
                        score,
                    })
                    .collect(),
                comment: comment.into(),
            }),
        };
        self.send(reviewer, request, |mut c, r| async move {
            c.review_application(r).await
        })
        .await?;
        Ok(())
    }

    /// Record the council's decision on `application`: `outcome`, with `granted` kronor for
    /// a partial grant.
    async fn decide(
        &self,
        application: &str,
        outcome: DecisionOutcome,
        granted: i64,
        rationale: &str,
    ) -> anyhow::Result<()> {
        let request = fpb::DecideApplicationRequest {
            application_id: application.into(),
            round_id: self.round.clone(),
            outcome: outcome as i32,
            amount: (outcome == DecisionOutcome::PartiallyApproved).then(|| sek(granted)),
            conditions: if outcome == DecisionOutcome::Rejected {
                String::new()
            } else {
                "Slutrapport till innovationsrådet senast ett år efter beslutet".into()
            },
            rationale: rationale.into(),
        };
        self.send(&self.manager, request, |mut c, r| async move {
            c.decide_application(r).await
        })
        .await?;
        Ok(())
    }

    /// Pay `kronor` of `application`'s grant today.
    async fn disburse(&self, application: &str, kronor: i64, note: &str) -> anyhow::Result<()> {
        let request = fpb::DisburseRequest {
            application_id: application.into(),
            amount: Some(sek(kronor)),
            date: String::new(),
            note: note.into(),
        };
        self.send(&self.manager, request, |mut c, r| async move {
            c.disburse(r).await
        })
        .await?;
        Ok(())
    }

    /// Take `pitch` from a draft as far as its status, for `idea` if given.
    async fn apply(&self, pitch: &Pitch, idea: Option<Uuid>) -> anyhow::Result<()> {
        let id = self.draft(pitch, idea).await?;
        if pitch.status == ApplicationStatus::Draft {
            return Ok(());
        }
        let applicant = self.applicant(pitch.departments[0])?;
        let request = fpb::SubmitApplicationRequest {
            application_id: id.clone(),
        };
        self.send(&applicant, request, |mut c, r| async move {
            c.submit_application(r).await
        })
        .await?;
        match pitch.status {
            ApplicationStatus::Submitted => return Ok(()),
            ApplicationStatus::Withdrawn => {
                let request = fpb::WithdrawApplicationRequest {
                    application_id: id,
                    reason: "Parkeringsbolaget bygger tjänsten själv".into(),
                };
                self.send(&applicant, request, |mut c, r| async move {
                    c.withdraw_application(r).await
                })
                .await?;
                return Ok(());
            }
            _ => {}
        }
        let [first, second] = &self.reviewers;
        self.review(
            first,
            &id,
            [4, 3, 3],
            "Tydligt behov; kostnadsplanen behöver detaljer.",
        )
        .await?;
        match pitch.status {
            ApplicationStatus::InReview => Ok(()),
            ApplicationStatus::Approved => {
                self.review(
                    second,
                    &id,
                    [5, 4, 5],
                    "Kan spridas till hela vård och omsorg.",
                )
                .await?;
                self.decide(
                    &id,
                    DecisionOutcome::Approved,
                    0,
                    "Stor nytta för brukarna och god spridningsbarhet",
                )
                .await?;
                self.disburse(&id, 300_000, "Första utbetalningen vid projektstart")
                    .await?;
                let request = fpb::RecordProgressReportRequest {
                    application_id: id,
                    report: Some(fpb::ProgressReport {
                        date: self.today.to_string(),
                        text: "Schemasystemet är konfigurerat och två områden har börjat \
                               använda förslagen."
                            .into(),
                        spent: Some(sek(250_000)),
                        reported_by: String::new(),
                    }),
                };
                self.send(&self.lead, request, |mut c, r| async move {
                    c.record_progress_report(r).await
                })
                .await?;
                Ok(())
            }
            ApplicationStatus::PartiallyApproved => {
                self.decide(
                    &id,
                    DecisionOutcome::PartiallyApproved,
                    350_000,
                    "Licenserna beviljas för ett år; det andra året tas i ordinarie budget",
                )
                .await?;
                self.disburse(&id, 250_000, "Licenser och integration")
                    .await?;
                let request = fpb::ReturnUnspentRequest {
                    application_id: id,
                    amount: Some(sek(100_000)),
                    note: "Integrationen blev billigare än planerat".into(),
                };
                self.send(&self.manager, request, |mut c, r| async move {
                    c.return_unspent(r).await
                })
                .await?;
                Ok(())
            }
            _ => {
                self.decide(
                    &id,
                    DecisionOutcome::Rejected,
                    0,
                    "Tekniken prövas redan i en regional upphandling",
                )
                .await
            }
        }
    }
}

/// Helsingborg's innovation fund: the fund, this year's budget (3 000 000 SEK), a round whose
/// council meets later this year, and [`PITCHES`]; `ideas` are the ids of [`seeds`], in their
/// order. Returns how many applications.
pub(super) async fn load(services: &Services, ideas: &[String]) -> anyhow::Result<usize> {
    let helsingborg = MunicipalityId::parse("SE-1283").map_err(anyhow::Error::msg)?;
    // Staff of the city, with a role of the fund's work besides.
    let staff = |user: &str, department: &str, role: Role| {
        person(user, &helsingborg, department, &[Role::Employee, role])
    };
    let today = innohub_runtime::clock::today();
    let mut app = Fund {
        client: services.funding.clone(),
        manager: staff("fund.helsingborg", "secretariat", Role::FundManager)?,
        lead: staff("innovation.helsingborg", "it", Role::InnovationLead)?,
        reviewers: [
            staff("council.helsingborg", "secretariat", Role::FundReviewer)?,
            staff("reviewer.helsingborg", "economy", Role::FundReviewer)?,
        ],
        helsingborg: helsingborg.clone(),
        fund: String::new(),
        round: String::new(),
        today,
    };

    let request = fpb::CreateFundRequest {
        terms: Some(fpb::FundTerms {
            name: "Helsingborgs innovationsfond".into(),
            description: "Stadens fond för förvaltningsövergripande innovationsprojekt; \
                          innovationsrådet beslutar flera gånger om året."
                .into(),
            currency: CURRENCY.into(),
            min_grant: Some(sek(250_000)),
            max_grant: Some(sek(1_000_000)),
            min_departments: 2,
            criteria: CRITERIA
                .iter()
                .map(|(name, description, weight)| fpb::Criterion {
                    name: (*name).into(),
                    description: (*description).into(),
                    weight: *weight,
                })
                .collect(),
            visibility: Visibility::Network as i32,
        }),
    };
    app.fund = app
        .send(&app.manager, request, |mut c, r| async move {
            c.create_fund(r).await
        })
        .await?;
    let request = fpb::SetFundBudgetRequest {
        fund_id: app.fund.clone(),
        year: today.year(),
        budget: Some(sek(3_000_000)),
    };
    app.send(&app.manager, request, |mut c, r| async move {
        c.set_fund_budget(r).await
    })
    .await?;

    // The council meets within this year, so that its grants are this year's budget's.
    let later = |days| {
        today
            .checked_add_days(Days::new(days))
            .context("a demo date")
    };
    let end_of_year = NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today);
    let council = later(30)?.min(end_of_year);
    let deadline = later(14)?.min(council);
    let request = fpb::ScheduleDecisionRoundRequest {
        fund_id: app.fund.clone(),
        round: Some(fpb::DecisionRound {
            title: format!("Innovationsrådet {council}"),
            application_deadline: deadline.to_string(),
            council_date: council.to_string(),
        }),
    };
    app.send(&app.manager, request, |mut c, r| async move {
        c.schedule_decision_round(r).await
    })
    .await?;
    app.round = round_of(&app).await?;

    for pitch in &PITCHES {
        let idea = match pitch.idea {
            Some(title) => {
                let at = seeds()
                    .iter()
                    .position(|s| s.title == title)
                    .with_context(|| format!("the demo has no idea {title:?}"))?;
                let id = ideas.get(at).context("an idea of the demo")?;
                Some(Uuid::parse_str(id)?)
            }
            None => None,
        };
        app.apply(pitch, idea).await?;
    }
    Ok(PITCHES.len())
}

/// The id of the fund's round, which the service chose (read from the fund's history, as a
/// client reads it with the fund).
async fn round_of(app: &Fund) -> anyhow::Result<String> {
    let request = GetHistoryRequest {
        aggregate_id: app.fund.clone(),
    };
    let history: cpb::HistoryReply =
        send(&app.client, &app.manager, request, |mut c, r| async move {
            c.get_history(r).await
        })
        .await?;
    history
        .events
        .iter()
        .find(|e| e.event_type == fpb::DecisionRoundScheduled::NAME)
        .map(|e| fpb::DecisionRoundScheduled::decode(e.payload.as_slice()))
        .transpose()?
        .map(|scheduled| scheduled.round_id)
        .context("the fund's history lacks its round")
}
