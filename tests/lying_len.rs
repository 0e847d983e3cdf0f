//! A user's rayon source whose `len` is wrong (a safe method, so it may be): whatever it says,
//! a call ends, and a panic names a real item or none (found by a stress run: a `len` one too
//! high spun forever, one that grew turned an item's panic into an overflow or a huge index,
//! one too low labelled rayon's own complaint as an item's panic).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use parallelize::rayon::iter::plumbing::{
    Consumer, Producer, ProducerCallback, UnindexedConsumer, bridge,
};
use parallelize::rayon::prelude::*;
use parallelize::{Jobs, from_par_iter, par_map};

/// How the source's `len` lies.
#[derive(Clone, Copy)]
enum Lie {
    /// One more than it has.
    High,
    /// One fewer than it has.
    Low,
    /// Its iterator's length grows as items are taken.
    Growing,
}

struct Source {
    items: Vec<u64>,
    lie: Lie,
}

impl ParallelIterator for Source {
    type Item = u64;
    fn drive_unindexed<C: UnindexedConsumer<u64>>(self, consumer: C) -> C::Result {
        bridge(self, consumer)
    }
    fn opt_len(&self) -> Option<usize> {
        Some(self.len())
    }
}

impl IndexedParallelIterator for Source {
    fn len(&self) -> usize {
        match self.lie {
            Lie::High => self.items.len() + 1,
            Lie::Low => self.items.len() - 1,
            Lie::Growing => self.items.len(),
        }
    }
    fn drive<C: Consumer<u64>>(self, consumer: C) -> C::Result {
        bridge(self, consumer)
    }
    fn with_producer<CB: ProducerCallback<u64>>(self, callback: CB) -> CB::Output {
        callback.callback(Lying {
            items: self.items,
            lie: self.lie,
        })
    }
}

/// The producer: splits honestly, but its iterator's length lies as the source's does.
struct Lying {
    items: Vec<u64>,
    lie: Lie,
}

impl Producer for Lying {
    type Item = u64;
    type IntoIter = LyingIter;
    fn into_iter(self) -> LyingIter {
        LyingIter {
            items: self.items.into_iter(),
            lie: self.lie,
            taken: 0,
        }
    }
    fn split_at(mut self, index: usize) -> (Self, Self) {
        let right = self.items.split_off(index.min(self.items.len()));
        let lie = self.lie;
        (self, Lying { items: right, lie })
    }
}

struct LyingIter {
    items: std::vec::IntoIter<u64>,
    lie: Lie,
    taken: usize,
}

impl Iterator for LyingIter {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        self.taken += 1;
        self.items.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let real = self.items.len();
        let said = match self.lie {
            Lie::High => real + 1,
            Lie::Low => real.saturating_sub(1),
            Lie::Growing => real + 3 * self.taken,
        };
        (said, Some(said))
    }
}

impl ExactSizeIterator for LyingIter {}

impl DoubleEndedIterator for LyingIter {
    fn next_back(&mut self) -> Option<u64> {
        self.items.next_back()
    }
}

/// Runs a call on 2 workers in a thread of its own, and waits for it at most a minute: a hang
/// becomes a failure. Returns the call's panic message, if it panicked.
fn call(lie: Lie, panic_at: Option<u64>) -> Result<Vec<u64>, String> {
    let (done, outcome) = mpsc::channel();
    thread::spawn(move || {
        let source = Source {
            items: (0..100).collect(),
            lie,
        };
        let result = catch_unwind(AssertUnwindSafe(|| {
            par_map(from_par_iter(source), Jobs::new(2).adaptive(false), |x| {
                assert!(Some(x) != panic_at, "boom at {x}");
                x
            })
        }));
        let result = result.map_err(|payload| {
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default()
        });
        let _ = done.send(result);
    });
    outcome
        .recv_timeout(Duration::from_mins(1))
        .expect("the call hung")
}

#[test]
fn a_len_one_too_high_ends_the_call() {
    // rayon's collect then finds a slot unwritten and says so; nothing is named an item's.
    match call(Lie::High, None) {
        Ok(results) => assert_eq!(results, (0..100).collect::<Vec<_>>()),
        Err(message) => assert!(!message.starts_with("item "), "{message}"),
    }
}

#[test]
fn a_growing_len_does_not_change_which_item_panicked() {
    assert_eq!(
        call(Lie::Growing, Some(37)),
        Err("item 37 panicked: boom at 37".into())
    );
    assert_eq!(call(Lie::Growing, None), Ok((0..100).collect()));
}

#[test]
fn rayons_own_complaint_about_a_len_too_low_is_not_an_items_panic() {
    match call(Lie::Low, None) {
        Ok(results) => assert!(results.len() >= 99),
        Err(message) => assert!(!message.starts_with("item "), "{message}"),
    }
}
