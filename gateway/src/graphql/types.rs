//! GraphQL types of the processes context: enums mirrored from the domain, the `Process`
//! object over a (possibly redacted) [`ProcessView`], inputs and payloads.

use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use innohub_processes::domain::assessment::{
    Assessment as DomainAssessment, AssessmentInput as DomainAssessmentInput,
};
use innohub_processes::domain::details::ProcessFields;
use innohub_processes::domain::process::{Experience as DomainExperience, ExperienceFields};
use innohub_processes::domain::values::Label;
use innohub_projections::access::ProcessView;
use innohub_runtime::{Access, ErrorCode};

use super::{consistent, error, from_service, services, viewer};

/// Phase of an automation candidate; forward one step at a time.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "innohub_processes::domain::lifecycle::Phase")]
#[allow(missing_docs)]
pub enum Phase {
    Idea,
    PreAnalysis,
    Specification,
    Development,
    Implementation,
    Operation,
    Decommissioned,
}

/// Status of the work, orthogonal to the phase.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "innohub_processes::domain::lifecycle::Status")]
#[allow(missing_docs)]
pub enum Status {
    NotAssessed,
    InProgress,
    /// Requires a reason.
    OnHold,
    /// Requires a reason.
    Rejected,
    /// Requires a reason.
    Failed,
    /// Requires a reason.
    NotRelevant,
}

/// Who may read a record.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "innohub_runtime::Visibility")]
pub enum Visibility {
    /// The reporter, the owner and the record's departments.
    Private,
    /// The owning municipality.
    Municipality,
    /// Also partner municipalities in a shared network.
    Network,
    /// All municipalities.
    Public,
}

/// A classification in a named scheme, e.g. KLE 27.24.00.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "ClassificationInput")]
pub struct Classification {
    /// e.g. `KLE`.
    pub scheme: String,
    /// e.g. `27.24.00`.
    pub code: String,
}

/// IT's assessment: ratings 1 (low) to 5 (high), null when unknown, and the derived scores.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Assessment {
    #[graphql(skip)]
    inner: DomainAssessment,
    /// The decisions follow explicit rules.
    rules_based: Option<u8>,
    /// Input arrives structured and digital.
    structured_input: Option<u8>,
    /// Input is complete and correct.
    input_quality: Option<u8>,
    /// The process rarely changes.
    process_stability: Option<u8>,
    /// Cases vary a lot (higher is harder).
    case_variation: Option<u8>,
    /// The process is documented.
    documentation: Option<u8>,
    /// The data is sensitive (higher is harder).
    data_sensitivity: Option<u8>,
    /// Automation raises quality.
    quality_gain: Option<u8>,
    /// Automation speeds up service.
    speed_gain: Option<u8>,
    /// Automation relieves routine work.
    routine_relief: Option<u8>,
    /// Fits the strategy.
    strategic_fit: Option<u8>,
    /// Implementation risk (higher is worse).
    risk: Option<u8>,
}

#[ComplexObject]
impl Assessment {
    /// 0–100, from rules, structured input, low variation and the gains.
    async fn automation_potential(&self) -> Option<f64> {
        self.inner.automation_potential()
    }

    /// 0–100, from input quality, stability, documentation and low data sensitivity.
    async fn ease_of_implementation(&self) -> Option<f64> {
        self.inner.ease_of_implementation()
    }
}

impl From<&DomainAssessment> for Assessment {
    fn from(a: &DomainAssessment) -> Self {
        let v = |r: Option<innohub_processes::domain::assessment::Rating>| r.map(|r| r.value());
        Self {
            inner: a.clone(),
            rules_based: v(a.rules_based),
            structured_input: v(a.structured_input),
            input_quality: v(a.input_quality),
            process_stability: v(a.process_stability),
            case_variation: v(a.case_variation),
            documentation: v(a.documentation),
            data_sensitivity: v(a.data_sensitivity),
            quality_gain: v(a.quality_gain),
            speed_gain: v(a.speed_gain),
            routine_relief: v(a.routine_relief),
            strategic_fit: v(a.strategic_fit),
            risk: v(a.risk),
        }
    }
}

/// What was learned in operation; shared with partners.
#[derive(SimpleObject)]
pub struct Experience {
    what_was_built: Option<String>,
    technical_notes: Option<String>,
    /// What others should know.
    organisational_notes: Option<String>,
    run_frequency: Option<String>,
    /// 0 (none) to 3 (as expected or better).
    realised_benefit: Option<u8>,
    realised_benefit_comment: Option<String>,
    repository_url: Option<String>,
    decommission_date: Option<NaiveDate>,
}

impl From<&DomainExperience> for Experience {
    fn from(e: &DomainExperience) -> Self {
        Self {
            what_was_built: e.what_was_built.as_ref().map(|t| t.as_str().to_owned()),
            technical_notes: e.technical_notes.as_ref().map(|t| t.as_str().to_owned()),
            organisational_notes: e
                .organisational_notes
                .as_ref()
                .map(|t| t.as_str().to_owned()),
            run_frequency: e.run_frequency.as_ref().map(|t| t.as_str().to_owned()),
            realised_benefit: e.realised_benefit,
            realised_benefit_comment: e
                .realised_benefit_comment
                .as_ref()
                .map(|t| t.as_str().to_owned()),
            repository_url: e.repository_url.as_ref().map(|t| t.as_str().to_owned()),
            decommission_date: e.decommission_date,
        }
    }
}

/// A comment.
#[derive(SimpleObject)]
pub struct Comment {
    id: ID,
    /// The author; null unless from your own municipality.
    author: Option<String>,
    author_municipality: String,
    text: String,
    created_at: DateTime<Utc>,
}

fn labels(l: &[Label]) -> Vec<String> {
    l.iter().map(|l| l.as_str().to_owned()).collect()
}

/// An automation-candidate process. For partners (other municipalities) people, internal
/// notes, departments and the backlog rank are null.
pub struct Process(pub ProcessView);

#[Object]
impl Process {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The owning municipality, e.g. DK-0706.
    async fn municipality(&self) -> &str {
        self.0.municipality.as_str()
    }
    /// True when you see it as a partner, redacted.
    async fn shared_with_you(&self) -> bool {
        self.0.access == Access::Partner
    }
    async fn title(&self) -> &str {
        self.0.details.title.as_str()
    }
    async fn short_description(&self) -> &str {
        self.0.details.short_description.as_str()
    }
    async fn long_description(&self) -> Option<&str> {
        self.0.details.long_description.as_ref().map(|t| t.as_str())
    }
    async fn pain_points(&self) -> Option<&str> {
        self.0.details.pain_points.as_ref().map(|t| t.as_str())
    }
    async fn wished_solution(&self) -> Option<&str> {
        self.0.details.wished_solution.as_ref().map(|t| t.as_str())
    }
    /// Empty for partners.
    async fn departments(&self) -> Vec<String> {
        self.0
            .details
            .departments
            .iter()
            .map(|d| d.to_string())
            .collect()
    }
    /// Null for partners.
    async fn reporter(&self) -> Option<String> {
        self.0.reporter.as_ref().map(ToString::to_string)
    }
    /// The process expert; null for partners.
    async fn owner(&self) -> Option<&str> {
        self.0.details.owner.as_ref().map(Label::as_str)
    }
    /// Null for partners.
    async fn contact(&self) -> Option<&str> {
        self.0.details.contact.as_ref().map(Label::as_str)
    }
    /// Null for partners.
    async fn internal_notes(&self) -> Option<&str> {
        self.0.details.internal_notes.as_ref().map(|t| t.as_str())
    }
    async fn classification(&self) -> Option<Classification> {
        self.0
            .details
            .classification
            .as_ref()
            .map(|c| Classification {
                scheme: c.scheme.as_str().to_owned(),
                code: c.code.as_str().to_owned(),
            })
    }
    async fn legal_basis(&self) -> Option<&str> {
        self.0.details.legal_basis.as_ref().map(|t| t.as_str())
    }
    async fn domains(&self) -> Vec<String> {
        labels(&self.0.details.domains)
    }
    async fn it_systems(&self) -> Vec<String> {
        labels(&self.0.details.it_systems)
    }
    async fn technologies(&self) -> Vec<String> {
        labels(&self.0.details.technologies)
    }
    async fn vendor(&self) -> Option<&str> {
        self.0.details.vendor.as_ref().map(Label::as_str)
    }
    async fn targets_citizens(&self) -> bool {
        self.0.details.targets_citizens
    }
    async fn targets_companies(&self) -> bool {
        self.0.details.targets_companies
    }
    async fn cases_per_year(&self) -> u32 {
        self.0.details.volume.cases_per_year
    }
    async fn minutes_per_case(&self) -> f64 {
        self.0.details.volume.minutes_per_case
    }
    async fn employees(&self) -> Option<u32> {
        self.0.details.volume.employees
    }
    /// Expected automation share, 0–100 %.
    async fn automation_share(&self) -> u8 {
        self.0.details.volume.automation_share
    }
    /// cases × minutes / 60.
    async fn manual_hours_per_year(&self) -> f64 {
        self.0.details.volume.manual_hours()
    }
    /// Manual hours × automation share.
    async fn hours_saved_per_year(&self) -> f64 {
        self.0.details.volume.hours_saved()
    }
    async fn development_effort_hours(&self) -> Option<u32> {
        self.0.details.development_effort_hours
    }
    async fn go_live_date(&self) -> Option<NaiveDate> {
        self.0.details.go_live_date
    }
    async fn visibility(&self) -> Visibility {
        self.0.details.visibility.into()
    }
    /// PUBLIC when the process is in operation but not yet shared with everyone.
    async fn suggested_visibility(&self) -> Option<Visibility> {
        self.0.suggests_public().then_some(Visibility::Public)
    }
    async fn phase(&self) -> Phase {
        self.0.phase.into()
    }
    async fn status(&self) -> Status {
        self.0.status.into()
    }
    async fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_ref().map(|t| t.as_str())
    }
    async fn assessment(&self) -> Option<Assessment> {
        self.0.assessment.as_ref().map(Assessment::from)
    }
    /// 0–100 with the owning municipality's weights.
    async fn priority_score(&self) -> f64 {
        self.0.score
    }
    /// Explicit place in the backlog (1 = first); null when unranked or for partners.
    async fn backlog_rank(&self) -> Option<i64> {
        self.0.backlog_rank
    }
    async fn experience(&self) -> Option<Experience> {
        self.0.experience.as_ref().map(Experience::from)
    }
    async fn follower_count(&self) -> usize {
        self.0.follower_count
    }
    async fn viewer_follows(&self) -> bool {
        self.0.viewer_follows
    }
    async fn comment_count(&self) -> u32 {
        self.0.comment_count
    }
    /// Oldest first.
    async fn comments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Comment>> {
        let viewer = viewer(ctx)?;
        let comments = services(ctx)
            .queries
            .comments(&viewer, &self.0)
            .await
            .map_err(from_service)?;
        Ok(comments
            .into_iter()
            .map(|c| Comment {
                id: ID(c.id.to_string()),
                author: c.author.map(|a| a.to_string()),
                author_municipality: c.author_municipality.to_string(),
                text: c.text,
                created_at: c.created_at,
            })
            .collect())
    }
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// The result of a command on a process.
pub struct ProcessPayload {
    /// The process.
    pub id: uuid::Uuid,
    /// Position of the command's last event.
    pub token: i64,
    /// The idempotency key had been used: nothing new was recorded.
    pub replayed: bool,
}

#[Object]
impl ProcessPayload {
    /// The process's id.
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }
    /// Pass to a query's `consistency` argument to read your own write.
    async fn consistency_token(&self) -> String {
        self.token.to_string()
    }
    /// True when an earlier call with the same idempotency key already did this.
    async fn replayed(&self) -> bool {
        self.replayed
    }
    /// The process as it is after the command (waits for the views to include it).
    async fn process(&self, ctx: &Context<'_>) -> async_graphql::Result<Process> {
        let services = services(ctx);
        consistent(services, Some(&self.token.to_string())).await?;
        let found = services
            .queries
            .get(&viewer(ctx)?, self.id)
            .await
            .map_err(from_service)?;
        found
            .map(Process)
            .ok_or_else(|| error(ErrorCode::NotFound, "not found"))
    }
}

/// Fields of a process that are optional on submission; shared by submit and update.
/// On update an empty text or list clears the field.
#[derive(InputObject, Default)]
pub struct ProcessOptionalInput {
    long_description: Option<String>,
    pain_points: Option<String>,
    wished_solution: Option<String>,
    /// The process expert.
    owner: Option<String>,
    contact: Option<String>,
    /// An empty scheme clears it.
    classification: Option<Classification>,
    legal_basis: Option<String>,
    /// e.g. administration, employment, social, health, HR, IT, economy.
    domains: Option<Vec<String>>,
    it_systems: Option<Vec<String>>,
    /// Required from DEVELOPMENT.
    technologies: Option<Vec<String>>,
    vendor: Option<String>,
    targets_citizens: Option<bool>,
    targets_companies: Option<bool>,
    employees: Option<i32>,
    development_effort_hours: Option<i32>,
    /// Required from OPERATION.
    go_live_date: Option<NaiveDate>,
    /// Never shown to partners.
    internal_notes: Option<String>,
    /// MUNICIPALITY when not given on submission.
    visibility: Option<Visibility>,
}

impl ProcessOptionalInput {
    fn into_fields(self) -> ProcessFields {
        ProcessFields {
            long_description: self.long_description,
            pain_points: self.pain_points,
            wished_solution: self.wished_solution,
            owner: self.owner,
            contact: self.contact,
            classification: self.classification.map(|c| (c.scheme, c.code)),
            legal_basis: self.legal_basis,
            domains: self.domains,
            it_systems: self.it_systems,
            technologies: self.technologies,
            vendor: self.vendor,
            targets_citizens: self.targets_citizens,
            targets_companies: self.targets_companies,
            employees: self.employees.map(i64::from),
            development_effort_hours: self.development_effort_hours.map(i64::from),
            go_live_date: self.go_live_date.map(|d| d.to_string()),
            internal_notes: self.internal_notes,
            visibility: self.visibility.map(Into::into),
            ..ProcessFields::default()
        }
    }
}

/// A new automation candidate, as a department reports it.
#[derive(InputObject)]
pub struct SubmitProcessInput {
    /// At most 80 characters.
    title: String,
    /// At most 200 characters.
    short_description: String,
    /// At least one.
    departments: Vec<String>,
    cases_per_year: i32,
    minutes_per_case: f64,
    /// Expected automation share, 0–100 %.
    automation_share: i32,
    #[graphql(flatten)]
    more: ProcessOptionalInput,
}

impl From<SubmitProcessInput> for ProcessFields {
    fn from(i: SubmitProcessInput) -> Self {
        ProcessFields {
            title: Some(i.title),
            short_description: Some(i.short_description),
            departments: Some(i.departments),
            cases_per_year: Some(i64::from(i.cases_per_year)),
            minutes_per_case: Some(i.minutes_per_case),
            automation_share: Some(i64::from(i.automation_share)),
            ..i.more.into_fields()
        }
    }
}

/// Changes to a process; absent fields keep their value.
#[derive(InputObject)]
pub struct UpdateProcessInput {
    title: Option<String>,
    short_description: Option<String>,
    departments: Option<Vec<String>>,
    cases_per_year: Option<i32>,
    minutes_per_case: Option<f64>,
    automation_share: Option<i32>,
    #[graphql(flatten)]
    more: ProcessOptionalInput,
}

impl From<UpdateProcessInput> for ProcessFields {
    fn from(i: UpdateProcessInput) -> Self {
        ProcessFields {
            title: i.title,
            short_description: i.short_description,
            departments: i.departments,
            cases_per_year: i.cases_per_year.map(i64::from),
            minutes_per_case: i.minutes_per_case,
            automation_share: i.automation_share.map(i64::from),
            ..i.more.into_fields()
        }
    }
}

/// Ratings 1 (low) to 5 (high); leave out what is unknown.
#[derive(InputObject, Default)]
#[allow(missing_docs)]
pub struct AssessmentInput {
    rules_based: Option<i32>,
    structured_input: Option<i32>,
    input_quality: Option<i32>,
    process_stability: Option<i32>,
    /// Higher means more variation between cases (harder).
    case_variation: Option<i32>,
    documentation: Option<i32>,
    /// Higher means more sensitive (harder).
    data_sensitivity: Option<i32>,
    quality_gain: Option<i32>,
    speed_gain: Option<i32>,
    routine_relief: Option<i32>,
    strategic_fit: Option<i32>,
    /// Higher means riskier.
    risk: Option<i32>,
}

impl From<AssessmentInput> for DomainAssessmentInput {
    fn from(a: AssessmentInput) -> Self {
        let v = |r: Option<i32>| r.map(i64::from);
        Self {
            rules_based: v(a.rules_based),
            structured_input: v(a.structured_input),
            input_quality: v(a.input_quality),
            process_stability: v(a.process_stability),
            case_variation: v(a.case_variation),
            documentation: v(a.documentation),
            data_sensitivity: v(a.data_sensitivity),
            quality_gain: v(a.quality_gain),
            speed_gain: v(a.speed_gain),
            routine_relief: v(a.routine_relief),
            strategic_fit: v(a.strategic_fit),
            risk: v(a.risk),
        }
    }
}

/// What was learned in operation.
#[derive(InputObject)]
#[allow(missing_docs)]
pub struct ExperienceInput {
    what_was_built: Option<String>,
    technical_notes: Option<String>,
    /// What others should know.
    organisational_notes: Option<String>,
    run_frequency: Option<String>,
    /// 0 (none) to 3 (as expected or better).
    realised_benefit: Option<i32>,
    realised_benefit_comment: Option<String>,
    repository_url: Option<String>,
    decommission_date: Option<NaiveDate>,
}

impl From<ExperienceInput> for ExperienceFields {
    fn from(e: ExperienceInput) -> Self {
        Self {
            what_was_built: e.what_was_built,
            technical_notes: e.technical_notes,
            organisational_notes: e.organisational_notes,
            run_frequency: e.run_frequency,
            realised_benefit: e.realised_benefit.map(i64::from),
            realised_benefit_comment: e.realised_benefit_comment,
            repository_url: e.repository_url,
            decommission_date: e.decommission_date.map(|d| d.to_string()),
        }
    }
}

/// A municipality's priority weights, each 0–10.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "ScoringWeightsInput")]
#[allow(missing_docs)]
pub struct ScoringWeights {
    pub hours_saved: f64,
    pub automation_potential: f64,
    pub ease: f64,
    pub strategic_fit: f64,
    /// Weight of LOW risk.
    pub risk: f64,
}
