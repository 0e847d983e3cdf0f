//! The ordered fan-out engine: one result per input item, in input order.
//!
//! Items from an iterable are gathered into a `Vec` when the call goes parallel (free when it
//! already is one: `collect` reuses a `vec::IntoIter`'s buffer); items from a parallel iterator
//! ([`from_par_iter`]) and the iterables that `par_comp!` finds splittable where they lie
//! ([`crate::InPlace`]) are read in place. Either way rayon's indexed `enumerate().map().collect()` path writes every
//! result straight into its slot of the output; rayon splits the index range adaptively and
//! steals work between workers. Nothing is allocated per item. Small work runs inline (see
//! [`crate::adaptive`]).
//!
//! [`from_par_iter`]: crate::from_par_iter

use std::any::Any;
use std::marker::PhantomData;
use std::mem::{ManuallyDrop, align_of, size_of};
use std::panic::{AssertUnwindSafe, Location, catch_unwind, panic_any, resume_unwind};
use std::ptr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::adaptive::{Cost, INLINE_BUDGET, Plan, cost_of_call_site, inline_done, plan};
use crate::bounds::{One, SendItem, Sendable};
use crate::guard::GuardedMap;
use crate::items::{Consume, Driver, InPlace, IntoItems, gather, sequentially};
use crate::panic::{Failure, Outcome, catch_item, guarded, inline_guarded, payload_message, raise};
use crate::pool::{Lanes, run_in_pool};
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
/// With one worker the calls run inline on the caller's thread, in order; so do calls whose
/// whole work is too small to gain from going parallel (measured on the first items). Items
/// and results must be `Send` ([`SendArgument`] and [`SendResult`] are `Send` under names
/// that make rustc's error say what went wrong).
///
/// # Panics
///
/// If `f` panics, no new item starts, and this panics on the caller's thread with a `String`
/// payload `item {index} panicked: {message}` naming the lowest index that panicked. Also if
/// `jobs` is `0` (see [`Jobs`]).
#[track_caller]
#[allow(clippy::inline_always)]
#[inline(always)]
pub fn par_map<I, R, F>(items: I, jobs: impl Into<Jobs>, f: F) -> Vec<R>
where
    I: IntoItems,
    I::Item: SendArgument,
    R: SendResult,
    F: Fn(I::Item) -> R + Sync,
{
    let cost = cost_of_call_site(Location::caller());
    map_items::<One, _, _, _>(items, jobs, Some(cost), f)
}

/// [`par_map`] for items of any [`SendItem`] shape, with the function's [`Cost`] if known:
/// what the companions call.
#[doc(hidden)]
#[track_caller]
#[allow(clippy::inline_always)]
#[inline(always)]
pub fn map_items<Shape, I, R, F>(
    items: I,
    jobs: impl Into<Jobs>,
    cost: Option<&Cost>,
    f: F,
) -> Vec<R>
where
    I: IntoItems,
    I::Item: SendItem<Shape>,
    R: SendResult,
    F: Fn(I::Item) -> R + Sync,
{
    let jobs = jobs.into();
    let driver = MapDriver {
        f: &f,
        jobs,
        cost: cost.filter(|_| jobs.is_adaptive()),
        shape: PhantomData::<fn() -> Shape>,
    };
    items.drive(driver)
}

/// One `map` call, given its items by [`IntoItems::drive`]. It raises a failure where it meets
/// it rather than returning a `Result`: the results of a tiny call then go straight to the
/// caller, with no copy out of a `Result` (a copy whose load, wider than the stores that made
/// the `Vec`, stalled every call for several nanoseconds). `#[track_caller]` throughout, so a
/// panic still reports the user's call.
struct MapDriver<'a, F, Shape> {
    f: &'a F,
    jobs: Jobs,
    cost: Option<&'a Cost>,
    shape: PhantomData<fn() -> Shape>,
}

impl<T, R, F, Shape> Driver<T> for MapDriver<'_, F, Shape>
where
    T: SendItem<Shape>,
    R: SendResult,
    F: Fn(T) -> R + Sync,
{
    type Output = Vec<R>;

    // The path of a tiny call is a handful of instructions: kept inline into the caller's code,
    // it saves a call per call (W5 in BENCHMARKS.md).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    #[track_caller]
    fn sequential<I: Iterator<Item = T>>(self, items: I) -> Self::Output {
        let workers = self.jobs.workers();
        let len = match items.size_hint() {
            (low, Some(high)) if low == high => Some(low),
            _ => None,
        };
        let plan = if workers == 1 {
            Plan::Inline
        } else {
            plan(self.cost, len, workers)
        };
        // The tiny call's path stays small, with the rest out of line: the code of a
        // parallel call in this function would cost a tiny call more than its work.
        if plan == Plan::Inline {
            let results = map_inline(items, self.f);
            inline_done(self.cost);
            results
        } else {
            or_raise(self.not_inline(items, plan, workers))
        }
    }

    #[track_caller]
    fn parallel<P: IndexedParallelIterator<Item = T>>(self, items: P) -> Self::Output {
        let workers = self.jobs.workers();
        let len = items.len();
        or_raise(match self.plan(len, workers) {
            Plan::Inline => {
                let results = sequentially(items, InlineRun(self.f));
                inline_done(self.cost);
                results
            }
            // Predicted small: read inline and timed (a producer cannot hand its rest to the
            // workers half-way, so there is no escape; the prediction bounds the run).
            Plan::Measure => self.timed(len, || sequentially(items, InlineRun(self.f))),
            Plan::Parallel => self.on_workers(items, len, workers),
        })
    }

    // Inline, this is the plain loop over the iterable (a `Vec` mapped in its own buffer, a
    // range or a slice vectorised); parallel, rayon splits it where it lies.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    #[track_caller]
    fn in_place<S: InPlace<Item = T>>(self, items: S) -> Self::Output {
        let workers = self.jobs.workers();
        let Some(len) = items.exact_len() else {
            return self.sequential(items.into_iter());
        };
        match self.plan(len, workers) {
            Plan::Inline => {
                let results = items.map_inline(self.f);
                inline_done(self.cost);
                results
            }
            plan => or_raise(self.in_place_not_inline(items, plan, len, workers)),
        }
    }
}

/// The results, or the failure raised on the caller's thread.
#[track_caller]
fn or_raise<R>(results: Result<Vec<R>, Failure>) -> Vec<R> {
    match results {
        Ok(results) => results,
        Err(failure) => raise(failure),
    }
}

/// An inline run over a parallel source's items: see [`map_inline_counted`].
struct InlineRun<'a, F>(&'a F);

impl<T, R, F: Fn(T) -> R> Consume<T> for InlineRun<'_, F> {
    type Output = Result<Vec<R>, Failure>;

    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn consume<I: Iterator<Item = T>>(self, items: I) -> Self::Output {
        map_inline_counted(items, self.0)
    }
}

impl<F, Shape> MapDriver<'_, F, Shape> {
    /// How a call of `len` items runs.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn plan(&self, len: usize, workers: usize) -> Plan {
        if workers == 1 {
            Plan::Inline
        } else {
            plan(self.cost, Some(len), workers)
        }
    }

    /// Runs `inline`, a whole call on the caller's thread, and teaches the cost its time.
    fn timed<R>(
        &self,
        len: usize,
        inline: impl FnOnce() -> Result<Vec<R>, Failure>,
    ) -> Result<Vec<R>, Failure> {
        let started = Instant::now();
        let results = inline()?;
        if let Some(cost) = self.cost {
            cost.record(started.elapsed(), len);
        }
        Ok(results)
    }

    /// Indexed items on the workers, read where they are.
    fn on_workers<T, R, P>(&self, items: P, len: usize, workers: usize) -> Result<Vec<R>, Failure>
    where
        P: IndexedParallelIterator<Item = T>,
        T: SendItem<Shape>,
        R: SendResult,
        F: Fn(T) -> R + Sync,
    {
        let busy = AtomicU64::new(0);
        let results = guarded(|cancel| {
            run_in_pool(workers, |lanes| {
                GuardedMap {
                    base: items.with_min_len(piece(lanes, len, workers)),
                    f: self.f,
                    cancel,
                    offset: 0,
                    busy: &busy,
                }
                .collect()
            })
        })?;
        self.learn(&busy, len);
        Ok(Sendable::unwrap_vec(results))
    }

    /// [`Driver::in_place`] past the tiny path: timed inline, or on the workers in place.
    #[inline(never)]
    fn in_place_not_inline<T, R, S>(
        &self,
        items: S,
        plan: Plan,
        len: usize,
        workers: usize,
    ) -> Result<Vec<R>, Failure>
    where
        S: InPlace<Item = T>,
        T: SendItem<Shape>,
        R: SendResult,
        F: Fn(T) -> R + Sync,
    {
        if plan == Plan::Measure {
            // As for any iterable: inline with the clock watching, the rest (gathered) to the
            // workers once the budget is spent.
            return self.not_inline(items.into_iter(), plan, workers);
        }
        self.on_workers(items.into_par(), len, workers)
    }

    #[inline(never)]
    fn not_inline<T, R, I>(&self, items: I, plan: Plan, workers: usize) -> Result<Vec<R>, Failure>
    where
        I: Iterator<Item = T>,
        T: SendItem<Shape>,
        R: SendResult,
        F: Fn(T) -> R + Sync,
    {
        if plan == Plan::Measure {
            return self.measure_then_parallel(items, workers);
        }
        let items: Vec<T> = gather(items);
        let count = items.len();
        let busy = AtomicU64::new(0);
        let results = map_gathered::<Shape, _, _, _>(items, 0, workers, &busy, self.f)?;
        self.learn(&busy, count);
        Ok(results)
    }

    /// Teaches the cost what the workers' runs of `items` items took.
    fn learn(&self, busy: &AtomicU64, items: usize) {
        if let Some(cost) = self.cost {
            let nanos = busy.load(Ordering::Relaxed);
            cost.record(Duration::from_nanos(nanos), items);
        }
    }

    /// Runs items inline, reading the clock after 1, 2, 4, ... of them; done within the
    /// budget, that is the whole call, else the rest goes parallel. For calls predicted small.
    fn measure_then_parallel<T, R, I>(
        &self,
        mut items: I,
        workers: usize,
    ) -> Result<Vec<R>, Failure>
    where
        I: Iterator<Item = T>,
        T: SendItem<Shape>,
        R: SendResult,
        F: Fn(T) -> R + Sync,
    {
        let started = Instant::now();
        let mut results = Vec::with_capacity(items.size_hint().0);
        let finished = inline_guarded(|current| {
            let mut next_check = 1;
            loop {
                let Some(item) = items.next() else {
                    return true;
                };
                current.set(Some(results.len()));
                results.push((self.f)(item));
                current.set(None);
                if results.len() == next_check {
                    if started.elapsed() >= INLINE_BUDGET {
                        return false;
                    }
                    next_check *= 2;
                }
            }
        })?;
        let done = results.len();
        if let Some(cost) = self.cost {
            cost.record(started.elapsed(), done);
        }
        if !finished {
            let busy = AtomicU64::new(0);
            let rest = map_gathered::<Shape, _, _, _>(gather(items), done, workers, &busy, self.f)?;
            results.extend(rest);
        }
        Ok(results)
    }
}

/// The smallest run of items one rayon job takes: the lane limit's (see [`Lanes`]), and at
/// least 1/64 of a worker's share. rayon's adaptive splitting still balances uneven items over
/// 64 pieces per worker; the floor bounds the jobs a call can be cut into, which matters once
/// an item panics: rayon then finishes the other side of every split as a job of its own, and
/// each of those has to start, see the stop flag and unwind.
fn piece(lanes: Lanes, len: usize, workers: usize) -> usize {
    lanes
        .min_len(len)
        .max(len / workers.saturating_mul(64).max(1))
}

/// The calls in order on the caller's thread: the plain `items.map(f).collect()` (which maps a
/// `Vec` in its own buffer), with each call guarded on its own.
///
/// A panic of `f` leaves its call marked with the item's index ([`ItemPanic`]); any other panic
/// is the iterator's own (its `next`) and goes on unchanged, as from the `collect` that
/// gathers the input of a parallel run. Nothing is written per item: the index is the
/// loop's counter, and a call's guard costs nothing until it catches, so where `f` cannot
/// unwind the loop is the plain loop, and where it can, the loop is a loop of calls, as the
/// plain one is. (An earlier version noted "calling `f`" in a flag around each call, which the
/// compiler could drop only where it saw that `f` cannot unwind: in some programs it did not,
/// and a tiny call took 4-5 times the plain loop.)
#[allow(clippy::inline_always)]
#[inline(always)]
pub(crate) fn map_inline<T, R>(items: impl Iterator<Item = T>, f: &impl Fn(T) -> R) -> Vec<R> {
    items
        .enumerate()
        .map(
            |(index, item)| match catch_unwind(AssertUnwindSafe(|| f(item))) {
                Ok(result) => result,
                Err(payload) => item_panicked(index, payload),
            },
        )
        .collect()
}

/// [`map_inline`] for an owned `Vec` whose results have the size and alignment of its items:
/// each result is written over its item, in the `Vec`'s own buffer, so nothing is allocated.
/// Any other `Vec` goes through [`map_inline`].
#[allow(clippy::inline_always)]
#[inline(always)]
pub(crate) fn map_vec_inline<T, R>(items: Vec<T>, f: &impl Fn(T) -> R) -> Vec<R> {
    if size_of::<T>() != size_of::<R>() || align_of::<T>() != align_of::<R>() || size_of::<T>() == 0
    {
        return map_inline(items.into_iter(), f);
    }
    let mut items = ManuallyDrop::new(items);
    let (len, capacity) = (items.len(), items.capacity());
    let slots = items.as_mut_ptr();
    let results = slots.cast::<R>();
    for index in 0..len {
        // SAFETY: `index < len`, and slots `index..len` still hold items (each slot is read
        // once, here, and then holds its result or nothing): this moves the item out.
        let item = unsafe { slots.add(index).read() };
        match catch_unwind(AssertUnwindSafe(|| f(item))) {
            // SAFETY: slot `index` is empty (its item was moved out above) and is the size and
            // alignment of an `R` (checked above), inside the buffer.
            Ok(result) => unsafe { results.add(index).write(result) },
            Err(payload) => {
                // SAFETY: slots `..index` hold results, slot `index` nothing (its item went
                // into the panicking call, which dropped it), slots `index + 1..len` items;
                // the buffer is the `Vec`'s, no longer used by anything else.
                unsafe { abandon::<T, R>(slots, index, len, capacity) };
                item_panicked(index, payload)
            }
        }
    }
    // SAFETY: every slot now holds a result; the buffer was allocated for `capacity` items,
    // whose size and alignment are an `R`'s (checked above), so it is an `R` buffer of that
    // capacity, owned by nothing else (`items` is `ManuallyDrop`).
    unsafe { Vec::from_raw_parts(results, len, capacity) }
}

/// Drops what a [`map_vec_inline`] interrupted at `index` holds (results before `index`, items
/// after it) and frees its buffer, even if one of those drops panics.
///
/// # Safety
///
/// `slots` is the buffer of a `Vec<T>` of `capacity` items that nothing else owns, `R` has
/// `T`'s size and alignment, slots `..index` hold `R`s, slot `index` nothing and slots
/// `index + 1..len` `T`s.
#[cold]
unsafe fn abandon<T, R>(slots: *mut T, index: usize, len: usize, capacity: usize) {
    /// Drops the items left when it is dropped: also if a result's `Drop` panics first.
    struct Items<T>(*mut [T]);
    impl<T> Drop for Items<T> {
        fn drop(&mut self) {
            // SAFETY: the slots of items not yet taken, which nothing else drops (see below).
            unsafe { ptr::drop_in_place(self.0) }
        }
    }
    // SAFETY (all three): as the caller promises. The buffer is owned by an empty `Vec` first,
    // and the items by `Items`, so that both are freed however the drop of the results ends.
    let buffer = unsafe { Vec::from_raw_parts(slots, 0, capacity) };
    let items = Items(ptr::slice_from_raw_parts_mut(
        unsafe { slots.add(index + 1) },
        len - index - 1,
    ));
    unsafe { ptr::drop_in_place(ptr::slice_from_raw_parts_mut(slots.cast::<R>(), index)) };
    drop(items);
    drop(buffer);
}

/// Ends an inline call whose item `index` panicked with `payload`: unwinds with the payload
/// `item {index} panicked: {message}`, as [`raise`] does for a parallel call. Raised with
/// `resume_unwind`: the panic hook has reported the item's own panic, where it happened.
///
/// The item's payload is dropped first, before anything unwinds, so that a payload whose
/// `Drop` panics cannot abort. The results made so far are dropped while unwinding, as a
/// sequential `collect` drops them: a result whose `Drop` panics then aborts, as it would there.
#[cold]
#[inline(never)]
fn item_panicked(index: usize, payload: Box<dyn Any + Send>) -> ! {
    let message = payload_message(&*payload);
    drop(payload);
    resume_unwind(Box::new(format!("item {index} panicked: {message}")))
}

/// The calls in order on the caller's thread, where every panic is an item's: the items of a
/// parallel source are made by the source's own adaptors as part of each item's work, as on
/// the workers. The index of a panicking item is the number of results written before it
/// (`extend` keeps the length right while unwinding), so the loop tracks nothing per item.
#[allow(clippy::inline_always)]
#[inline(always)]
fn map_inline_counted<T, R>(
    items: impl Iterator<Item = T>,
    f: &impl Fn(T) -> R,
) -> Result<Vec<R>, Failure> {
    let mut results = Vec::with_capacity(items.size_hint().0);
    match catch_unwind(AssertUnwindSafe(|| results.extend(items.map(f)))) {
        Ok(()) => Ok(results),
        Err(payload) => Err(Failure::item(results.len(), payload_message(&*payload))),
    }
}

/// Gathered items on the workers; `first` is the index of `items[0]` in the whole call.
fn map_gathered<Shape, T, R, F>(
    items: Vec<T>,
    first: usize,
    workers: usize,
    busy: &AtomicU64,
    f: &F,
) -> Result<Vec<R>, Failure>
where
    T: SendItem<Shape>,
    R: SendResult,
    F: Fn(T) -> R + Sync,
{
    if items.len() <= 1 {
        return map_inline_counted(items.into_iter(), f).map_err(|failure| failure.offset(first));
    }
    let len = items.len();
    let items = Sendable::<_, Shape>::wrap_vec(items);
    let unwrap_then_call = |item: Sendable<T, Shape>| f(item.0);
    let results = guarded(|cancel| {
        run_in_pool(workers, |lanes| {
            GuardedMap {
                base: items
                    .into_par_iter()
                    .with_min_len(piece(lanes, len, workers)),
                f: &unwrap_then_call,
                cancel,
                offset: first,
                busy,
            }
            .collect()
        })
    })?;
    Ok(Sendable::unwrap_vec(results))
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
    I: IntoItems,
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
    I: IntoItems,
    I::Item: SendItem<Shape>,
    R: TryOutput + SendResult,
    F: Fn(I::Item) -> R + Sync,
{
    let driver = TryDriver {
        f: &f,
        workers: jobs.into().workers(),
        shape: PhantomData::<fn() -> Shape>,
    };
    match items.drive(driver) {
        Ok(Answer::Done(answer)) => answer,
        Ok(Answer::Panicked { index, message }) => {
            panic_any(format!("item {index} panicked: {message}"))
        }
        Err(failure) => raise(failure),
    }
}

/// What a `try` call decided: the sequential answer, or the panic the sequential loop would
/// have met first.
enum Answer<T> {
    Done(T),
    Panicked { index: usize, message: String },
}

/// One `try` call, given its items by [`IntoItems::drive`]: always gathered, since its items
/// decide in index order.
struct TryDriver<'a, F, Shape> {
    f: &'a F,
    workers: usize,
    shape: PhantomData<fn() -> Shape>,
}

type TryOutcome<R> =
    Result<Answer<Result<Vec<<R as TryOutput>::Ok>, <R as TryOutput>::Err>>, Failure>;

impl<T, R, F, Shape> Driver<T> for TryDriver<'_, F, Shape>
where
    T: SendItem<Shape>,
    R: TryOutput + SendResult,
    F: Fn(T) -> R + Sync,
{
    type Output = TryOutcome<R>;

    fn sequential<I: Iterator<Item = T>>(self, items: I) -> Self::Output {
        if self.workers == 1 {
            // `collect` into a `Result` stops at the first error: nothing past it runs.
            let answer = inline_guarded(|current| {
                items
                    .enumerate()
                    .map(|(index, item)| {
                        current.set(Some(index));
                        let result = (self.f)(item);
                        current.set(None);
                        result.into_result()
                    })
                    .collect()
            })?;
            return Ok(Answer::Done(answer));
        }
        self.gathered(gather(items))
    }

    fn parallel<P: IndexedParallelIterator<Item = T>>(self, items: P) -> Self::Output {
        if self.workers == 1 {
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
    type Output = TryOutcome<R>;

    fn consume<I: Iterator<Item = T>>(self, items: I) -> Self::Output {
        self.sequential(items)
    }
}

impl<F, Shape> TryDriver<'_, F, Shape> {
    fn gathered<T, R>(&self, items: Vec<T>) -> TryOutcome<R>
    where
        T: SendItem<Shape>,
        R: TryOutput + SendResult,
        F: Fn(T) -> R + Sync,
    {
        let len = items.len();
        let items = Sendable::<_, Shape>::wrap_vec(items);
        // The lowest index known to fail or panic: nothing past it can change the answer.
        let first_failure = AtomicUsize::new(usize::MAX);
        let slots: Vec<Option<Outcome<Sendable<R>>>> = guarded(|_| {
            run_in_pool(self.workers, |lanes| {
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
                        let outcome = catch_item(self.f, item.0);
                        if outcome.as_ref().is_ok_and(TryOutput::is_failure) || outcome.is_err() {
                            first_failure.fetch_min(index, Ordering::Relaxed);
                        }
                        Some(outcome.map(Sendable::new))
                    })
                    .collect()
            })
        })?;
        // The sequential answer: the first error or panic in index order, or every success. A
        // slot is empty only past a failure or a panic, so the scan meets that one first. A
        // panic past the first error is dropped, as the sequential loop would never have run
        // that item.
        let mut successes = Vec::with_capacity(slots.len());
        for (index, slot) in slots.into_iter().enumerate() {
            let outcome = slot.expect("parallelize: an item was skipped with no failure before it");
            match outcome {
                Ok(result) => match result.0.into_result() {
                    Ok(success) => successes.push(success),
                    Err(error) => return Ok(Answer::Done(Err(error))),
                },
                Err(message) => return Ok(Answer::Panicked { index, message }),
            }
        }
        Ok(Answer::Done(Ok(successes)))
    }
}
