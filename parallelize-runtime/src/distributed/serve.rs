//! A serving rank (every rank but 0): it waits for chunks, runs each on its own pool through
//! the local engine, and sends the results back, until rank 0 says stop.
//!
//! A panic here, an item's or any other, ends the whole MPI job with `MPI_Abort`, after one
//! line on stderr naming the rank and the input index of the item: rank 0 could not go on
//! without the chunk, and a rank that exits quietly would leave the others waiting. An item's
//! panic aborts where it happens (a panic hook, which knows the item from a thread-local set
//! around each call), without waiting for the chunk's other running items; any other panic is
//! caught around the chunk.
//!
//! Before each chunk the rank looks for a `CANCEL` of its call (see `wire.rs`), and answers a
//! cancelled chunk with an empty `DONE` instead of running it. Results are sent without
//! blocking, then waited for before the next chunk: a large message moves only while its
//! sender is inside MPI, and rank 0's receive would otherwise wait for this rank's next chunk.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator, Source};

use super::wire::{self, CANCEL, Cancel, Done, Outbox, RUN, Run, STOP};
use super::{REMOTES, key_hash};
use crate::bounds::{One, SendResult};
use crate::items::kind;
use crate::jobs::Jobs;
use crate::map::map_items;
use crate::panic::{payload_message, shift_item_index};
use crate::try_map::try_map_items;
use crate::try_output::TryOutput;

thread_local! {
    /// The input index and function key of the item this thread is running, if any: what the
    /// panic hook names.
    static ITEM: Cell<Option<(u64, &'static str)>> = const { Cell::new(None) };
}

/// Marks the running item for the panic hook, until dropped; then the mark of the item that
/// was running on this thread before (a worker waiting in one item's nested call may run
/// another item of the chunk meanwhile) is back.
struct Mark(Option<(u64, &'static str)>);

impl Mark {
    fn item(index: u64, key: &'static str) -> Mark {
        Mark(ITEM.replace(Some((index, key))))
    }
}

impl Drop for Mark {
    fn drop(&mut self) {
        ITEM.set(self.0);
    }
}

/// Serves chunks until rank 0 says stop, then finalises MPI and exits the process.
pub(super) fn serve(world: &SimpleCommunicator, universe: Universe) -> ! {
    let rank = world.rank();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| match ITEM.get() {
        Some((index, key)) => {
            let location = info
                .location()
                .map_or_else(String::new, |at| format!(" (at {at}, in `{key}`)"));
            let message = payload_message(info.payload());
            abort(rank, &format!("item {index} panicked: {message}{location}"));
        }
        None => previous(info),
    }));
    let mut outbox = Outbox::default();
    let mut skips = Skips::default();
    loop {
        // Up to 1 ms between probes while idle: a rank waiting for rank 0's next call holds
        // no core.
        let (bytes, status) = wire::receive(wire::wait_for(
            || wire::probe_from(world, 0),
            Duration::from_millis(1),
        ));
        match status.tag() {
            STOP => break,
            CANCEL => skips.note(rank, &bytes),
            RUN => {
                while let Some(found) = world
                    .process_at_rank(0)
                    .immediate_matched_probe_with_tag(CANCEL)
                {
                    skips.note(rank, &wire::receive(found).0);
                }
                let served = catch_unwind(AssertUnwindSafe(|| {
                    run_chunk(&bytes, &mut outbox, &skips);
                }));
                if let Err(payload) = served {
                    let first = Run::decode(&bytes).map_or(0, |(run, _)| run.first);
                    let message = payload_message(&*shift_item_index(payload, first));
                    abort(rank, &message);
                }
                // Wait for this chunk's results to reach rank 0 before the next chunk: a large
                // result above MPI's eager size moves only while both ends are in MPI, and a
                // rank busy computing would otherwise hold it back until its next chunk ends.
                outbox.flush();
            }
            tag => abort(
                rank,
                &format!(
                    "a message with tag {tag} came from rank 0, which is not one of parallelize's"
                ),
            ),
        }
    }
    outbox.flush();
    drop(outbox);
    drop(universe);
    std::process::exit(0)
}

/// The chunks rank 0 said to skip: the latest call's cancel, from its lowest chunk.
#[derive(Default)]
struct Skips(Option<Cancel>);

impl Skips {
    /// Notes a `CANCEL` message; a message too short for its fields ends the job.
    fn note(&mut self, rank: i32, message: &[u8]) {
        let Some(cancel) = Cancel::decode(message) else {
            abort(
                rank,
                "a cancel message from rank 0 is too short to read (are all ranks running the \
                 same build of the program?)",
            );
        };
        self.0 = match self.0 {
            Some(noted) if noted.call == cancel.call => Some(Cancel {
                from: noted.from.min(cancel.from),
                ..cancel
            }),
            _ => Some(cancel),
        };
    }

    fn skips(&self, run: &Run) -> bool {
        self.0
            .is_some_and(|cancel| run.call == cancel.call && run.chunk >= cancel.from)
    }
}

/// The arguments of the item at input `index`, read from its bytes.
fn arguments<O>(
    (index, mut bytes): (u64, &[u8]),
    read: &impl Fn(&mut &[u8]) -> Result<O, postcard::Error>,
    key: &str,
) -> O {
    match read(&mut bytes) {
        Ok(arguments) => arguments,
        Err(error) => panic!(
            "the arguments of item {index} of a distributed call to `{key}` cannot be decoded ({error}): arguments travel in postcard's format, which needs a serde form fixed by the type (not `#[serde(untagged)]`, `flatten`, `skip_serializing_if`, `serde_json::Value`), and every rank must run the same build"
        ),
    }
}

/// What a serving rank does for each item of a chunk (input index, bytes): marks it for the
/// panic hook, reads its arguments and calls the function.
fn item_step<'f, O, R>(
    key: &'static str,
    read: &'f (impl Fn(&mut &[u8]) -> Result<O, postcard::Error> + Sync),
    call: &'f (impl Fn(O) -> R + Sync),
) -> impl Fn((u64, &[u8])) -> R + Sync + 'f {
    move |item| {
        let _mark = Mark::item(item.0, key);
        call(arguments(item, read, key))
    }
}

/// One line on stderr naming this rank, then the end of the whole job.
fn abort(rank: i32, message: &str) -> ! {
    wire::abort_job(&format!(
        "parallelize: rank {rank} of a distributed call: {message}; aborting the MPI job"
    ))
}

/// Runs the chunk in `message` with the function it names, or answers that it was skipped.
fn run_chunk(message: &[u8], outbox: &mut Outbox, skips: &Skips) {
    let Some((run, items)) = Run::decode(message) else {
        panic!("a chunk message too short to hold its header");
    };
    if skips.skips(&run) {
        let mut bytes = vec![0; Done::LEN];
        Done {
            call: run.call,
            chunk: run.chunk,
            count: 0,
            flags: Done::LAST | Done::SKIPPED,
            busy_nanos: 0,
            threads: 1,
        }
        .encode(&mut bytes);
        outbox.send(&wire::world().process_at_rank(0), wire::DONE, bytes);
        return;
    }
    let remote = usize::try_from(run.remote)
        .ok()
        .and_then(|index| REMOTES.get(index))
        .filter(|remote| key_hash(remote.key) == run.key_hash);
    let Some(remote) = remote else {
        panic!(
            "rank 0 asked for a distributed function this rank does not have at that place: start every rank with the same build of the program"
        );
    };
    (remote.serve)(Chunk {
        run,
        items,
        key: remote.key,
        outbox,
    });
}

/// A chunk of items of one distributed function, on a serving rank: what its entry's `serve`
/// function gets. Made by the runtime; not public API.
#[doc(hidden)]
pub struct Chunk<'a> {
    run: Run,
    items: &'a [u8],
    key: &'static str,
    outbox: &'a mut Outbox,
}

impl Chunk<'_> {
    /// Runs a `_par` chunk: `read` takes one item's arguments off the bytes, `call` runs the
    /// function on them, `write` serializes a result. For a function whose result is a
    /// `Result`, see [`Chunk::serve_either`].
    ///
    /// # Panics
    ///
    /// If the chunk's bytes cannot be read, or a result cannot be serialized (the serving loop
    /// then aborts the MPI job, naming the item).
    pub fn serve<O, R>(
        self,
        read: impl Fn(&mut &[u8]) -> Result<O, postcard::Error> + Sync,
        write: impl Fn(&R, &mut Vec<u8>) -> Result<(), postcard::Error>,
        call: impl Fn(O) -> R + Sync,
    ) where
        R: SendResult,
    {
        assert!(
            self.run.flags & Run::TRY == 0,
            "a `try` chunk for `{}`, which has no `_try_par`",
            self.key
        );
        let items = self.items();
        let jobs = self.jobs();
        let start = Instant::now();
        let step = item_step(self.key, &read, &call);
        let results = map_items::<One, _, _, _>(kind::ReadInPlace.items(items), &jobs, None, step);
        let busy = start.elapsed();
        self.send(results.iter(), &write, false, busy, &jobs);
    }

    /// Runs a chunk of a function whose result is a `Result`: a `_par` chunk as
    /// [`Chunk::serve`], a `_try_par` chunk as `try_map_items` (every success, or the error of
    /// the chunk's lowest failing item).
    ///
    /// # Panics
    ///
    /// As [`Chunk::serve`].
    pub fn serve_either<O, R>(
        self,
        read: impl Fn(&mut &[u8]) -> Result<O, postcard::Error> + Sync,
        write: impl Fn(&R, &mut Vec<u8>) -> Result<(), postcard::Error>,
        call: impl Fn(O) -> R + Sync,
    ) where
        R: TryOutput + SendResult,
    {
        if self.run.flags & Run::TRY == 0 {
            return self.serve(read, write, call);
        }
        let items = self.items();
        let jobs = self.jobs();
        let start = Instant::now();
        let step = item_step(self.key, &read, &call);
        let answer = try_map_items::<One, _, _, _>(kind::ReadInPlace.items(items), &jobs, step);
        let busy = start.elapsed();
        match answer {
            Ok(successes) => {
                let results = successes.into_iter().map(|ok| R::from_result(Ok(ok)));
                self.send(results, &write, false, busy, &jobs);
            }
            Err(error) => {
                let failure = R::from_result(Err(error));
                self.send(std::iter::once(&failure), &write, true, busy, &jobs);
            }
        }
    }

    /// The chunk's items: each one's input index and bytes. They are read on the thread that
    /// runs them, so that the arguments never cross threads (they need not be `Send`; the
    /// bytes are). The message ends with each item's end offset (`u32`, little-endian).
    fn items(&self) -> Vec<(u64, &[u8])> {
        let count = usize::try_from(self.run.count).unwrap_or(usize::MAX);
        let Some(split) = self.items.len().checked_sub(count.saturating_mul(4)) else {
            panic!("a chunk message shorter than its item offsets");
        };
        let (bytes, ends) = self.items.split_at(split);
        let mut start = 0;
        ends.chunks_exact(4)
            .zip(self.run.first..)
            .map(|(end, index)| {
                let end = u32::from_le_bytes(end.try_into().expect("4 bytes")) as usize;
                let Some(item) = bytes.get(start..end) else {
                    panic!("item {index}'s offsets lie outside its chunk message");
                };
                start = end;
                (index, item)
            })
            .collect()
    }

    /// The call's `njobs`, resolved on this machine.
    fn jobs(&self) -> Jobs {
        let njobs = isize::try_from(self.run.njobs).unwrap_or(-1);
        Jobs::try_new(njobs)
            .unwrap_or_else(|_| Jobs::all())
            .adaptive(self.run.flags & Run::ADAPTIVE != 0)
    }

    /// Sends `results` back to rank 0, in parts of at most the message limit (give or take
    /// one result).
    fn send<R>(
        self,
        results: impl IntoIterator<Item = impl std::borrow::Borrow<R>>,
        write: &impl Fn(&R, &mut Vec<u8>) -> Result<(), postcard::Error>,
        failed: bool,
        busy: Duration,
        jobs: &Jobs,
    ) {
        let limit = wire::message_limit();
        let world = wire::world();
        let root = world.process_at_rank(0);
        let mut part = Done {
            call: self.run.call,
            chunk: self.run.chunk,
            count: 0,
            flags: if failed { Done::FAILED } else { 0 },
            busy_nanos: u64::try_from(busy.as_nanos()).unwrap_or(u64::MAX),
            threads: jobs.workers() as u64,
        };
        let mut bytes = vec![0; Done::LEN];
        for (offset, result) in results.into_iter().enumerate() {
            let index = self.run.first + offset as u64;
            if let Err(error) = write(result.borrow(), &mut bytes) {
                panic!(
                    "the result of item {index} of a distributed call to `{}` cannot be serialized: {error}",
                    self.key
                );
            }
            part.count += 1;
            wire::check_size(bytes.len(), &|| format!("the result of item {index}"));
            if bytes.len() >= limit {
                part.encode(&mut bytes[..Done::LEN]);
                self.outbox.send(&root, wire::DONE, bytes);
                bytes = vec![0; Done::LEN];
                part.count = 0;
            }
        }
        part.flags |= Done::LAST;
        part.encode(&mut bytes[..Done::LEN]);
        self.outbox.send(&root, wire::DONE, bytes);
    }
}
