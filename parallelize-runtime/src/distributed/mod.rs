//! Distributed calls over MPI (cargo feature `mpi`): the same program on every rank, rank 0
//! running it and the others serving the items of `#[parallelized(distributed)]` functions.
//!
//! - [`init`] starts MPI. On rank 0 it returns a [`World`], whose drop tells the other ranks to
//!   end; on the others it serves (`serve.rs`) and exits, never returning.
//! - A function marked `distributed` gets an entry in `REMOTES` (at link time, with linkme):
//!   its key, and the function that runs a chunk of its items on a serving rank. Every rank
//!   runs the same binary, so an entry's index names the same function everywhere; a hash of
//!   its key, sent along, catches a launcher that started different binaries.
//! - Its `_par` and `_try_par` companions, given a [`Jobs::distributed`], call `root.rs`'s
//!   engine on rank 0: chunks of items handed out on demand to every rank, rank 0 included,
//!   each rank running its chunks on its own rayon pool (`njobs` per rank).
//!
//! What travels and how is in `wire.rs`; the arguments' and results' traits are below.

mod root;
mod serve;
mod wire;

use std::marker::PhantomData;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError, TryLockError};
use std::thread::ThreadId;

use mpi::environment::Universe;
use mpi::traits::Communicator;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::jobs::Jobs;

pub use root::{map_items_distributed, try_map_items_distributed};
pub use serve::Chunk;

/// A function that `#[parallelized(distributed)]` registered: what a serving rank needs to run
/// its items. Made by the macro's expansion; not public API.
#[doc(hidden)]
pub struct Remote {
    key: &'static str,
    serve: fn(Chunk<'_>),
}

impl Remote {
    /// An entry: `key` names the function (its path and where it is written), `serve` runs a
    /// chunk of its items.
    #[must_use]
    pub const fn new(key: &'static str, serve: fn(Chunk<'_>)) -> Remote {
        Remote { key, serve }
    }
}

/// Every distributed function of the program, gathered by the linker.
#[doc(hidden)]
#[linkme::distributed_slice]
pub static REMOTES: [Remote] = [..];

/// FNV-1a of a function's key: sent with its index, so that a rank running another build of
/// the program is caught instead of running the wrong function.
fn key_hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// How a distributed call spreads (see [`Jobs::distributed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Spread {
    /// Items per chunk, as set by [`Jobs::distributed_chunk`]; `None`: sized by the measured
    /// cost of the items (about 2 ms of work per chunk).
    pub(crate) chunk: Option<NonZeroUsize>,
}

/// Distributed calls (cargo feature `mpi`).
impl Jobs {
    /// Spreads the calls of distributed functions over every rank of the MPI world started
    /// by [`init`](crate::distributed::init): chunks of items go to the ranks as they ask for
    /// more (rank 0 works too), and each rank runs its chunks on `njobs` workers of its own
    /// (so `-1`: every core of each machine). The results come back to rank 0 in input order.
    ///
    /// It applies to the companions `NAME_par` and `NAME_try_par` of functions marked
    /// `#[parallelized(distributed)]`; every other call, and every call in a one-rank world
    /// (a program not started by `mpirun`), runs on this rank's threads as usual.
    ///
    /// ```
    /// use parallelize::Jobs;
    ///
    /// let jobs = Jobs::new(-1).distributed();
    /// assert!(jobs.is_distributed());
    /// ```
    #[must_use]
    pub fn distributed(mut self) -> Jobs {
        self.distributed = Some(Spread { chunk: None });
        self
    }

    /// [`Jobs::distributed`], with `items` items per chunk: the unit a rank asks for. Chunks
    /// of cheap items should be long enough that one takes a millisecond or more, and hold
    /// at least as many items as a rank has threads; by default their length follows the
    /// measured cost of the items (about 2 ms of a rank's threads, at least an item per
    /// thread). A chunk also ends once its message passes `PARALLELIZE_MPI_MESSAGE_BYTES`
    /// (16 MiB unless set; by at most one item), so no message comes near MPI's 2 GiB limit.
    ///
    /// # Panics
    ///
    /// If `items` is `0`.
    ///
    /// ```
    /// use parallelize::Jobs;
    ///
    /// let jobs = Jobs::new(2).distributed_chunk(64);
    /// assert_eq!(jobs.distributed_chunk_len(), Some(64));
    /// ```
    #[must_use]
    #[track_caller]
    pub fn distributed_chunk(mut self, items: usize) -> Jobs {
        let Some(items) = NonZeroUsize::new(items) else {
            panic!("Jobs::distributed_chunk(0): a chunk holds at least one item");
        };
        self.distributed = Some(Spread { chunk: Some(items) });
        self
    }

    /// Whether calls of distributed functions with this `Jobs` spread over the MPI world.
    ///
    /// ```
    /// use parallelize::Jobs;
    ///
    /// assert!(Jobs::new(-1).distributed().is_distributed());
    /// assert!(!Jobs::new(-1).is_distributed());
    /// ```
    #[must_use]
    pub fn is_distributed(&self) -> bool {
        self.distributed.is_some()
    }

    /// The items per chunk set with [`Jobs::distributed_chunk`], if any.
    ///
    /// ```
    /// use parallelize::Jobs;
    ///
    /// assert_eq!(Jobs::new(4).distributed_chunk(100).distributed_chunk_len(), Some(100));
    /// assert_eq!(Jobs::new(4).distributed().distributed_chunk_len(), None); // sized by cost
    /// ```
    #[must_use]
    pub fn distributed_chunk_len(&self) -> Option<usize> {
        self.distributed
            .and_then(|spread| spread.chunk)
            .map(NonZeroUsize::get)
    }
}

/// What [`init`] leaves for the calls.
struct Cluster {
    rank: i32,
    size: i32,
    /// One distributed call at a time: MPI is initialised `Serialized` (no two MPI calls at
    /// once), and the serving ranks answer one call at a time. A call that finds it taken (an
    /// item of a distributed call, or another thread) runs on this rank's threads.
    calls: Mutex<root::Calls>,
    /// The thread that called [`init`]: with an MPI library that offers only `Funneled`, the
    /// one thread that may make distributed calls.
    init_thread: ThreadId,
    any_thread: bool,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
/// Set once [`World`] is dropped: MPI is finalised and cannot start again.
static ENDED: AtomicBool = AtomicBool::new(false);

/// The MPI world of the program, from [`init`]: held by `main` on rank 0 until the program
/// is done. Dropping it tells every other rank to end, then finalises MPI.
///
/// If rank 0 unwinds from a panic while holding it in a world of several ranks, the drop
/// aborts the MPI job instead (a finalise would wait for ranks that are still serving), so the
/// whole job ends with a non-zero status.
///
/// ```no_run
/// use parallelize::mpi::World;
///
/// let world: World = parallelize::mpi::init();
/// println!("{} rank(s)", world.size());
/// drop(world); // the other ranks end here; no distributed call after this
/// ```
#[must_use = "the other ranks serve until the `World` is dropped: keep it until `main` ends"]
pub struct World {
    universe: Option<Universe>,
    /// Not `Send`: MPI may allow calls only from the thread that started it, and the drop
    /// makes some.
    _here: PhantomData<*const ()>,
}

/// Starts MPI for distributed calls: call it first thing in `main`.
///
/// On rank 0 it returns the [`World`], and the program runs. On every other rank it serves the
/// items of distributed calls until rank 0 drops the `World`, then exits the process with
/// status 0: code after `init()` runs on rank 0 only. Run without `mpirun`, the program is a
/// one-rank world and every call runs on local threads.
///
/// ```no_run
/// // First thing in `main`:
/// let world = parallelize::mpi::init(); // ranks 1.. serve here and exit
/// println!("rank 0 of {}", world.size());
/// // ... distributed calls ...
/// drop(world); // (or the end of `main`) the other ranks stop, MPI is finalised
/// ```
///
/// # Panics
///
/// If MPI is already initialised (a second call, or another library did it), or cannot start.
pub fn init() -> World {
    let Some((universe, threading)) = mpi::initialize_with_threading(mpi::Threading::Serialized)
    else {
        panic!(
            "parallelize::mpi::init: MPI is already initialised; call `init` once, first thing in `main`"
        );
    };
    let world = universe.world();
    let cluster = Cluster {
        rank: world.rank(),
        size: world.size(),
        calls: Mutex::new(root::Calls::default()),
        init_thread: std::thread::current().id(),
        any_thread: threading >= mpi::Threading::Serialized,
    };
    let rank = cluster.rank;
    if CLUSTER.set(cluster).is_err() {
        unreachable!("MPI initialised twice");
    }
    if rank != 0 {
        serve::serve(&world, universe);
    }
    World {
        universe: Some(universe),
        _here: PhantomData,
    }
}

impl World {
    /// How many ranks the world has (1 without `mpirun`).
    ///
    /// ```no_run
    /// let world = parallelize::mpi::init();
    /// if world.size() == 1 {
    ///     eprintln!("one rank: start me with `mpirun -np 4` to spread the work");
    /// }
    /// ```
    #[must_use]
    pub fn size(&self) -> usize {
        size()
    }

    /// This rank's number: always 0 (the other ranks never get a `World`).
    ///
    /// ```no_run
    /// let world = parallelize::mpi::init();
    /// assert_eq!(world.rank(), 0); // only rank 0 gets here
    /// ```
    #[must_use]
    pub fn rank(&self) -> usize {
        rank()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        // In a world of several ranks, the others wait for this one: end the job. A one-rank
        // world (no `mpirun`) has no one waiting; the panic goes on as in any program.
        if std::thread::panicking() && size() > 1 {
            wire::abort_job(
                "parallelize: rank 0 panicked; aborting the MPI job so that no rank is left waiting",
            );
        }
        // Waits for a distributed call still running on another thread, and holds the lock
        // until MPI is finalised, so that no call starts in between (they check `ENDED`
        // under it).
        let calls = CLUSTER.get().map(|cluster| (cluster, lock(&cluster.calls)));
        ENDED.store(true, Ordering::SeqCst);
        if let Some((cluster, mut calls)) = calls {
            root::stop_serving(
                &mut calls,
                &mpi::topology::SimpleCommunicator::world(),
                cluster.size,
            );
            drop(self.universe.take());
        }
        // Finalises MPI (if the cluster was not there, which `init` rules out).
        drop(self.universe.take());
    }
}

/// This process's rank in the MPI world: 0 before [`init`], on rank 0, and without the
/// feature's world (a one-rank run). Handy inside a distributed function to see where it runs.
///
/// ```
/// use parallelize::parallelized;
///
/// #[parallelized(distributed)]
/// fn where_run(item: u32) -> (u32, usize) {
///     (item, parallelize::mpi::rank())
/// }
///
/// // Before `init` (or without `mpirun`) everything runs on rank 0.
/// assert_eq!(where_run_par(0..3_u32, 2), [(0, 0), (1, 0), (2, 0)]);
/// ```
#[must_use]
pub fn rank() -> usize {
    CLUSTER
        .get()
        .map_or(0, |cluster| usize::try_from(cluster.rank).unwrap_or(0))
}

/// How many ranks the MPI world has: 1 before [`init`] and without `mpirun`.
///
/// ```
/// // Size the work to the world: one rank here, as no `mpirun` started this.
/// assert_eq!(parallelize::mpi::size(), 1);
/// ```
#[must_use]
pub fn size() -> usize {
    CLUSTER
        .get()
        .map_or(1, |cluster| usize::try_from(cluster.size).unwrap_or(1))
}

/// The world and the call lock, when a call with `jobs` should spread over the ranks: it asks
/// to, the world has other ranks, this is rank 0, and no other distributed call is running.
///
/// # Panics
///
/// If `jobs` asks to spread and [`init`] was not called, or the world has ended.
#[track_caller]
fn spread_call(jobs: &Jobs) -> Option<(&'static Cluster, MutexGuard<'static, root::Calls>)> {
    jobs.distributed?;
    let Some(cluster) = CLUSTER.get() else {
        panic!(
            "a distributed call (`Jobs::distributed`) needs `parallelize::mpi::init()` first thing in `main`"
        );
    };
    assert!(
        !ENDED.load(Ordering::SeqCst),
        "a distributed call after the MPI world ended (its `World` was dropped)"
    );
    if cluster.size < 2
        || cluster.rank != 0
        || (!cluster.any_thread && std::thread::current().id() != cluster.init_thread)
    {
        return None;
    }
    // A call that panicked poisons the lock, but leaves the ranks idle (it waited for its
    // chunks before unwinding): the next call may spread again.
    let calls = match cluster.calls.try_lock() {
        Ok(calls) => calls,
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => return None,
    };
    // Checked again under the lock: the `World` ends the ranks while holding it.
    assert!(
        !ENDED.load(Ordering::SeqCst),
        "a distributed call after the MPI world ended (its `World` was dropped)"
    );
    Some((cluster, calls))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A trait for values that travel as they are (serialized with serde, read back owned), with
/// its blanket impl. Two traits are made from it, so that an argument and a result that cannot
/// travel are each reported in their own words.
macro_rules! value_trait {
    ($(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        pub trait $name: Sized {
            /// Appends this value's bytes to `out`.
            #[doc(hidden)]
            fn write(&self, out: &mut Vec<u8>) -> Result<(), postcard::Error>;
            /// Takes one value off the front of `bytes`.
            #[doc(hidden)]
            fn read(bytes: &mut &[u8]) -> Result<Self, postcard::Error>;
        }

        impl<T: Serialize + DeserializeOwned> $name for T {
            #[inline]
            fn write(&self, out: &mut Vec<u8>) -> Result<(), postcard::Error> {
                wire::write(self, out)
            }

            #[inline]
            fn read(bytes: &mut &[u8]) -> Result<T, postcard::Error> {
                wire::read(bytes)
            }
        }
    };
}

value_trait! {
    /// An argument of a distributed function, taken by value: it travels serialized with serde.
    ///
    /// Implemented for every type that is `serde::Serialize` and `serde::de::DeserializeOwned`
    /// (derive both). A parameter `&T` needs [`RemoteReferent`] of `T` instead.
    ///
    /// The bytes are postcard's, which is not self-describing: a type whose serde form is
    /// decided by its values rather than by the type (`#[serde(untagged)]`, `flatten`,
    /// `skip_serializing_if`, `serde_json::Value`) implements the trait but does not decode,
    /// and the job ends with a message that says so.
    ///
    /// ```
    /// use parallelize::mpi::RemoteArgument;
    ///
    /// fn can_travel<T: RemoteArgument>(_: &T) {}
    /// can_travel(&(7_u64, String::from("seed"), vec![0.5_f64]));
    /// ```
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be sent to another rank, so it cannot be an argument of a distributed function",
        label = "not `serde::Serialize` + `serde::de::DeserializeOwned`",
        note = "derive `Serialize` and `Deserialize` for it (serde, feature `derive`), or take a type that has them"
    )]
    RemoteArgument
}

value_trait! {
    /// The result of a distributed function: it travels back to rank 0 serialized with serde,
    /// so it owns its data (`String`, not `&str`).
    ///
    /// Implemented for every type that is `serde::Serialize` and
    /// `serde::de::DeserializeOwned` (derive both).
    ///
    /// The bytes are postcard's, which is not self-describing: a type whose serde form is
    /// decided by its values rather than by the type (`#[serde(untagged)]`, `flatten`,
    /// `skip_serializing_if`, `serde_json::Value`) implements the trait but does not decode,
    /// and the job ends with a message that says so.
    ///
    /// ```
    /// use parallelize::mpi::RemoteResult;
    ///
    /// fn can_come_back<T: RemoteResult>(_: &T) {}
    /// can_come_back(&Some(String::from("owned")));
    /// ```
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be sent back from another rank, so it cannot be the result of a distributed function",
        label = "not `serde::Serialize` + `serde::de::DeserializeOwned`",
        note = "derive `Serialize` and `Deserialize` for it (serde, feature `derive`), or return a type that has them"
    )]
    RemoteResult
}

/// What a `&T` parameter of a distributed function points to: sent as `T`, received owned
/// (as `Box<T>`: `&str` arrives as a `Box<str>`, `&[f64]` as a `Box<[f64]>`) and lent to the
/// call.
///
/// Implemented for every `T: serde::Serialize` whose `Box<T>` is
/// `serde::de::DeserializeOwned`: `str`, slices, `Path`, and every sized `T` that derives both.
///
/// ```
/// use parallelize::parallelized;
///
/// #[parallelized(distributed)]
/// fn shout(word: &str) -> String {
///     word.to_uppercase() // `word` arrived as a `Box<str>` on the rank that runs it
/// }
///
/// let words = vec![String::from("a"), String::from("b")];
/// assert_eq!(shout_par(&words, 2), ["A", "B"]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`&{Self}` cannot be sent to another rank, so it cannot be an argument of a distributed function",
    label = "`{Self}` is not `serde::Serialize`, or `Box<{Self}>` is not `serde::de::DeserializeOwned`",
    note = "derive `Serialize` and `Deserialize` for it (serde, feature `derive`); the value is sent and lent to the call on the other rank"
)]
pub trait RemoteReferent {
    /// Appends the bytes of the value behind the reference to `out`.
    #[doc(hidden)]
    fn write(&self, out: &mut Vec<u8>) -> Result<(), postcard::Error>;
    /// Takes one value off the front of `bytes`, owned.
    #[doc(hidden)]
    fn read(bytes: &mut &[u8]) -> Result<Box<Self>, postcard::Error>;
}

impl<T: ?Sized + Serialize> RemoteReferent for T
where
    Box<T>: DeserializeOwned,
{
    #[inline]
    fn write(&self, out: &mut Vec<u8>) -> Result<(), postcard::Error> {
        wire::write(self, out)
    }

    #[inline]
    fn read(bytes: &mut &[u8]) -> Result<Box<T>, postcard::Error> {
        wire::read(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hashes_differ_for_different_keys() {
        assert_ne!(key_hash("a::f at a.rs:1:1"), key_hash("a::f at a.rs:2:1"));
        assert_eq!(key_hash(""), 0xcbf2_9ce4_8422_2325);
    }

    #[test]
    fn the_chunk_option_sets_distribution_and_refuses_zero() {
        let jobs = Jobs::new(2).distributed_chunk(3);
        assert!(jobs.is_distributed());
        assert_eq!(jobs.distributed_chunk_len(), Some(3));
        assert_ne!(jobs, Jobs::new(2));
        assert_eq!(jobs, Jobs::new(2).distributed_chunk(3));
        assert!(!Jobs::new(2).is_distributed());
        let refused = std::panic::catch_unwind(|| Jobs::new(2).distributed_chunk(0));
        assert!(refused.is_err());
    }

    #[test]
    fn arguments_and_results_round_trip_through_their_traits() {
        let mut bytes = Vec::new();
        RemoteReferent::write("héllo", &mut bytes).unwrap();
        RemoteArgument::write(&(7_u32, -2.5_f64), &mut bytes).unwrap();
        RemoteResult::write(&Some(vec![1_u8, 2]), &mut bytes).unwrap();
        let mut rest = &bytes[..];
        let text: Box<str> = <str as RemoteReferent>::read(&mut rest).unwrap();
        let pair: (u32, f64) = RemoteArgument::read(&mut rest).unwrap();
        let result: Option<Vec<u8>> = RemoteResult::read(&mut rest).unwrap();
        assert_eq!(
            (&*text, pair, result),
            ("héllo", (7, -2.5), Some(vec![1, 2]))
        );
        assert!(rest.is_empty());
    }
}
