//! `Jobs`: how many workers a call may use, with joblib's sizing rules.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::num::NonZeroUsize;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::watch::{CancelHandle, Controls, Deadline, Progress};

/// How many workers a parallel call may use: the `njobs` argument.
///
/// The rules are joblib's:
///
/// | `njobs` | workers |
/// | --- | --- |
/// | `n > 0` | exactly `n`, also more than the machine has cores (up to rayon's limit per pool, [`rayon::max_num_threads`], 65 535 on 64-bit targets) |
/// | `-1` | every core ([`std::thread::available_parallelism`]) |
/// | `-k` | `max(cores + 1 - k, 1)`: all cores but `k - 1` |
/// | `0` | meaningless: [`Jobs::new`] panics, [`Jobs::try_new`] returns an error |
///
/// Every parallel entry point takes `impl Into<Jobs>`, so an integer works wherever a `Jobs`
/// does:
///
/// ```
/// use parallelize::Jobs;
///
/// assert_eq!(Jobs::from(4).workers(), 4);
/// assert_eq!(Jobs::new(-1).workers(), Jobs::all().workers());
/// assert_eq!(Jobs::new(-1_000_000).workers(), 1); // never fewer than one
/// ```
///
/// An effective size of one runs the calls inline on the caller's thread, in input order, with
/// no pool and no thread hop. Never more than `workers()` calls run at the same time.
///
/// Options beyond the worker count are builder methods: [`Jobs::adaptive`],
/// [`Jobs::in_flight`], and for long runs [`Jobs::on_progress`], `Jobs::progress_bar` (cargo
/// feature `progress`), [`Jobs::deadline`], [`Jobs::timeout`] and [`Jobs::cancel_on`]. A
/// `Jobs` is cheap to clone (its long-run options are shared), and `&Jobs` converts too, so one
/// value can serve several calls: `f_par(xs, &jobs)`.
#[derive(Clone)]
pub struct Jobs {
    /// The requested value, never zero.
    requested: isize,
    /// Whether small calls may run inline (see [`Jobs::adaptive`]).
    adaptive: bool,
    /// The most items a streaming call may hold at once (see [`Jobs::in_flight`]); `None`:
    /// [`Jobs::DEFAULT_IN_FLIGHT`].
    in_flight: Option<NonZeroUsize>,
    /// Progress, deadline and cancellation (see `crate::watch`); `None` when none is set, so
    /// that an unwatched call asks one branch.
    pub(crate) controls: Option<Arc<Controls>>,
    /// Whether the companions of distributed functions spread this call over the MPI world,
    /// and the items per message (see [`Jobs::distributed`]).
    #[cfg(feature = "mpi")]
    pub(crate) distributed: Option<crate::distributed::Spread>,
}

impl Jobs {
    /// `njobs` as joblib reads it (see the type's documentation).
    ///
    /// # Panics
    ///
    /// If `njobs` is `0`, which has no meaning. Use [`Jobs::try_new`] for values read from
    /// configuration.
    ///
    /// ```should_panic
    /// parallelize::Jobs::new(0); // panics: "njobs must not be 0 ..."
    /// ```
    #[must_use]
    #[track_caller]
    #[inline]
    pub fn new(njobs: isize) -> Jobs {
        match Jobs::try_new(njobs) {
            Ok(jobs) => jobs,
            Err(error) => refuse(&error),
        }
    }

    /// The checked form of [`Jobs::new`], for values that come from outside the program.
    ///
    /// (Not `Jobs::try_from`: integers convert with `From`, so that `f_par(xs, 4)` works, and
    /// the standard library's `TryFrom` then goes through `From`, which panics on `0`.)
    ///
    /// ```
    /// use parallelize::Jobs;
    ///
    /// assert!(Jobs::try_new(0).is_err());
    /// assert_eq!(Jobs::try_new(3).unwrap().workers(), 3);
    /// ```
    ///
    /// # Errors
    ///
    /// [`JobsError`] if `njobs` is `0`.
    #[inline]
    pub fn try_new(njobs: isize) -> Result<Jobs, JobsError> {
        if njobs == 0 {
            Err(JobsError {
                refused: Refused::Njobs(njobs),
            })
        } else {
            Ok(Jobs {
                requested: njobs,
                adaptive: true,
                in_flight: None,
                controls: None,
                #[cfg(feature = "mpi")]
                distributed: None,
            })
        }
    }

    /// Every core of the machine: the same as `Jobs::new(-1)`.
    ///
    /// ```
    /// use parallelize::Jobs;
    ///
    /// let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    /// assert_eq!(Jobs::all().workers(), cores);
    /// assert_eq!(Jobs::all().requested(), -1);
    /// ```
    #[must_use]
    #[inline]
    pub fn all() -> Jobs {
        Jobs {
            requested: -1,
            adaptive: true,
            in_flight: None,
            controls: None,
            #[cfg(feature = "mpi")]
            distributed: None,
        }
    }

    /// Whether a call whose work is predicted to be small may run inline on the calling thread
    /// (the default), or must always go to the workers (`false`): for items that must run at
    /// the same time, such as items that wait for each other. Such a call made inside a pool
    /// with fewer workers than it asks for runs on a pool of its own size (see the crate's
    /// documentation on nesting), so that its items can meet.
    ///
    /// ```
    /// use parallelize::Jobs;
    ///
    /// let squares = parallelize::par_map(0..4, Jobs::new(2).adaptive(false), |x: u32| x * x);
    /// assert_eq!(squares, [0, 1, 4, 9]);
    /// ```
    #[must_use]
    #[inline]
    pub fn adaptive(self, adaptive: bool) -> Jobs {
        Jobs { adaptive, ..self }
    }

    /// See [`Jobs::adaptive`].
    ///
    /// ```
    /// use parallelize::Jobs;
    ///
    /// assert!(Jobs::new(4).is_adaptive());
    /// assert!(!Jobs::new(4).adaptive(false).is_adaptive());
    /// ```
    #[must_use]
    #[inline]
    pub fn is_adaptive(&self) -> bool {
        self.adaptive
    }

    /// The in-flight bound of a call that does not set one: 262,144 items.
    ///
    /// ```
    /// use parallelize::Jobs;
    ///
    /// assert_eq!(Jobs::new(2).in_flight_bound(), Jobs::DEFAULT_IN_FLIGHT);
    /// ```
    pub const DEFAULT_IN_FLIGHT: usize = 1 << 18;

    /// The most items a streaming call ([`par_map_iter`](crate::par_map_iter), `NAME_par_iter`,
    /// [`par_map_reduce`](crate::par_map_reduce), ...) holds at once: pulled from its input
    /// but not yet taken by the consumer (or, for a reduction, not yet folded into a value),
    /// whether waiting, running or done. The input is never read further ahead than this, so memory
    /// stays flat however long the input is. [`Jobs::DEFAULT_IN_FLIGHT`] unless set.
    ///
    /// A smaller bound holds less memory (set it low for big items: images, files) and makes
    /// the workers wait for the consumer more often; calls that return a `Vec` hold every
    /// result anyway and do not use it.
    ///
    /// ```
    /// use parallelize::{Jobs, par_map_iter};
    ///
    /// let lengths: Vec<usize> = par_map_iter(["a", "bb", "ccc"], Jobs::new(2).in_flight(2), str::len).collect();
    /// assert_eq!(lengths, [1, 2, 3]);
    /// ```
    ///
    /// # Panics
    ///
    /// If `items` is `0`, which would never let an item start: use [`Jobs::try_in_flight`] for
    /// values read from configuration.
    #[must_use]
    #[track_caller]
    pub fn in_flight(self, items: usize) -> Jobs {
        match self.try_in_flight(items) {
            Ok(jobs) => jobs,
            Err(error) => refuse(&error),
        }
    }

    /// The checked form of [`Jobs::in_flight`].
    ///
    /// ```
    /// use parallelize::Jobs;
    ///
    /// let error = Jobs::new(4).try_in_flight(0).unwrap_err();
    /// assert!(error.to_string().contains("in_flight"));
    /// assert_eq!(Jobs::new(4).try_in_flight(8).unwrap().in_flight_bound(), 8);
    /// ```
    ///
    /// # Errors
    ///
    /// [`JobsError`] if `items` is `0`.
    pub fn try_in_flight(self, items: usize) -> Result<Jobs, JobsError> {
        match NonZeroUsize::new(items) {
            Some(items) => Ok(Jobs {
                in_flight: Some(items),
                ..self
            }),
            None => Err(JobsError {
                refused: Refused::InFlight,
            }),
        }
    }

    /// The in-flight bound in force: the one set with [`Jobs::in_flight`], else
    /// [`Jobs::DEFAULT_IN_FLIGHT`].
    ///
    /// ```
    /// use parallelize::Jobs;
    ///
    /// assert_eq!(Jobs::new(4).in_flight(64).in_flight_bound(), 64);
    /// ```
    #[must_use]
    #[inline]
    pub fn in_flight_bound(&self) -> usize {
        self.in_flight
            .map_or(Jobs::DEFAULT_IN_FLIGHT, NonZeroUsize::get)
    }

    /// The value this was made from, as the user wrote it (`-1`, `4`, ...).
    ///
    /// ```
    /// use parallelize::Jobs;
    ///
    /// assert_eq!(Jobs::new(-2).requested(), -2);
    /// assert_eq!(Jobs::from(8_u32).requested(), 8);
    /// ```
    #[must_use]
    pub fn requested(&self) -> isize {
        self.requested
    }

    /// The number of workers this resolves to on this machine (always at least one).
    ///
    /// ```
    /// use parallelize::Jobs;
    ///
    /// let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    /// assert_eq!(Jobs::new(3).workers(), 3);
    /// assert_eq!(Jobs::new(-2).workers(), (cores - 1).max(1));
    /// ```
    #[must_use]
    #[inline]
    pub fn workers(&self) -> usize {
        if self.requested > 0 {
            self.requested.unsigned_abs()
        } else {
            // -k means cores + 1 - k, at least one.
            let all_but = self.requested.unsigned_abs() - 1;
            cores().saturating_sub(all_but).max(1)
        }
    }
}

/// Long runs: progress, deadlines and cancellation (see the crate's section "Long runs").
impl Jobs {
    /// Calls `report` with the call's [`Progress`] as items finish: at most once every
    /// [`REPORT_EVERY`](crate::REPORT_EVERY) (100 ms), never twice at once, from whichever
    /// thread finishes work, and once more when the call ends, with the final count
    /// ([`Progress::is_last`]). Items are counted when they finish, not when they start.
    ///
    /// A report runs on a worker between items, so keep it short (update a bar, store a
    /// number); a panic in it is not an item's and ends the call. Calls nested in this one
    /// (made by its items) do not report through it.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use parallelize::{Jobs, par_map};
    ///
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = Arc::clone(&seen);
    /// let jobs = Jobs::new(2).on_progress(move |progress| log.lock().unwrap().push(progress));
    /// let squares = par_map(0..1000_u64, jobs, |x| x * x);
    /// let reports = seen.lock().unwrap();
    /// let last = reports.last().unwrap();
    /// assert!(last.is_last());
    /// assert_eq!((last.finished(), last.total()), (1000, Some(1000)));
    /// # assert_eq!(squares.len(), 1000);
    /// ```
    #[must_use]
    pub fn on_progress(self, report: impl Fn(Progress) + Send + Sync + 'static) -> Jobs {
        self.with_controls(|controls| controls.report = Some(Arc::new(report)))
    }

    /// Items not started by `deadline` are skipped, and the call ends with [`Stopped`]
    /// (`StopCause::Deadline`): see [`Jobs::cancel_on`] for what each kind of call does then.
    /// Items running at the deadline finish. The engine looks at the clock between runs of
    /// items sized from the items before them to take about 10 µs (one item, for items slower
    /// than that; at most 4,096 items), so items go on starting for about one such run after
    /// the deadline (longer only if items suddenly get much slower than the ones before).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use parallelize::{Jobs, StopCause, Stoppable, par_map_iter};
    ///
    /// // A deadline already past: at most the first run of items starts, and the stream
    /// // ends with the error that says why.
    /// let jobs = Jobs::new(2).deadline(Instant::now() - Duration::from_millis(1));
    /// let outcome: Result<Vec<u32>, _> =
    ///     par_map_iter(0..100_000_u32, jobs, |x| x).checked().collect();
    /// let stopped = outcome.unwrap_err();
    /// assert_eq!(stopped.cause(), StopCause::Deadline);
    /// assert!(stopped.finished() < 100_000);
    /// ```
    ///
    /// [`Stopped`]: crate::Stopped
    #[must_use]
    pub fn deadline(self, deadline: Instant) -> Jobs {
        self.with_controls(|controls| controls.deadline = Some(Deadline::At(deadline)))
    }

    /// A deadline `timeout` after each call made with these `Jobs` starts: see
    /// [`Jobs::deadline`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use parallelize::{Jobs, StopCause, Stoppable, par_map_iter};
    ///
    /// let slow = |x: u64| { std::thread::sleep(Duration::from_millis(5)); x };
    /// let jobs = Jobs::new(2).timeout(Duration::from_millis(20));
    /// let outcome: Result<Vec<u64>, _> = par_map_iter(0..10_000, jobs, slow).checked().collect();
    /// assert_eq!(outcome.unwrap_err().cause(), StopCause::Deadline);
    /// ```
    #[must_use]
    pub fn timeout(self, timeout: Duration) -> Jobs {
        self.with_controls(|controls| controls.deadline = Some(Deadline::After(timeout)))
    }

    /// Watches `handle`: once [`CancelHandle::cancel`] is called (from any thread), calls made
    /// with these `Jobs` start no new item; items already running finish (Rust cannot stop a
    /// running closure safely), and calls nested in them (made by their items) stop starting
    /// items too. The call then ends with [`Stopped`], which says how many items finished and
    /// which did not:
    ///
    /// - a stream (`NAME_par_iter`, [`par_map_iter`](crate::par_map_iter), ...) hands out the
    ///   results that finished and then ends with the error: `Err(Stopped)` through
    ///   [`Stoppable::checked`](crate::Stoppable::checked), a panic with its message
    ///   otherwise; collecting the checked stream is the `Result`-returning form of any call;
    /// - [`par_map_reduce_checked`](crate::par_map_reduce_checked) returns it;
    /// - the calls that return every result (`NAME_par`, `NAME_try_par`, `par_comp!`,
    ///   [`pool_parallelize`](crate::pool_parallelize), [`par_map_reduce`](crate::par_map_reduce))
    ///   cannot, and panic with its message, as `Result::expect` would: use the stream form to
    ///   handle it.
    ///
    /// A call that finishes every item is not stopped, even if the handle was cancelled while
    /// its last items ran.
    ///
    /// ```
    /// use parallelize::{CancelHandle, Jobs, StopCause, Stoppable, par_map_iter};
    ///
    /// let cancel = CancelHandle::new();
    /// cancel.cancel(); // before the call: nothing starts
    /// let outcome: Result<Vec<u32>, _> =
    ///     par_map_iter(0..100_u32, Jobs::new(4).cancel_on(&cancel), |x| x).checked().collect();
    /// let stopped = outcome.unwrap_err();
    /// assert_eq!(stopped.cause(), StopCause::Cancelled);
    /// assert_eq!(stopped.unfinished(), [0..100]);
    /// ```
    ///
    /// [`Stopped`]: crate::Stopped
    #[must_use]
    pub fn cancel_on(self, handle: &CancelHandle) -> Jobs {
        self.with_controls(|controls| controls.cancel = Some(handle.clone()))
    }

    /// Draws a progress bar on stderr for each call made with these `Jobs` (cargo feature
    /// `progress`, on [indicatif](https://docs.rs/indicatif)): finished items against the total
    /// when it is known (a counter otherwise), the rate, and the time left. Hidden when stderr
    /// is not a terminal. The bars of concurrent and nested calls share one
    /// `indicatif::MultiProgress`, a line each; a nested call's bar is cleared when it ends,
    /// the others stay, finished.
    ///
    /// ```
    /// use parallelize::{Jobs, par_map};
    ///
    /// let squares = par_map(0..1000_u64, Jobs::new(2).progress_bar(), |x| x * x);
    /// # assert_eq!(squares.len(), 1000);
    /// ```
    #[cfg(feature = "progress")]
    #[must_use]
    pub fn progress_bar(self) -> Jobs {
        self.with_controls(|controls| controls.bar = Some(crate::bar::BarSpec::Default))
    }

    /// [`Jobs::progress_bar`] on a bar of your own (its style, its draw target): each call
    /// sets its position, and its length once the call knows how many items it has (until
    /// then the bar keeps the length it has), and finishes it when it ends. The bar is
    /// indicatif's, as re-exported by `parallelize::indicatif`.
    ///
    /// ```
    /// use indicatif::{ProgressBar, ProgressStyle}; // or parallelize::indicatif::...
    /// use parallelize::{Jobs, par_map};
    ///
    /// let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len}").unwrap();
    /// let bar = ProgressBar::new(1000).with_style(style).with_prefix("squares");
    /// let squares = par_map(0..1000_u64, Jobs::new(2).progress_bar_with(bar.clone()), |x| x * x);
    /// assert_eq!((bar.position(), bar.is_finished()), (1000, true));
    /// # assert_eq!(squares.len(), 1000);
    /// ```
    #[cfg(feature = "progress")]
    #[must_use]
    pub fn progress_bar_with(self, bar: indicatif::ProgressBar) -> Jobs {
        self.with_controls(|controls| controls.bar = Some(crate::bar::BarSpec::Given(bar)))
    }

    fn with_controls(mut self, set: impl FnOnce(&mut Controls)) -> Jobs {
        set(Arc::make_mut(self.controls.get_or_insert_default()));
        self
    }
}

/// `Jobs::new`'s panic, out of the way of the calls that convert an `njobs`.
#[cold]
#[inline(never)]
#[track_caller]
fn refuse(error: &JobsError) -> ! {
    panic!("{error}")
}

/// The machine's cores as the standard library counts them (cgroup and affinity aware), asked
/// once: the question costs system calls, and parallel calls ask it on every call.
#[inline]
pub(crate) fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
}

impl Default for Jobs {
    /// All cores, like `Jobs::all()`.
    fn default() -> Jobs {
        Jobs::all()
    }
}

impl fmt::Debug for Jobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Jobs");
        debug
            .field("requested", &self.requested)
            .field("workers", &self.workers())
            .field("adaptive", &self.adaptive)
            .field("in_flight", &self.in_flight_bound());
        if let Some(controls) = &self.controls {
            debug.field("controls", controls);
        }
        #[cfg(feature = "mpi")]
        if let Some(spread) = &self.distributed {
            debug.field("distributed", spread);
        }
        debug.finish()
    }
}

/// Equal when they ask for the same workers and options, and share the same long-run options
/// (the same `Jobs`, or clones of it: a callback cannot be compared).
impl PartialEq for Jobs {
    fn eq(&self, other: &Jobs) -> bool {
        self.requested == other.requested
            && self.adaptive == other.adaptive
            && self.in_flight == other.in_flight
            && match (&self.controls, &other.controls) {
                (None, None) => true,
                (Some(mine), Some(theirs)) => Arc::ptr_eq(mine, theirs),
                _ => false,
            }
            && self.same_spread(other)
    }
}

impl Eq for Jobs {}

impl Hash for Jobs {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.requested.hash(state);
        self.adaptive.hash(state);
        self.in_flight.hash(state);
        #[cfg(feature = "mpi")]
        self.distributed.hash(state);
    }
}

impl Jobs {
    #[cfg(feature = "mpi")]
    fn same_spread(&self, other: &Jobs) -> bool {
        self.distributed == other.distributed
    }

    #[cfg(not(feature = "mpi"))]
    #[allow(clippy::unused_self)]
    fn same_spread(&self, _: &Jobs) -> bool {
        true
    }
}

// A `Jobs` may hold a progress report, a closure whose state a panic could leave half-updated
// (and a `Jobs` may be used again after a caught panic, so the report may see that state):
// the compiler then takes `Jobs` for not unwind-safe. These traits are lints, not soundness:
// the engine keeps no state of its own in a `Jobs`, and a report's state is the report's
// to guard, as any closure's. Without them, `catch_unwind(|| f_par(xs, jobs))` would stop
// compiling for every `Jobs`, with or without a report.
impl std::panic::UnwindSafe for Jobs {}
impl std::panic::RefUnwindSafe for Jobs {}

impl From<&Jobs> for Jobs {
    /// A clone: so that one `Jobs` serves several calls (`f_par(xs, &jobs)`).
    fn from(jobs: &Jobs) -> Jobs {
        jobs.clone()
    }
}

macro_rules! jobs_from_signed {
    ($($int:ty),*) => {$(
        impl From<$int> for Jobs {
            /// Same as [`Jobs::new`]: panics on `0`.
            #[track_caller]
            #[inline]
            fn from(njobs: $int) -> Jobs {
                // Values beyond isize saturate: nobody has that many cores.
                Jobs::new(isize::try_from(njobs).unwrap_or(if njobs < 0 { isize::MIN } else { isize::MAX }))
            }
        }
    )*};
}

macro_rules! jobs_from_unsigned {
    ($($int:ty),*) => {$(
        impl From<$int> for Jobs {
            /// Same as [`Jobs::new`]: panics on `0`.
            #[track_caller]
            #[inline]
            fn from(njobs: $int) -> Jobs {
                Jobs::new(isize::try_from(njobs).unwrap_or(isize::MAX))
            }
        }
    )*};
}

jobs_from_signed!(i8, i16, i32, i64, isize);
jobs_from_unsigned!(u8, u16, u32, u64, usize);

impl From<NonZeroUsize> for Jobs {
    fn from(njobs: NonZeroUsize) -> Jobs {
        Jobs::new(isize::try_from(njobs.get()).unwrap_or(isize::MAX))
    }
}

/// The error of [`Jobs::try_new`] and [`Jobs::try_in_flight`]: a value with no meaning. Its
/// message names the parameter.
///
/// ```
/// use parallelize::{Jobs, JobsError};
///
/// let error: JobsError = Jobs::try_new(0).unwrap_err();
/// assert!(error.to_string().starts_with("njobs must not be 0"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobsError {
    refused: Refused,
}

/// Which value [`JobsError`] refused.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refused {
    Njobs(isize),
    InFlight,
}

impl fmt::Display for JobsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.refused {
            Refused::Njobs(njobs) => write!(
                f,
                "njobs must not be {njobs}: use n > 0 for n workers, -1 for all cores, -k for all cores but k - 1"
            ),
            Refused::InFlight => f.write_str(
                "in_flight must not be 0: a streaming call needs room for at least one item",
            ),
        }
    }
}

impl std::error::Error for JobsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positive_values_are_exact_even_beyond_the_cores() {
        assert_eq!(Jobs::new(1).workers(), 1);
        assert_eq!(Jobs::new(7).workers(), 7);
        let cores_signed = isize::try_from(cores()).unwrap();
        assert_eq!(Jobs::new(cores_signed * 4).workers(), cores() * 4);
    }

    #[test]
    fn negative_values_follow_joblib() {
        let n = cores();
        let n_signed = isize::try_from(n).unwrap();
        assert_eq!(Jobs::new(-1).workers(), n);
        assert_eq!(Jobs::new(-2).workers(), (n - 1).max(1));
        assert_eq!(Jobs::new(-n_signed).workers(), 1);
        assert_eq!(Jobs::new(-n_signed - 5).workers(), 1);
        assert_eq!(Jobs::new(isize::MIN).workers(), 1);
    }

    #[test]
    fn zero_is_refused_with_a_message_naming_njobs() {
        let error = Jobs::try_new(0).unwrap_err();
        assert!(error.to_string().contains("njobs"), "{error}");
        let panic = std::panic::catch_unwind(|| Jobs::from(0_u8)).unwrap_err();
        let message = panic.downcast_ref::<String>().unwrap();
        assert!(message.contains("njobs"), "{message}");
    }

    #[test]
    fn integers_of_every_width_convert() {
        assert_eq!(Jobs::from(3_u64).workers(), 3);
        assert_eq!(Jobs::from(-1_i64), Jobs::all());
        assert_eq!(Jobs::from(u64::MAX).requested(), isize::MAX);
        assert_eq!(Jobs::from(i64::MIN).workers(), 1);
        assert_eq!(Jobs::default(), Jobs::all());
    }

    #[test]
    fn a_zero_in_flight_bound_is_refused_with_a_message_naming_it() {
        let error = Jobs::new(2).try_in_flight(0).unwrap_err();
        assert!(error.to_string().contains("in_flight"), "{error}");
        let panic = std::panic::catch_unwind(|| Jobs::new(2).in_flight(0)).unwrap_err();
        let message = panic.downcast_ref::<String>().unwrap();
        assert!(message.contains("in_flight"), "{message}");
        assert_eq!(Jobs::new(2).in_flight_bound(), Jobs::DEFAULT_IN_FLIGHT);
        assert_eq!(Jobs::new(2).in_flight(3).in_flight_bound(), 3);
        assert_eq!(Jobs::new(2).in_flight(3).workers(), 2);
    }
}
