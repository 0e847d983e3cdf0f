//! `GuardedMap`: the engine's `map`, with each item's panic caught and named, and the stop
//! flag looked at once per block of items rather than once per item.
//!
//! rayon hands each job a producer and folds it sequentially (`Producer::fold_with`). Wrapping
//! the producer lets the fold run in blocks: each call is guarded on its own (a `catch_unwind`
//! that costs nothing until it catches, so where `f` cannot unwind the block is a plain `map`,
//! which the compiler can vectorise), and the index of each item is counted per block, never
//! read off the producer's `len` (a safe method, which a user's source may implement wrongly:
//! whatever it says, the fold ends when the items do, and a panic names a real index). A panic
//! that is not an item's (the source's own code, rayon's) passes through unchanged. The stop
//! flag is checked before each block; blocks start at one item and double while a block takes
//! under 10 us (halving when one takes longer), so "no new item starts after a panic" holds
//! exactly for slow items and to within about 10 us for cheap ones, whatever was known of them.
//! The runs' own time is summed into `busy`: the work per item, without the call's overhead.
//! Once the call is stopped, the producer refuses to be split further, so the rest of the
//! input ends as one job, not one per item. Iterating the producer instead (`into_iter`, which
//! some adapters use) falls back to guarding each item and looking at the flag before each.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rayon::iter::plumbing::{
    Consumer, Folder, Producer, ProducerCallback, UnindexedConsumer, bridge,
};
use rayon::iter::{IndexedParallelIterator, ParallelIterator};

use crate::bounds::{One, Sendable};
use crate::panic::{Cancel, Cancelled, run_or_stop, run_recorded};
use crate::watch::{Interrupted, enter};

/// Stops the call if dropped while unwinding: whatever panicked, no new item starts.
struct StopOnUnwind<'a>(&'a Cancel<'a>);

impl Drop for StopOnUnwind<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
    }
}

/// How long a block of items may take before the next look at the stop flag.
const BLOCK_TIME: Duration = Duration::from_micros(10);

/// The most items in one block.
const MAX_BLOCK: usize = 4096;

/// What every piece of one guarded call shares: the function, the call's stop flag and panic
/// record (and watch), and the sum of the runs' own time. Copied into each producer as rayon
/// splits.
pub(crate) struct Guard<'a, F> {
    pub f: &'a F,
    pub cancel: &'a Cancel<'a>,
    /// The runs' own time, in nanoseconds, summed.
    pub busy: &'a AtomicU64,
}

// By hand: derived, they would require `F: Copy`, and only references are copied.
impl<F> Clone for Guard<'_, F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<F> Copy for Guard<'_, F> {}

/// `base.map(f)` whose items are numbered from `offset` for panic reports, producing each
/// result in a [`Sendable`] (results are `Send` only through it).
pub(crate) struct GuardedMap<'a, P, F> {
    pub base: P,
    pub guard: Guard<'a, F>,
    /// The index of `base`'s first item in the whole call.
    pub offset: usize,
}

impl<P, F, R> ParallelIterator for GuardedMap<'_, P, F>
where
    P: IndexedParallelIterator,
    F: Fn(P::Item) -> R + Sync,
    Sendable<R, One>: Send,
{
    type Item = Sendable<R, One>;

    fn drive_unindexed<C: UnindexedConsumer<Self::Item>>(self, consumer: C) -> C::Result {
        bridge(self, consumer)
    }

    fn opt_len(&self) -> Option<usize> {
        Some(self.base.len())
    }
}

impl<P, F, R> IndexedParallelIterator for GuardedMap<'_, P, F>
where
    P: IndexedParallelIterator,
    F: Fn(P::Item) -> R + Sync,
    Sendable<R, One>: Send,
{
    fn len(&self) -> usize {
        self.base.len()
    }

    fn drive<C: Consumer<Self::Item>>(self, consumer: C) -> C::Result {
        bridge(self, consumer)
    }

    fn with_producer<CB: ProducerCallback<Self::Item>>(self, callback: CB) -> CB::Output {
        self.base.with_producer(Wrap {
            callback,
            guard: self.guard,
            offset: self.offset,
        })
    }
}

/// Wraps the base's producer in a [`GuardedProducer`] on its way to rayon's callback.
struct Wrap<'a, CB, F> {
    callback: CB,
    guard: Guard<'a, F>,
    offset: usize,
}

impl<T, R, CB, F> ProducerCallback<T> for Wrap<'_, CB, F>
where
    CB: ProducerCallback<Sendable<R, One>>,
    F: Fn(T) -> R + Sync,
    Sendable<R, One>: Send,
{
    type Output = CB::Output;

    fn callback<P: Producer<Item = T>>(self, base: P) -> CB::Output {
        self.callback.callback(GuardedProducer {
            base,
            guard: self.guard,
            offset: self.offset,
        })
    }
}

struct GuardedProducer<'a, P, F> {
    base: P,
    guard: Guard<'a, F>,
    /// The index of `base`'s first item in the whole call.
    offset: usize,
}

impl<P, F, R> Producer for GuardedProducer<'_, P, F>
where
    P: Producer,
    F: Fn(P::Item) -> R + Sync,
    Sendable<R, One>: Send,
{
    type Item = Sendable<R, One>;
    type IntoIter = std::vec::IntoIter<Sendable<R, One>>;

    fn into_iter(self) -> Self::IntoIter {
        // Rarely used (the engine's collect folds): guard each item, eagerly.
        let Guard { f, cancel, .. } = self.guard;
        self.base
            .into_iter()
            .enumerate()
            .map(|(index, item)| Sendable::new(run_or_stop(cancel, self.offset + index, f, item)))
            .collect::<Vec<_>>()
            .into_iter()
    }

    fn min_len(&self) -> usize {
        // Stopped: the rest is one job, which ends at once.
        if self.guard.cancel.stopped() {
            usize::MAX
        } else {
            self.base.min_len()
        }
    }

    fn max_len(&self) -> usize {
        self.base.max_len()
    }

    fn split_at(self, index: usize) -> (Self, Self) {
        let (left, right) = self.base.split_at(index);
        (
            GuardedProducer {
                base: left,
                guard: self.guard,
                offset: self.offset,
            },
            GuardedProducer {
                base: right,
                guard: self.guard,
                offset: self.offset + index,
            },
        )
    }

    fn fold_with<G: Folder<Self::Item>>(self, folder: G) -> G {
        let Guard { f, cancel, busy } = self.guard;
        // A panic that is not an item's (the source's own adaptors, rayon's) stops the call too.
        let _stop = StopOnUnwind(cancel);
        // Calls the items make inherit this call's stop conditions (none, if unwatched).
        let _entered = enter(cancel.watch);
        let mut items = self.base.into_iter();
        let started = Instant::now();
        let mut folder = folder;
        let mut block = 1;
        let mut block_started = started;
        // The index of the next item, counted here rather than read off the producer's `len`:
        // a user's source may implement that safe method wrongly.
        let mut next = self.offset;
        loop {
            if cancel.stopped() {
                if let Some(watch) = cancel.watch {
                    if items.len() == 0 {
                        // Nothing was left to skip: this run is complete.
                        break;
                    }
                    watch.cut();
                }
                resume_unwind(Box::new(Cancelled));
            }
            // Within a block the loop is a plain `map`: the call, guarded on its own (which
            // costs nothing until it catches), and the count.
            let mut taken = 0;
            let run = items.by_ref().take(block).map(|item| {
                let index = next + taken;
                taken += 1;
                Sendable::new(run_recorded(cancel, index, f, item))
            });
            // A panic here that is not an item's (theirs unwind as `Cancelled`) is the input's:
            // kept, so that it is the call's answer even if an item panicked first elsewhere.
            folder = match catch_unwind(AssertUnwindSafe(|| folder.consume_iter(run))) {
                Ok(folder) => folder,
                Err(payload) if payload.is::<Cancelled>() => resume_unwind(payload),
                Err(payload) if payload.is::<Interrupted>() && cancel.watch.is_some() => {
                    // A call made by the source's own code, stopped by this call's stop.
                    cancel.stop();
                    resume_unwind(Box::new(Cancelled))
                }
                Err(payload) => {
                    cancel.record_other(payload);
                    resume_unwind(Box::new(Cancelled))
                }
            };
            if let Some(watch) = cancel.watch {
                watch.done(next..next + taken);
            }
            next += taken;
            // Ended: the source gave fewer items than asked for (however long it said it was).
            if taken < block || folder.full() {
                break;
            }
            let now = Instant::now();
            block = if now - block_started < BLOCK_TIME {
                (block * 2).min(MAX_BLOCK)
            } else {
                (block / 2).max(1)
            };
            block_started = now;
        }
        let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        busy.fetch_add(nanos, Ordering::Relaxed);
        folder
    }
}
