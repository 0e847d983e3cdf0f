//! Rank 0's side of a distributed call: chunks handed out on demand, results put back in
//! input order.
//!
//! The calling thread does everything MPI does, between chunks of its own:
//!
//! 1. takes in every `DONE` that has arrived (results into the chunk's slot);
//! 2. tops every serving rank up to [`DEPTH`] chunks in flight, serializing their items
//!    straight from the input (sends never block: `wire::Outbox`);
//! 3. runs one chunk itself, on its own pool, through the local engine (`map_items` or
//!    `try_map_items`), then goes back to 1.
//!
//! Once the input is used up it waits for the chunks still out, polling without holding a
//! core (`wire::wait_for`). A chunk lasts about [`REMOTE_CHUNK`] of work on its rank's
//! threads (the cost per item comes from the chunks that finished), rank 0's own about
//! [`LOCAL_CHUNK`], so that it looks at the messages twice as often as a serving rank finishes
//! a chunk; with [`DEPTH`] chunks queued a serving rank always has the next one.
//!
//! Stopping early: a stop of the call's watch, a failed `try` chunk and a panic on rank 0 end
//! the handing out, and a `CANCEL` tells the serving ranks to skip the chunks they hold that
//! cannot matter any more (all of them, or those after the failed chunk), answering each with
//! an empty `DONE`. Rank 0 then waits for the chunks still out, so that no message is left for
//! the next call. A `try` call answers with the error of the lowest failing chunk once every
//! chunk before it is back; a panic of rank 0's own chunk in a `try` call waits the same way,
//! since an earlier chunk's error is the sequential answer.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::time::{Duration, Instant};

use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator, Destination, Source};

use super::wire::{self, CANCEL, Cancel, DONE, Done, Outbox, Run, STOP};
use super::{Remote, key_hash, spread_call};
use crate::adaptive::Cost;
use crate::bounds::{SendItem, SendResult};
use crate::items::{Driver, InPlace, IntoItems, may_have_more};
use crate::jobs::Jobs;
use crate::map::map_items;
use crate::panic::{Failure, shift_item_index};
use crate::try_map::try_map_items;
use crate::try_output::TryOutput;
use crate::watch::{Watch, or_raise_stopped};
use std::any::Any;

/// Chunks in flight per serving rank: the one it runs, the next, and one more to cover rank
/// 0's own chunk.
const DEPTH: usize = 3;
/// About how long a serving rank's chunk runs, once the items' cost is known.
const REMOTE_CHUNK: Duration = Duration::from_millis(2);
/// About how long rank 0's own chunk runs.
const LOCAL_CHUNK: Duration = Duration::from_millis(1);

/// What the calls keep between them (under the call lock).
#[derive(Default)]
pub(crate) struct Calls {
    /// Calls made so far: each has its number, which its messages carry.
    count: u64,
}

/// Tells every serving rank that the program is over (with the call lock held, so that no
/// call is running).
pub(crate) fn stop_serving(_: &mut Calls, world: &SimpleCommunicator, size: i32) {
    for rank in 1..size {
        world.process_at_rank(rank).send_with_tag::<[u8]>(&[], STOP);
    }
}

/// `NAME_par` of a distributed function: [`map_items`] over the MPI world when `jobs` asks
/// for it (see [`Jobs::distributed`]), else exactly `map_items`.
///
/// `convert` makes the function's arguments from an item, `write` serializes them (for another
/// rank), `call` runs the function on them, `read` reads a result that another rank sent;
/// `remote` is the function's entry, which the other ranks run. (The expansion passes `write`
/// and `read` rather than this function bounding the types by the crate's traits: each trait
/// is then asked at the user's type only, and a type that misses it gets one error there.)
#[track_caller]
#[allow(clippy::missing_panics_doc, clippy::too_many_arguments)]
pub fn map_items_distributed<Shape, I, P, R, C, W, Rd, F>(
    items: I,
    jobs: impl Into<Jobs>,
    cost: Option<&Cost>,
    remote: &'static Remote,
    convert: C,
    write: W,
    read: Rd,
    call: F,
) -> Vec<R>
where
    I: IntoItems,
    I::Item: SendItem<Shape>,
    C: Fn(I::Item) -> P + Sync,
    W: Fn(P, &mut Vec<u8>) -> Result<(), postcard::Error>,
    Rd: Fn(&mut &[u8]) -> Result<R, postcard::Error>,
    F: Fn(P) -> R + Sync,
    R: SendResult,
{
    let jobs = jobs.into();
    let Some((_, mut calls)) = spread_call(&jobs) else {
        return map_items::<Shape, _, _, _>(items, jobs, cost, |item| call(convert(item)));
    };
    let local = |chunk: Vec<I::Item>, jobs: &Jobs| -> Result<Vec<R>, Infallible> {
        Ok(map_items::<Shape, _, _, _>(chunk, jobs, cost, |item| {
            call(convert(item))
        }))
    };
    let decode = |mut bytes: &[u8], count: u64, _failed: bool| -> Result<Vec<R>, Infallible> {
        Ok(read_all(&mut bytes, count, &read))
    };
    let engine = Engine::new(&jobs, &mut calls, remote, false);
    let outcome = items.drive(Spreader {
        engine,
        jobs: &jobs,
        local,
        write: |item: I::Item, out: &mut Vec<u8>| write(convert(item), out),
        decode,
    });
    match outcome {
        Ok(Ok(results)) => results,
        Ok(Err(never)) => match never {},
        Err(stopped) => or_raise_stopped(Err(stopped)),
    }
}

/// `NAME_try_par` of a distributed function: [`try_map_items`] over the MPI world when `jobs`
/// asks for it, else exactly `try_map_items`. The answer is the same: every success in input
/// order, or the error of the lowest failing item.
#[track_caller]
#[allow(
    clippy::missing_errors_doc,
    clippy::missing_panics_doc,
    clippy::too_many_arguments
)]
pub fn try_map_items_distributed<Shape, I, P, R, C, W, Rd, F>(
    items: I,
    jobs: impl Into<Jobs>,
    remote: &'static Remote,
    convert: C,
    write: W,
    read: Rd,
    call: F,
) -> Result<Vec<R::Ok>, R::Err>
where
    I: IntoItems,
    I::Item: SendItem<Shape>,
    C: Fn(I::Item) -> P + Sync,
    W: Fn(P, &mut Vec<u8>) -> Result<(), postcard::Error>,
    Rd: Fn(&mut &[u8]) -> Result<R, postcard::Error>,
    F: Fn(P) -> R + Sync,
    R: TryOutput + SendResult,
{
    let jobs = jobs.into();
    let Some((_, mut calls)) = spread_call(&jobs) else {
        return try_map_items::<Shape, _, _, _>(items, jobs, |item| call(convert(item)));
    };
    let local = |chunk: Vec<I::Item>, jobs: &Jobs| {
        try_map_items::<Shape, _, _, _>(chunk, jobs, |item| call(convert(item)))
    };
    let decode = |mut bytes: &[u8], count: u64, failed: bool| {
        let results = read_all(&mut bytes, count, &read);
        if failed {
            // One result in the chunk's first part: its lowest failing item's error.
            match results
                .into_iter()
                .find_map(|result| result.into_result().err())
            {
                Some(error) => Err(error),
                None if count == 0 => Ok(Vec::new()),
                None => unreadable(),
            }
        } else {
            Ok(results
                .into_iter()
                .filter_map(|result| result.into_result().ok())
                .collect())
        }
    };
    let engine = Engine::new(&jobs, &mut calls, remote, true);
    let outcome = items.drive(Spreader {
        engine,
        jobs: &jobs,
        local,
        write: |item: I::Item, out: &mut Vec<u8>| write(convert(item), out),
        decode,
    });
    or_raise_stopped(outcome)
}

/// Reads `count` results; a message that does not hold them is a mismatch between the ranks.
fn read_all<R>(
    bytes: &mut &[u8],
    count: u64,
    read: impl Fn(&mut &[u8]) -> Result<R, postcard::Error>,
) -> Vec<R> {
    let mut results = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for _ in 0..count {
        match read(bytes) {
            Ok(result) => results.push(result),
            Err(error) => undecodable(&error),
        }
    }
    results
}

/// A message rank 0 cannot make sense of: the ranks disagree on what they run, and no rank
/// can go on, so the job ends.
#[cold]
fn unreadable() -> ! {
    wire::abort_job(
        "parallelize: rank 0 cannot read the results another rank sent for a distributed call (are all ranks running the same build of the program?); aborting the MPI job",
    )
}

/// A result that postcard wrote but cannot read back: a type whose serde form depends on
/// more than its type (`#[serde(untagged)]`, `flatten`, `skip_serializing_if`, self-describing
/// values such as `serde_json::Value`). Every rank runs the same build, so this is the type's.
#[cold]
fn undecodable(error: &postcard::Error) -> ! {
    wire::abort_job(&format!(
        "parallelize: rank 0 cannot decode a result another rank sent for a distributed call: \
         {error}. Results travel in postcard's format, which needs a serde form fixed by the \
         type: `#[serde(untagged)]`, `flatten`, `skip_serializing_if` and self-describing \
         values (serde_json::Value) do not decode; aborting the MPI job"
    ))
}

/// The one place where a distributed call meets its input: [`IntoItems::drive`] hands it an
/// iterator (a parallel source is gathered first; chunks are cut from a sequence).
struct Spreader<'j, 'c, L, W, D> {
    engine: Engine<'c>,
    jobs: &'j Jobs,
    local: L,
    write: W,
    decode: D,
}

impl<Item, T, E, L, W, D> Driver<Item> for Spreader<'_, '_, L, W, D>
where
    L: FnMut(Vec<Item>, &Jobs) -> Result<Vec<T>, E>,
    W: Fn(Item, &mut Vec<u8>) -> Result<(), postcard::Error>,
    D: Fn(&[u8], u64, bool) -> Result<Vec<T>, E>,
{
    type Output = Result<Result<Vec<T>, E>, crate::Stopped>;

    fn sequential<It: Iterator<Item = Item>>(self, items: It) -> Self::Output {
        let Spreader {
            engine,
            jobs,
            local,
            write,
            decode,
        } = self;
        engine.run(jobs, items, local, write, decode)
    }

    fn parallel<P: rayon::iter::IndexedParallelIterator<Item = Item>>(
        self,
        items: P,
    ) -> Self::Output {
        // Read on the calling thread, through the source's producer.
        struct Sequential<S>(S);
        impl<Item, S: Driver<Item>> crate::items::Consume<Item> for Sequential<S> {
            type Output = S::Output;
            fn consume<It: Iterator<Item = Item>>(self, items: It) -> S::Output {
                self.0.sequential(items)
            }
        }
        crate::items::sequentially(items, Sequential(self))
    }

    fn in_place<S: InPlace<Item = Item>>(self, items: S) -> Self::Output {
        self.sequential(items.into_iter())
    }
}

/// A serving rank, as rank 0 sees it.
struct Lane {
    rank: i32,
    /// Its chunks in flight, oldest first (it answers them in order).
    queued: VecDeque<u64>,
    /// Its threads, as it last said (1 until it says).
    threads: u64,
    /// The first chunk it was told to skip, if any (a `CANCEL` is sent once).
    cancelled_from: Option<u64>,
}

/// A chunk's results, as they come in.
enum Slot<T, E> {
    Out,
    /// Some parts of a serving rank's answer are in.
    Partial(Result<Vec<T>, E>),
    Done(Result<Vec<T>, E>),
    /// Skipped after a `CANCEL`: its items did not run.
    Skipped,
    /// Rank 0's own chunk of a `try` call panicked: raised unless an earlier chunk failed.
    Panicked(Box<dyn Any + Send>),
}

/// One distributed call on rank 0 (see the module's documentation).
struct Engine<'c> {
    world: SimpleCommunicator,
    outbox: Outbox,
    /// The header fields every `RUN` of this call shares.
    run: Run,
    try_call: bool,
    lanes: Vec<Lane>,
    chunk_len: Option<usize>,
    /// Thread-nanoseconds and items of the chunks that finished: the cost per item.
    spent: (u128, u128),
    _calls: &'c mut Calls,
}

impl<'c> Engine<'c> {
    fn new(jobs: &Jobs, calls: &'c mut Calls, remote: &'static Remote, try_call: bool) -> Self {
        let index = super::REMOTES
            .iter()
            .position(|entry| std::ptr::eq(entry, remote))
            .expect("a distributed function's entry is in the registry it was added to");
        calls.count += 1;
        let world = wire::world();
        let lanes = (1..world.size())
            .map(|rank| Lane {
                rank,
                queued: VecDeque::new(),
                threads: 1,
                cancelled_from: None,
            })
            .collect();
        Engine {
            world,
            outbox: Outbox::default(),
            run: Run {
                call: calls.count,
                chunk: 0,
                first: 0,
                count: 0,
                remote: index as u64,
                key_hash: key_hash(remote.key),
                njobs: jobs.requested() as i64,
                flags: u64::from(try_call) * Run::TRY
                    + u64::from(jobs.is_adaptive()) * Run::ADAPTIVE,
            },
            try_call,
            lanes,
            chunk_len: jobs.distributed_chunk_len(),
            spent: (0, 0),
            _calls: calls,
        }
    }

    /// Runs the call over `items` to its answer, or to the stop of its watch.
    fn run<Item, T, E>(
        mut self,
        jobs: &Jobs,
        items: impl Iterator<Item = Item>,
        mut local: impl FnMut(Vec<Item>, &Jobs) -> Result<Vec<T>, E>,
        write: impl Fn(Item, &mut Vec<u8>) -> Result<(), postcard::Error>,
        decode: impl Fn(&[u8], u64, bool) -> Result<Vec<T>, E>,
    ) -> Result<Result<Vec<T>, E>, crate::Stopped> {
        let watch = Watch::start(jobs, None);
        if let Some(watch) = &watch {
            watch.sized_by(&items);
        }
        // Rank 0's own chunks: its workers, none of the call's long-run options (the call
        // reports and stops as a whole, between chunks).
        let own_jobs = {
            let mut own = jobs.clone();
            own.controls = None;
            own.distributed = None;
            own
        };
        let own_threads = own_jobs.workers() as u64;
        let mut state = State {
            items: items.peekable(),
            next: 0,
            slots: Vec::new(),
            firsts: Vec::new(),
            failed: None,
            stopped: false,
        };
        let steps = catch_unwind(AssertUnwindSafe(|| {
            loop {
                self.take_arrived(&mut state, &decode, watch.as_deref());
                if state.stop_if_told(watch.as_deref()) {
                    self.cancel_from(0);
                }
                self.feed(&mut state, &write);
                self.outbox.reap();
                if state.more() {
                    let len = self.chunk_len(own_threads, LOCAL_CHUNK, &state);
                    self.run_own(
                        &mut state,
                        len,
                        own_threads,
                        |chunk| local(chunk, &own_jobs),
                        watch.as_deref(),
                    );
                } else if self.lanes.iter().all(|lane| lane.queued.is_empty()) {
                    break;
                } else {
                    let found = wire::wait_for(
                        || wire::probe_done(&self.world),
                        Duration::from_micros(200),
                    );
                    self.take(found, &mut state, &decode, watch.as_deref());
                }
            }
        }));
        if let Err(payload) = steps {
            self.drain();
            if let Some(watch) = &watch {
                watch.close();
            }
            resume_unwind(payload);
        }
        self.outbox.flush();
        if let Some(watch) = &watch
            && !state.stopped
            && state.failed.is_none()
        {
            watch.input_ended(index(state.next));
        }
        let answer = match catch_unwind(AssertUnwindSafe(|| state.answer())) {
            Ok(answer) => answer,
            Err(payload) => {
                if let Some(watch) = &watch {
                    watch.close();
                }
                resume_unwind(payload)
            }
        };
        match watch {
            None => Ok(answer),
            Some(watch) => {
                let outcome = if watch.was_cut() {
                    Err(Failure::stopped())
                } else {
                    Ok(answer)
                };
                watch.finish(outcome)
            }
        }
    }

    /// The length of the next chunk for a rank with `threads` threads, to last about `time`,
    /// and at least one item per thread.
    fn chunk_len<I: Iterator, T, E>(
        &self,
        threads: u64,
        time: Duration,
        state: &State<I, T, E>,
    ) -> usize {
        if let Some(len) = self.chunk_len {
            return len;
        }
        let (nanos, items) = self.spent;
        let by_cost = if items == 0 || nanos == 0 {
            // Unknown cost: one item per thread, which measures it.
            threads
        } else {
            let per_item = (nanos / items).max(1);
            u64::try_from(time.as_nanos() * u128::from(threads) / per_item).unwrap_or(u64::MAX)
        };
        // Near the end, smaller chunks, so that the ranks finish together.
        let all_threads: u64 = self.lanes.iter().map(|lane| lane.threads).sum::<u64>() + threads;
        let tail = crate::items::exact_size(&state.items)
            .map_or(u64::MAX, |left| left as u64 / (2 * all_threads));
        let len = by_cost.min(tail).max(threads).clamp(1, 1 << 20);
        usize::try_from(len).unwrap_or(1 << 20)
    }

    /// Notes that `count` items kept `threads` threads busy for `busy`: the cost per item is
    /// the busy threads' time over the items (a chunk shorter than the threads kept only
    /// `count` of them busy).
    fn note_cost(&mut self, busy: Duration, threads: u64, count: u64) {
        self.spent.0 += busy.as_nanos() * u128::from(threads.min(count).max(1));
        self.spent.1 += u128::from(count.max(1));
    }

    /// Tops every serving rank up to [`DEPTH`] chunks.
    fn feed<Item, T, E>(
        &mut self,
        state: &mut State<impl Iterator<Item = Item>, T, E>,
        write: &impl Fn(Item, &mut Vec<u8>) -> Result<(), postcard::Error>,
    ) {
        for lane in 0..self.lanes.len() {
            while self.lanes[lane].queued.len() < DEPTH && state.more() {
                let len = self.chunk_len(self.lanes[lane].threads, REMOTE_CHUNK, state);
                self.send_chunk(lane, len, state, write);
            }
        }
    }

    /// Serializes the next chunk of at most `len` items and sends it to `lane`.
    fn send_chunk<Item, T, E>(
        &mut self,
        lane: usize,
        len: usize,
        state: &mut State<impl Iterator<Item = Item>, T, E>,
        write: &impl Fn(Item, &mut Vec<u8>) -> Result<(), postcard::Error>,
    ) {
        let limit = wire::message_limit();
        let mut bytes = vec![0; Run::LEN];
        // Where each item ends (counted from the first item's start), sent after the items.
        let mut ends: Vec<u32> = Vec::new();
        let first = state.next;
        while ends.len() < len && (ends.is_empty() || bytes.len() + 4 * ends.len() < limit) {
            let Some(item) = state.items.next() else {
                break;
            };
            let index = first + ends.len() as u64;
            if let Err(error) = write(item, &mut bytes) {
                panic!("item {index} of a distributed call cannot be serialized: {error}");
            }
            let what = || format!("item {index} of a distributed call");
            wire::check_size(bytes.len() + 4 * (ends.len() + 1), &what);
            ends.push(u32::try_from(bytes.len() - Run::LEN).expect("checked just above"));
        }
        let count = ends.len();
        if count == 0 {
            return;
        }
        for end in ends {
            bytes.extend_from_slice(&end.to_le_bytes());
        }
        let chunk = state.slots.len() as u64;
        state.slots.push(Slot::Out);
        state.firsts.push(first);
        state.next += count as u64;
        let header = Run {
            chunk,
            first,
            count: count as u64,
            ..self.run
        };
        header.encode(&mut bytes[..Run::LEN]);
        let lane = &mut self.lanes[lane];
        lane.queued.push_back(chunk);
        self.outbox
            .send(&self.world.process_at_rank(lane.rank), wire::RUN, bytes);
    }

    /// Runs rank 0's next chunk of at most `len` items.
    fn run_own<Item, T, E>(
        &mut self,
        state: &mut State<impl Iterator<Item = Item>, T, E>,
        len: usize,
        threads: u64,
        local: impl FnOnce(Vec<Item>) -> Result<Vec<T>, E>,
        watch: Option<&Watch>,
    ) {
        let chunk: Vec<Item> = state.items.by_ref().take(len).collect();
        if chunk.is_empty() {
            return;
        }
        let first = state.next;
        let count = chunk.len() as u64;
        state.next += count;
        state.slots.push(Slot::Out);
        state.firsts.push(first);
        let slot = state.slots.len() - 1;
        let start = Instant::now();
        let outcome = match catch_unwind(AssertUnwindSafe(|| local(chunk))) {
            Ok(outcome) => outcome,
            Err(payload) if self.try_call => {
                // Raised at the end, unless an earlier chunk failed (that error is the
                // sequential answer); the chunks after it cannot matter.
                state.slots[slot] = Slot::Panicked(shift_item_index(payload, first));
                state.fail_at(slot as u64);
                self.cancel_from(slot as u64 + 1);
                return;
            }
            Err(payload) => resume_unwind(shift_item_index(payload, first)),
        };
        self.note_cost(start.elapsed(), threads, count);
        if outcome.is_err() {
            state.fail_at(slot as u64);
            self.cancel_from(slot as u64 + 1);
        } else if let Some(watch) = watch {
            watch.done(index(first)..index(first + count));
        }
        state.slots[slot] = Slot::Done(outcome);
    }

    /// Takes in every `DONE` that has arrived.
    fn take_arrived<T, E>(
        &mut self,
        state: &mut State<impl Iterator, T, E>,
        decode: &impl Fn(&[u8], u64, bool) -> Result<Vec<T>, E>,
        watch: Option<&Watch>,
    ) {
        while let Some(found) = wire::probe_done(&self.world) {
            self.take(found, state, decode, watch);
        }
    }

    /// Takes in one `DONE` that a probe found.
    fn take<T, E>(
        &mut self,
        found: (mpi::point_to_point::Message, mpi::point_to_point::Status),
        state: &mut State<impl Iterator, T, E>,
        decode: &impl Fn(&[u8], u64, bool) -> Result<Vec<T>, E>,
        watch: Option<&Watch>,
    ) {
        let (bytes, status) = wire::receive(found);
        let Some((done, results)) = Done::decode(&bytes) else {
            unreadable()
        };
        let lane = usize::try_from(status.source_rank() - 1).unwrap_or(usize::MAX);
        let Some(lane) = self.lanes.get_mut(lane) else {
            unreadable()
        };
        if done.call != self.run.call || lane.queued.front() != Some(&done.chunk) {
            unreadable();
        }
        let last = done.flags & Done::LAST != 0;
        if last {
            // Off the queue before the results are read: a panic there (a result's own
            // `Deserialize`) must not leave a drain waiting for this chunk.
            lane.queued.pop_front();
            lane.threads = done.threads.max(1);
        }
        let threads = lane.threads;
        let slot = &mut state.slots[index(done.chunk)];
        if done.flags & Done::SKIPPED != 0 {
            *slot = Slot::Skipped;
            if state.stopped
                && let Some(watch) = watch
            {
                watch.cut();
            }
            return;
        }
        let outcome = decode(results, done.count, done.flags & Done::FAILED != 0);
        // A chunk's answer may come in parts: its results in order, or its error (a part
        // of its own, possibly followed by an empty last part).
        let merged = match (std::mem::replace(slot, Slot::Out), outcome) {
            (Slot::Partial(Err(error)), _) | (_, Err(error)) => Err(error),
            (Slot::Partial(Ok(mut before)), Ok(more)) => {
                before.extend(more);
                Ok(before)
            }
            (_, Ok(results)) => Ok(results),
        };
        if !last {
            *slot = Slot::Partial(merged);
            return;
        }
        if let Ok(results) = &merged {
            let count = results.len() as u64;
            self.note_cost(Duration::from_nanos(done.busy_nanos), threads, count);
            if let Some(watch) = watch {
                let first = state.firsts[index(done.chunk)];
                watch.done(index(first)..index(first + count));
            }
        } else {
            state.fail_at(done.chunk);
            self.cancel_from(done.chunk + 1);
        }
        state.slots[index(done.chunk)] = Slot::Done(merged);
    }

    /// Tells every serving rank that holds chunks from `chunk` on to skip them.
    fn cancel_from(&mut self, chunk: u64) {
        for lane in &mut self.lanes {
            let holds = lane.queued.iter().any(|&queued| queued >= chunk);
            let told = lane.cancelled_from.is_some_and(|from| from <= chunk);
            if holds && !told {
                lane.cancelled_from = Some(chunk);
                let bytes = Cancel {
                    call: self.run.call,
                    from: chunk,
                }
                .encode();
                self.outbox
                    .send(&self.world.process_at_rank(lane.rank), CANCEL, bytes);
            }
        }
    }

    /// After a panic on rank 0: tells the serving ranks to skip what they hold, and waits for
    /// every chunk still out, so that they are idle and no message is left for the next call.
    fn drain(&mut self) {
        self.cancel_from(0);
        while let Some(lane) = self.lanes.iter().position(|lane| !lane.queued.is_empty()) {
            let rank = self.lanes[lane].rank;
            let found = wire::wait_for(
                || {
                    self.world
                        .process_at_rank(rank)
                        .immediate_matched_probe_with_tag(DONE)
                },
                Duration::from_micros(200),
            );
            let (bytes, _) = wire::receive(found);
            if let Some((done, _)) = Done::decode(&bytes)
                && done.flags & Done::LAST != 0
            {
                self.lanes[lane].queued.pop_front();
            }
        }
        self.outbox.flush();
    }
}

/// A call's input and results, as the engine goes.
struct State<I: Iterator, T, E> {
    items: std::iter::Peekable<I>,
    /// The input index of the next item.
    next: u64,
    /// One per chunk handed out, in input order, and the input index of its first item.
    slots: Vec<Slot<T, E>>,
    firsts: Vec<u64>,
    /// The lowest chunk of a `try` call that failed (or whose own run panicked): no more
    /// chunks start.
    failed: Option<u64>,
    /// The call's watch said stop: no more chunks start.
    stopped: bool,
}

impl<I: Iterator, T, E> State<I, T, E> {
    /// Stops handing out chunks if the call's watch says stop; whether it just did.
    fn stop_if_told(&mut self, watch: Option<&Watch>) -> bool {
        let Some(watch) = watch else {
            return false;
        };
        if self.stopped || !watch.stopping() {
            return false;
        }
        self.stopped = true;
        // By the size hint: reading on could block on an input that waits for more.
        watch.cut_if_left(may_have_more(&self.items));
        true
    }

    fn fail_at(&mut self, chunk: u64) {
        self.failed = Some(self.failed.map_or(chunk, |failed| failed.min(chunk)));
    }

    /// Whether more chunks should start.
    fn more(&mut self) -> bool {
        self.failed.is_none() && !self.stopped && self.items.peek().is_some()
    }

    /// The results in input order, or the error of the lowest failing chunk (or the panic of
    /// rank 0's own chunk, if no chunk before it failed).
    fn answer(self) -> Result<Vec<T>, E> {
        let mut results = Vec::new();
        for slot in self.slots {
            match slot {
                Slot::Done(Ok(chunk)) => results.extend(chunk),
                Slot::Done(Err(error)) => return Err(error),
                Slot::Panicked(payload) => resume_unwind(payload),
                Slot::Out | Slot::Partial(_) | Slot::Skipped => {}
            }
        }
        Ok(results)
    }
}

fn index(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}
