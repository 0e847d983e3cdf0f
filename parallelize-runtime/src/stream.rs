//! Streams: results as a lazy iterator, with at most [`Jobs::in_flight`] items held at once.
//!
//! - **Ordered** ([`par_map_iter`], `NAME_par_iter`, [`par_comp_iter!`], [`pool_parallelize_iter`]):
//!   results in input order. Items may borrow from the caller, so no work may outlive a call
//!   of `next`: when the consumer has taken every result it holds, `next` pulls the next batch
//!   (at most the in-flight bound of items), runs it on the pool through the pipeline
//!   (`crate::pipeline`: the caller pulls while the workers compute) and returns once the batch
//!   is done. Between calls of `next` nothing runs. A batch is sized to take about
//!   [`BATCH_NANOS`] of work once the items' cost is known (fewer items for coarse ones, so the
//!   first results come soon), and never more than the bound.
//! - **Unordered** ([`par_map_unordered`]): results as they complete, with their input index.
//!   Its work goes on in the background while the consumer is busy (up to about
//!   [`BATCH_NANOS`] of work ahead, within the bound), which needs items, results
//!   and function that live as long as the work may (`'static`): the iterator may be dropped
//!   or forgotten at any time, and nothing can then wait for the workers to stop borrowing.
//!
//! [`par_comp_iter!`]: https://docs.rs/parallelize/latest/parallelize/macro.par_comp_iter.html

use std::collections::VecDeque;
use std::iter::Fuse;
use std::marker::PhantomData;
use std::panic::resume_unwind;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::sync::{Arc, OnceLock};

use rayon::iter::Either;

use crate::bounds::{One, SendItem, Sendable};
use crate::comprehension::Level;
use crate::delayed::Delayed;
use crate::items::{exact_size, may_have_more};
use crate::panic::{Failure, payload_message};
use crate::pipeline::{
    Buffers, Done, OnPanic, Shared, Sink, Step, run_batch, run_into, run_piece_owned,
};
use crate::pool::{Background, inside_worker};
use crate::watch::{Sealed, Stoppable, Stopped, Watch, or_raise_stopped};
use crate::{Jobs, SendArgument, SendResult};

/// The work a batch aims at once the items' cost is known: enough that the batch's tail (the
/// last pieces, while some workers are already idle) is lost in it, little enough that the
/// consumer gets results often.
const BATCH_NANOS: u64 = 20_000_000;

/// How many items a stream holds at once: a few per worker until the items' cost is known,
/// then about [`BATCH_NANOS`] of work (so that coarse items are not pulled far ahead of the
/// consumer, and the first results come soon); never more than the bound.
fn window(shared: &Shared, workers: usize, bound: usize) -> usize {
    let least = workers.saturating_mul(4);
    let len = shared.measured().map_or(least, |(nanos, items)| {
        let per_worker = BATCH_NANOS.saturating_mul(items) / nanos;
        usize::try_from(per_worker)
            .unwrap_or(usize::MAX)
            .saturating_mul(workers)
            .max(least)
    });
    len.min(bound)
}

/// Calls `f` on every item of `items` on `jobs` workers, lazily: the results come out of the
/// returned iterator in input order, while at most [`Jobs::in_flight`] items are held at once
/// (pulled from `items` but not yet taken by the consumer). What `NAME_par_iter` companions
/// call.
///
/// ```
/// use parallelize::{Jobs, par_map_iter};
///
/// let text = "one\ntwo\nthree";
/// // Items and results may borrow: here, lines of a `String`.
/// let mut lengths = par_map_iter(text.lines(), Jobs::new(2).in_flight(2), str::len);
/// assert_eq!(lengths.next(), Some(3));
/// assert_eq!(lengths.collect::<Vec<_>>(), [3, 5]);
/// ```
///
/// Work happens inside `next`: when the results pulled so far are all taken, `next` pulls the
/// next batch (at most the in-flight bound), runs it on the workers while it pulls, and
/// returns its first result once the batch is done. Nothing runs between calls, so a consumer
/// that stops early (drops the iterator) stops the work at once; a batch's results not yet
/// taken are dropped with it. With one worker each `next` pulls and runs one item, as the
/// sequential `items.into_iter().map(f)` does.
///
/// # Panics
///
/// If `f` panics on item `N`, the items before it still run and their results come out first;
/// then `next` panics with the `String` payload `item N panicked: {message}`, no item after
/// `N` starts once the panic is caught (those already running finish), and the iterator is over. Also if `jobs` is `0`.
// `Iterator` spelled out (`Stoppable` implies it) for the reader of the signature.
#[allow(clippy::implied_bounds_in_impls)]
#[track_caller]
pub fn par_map_iter<I, R, F>(
    items: I,
    jobs: impl Into<Jobs>,
    f: F,
) -> impl Iterator<Item = R> + Stoppable
where
    I: IntoIterator,
    I::Item: SendArgument,
    R: SendResult,
    F: Fn(I::Item) -> R + Sync,
{
    map_iter::<One, _, _, _>(items, jobs, f)
}

/// [`par_map_iter`] for items of any [`SendItem`] shape: what `NAME_par_iter` calls.
///
/// ```
/// use parallelize::expansion::map_iter;
/// use parallelize::One;
///
/// let mut doubled = map_iter::<One, _, _, _>(1..=3_u32, 2, |x| x * 2);
/// assert_eq!(doubled.next(), Some(2));
/// assert_eq!(doubled.collect::<Vec<_>>(), [4, 6]);
/// ```
///
/// # Panics
///
/// As [`par_map_iter`].
// `Iterator` spelled out (`Stoppable` implies it) for the reader of the signature.
#[allow(clippy::implied_bounds_in_impls)]
#[track_caller]
pub fn map_iter<Shape, I, R, F>(
    items: I,
    jobs: impl Into<Jobs>,
    f: F,
) -> impl Iterator<Item = R> + Stoppable
where
    I: IntoIterator,
    I::Item: SendItem<Shape>,
    R: SendResult,
    F: Fn(I::Item) -> R + Sync,
{
    let step = move |item: I::Item, sink: &mut Sink<'_, R>| {
        sink.push(f(item));
        false
    };
    Ordered::<Shape, _, _, _>::new(items.into_iter(), &jobs.into(), step, false)
}

/// [`pool_parallelize`](crate::pool_parallelize), lazily: the tasks' results in task order,
/// with at most [`Jobs::in_flight`] tasks held at once. Each task is its own unit of work, as
/// there.
///
/// ```
/// use parallelize::{delayed, pool_parallelize_iter};
///
/// fn square(x: u64) -> u64 { x * x }
/// let tasks = (0..100).map(|x| delayed!(square(x)));
/// let total: u64 = pool_parallelize_iter(tasks, 4).sum();
/// assert_eq!(total, (0..100).map(square).sum());
/// ```
///
/// # Panics
///
/// As [`par_map_iter`], naming the task.
// `Iterator` spelled out (`Stoppable` implies it) for the reader of the signature.
#[allow(clippy::implied_bounds_in_impls)]
#[track_caller]
pub fn pool_parallelize_iter<'a, R>(
    tasks: impl IntoIterator<Item = Delayed<'a, R>>,
    njobs: impl Into<Jobs>,
) -> impl Iterator<Item = R> + Stoppable
where
    R: SendResult,
{
    let step = |task: Delayed<'a, R>, sink: &mut Sink<'_, R>| {
        sink.push(task.run());
        false
    };
    Ordered::<One, _, _, _>::new(tasks.into_iter(), &njobs.into(), step, true)
}

/// `par_comp_iter!`'s engine: the outermost `for` clause, lazily. `body` gives each outer
/// item's results, which come out in order; inner clauses run on the worker that runs their
/// outer item (in parallel there too, when the pool allows).
///
/// ```
/// use parallelize::expansion::comprehension_iter;
///
/// // par_comp_iter![(x, y) for x in 0..3 for y in 0..x; njobs = 2], by hand:
/// let pairs: Vec<(u32, u32)> =
///     comprehension_iter(0..3_u32, 2, |level, x| level.nested(0..x, |_, y| [(x, y)])).collect();
/// assert_eq!(pairs, [(1, 0), (2, 0), (2, 1)]);
/// ```
///
/// # Panics
///
/// As [`par_map_iter`], naming the outer item.
// `Iterator` spelled out (`Stoppable` implies it) for the reader of the signature.
#[allow(clippy::implied_bounds_in_impls)]
#[track_caller]
pub fn comprehension_iter<I, B, U>(
    items: I,
    jobs: impl Into<Jobs>,
    body: B,
) -> impl Iterator<Item = U::Item> + Stoppable
where
    I: IntoIterator,
    I::Item: SendArgument,
    B: Fn(Level, I::Item) -> U + Sync,
    U: IntoIterator,
    U::Item: SendResult,
{
    let jobs = jobs.into();
    // Inner loops split over the pool when an outer item runs on one of its workers (not
    // when it runs on the caller's thread, nor in a nested call, which may use only some).
    let split = jobs.workers() > 1 && !inside_worker();
    let step = move |item: I::Item, sink: &mut Sink<'_, U::Item>| {
        let level = Level::inner(split && inside_worker());
        for output in body(level, item) {
            sink.push(output);
        }
        false
    };
    Ordered::<One, _, _, _>::new(items.into_iter(), &jobs, step, false)
}

/// The ordered stream (see the module's documentation).
#[allow(clippy::struct_excessive_bools)] // states that overlap: exhausted and then stopped
struct Ordered<Shape, I: Iterator, S, O> {
    items: Fuse<I>,
    step: S,
    workers: usize,
    /// The first items, one per worker, must be able to run at once (`Jobs::adaptive(false)`).
    exact: bool,
    bound: usize,
    shared: Shared,
    /// The pieces' buffers, kept from one batch to the next.
    buffers: Buffers<Sendable<I::Item, Shape>>,
    /// How many items have been pulled.
    pulled: usize,
    /// Results to hand out, in order: the current piece's, then the next pieces'.
    current: std::vec::IntoIter<Sendable<O, One>>,
    /// With one worker, the outputs of the item just run, last first: one buffer, used again
    /// for every item.
    inline: Vec<Sendable<O, One>>,
    current_panic: Option<(usize, String)>,
    ready: VecDeque<Done<O>>,
    /// The input ran out.
    exhausted: bool,
    /// A panic was raised, or the stop: nothing more comes.
    over: bool,
    /// The current piece was stopped before its end: the stop comes after its outputs.
    current_cut: bool,
    shape: PhantomData<fn() -> Shape>,
}

impl<Shape, I, S, O> Ordered<Shape, I, S, O>
where
    I: Iterator,
    I::Item: SendItem<Shape>,
    S: Step<I::Item, O>,
    O: SendItem<One>,
{
    fn new(items: I, jobs: &Jobs, step: S, coarse: bool) -> Self {
        let shared =
            Shared::new(OnPanic::KeepEarlier).watched(Watch::start(jobs, exact_size(&items)));
        Ordered {
            items: items.fuse(),
            step,
            workers: jobs.workers(),
            exact: !jobs.is_adaptive(),
            bound: jobs.in_flight_bound(),
            shared: if coarse { shared.one_each() } else { shared },
            buffers: Buffers::new(jobs.workers()),
            pulled: 0,
            current: Vec::new().into_iter(),
            inline: Vec::new(),
            current_panic: None,
            ready: VecDeque::new(),
            exhausted: false,
            over: false,
            current_cut: false,
            shape: PhantomData,
        }
    }

    /// Pulls and runs the next batch (one item with one worker).
    fn fill(&mut self) {
        // Over unless the batch returns: if the input's own `next` panics (it reaches the
        // consumer unchanged), the items pulled so far are lost to the count, so nothing more
        // may come.
        self.over = true;
        if self.workers == 1 {
            self.run_one();
        } else {
            let budget = window(&self.shared, self.workers, self.bound);
            let batch = run_batch::<Shape, _, _, _, _>(
                &mut self.items,
                (self.pulled, budget),
                &mut [],
                (&self.shared, &self.step, &self.buffers),
                (self.workers, self.exact),
            );
            self.pulled += batch.pulled;
            self.exhausted = batch.exhausted;
            self.ready.extend(batch.pieces);
        }
        self.over = false;
    }

    /// One worker: the next item, run here, as the sequential `map` runs it, with nothing
    /// allocated per item.
    fn run_one(&mut self) {
        let Some(item) = self.items.next() else {
            self.exhausted = true;
            return;
        };
        let mut sink = Sink::into_vec(std::mem::take(&mut self.inline));
        let (_, panic) = run_into(
            &self.shared,
            &self.step,
            self.pulled,
            std::iter::once(item),
            &mut sink,
        );
        self.pulled += 1;
        self.inline = sink.outputs();
        self.inline.reverse();
        self.current_panic = panic;
    }
}

impl<Shape, I, S, O> Iterator for Ordered<Shape, I, S, O>
where
    I: Iterator,
    I::Item: SendItem<Shape>,
    S: Step<I::Item, O>,
    O: SendItem<One>,
{
    type Item = O;

    #[track_caller]
    fn next(&mut self) -> Option<O> {
        self.next_checked().map(or_raise_stopped)
    }
}

impl<Shape, I: Iterator, S, O> Sealed for Ordered<Shape, I, S, O> {}

impl<Shape, I, S, O> Stoppable for Ordered<Shape, I, S, O>
where
    I: Iterator,
    I::Item: SendItem<Shape>,
    S: Step<I::Item, O>,
    O: SendItem<One>,
{
    fn next_checked(&mut self) -> Option<Result<O, Stopped>> {
        loop {
            if let Some(output) = self.current.next().or_else(|| self.inline.pop()) {
                return Some(Ok(output.0));
            }
            if let Some((index, message)) = self.current_panic.take() {
                self.over = true;
                self.ready.clear();
                // As an inline call raises it: the panic hook reported the item's own panic
                // where it happened.
                resume_unwind(Box::new(format!("item {index} panicked: {message}")));
            }
            if self.current_cut {
                return self.stop();
            }
            if let Some(done) = self.ready.pop_front() {
                self.current_cut = done.panic.is_none() && done.ran < done.len;
                self.current = done.outputs.into_iter();
                self.current_panic = done.panic;
                continue;
            }
            if self.over || self.exhausted || self.shared.limit() <= self.pulled {
                if !self.over && !self.exhausted {
                    // Stopped between batches, maybe with items left.
                    self.shared.note_unread(may_have_more(&self.items));
                }
                if !self.over && self.shared.was_cut() {
                    return self.stop();
                }
                self.over = true;
                if let Some(watch) = self.shared.watch.take() {
                    // The last report.
                    let _ = watch.finish(Ok(()));
                }
                return None;
            }
            self.fill();
        }
    }
}

impl<Shape, I: Iterator, S, O> Drop for Ordered<Shape, I, S, O> {
    fn drop(&mut self) {
        // Dropped before its end: no report after this, and its bar is taken down.
        if let Some(watch) = self.shared.watch.take() {
            watch.close();
        }
    }
}

impl<Shape, I: Iterator, S, O> Ordered<Shape, I, S, O> {
    /// Ends the stream with its watch's stop.
    #[cold]
    fn stop(&mut self) -> Option<Result<O, Stopped>> {
        self.over = true;
        self.current_cut = false;
        self.ready.clear();
        let watch = self.shared.watch.take()?;
        watch
            .finish::<O>(Err(Failure::stopped()))
            .err()
            .map(|stopped| Err(stopped.cut_at_first_gap()))
    }
}

/// Calls `f` on every item of `items` on `jobs` workers, in the background: the returned
/// iterator yields `(index, result)` pairs as the results complete, `index` being the item's
/// position in `items`. At most [`Jobs::in_flight`] items are held at once (pulled but not yet
/// taken).
///
/// ```
/// use parallelize::par_map_unordered;
///
/// let mut results: Vec<(usize, u64)> = par_map_unordered(0..100_u64, 4, |x| x * x).collect();
/// results.sort_unstable();
/// assert_eq!(results[7], (7, 49));
/// assert_eq!(results.len(), 100);
/// ```
///
/// Unlike [`par_map_iter`], the workers go on while the consumer is busy with a result, up to
/// the bound; so the items, the results and `f` must be `'static` (owned data, `Arc`s): the
/// iterator may be dropped, or forgotten, at any time, and nothing could then keep the work
/// from outliving what it borrowed. The iterator of `items` itself is read on the consumer's
/// thread, inside `next`, and need not be `Send`. Dropping the iterator stops the work: no
/// item starts once the workers see it (items already running finish; their results are
/// dropped).
///
/// From inside a pool's worker (a nested call) nothing may wait for the pool in the
/// background, and with one worker there is no background: results then come in input order,
/// a batch at a time, as from [`par_map_iter`].
///
/// # Panics
///
/// If `f` panics on item `N`, no new item starts, and `next` panics with `item N panicked:
/// {message}` when it reaches that result; the iterator is then over. Also if `jobs` is `0`.
// `Iterator` spelled out (`Stoppable` implies it) for the reader of the signature.
#[allow(clippy::implied_bounds_in_impls)]
#[track_caller]
pub fn par_map_unordered<I, R, F>(
    items: I,
    jobs: impl Into<Jobs>,
    f: F,
) -> impl Iterator<Item = (usize, R)> + Stoppable
where
    I: IntoIterator,
    I::Item: SendArgument + 'static,
    R: SendResult + 'static,
    F: Fn(I::Item) -> R + Send + Sync + 'static,
{
    let jobs = jobs.into();
    if jobs.workers() == 1 || inside_worker() {
        let ordered = map_iter::<One, _, _, _>(items, jobs, f);
        return Either::Left(Numbered(ordered, 0));
    }
    let items = items.into_iter();
    let watch = Watch::start(&jobs, exact_size(&items));
    let (sender, receiver) = channel();
    Either::Right(Unordered {
        items: items.fuse(),
        work: Arc::new(Work {
            f,
            shared: Shared::new(OnPanic::StopAll).watched(watch),
        }),
        pool: OnceLock::new(),
        workers: jobs.workers(),
        bound: jobs.in_flight_bound(),
        sender,
        receiver,
        pulled: 0,
        taken: 0,
        current: Vec::new(),
        current_panic: None,
        exhausted: false,
        over: false,
    })
}

/// What the background pieces of an unordered stream share with it.
struct Work<F> {
    f: F,
    shared: Shared,
}

/// The unordered stream (see [`par_map_unordered`]).
struct Unordered<I: Iterator, F, R> {
    items: Fuse<I>,
    work: Arc<Work<F>>,
    /// The pool, found on the first `next` and held (never released) while the stream lives.
    pool: OnceLock<Background>,
    workers: usize,
    bound: usize,
    sender: Sender<Done<R>>,
    receiver: Receiver<Done<R>>,
    pulled: usize,
    taken: usize,
    /// A finished piece's results not yet taken, last first.
    current: Vec<(usize, Sendable<R, One>)>,
    current_panic: Option<(usize, String)>,
    exhausted: bool,
    over: bool,
}

impl<I, F, R> Unordered<I, F, R>
where
    I: Iterator,
    I::Item: SendArgument + 'static,
    R: SendResult + 'static,
    F: Fn(I::Item) -> R + Send + Sync + 'static,
{
    /// Pulls pieces and sends them to the pool until the bound is reached or the input ends.
    fn top_up(&mut self) {
        let pool = self.pool.get_or_init(|| Background::of(self.workers));
        let window = window(&self.work.shared, self.workers, self.bound);
        while !self.exhausted && self.pulled - self.taken < window {
            if self.work.shared.stops_at(self.pulled) {
                self.work.shared.note_unread(may_have_more(&self.items));
                self.exhausted = true;
                break;
            }
            let room = window - (self.pulled - self.taken);
            let want = self
                .work
                .shared
                .piece_len(room.div_ceil(self.workers.saturating_mul(4)));
            let piece: Vec<Sendable<I::Item, One>> =
                self.items.by_ref().take(want).map(Sendable::new).collect();
            if piece.len() < want {
                self.exhausted = true;
                if let Some(watch) = self.work.shared.watch.as_deref() {
                    watch.input_ended(self.pulled + piece.len());
                }
            }
            if piece.is_empty() {
                break;
            }
            let first = self.pulled;
            self.pulled += piece.len();
            let (work, sender) = (Arc::clone(&self.work), self.sender.clone());
            let len = piece.len();
            pool.spawn(move || {
                let step = |item: I::Item, sink: &mut Sink<'_, R>| {
                    sink.push((work.f)(item));
                    false
                };
                // Items' panics are caught per item; this catches what is left (a `Drop` of an
                // item or a result that panics), which in a spawned job would abort the
                // process, or leave the stream waiting for a piece that never comes.
                let sent = catch_unwind(AssertUnwindSafe(|| {
                    let done = run_piece_owned(&work.shared, &step, first, piece);
                    // The stream may be gone: its results are then dropped here.
                    let _ = sender.send(done);
                }));
                if let Err(payload) = sent {
                    work.shared.lower(0);
                    let message = payload_message(&*payload);
                    let _ = sender.send(Done::failed(first, len, message));
                }
            });
        }
    }
}

impl<I: Iterator, F, R> Unordered<I, F, R> {
    /// The next finished piece. Consumed on a pool's worker (the stream was made outside and
    /// moved in), the pieces may be waiting in that very worker's queue: it runs pool work
    /// while it waits, instead of blocking.
    fn receive(&self) -> Option<Done<R>> {
        if !inside_worker() {
            return self.receiver.recv().ok();
        }
        loop {
            match self.receiver.try_recv() {
                Ok(done) => return Some(done),
                Err(TryRecvError::Disconnected) => return None,
                Err(TryRecvError::Empty) => {
                    if rayon::yield_now() != Some(rayon::Yield::Executed) {
                        std::thread::yield_now();
                    }
                }
            }
        }
    }
}

impl<I, F, R> Iterator for Unordered<I, F, R>
where
    I: Iterator,
    I::Item: SendArgument + 'static,
    R: SendResult + 'static,
    F: Fn(I::Item) -> R + Send + Sync + 'static,
{
    type Item = (usize, R);

    #[track_caller]
    fn next(&mut self) -> Option<(usize, R)> {
        self.next_checked().map(or_raise_stopped)
    }
}

impl<I: Iterator, F, R> Sealed for Unordered<I, F, R> {}

impl<I, F, R> Stoppable for Unordered<I, F, R>
where
    I: Iterator,
    I::Item: SendArgument + 'static,
    R: SendResult + 'static,
    F: Fn(I::Item) -> R + Send + Sync + 'static,
{
    fn next_checked(&mut self) -> Option<Result<(usize, R), Stopped>> {
        loop {
            if let Some((index, result)) = self.current.pop() {
                self.taken += 1;
                return Some(Ok((index, result.0)));
            }
            if let Some((index, message)) = self.current_panic.take() {
                self.over = true;
                resume_unwind(Box::new(format!("item {index} panicked: {message}")));
            }
            if self.over {
                return None;
            }
            self.top_up();
            if self.pulled == self.taken {
                // Every piece is back: the end, or the stop.
                self.over = true;
                let watch = Arc::clone(self.work.shared.watch.as_ref()?);
                let outcome = if self.work.shared.was_cut() {
                    Err(Failure::stopped())
                } else {
                    Ok(())
                };
                return watch.finish(outcome).err().map(Err);
            }
            let Some(done) = self.receive() else {
                // Unreachable: the stream holds a sender.
                return None;
            };
            // Items that never ran (after a panic, or a stop) give nothing: taken as they are.
            self.taken += done.len - done.outputs.len();
            self.current = done
                .outputs
                .into_iter()
                .enumerate()
                .map(|(offset, result)| (done.first + offset, result))
                .rev()
                .collect();
            self.current_panic = done.panic;
        }
    }
}

/// A one-worker (or nested) unordered stream: the ordered stream, each result with its index.
struct Numbered<S>(S, usize);

impl<S: Iterator> Iterator for Numbered<S> {
    type Item = (usize, S::Item);

    #[track_caller]
    fn next(&mut self) -> Option<Self::Item> {
        let result = self.0.next()?;
        self.1 += 1;
        Some((self.1 - 1, result))
    }
}

impl<S> Sealed for Numbered<S> {}

impl<S: Stoppable> Stoppable for Numbered<S> {
    fn next_checked(&mut self) -> Option<Result<Self::Item, Stopped>> {
        let result = self.0.next_checked()?;
        self.1 += 1;
        Some(result.map(|result| (self.1 - 1, result)))
    }
}

impl<L, R> Sealed for Either<L, R> {}

impl<L, R> Stoppable for Either<L, R>
where
    L: Stoppable,
    R: Stoppable<Item = L::Item>,
{
    fn next_checked(&mut self) -> Option<Result<L::Item, Stopped>> {
        match self {
            Either::Left(left) => left.next_checked(),
            Either::Right(right) => right.next_checked(),
        }
    }
}

impl<I: Iterator, F, R> Drop for Unordered<I, F, R> {
    fn drop(&mut self) {
        // No item starts once the workers see this; pieces already sent finish their running
        // item and drop the rest, and their results with the channel.
        self.work.shared.lower(0);
        if let Some(watch) = &self.work.shared.watch {
            // No report after this (pieces still running may finish), and the bar comes down.
            watch.close();
        }
    }
}
