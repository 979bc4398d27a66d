//! GraphQL types of the processes context and their ONE mapping to and from the contract's
//! messages (`innohub.processes.v1`): enums mirrored from the contract, the `Process` object
//! over a (possibly redacted) [`ProcessView`], the inputs that become requests, filters and
//! payloads. No domain rule is checked here: the service validates what it is sent.

use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject,
};
use chrono::{DateTime, NaiveDate, Utc};
use innohub_projections::access::ProcessView;
use innohub_projections::queries::ProcessFilter as Filter;
use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::{Access, ErrorCode, MunicipalityId, Viewer};
use prost_types::FieldMask;

use super::{ConsistencyToken, error, from_service, reader_after, services, viewer};

/// Declares a GraphQL enum with the variants of a contract enum, and the conversions: to
/// the contract always; from its wire value unless that is the contract's UNSPECIFIED or
/// unknown (an internal error: the services never store those).
macro_rules! contract_enum {
    ($(#[$doc:meta])* $name:ident => $contract:ident { $($(#[$vdoc:meta])* $variant:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Enum, Copy, Clone, Eq, PartialEq)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl From<$name> for pb::$contract {
            fn from(value: $name) -> Self {
                match value {
                    $($name::$variant => pb::$contract::$variant,)*
                }
            }
        }

        impl TryFrom<i32> for $name {
            type Error = async_graphql::Error;

            fn try_from(raw: i32) -> async_graphql::Result<Self> {
                match pb::$contract::try_from(raw) {
                    $(Ok(pb::$contract::$variant) => Ok($name::$variant),)*
                    _ => Err(unknown(stringify!($name), raw)),
                }
            }
        }

        /// In a [`mirror!`]: null is UNSPECIFIED (and so is a value this build does not
        /// know, as the contract's evolution rules say).
        impl $crate::graphql::types::Wire for Option<$name> {
            type Wire = i32;

            fn from_wire(raw: i32) -> Self {
                match pb::$contract::try_from(raw) {
                    $(Ok(pb::$contract::$variant) => Some($name::$variant),)*
                    _ => None,
                }
            }

            fn into_wire(self) -> i32 {
                self.map_or(pb::$contract::default(), Into::into) as i32
            }

            fn is_given(&self) -> bool {
                self.is_some()
            }
        }
    };
}
pub(super) use contract_enum;

/// A stored enum value this build does not know.
pub(super) fn unknown(name: &str, raw: i32) -> async_graphql::Error {
    from_service(innohub_runtime::grpc::ServiceError {
        code: ErrorCode::Internal,
        message: format!("no {name} {raw}"),
    })
}

contract_enum! {
    /// Phase of an automation candidate; forward one step at a time.
    Phase => Phase {
        /// Reported idea.
        Idea,
        /// Being analysed; an assessment is required from here on.
        PreAnalysis,
        /// Being specified.
        Specification,
        /// Being developed; technologies are required from here on.
        Development,
        /// Being implemented in the organisation.
        Implementation,
        /// In operation; a go-live date is required from here on.
        Operation,
        /// Taken out of operation.
        Decommissioned,
    }
}

contract_enum! {
    /// Status of the work, orthogonal to the phase.
    Status => Status {
        /// Nobody has assessed it yet.
        NotAssessed,
        /// Being worked on.
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
}

contract_enum! {
    /// Who may read a record.
    Visibility => Visibility {
        /// The reporter, the owner and the record's departments.
        Private,
        /// The owning municipality.
        Municipality,
        /// Also partner municipalities in a shared network.
        Network,
        /// All municipalities.
        Public,
    }
}

contract_enum! {
    /// How often a process runs.
    RunPeriod => RunPeriod {
        /// When needed.
        OnDemand,
        /// Once.
        OneOff,
        /// Every day.
        Daily,
        /// Every week.
        Weekly,
        /// Every month.
        Monthly,
        /// Every quarter.
        Quarterly,
        /// Every year.
        Yearly,
    }
}

/// Optional text: the contract's `""` is null.
fn text(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}

/// How a field of a [`mirror!`] is held in the contract's message: as it is, or, for a
/// nullable field, with null as the contract's empty form (`""`, an empty list, UNSPECIFIED,
/// an unset message).
pub(super) trait Wire: Sized {
    /// The field's type in the contract's message.
    type Wire;
    /// The GraphQL value of the contract's.
    fn from_wire(wire: Self::Wire) -> Self;
    /// The contract's value of the GraphQL one.
    fn into_wire(self) -> Self::Wire;
    /// Whether an input gives the field (null does not).
    fn is_given(&self) -> bool {
        true
    }
}

/// Types held as they are.
macro_rules! as_is {
    ($($ty:ty),*) => {
        $(impl Wire for $ty {
            type Wire = $ty;

            fn from_wire(wire: $ty) -> Self {
                wire
            }

            fn into_wire(self) -> $ty {
                self
            }
        })*
    };
}

as_is!(String, bool, u32, i64, f64);

/// The contract's optional number (`optional uint32`).
impl Wire for Option<u32> {
    type Wire = Option<u32>;

    fn from_wire(wire: Option<u32>) -> Self {
        wire
    }

    fn into_wire(self) -> Option<u32> {
        self
    }

    fn is_given(&self) -> bool {
        self.is_some()
    }
}

/// Optional text: null is `""`.
impl Wire for Option<String> {
    type Wire = String;

    fn from_wire(wire: String) -> Self {
        (!wire.is_empty()).then_some(wire)
    }

    fn into_wire(self) -> String {
        self.unwrap_or_default()
    }

    fn is_given(&self) -> bool {
        self.is_some()
    }
}

/// An optional ISO date: null is `""` (the services store only valid dates).
impl Wire for Option<NaiveDate> {
    type Wire = String;

    fn from_wire(wire: String) -> Self {
        wire.parse().ok()
    }

    fn into_wire(self) -> String {
        self.map(|d| d.to_string()).unwrap_or_default()
    }

    fn is_given(&self) -> bool {
        self.is_some()
    }
}

impl<T: Wire> Wire for Vec<T> {
    type Wire = Vec<T::Wire>;

    fn from_wire(wire: Vec<T::Wire>) -> Self {
        wire.into_iter().map(T::from_wire).collect()
    }

    fn into_wire(self) -> Vec<T::Wire> {
        self.into_iter().map(T::into_wire).collect()
    }
}

/// An optional list: null is empty.
impl<T: Wire> Wire for Option<Vec<T>> {
    type Wire = Vec<T::Wire>;

    fn from_wire(wire: Vec<T::Wire>) -> Self {
        (!wire.is_empty()).then(|| Vec::from_wire(wire))
    }

    fn into_wire(self) -> Vec<T::Wire> {
        self.map(Vec::into_wire).unwrap_or_default()
    }

    fn is_given(&self) -> bool {
        self.is_some()
    }
}

/// A GraphQL mirror of a contract message (see [`mirror!`]).
pub(super) trait Mirror {
    /// The contract's names of the fields this value gives (not null): what an update
    /// with it changes when the client names no fields.
    fn given(&self) -> Vec<&'static str>;
}

/// The mask of an update with `input`: the fields the client names in `fields`, by their
/// GraphQL names (the contract's names in camel case: `startDate`, `scope.workProcesses`),
/// or without them the fields `input` gives (not null).
pub(super) fn update_mask(fields: Option<Vec<String>>, input: &impl Mirror) -> FieldMask {
    let paths = match fields {
        Some(fields) => fields.iter().map(|f| contract_path(f)).collect(),
        None => input.given().into_iter().map(str::to_owned).collect(),
    };
    FieldMask { paths }
}

/// The contract's name of a field a client names in GraphQL (`startDate`,
/// `scope.workProcesses`): the same name in snake case.
fn contract_path(field: &str) -> String {
    let mut path = String::with_capacity(field.len() + 4);
    for c in field.chars() {
        if c.is_ascii_uppercase() {
            path.push('_');
        }
        path.push(c.to_ascii_lowercase());
    }
    path
}

/// Declares a GraphQL object that is also an input (named `$input`) with the fields of the
/// contract's message `pb::$contract` (`pb` as the caller imports it) of the same names, and
/// the conversions both ways, field by field through [`Wire`]: a field may itself be a mirror
/// or a `contract_enum!`, and is nullable where the contract has an empty form.
macro_rules! mirror {
    ($(#[$meta:meta])* $name:ident as $input:literal => $contract:ident {
        $($(#[$doc:meta])* $field:ident: $ty:ty),* $(,)?
    }) => {
        #[derive(SimpleObject, InputObject, Clone)]
        #[graphql(input_name = $input)]
        $(#[$meta])*
        pub struct $name {
            $($(#[$doc])* pub $field: $ty,)*
        }

        impl From<pb::$contract> for $name {
            fn from(m: pb::$contract) -> Self {
                Self { $($field: <$ty as $crate::graphql::types::Wire>::from_wire(m.$field),)* }
            }
        }

        impl From<$name> for pb::$contract {
            fn from(g: $name) -> Self {
                Self { $($field: $crate::graphql::types::Wire::into_wire(g.$field),)* }
            }
        }

        impl $crate::graphql::types::Wire for $name {
            type Wire = pb::$contract;

            fn from_wire(wire: pb::$contract) -> Self {
                wire.into()
            }

            fn into_wire(self) -> pb::$contract {
                self.into()
            }
        }

        /// An unset message is null.
        impl $crate::graphql::types::Wire for Option<$name> {
            type Wire = Option<pb::$contract>;

            fn from_wire(wire: Option<pb::$contract>) -> Self {
                wire.map(Into::into)
            }

            fn into_wire(self) -> Option<pb::$contract> {
                self.map(Into::into)
            }

            fn is_given(&self) -> bool {
                self.is_some()
            }
        }

        impl $crate::graphql::types::Mirror for $name {
            fn given(&self) -> Vec<&'static str> {
                let mut given = Vec::new();
                $(if $crate::graphql::types::Wire::is_given(&self.$field) {
                    given.push(stringify!($field));
                })*
                given
            }
        }
    };
}
pub(super) use mirror;

mirror! {
    /// A classification in a named scheme, e.g. KLE 27.24.00.
    Classification as "ClassificationInput" => Classification {
        /// e.g. `KLE`.
        scheme: String,
        /// e.g. `27.24.00`.
        code: String,
    }
}

mirror! {
    /// IT's assessment: ratings 1 (low) to 5 (high), null when unknown, and the derived
    /// scores. As input, leave out what is unknown.
    #[graphql(complex)]
    Assessment as "AssessmentInput" => Assessment {
        /// The decisions follow explicit rules.
        rules_based: Option<u32>,
        /// Input arrives structured and digital.
        structured_input: Option<u32>,
        /// Input is complete and correct.
        input_quality: Option<u32>,
        /// The process rarely changes.
        process_stability: Option<u32>,
        /// Cases vary a lot (higher is harder).
        case_variation: Option<u32>,
        /// The process is documented.
        documentation: Option<u32>,
        /// The data is sensitive (higher is harder).
        data_sensitivity: Option<u32>,
        /// Automation raises quality.
        quality_gain: Option<u32>,
        /// Automation speeds up service.
        speed_gain: Option<u32>,
        /// Automation relieves routine work.
        routine_relief: Option<u32>,
        /// Fits the strategy.
        strategic_fit: Option<u32>,
        /// Implementation risk (higher is worse).
        risk: Option<u32>,
    }
}

#[ComplexObject]
impl Assessment {
    /// 0–100, from rules, structured input, low variation and the gains.
    async fn automation_potential(&self) -> Option<f64> {
        innohub_priority::automation_potential(&self.clone().into())
    }

    /// 0–100, from input quality, stability, documentation and low data sensitivity.
    async fn ease_of_implementation(&self) -> Option<f64> {
        innohub_priority::ease_of_implementation(&self.clone().into())
    }
}

mirror! {
    /// A municipality's priority weights, each 0–10.
    ScoringWeights as "ScoringWeightsInput" => ScoringWeights {
        /// Weight of the potential hours saved per year.
        hours_saved: f64,
        /// Weight of the automation potential.
        automation_potential: f64,
        /// Weight of the ease of implementation.
        ease: f64,
        /// Weight of the strategic fit.
        strategic_fit: f64,
        /// Weight of LOW risk.
        risk: f64,
    }
}

/// What was learned in operation; shared with partners.
pub struct Experience(pb::Experience);

/// What was learned in operation; shared with partners.
#[Object]
impl Experience {
    /// What was built; null when not told.
    async fn what_was_built(&self) -> Option<&str> {
        text(&self.0.what_was_built)
    }
    /// Technical notes: architecture, integrations, pitfalls; null when not told.
    async fn technical_notes(&self) -> Option<&str> {
        text(&self.0.technical_notes)
    }
    /// What others should know.
    async fn organisational_notes(&self) -> Option<&str> {
        text(&self.0.organisational_notes)
    }
    /// How often the automation runs, free text (e.g. "daily", "on each application"); null when
    /// not told.
    async fn run_frequency(&self) -> Option<&str> {
        text(&self.0.run_frequency)
    }
    /// 0 (none) to 3 (as expected or better).
    async fn realised_benefit(&self) -> Option<u32> {
        self.0.realised_benefit
    }
    /// A comment on the realised benefit; null when none.
    async fn realised_benefit_comment(&self) -> Option<&str> {
        text(&self.0.realised_benefit_comment)
    }
    /// A link to the code repository, when it is shared; null otherwise.
    async fn repository_url(&self) -> Option<&str> {
        text(&self.0.repository_url)
    }
    /// When the automation was or will be taken out of operation; null when not planned.
    async fn decommission_date(&self) -> Option<NaiveDate> {
        self.0.decommission_date.parse().ok()
    }
}

/// A comment.
#[derive(SimpleObject)]
pub struct Comment {
    /// The comment's id.
    pub id: ID,
    /// The author; null unless from your own municipality.
    pub author: Option<String>,
    /// The author's municipality, e.g. SE-1283 (comments may come from partner municipalities).
    pub author_municipality: String,
    /// The comment, plain text.
    pub text: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// An automation-candidate process. For partners (other municipalities) people, internal
/// notes, departments and the backlog rank are null.
pub struct Process(pub ProcessView);

/// An automation-candidate process. For partners (other municipalities) people, internal
/// notes, departments and the backlog rank are null.
#[Object]
impl Process {
    /// The process's id; pass it to `process(id:)`, mutations and `history(id:)`.
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
    /// Short name, at most 80 characters.
    async fn title(&self) -> &str {
        &self.0.details.title
    }
    /// One-line summary, at most 200 characters.
    async fn short_description(&self) -> &str {
        &self.0.details.short_description
    }
    /// The full description; null when none was given.
    async fn long_description(&self) -> Option<&str> {
        text(&self.0.details.long_description)
    }
    /// What hurts in the manual process today; null when not told.
    async fn pain_points(&self) -> Option<&str> {
        text(&self.0.details.pain_points)
    }
    /// The solution the department wishes for; null when not told.
    async fn wished_solution(&self) -> Option<&str> {
        text(&self.0.details.wished_solution)
    }
    /// Empty for partners.
    async fn departments(&self) -> &[String] {
        &self.0.details.departments
    }
    /// Null for partners.
    async fn reporter(&self) -> Option<&str> {
        self.0.reporter.as_deref()
    }
    /// The process expert; null for partners.
    async fn owner(&self) -> Option<&str> {
        text(&self.0.details.owner)
    }
    /// Null for partners.
    async fn contact(&self) -> Option<&str> {
        text(&self.0.details.contact)
    }
    /// Null for partners.
    async fn internal_notes(&self) -> Option<&str> {
        text(&self.0.details.internal_notes)
    }
    /// Its code in a national classification scheme (e.g. KLE 27.24.00); null when not
    /// classified.
    async fn classification(&self) -> Option<Classification> {
        self.0.details.classification.clone().map(Into::into)
    }
    /// The legal basis, free text (e.g. the act and section the process implements); null when
    /// not given.
    async fn legal_basis(&self) -> Option<&str> {
        text(&self.0.details.legal_basis)
    }
    /// When the legal basis was last verified.
    async fn legal_basis_verified_on(&self) -> Option<NaiveDate> {
        self.0.details.legal_basis_verified_on.parse().ok()
    }
    /// How often it runs; null when not known.
    async fn run_period(&self) -> async_graphql::Result<Option<RunPeriod>> {
        match pb::RunPeriod::try_from(self.0.details.run_period) {
            Ok(pb::RunPeriod::Unspecified) => Ok(None),
            _ => RunPeriod::try_from(self.0.details.run_period).map(Some),
        }
    }
    /// Its domains, e.g. administration, employment, social, health, hr, it, economy (an open
    /// list).
    async fn domains(&self) -> &[String] {
        &self.0.details.domains
    }
    /// The IT systems involved, as the municipality names them.
    async fn it_systems(&self) -> &[String] {
        &self.0.details.it_systems
    }
    /// Technologies used or envisaged, e.g. RPA, API integration, AI.
    async fn technologies(&self) -> &[String] {
        &self.0.details.technologies
    }
    /// The vendor of the solution; null when none.
    async fn vendor(&self) -> Option<&str> {
        text(&self.0.details.vendor)
    }
    /// Whether the process serves citizens directly.
    async fn targets_citizens(&self) -> bool {
        self.0.details.targets_citizens
    }
    /// Whether the process serves companies directly.
    async fn targets_companies(&self) -> bool {
        self.0.details.targets_companies
    }
    /// Cases handled per year.
    async fn cases_per_year(&self) -> u32 {
        self.volume().cases_per_year
    }
    /// Average manual handling time of a case, in minutes.
    async fn minutes_per_case(&self) -> f64 {
        self.volume().minutes_per_case
    }
    /// How many employees do this work; null when unknown.
    async fn employees(&self) -> Option<u32> {
        self.volume().employees
    }
    /// Expected automation share, 0–100 %.
    async fn automation_share(&self) -> u32 {
        self.volume().automation_share
    }
    /// cases × minutes / 60.
    async fn manual_hours_per_year(&self) -> f64 {
        innohub_priority::manual_hours(&self.volume())
    }
    /// Manual hours × automation share.
    async fn hours_saved_per_year(&self) -> f64 {
        innohub_priority::hours_saved(&self.volume())
    }
    /// Expected development effort in hours; null when not estimated.
    async fn development_effort_hours(&self) -> Option<u32> {
        self.0.details.development_effort_hours
    }
    /// Planned or actual go-live date; null when none (required from OPERATION).
    async fn go_live_date(&self) -> Option<NaiveDate> {
        self.0.details.go_live_date.parse().ok()
    }
    /// Who may read it: PRIVATE, MUNICIPALITY, NETWORK (partners in a shared network) or
    /// PUBLIC.
    async fn visibility(&self) -> async_graphql::Result<Visibility> {
        Visibility::try_from(self.0.visibility() as i32)
    }
    /// PUBLIC when the process is in operation but not yet shared with everyone.
    async fn suggested_visibility(&self) -> Option<Visibility> {
        self.0.suggests_public().then_some(Visibility::Public)
    }
    /// Where it is in the lifecycle, from IDEA to DECOMMISSIONED.
    async fn phase(&self) -> async_graphql::Result<Phase> {
        Phase::try_from(self.0.phase as i32)
    }
    /// The status of the work, orthogonal to the phase.
    async fn status(&self) -> async_graphql::Result<Status> {
        Status::try_from(self.0.status as i32)
    }
    /// Why it has its status (always given for ON_HOLD, REJECTED, FAILED and NOT_RELEVANT);
    /// null when none.
    async fn status_reason(&self) -> Option<&str> {
        text(&self.0.status_reason)
    }
    /// IT's assessment of its suitability for automation; null until assessed.
    async fn assessment(&self) -> Option<Assessment> {
        self.0.assessment.map(Assessment::from)
    }
    /// 0–100 with the owning municipality's weights.
    async fn priority_score(&self) -> f64 {
        self.0.score
    }
    /// Explicit place in the backlog (1 = first); null when unranked or for partners.
    async fn backlog_rank(&self) -> Option<i64> {
        self.0.backlog_rank
    }
    /// What was learned in operation; null until recorded.
    async fn experience(&self) -> Option<Experience> {
        self.0.experience.clone().map(Experience)
    }
    /// How many people follow it.
    async fn follower_count(&self) -> usize {
        self.0.follower_count
    }
    /// Whether you follow it.
    async fn viewer_follows(&self) -> bool {
        self.0.viewer_follows
    }
    /// How many comments it has (those you may see with `comments`).
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
    /// When it was reported.
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }
    /// When it last changed (for partners: the last change they can see).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Where it was adopted from (the origin's municipality always; the origin itself when
    /// you may see it); null if it was not adopted.
    async fn adopted_from(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::reuse::AdoptionOrigin>> {
        super::reuse::adopted_from(ctx, self).await
    }
    /// Who adopted it, oldest first (the copy's id and phase only when you may see it).
    async fn adoptions(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::reuse::Adoption>> {
        super::reuse::adoptions(ctx, self).await
    }
    /// The umbrella groups you may see that hold it.
    async fn umbrellas(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::reuse::Umbrella>> {
        super::reuse::umbrellas_of(ctx, self).await
    }
    /// The idea it was spawned from (the idea's municipality always; its id and the idea
    /// itself when you may see it); null if it was reported directly.
    async fn origin_idea(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::ideas::OriginIdea>> {
        super::ideas::origin_idea(ctx, self).await
    }
}

impl Process {
    fn volume(&self) -> pb::Volume {
        self.0.details.volume.unwrap_or_default()
    }
}

/// The result of a command on a process.
pub struct ProcessPayload {
    /// The process.
    pub id: uuid::Uuid,
    /// Where the command's last event is.
    pub token: ConsistencyToken,
    /// The idempotency key had been used: nothing new was recorded.
    pub replayed: bool,
}

/// The result of a command on a process.
#[Object]
impl ProcessPayload {
    /// The process's id.
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }
    /// Pass to a query's `consistency` argument to read your own write. Opaque.
    async fn consistency_token(&self) -> String {
        self.token.to_string()
    }
    /// True when an earlier call with the same idempotency key already did this.
    async fn replayed(&self) -> bool {
        self.replayed
    }
    /// The process as it is after the command (waits for the views to include it).
    async fn process(&self, ctx: &Context<'_>) -> async_graphql::Result<Process> {
        let viewer = reader_after(ctx, Some(&self.token)).await?;
        let found = services(ctx)
            .queries
            .get(&viewer, self.id)
            .await
            .map_err(from_service)?;
        found
            .map(Process)
            .ok_or_else(|| error(ErrorCode::NotFound, "not found"))
    }
}

/// The fields a submission requires; optional on update.
#[derive(InputObject)]
pub struct CoreInput {
    /// At most 80 characters.
    title: Option<String>,
    /// One-line summary, at most 200 characters.
    short_description: Option<String>,
    /// Ids of the departments of your municipality that do the work; at least one.
    departments: Option<Vec<String>>,
    /// Cases handled per year.
    cases_per_year: Option<u32>,
    /// Average manual handling time of a case, in minutes.
    minutes_per_case: Option<f64>,
    /// Expected automation share, 0–100 %.
    automation_share: Option<u32>,
}

/// The fields an input gives, as the contract's `ProcessDetails` and the mask that names
/// them (the service changes only those on update).
#[derive(Default)]
pub struct Given {
    /// The values.
    pub details: pb::ProcessDetails,
    /// Their names in `ProcessDetails`.
    pub mask: FieldMask,
}

impl Given {
    /// The fields of a whole input.
    fn of(core: CoreInput, more: ProcessOptionalInput) -> Self {
        let mut given = Given::default();
        give!(given, core; title, short_description, departments);
        given.set("volume.cases_per_year", core.cases_per_year, |d, v| {
            Given::volume(d).cases_per_year = v
        });
        given.set("volume.minutes_per_case", core.minutes_per_case, |d, v| {
            Given::volume(d).minutes_per_case = v
        });
        given.set("volume.automation_share", core.automation_share, |d, v| {
            Given::volume(d).automation_share = v
        });
        more.give(&mut given);
        given
    }

    /// Take `value` into the details with `set`, naming it `path`; an explicit null clears
    /// the field.
    fn set_or_clear<T>(
        &mut self,
        path: &str,
        value: MaybeUndefined<T>,
        set: impl FnOnce(&mut pb::ProcessDetails, T),
    ) {
        match value {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => self.mask.paths.push(path.to_owned()),
            MaybeUndefined::Value(value) => self.set(path, Some(value), set),
        }
    }

    /// Take `value`, if given, into the details with `set`, naming it `path`.
    fn set<T>(
        &mut self,
        path: &str,
        value: Option<T>,
        set: impl FnOnce(&mut pb::ProcessDetails, T),
    ) {
        if let Some(value) = value {
            set(&mut self.details, value);
            self.mask.paths.push(path.to_owned());
        }
    }

    /// The volume of the details, created when first given.
    fn volume(d: &mut pb::ProcessDetails) -> &mut pb::Volume {
        d.volume.get_or_insert_default()
    }
}

/// Fields of a process that are optional on submission; shared by submit and update.
/// On update an empty text or list clears the field.
#[derive(InputObject, Default)]
pub struct ProcessOptionalInput {
    /// The full description.
    long_description: Option<String>,
    /// What hurts in the manual process today.
    pain_points: Option<String>,
    /// The solution the department wishes for.
    wished_solution: Option<String>,
    /// The process expert.
    owner: Option<String>,
    /// A contact person (user id, name or e-mail); never shown to partners.
    contact: Option<String>,
    /// An empty scheme clears it.
    classification: Option<Classification>,
    /// The legal basis, free text (e.g. the act and section the process implements).
    legal_basis: Option<String>,
    /// When the legal basis was last verified; null clears it.
    legal_basis_verified_on: MaybeUndefined<NaiveDate>,
    /// How often it runs; null clears it.
    run_period: MaybeUndefined<RunPeriod>,
    /// e.g. administration, employment, social, health, HR, IT, economy.
    domains: Option<Vec<String>>,
    /// The IT systems involved, as your municipality names them.
    it_systems: Option<Vec<String>>,
    /// Required from DEVELOPMENT.
    technologies: Option<Vec<String>>,
    /// The vendor of the solution, if any.
    vendor: Option<String>,
    /// Whether the process serves citizens directly.
    targets_citizens: Option<bool>,
    /// Whether the process serves companies directly.
    targets_companies: Option<bool>,
    /// How many employees do this work.
    employees: Option<u32>,
    /// Expected development effort in hours.
    development_effort_hours: Option<u32>,
    /// Required from OPERATION.
    go_live_date: Option<NaiveDate>,
    /// Never shown to partners.
    internal_notes: Option<String>,
    /// MUNICIPALITY when not given on submission.
    visibility: Option<Visibility>,
}

impl ProcessOptionalInput {
    fn give(self, g: &mut Given) {
        give!(g, self; long_description, pain_points, wished_solution, owner, contact,
            legal_basis, domains, it_systems, technologies, vendor, targets_citizens,
            targets_companies, internal_notes);
        g.set("classification", self.classification, |d, c| {
            d.classification = Some(c.into())
        });
        g.set("volume.employees", self.employees, |d, v| {
            Given::volume(d).employees = Some(v)
        });
        g.set(
            "development_effort_hours",
            self.development_effort_hours,
            |d, v| d.development_effort_hours = Some(v),
        );
        g.set("go_live_date", self.go_live_date, |d, v| {
            d.go_live_date = v.to_string()
        });
        g.set_or_clear(
            "legal_basis_verified_on",
            self.legal_basis_verified_on,
            |d, v| d.legal_basis_verified_on = v.to_string(),
        );
        g.set_or_clear("run_period", self.run_period, |d, v| {
            d.run_period = pb::RunPeriod::from(v) as i32
        });
        g.set("visibility", self.visibility, |d, v| {
            d.visibility = pb::Visibility::from(v) as i32
        });
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
    /// Cases handled per year.
    cases_per_year: u32,
    /// Average manual handling time of a case, in minutes.
    minutes_per_case: f64,
    /// Expected automation share, 0–100 %.
    automation_share: u32,
    #[graphql(flatten)]
    more: ProcessOptionalInput,
}

impl From<SubmitProcessInput> for pb::ProcessDetails {
    fn from(i: SubmitProcessInput) -> Self {
        let core = CoreInput {
            title: Some(i.title),
            short_description: Some(i.short_description),
            departments: Some(i.departments),
            cases_per_year: Some(i.cases_per_year),
            minutes_per_case: Some(i.minutes_per_case),
            automation_share: Some(i.automation_share),
        };
        Given::of(core, i.more).details
    }
}

/// Changes to a process; absent fields keep their value.
#[derive(InputObject)]
pub struct UpdateProcessInput {
    #[graphql(flatten)]
    core: CoreInput,
    #[graphql(flatten)]
    more: ProcessOptionalInput,
}

impl From<UpdateProcessInput> for Given {
    fn from(i: UpdateProcessInput) -> Self {
        Given::of(i.core, i.more)
    }
}

/// What was learned in operation.
#[derive(InputObject)]
#[allow(missing_docs)]
pub struct ExperienceInput {
    /// What was built.
    what_was_built: Option<String>,
    /// Technical notes: architecture, integrations, pitfalls.
    technical_notes: Option<String>,
    /// What others should know.
    organisational_notes: Option<String>,
    /// How often the automation runs, free text (e.g. "daily", "on each application").
    run_frequency: Option<String>,
    /// 0 (none) to 3 (as expected or better).
    realised_benefit: Option<u32>,
    /// A comment on the realised benefit.
    realised_benefit_comment: Option<String>,
    /// A link to the code repository, if you share it.
    repository_url: Option<String>,
    /// When the automation was or will be taken out of operation.
    decommission_date: Option<NaiveDate>,
}

impl From<ExperienceInput> for pb::Experience {
    fn from(e: ExperienceInput) -> Self {
        let text = Option::unwrap_or_default;
        Self {
            what_was_built: text(e.what_was_built),
            technical_notes: text(e.technical_notes),
            organisational_notes: text(e.organisational_notes),
            run_frequency: text(e.run_frequency),
            realised_benefit: e.realised_benefit,
            realised_benefit_comment: text(e.realised_benefit_comment),
            repository_url: text(e.repository_url),
            decommission_date: e
                .decommission_date
                .map(|d| d.to_string())
                .unwrap_or_default(),
        }
    }
}

/// A municipality code from a client, e.g. SE-1283.
pub fn municipality(raw: &str) -> async_graphql::Result<MunicipalityId> {
    MunicipalityId::parse(raw).map_err(|e| error(ErrorCode::BadUserInput, e))
}

/// The municipality a query names (a code from a client), or the viewer's own.
pub fn named_or_own(viewer: &Viewer, named: Option<&str>) -> async_graphql::Result<MunicipalityId> {
    named.map_or_else(|| Ok(viewer.principal.municipality.clone()), municipality)
}

/// Narrows a list of processes.
#[derive(InputObject, Default)]
pub struct ProcessFilter {
    /// Owning municipality, e.g. SE-1283 (the backlog defaults to yours).
    municipality: Option<String>,
    /// A department id: only your own municipality's processes of that department (partners
    /// never see departments).
    department: Option<String>,
    /// Only processes in this phase.
    phase: Option<Phase>,
    /// Only processes with this status.
    status: Option<Status>,
    /// Only processes in this domain, e.g. social.
    domain: Option<String>,
    /// A classification or its prefix, e.g. "KLE 27".
    classification: Option<String>,
    /// Only processes using this technology, e.g. RPA.
    technology: Option<String>,
    /// Case-insensitive text in the title.
    title_contains: Option<String>,
    /// Only processes that run this often.
    run_period: Option<RunPeriod>,
    /// Backlog only: include rejected, failed, not relevant and operational processes.
    include_closed: Option<bool>,
}

impl ProcessFilter {
    /// The read models' filter.
    pub fn into_filter(self) -> async_graphql::Result<Filter> {
        Ok(Filter {
            municipality: self.municipality.as_deref().map(municipality).transpose()?,
            department: self.department,
            phase: self.phase.map(Into::into),
            status: self.status.map(Into::into),
            domain: self.domain,
            classification: self.classification,
            technology: self.technology,
            title_contains: self.title_contains,
            run_period: self.run_period.map(Into::into),
            include_closed: self.include_closed.unwrap_or(false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_graphql_field_name_is_the_contracts_in_snake_case() {
        // given the names a client gives in `fields`
        // when they become the mask's paths
        // then each segment is in snake case, dots kept
        assert_eq!(contract_path("goals"), "goals");
        assert_eq!(contract_path("startDate"), "start_date");
        assert_eq!(contract_path("scope.workProcesses"), "scope.work_processes");
    }
}
