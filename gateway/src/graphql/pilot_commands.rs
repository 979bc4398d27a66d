//! The command side of the pilots context in GraphQL (`innohub.pilots.v1`): plan a pilot
//! (`planPilot`, `updatePilotPlan`), start it (`startPilot`), run it (`recordObservation`,
//! `recordIncident`, `recordMeasurement`), define the benefits it is expected to bring
//! (`defineBenefit`), evaluate and decide it (`evaluatePilot`, `decidePilot`), and plan one
//! from an idea (`startPilotFromIdea`, through the ideas service, linked on both sides).
//!
//! Each mutation builds the contract's request from its input (the mirrors of
//! [`super::pilot_types`]) and sends it to the pilots service through [`super::call`]; each
//! accepts an optional `idempotencyKey` (a retry with the same key returns the first result
//! and records nothing new). No domain rule is checked here: the service validates what it
//! is sent.

use async_graphql::{Context, ID, Object};
use chrono::NaiveDate;
use innohub_proto::innohub::ideas::v1 as ideas;
use innohub_proto::innohub::pilots::v1 as pb;

use super::idea_commands::Spawned;
use super::pilot_types::{
    Benefit, DecisionBasis, Evaluation, Incident, Observation, PilotDecision, PilotPlan, Reading,
};
use super::types::update_mask;
use super::{call, services};

/// The store the pilots service's consistency tokens name.
const STORE: &str = innohub_pilots::SERVICE;

/// The pilots context's mutations (part of the mutation root, [`super::Mutation`]).
#[derive(Default)]
pub struct PilotsMutation;

payload! {
    /// The result of a command on a pilot.
    PilotPayload,
    store = STORE
}

/// The result of planning a pilot from an idea: two writes, one token.
pub struct StartPilotPayload(Spawned);

/// The result of planning a pilot from an idea: two writes, one token.
#[Object]
impl StartPilotPayload {
    /// The idea's id.
    async fn id(&self) -> ID {
        self.0.idea()
    }
    /// The new pilot's id.
    async fn pilot_id(&self) -> ID {
        ID(self.0.record().to_string())
    }
    /// Pass to a query's `consistency` argument to read your own write: it covers both the
    /// idea and the pilot. Opaque.
    async fn consistency_token(&self) -> String {
        self.0.token().to_string()
    }
    /// True when an earlier call with the same idempotency key already did this.
    async fn replayed(&self) -> bool {
        self.0.replayed()
    }
}

#[Object]
impl PilotsMutation {
    /// Plan a pilot of your municipality (innovation_lead); it starts in PLANNING. The plan
    /// may be incomplete (a title and at least one department are required); every topic
    /// is filled before `startPilot`.
    async fn plan_pilot(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pilot's plan; it may be incomplete while PLANNING.")] plan: PilotPlan,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<PilotPayload> {
        let request = pb::PlanPilotRequest {
            plan: Some(plan.into()),
            origin: None,
        };
        Ok(command!(ctx, pilots, idempotency_key => plan_pilot(request) as PilotPayload))
    }

    /// Change some of a pilot's plan (innovation_lead): while PLANNING any field; while
    /// RUNNING the plan stays complete and its dates stay (`decidePilot` EXTEND moves the end
    /// date). `fields` names what changes, by the names of `plan`'s fields (`goals`,
    /// `startDate`, `scope`, `scope.touchpoints`, …): a named field that is null in `plan`
    /// is cleared. Without `fields`, the fields `plan` gives (not null) change and the others
    /// keep their value; an empty text or list clears the field.
    async fn update_pilot_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pilot's id.")] id: ID,
        #[graphql(desc = "The new values of the fields that change.")] plan: PilotPlan,
        #[graphql(
            desc = "The fields that change, by their GraphQL names (nested with a dot); a named field that is null is cleared. Without it, the fields given (not null) change."
        )]
        fields: Option<Vec<String>>,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<PilotPayload> {
        let request = pb::UpdatePilotPlanRequest {
            pilot_id: id.0,
            update_mask: Some(update_mask(fields, &plan)),
            plan: Some(plan.into()),
        };
        Ok(command!(ctx, pilots, idempotency_key => update_pilot_plan(request) as PilotPayload))
    }

    /// Start a planned pilot (innovation_lead); it is RUNNING from today. Refused until
    /// every topic of the plan is filled: the error names each missing one.
    async fn start_pilot(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of a pilot whose plan is complete.")] id: ID,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<PilotPayload> {
        let request = pb::StartPilotRequest { pilot_id: id.0 };
        Ok(command!(ctx, pilots, idempotency_key => start_pilot(request) as PilotPayload))
    }

    /// Record what was observed at a touchpoint of a RUNNING pilot (an innovation lead or
    /// the pilot's responsible person).
    async fn record_observation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of a RUNNING pilot.")] id: ID,
        #[graphql(desc = "What was observed.")] observation: Observation,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<PilotPayload> {
        let request = pb::RecordObservationRequest {
            pilot_id: id.0,
            observation: Some(observation.into()),
        };
        Ok(command!(ctx, pilots, idempotency_key => record_observation(request) as PilotPayload))
    }

    /// Record an incident of a RUNNING pilot and how it was handled (an innovation lead or
    /// the pilot's responsible person).
    async fn record_incident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of a RUNNING pilot.")] id: ID,
        #[graphql(desc = "What happened.")] incident: Incident,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<PilotPayload> {
        let request = pb::RecordIncidentRequest {
            pilot_id: id.0,
            incident: Some(incident.into()),
        };
        Ok(command!(ctx, pilots, idempotency_key => record_incident(request) as PilotPayload))
    }

    /// Define a benefit the pilot is expected to bring, or redefine one (`benefitId`: it is
    /// replaced whole, its measurements stay), before the decision (innovation_lead).
    /// Titles are unique within a pilot; a new benefit's id is read with the pilot.
    async fn define_benefit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pilot's id.")] id: ID,
        #[graphql(desc = "The benefit to redefine; a new benefit when not given.")]
        benefit_id: Option<ID>,
        #[graphql(desc = "The benefit, whole.")] benefit: Benefit,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<PilotPayload> {
        let request = pb::DefineBenefitRequest {
            pilot_id: id.0,
            benefit_id: benefit_id.map(|b| b.0).unwrap_or_default(),
            benefit: Some(benefit.into()),
        };
        Ok(command!(ctx, pilots, idempotency_key => define_benefit(request) as PilotPayload))
    }

    /// Record a measurement of a benefit's indicator while the pilot is RUNNING (an
    /// innovation lead or the pilot's responsible person): not before the benefit's baseline
    /// date, not after today.
    async fn record_measurement(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pilot's id.")] id: ID,
        #[graphql(desc = "The benefit measured.")] benefit_id: ID,
        #[graphql(desc = "The measured value and when.")] reading: Reading,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<PilotPayload> {
        let request = pb::RecordMeasurementRequest {
            pilot_id: id.0,
            benefit_id: benefit_id.0,
            reading: Some(reading.into()),
        };
        Ok(command!(ctx, pilots, idempotency_key => record_measurement(request) as PilotPayload))
    }

    /// Evaluate a RUNNING pilot, or evaluate an EVALUATING one again (innovation_lead):
    /// every question rated 1–5 and every answer of the benefit review. It is EVALUATING.
    async fn evaluate_pilot(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pilot's id.")] id: ID,
        #[graphql(desc = "The evaluation through the three lenses.")] evaluation: Evaluation,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<PilotPayload> {
        let request = pb::EvaluatePilotRequest {
            pilot_id: id.0,
            evaluation: Some(evaluation.into()),
        };
        Ok(command!(ctx, pilots, idempotency_key => evaluate_pilot(request) as PilotPayload))
    }

    /// Decide an EVALUATING pilot (innovation_lead), on a basis: TO_OPERATION,
    /// EXTEND (with `newEndDate`, after the current end date: RUNNING again), STOP (with
    /// `whyStopped`, why it did not work) or BACK_TO_IDEATION.
    #[allow(clippy::too_many_arguments)] // one per GraphQL argument of decidePilot
    async fn decide_pilot(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of an EVALUATING pilot.")] id: ID,
        #[graphql(desc = "TO_OPERATION, EXTEND, STOP or BACK_TO_IDEATION.")]
        decision: PilotDecision,
        #[graphql(desc = "For EXTEND: the new end date, after the current one.")]
        new_end_date: Option<NaiveDate>,
        #[graphql(desc = "For STOP: why it did not work.")] why_stopped: Option<String>,
        #[graphql(desc = "What the decision rests on.")] basis: DecisionBasis,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<PilotPayload> {
        let request = pb::DecidePilotRequest {
            pilot_id: id.0,
            decision: pb::Decision::from(decision) as i32,
            new_end_date: new_end_date.map(|d| d.to_string()).unwrap_or_default(),
            why_stopped: why_stopped.unwrap_or_default(),
            basis: Some(basis.into()),
        };
        Ok(command!(ctx, pilots, idempotency_key => decide_pilot(request) as PilotPayload))
    }

    /// Plan a pilot from an idea of your municipality (innovation_lead), linked both ways:
    /// the pilot's origin is the idea, the idea's outcome the pilot. `plan` is what
    /// `planPilot` takes. The consistency token covers both.
    async fn start_pilot_from_idea(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The idea's id.")] idea_id: ID,
        #[graphql(desc = "The pilot's plan; it may be incomplete while PLANNING.")] plan: PilotPlan,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<StartPilotPayload> {
        let request = ideas::StartPilotFromIdeaRequest {
            idea_id: idea_id.0,
            plan: Some(plan.into()),
        };
        let reply = call(
            ctx,
            &services(ctx).ideas,
            idempotency_key.as_deref(),
            request,
            |mut client, request| async move { client.start_pilot_from_idea(request).await },
        )
        .await?;
        Spawned::of(reply, STORE).map(StartPilotPayload)
    }
}

#[cfg(test)]
mod tests {
    use super::super::types::Mirror as _;
    use super::*;

    #[test]
    fn an_update_without_fields_changes_what_the_plan_gives() {
        // given a plan input with a goal, an empty training text and an empty scope
        let plan = PilotPlan::from(pb::PilotPlan::default());
        let plan = PilotPlan {
            goals: Some("Færre bomturer".into()),
            training: Some(String::new()),
            scope: Some(super::super::pilot_types::Scope::from(pb::Scope::default())),
            ..plan
        };
        // when the mask is taken from it
        // then exactly the given fields are named, the empty text too (it clears)
        assert_eq!(plan.given(), ["goals", "scope", "training"]);
    }
}
