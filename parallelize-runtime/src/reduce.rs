//! MapReduce: map every item, combine the results with an associative function, never holding
//! them all.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use rayon::prelude::*;

use crate::bounds::{One, SendItem, Sendable};
use crate::items::{Driver, IntoItems};
use crate::panic::{
    Cancel, Failure, guarded, inline_guarded, or_raise, payload_message, run_catching, run_recorded,
};
use crate::pipeline::{Buffers, Done, OnPanic, Shared, Sink, pull_and_run, run_here};
use crate::pool::{inside_worker, run_in_pool_as};
use crate::watch::{Stopped, Watch, or_raise_stopped};
use crate::{Jobs, SendArgument, SendResult};

/// Maps every item of `items` with `map` on `jobs` workers and combines the results with
/// `reduce`; `None` for no items. The results are never all held: each worker folds a run of
/// consecutive items into one value, and the runs' values are combined in input order as they
/// come, so memory is O(workers) values (and at most [`Jobs::in_flight`] items), not O(items).
///
/// `reduce` must be associative (`reduce(reduce(a, b), c) == reduce(a, reduce(b, c))`), and
/// need not be commutative: the answer is the sequential left fold in input order,
/// `items.into_iter().map(map).reduce(reduce)`. String concatenation and merging ordered maps
/// give exactly the sequential result.
///
/// ```
/// use std::collections::HashMap;
/// use parallelize::par_map_reduce;
///
/// let text = "the cat saw the dog\nthe dog saw a cat";
/// let counts = par_map_reduce(
///     text.lines(),
///     2,
///     |line: &str| {
///         let mut counts = HashMap::new();
///         for word in line.split_whitespace() {
///             *counts.entry(word.to_owned()).or_insert(0_usize) += 1;
///         }
///         counts
///     },
///     |mut total, counts| {
///         for (word, n) in counts {
///             *total.entry(word).or_insert(0) += n;
///         }
///         total
///     },
/// )
/// .unwrap_or_default();
/// assert_eq!(counts["the"], 3);
///
/// // Not commutative, and still the sequential answer:
/// let joined = par_map_reduce(0..1000, 4, |i: u32| i.to_string(), |a, b| a + "," + &b);
/// assert_eq!(joined.unwrap(), (0..1000).map(|i| i.to_string()).collect::<Vec<_>>().join(","));
/// ```
///
/// Any iterable is pulled in pieces on the calling thread while the workers fold what it has
/// pulled; a rayon parallel iterator given with [`from_par_iter`](crate::from_par_iter) is
/// split where it lies, folded and combined by rayon's own ordered `reduce`.
///
/// # Panics
///
/// If `map` panics on item `N`, or `reduce` while combining a value whose first item is `N`,
/// no new item starts and this panics with `item N panicked: {message}` (the lowest such `N`
/// among those that ran). Also if `jobs` is `0`.
#[track_caller]
pub fn par_map_reduce<I, R, M, C>(items: I, jobs: impl Into<Jobs>, map: M, reduce: C) -> Option<R>
where
    I: IntoItems,
    I::Item: SendArgument,
    R: SendResult,
    M: Fn(I::Item) -> R + Sync,
    C: Fn(R, R) -> R + Sync,
{
    map_reduce_items::<One, _, _, _, _>(items, jobs, map, reduce)
}

/// [`par_map_reduce`] for items of any [`SendItem`] shape.
///
/// ```
/// use parallelize::Tuple;
/// use parallelize_runtime::map_reduce_items;
///
/// // Pairs as a two-parameter function takes them, multiplied and summed.
/// let pairs = vec![(1, 2), (3, 4), (5, 6)];
/// let dot = map_reduce_items::<Tuple, _, _, _, _>(pairs, 2, |(a, b)| a * b, |x, y| x + y);
/// assert_eq!(dot, Some(44));
/// ```
///
/// # Panics
///
/// As [`par_map_reduce`].
#[track_caller]
pub fn map_reduce_items<Shape, I, R, M, C>(
    items: I,
    jobs: impl Into<Jobs>,
    map: M,
    reduce: C,
) -> Option<R>
where
    I: IntoItems,
    I::Item: SendItem<Shape>,
    R: SendResult,
    M: Fn(I::Item) -> R + Sync,
    C: Fn(R, R) -> R + Sync,
{
    or_raise_stopped(reduce_items::<Shape, _, _, _, _>(
        items,
        &jobs.into(),
        &map,
        &reduce,
    ))
}

/// [`par_map_reduce`] for a call that may be stopped ([`Jobs::deadline`], [`Jobs::timeout`],
/// [`Jobs::cancel_on`]): the same answer, or the [`Stopped`] error when the call was stopped
/// before every item was folded in.
///
/// ```
/// use parallelize::{CancelHandle, Jobs, StopCause, par_map_reduce_checked};
///
/// let jobs = Jobs::new(4).timeout(std::time::Duration::from_secs(60));
/// let total = par_map_reduce_checked(1..=100_u64, jobs, |x| x * x, |a, b| a + b);
/// assert_eq!(total, Ok(Some((1..=100).map(|x| x * x).sum())));
///
/// let cancel = CancelHandle::new();
/// cancel.cancel();
/// let stopped = par_map_reduce_checked(1..=100_u64, Jobs::new(4).cancel_on(&cancel), |x| x, |a, b| a + b);
/// assert_eq!(stopped.unwrap_err().cause(), StopCause::Cancelled);
/// ```
///
/// # Errors
///
/// [`Stopped`] if the call's deadline passed or its cancel handle was cancelled (its own, or
/// that of a call it is nested in) before every item was folded in.
///
/// # Panics
///
/// As [`par_map_reduce`].
#[track_caller]
pub fn par_map_reduce_checked<I, R, M, C>(
    items: I,
    jobs: impl Into<Jobs>,
    map: M,
    reduce: C,
) -> Result<Option<R>, Stopped>
where
    I: IntoItems,
    I::Item: SendArgument,
    R: SendResult,
    M: Fn(I::Item) -> R + Sync,
    C: Fn(R, R) -> R + Sync,
{
    reduce_items::<One, _, _, _, _>(items, &jobs.into(), &map, &reduce)
}

/// Both forms of MapReduce: the answer, or the stop of a watched call. Any other failure is
/// raised here.
#[track_caller]
fn reduce_items<Shape, I, R, M, C>(
    items: I,
    jobs: &Jobs,
    map: &M,
    reduce: &C,
) -> Result<Option<R>, Stopped>
where
    I: IntoItems,
    I::Item: SendItem<Shape>,
    R: SendResult,
    M: Fn(I::Item) -> R + Sync,
    C: Fn(R, R) -> R + Sync,
{
    let watch = Watch::start(jobs, None);
    let outcome = items.drive(Reducer {
        map,
        reduce,
        jobs,
        watch: watch.as_ref(),
        shape: PhantomData::<fn() -> Shape>,
    });
    match watch {
        Some(watch) => watch.finish(outcome),
        None => Ok(or_raise(outcome)),
    }
}

struct Reducer<'a, M, C, Shape> {
    map: &'a M,
    reduce: &'a C,
    jobs: &'a Jobs,
    /// The call's watch, if it is watched.
    watch: Option<&'a Arc<Watch>>,
    shape: PhantomData<fn() -> Shape>,
}

impl<T, R, M, C, Shape> Driver<T> for Reducer<'_, M, C, Shape>
where
    T: SendItem<Shape>,
    R: SendResult,
    M: Fn(T) -> R + Sync,
    C: Fn(R, R) -> R + Sync,
{
    type Output = Result<Option<R>, Failure>;

    fn sequential<I: Iterator<Item = T>>(self, mut items: I) -> Self::Output {
        let workers = self.jobs.workers();
        if let Some(watch) = self.watch {
            watch.sized_by(&items);
        }
        if workers == 1 && self.watch.is_some() {
            // Inline, in the one loop that looks at a watch (the pipeline's).
            let shared = self.shared();
            let mut outputs = run_here(&shared, &self.step(), items, 1).answer(&shared)?;
            return Ok(outputs.pop().map(|total| total.0));
        }
        if workers == 1 {
            return inline_guarded(|current| {
                let mut total: Option<R> = None;
                for (index, item) in items.enumerate() {
                    current.set(Some(index));
                    let result = (self.map)(item);
                    total = Some(match total.take() {
                        None => result,
                        Some(total) => (self.reduce)(total, result),
                    });
                }
                current.set(None);
                total
            });
        }
        if inside_worker() {
            return self.batches(items);
        }
        self.pulled(&mut items)
    }

    fn parallel<P: IndexedParallelIterator<Item = T>>(self, items: P) -> Self::Output {
        if let Some(watch) = self.watch {
            watch.input_ended(items.len());
        }
        self.indexed(items, 0, |item| item)
    }
}

impl<M, C, Shape> Reducer<'_, M, C, Shape> {
    /// Items that rayon can split: each run folded, the runs combined by rayon's ordered
    /// `reduce`. Values carry the index of their first item, for a panic of `reduce`.
    fn indexed<T, X, R, P>(
        &self,
        items: P,
        first: usize,
        unwrap: impl Fn(X) -> T + Sync,
    ) -> Result<Option<R>, Failure>
    where
        P: IndexedParallelIterator<Item = X>,
        R: SendResult,
        M: Fn(T) -> R + Sync,
        C: Fn(R, R) -> R + Sync,
    {
        let (workers, exact) = (self.jobs.workers(), !self.jobs.is_adaptive());
        let len = items.len();
        let total = guarded(self.watch.map(|watch| &**watch), |cancel: &Cancel| {
            run_in_pool_as(workers, exact, |lanes| {
                let combine = |left: (usize, Sendable<R, One>),
                               right: (usize, Sendable<R, One>)| {
                    let (first, right_first) = (left.0, right.0);
                    let reduce = |(a, b): (R, R)| (self.reduce)(a, b);
                    (
                        first,
                        Sendable::new(run_recorded(
                            cancel,
                            right_first,
                            &reduce,
                            (left.1.0, right.1.0),
                        )),
                    )
                };
                items
                    .with_min_len(lanes.min_len(len))
                    .enumerate()
                    .map(|(index, item)| {
                        let index = first + index;
                        let map = |item| (self.map)(unwrap(item));
                        (
                            index,
                            Sendable::new(crate::panic::run_or_stop(cancel, index, &map, item)),
                        )
                    })
                    .reduce_with(combine)
            })
        })?;
        Ok(total.map(|(_, total)| total.0))
    }

    /// Any iterator, from inside a worker: batches of at most the in-flight bound, each read
    /// in place by the pool the caller is in, their values combined in order.
    fn batches<T, R, I>(&self, mut items: I) -> Result<Option<R>, Failure>
    where
        I: Iterator<Item = T>,
        T: SendItem<Shape>,
        R: SendResult,
        M: Fn(T) -> R + Sync,
        C: Fn(R, R) -> R + Sync,
    {
        let mut total: Option<R> = None;
        let mut first = 0;
        loop {
            let batch: Vec<T> = items.by_ref().take(self.jobs.in_flight_bound()).collect();
            if batch.is_empty() {
                return Ok(total);
            }
            let len = batch.len();
            let batch = Sendable::<_, Shape>::wrap_vec(batch);
            let value = self.indexed(batch.into_par_iter(), first, |item| item.0)?;
            total = match (total, value) {
                (Some(left), Some(right)) => {
                    let reduce = |(left, right)| (self.reduce)(left, right);
                    Some(
                        run_catching(&reduce, (left, right))
                            .map_err(|message| Failure::item(first, message))?,
                    )
                }
                (one, None) | (None, one) => one,
            };
            first += len;
        }
    }

    /// Any iterator, from outside the pools: pulled in pieces, each piece folded on a worker,
    /// the pieces' values combined here in input order as they finish.
    fn pulled<T, R, I>(&self, items: &mut I) -> Result<Option<R>, Failure>
    where
        I: Iterator<Item = T>,
        T: SendItem<Shape>,
        R: SendResult,
        M: Fn(T) -> R + Sync,
        C: Fn(R, R) -> R + Sync,
    {
        let shared = self.shared();
        let step = self.step();
        let mut order = InOrder {
            waiting: BTreeMap::new(),
            next: 0,
            total: None,
            failure: None,
        };
        pull_and_run::<Shape, _, _, _, _>(
            items,
            (0, usize::MAX, self.jobs.in_flight_bound()),
            &mut [],
            (
                &shared,
                &step,
                &Buffers::new(self.jobs.workers()).at_most(self.jobs.in_flight_bound()),
            ),
            (self.jobs.workers(), !self.jobs.is_adaptive()),
            &mut |done| order.arrive(done, &shared, self.reduce),
        );
        if let Some((index, message)) = order.failure {
            return Err(Failure::item(index, message));
        }
        if shared.was_cut() {
            return Err(Failure::stopped());
        }
        Ok(order.total)
    }

    /// The pieces' shared state: a watched call's watch stops them too.
    fn shared(&self) -> Shared {
        Shared::new(OnPanic::StopAll).watched(self.watch.cloned())
    }

    /// The work of one item in a piece: a piece's value is its sink's one output, folded item
    /// by item.
    fn step<T, R>(&self) -> impl Fn(T, &mut Sink<'_, R>) -> bool + Sync
    where
        M: Fn(T) -> R + Sync,
        C: Fn(R, R) -> R + Sync,
    {
        |item: T, sink: &mut Sink<'_, R>| {
            let result = (self.map)(item);
            let folded = match sink.pop() {
                None => result,
                Some(total) => (self.reduce)(total, result),
            };
            sink.push(folded);
            false
        }
    }
}

/// The pieces' values, combined in input order as they arrive: the value of every item before
/// `next` is in `total`; a piece that finishes out of order waits, merged with any waiting
/// neighbour (the combine is associative), so at most one value waits per gap, and the gaps
/// are at most the pieces out.
struct InOrder<R> {
    /// Runs of finished pieces not yet reachable from `next`: first index -> (end, value).
    waiting: BTreeMap<usize, (usize, Option<Sendable<R, One>>)>,
    /// The first index of the next piece to combine.
    next: usize,
    total: Option<R>,
    /// The lowest panic seen.
    failure: Option<(usize, String)>,
}

impl<R> InOrder<R> {
    fn arrive(&mut self, mut done: Done<R>, shared: &Shared, reduce: &impl Fn(R, R) -> R) {
        if let Some((index, message)) = done.panic.take() {
            self.fail(index, message);
        }
        let (mut first, mut end) = (done.first, done.first + done.len);
        let mut value = done.outputs.pop();
        // Merged with the waiting run that ends where it starts, and the one that starts where
        // it ends: left to right, as the sequential fold combines them.
        let left_run = self.waiting.range(..first).next_back();
        if let Some((&before, &(before_end, _))) = left_run
            && before_end == first
        {
            let (_, left) = self.waiting.remove(&before).unwrap_or((first, None));
            value = self.combine(left, value, first, (shared, reduce));
            first = before;
        }
        if let Some((after_end, right)) = self.waiting.remove(&end) {
            value = self.combine(value, right, end, (shared, reduce));
            end = after_end;
        }
        if first != self.next {
            self.waiting.insert(first, (end, value));
            return;
        }
        self.next = end;
        let total = self.total.take().map(Sendable::new);
        self.total = self
            .combine(total, value, first, (shared, reduce))
            .map(|total| total.0);
    }

    /// `reduce(left, right)` where both are there; a panic of `reduce` is the failure of the
    /// right operand's first item, `right_first`.
    fn combine(
        &mut self,
        left: Option<Sendable<R, One>>,
        right: Option<Sendable<R, One>>,
        right_first: usize,
        (shared, reduce): (&Shared, &impl Fn(R, R) -> R),
    ) -> Option<Sendable<R, One>> {
        if self.failure.is_some() {
            return None;
        }
        match (left, right) {
            (Some(left), Some(right)) => {
                match catch_unwind(AssertUnwindSafe(|| reduce(left.0, right.0))) {
                    Ok(value) => Some(Sendable::new(value)),
                    Err(payload) => {
                        shared.lower(0);
                        self.fail(right_first, payload_message(&*payload));
                        None
                    }
                }
            }
            (one, None) | (None, one) => one,
        }
    }

    fn fail(&mut self, index: usize, message: String) {
        if self
            .failure
            .as_ref()
            .is_none_or(|(known, _)| index < *known)
        {
            self.failure = Some((index, message));
        }
    }
}
