//! Where a projection's consumer is on each partition of its topic, and whether what the broker
//! delivers continues from there.
//!
//! innohub's topics are neither compacted nor written in transactions, so every offset of a
//! partition holds a record and a partition's messages must arrive at consecutive offsets. The
//! cursor (kept in the read model's database, see [`super::source`]) knows the next offset of
//! each partition; a message below it was applied already, a message above it means the broker
//! skipped records. Brokers do: Tansu 0.6 answers a fetch from inside a record batch with the
//! next batch, so a consumer resuming in the middle of a batch would silently lose its tail.
//! On a skip the consumer reads the partition again from before the missing offsets, a few
//! times, the last ones from the partition's start; only a hole that re-reading from the start
//! does not fill is given up on.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use super::MAX_BATCH_RECORDS;

/// Re-reads from one producer batch before the missing offset, then from the start.
const NEAR_ATTEMPTS: u32 = 3;
const START_ATTEMPTS: u32 = 3;

/// How a batch of messages continues the cursor.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sorted {
    /// Indices of the messages that continue their partition, in delivery order.
    pub take: Vec<usize>,
    /// The next offset of each partition once `take` is applied.
    pub positions: BTreeMap<i32, i64>,
    /// Partitions whose messages jumped past offsets not yet read.
    pub skips: BTreeMap<i32, Skip>,
}

/// Offsets `expected..found` of a partition were not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skip {
    /// The next offset the cursor wanted.
    pub expected: i64,
    /// The offset the broker delivered instead.
    pub found: i64,
}

/// What to do about a [`Skip`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewind {
    /// Read the partition again from offset `from`, after `wait`.
    Reread {
        /// Where to read from.
        from: i64,
        /// How long to let the broker settle first.
        wait: Duration,
    },
    /// The missing records are gone from the topic (`expected` is below the partition's
    /// start) or re-reading from the start did not bring them: go on at `from`.
    GiveUp {
        /// Where the partition continues.
        from: i64,
    },
}

/// The next offset of every partition, and the skips being repaired.
#[derive(Debug, Clone, Default)]
pub struct Cursor {
    next: BTreeMap<i32, i64>,
    attempts: HashMap<i32, u32>,
}

impl Cursor {
    /// A cursor at `next` (partition → next offset).
    pub fn new(next: BTreeMap<i32, i64>) -> Self {
        Self {
            next,
            attempts: HashMap::new(),
        }
    }

    /// The next offset of every partition.
    pub fn positions(&self) -> &BTreeMap<i32, i64> {
        &self.next
    }

    /// Where to (re)start reading `partition`: one producer batch before its next offset, so
    /// that the fetch starts at or before the batch holding it (the cursor passes over what it
    /// has applied), but not before `start`, the partition's first offset.
    pub fn start(&self, partition: i32, start: i64) -> i64 {
        self.next
            .get(&partition)
            .map_or(start, |next| (next - MAX_BATCH_RECORDS as i64).max(start))
    }

    /// Sort a batch of `(partition, offset)` in delivery order.
    pub fn sort(&self, batch: impl IntoIterator<Item = (i32, i64)>) -> Sorted {
        let mut sorted = Sorted::default();
        for (i, (partition, offset)) in batch.into_iter().enumerate() {
            if sorted.skips.contains_key(&partition) {
                continue;
            }
            let expected = sorted
                .positions
                .get(&partition)
                .or(self.next.get(&partition))
                .copied()
                .unwrap_or(offset);
            if offset < expected {
                continue;
            }
            if offset > expected {
                sorted.skips.insert(
                    partition,
                    Skip {
                        expected,
                        found: offset,
                    },
                );
                continue;
            }
            sorted.take.push(i);
            sorted.positions.insert(partition, offset + 1);
        }
        sorted
    }

    /// The batch's messages were applied: move to `positions`. A partition that moved has
    /// no skip left to repair.
    pub fn advance(&mut self, positions: &BTreeMap<i32, i64>) {
        for (partition, next) in positions {
            self.next.insert(*partition, *next);
            self.attempts.remove(partition);
        }
    }

    /// What to do about `skip` on `partition`, whose first offset is now `start`.
    pub fn rewind(&mut self, partition: i32, skip: Skip, start: i64) -> Rewind {
        if skip.expected < start {
            self.attempts.remove(&partition);
            self.next.insert(partition, start);
            return Rewind::GiveUp { from: start };
        }
        let attempt = self.attempts.entry(partition).or_insert(0);
        *attempt += 1;
        match *attempt {
            n if n <= NEAR_ATTEMPTS => Rewind::Reread {
                from: (skip.expected - MAX_BATCH_RECORDS as i64).max(start),
                wait: Duration::from_millis(100) * (n - 1),
            },
            n if n <= NEAR_ATTEMPTS + START_ATTEMPTS => Rewind::Reread {
                from: start,
                wait: Duration::from_secs(1) * (1 << (n - NEAR_ATTEMPTS - 1)),
            },
            _ => {
                self.attempts.remove(&partition);
                self.next.insert(partition, skip.found);
                Rewind::GiveUp { from: skip.found }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(next: &[(i32, i64)]) -> Cursor {
        Cursor::new(next.iter().copied().collect())
    }

    #[test]
    fn consecutive_offsets_are_taken_and_old_ones_passed_over() {
        let cursor = at(&[(0, 10), (1, 0)]);
        let sorted = cursor.sort([(0, 8), (0, 9), (0, 10), (1, 0), (0, 11), (1, 1)]);
        assert_eq!(sorted.take, [2, 3, 4, 5]);
        assert_eq!(sorted.positions, BTreeMap::from([(0, 12), (1, 2)]));
        assert!(sorted.skips.is_empty());
    }

    #[test]
    fn a_jump_stops_its_partition_only() {
        let cursor = at(&[(0, 10), (1, 5)]);
        let sorted = cursor.sort([(0, 10), (0, 15), (1, 5), (0, 16), (0, 11), (1, 6)]);
        assert_eq!(sorted.take, [0, 2, 5]);
        assert_eq!(sorted.positions, BTreeMap::from([(0, 11), (1, 7)]));
        assert_eq!(
            sorted.skips,
            BTreeMap::from([(
                0,
                Skip {
                    expected: 11,
                    found: 15
                }
            )])
        );
    }

    #[test]
    fn a_partition_the_cursor_does_not_know_starts_where_it_is_delivered() {
        let sorted = at(&[]).sort([(2, 40), (2, 41)]);
        assert_eq!(sorted.take, [0, 1]);
        assert_eq!(sorted.positions, BTreeMap::from([(2, 42)]));
    }

    #[test]
    fn reading_restarts_one_producer_batch_before_the_next_offset() {
        let cursor = at(&[(0, 5_000), (1, 20)]);
        assert_eq!(cursor.start(0, 0), 5_000 - MAX_BATCH_RECORDS as i64);
        assert_eq!(cursor.start(1, 3), 3);
        assert_eq!(cursor.start(2, 7), 7, "an unknown partition from its start");
    }

    #[test]
    fn a_skip_is_read_again_near_then_from_the_start_then_given_up() {
        let mut cursor = at(&[(0, 5_000)]);
        let skip = Skip {
            expected: 5_000,
            found: 5_020,
        };
        let mut rewinds = Vec::new();
        for _ in 0..NEAR_ATTEMPTS + START_ATTEMPTS + 1 {
            rewinds.push(cursor.rewind(0, skip, 100));
        }
        let near = 5_000 - MAX_BATCH_RECORDS as i64;
        assert_eq!(
            rewinds,
            [
                Rewind::Reread {
                    from: near,
                    wait: Duration::ZERO
                },
                Rewind::Reread {
                    from: near,
                    wait: Duration::from_millis(100)
                },
                Rewind::Reread {
                    from: near,
                    wait: Duration::from_millis(200)
                },
                Rewind::Reread {
                    from: 100,
                    wait: Duration::from_secs(1)
                },
                Rewind::Reread {
                    from: 100,
                    wait: Duration::from_secs(2)
                },
                Rewind::Reread {
                    from: 100,
                    wait: Duration::from_secs(4)
                },
                Rewind::GiveUp { from: 5_020 },
            ]
        );
        assert_eq!(cursor.positions()[&0], 5_020);
    }

    #[test]
    fn progress_forgets_earlier_attempts() {
        let mut cursor = at(&[(0, 50)]);
        let skip = Skip {
            expected: 50,
            found: 60,
        };
        cursor.rewind(0, skip, 0);
        cursor.rewind(0, skip, 0);
        cursor.advance(&BTreeMap::from([(0, 51)]));
        let again = Skip {
            expected: 51,
            found: 60,
        };
        assert_eq!(
            cursor.rewind(0, again, 0),
            Rewind::Reread {
                from: 0,
                wait: Duration::ZERO
            }
        );
    }

    #[test]
    fn records_deleted_from_the_topic_are_given_up_at_once() {
        let mut cursor = at(&[(0, 50)]);
        let skip = Skip {
            expected: 50,
            found: 900,
        };
        assert_eq!(cursor.rewind(0, skip, 800), Rewind::GiveUp { from: 800 });
        assert_eq!(cursor.positions()[&0], 800);
    }
}
