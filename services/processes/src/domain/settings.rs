//! The `MunicipalitySettings` aggregate, one per municipality: its scoring weights, and its
//! event's mapping to the contract (`ScoringWeightsSet`).

use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::aggregate::{message, required};
use innohub_runtime::{
    Aggregate, DecodeError, DomainEvent, EncodedEvent, MunicipalityId, Principal, Role,
};
use prost::Name as _;

use super::scoring::ScoringWeights;
use crate::ProcessError;

/// What can be asked of the settings.
#[derive(Debug, Clone)]
pub enum SettingsCommand {
    /// Replace the scoring weights; every process of the municipality is re-scored.
    SetScoringWeights {
        /// Caller (a municipality admin of their own municipality).
        by: Principal,
        /// New weights.
        weights: ScoringWeights,
    },
}

/// What happened to the settings.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingsEvent {
    /// Weights replaced.
    ScoringWeightsSet {
        /// Whose.
        municipality: MunicipalityId,
        /// The weights.
        weights: ScoringWeights,
    },
}

impl DomainEvent for SettingsEvent {
    fn encode(&self) -> EncodedEvent {
        let SettingsEvent::ScoringWeightsSet {
            municipality,
            weights,
        } = self;
        EncodedEvent::of(&pb::ScoringWeightsSet {
            municipality: municipality.to_string(),
            weights: Some(weights.into()),
        })
    }

    fn decode(event_type: &str, payload: &[u8]) -> Result<Self, DecodeError> {
        match event_type {
            pb::ScoringWeightsSet::NAME => {
                let m: pb::ScoringWeightsSet = message(payload)?;
                Ok(SettingsEvent::ScoringWeightsSet {
                    municipality: MunicipalityId::parse(&m.municipality).map_err(DecodeError)?,
                    weights: required(m.weights, "weights")?.try_into()?,
                })
            }
            other => Err(DecodeError(format!("no settings event {other}"))),
        }
    }
}

/// A municipality's settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MunicipalitySettings {
    /// Whose.
    pub municipality: Option<MunicipalityId>,
    /// Weights, once set; the defaults apply before.
    pub weights: Option<ScoringWeights>,
}

impl MunicipalitySettings {
    /// The stream id of a municipality's settings.
    pub fn stream_id(municipality: &MunicipalityId) -> String {
        format!("settings:{municipality}")
    }
}

impl Aggregate for MunicipalitySettings {
    type Command = SettingsCommand;
    type Event = SettingsEvent;
    type Error = ProcessError;
    const TYPE: &'static str = "municipality_settings";

    fn decide(&self, command: SettingsCommand) -> Result<Vec<SettingsEvent>, ProcessError> {
        match command {
            SettingsCommand::SetScoringWeights { by, weights } => {
                if !by.has(Role::MunicipalityAdmin) {
                    return Err(ProcessError::Forbidden(
                        "setting scoring weights needs the municipality_admin role".into(),
                    ));
                }
                Ok(if self.weights.as_ref() == Some(&weights) {
                    vec![]
                } else {
                    vec![SettingsEvent::ScoringWeightsSet {
                        municipality: by.municipality,
                        weights,
                    }]
                })
            }
        }
    }

    fn evolve(mut self, event: &SettingsEvent) -> Self {
        match event {
            SettingsEvent::ScoringWeightsSet {
                municipality,
                weights,
            } => {
                self.municipality = Some(municipality.clone());
                self.weights = Some(weights.clone());
            }
        }
        self
    }

    fn municipality(&self) -> Option<&MunicipalityId> {
        self.municipality.as_ref()
    }
}
