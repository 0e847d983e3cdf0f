//! The engine of `par_comp!`: nested `for` clauses as nested parallel loops.
//!
//! How the iteration space is split: every `for` clause is a rayon parallel loop over its
//! iterable. The leftmost is evaluated once, before anything runs, and read in place when
//! `par_comp!` found it splittable where it lies (see [`crate::InPlace`]), else gathered into a
//! `Vec`; each later one is gathered once per binding of the clauses before it, inside the task
//! of that binding, exactly as the sequential comprehension evaluates them. Inner loops run in the same pool as the outer one,
//! so rayon's work stealing splits whichever level has work: `for x in 0..2 for y in 0..N`
//! keeps every worker busy though the outer loop has two items. Results are concatenated in
//! the order of the sequential comprehension.

use std::sync::Arc;

use rayon::prelude::*;

use crate::bounds::{One, Sendable};
use crate::items::{Consume, Driver, IntoItems, gather, note_serial_read, sequentially};
use crate::panic::{Failure, guarded, or_raise, run_or_stop};
use crate::pipeline::{OnPanic, Shared, Sink, assemble, run_all, worth_pulling};
use crate::pool::{inside_worker, run_in_pool_as};
use crate::watch::{Watch, or_raise_stopped};
use crate::{Jobs, SendArgument, SendResult};

/// Where the clauses of a comprehension run: passed by `par_comp!`'s expansion from each `for`
/// clause to the one inside it.
///
/// ```
/// use parallelize::expansion::comprehension;
///
/// // par_comp![x * y for x in 1..3 for y in 0..x; njobs = 2], by hand: the outer clause
/// // hands each item's `Level` to the inner one.
/// let products = comprehension(1..3_u32, 2, |level, x| level.nested(0..x, |_, y| [x * y]));
/// assert_eq!(products, [0, 0, 2]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Level {
    /// Whether inner clauses may split their loops over the pool; not with one worker, nor when
    /// the call may use only some of the pool's workers.
    parallel: bool,
}

impl Level {
    /// The level of an outer item's inner clauses, split over the pool or not.
    pub(crate) fn inner(parallel: bool) -> Level {
        Level { parallel }
    }

    /// An inner `for` clause: `body` for every item of `items`, results in order; `body`
    /// gives an item's results as any `IntoIterator`: an `Option` for an `if`, an array of
    /// one for a plain element.
    ///
    /// ```
    /// use parallelize::expansion::comprehension;
    ///
    /// // par_comp![y for x in 0..3 for y in 0..x if y % 2 == 0; njobs = 2], by hand:
    /// let evens = comprehension(0..3_u32, 2, |level, x| {
    ///     level.nested(0..x, |_, y| (y % 2 == 0).then_some(y))
    /// });
    /// assert_eq!(evens, [0, 0]);
    /// ```
    pub fn nested<I, B, U>(self, items: I, body: B) -> Vec<U::Item>
    where
        I: IntoIterator,
        I::Item: SendArgument,
        B: Fn(Level, I::Item) -> U + Sync,
        U: IntoIterator,
        U::Item: SendResult,
    {
        if !self.parallel {
            return items
                .into_iter()
                .flat_map(|item| body(self, item))
                .collect();
        }
        let items = Sendable::<_, One>::wrap_vec(items.into_iter().collect());
        let results = items
            .into_par_iter()
            .flat_map_iter(|item| body(self, item.0).into_iter().map(Sendable::<_, One>::new))
            .collect();
        Sendable::unwrap_vec(results)
    }
}

/// The outermost `for` clause of a comprehension on `jobs` workers: `body` for every item of
/// `items`, results concatenated in order. A panic names the index of the outermost item.
///
/// ```
/// use parallelize::expansion::comprehension;
///
/// // par_comp![x for x in 0..10 if x % 3 == 0; njobs = 2], by hand:
/// let multiples = comprehension(0..10_u32, 2, |_, x| (x % 3 == 0).then_some(x));
/// assert_eq!(multiples, [0, 3, 6, 9]);
/// ```
#[track_caller]
pub fn comprehension<I, B, U>(items: I, jobs: impl Into<Jobs>, body: B) -> Vec<U::Item>
where
    I: IntoItems,
    I::Item: SendArgument,
    B: Fn(Level, I::Item) -> U + Sync,
    U: IntoIterator,
    U::Item: SendResult,
{
    let jobs = jobs.into();
    let watch = Watch::start(&jobs, None);
    let outer = Outer {
        workers: jobs.workers(),
        exact: !jobs.is_adaptive(),
        body: &body,
        watch: watch.as_ref(),
    };
    let outcome = items.drive(outer);
    match watch {
        Some(watch) => or_raise_stopped(watch.finish(outcome)),
        None => or_raise(outcome),
    }
}

/// The outermost clause, given its items by [`IntoItems::drive`].
struct Outer<'a, B> {
    workers: usize,
    /// Whether exactly `workers` must run at once (see `pool::run_in_pool_as`).
    exact: bool,
    body: &'a B,
    /// The call's watch, if it is watched.
    watch: Option<&'a Arc<Watch>>,
}

impl<T, B, U> Driver<T> for Outer<'_, B>
where
    T: SendArgument,
    B: Fn(Level, T) -> U + Sync,
    U: IntoIterator,
    U::Item: SendResult,
{
    type Output = Result<Vec<U::Item>, Failure>;

    fn sequential<I: Iterator<Item = T>>(self, mut items: I) -> Self::Output {
        if self.workers == 1 {
            return self.consume(items);
        }
        // Two items are looked at first: with fewer, the one item (if any) still goes to the
        // pool below, where its inner clauses' loops are split.
        let head: Vec<T> = items.by_ref().take(2).collect();
        let several = head.len() == 2;
        let items = head.into_iter().chain(items);
        if several && !inside_worker() && worth_pulling(&items) {
            // Pulled in pieces that the workers start on while the caller pulls the next
            // ([`crate::pipeline`]); each outer item's elements are its piece's outputs.
            note_serial_read();
            let shared = Shared::new(OnPanic::StopAll).watched(self.watch.cloned());
            let step = |item: T, sink: &mut Sink<'_, U::Item>| {
                // Split over the pool on its workers, where pieces run.
                let level = Level::inner(inside_worker());
                for element in (self.body)(level, item) {
                    sink.push(element);
                }
                false
            };
            let pieces =
                run_all::<One, _, _, _, _>(items, &shared, &step, (self.workers, self.exact));
            return assemble(Vec::new(), pieces, &shared);
        }
        let items = gather(items);
        if items.is_empty() {
            // Nothing to share out: no pool. (One outer item does go to the pool: its inner
            // clauses' loops are split over it.)
            return Ok(Vec::new());
        }
        let items = Sendable::<_, One>::wrap_vec(items);
        self.on_workers(items.into_par_iter(), |item| item.0)
    }

    fn parallel<P: IndexedParallelIterator<Item = T>>(self, items: P) -> Self::Output {
        if self.workers == 1 || items.len() == 0 {
            return sequentially(items, self);
        }
        self.on_workers(items, |item| item)
    }
}

/// One worker: everything on the caller's thread, in order.
impl<T, B, U> Consume<T> for Outer<'_, B>
where
    B: Fn(Level, T) -> U,
    U: IntoIterator,
{
    type Output = Result<Vec<U::Item>, Failure>;

    fn consume<I: Iterator<Item = T>>(self, items: I) -> Self::Output {
        guarded(self.watch.map(|watch| &**watch), |cancel| {
            let level = Level { parallel: false };
            let run = |item| (self.body)(level, item);
            items
                .enumerate()
                .flat_map(|(index, item)| run_or_stop(cancel, index, &run, item))
                .collect()
        })
    }
}

impl<B> Outer<'_, B> {
    /// `items` on the workers; `unwrap` makes each one the clause's item.
    fn on_workers<T, X, P, U>(
        &self,
        items: P,
        unwrap: impl Fn(X) -> T + Sync,
    ) -> Result<Vec<U::Item>, Failure>
    where
        P: IndexedParallelIterator<Item = X>,
        B: Fn(Level, T) -> U + Sync,
        U: IntoIterator,
        U::Item: SendResult,
    {
        let len = items.len();
        let watch = self.watch.map(|watch| &**watch);
        if let Some(watch) = watch {
            watch.input_ended(len);
        }
        let results = guarded(watch, |cancel| {
            run_in_pool_as(self.workers, self.exact, |lanes| {
                let level = Level {
                    parallel: !lanes.is_limited(),
                };
                let run = |item| (self.body)(level, unwrap(item));
                items
                    .with_min_len(lanes.min_len(len))
                    .enumerate()
                    .flat_map_iter(|(index, item)| {
                        run_or_stop(cancel, index, &run, item)
                            .into_iter()
                            .map(Sendable::<_, One>::new)
                    })
                    .collect()
            })
        })?;
        Ok(Sendable::unwrap_vec(results))
    }
}
