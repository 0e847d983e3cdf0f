//! `try_par_map` and the `NAME_try_par` companions: exactly the answer of the sequential
//! `items.into_iter().map(f).collect::<Result<Vec<_>, _>>()`, computed in parallel.

use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::bounds::{One, SendItem, Sendable};
use crate::items::{Consume, Driver, IntoItems, gather, note_serial_read, sequentially};
use crate::panic::{Failure, Outcome, guarded, inline_guarded, or_raise, payload_message, raise};
use crate::pipeline::{Done, OnPanic, Shared, Sink, run_all, run_here, worth_pulling};
use crate::pool::{inside_worker, run_in_pool, run_in_pool_as};
use crate::watch::{Interrupted, Watch, enter, raise_stopped};
use crate::{Jobs, SendArgument, SendResult, TryOutput};

/// Like [`par_map`](crate::par_map) for a function that returns a `Result`: returns exactly what the sequential
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
    I: IntoItems,
    I::Item: SendArgument,
    R: TryOutput + SendResult,
    F: Fn(I::Item) -> R + Sync,
{
    try_map_items::<One, _, _, _>(items, jobs, f)
}

/// [`try_par_map`] for items of any [`SendItem`] shape: what the companions call.
///
/// ```
/// use parallelize::expansion::try_map_items;
/// use parallelize::One;
///
/// let checked = try_map_items::<One, _, _, _>(["1", "x", "3"], 2, |s: &str| s.parse::<u8>());
/// assert!(checked.is_err());
/// let parsed = try_map_items::<One, _, _, _>(["1", "2"], 2, |s: &str| s.parse::<u8>());
/// assert_eq!(parsed, Ok(vec![1, 2]));
/// ```
///
/// # Errors
///
/// The error of the lowest failing item, as [`try_par_map`].
///
/// # Panics
///
/// As [`try_par_map`]: if a call panics, or if `jobs` is `0`.
#[track_caller]
pub fn try_map_items<Shape, I, R, F>(
    items: I,
    jobs: impl Into<Jobs>,
    f: F,
) -> Result<Vec<R::Ok>, R::Err>
where
    I: IntoItems,
    I::Item: SendItem<Shape>,
    R: TryOutput + SendResult,
    F: Fn(I::Item) -> R + Sync,
{
    let jobs = jobs.into();
    let watch = Watch::start(&jobs, None);
    let driver = TryDriver {
        f: &f,
        workers: jobs.workers(),
        exact: !jobs.is_adaptive(),
        watch: watch.as_ref(),
        shape: PhantomData::<fn() -> Shape>,
    };
    let answer = items.drive(driver);
    if let Some(watch) = &watch {
        // The last report (a stop was raised where it was met).
        let _ = watch.finish(Ok(()));
    }
    answer
}

/// One `try` call, given its items by [`IntoItems::drive`]: always gathered, since its items
/// decide in index order. It raises a panic where it meets it (`#[track_caller]`, so the
/// report points at the user's call) and returns the sequential answer.
struct TryDriver<'a, F, Shape> {
    f: &'a F,
    workers: usize,
    /// Whether exactly `workers` must run at once (see `pool::run_in_pool_as`).
    exact: bool,
    /// The call's watch, if it is watched: its stop is raised where the answer meets it.
    watch: Option<&'a Arc<Watch>>,
    shape: PhantomData<fn() -> Shape>,
}

/// The sequential answer: every success in order, or the error of the lowest failing item.
type Answer<R> = Result<Vec<<R as TryOutput>::Ok>, <R as TryOutput>::Err>;

impl<T, R, F, Shape> Driver<T> for TryDriver<'_, F, Shape>
where
    T: SendItem<Shape>,
    R: TryOutput + SendResult,
    F: Fn(T) -> R + Sync,
{
    type Output = Answer<R>;

    #[track_caller]
    fn sequential<I: Iterator<Item = T>>(self, items: I) -> Self::Output {
        if let Some(watch) = self.watch {
            watch.sized_by(&items);
        }
        if self.workers == 1 && self.watch.is_some() {
            // Inline, in the one loop that looks at a watch (the pipeline's).
            let shared = self.shared();
            let piece = run_here(&shared, &self.step(), items, 0);
            return self.answer(&shared, vec![piece]);
        }
        if self.workers == 1 {
            // `collect` into a `Result` stops at the first error: nothing past it runs.
            return or_raise(inline_guarded(|current| {
                items
                    .enumerate()
                    .map(|(index, item)| {
                        current.set(Some(index));
                        let result = (self.f)(item);
                        current.set(None);
                        result.into_result()
                    })
                    .collect()
            }));
        }
        if inside_worker() || !worth_pulling(&items) {
            return self.gathered(gather(items));
        }
        self.pulled(items)
    }

    #[track_caller]
    fn parallel<P: IndexedParallelIterator<Item = T>>(self, items: P) -> Self::Output {
        if self.workers == 1 || items.len() <= 1 {
            // Inline, with no pool and no hop: read the source on this thread.
            return sequentially(items, self);
        }
        let gathered: Vec<Sendable<T, Shape>> =
            run_in_pool(self.workers, |_| items.map(Sendable::new).collect());
        self.sequential(Sendable::unwrap_vec(gathered).into_iter())
    }
}

/// A `try` call on one worker, over a parallel source's items read on the caller's thread.
impl<T, R, F, Shape> Consume<T> for TryDriver<'_, F, Shape>
where
    T: SendItem<Shape>,
    R: TryOutput + SendResult,
    F: Fn(T) -> R + Sync,
{
    type Output = Answer<R>;

    fn consume<I: Iterator<Item = T>>(self, items: I) -> Self::Output {
        self.sequential(items)
    }
}

impl<F, Shape> TryDriver<'_, F, Shape> {
    /// Any iterator, from outside the pools: pulled in pieces that the workers start on while
    /// the caller pulls the next ([`crate::pipeline`]). A failure or a panic stops the items
    /// after it; the items before it still run, and the answer is read off the pieces in
    /// order.
    #[track_caller]
    fn pulled<T, R, I>(&self, items: I) -> Answer<R>
    where
        I: Iterator<Item = T>,
        T: SendItem<Shape>,
        R: TryOutput + SendResult,
        F: Fn(T) -> R + Sync,
    {
        note_serial_read();
        let shared = self.shared();
        let pieces =
            run_all::<Shape, _, _, _, _>(items, &shared, &self.step(), (self.workers, self.exact));
        self.answer(&shared, pieces)
    }

    /// The pieces' shared state: a watched call's watch stops them too.
    fn shared(&self) -> Shared {
        Shared::new(OnPanic::KeepEarlier).watched(self.watch.cloned())
    }

    /// The work of one item: its outcome, and whether it failed.
    fn step<T, R>(&self) -> impl Fn(T, &mut Sink<'_, R>) -> bool + Sync
    where
        R: TryOutput,
        F: Fn(T) -> R + Sync,
    {
        |item: T, sink: &mut Sink<'_, R>| {
            let result = (self.f)(item);
            let failed = result.is_failure();
            sink.push(result);
            failed
        }
    }

    /// The sequential answer, read off `pieces` (in input order): the first error or panic in
    /// index order, or every success. A watched call stopped before the answer is known (the
    /// scan meets an item that did not run before any failure) raises its stop.
    #[track_caller]
    fn answer<R>(&self, shared: &Shared, pieces: Vec<Done<R>>) -> Answer<R>
    where
        R: TryOutput,
    {
        let mut successes =
            Vec::with_capacity(pieces.iter().map(|piece| piece.outputs.len()).sum());
        let mut pieces = pieces.into_iter();
        while let Some(piece) = pieces.next() {
            let (ran, len) = (piece.outputs.len(), piece.len);
            let mut outputs = piece.outputs.into_iter();
            while let Some(result) = outputs.next() {
                match result.0.into_result() {
                    Ok(success) => successes.push(success),
                    Err(error) => {
                        discard(outputs.chain(pieces.flat_map(|piece| piece.outputs)));
                        return Err(error);
                    }
                }
            }
            if let Some((index, message)) = piece.panic {
                discard(pieces.flat_map(|piece| piece.outputs));
                raise(Failure::item(index, message));
            }
            if ran < len && shared.was_cut() {
                discard(pieces.flat_map(|piece| piece.outputs));
                self.stop();
            }
        }
        if shared.was_cut() {
            // The input was not read to its end.
            self.stop();
        }
        Ok(successes)
    }

    /// Raises the watch's stop: the call was stopped before its answer was known.
    #[cold]
    #[track_caller]
    fn stop(&self) -> ! {
        let watch = self
            .watch
            .unwrap_or_else(|| unreachable!("parallelize: a stop without a watch"));
        match watch.finish::<()>(Err(Failure::stopped())) {
            Err(stopped) => raise_stopped(&stopped),
            Ok(()) => unreachable!("parallelize: a stop that finished"),
        }
    }

    #[track_caller]
    fn gathered<T, R>(&self, items: Vec<T>) -> Answer<R>
    where
        T: SendItem<Shape>,
        R: TryOutput + SendResult,
        F: Fn(T) -> R + Sync,
    {
        if items.len() <= 1 {
            // Nothing to share out: inline, with no pool.
            let one = TryDriver {
                f: self.f,
                workers: 1,
                exact: false,
                watch: self.watch,
                shape: PhantomData::<fn() -> Shape>,
            };
            return one.sequential(items.into_iter());
        }
        let len = items.len();
        let items = Sendable::<_, Shape>::wrap_vec(items);
        // The lowest index known to fail or panic: nothing past it can change the answer.
        let first_failure = AtomicUsize::new(usize::MAX);
        let watch = self.watch.map(|watch| &**watch);
        if let Some(watch) = watch {
            watch.input_ended(len);
        }
        let slots: Vec<Option<Outcome<Sendable<R>>>> = or_raise(guarded(None, |_| {
            run_in_pool_as(self.workers, self.exact, |lanes| {
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
                        if let Some(watch) = watch
                            && watch.stopping()
                        {
                            watch.cut();
                            return None;
                        }
                        let _entered = enter(watch);
                        let outcome = match catch_unwind(AssertUnwindSafe(|| (self.f)(item.0))) {
                            Ok(result) => Ok(result),
                            Err(payload) => match watch {
                                // A call the item made, stopped by this call's stop: the
                                // item did not finish.
                                Some(watch) if payload.is::<Interrupted>() => {
                                    watch.cut();
                                    return None;
                                }
                                _ => Err(payload_message(&*payload)),
                            },
                        };
                        if let Some(watch) = watch {
                            watch.done(index..index + 1);
                        }
                        if outcome.as_ref().is_ok_and(TryOutput::is_failure) || outcome.is_err() {
                            first_failure.fetch_min(index, Ordering::Relaxed);
                        }
                        Some(outcome.map(Sendable::new))
                    })
                    .collect()
            })
        }));
        // The sequential answer: the first error or panic in index order, or every success. A
        // slot is empty only past a failure or a panic, so the scan meets that one first. A
        // panic past the first error is dropped, as the sequential loop would never have run
        // that item.
        let mut successes = Vec::with_capacity(slots.len());
        let mut slots = slots.into_iter().enumerate();
        while let Some((index, slot)) = slots.next() {
            let Some(outcome) = slot else {
                // Skipped with no failure before it: only a stop skips so.
                discard(slots);
                self.stop();
            };
            match outcome {
                Ok(result) => match result.0.into_result() {
                    Ok(success) => successes.push(success),
                    Err(error) => {
                        discard(slots);
                        return Err(error);
                    }
                },
                Err(message) => {
                    discard(slots);
                    raise(Failure::item(index, message))
                }
            }
        }
        Ok(successes)
    }
}

/// Drops the outcomes past the answer: results of items the sequential loop would never have
/// run. A panic in one of their `Drop`s is theirs alone, which the sequential loop could not
/// have met, so it must not replace the answer: it is caught and set aside (the panic hook
/// has reported it). Each is dropped on its own, so that a second such panic is not one
/// during the unwinding of the first (which would abort).
fn discard(outcomes: impl Iterator) {
    for outcome in outcomes {
        // AssertUnwindSafe: nothing of the outcome is used after this.
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| drop(outcome))) {
            // Its own `Drop` could panic too: leaked rather than risk that.
            std::mem::forget(payload);
        }
    }
}
