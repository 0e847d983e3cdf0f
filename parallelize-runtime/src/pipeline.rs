//! The chunked pipeline: items pulled from an iterator on the calling thread, a piece at a
//! time, each piece run on a worker while the caller pulls the next. What every entry point
//! given a plain iterator uses, so that the first items are on the workers long before the
//! last are pulled, and what the streams and the reduction are built on.
//!
//! - **Pieces.** A piece is a `Vec` of consecutive items and the index of its first. Its length
//!   is chosen from the items measured so far, so that a piece takes about [`PIECE_NANOS`]: one
//!   item while nothing is measured (coarse items are never batched blindly), then as many as
//!   fit, up to twice the items measured, to [`MAX_PIECE`] and to a fair share of what is left
//!   to pull. Two `Vec`s and one
//!   rayon job per piece, nothing per item.
//! - **Where they run.** From outside any pool the caller pulls inside a rayon
//!   `in_place_scope` of the call's pool and spawns each piece into it (rayon does the threads
//!   and the stealing). From inside a worker (a nested call) the caller is one of the pool's
//!   threads: it pulls the batch first and the pieces then run as an indexed parallel
//!   iterator cut into at most the call's lanes, as every nested call does.
//! - **Stopping.** The pieces share a limit: an item at or past it does not start. A panic
//!   lowers it to 0 ([`OnPanic::StopAll`], a call whose panic is its answer) or to its own
//!   index ([`OnPanic::KeepEarlier`], a stream or a `try` call, whose answer needs every item
//!   before it); a failing `try` item lowers it past itself. The caller stops pulling at the
//!   limit too.

use std::mem::MaybeUninit;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::ptr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::bounds::{One, SendItem, Sendable};
use crate::items::may_have_more;
use crate::map::piece;
use crate::panic::{Failure, payload_message};
use crate::pool::{inside_worker, run_in_pool_as, scope_outside};
use crate::watch::{Interrupted, Watch, enter};

/// What one piece's run aims to take: long enough that its own cost (a rayon job, two `Vec`s,
/// two clock reads: about a microsecond) is lost in it, short enough that the last pieces of a
/// call leave no worker idle for long.
const PIECE_NANOS: u64 = 1_000_000;

/// How many items a known cost per item counts for (see [`Shared::seeded`]).
const SEEDED: u64 = 1024;

/// The most items in one piece: bounds a piece's memory when items are nearly free.
const MAX_PIECE: usize = 1 << 14;

/// What an item's panic does to the items after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnPanic {
    /// No item starts after it: a call that returns every result, whose answer the panic is.
    StopAll,
    /// Items before it still run, none after it starts: a stream, which yields the results
    /// before it, and a `try` call, whose answer may be an earlier item's error.
    KeepEarlier,
}

/// What the pieces of one call share.
pub(crate) struct Shared {
    /// Items at or past this index do not start.
    limit: AtomicUsize,
    /// The pieces' own time and item count, for the length of the next piece.
    busy_nanos: AtomicU64,
    busy_items: AtomicU64,
    on_panic: OnPanic,
    /// Every piece one item: coarse tasks, never batched.
    one_each: bool,
    /// The call's watch, if it is watched.
    pub(crate) watch: Option<Arc<Watch>>,
}

impl Shared {
    pub(crate) fn new(on_panic: OnPanic) -> Shared {
        Shared {
            limit: AtomicUsize::new(usize::MAX),
            busy_nanos: AtomicU64::new(0),
            busy_items: AtomicU64::new(0),
            on_panic,
            one_each: false,
            watch: None,
        }
    }

    /// Watched by `watch` (if any): its stop stops the items, and they report to it.
    pub(crate) fn watched(self, watch: Option<Arc<Watch>>) -> Shared {
        Shared { watch, ..self }
    }

    /// Whether the pieces may start no more items: the limit is reached, or the watch says
    /// stop (then the limit says so too, to the other threads).
    pub(crate) fn stops_at(&self, index: usize) -> bool {
        index >= self.limit() || self.watch.as_deref().is_some_and(|watch| self.told(watch))
    }

    #[cold]
    #[inline(never)]
    fn told(&self, watch: &Watch) -> bool {
        let stopping = watch.stopping();
        if stopping {
            self.lower(0);
        }
        stopping
    }

    /// The caller stopped pulling because the call stops: if its watch stopped it and items
    /// were `left` unread, the call was cut short.
    pub(crate) fn note_unread(&self, left: bool) {
        if let Some(watch) = self.watch.as_deref() {
            watch.cut_if_left(left);
        }
    }

    /// Whether the watch stopped the call with items skipped: its outputs are then no answer.
    pub(crate) fn was_cut(&self) -> bool {
        self.watch.as_deref().is_some_and(Watch::was_cut)
    }

    /// Every piece one item (coarse tasks, each its own unit of work).
    pub(crate) fn one_each(self) -> Shared {
        Shared {
            one_each: true,
            ..self
        }
    }

    /// Starts from what earlier calls learned an item costs (`picos` picoseconds), as if
    /// [`SEEDED`] items had been measured: the pieces then start near their right length
    /// instead of growing from one item.
    pub(crate) fn seeded(self, picos: Option<u64>) -> Shared {
        if let Some(picos) = picos {
            let items = SEEDED;
            self.busy_items.store(items, Ordering::Relaxed);
            self.busy_nanos.store(
                (picos.saturating_mul(items) / 1000).max(1),
                Ordering::Relaxed,
            );
        }
        self
    }

    /// Items at or past this index do not start.
    #[inline]
    pub(crate) fn limit(&self) -> usize {
        // Relaxed: a hint to stop early; what a stopped item would have given is decided by
        // the pieces' own records, read after the workers are done.
        self.limit.load(Ordering::Relaxed)
    }

    /// Stops every item at or past `limit` from starting.
    #[cold]
    pub(crate) fn lower(&self, limit: usize) {
        self.limit.fetch_min(limit, Ordering::Relaxed);
    }

    /// The time per item measured so far, if any: `(nanoseconds, items)`.
    pub(crate) fn measured(&self) -> Option<(u64, u64)> {
        let items = self.busy_items.load(Ordering::Relaxed);
        (items > 0).then(|| (self.busy_nanos.load(Ordering::Relaxed).max(1), items))
    }

    /// The length of the next piece, at most `cap` (see the module's documentation).
    ///
    /// A piece is never more than twice the items measured so far: the first items may not
    /// be typical (items whose cost grows with their index would otherwise be sized from the
    /// cheapest, and a few huge pieces would leave workers idle at the end).
    pub(crate) fn piece_len(&self, cap: usize) -> usize {
        if self.one_each {
            return 1;
        }
        let len = self.measured().map_or(1, |(nanos, items)| {
            let fits = PIECE_NANOS.saturating_mul(items) / nanos;
            usize::try_from(fits.min(items.saturating_mul(2))).unwrap_or(usize::MAX)
        });
        len.clamp(1, cap.clamp(1, MAX_PIECE))
    }

    fn record(&self, started: Instant, items: usize) {
        let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.busy_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.busy_items
            .fetch_add(u64::try_from(items).unwrap_or(u64::MAX), Ordering::Relaxed);
    }
}

/// One piece's outputs, in order: everything its items gave before it stopped, and the panic
/// that stopped it, if one did.
pub(crate) struct Done<O> {
    /// The index of the piece's first item in the whole call.
    pub(crate) first: usize,
    /// How many items the piece carried (run or not).
    pub(crate) len: usize,
    /// How many of them ran (the first `ran`).
    pub(crate) ran: usize,
    /// Where the piece's slots start in the call's slots, and how many it wrote (see [`Sink`]).
    slot_start: usize,
    written: usize,
    /// The outputs it did not write into slots.
    pub(crate) outputs: Vec<Sendable<O, One>>,
    /// The index and message of the item whose panic stopped the piece.
    pub(crate) panic: Option<(usize, String)>,
}

impl<O> Done<O> {
    /// The outputs of a run that is the whole call ([`run_here`]): the item's panic that stopped
    /// it, or the watch's stop, if either did.
    pub(crate) fn answer(self, shared: &Shared) -> Result<Vec<Sendable<O, One>>, Failure> {
        if let Some((index, message)) = self.panic {
            return Err(Failure::item(index, message));
        }
        if shared.was_cut() {
            return Err(Failure::stopped());
        }
        Ok(self.outputs)
    }

    /// The outputs of a run of `len` items from `first` made outside a piece (inline), and the
    /// panic that stopped it, if one did.
    pub(crate) fn of(
        first: usize,
        len: usize,
        outputs: Vec<Sendable<O, One>>,
        panic: Option<(usize, String)>,
    ) -> Done<O> {
        Done {
            first,
            len,
            ran: outputs.len(),
            slot_start: 0,
            written: 0,
            outputs,
            panic,
        }
    }

    /// A piece of `len` items from `first` that failed as a whole, with `message`.
    pub(crate) fn failed(first: usize, len: usize, message: String) -> Done<O> {
        Done {
            first,
            len,
            ran: 0,
            slot_start: 0,
            written: 0,
            outputs: Vec::new(),
            panic: Some((first, message)),
        }
    }
}

/// Where a piece's items put their outputs: into the call's own output slots while the piece
/// has some (a call that knows how many results it will have writes each in its place, with
/// no second copy), then into a `Vec` of the piece's own.
pub(crate) struct Sink<'s, O> {
    slots: &'s mut [MaybeUninit<Sendable<O, One>>],
    /// `slots[..written]` hold outputs.
    written: usize,
    overflow: Vec<Sendable<O, One>>,
}

impl<O> Sink<'_, O> {
    /// A sink with no slots, appending to `outputs`.
    pub(crate) fn into_vec(outputs: Vec<Sendable<O, One>>) -> Self {
        Sink {
            slots: &mut [],
            written: 0,
            overflow: outputs,
        }
    }

    /// The outputs appended.
    pub(crate) fn outputs(self) -> Vec<Sendable<O, One>> {
        self.overflow
    }

    /// Appends `output`.
    #[inline]
    pub(crate) fn push(&mut self, output: O) {
        if let Some(slot) = self.slots.get_mut(self.written) {
            slot.write(Sendable::new(output));
            self.written += 1;
        } else {
            self.overflow.push(Sendable::new(output));
        }
    }

    fn len(&self) -> usize {
        self.written + self.overflow.len()
    }

    /// Takes the last output back out.
    pub(crate) fn pop(&mut self) -> Option<O> {
        if let Some(output) = self.overflow.pop() {
            return Some(output.0);
        }
        if self.written == 0 {
            return None;
        }
        self.written -= 1;
        // SAFETY: `slots[written]` (before the decrement, `written - 1`) was written by `push`
        // and nothing moved it out; `written` no longer counts it, so it is read once.
        Some(unsafe { self.slots[self.written].assume_init_read() }.0)
    }

    /// Drops the outputs past the first `len`.
    fn truncate(&mut self, len: usize) {
        if len < self.written {
            self.overflow.clear();
            let dropped = self.written - len;
            self.written = len;
            // SAFETY: `slots[len..len + dropped]` were written by `push` and nothing moved
            // them out; `written` no longer counts them, so they are dropped once.
            unsafe {
                ptr::drop_in_place(ptr::slice_from_raw_parts_mut(
                    self.slots.as_mut_ptr().add(len).cast::<Sendable<O, One>>(),
                    dropped,
                ));
            }
        } else {
            self.overflow.truncate(len - self.written);
        }
    }
}

/// The work one item does: its outputs appended to the sink (none, one or several), and
/// whether it failed (a `try` item's error: the items after it need not start). Any closure
/// of that shape.
pub(crate) trait Step<T, O>: Fn(T, &mut Sink<'_, O>) -> bool + Sync {}
impl<T, O, F: Fn(T, &mut Sink<'_, O>) -> bool + Sync> Step<T, O> for F {}

/// Runs `items` (the first is item `first` of the call) into `sink` until one fails or panics
/// or the limit (or the call's watch) says it may not start; returns how many it took and the
/// panic that stopped them, if one did (its outputs dropped).
pub(crate) fn run_into<T, O>(
    shared: &Shared,
    step: &impl Step<T, O>,
    first: usize,
    items: impl Iterator<Item = T>,
    sink: &mut Sink<'_, O>,
) -> (usize, Option<(usize, String)>) {
    // Calls the items make inherit this call's stop conditions (none, if unwatched).
    let _entered = enter(shared.watch.as_deref());
    // One guard for the whole run (free until it catches), not one per item, so that the
    // loop over cheap items stays a plain loop: the item being run, and the outputs before
    // it, are noted before each call. AssertUnwindSafe: after a panic the item's outputs are
    // dropped, never observed; what the function shares with the caller is the caller's to
    // guard, as with `thread::scope`.
    let mut run = Run {
        current: (first, 0),
        ran: 0,
        in_step: true,
        reported: 0,
    };
    let ended = catch_unwind(AssertUnwindSafe(|| match shared.watch.as_deref() {
        None => {
            for (offset, item) in items.enumerate() {
                let index = first + offset;
                if index >= shared.limit() {
                    break;
                }
                run.ran = offset + 1;
                run.current = (index, sink.len());
                if step(item, sink) {
                    shared.lower(index + 1);
                    break;
                }
            }
        }
        Some(watch) => run_watched(shared, watch, step, (first, items), sink, &mut run),
    }));
    let Err(payload) = ended else {
        return (run.ran, None);
    };
    if !run.in_step {
        // Not an item's panic: the input's own (a watched run on the caller's thread reads
        // the user's iterator here), or a progress report's. It passes through unchanged.
        shared.lower(0);
        resume_unwind(payload);
    }
    let (index, before) = run.current;
    sink.truncate(before);
    if payload.is::<Interrupted>()
        && let Some(watch) = shared.watch.as_deref()
    {
        // A call the item made was stopped by this call's stop: the item did not finish (the
        // ones before it in its block did), and this call is stopping too.
        drop(payload);
        watch.done(first + run.reported..index);
        shared.lower(0);
        watch.cut();
        return (index - first, None);
    }
    let message = payload_message(&*payload);
    drop(payload);
    shared.lower(match shared.on_panic {
        OnPanic::StopAll => 0,
        OnPanic::KeepEarlier => index,
    });
    (run.ran, Some((index, message)))
}

/// Where a run of items is, for [`run_into`]'s handling of a panic.
struct Run {
    /// The item being run (or last run), and the outputs before it.
    current: (usize, usize),
    /// How many items were taken.
    ran: usize,
    /// Whether a panic now is the item's (not the input's, nor a report's).
    in_step: bool,
    /// How many items from the start of the run were reported finished to the watch.
    reported: usize,
}

/// How long a run of a watched call's items may take before the next look at its watch.
const WATCH_BLOCK: Duration = Duration::from_micros(10);

/// The most items in one block of a watched run: bounds how many can start after a stop.
const WATCH_MAX_BLOCK: usize = 4096;

/// [`run_into`]'s loop for a watched call: in blocks, the watch asked (and the finished items
/// reported to it) between blocks; a block starts at one item and doubles while it takes less
/// than [`WATCH_BLOCK`], as the engine's indexed runs do.
fn run_watched<T, O>(
    shared: &Shared,
    watch: &Watch,
    step: &impl Step<T, O>,
    (first, items): (usize, impl Iterator<Item = T>),
    sink: &mut Sink<'_, O>,
    run: &mut Run,
) {
    let mut items = items.enumerate();
    let mut block = 1;
    let mut block_started = Instant::now();
    loop {
        let offset = run.ran;
        if offset == run.reported + block || offset == 0 {
            // Between blocks (not an item's: a report that panics is not the item's panic).
            run.in_step = false;
            watch.done(first + run.reported..first + offset);
            run.reported = offset;
            if shared.stops_at(first + offset) {
                watch.cut_if_left(may_have_more(&items));
                return;
            }
            let now = Instant::now();
            if offset > 0 {
                block = if now - block_started < WATCH_BLOCK {
                    block.saturating_mul(2).min(WATCH_MAX_BLOCK)
                } else {
                    (block / 2).max(1)
                };
            }
            block_started = now;
        }
        run.in_step = false;
        let Some((offset, item)) = items.next() else {
            break;
        };
        let index = first + offset;
        if index >= shared.limit() {
            if watch.stopping() {
                // Stopped by another thread that saw the watch: this item is skipped.
                watch.cut();
            }
            break;
        }
        run.ran = offset + 1;
        run.current = (index, sink.len());
        run.in_step = true;
        if step(item, sink) {
            shared.lower(index + 1);
            break;
        }
    }
    run.in_step = false;
    watch.done(first + run.reported..first + run.ran);
    run.reported = run.ran;
}

/// Runs `items` here, on the calling thread (a watched call on one worker), into a `Vec` of
/// `capacity`: a [`Done`] whose outputs are the answer unless [`Done::answer`] says otherwise.
pub(crate) fn run_here<T, O>(
    shared: &Shared,
    step: &impl Step<T, O>,
    items: impl Iterator<Item = T>,
    capacity: usize,
) -> Done<O> {
    let mut sink = Sink::into_vec(Vec::with_capacity(capacity));
    let (ran, panic) = run_into(shared, step, 0, items, &mut sink);
    Done::of(0, ran, sink.outputs(), panic)
}

/// Runs one piece, whose first item is item `first` of the call, writing into `slots` (which
/// start at `slot_start` in the call's slots) while they last.
fn run_piece<T, O, Shape>(
    shared: &Shared,
    step: &impl Step<T, O>,
    (first, items): (usize, &mut Vec<Sendable<T, Shape>>),
    (slot_start, slots): (usize, &mut [MaybeUninit<Sendable<O, One>>]),
) -> Done<O> {
    let started = Instant::now();
    let len = items.len();
    let mut sink = Sink {
        overflow: Vec::with_capacity(items.len().saturating_sub(slots.len())),
        slots,
        written: 0,
    };
    let (ran, panic) = run_into(
        shared,
        step,
        first,
        // Drained, so that the buffer can carry the next piece; items after a stop are
        // dropped.
        items.drain(..).map(|item| item.0),
        &mut sink,
    );
    shared.record(started, ran);
    Done {
        first,
        len,
        ran,
        slot_start,
        written: sink.written,
        outputs: sink.overflow,
        panic,
    }
}

/// The buffers that carry pieces to the workers, used again once a piece is done (and, kept by
/// a stream, from one batch to the next): pieces then
/// land in memory already mapped (a fresh allocation of a large piece costs a page fault per
/// page), and the caller, which waits while [`Buffers::MOST`] pieces per worker are out, never
/// runs far ahead of the workers.
pub(crate) struct Buffers<P> {
    /// The buffers given back, and how many pieces are out.
    free: Mutex<(Vec<Vec<P>>, usize)>,
    given_back: Condvar,
    most: usize,
}

impl<P> Buffers<P> {
    /// Pieces out per worker before the caller waits.
    const MOST: usize = 4;

    pub(crate) fn new(workers: usize) -> Self {
        Buffers {
            free: Mutex::new((Vec::new(), 0)),
            given_back: Condvar::new(),
            most: workers.saturating_mul(Self::MOST).max(2),
        }
    }

    /// At most `bound` pieces out (so that, one item each, they hold at most `bound` items).
    pub(crate) fn at_most(self, bound: usize) -> Self {
        Buffers {
            most: self.most.min(bound).max(1),
            ..self
        }
    }

    /// A buffer for the next piece. With the most pieces out, waits until half of them are
    /// back: the caller then pulls several pieces per wake-up (each wake-up of a thread beside
    /// busy workers costs them a context switch where cores are few).
    fn take(&self) -> Vec<P> {
        let mut free = lock(&self.free);
        if free.1 >= self.most {
            while free.1 > self.most / 2 {
                free = self
                    .given_back
                    .wait(free)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        }
        free.1 += 1;
        free.0.pop().unwrap_or_default()
    }
}

/// A buffer out with a piece; given back (emptied) when dropped.
struct Lent<'b, P>(&'b Buffers<P>, Vec<P>);

impl<P> Drop for Lent<'_, P> {
    fn drop(&mut self) {
        let mut buffer = std::mem::take(&mut self.1);
        buffer.clear();
        let mut free = lock(&self.0.free);
        free.0.push(buffer);
        free.1 -= 1;
        // The caller waits for half the pieces to be back (see `Buffers::take`).
        let wake = free.1 <= self.0.most / 2;
        drop(free);
        if wake {
            self.0.given_back.notify_one();
        }
    }
}

/// Runs `items`, a piece of its own (the first is item `first` of the call), here: for work
/// sent to the pool by a stream.
pub(crate) fn run_piece_owned<T, O, Shape>(
    shared: &Shared,
    step: &impl Step<T, O>,
    first: usize,
    mut items: Vec<Sendable<T, Shape>>,
) -> Done<O> {
    run_piece(shared, step, (first, &mut items), (0, &mut []))
}

/// What [`run_batch`] pulled.
pub(crate) struct Batch<O> {
    /// The pieces' outputs, in input order.
    pub(crate) pieces: Vec<Done<O>>,
    /// How many items were pulled.
    pub(crate) pulled: usize,
    /// Whether the input ran out.
    pub(crate) exhausted: bool,
}

/// Pulls up to `budget` items from `items` (the first is item `first` of the call) and runs
/// them through `step` on `workers` workers (`exact`: the call's first items, one per worker,
/// must be able to run at once, so each is a piece of its own; see `Jobs::adaptive`);
/// returns when every piece is done. Stops pulling once `shared`'s limit is reached. Pieces that get `slots` write their outputs there (see [`Sink`]).
pub(crate) fn run_batch<Shape, T, O, I, S>(
    items: &mut I,
    (first, budget): (usize, usize),
    slots: &mut [MaybeUninit<Sendable<O, One>>],
    (shared, step, buffers): (&Shared, &S, &Buffers<Sendable<T, Shape>>),
    (workers, exact): (usize, bool),
) -> Batch<O>
where
    I: Iterator<Item = T>,
    T: SendItem<Shape>,
    S: Step<T, O>,
    O: SendItem<One>,
{
    if inside_worker() {
        return gathered_batch::<Shape, _, _, _, _>(
            items,
            (first, budget),
            shared,
            step,
            (workers, exact),
        );
    }
    let mut pieces = Vec::new();
    let (pulled, exhausted) = pull_and_run::<Shape, _, _, _, _>(
        items,
        (first, budget, usize::MAX),
        slots,
        (shared, step, buffers),
        (workers, exact),
        &mut |done| pieces.push(done),
    );
    pieces.sort_unstable_by_key(|done| done.first);
    Batch {
        pieces,
        pulled,
        exhausted,
    }
}

/// [`run_batch`] over the whole input, with no slots: a call that returns once every item is
/// done.
pub(crate) fn run_all<Shape, T, O, I, S>(
    mut items: I,
    shared: &Shared,
    step: &S,
    (workers, exact): (usize, bool),
) -> Vec<Done<O>>
where
    I: Iterator<Item = T>,
    T: SendItem<Shape>,
    S: Step<T, O>,
    O: SendItem<One>,
{
    let buffers = Buffers::new(workers);
    let batch = run_batch::<Shape, _, _, _, _>(
        &mut items,
        (0, usize::MAX),
        &mut [],
        (shared, step, &buffers),
        (workers, exact),
    );
    batch.pieces
}

/// The pipeline itself, from outside the pools: pulls up to `budget` items in pieces, never
/// more than `bound` of them in pieces not yet handed to `finished`, and runs each piece on
/// the pool while pulling the next. `finished` gets each piece once it is done, on the calling
/// thread, in the order they finish. Returns how many items were pulled and whether the input
/// ran out.
pub(crate) fn pull_and_run<Shape, T, O, I, S>(
    items: &mut I,
    (first, budget, bound): (usize, usize, usize),
    mut slots: &mut [MaybeUninit<Sendable<O, One>>],
    (shared, step, buffers): (&Shared, &S, &Buffers<Sendable<T, Shape>>),
    (workers, exact): (usize, bool),
    finished: &mut impl FnMut(Done<O>),
) -> (usize, bool)
where
    I: Iterator<Item = T>,
    T: SendItem<Shape>,
    S: Step<T, O>,
    O: SendItem<One>,
{
    // Two items are looked at first: with fewer there is nothing to share out, and the one
    // item (if any) runs here, with no pool.
    let head: Vec<T> = items.by_ref().take(budget.min(2)).collect();
    if head.len() < 2 {
        let pulled = head.len();
        let mut piece = Sendable::<_, Shape>::wrap_vec(head);
        if pulled < budget
            && let Some(watch) = shared.watch.as_deref()
        {
            watch.input_ended(first + pulled);
        }
        finished(run_piece(shared, step, (first, &mut piece), (0, slots)));
        return (pulled, pulled < budget);
    }
    let done = Mutex::new(Vec::new());
    let take_done = |finished: &mut dyn FnMut(Done<O>)| {
        let pieces = std::mem::take(&mut *lock(&done));
        pieces.into_iter().for_each(finished);
    };
    let mut head = Sendable::<_, Shape>::wrap_vec(head);
    let mut pulled = 0;
    let mut exhausted = false;
    scope_outside(workers, |scope| {
        while pulled < budget {
            if shared.stops_at(first + pulled) {
                shared.note_unread(!head.is_empty() || may_have_more(items));
                break;
            }
            // A fair share of what is left (or of the bound), so that the work still spreads
            // over every worker; one item each where items must all be able to run at once.
            // (The input's own count, where it gives one, is only a hint to size pieces by.)
            let left = match items.size_hint().0.saturating_add(head.len()) {
                0 => usize::MAX,
                known => known,
            };
            // Where items must be able to run at once (`exact`), the first of them (one per
            // worker) each in a piece of its own, as rayon splits an indexed call of that many.
            let cap = if exact && pulled < workers {
                1
            } else {
                // Floored: the pieces out, at most `buffers.most`, then hold at most `bound`.
                ((budget - pulled).min(bound).min(left) / buffers.most).max(1)
            };
            let want = shared.piece_len(cap);
            // Lent at once: given back however this ends (the input's own `next` may panic).
            let mut piece = Lent(buffers, buffers.take());
            take_done(finished);
            piece.1.extend(head.drain(..want.min(head.len())));
            piece
                .1
                .extend(items.by_ref().take(want - piece.1.len()).map(Sendable::new));
            if piece.1.is_empty() {
                // Back unused: a stream's next batch takes it again.
                exhausted = true;
                break;
            }
            let (start, got) = (first + pulled, piece.1.len());
            // Slots for every item or none: the slots written stay one run from the start.
            let fits = if slots.len() >= got { got } else { 0 };
            let (mine, rest) = std::mem::take(&mut slots).split_at_mut(fits);
            if fits > 0 {
                slots = rest;
            }
            let mine = (pulled, mine);
            pulled += got;
            let done = &done;
            scope.spawn(move |_| {
                // Given back however the piece ends: the caller may be waiting for it.
                let mut piece = piece;
                let finished = run_piece(shared, step, (start, &mut piece.1), mine);
                lock(done).push(finished);
                drop(piece);
            });
            if got < want {
                exhausted = true;
                break;
            }
        }
    })
    .unwrap_or_else(|| unreachable!("parallelize: a scope outside the pools was refused"));
    take_done(finished);
    if exhausted && let Some(watch) = shared.watch.as_deref() {
        watch.input_ended(first + pulled);
    }
    (pulled, exhausted)
}

/// [`run_batch`] from inside a worker: the batch is pulled first, then cut into at most the
/// call's lanes on the pool the caller is in (see `pool::run_in_pool_as`).
fn gathered_batch<Shape, T, O, I, S>(
    items: &mut I,
    (first, budget): (usize, usize),
    shared: &Shared,
    step: &S,
    (workers, exact): (usize, bool),
) -> Batch<O>
where
    I: Iterator<Item = T>,
    T: SendItem<Shape>,
    S: Step<T, O>,
    O: SendItem<One>,
{
    let gathered: Vec<T> = items.by_ref().take(budget).collect();
    let pulled = gathered.len();
    let exhausted = pulled < budget;
    if exhausted && let Some(watch) = shared.watch.as_deref() {
        watch.input_ended(first + pulled);
    }
    let gathered = Sendable::<_, Shape>::wrap_vec(gathered);
    let pieces = run_in_pool_as(workers, exact, |lanes| {
        // As the engine cuts an indexed call (`map::piece`): at most the call's lanes, and
        // one item each while there are few.
        let len = piece(lanes, pulled, workers);
        gathered
            .into_par_iter()
            .chunks(len)
            .enumerate()
            .map(|(index, mut items)| {
                run_piece(
                    shared,
                    step,
                    (first + index * len, &mut items),
                    (0, &mut []),
                )
            })
            .collect::<Vec<_>>()
    });
    Batch {
        pieces,
        pulled,
        exhausted,
    }
}

/// Whether an input is worth pulling beside the workers: not when it says it has at most one
/// piece's worth of items, which is quicker gathered first and split by rayon where it lies
/// (a pipeline costs a scope and a spawn per piece; pulling so few items costs microseconds).
pub(crate) fn worth_pulling(items: &impl Iterator) -> bool {
    !matches!(items.size_hint().1, Some(most) if most <= MAX_PIECE)
}

/// The lowest panic among `pieces`, if any.
fn first_panic<O>(pieces: &[Done<O>]) -> Option<(usize, String)> {
    pieces
        .iter()
        .filter_map(|done| done.panic.as_ref())
        .min_by_key(|(index, _)| *index)
        .map(|(index, message)| (*index, message.clone()))
}

/// The call's outputs in order, from a [`run_batch`] whose slots were `slots`' spare capacity
/// (empty and untouched since): those the pieces wrote into slots, then the rest. Or the lowest
/// panic among the pieces, or the stop of the call's watch, after every written slot is
/// dropped.
///
/// # Panics
///
/// If pieces without a panic left a gap in the slots: only a step that wrote other than one
/// output per item could, and such steps are given no slots.
pub(crate) fn assemble<O>(
    mut slots: Vec<Sendable<O, One>>,
    pieces: Vec<Done<O>>,
    shared: &Shared,
) -> Result<Vec<O>, Failure> {
    let failure = match first_panic(&pieces) {
        Some((index, message)) => Some(Failure::item(index, message)),
        None => shared.was_cut().then(Failure::stopped),
    };
    if let Some(failure) = failure {
        for done in &pieces {
            // SAFETY: a piece wrote `slots[slot_start..slot_start + written]` (see `Sink`),
            // in the spare capacity of this empty `Vec`, and nothing has moved them out since;
            // pieces' slot ranges are disjoint, so each output is dropped once. The `Vec`
            // keeps length 0 and frees only its buffer.
            unsafe {
                ptr::drop_in_place(ptr::slice_from_raw_parts_mut(
                    slots.as_mut_ptr().add(done.slot_start),
                    done.written,
                ));
            }
        }
        return Err(failure);
    }
    let mut written = 0;
    for done in pieces.iter().filter(|done| done.written > 0) {
        assert_eq!(
            done.slot_start, written,
            "parallelize: a gap in the output slots"
        );
        written += done.written;
    }
    // SAFETY: the pieces that wrote slots wrote `slots[0..written]` without a gap (checked
    // above), each slot once (see `Sink`), within the capacity they were handed.
    unsafe { slots.set_len(written) };
    let rest: usize = pieces.iter().map(|done| done.outputs.len()).sum();
    slots.reserve_exact(rest);
    for done in pieces {
        slots.extend(done.outputs);
    }
    Ok(Sendable::unwrap_vec(slots))
}

/// The finished list's lock: pieces catch their items' panics, so none poisons it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
