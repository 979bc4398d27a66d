//! What a partner's history of a shared record shows them: the one rule every service's
//! `GetHistory` applies to a reader from another municipality, after the record's read rule
//! has let them read it.
//!
//! - only events after which the record is shared with the reader (the service decides that
//!   with the record's own read rule): what happened while it was not is the owner's
//!   unshared state;
//! - of the events that replace a part of the record as a whole (its details, an
//!   assessment), only those whose part, redacted for the reader by the contract's privacy
//!   marks, differs from the part as the reader was last shown it: an edit of internal
//!   notes, people or departments alone shows nothing;
//! - of the other events, those whose redacted payload carries anything at all.
//!
//! The events carry no field masks (a details event holds the complete details), so no
//! internal field's name leaves through them.

use std::collections::HashMap;

use prost::Message;

use crate::reflect::{redact, redact_payload};
use crate::{StoreError, StoredEvent};

/// What a partner's history has shown them so far, to decide whether the next event shows
/// them anything new.
#[derive(Debug)]
pub struct PartnerTrail<'a> {
    /// The protobuf package of the events, e.g. `innohub.ideas.v1`.
    package: &'a str,
    /// The reader's municipality.
    reader: &'a str,
    /// Per replaced part: the redacted part as last shown, encoded.
    last: HashMap<&'static str, Vec<u8>>,
}

impl<'a> PartnerTrail<'a> {
    /// The trail of a reader from `reader` through events of `package`.
    pub fn new(package: &'a str, reader: &'a str) -> Self {
        Self {
            package,
            reader,
            last: HashMap::new(),
        }
    }

    /// Whether `event`, which replaces the record's `part` (e.g. its details) with `value`
    /// as a whole, shows the reader anything new; if it does, it is taken as shown.
    pub fn replaces<M: Message + prost::Name + Default>(
        &mut self,
        event: &StoredEvent,
        part: &'static str,
        value: &M,
    ) -> Result<bool, StoreError> {
        let seen = redact(value, &event.municipality, self.reader)
            .map_err(|e| corrupt(event, e))?
            .encode_to_vec();
        if self.last.get(part) == Some(&seen) {
            return Ok(false);
        }
        self.last.insert(part, seen);
        Ok(true)
    }

    /// Whether `event`'s whole payload, which replaces the part named by its type, shows
    /// the reader anything new ([`Self::replaces`]).
    pub fn replaces_payload(
        &mut self,
        event: &StoredEvent,
        part: &'static str,
    ) -> Result<bool, StoreError> {
        let seen = self.redacted(event)?;
        if self.last.get(part) == Some(&seen) {
            return Ok(false);
        }
        self.last.insert(part, seen);
        Ok(true)
    }

    /// Whether `event` (one that replaces nothing) carries anything for the reader once
    /// redacted.
    pub fn carries(&self, event: &StoredEvent) -> Result<bool, StoreError> {
        Ok(!self.redacted(event)?.is_empty())
    }

    /// The payload of `event` redacted for the reader.
    fn redacted(&self, event: &StoredEvent) -> Result<Vec<u8>, StoreError> {
        redact_payload(
            &format!("{}.{}", self.package, event.event_type),
            &event.payload,
            &event.municipality,
            self.reader,
        )
        .map_err(|e| corrupt(event, e))
    }
}

fn corrupt(event: &StoredEvent, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!(
        "event {} ({}): {e}",
        event.event_id, event.event_type
    ))
}
