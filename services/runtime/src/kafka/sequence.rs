//! Each aggregate's order within a batch from the topic ([`Sorted`]), decided in memory before
//! the batch's transaction writes anything: which events go to the projection now (each
//! followed by the held events it lets through), which arrived before their predecessor and
//! wait for it, and which were applied before.

use std::collections::{BTreeMap, HashMap};

use crate::StoredEvent;

/// One decoded message with its trace context.
pub(super) struct Decoded {
    pub event: StoredEvent,
    pub traceparent: Option<String>,
}

/// An event whose predecessor is applied.
pub(super) enum Ready<'a> {
    /// Delivered in this batch.
    Delivered(&'a Decoded),
    /// Held until now (from an earlier batch or this one).
    Released(Box<StoredEvent>),
}

impl Ready<'_> {
    pub fn event(&self) -> &StoredEvent {
        match self {
            Ready::Delivered(d) => &d.event,
            Ready::Released(e) => e,
        }
    }

    pub fn traceparent(&self) -> Option<&str> {
        match self {
            Ready::Delivered(d) => d.traceparent.as_deref(),
            Ready::Released(_) => None,
        }
    }
}

/// A batch in each aggregate's order.
#[derive(Default)]
pub(super) struct Sorted<'a> {
    /// What the projection applies now, in order.
    pub ready: Vec<Ready<'a>>,
    /// Events that arrived before their predecessor and were not held yet: to hold.
    pub held: Vec<&'a StoredEvent>,
    /// Held events this batch lets through: `(aggregate, sequence)`, to forget.
    pub released: Vec<(String, i64)>,
    /// Each aggregate that moved, with its new last applied sequence.
    pub moved: Vec<(String, i64)>,
    /// Events already applied (a redelivery).
    pub duplicates: u64,
}

impl<'a> Sorted<'a> {
    /// Sort `events` given each aggregate's `last` applied sequence and its `held` events.
    pub fn new(
        events: &'a [Decoded],
        mut last: HashMap<String, i64>,
        mut held: HashMap<String, BTreeMap<i64, StoredEvent>>,
    ) -> Self {
        let mut sorted = Sorted::default();
        let mut moved: BTreeMap<String, i64> = BTreeMap::new();
        for one in events {
            let event = &one.event;
            let aggregate = event.aggregate_id.as_str();
            let applied = last.get(aggregate).copied().unwrap_or(0);
            if event.sequence <= applied {
                sorted.duplicates += 1;
                continue;
            }
            if event.sequence > applied + 1 {
                let waiting = held.entry(aggregate.to_owned()).or_default();
                if let std::collections::btree_map::Entry::Vacant(slot) =
                    waiting.entry(event.sequence)
                {
                    slot.insert(event.clone());
                    sorted.held.push(event);
                }
                continue;
            }
            sorted.ready.push(Ready::Delivered(one));
            let mut sequence = event.sequence;
            while let Some(next) = held
                .get_mut(aggregate)
                .and_then(|h| h.remove(&(sequence + 1)))
            {
                sorted.released.push((aggregate.to_owned(), next.sequence));
                sorted.ready.push(Ready::Released(Box::new(next)));
                sequence += 1;
            }
            last.insert(aggregate.to_owned(), sequence);
            moved.insert(aggregate.to_owned(), sequence);
        }
        sorted.moved = moved.into_iter().collect();
        sorted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(aggregate: &str, sequence: i64) -> StoredEvent {
        StoredEvent {
            position: sequence,
            event_id: uuid::Uuid::now_v7(),
            municipality: "DK-0706".into(),
            aggregate_type: "process".into(),
            aggregate_id: aggregate.into(),
            sequence,
            event_type: "ProcessSubmitted".into(),
            payload: Vec::new(),
            actor_user: "ivan".into(),
            actor_municipality: "DK-0706".into(),
            occurred_at: chrono::Utc::now(),
            correlation_id: uuid::Uuid::now_v7(),
            causation_id: None,
        }
    }

    fn delivered(aggregate: &str, sequence: i64) -> Decoded {
        Decoded {
            event: event(aggregate, sequence),
            traceparent: None,
        }
    }

    fn order(sorted: &Sorted<'_>) -> Vec<(String, i64)> {
        sorted
            .ready
            .iter()
            .map(|r| (r.event().aggregate_id.clone(), r.event().sequence))
            .collect()
    }

    fn pairs(list: &[(&str, i64)]) -> Vec<(String, i64)> {
        list.iter().map(|(a, s)| ((*a).to_owned(), *s)).collect()
    }

    #[test]
    fn in_order_events_are_ready_and_redeliveries_are_duplicates() {
        let events = [delivered("a", 1), delivered("b", 3), delivered("a", 2)];
        let last = HashMap::from([("b".to_owned(), 3)]);
        let sorted = Sorted::new(&events, last, HashMap::new());
        assert_eq!(order(&sorted), pairs(&[("a", 1), ("a", 2)]));
        assert_eq!(sorted.duplicates, 1);
        assert_eq!(sorted.moved, pairs(&[("a", 2)]));
        assert!(sorted.held.is_empty() && sorted.released.is_empty());
    }

    #[test]
    fn an_early_event_waits_for_its_predecessor_in_the_same_batch() {
        let events = [delivered("a", 2), delivered("a", 3), delivered("a", 1)];
        let sorted = Sorted::new(&events, HashMap::new(), HashMap::new());
        assert_eq!(order(&sorted), pairs(&[("a", 1), ("a", 2), ("a", 3)]));
        assert_eq!(sorted.held.len(), 2);
        assert_eq!(sorted.released, pairs(&[("a", 2), ("a", 3)]));
        assert_eq!(sorted.moved, pairs(&[("a", 3)]));
    }

    #[test]
    fn an_event_held_earlier_is_released_after_its_predecessor() {
        let held = HashMap::from([("a".to_owned(), BTreeMap::from([(3, event("a", 3))]))]);
        let last = HashMap::from([("a".to_owned(), 1)]);
        let events = [delivered("a", 3), delivered("a", 2)];
        let sorted = Sorted::new(&events, last, held);
        assert!(sorted.held.is_empty(), "3 was held already");
        assert_eq!(order(&sorted), pairs(&[("a", 2), ("a", 3)]));
        assert_eq!(sorted.released, pairs(&[("a", 3)]));
    }

    #[test]
    fn a_gap_that_stays_open_holds_and_moves_nothing() {
        let events = [delivered("a", 5)];
        let sorted = Sorted::new(&events, HashMap::new(), HashMap::new());
        assert!(sorted.ready.is_empty() && sorted.moved.is_empty());
        assert_eq!(sorted.held.len(), 1);
    }
}
