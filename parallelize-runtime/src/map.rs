//! The ordered fan-out engine: one result per input item, in input order.
//!
//! Items from an iterable are gathered into a `Vec` when the call goes parallel (free when it
//! already is one: `collect` reuses a `vec::IntoIter`'s buffer); items from a parallel iterator
//! ([`from_par_iter`]) and the iterables that `par_comp!` finds splittable where they lie
//! ([`crate::InPlace`]) are read in place. Either way rayon's indexed `map().collect()` path
//! writes every result straight into its slot of the output, through [`GuardedMap`]; rayon
//! splits the index range adaptively and steals work between workers. Nothing is allocated per
//! item.
//!
//! The path of a call: [`par_map`] or a companion -> [`map_items`] -> [`IntoItems::drive`]
//! (which kind of source) -> one of [`MapDriver`]'s three methods, which asks
//! [`MapDriver::plan`] how to run ([`crate::adaptive`]) and then runs inline, measured, or on
//! the workers (`on_workers`, `map_gathered`: a pool from [`run_in_pool_as`], rayon's `collect`
//! over [`GuardedMap`], whose producer folds runs of items on each worker).
//!
//! Inline there are two loops, each for what it is given:
//!
//! | loop | given | why its own |
//! | --- | --- | --- |
//! | [`map_inline`] | any iterator, a parallel source's producer | the plain `map().collect()`; the input's own panic (its `next`, a source's adaptors) passes through |
//! | [`map_vec_inline`] | an owned `Vec` (`par_comp!`) | mapped in its own buffer, vectorised wherever it is compiled |
//!
//! [`from_par_iter`]: crate::from_par_iter
//! [`GuardedMap`]: crate::guard::GuardedMap

use std::marker::PhantomData;
use std::mem::{ManuallyDrop, align_of, size_of};
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::adaptive::{Cost, INLINE_BUDGET, Plan, cost_of_call_site, inline_done, plan};
use crate::bounds::{One, SendItem, Sendable};
use crate::guard::{Guard, GuardedMap};
use crate::items::{
    Consume, Driver, InPlace, IntoItems, exact_size, gather, note_serial_read, sequentially,
};
use crate::panic::{Failure, guarded, inline_guarded, or_raise, raise_inline_item, run_catching};
use crate::pipeline::{
    Buffers, OnPanic, Shared, Sink, assemble, run_batch, run_here, worth_pulling,
};
use crate::pool::{Lanes, inside_worker, run_in_pool_as};
use crate::watch::{Watch, or_raise_stopped};
use crate::{Jobs, SendArgument, SendResult};

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
/// If `f` panics, no new item starts (from the moment the panic is caught; cheap items already
/// in a block of at most 4,096 on another worker finish it: see the crate's Panics section),
/// and this panics on the caller's thread with a `String`
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
///
/// ```
/// use parallelize::expansion::map_items;
/// use parallelize::Tuple;
///
/// // Tuples of arguments, as a companion of a two-parameter function passes them.
/// let sums = map_items::<Tuple, _, _, _>(vec![(1, 2), (3, 4)], 2, None, |(a, b)| a + b);
/// assert_eq!(sums, [3, 7]);
/// ```
///
/// # Panics
///
/// As [`par_map`]: if a call panics, or if `jobs` is `0`.
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
    if let Some(watch) = Watch::start(&jobs, None) {
        return or_raise_stopped(
            watch.finish(map_watched::<Shape, _, _, _>(items, &jobs, &watch, &f)),
        );
    }
    let driver = MapDriver {
        f: &f,
        cost: cost.filter(|_| jobs.is_adaptive()),
        jobs,
        watch: None,
        shape: PhantomData::<fn() -> Shape>,
    };
    items.drive(driver)
}

/// [`map_items`] for a watched call (see `crate::watch`): never the tiny or measured paths,
/// whose loops do not look at a watch; inline with one worker, else on the workers.
#[cold]
#[inline(never)]
pub(crate) fn map_watched<Shape, I, R, F>(
    items: I,
    jobs: &Jobs,
    watch: &Arc<Watch>,
    f: &F,
) -> Result<Vec<R>, Failure>
where
    I: IntoItems,
    I::Item: SendItem<Shape>,
    R: SendResult,
    F: Fn(I::Item) -> R + Sync,
{
    items.drive(Watched(MapDriver {
        f,
        jobs: jobs.clone(),
        cost: None,
        watch: Some(watch),
        shape: PhantomData::<fn() -> Shape>,
    }))
}

/// A watched map call, given its items by [`IntoItems::drive`].
struct Watched<'a, F, Shape>(MapDriver<'a, F, Shape>);

impl<T, R, F, Shape> Driver<T> for Watched<'_, F, Shape>
where
    T: SendItem<Shape>,
    R: SendResult,
    F: Fn(T) -> R + Sync,
{
    type Output = Result<Vec<R>, Failure>;

    fn sequential<I: Iterator<Item = T>>(self, items: I) -> Self::Output {
        let (driver, watch) = (&self.0, self.watch());
        watch.sized_by(&items);
        if driver.jobs.workers() == 1 {
            // Inline, the one loop that looks at a watch (the pipeline's).
            let shared = Shared::new(OnPanic::StopAll).watched(Some(Arc::clone(watch)));
            let step = |item: T, sink: &mut Sink<'_, R>| {
                sink.push((driver.f)(item));
                false
            };
            let capacity = items.size_hint().0;
            let outputs = run_here(&shared, &step, items, capacity).answer(&shared)?;
            watch.input_ended(outputs.len());
            return Ok(Sendable::unwrap_vec(outputs));
        }
        driver.map_rest(items, 0, driver.jobs.workers())
    }

    fn parallel<P: IndexedParallelIterator<Item = T>>(self, items: P) -> Self::Output {
        let len = items.len();
        self.watch().input_ended(len);
        let workers = self.0.jobs.workers();
        if workers == 1 || len <= 1 {
            return sequentially(items, self);
        }
        self.0.on_workers(items, len, workers)
    }
}

/// A watched call on one worker, over a parallel source's items read on the caller's thread.
impl<T, R, F, Shape> Consume<T> for Watched<'_, F, Shape>
where
    T: SendItem<Shape>,
    R: SendResult,
    F: Fn(T) -> R + Sync,
{
    type Output = Result<Vec<R>, Failure>;

    fn consume<I: Iterator<Item = T>>(self, items: I) -> Self::Output {
        let one = Watched(MapDriver {
            jobs: Jobs::new(1),
            ..self.0
        });
        one.sequential(items)
    }
}

impl<F, Shape> Watched<'_, F, Shape> {
    fn watch(&self) -> &Arc<Watch> {
        self.0
            .watch
            .unwrap_or_else(|| unreachable!("parallelize: a watched call without a watch"))
    }
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
    /// The call's watch, if it is watched (then only [`Watched`] drives it).
    watch: Option<&'a Arc<Watch>>,
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
        let plan = self.plan(len, workers);
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
        // Nothing to share out: no pool. (A length the source gives, as rayon trusts it; an
        // iterator's `size_hint` is not trusted so: its items are counted when gathered.)
        let plan = if len <= 1 {
            Plan::Inline
        } else {
            self.plan(Some(len), workers)
        };
        or_raise(match plan {
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
        // Nothing to share out: no pool (an exact length, from the crate's own sources).
        let plan = if len <= 1 {
            Plan::Inline
        } else {
            self.plan(Some(len), workers)
        };
        match plan {
            Plan::Inline => {
                let results = items.map_inline(self.f);
                inline_done(self.cost);
                results
            }
            plan => or_raise(self.in_place_not_inline(items, plan, len, workers)),
        }
    }
}

/// An inline run over a parallel source's items, read through its producer: [`map_inline`],
/// where, as on the workers, a panic of the source's own adaptors is not an item's.
struct InlineRun<'a, F>(&'a F);

impl<T, R, F: Fn(T) -> R> Consume<T> for InlineRun<'_, F> {
    type Output = Result<Vec<R>, Failure>;

    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn consume<I: Iterator<Item = T>>(self, items: I) -> Self::Output {
        Ok(map_inline(items, self.0))
    }
}

impl<F, Shape> MapDriver<'_, F, Shape> {
    /// How a call of `len` items (if known) runs: inline with one worker, else as the cost
    /// predicts (see [`crate::adaptive`]).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn plan(&self, len: Option<usize>, workers: usize) -> Plan {
        if workers == 1 {
            Plan::Inline
        } else {
            plan(self.cost, len, workers)
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
        let results = collect_guarded(
            items,
            0,
            (workers, self.exact()),
            (&busy, self.watch.map(|watch| &**watch)),
            self.f,
        )?;
        self.learn(&busy, len);
        Ok(results)
    }

    /// Whether exactly the call's workers must run at once: the adaptive path was turned off,
    /// for items that may wait for each other (see [`run_in_pool_as`]).
    fn exact(&self) -> bool {
        !self.jobs.is_adaptive()
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
        self.map_rest(items, 0, workers)
    }

    /// The items of an iterator (the first of them item `first` of the call) on the workers.
    /// From outside the pools they are pulled in pieces that the workers start on while the
    /// caller pulls the next ([`crate::pipeline`]); from inside a worker (a nested call), and
    /// when the iterator says it has few, they are gathered first and read in place, cut into
    /// the call's lanes.
    fn map_rest<T, R, I>(
        &self,
        mut items: I,
        first: usize,
        workers: usize,
    ) -> Result<Vec<R>, Failure>
    where
        I: Iterator<Item = T>,
        T: SendItem<Shape>,
        R: SendResult,
        F: Fn(T) -> R + Sync,
    {
        if inside_worker() || !worth_pulling(&items) {
            let items: Vec<T> = gather(items);
            let count = items.len();
            if let Some(watch) = self.watch {
                watch.input_ended(first + count);
            }
            let busy = AtomicU64::new(0);
            let results = map_gathered::<Shape, _, _, _>(
                items,
                first,
                (workers, self.exact()),
                (&busy, self.watch.map(|watch| &**watch)),
                self.f,
            )?;
            self.learn(&busy, count);
            return Ok(results);
        }
        note_serial_read();
        let shared = Shared::new(OnPanic::StopAll)
            .seeded(self.cost.and_then(Cost::picos_per_item))
            .watched(self.watch.cloned());
        let step = |item: T, sink: &mut Sink<'_, R>| {
            sink.push((self.f)(item));
            false
        };
        // Results go straight to their places when the iterator says how many it has (the
        // count is only a hint: items past it are kept apart, and fewer leave room unused).
        let mut results = Vec::with_capacity(exact_size(&items).unwrap_or(0));
        let batch = run_batch::<Shape, _, _, _, _>(
            &mut items,
            (first, usize::MAX),
            results.spare_capacity_mut(),
            (&shared, &step, &Buffers::new(workers)),
            (workers, self.exact()),
        );
        if let (Some(cost), Some((nanos, count))) = (self.cost, shared.measured()) {
            cost.record(
                Duration::from_nanos(nanos),
                usize::try_from(count).unwrap_or(usize::MAX),
            );
        }
        assemble(results, batch.pieces, &shared)
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
            results.extend(self.map_rest(items, done, workers)?);
        }
        Ok(results)
    }
}

/// The smallest run of items one rayon job takes: the lane limit's (see [`Lanes`]), and at
/// least 1/64 of a worker's share. rayon's adaptive splitting still balances uneven items over
/// 64 pieces per worker; the floor bounds the jobs a call can be cut into, which matters once
/// an item panics: rayon then finishes the other side of every split as a job of its own, and
/// each of those has to start, see the stop flag and unwind.
pub(crate) fn piece(lanes: Lanes, len: usize, workers: usize) -> usize {
    lanes
        .min_len(len)
        .max(len / workers.saturating_mul(64).max(1))
}

/// The calls in order on the caller's thread: the plain `items.map(f).collect()` (which maps a
/// `Vec` in its own buffer), with each call guarded on its own.
///
/// A panic of `f` is caught at its call and raised again as `item {index} panicked: ..`
/// ([`raise_inline_item`]); any other panic is the iterator's own (its `next`) and goes on
/// unchanged, as from the `collect` that gathers the input of a parallel run. Nothing is written per item: the index is the
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
                Err(payload) => raise_inline_item(index, payload),
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
                raise_inline_item(index, payload)
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

/// Gathered items on the workers; `first` is the index of `items[0]` in the whole call. The
/// workers: how many, and whether exactly that many must run at once (see [`run_in_pool_as`]).
fn map_gathered<Shape, T, R, F>(
    items: Vec<T>,
    first: usize,
    (workers, exact): (usize, bool),
    (busy, watch): (&AtomicU64, Option<&Watch>),
    f: &F,
) -> Result<Vec<R>, Failure>
where
    T: SendItem<Shape>,
    R: SendResult,
    F: Fn(T) -> R + Sync,
{
    if items.len() <= 1 && watch.is_none() {
        // One item (or none): called here, with no pool.
        return items
            .into_iter()
            .map(|item| run_catching(f, item).map_err(|message| Failure::item(first, message)))
            .collect();
    }
    let items = Sendable::<_, Shape>::wrap_vec(items);
    let unwrap_then_call = |item: Sendable<T, Shape>| f(item.0);
    collect_guarded(
        items.into_par_iter(),
        first,
        (workers, exact),
        (busy, watch),
        &unwrap_then_call,
    )
}

/// `f` on every item of `items` on the workers, results in order, each item's panic named by
/// its index counted from `first`, the runs' own time added to `busy`: the one parallel map
/// that every path of the engine ends in. A watched call's watch can stop it.
fn collect_guarded<P, R, F>(
    items: P,
    first: usize,
    (workers, exact): (usize, bool),
    (busy, watch): (&AtomicU64, Option<&Watch>),
    f: &F,
) -> Result<Vec<R>, Failure>
where
    P: IndexedParallelIterator,
    R: SendResult,
    F: Fn(P::Item) -> R + Sync,
{
    let len = items.len();
    let results = guarded(watch, |cancel| {
        run_in_pool_as(workers, exact, |lanes| {
            GuardedMap {
                base: items.with_min_len(piece(lanes, len, workers)),
                guard: Guard { f, cancel, busy },
                offset: first,
            }
            .collect()
        })
    })?;
    Ok(Sendable::unwrap_vec(results))
}
