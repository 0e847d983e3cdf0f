//! The ordered fan-out engine: one result per input item, in input order.
//!
//! The input is gathered into a `Vec` (free when it already is one: `collect` reuses a
//! `vec::IntoIter`'s buffer), then rayon's indexed `into_par_iter().enumerate().map().collect()`
//! path writes every result straight into its slot of the output. rayon splits the index range
//! adaptively and steals work between workers; nothing here is allocated per item.

use std::panic::panic_any;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::bounds::{One, SendItem, Sendable};
use crate::panic::{Cancel, Outcome, call_item, catch_item, guarded};
use crate::pool::run_in_pool;
use crate::{Jobs, SendArgument, SendResult, TryOutput};

/// Calls `f` on every item of `items` on `jobs` workers; returns the results in input order.
///
/// This is what `NAME_par` companions call; use it directly for closures:
///
/// ```
/// let squares = parallelize::par_map(1..=4, 2, |x: u64| x * x);
/// assert_eq!(squares, [1, 4, 9, 16]);
/// ```
///
/// With one worker the calls run inline on the caller's thread, in order. Items and results
/// must be `Send` ([`SendArgument`] and [`SendResult`] are `Send` under names that make
/// rustc's error say what went wrong).
///
/// # Panics
///
/// If `f` panics, no new item starts, and this panics on the caller's thread with a `String`
/// payload `item {index} panicked: {message}` naming the lowest index that panicked. Also if
/// `jobs` is `0` (see [`Jobs`]).
#[track_caller]
pub fn par_map<I, R, F>(items: I, jobs: impl Into<Jobs>, f: F) -> Vec<R>
where
    I: IntoIterator,
    I::Item: SendArgument,
    R: SendResult,
    F: Fn(I::Item) -> R + Sync,
{
    map_items::<One, _, _, _>(items, jobs, f)
}

/// [`par_map`] for items of any [`SendItem`] shape: what the companions call.
#[doc(hidden)]
#[track_caller]
pub fn map_items<Shape, I, R, F>(items: I, jobs: impl Into<Jobs>, f: F) -> Vec<R>
where
    I: IntoIterator,
    I::Item: SendItem<Shape>,
    R: SendResult,
    F: Fn(I::Item) -> R + Sync,
{
    let workers = jobs.into().workers();
    guarded(|cancel| {
        if workers == 1 {
            return map_inline(cancel, items, &f);
        }
        let items: Vec<I::Item> = items.into_iter().collect();
        if items.len() <= 1 {
            return map_inline(cancel, items, &f);
        }
        let len = items.len();
        let items = Sendable::<_, Shape>::wrap_vec(items);
        let results = run_in_pool(workers, |lanes| {
            items
                .into_par_iter()
                .with_min_len(lanes.min_len(len))
                .enumerate()
                .map(|(index, item)| {
                    let item = item.0;
                    Sendable::<_, One>::new(call_item(cancel, index, &f, item))
                })
                .collect()
        });
        Sendable::unwrap_vec(results)
    })
}

/// Like [`par_map`] for a function that returns a `Result`: returns exactly what the sequential
/// `items.into_iter().map(f).collect::<Result<Vec<_>, _>>()` returns.
///
/// That is the error of the lowest failing index, or every success in input order. Items past
/// a known failure are skipped: they cannot change the answer. Items before it still run, since
/// one of them may fail too and then its error is the answer.
///
/// ```
/// let parsed = parallelize::try_par_map(["1", "2", "x", "y"], 2, |s: &str| s.parse::<u8>());
/// assert_eq!(parsed.unwrap_err().to_string(), "invalid digit found in string");
/// ```
///
/// # Errors
///
/// The error of the lowest-index item whose call failed.
///
/// # Panics
///
/// When the sequential loop would: if an item panics and no item before it failed, this
/// panics with `item {index} panicked: {message}` once the items before it are done. Items
/// after a panic do not start. Also if `jobs` is `0`.
#[track_caller]
pub fn try_par_map<I, R, F>(items: I, jobs: impl Into<Jobs>, f: F) -> Result<Vec<R::Ok>, R::Err>
where
    I: IntoIterator,
    I::Item: SendArgument,
    R: TryOutput + SendResult,
    F: Fn(I::Item) -> R + Sync,
{
    try_map_items::<One, _, _, _>(items, jobs, f)
}

/// [`try_par_map`] for items of any [`SendItem`] shape: what the companions call.
#[doc(hidden)]
#[track_caller]
pub fn try_map_items<Shape, I, R, F>(
    items: I,
    jobs: impl Into<Jobs>,
    f: F,
) -> Result<Vec<R::Ok>, R::Err>
where
    I: IntoIterator,
    I::Item: SendItem<Shape>,
    R: TryOutput + SendResult,
    F: Fn(I::Item) -> R + Sync,
{
    let workers = jobs.into().workers();
    if workers == 1 {
        // `collect` into a `Result` stops at the first error: nothing past it runs.
        return guarded(|cancel| {
            items
                .into_iter()
                .enumerate()
                .map(|(index, item)| call_item(cancel, index, &f, item).into_result())
                .collect()
        });
    }
    let slots = guarded(|_| {
        let items: Vec<I::Item> = items.into_iter().collect();
        let len = items.len();
        let items = Sendable::<_, Shape>::wrap_vec(items);
        // The lowest index known to fail or panic: nothing past it can change the answer.
        let first_failure = AtomicUsize::new(usize::MAX);
        let slots: Vec<Option<Outcome<Sendable<R>>>> = run_in_pool(workers, |lanes| {
            items
                .into_par_iter()
                .with_min_len(lanes.min_len(len))
                .enumerate()
                .map(|(index, item)| {
                    // Relaxed: a stale value only means an item runs that could have been
                    // skipped; the answer is decided below from the slots, in order.
                    if index > first_failure.load(Ordering::Relaxed) {
                        return None;
                    }
                    let outcome = catch_item(&f, item.0);
                    if outcome.as_ref().is_ok_and(TryOutput::is_failure) || outcome.is_err() {
                        first_failure.fetch_min(index, Ordering::Relaxed);
                    }
                    Some(outcome.map(Sendable::new))
                })
                .collect()
        });
        slots
    });
    // The sequential answer: the first error or panic in index order, or every success. A slot
    // is empty only past a failure or a panic, so the scan meets that one first. A panic past
    // the first error is dropped, as the sequential loop would never have run that item.
    let mut successes = Vec::with_capacity(slots.len());
    for (index, slot) in slots.into_iter().enumerate() {
        let outcome = slot.expect("parallelize: an item was skipped with no failure before it");
        match outcome {
            Ok(result) => successes.push(result.0.into_result()?),
            Err(message) => panic_any(format!("item {index} panicked: {message}")),
        }
    }
    Ok(successes)
}

/// The calls in order on the caller's thread: for one worker, and for inputs too short to split.
fn map_inline<I: IntoIterator, R>(cancel: &Cancel, items: I, f: &impl Fn(I::Item) -> R) -> Vec<R> {
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| call_item(cancel, index, f, item))
        .collect()
}
