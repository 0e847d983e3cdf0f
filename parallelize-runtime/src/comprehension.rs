//! The engine of `par_comp!`: nested `for` clauses as nested parallel loops.
//!
//! How the iteration space is split: every `for` clause is a rayon parallel loop over its
//! iterable, gathered into a `Vec` (the leftmost once, before anything runs; each later one
//! once per binding of the clauses before it, inside the task of that binding, exactly as the
//! sequential comprehension evaluates them). Inner loops run in the same pool as the outer one,
//! so rayon's work stealing splits whichever level has work: `for x in 0..2 for y in 0..N`
//! keeps every worker busy though the outer loop has two items. Results are concatenated in
//! the order of the sequential comprehension.

use rayon::prelude::*;

use crate::bounds::{One, Sendable};
use crate::panic::{call_item, guarded, raise};
use crate::pool::run_in_pool;
use crate::{Jobs, SendArgument, SendResult};

/// Where the clauses of a comprehension run: passed by `par_comp!`'s expansion from each `for`
/// clause to the one inside it.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct Level {
    /// Whether inner clauses may split their loops over the pool; not with one worker, nor when
    /// the call may use only some of the pool's workers.
    parallel: bool,
}

impl Level {
    /// An inner `for` clause: `body` for every item of `items`, results in order.
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
#[doc(hidden)]
#[track_caller]
pub fn comprehension<I, B, U>(items: I, jobs: impl Into<Jobs>, body: B) -> Vec<U::Item>
where
    I: IntoIterator,
    I::Item: SendArgument,
    B: Fn(Level, I::Item) -> U + Sync,
    U: IntoIterator,
    U::Item: SendResult,
{
    let workers = jobs.into().workers();
    let results = guarded(|cancel| {
        if workers == 1 {
            let level = Level { parallel: false };
            let run = |item| body(level, item);
            return items
                .into_iter()
                .enumerate()
                .flat_map(|(index, item)| call_item(cancel, index, &run, item))
                .collect();
        }
        let items: Vec<I::Item> = items.into_iter().collect();
        let len = items.len();
        let items = Sendable::<_, One>::wrap_vec(items);
        let results = run_in_pool(workers, |lanes| {
            let level = Level {
                parallel: !lanes.is_limited(),
            };
            let run = |item| body(level, item);
            items
                .into_par_iter()
                .with_min_len(lanes.min_len(len))
                .enumerate()
                .flat_map_iter(|(index, item)| {
                    call_item(cancel, index, &run, item.0)
                        .into_iter()
                        .map(Sendable::<_, One>::new)
                })
                .collect()
        });
        Sendable::unwrap_vec(results)
    });
    match results {
        Ok(results) => results,
        Err(failure) => raise(failure),
    }
}
