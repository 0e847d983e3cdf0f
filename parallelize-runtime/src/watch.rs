//! Long runs: progress reports, deadlines and cancellation, set on [`Jobs`] and watched per
//! call.
//!
//! A call whose `Jobs` sets none of them, made outside any watched call, has no [`Watch`]: its
//! paths are the ones it always had, and asking costs one branch and a thread-local read. A
//! watched call has one `Watch`, shared by every thread that runs its items:
//!
//! - **Counting.** The engine reports finished items by runs (a block of a producer's fold, a
//!   piece's run of items, one item where items run one by one), never item by item where it
//!   runs them in runs: [`Watch::done`] adds the run to the count, notes the run's indices if
//!   the call can be stopped, and calls the progress report if it is due. Reports are at most
//!   one per [`REPORT_EVERY`], never two at once, and there is a last one, with the final count,
//!   when the call ends.
//! - **Stopping.** [`Watch::stopping`] says whether the call must start no more items: its
//!   cancellation handle was triggered, its deadline has passed, or a call it is nested in was
//!   stopped. The engine asks where it already looks at its stop flag (before each block, each
//!   piece, each one-by-one item); once one thread sees it, the call's own flag tells the rest.
//! - **Nesting.** While a worker runs a watched call's items, a thread-local names the call's
//!   stop conditions ([`StopState`]); a call made inside an item inherits them, so cancelling
//!   (or timing out) the outer call stops the inner ones from starting items too. Every job of
//!   the engine sets the thread-local for its own call (none, for an unwatched one), so that
//!   work a waiting worker takes from another call does not inherit the wrong conditions.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::panic::{panic_any, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::Jobs;
use crate::panic::{Failure, raise};

/// The shortest time between two progress reports of one call.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use parallelize::{Jobs, REPORT_EVERY, par_map};
///
/// let reports = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&reports);
/// let jobs = Jobs::new(2).on_progress(move |progress| log.lock().unwrap().push(progress));
/// par_map(0..10_000_u64, jobs, |x| x * x);
/// let reports = reports.lock().unwrap();
/// let elapsed = reports.last().unwrap().elapsed();
/// // At most one report per `REPORT_EVERY`, plus the last one.
/// assert!(reports.len() as u128 <= elapsed.as_nanos() / REPORT_EVERY.as_nanos() + 2);
/// ```
pub const REPORT_EVERY: Duration = Duration::from_millis(100);

/// A handle that stops a call from another thread: a Ctrl-C handler, a UI's cancel button.
///
/// Give it to [`Jobs::cancel_on`]; [`CancelHandle::cancel`] then stops every call made with
/// those `Jobs` (and every call nested in them) from starting new items. Items already running
/// finish: Rust has no safe way to interrupt a running closure. The calls end with
/// [`Stopped`] (see [`Jobs::cancel_on`] for how each kind of call reports it).
///
/// Cloning gives another handle to the same flag; a handle, once cancelled, stays cancelled.
///
/// ```
/// use parallelize::{CancelHandle, Jobs, par_map_iter, Stoppable};
///
/// let cancel = CancelHandle::new();
/// let jobs = Jobs::new(2).cancel_on(&cancel);
/// let mut squares = par_map_iter(0..1_000_000_u64, jobs, |x| x * x).checked();
/// assert_eq!(squares.next().unwrap().unwrap(), 0);
/// cancel.cancel();
/// // The results already computed still come out, then the error.
/// let stopped = squares.find_map(Result::err).expect("the stream ends with the error");
/// assert!(stopped.finished() < 1_000_000);
/// ```
#[derive(Clone, Default)]
pub struct CancelHandle(Arc<AtomicBool>);

impl CancelHandle {
    /// A handle not yet cancelled.
    ///
    /// ```
    /// use parallelize::CancelHandle;
    ///
    /// let handle = CancelHandle::new();
    /// assert!(!handle.is_cancelled());
    /// ```
    #[must_use]
    pub fn new() -> CancelHandle {
        CancelHandle::default()
    }

    /// Stops the calls watching this handle from starting new items. May be called from any
    /// thread, any number of times.
    ///
    /// ```
    /// use parallelize::CancelHandle;
    ///
    /// let handle = CancelHandle::new();
    /// let other = handle.clone(); // the same flag
    /// std::thread::spawn(move || other.cancel()).join().unwrap();
    /// assert!(handle.is_cancelled());
    /// handle.cancel(); // again: it stays cancelled
    /// assert!(handle.is_cancelled());
    /// ```
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`CancelHandle::cancel`] was called.
    ///
    /// ```
    /// use parallelize::{CancelHandle, Jobs, par_map};
    ///
    /// let cancel = CancelHandle::new();
    /// let jobs = Jobs::new(2).cancel_on(&cancel);
    /// // A call that cancels once it is done: every item finished, so it is not stopped.
    /// let squares = par_map(vec![1, 2, 3], jobs, |x: u32| x * x);
    /// cancel.cancel();
    /// assert!(cancel.is_cancelled());
    /// assert_eq!(squares, [1, 4, 9]);
    /// ```
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelHandle")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

/// Where a call stands: what a progress report ([`Jobs::on_progress`]) is given.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use parallelize::{Jobs, Progress, par_map};
///
/// let reports: Arc<Mutex<Vec<Progress>>> = Arc::default();
/// let log = Arc::clone(&reports);
/// let jobs = Jobs::new(2).on_progress(move |progress| log.lock().unwrap().push(progress));
/// assert_eq!(par_map(0..1000_u32, jobs, |x| x % 7).len(), 1000);
/// let reports = reports.lock().unwrap();
/// // Counts never go backwards, and the last report has them all.
/// assert!(reports.windows(2).all(|pair| pair[0].finished() <= pair[1].finished()));
/// assert_eq!(reports.last().unwrap().finished(), 1000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    finished: usize,
    total: Option<usize>,
    elapsed: Duration,
    last: bool,
}

impl Progress {
    /// How many items have finished (their function returned).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use parallelize::{Jobs, par_map};
    ///
    /// let reports = Arc::new(Mutex::new(Vec::new()));
    /// let log = Arc::clone(&reports);
    /// let jobs = Jobs::new(2).on_progress(move |progress| log.lock().unwrap().push(progress));
    /// par_map(vec![1.0, 4.0, 9.0], jobs, f64::sqrt);
    /// let reports = reports.lock().unwrap();
    /// assert!(reports.iter().all(|progress| progress.finished() <= 3));
    /// assert_eq!(reports.last().unwrap().finished(), 3);
    /// ```
    #[must_use]
    pub fn finished(&self) -> usize {
        self.finished
    }

    /// How many items the call has, when its input says so exactly (a `Vec`, a slice, a
    /// range, an iterator with an exact size hint); `None` for other iterators.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use parallelize::{Jobs, par_map};
    ///
    /// let reports = Arc::new(Mutex::new(Vec::new()));
    /// let log = Arc::clone(&reports);
    /// let jobs = Jobs::new(2).on_progress(move |progress| log.lock().unwrap().push(progress));
    /// par_map(0..500_u32, jobs, |x| x + 1);
    /// // A range says how long it is: every report knows the total.
    /// assert!(reports.lock().unwrap().iter().all(|progress| progress.total() == Some(500)));
    /// ```
    #[must_use]
    pub fn total(&self) -> Option<usize> {
        self.total
    }

    /// The time since the call started.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Instant;
    /// use parallelize::{Jobs, par_map};
    ///
    /// let reports = Arc::new(Mutex::new(Vec::new()));
    /// let log = Arc::clone(&reports);
    /// let jobs = Jobs::new(2).on_progress(move |progress| log.lock().unwrap().push(progress));
    /// let before = Instant::now();
    /// par_map(0..1000_u64, jobs, |x| x * x);
    /// let outside = before.elapsed();
    /// // The call started after `before` and reported before it returned.
    /// assert!(reports.lock().unwrap().iter().all(|progress| progress.elapsed() <= outside));
    /// ```
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// Whether this is the call's last report, made when it ends (with every item finished,
    /// or fewer if it was stopped).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use parallelize::{Jobs, par_map};
    ///
    /// let reports = Arc::new(Mutex::new(Vec::new()));
    /// let log = Arc::clone(&reports);
    /// let jobs = Jobs::new(2).on_progress(move |progress| log.lock().unwrap().push(progress));
    /// par_map(0..1000_u32, jobs, |x| x / 2);
    /// let reports = reports.lock().unwrap();
    /// // One last report, after every other.
    /// assert_eq!(reports.iter().filter(|progress| progress.is_last()).count(), 1);
    /// assert!(reports.last().unwrap().is_last());
    /// ```
    #[must_use]
    pub fn is_last(&self) -> bool {
        self.last
    }
}

/// Why a call was stopped.
///
/// ```
/// use parallelize::{CancelHandle, Jobs, StopCause, par_map_reduce_checked};
///
/// let cancel = CancelHandle::new();
/// cancel.cancel();
/// let jobs = Jobs::new(2).cancel_on(&cancel);
/// let outcome = par_map_reduce_checked(1..=10_u32, jobs, |x| x, |a, b| a + b);
/// let why = match outcome.unwrap_err().cause() {
///     StopCause::Deadline => "too slow",
///     StopCause::Cancelled => "cancelled",
///     _ => "stopped", // the enum is `#[non_exhaustive]`
/// };
/// assert_eq!(why, "cancelled");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StopCause {
    /// Its deadline passed ([`Jobs::deadline`], [`Jobs::timeout`]).
    Deadline,
    /// Its [`CancelHandle`] was cancelled.
    Cancelled,
}

/// The error of a call cut short by its deadline or its [`CancelHandle`]: why, how many items
/// finished, and which did not.
///
/// The results of the finished items are not kept (a `Vec` with holes would not be the call's
/// answer); a streaming call hands them out as they come, then ends with this error, so use a
/// stream where the results of a partial run matter (see [`Stoppable::checked`]).
///
/// ```
/// use std::time::Duration;
/// use parallelize::{Jobs, StopCause, par_map_iter, Stoppable};
///
/// // A deadline already past: no item starts.
/// let jobs = Jobs::new(2).timeout(Duration::ZERO);
/// let outcome: Result<Vec<u32>, _> = par_map_iter(0..10_u32, jobs, |x| x + 1).checked().collect();
/// let stopped = outcome.unwrap_err();
/// assert_eq!(stopped.cause(), StopCause::Deadline);
/// assert_eq!(stopped.finished(), 0);
/// assert_eq!(stopped.to_string(), "the call was stopped by its deadline: 0 of 10 items finished; not finished: 0..10");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stopped {
    cause: StopCause,
    finished: usize,
    total: Option<usize>,
    unfinished: Vec<Range<usize>>,
    /// The stop came from an enclosing call (see [`raise_stopped`]).
    inherited: bool,
}

impl Stopped {
    /// Why the call was stopped.
    ///
    /// ```
    /// use std::time::Duration;
    /// use parallelize::{Jobs, StopCause, par_map_reduce_checked};
    ///
    /// let jobs = Jobs::new(2).timeout(Duration::ZERO); // already past when the call starts
    /// let outcome = par_map_reduce_checked(1..=10_u32, jobs, |x| x, |a, b| a + b);
    /// assert_eq!(outcome.unwrap_err().cause(), StopCause::Deadline);
    /// ```
    #[must_use]
    pub fn cause(&self) -> StopCause {
        self.cause
    }

    /// How many items finished before the call was stopped.
    ///
    /// ```
    /// use parallelize::{CancelHandle, Jobs, Stoppable, par_map_iter};
    ///
    /// let cancel = CancelHandle::new();
    /// let jobs = Jobs::new(1).cancel_on(&cancel); // one worker: items run as they are read
    /// let mut squares = par_map_iter(0..10_u32, jobs, |x| x * x).checked();
    /// assert_eq!(squares.next(), Some(Ok(0)));
    /// assert_eq!(squares.next(), Some(Ok(1)));
    /// cancel.cancel();
    /// let stopped = squares.next().unwrap().unwrap_err();
    /// assert_eq!(stopped.finished(), 2);
    /// ```
    #[must_use]
    pub fn finished(&self) -> usize {
        self.finished
    }

    /// How many items the call had, when known: the input said so exactly, or it was read to
    /// its end before the call stopped.
    ///
    /// ```
    /// use parallelize::{CancelHandle, Jobs, Stoppable, par_map_iter};
    ///
    /// let cancel = CancelHandle::new();
    /// cancel.cancel();
    /// let jobs = Jobs::new(2).cancel_on(&cancel);
    /// let sized = par_map_iter(0..10_u32, jobs.clone(), |x| x).checked().find_map(Result::err);
    /// assert_eq!(sized.unwrap().total(), Some(10));
    /// let endless = par_map_iter(0_u32.., jobs, |x| x).checked().find_map(Result::err);
    /// assert_eq!(endless.unwrap().total(), None);
    /// ```
    #[must_use]
    pub fn total(&self) -> Option<usize> {
        self.total
    }

    /// The indices of the items that did not finish, as ascending, disjoint ranges. When the
    /// input was not read to its end (an iterator of unknown length), the last range ends at
    /// `usize::MAX`: every item from its start on.
    ///
    /// ```
    /// use parallelize::{CancelHandle, Jobs, Stoppable, par_map_iter};
    ///
    /// let cancel = CancelHandle::new();
    /// let jobs = Jobs::new(1).cancel_on(&cancel); // one worker: items run as they are read
    /// let mut doubled = par_map_iter(0..10_u32, jobs.clone(), |x| 2 * x).checked();
    /// assert_eq!(doubled.next(), Some(Ok(0)));
    /// cancel.cancel();
    /// assert_eq!(doubled.next().unwrap().unwrap_err().unfinished(), [1..10]);
    /// let endless = par_map_iter(0_u32.., jobs, |x| x).checked().find_map(Result::err);
    /// assert_eq!(endless.unwrap().unfinished(), [0..usize::MAX]);
    /// ```
    #[must_use]
    pub fn unfinished(&self) -> &[Range<usize>] {
        &self.unfinished
    }
}

impl Stopped {
    /// As an ordered stream reports it: the results it handed out (those before the first item
    /// that did not finish) and every item from there on as not finished, since the results
    /// that finished after that item are dropped with the stream.
    pub(crate) fn cut_at_first_gap(mut self) -> Stopped {
        if let Some(first) = self.unfinished.first() {
            let span = first.start..self.total.unwrap_or(usize::MAX);
            self.finished = span.start;
            self.unfinished = vec![span];
        }
        self
    }
}

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cause = match self.cause {
            StopCause::Deadline => "its deadline",
            StopCause::Cancelled => "its cancel handle",
        };
        write!(f, "the call was stopped by {cause}: {}", self.finished)?;
        match self.total {
            Some(total) => write!(f, " of {total} items finished")?,
            None => f.write_str(" items finished")?,
        }
        f.write_str("; not finished: ")?;
        for (position, range) in self.unfinished.iter().enumerate() {
            if position > 0 {
                f.write_str(", ")?;
            }
            if range.end == usize::MAX {
                write!(f, "{}..", range.start)?;
            } else if range.len() == 1 {
                write!(f, "{}", range.start)?;
            } else {
                write!(f, "{}..{}", range.start, range.end)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Stopped {}

/// A stream whose end can tell that it was cut short: every streaming entry point of this
/// crate returns one (`NAME_par_iter`, [`par_map_iter`](crate::par_map_iter),
/// [`par_map_unordered`](crate::par_map_unordered), `par_comp_iter!`,
/// [`pool_parallelize_iter`](crate::pool_parallelize_iter)).
///
/// As a plain iterator, a stream stopped by its deadline or its [`CancelHandle`] hands out the
/// results that finished before the first item that did not (in input order; every finished
/// one, for the unordered stream) and then panics with the [`Stopped`] message, as an item's
/// panic would. An ordered stream's [`Stopped`] counts as finished the results it handed out
/// and reports every item from the first that did not finish as not finished (results that
/// finished after that item are dropped with the stream). [`Stoppable::checked`] turns it into an iterator of `Result`s that ends with
/// `Err(Stopped)` instead: the `Result`-returning form of every call, since collecting it gives
/// `Result<Vec<R>, Stopped>`:
///
/// ```
/// use std::time::{Duration, Instant};
/// use parallelize::{Jobs, Stoppable, par_map_iter};
///
/// let jobs = Jobs::new(2).deadline(Instant::now() + Duration::from_secs(60));
/// let all: Result<Vec<u64>, _> = par_map_iter(1..=4_u64, jobs, |x| x * 10).checked().collect();
/// assert_eq!(all.unwrap(), [10, 20, 30, 40]);
/// ```
pub trait Stoppable: Iterator + Sized + sealed::Sealed {
    /// The stream as `Result`s: `Ok` for each result, then `Err(Stopped)` once if the call was
    /// cut short (nothing after it). A panic of an item still panics.
    fn checked(self) -> Checked<Self> {
        Checked(self)
    }

    /// The next result, or the error that ends the stream. Called by [`Checked`]; the plain
    /// `next` panics where this returns the error.
    #[doc(hidden)]
    fn next_checked(&mut self) -> Option<Result<Self::Item, Stopped>>;
}

/// Only this crate's streams are [`Stoppable`].
mod sealed {
    pub trait Sealed {}
}

pub(crate) use sealed::Sealed;

/// A stream's results as `Result`s: see [`Stoppable::checked`].
///
/// ```
/// use parallelize::{CancelHandle, Jobs, Stoppable, par_map_iter};
///
/// let all: Vec<_> = par_map_iter(1..=3_u32, 2, |x| x * 2).checked().collect();
/// assert_eq!(all, [Ok(2), Ok(4), Ok(6)]);
///
/// let cancel = CancelHandle::new();
/// cancel.cancel();
/// let mut cut = par_map_iter(1..=3_u32, Jobs::new(2).cancel_on(&cancel), |x| x * 2).checked();
/// assert!(cut.next().unwrap().is_err()); // the error comes once, and ends the stream
/// assert!(cut.next().is_none());
/// ```
#[derive(Debug)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Checked<S>(S);

impl<S: Stoppable> Iterator for Checked<S> {
    type Item = Result<S::Item, Stopped>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next_checked()
    }
}

/// What a [`Jobs`] watches for: set with its builder methods, shared by its copies.
#[derive(Clone, Default)]
pub(crate) struct Controls {
    pub(crate) report: Option<Arc<dyn Fn(Progress) + Send + Sync>>,
    #[cfg(feature = "progress")]
    pub(crate) bar: Option<crate::bar::BarSpec>,
    pub(crate) deadline: Option<Deadline>,
    pub(crate) cancel: Option<CancelHandle>,
}

/// When a call's deadline is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Deadline {
    At(Instant),
    /// This long after the call starts.
    After(Duration),
}

impl fmt::Debug for Controls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Controls");
        debug.field("on_progress", &self.report.is_some());
        #[cfg(feature = "progress")]
        debug.field("progress_bar", &self.bar.is_some());
        debug
            .field("deadline", &self.deadline)
            .field("cancel_on", &self.cancel)
            .finish()
    }
}

impl Controls {
    fn stops(&self) -> bool {
        self.deadline.is_some() || self.cancel.is_some()
    }
}

/// No stop yet; else a [`StopCause`], plus [`INHERITED`] when it came from an enclosing call.
const RUNNING: u8 = 0;
const DEADLINE: u8 = 1;
const CANCELLED: u8 = 2;
const INHERITED: u8 = 4;

/// What stops a call: its own conditions and those of the call it is nested in.
pub(crate) struct StopState {
    cancel: Option<CancelHandle>,
    deadline: Option<Instant>,
    /// [`RUNNING`], or why it stopped (once set, never changes).
    cause: AtomicU8,
    parent: Option<Arc<StopState>>,
}

impl StopState {
    /// Why this call must stop, if it must; the first answer other than [`RUNNING`] sticks.
    fn check(&self) -> u8 {
        let known = self.cause.load(Ordering::Relaxed);
        if known != RUNNING {
            return known;
        }
        let cause = if self.cancel.as_ref().is_some_and(CancelHandle::is_cancelled) {
            CANCELLED
        } else if self
            .deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
        {
            DEADLINE
        } else {
            match self.parent.as_ref().map(|parent| parent.check()) {
                Some(RUNNING) | None => RUNNING,
                Some(cause) => (cause & !INHERITED) | INHERITED,
            }
        };
        if cause != RUNNING {
            // The first thread to see it decides; the others read that.
            return match self.cause.compare_exchange(
                RUNNING,
                cause,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => cause,
                Err(first) => first,
            };
        }
        RUNNING
    }
}

thread_local! {
    /// The stop conditions of the watched call whose items this thread is running, if any.
    static ENCLOSING: RefCell<Option<Arc<StopState>>> = const { RefCell::new(None) };
    /// Whether `ENCLOSING` names a call: a plain flag, which (unlike `ENCLOSING`, whose value
    /// has a destructor) is read without a check that the thread's destructors are registered,
    /// so that an unwatched call's question costs one load.
    static ENCLOSED: Cell<bool> = const { Cell::new(false) };
}

/// Puts back the thread's previous enclosing call when dropped (see [`enter`]).
pub(crate) enum Entered {
    /// Nothing was changed: no watched call here before or now.
    Unchanged,
    /// The call that was enclosing before (maybe none).
    Replaced(Option<Arc<StopState>>),
}

impl Drop for Entered {
    fn drop(&mut self) {
        if let Entered::Replaced(previous) = self {
            let previous = previous.take();
            ENCLOSED.set(previous.is_some());
            ENCLOSING.with_borrow_mut(|current| *current = previous);
        }
    }
}

/// Marks this thread as running items of the call watched by `watch` (none: an unwatched call)
/// until the guard is dropped: calls made by those items inherit its stop conditions. For an
/// unwatched call on a thread that runs no watched call's items (the usual case) this is one
/// thread-local read.
#[inline]
pub(crate) fn enter(watch: Option<&Watch>) -> Entered {
    let state = watch.and_then(|watch| watch.stop.clone());
    if state.is_none() && !ENCLOSED.get() {
        return Entered::Unchanged;
    }
    ENCLOSED.set(state.is_some());
    Entered::Replaced(ENCLOSING.with_borrow_mut(|current| std::mem::replace(current, state)))
}

/// One watched call's state (see the module's documentation).
pub(crate) struct Watch {
    started: Instant,
    /// The number of items, once known.
    total: AtomicUsize,
    finished: AtomicUsize,
    report: Option<Arc<dyn Fn(Progress) + Send + Sync>>,
    #[cfg(feature = "progress")]
    bar: Option<crate::bar::Bar>,
    /// Nanoseconds since `started` before which no report is due.
    next_report: AtomicU64,
    /// Held while reporting, so that reports never overlap; `true` once the last is made.
    reporting: Mutex<bool>,
    /// `None` for a call that cannot be stopped.
    stop: Option<Arc<StopState>>,
    /// The runs of finished items, merged where they meet (a call that can be stopped): for
    /// the report of which did not. Start -> end.
    runs: Mutex<BTreeMap<usize, usize>>,
    /// Whether an item was skipped because the call stopped.
    cut: AtomicBool,
}

/// `total` when not yet known.
const UNKNOWN: usize = usize::MAX;

impl Watch {
    /// The watch of a call made with `jobs` of `total` items (if known), or `None` when it has
    /// nothing to watch: no control set on `jobs` and no watched call around it.
    #[inline]
    pub(crate) fn start(jobs: &Jobs, total: Option<usize>) -> Option<Arc<Watch>> {
        if jobs.controls.is_none() && !ENCLOSED.get() {
            return None;
        }
        Some(Watch::new(
            jobs.controls.as_deref(),
            ENCLOSING.with_borrow(Option::clone),
            total,
        ))
    }

    #[cold]
    #[inline(never)]
    fn new(
        controls: Option<&Controls>,
        parent: Option<Arc<StopState>>,
        total: Option<usize>,
    ) -> Arc<Watch> {
        let started = Instant::now();
        let empty = Controls::default();
        let controls = controls.unwrap_or(&empty);
        let stop = (controls.stops() || parent.is_some()).then(|| {
            Arc::new(StopState {
                cancel: controls.cancel.clone(),
                deadline: controls.deadline.map(|deadline| match deadline {
                    Deadline::At(at) => at,
                    Deadline::After(after) => started.checked_add(after).unwrap_or(far_future()),
                }),
                cause: AtomicU8::new(RUNNING),
                parent,
            })
        });
        Arc::new(Watch {
            started,
            total: AtomicUsize::new(total.unwrap_or(UNKNOWN)),
            finished: AtomicUsize::new(0),
            report: controls.report.clone(),
            #[cfg(feature = "progress")]
            bar: controls.bar.as_ref().map(|spec| spec.start(total)),
            next_report: AtomicU64::new(0),
            reporting: Mutex::new(false),
            stop,
            runs: Mutex::new(BTreeMap::new()),
            cut: AtomicBool::new(false),
        })
    }

    /// Whether the call must start no more items.
    #[inline]
    pub(crate) fn stopping(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|stop| stop.check() != RUNNING)
    }

    /// Notes that an item was skipped because the call stopped.
    #[cold]
    pub(crate) fn cut(&self) {
        self.cut.store(true, Ordering::Relaxed);
    }

    /// Notes that items were skipped if the call is stopping and `left` says items were left
    /// unrun (see [`crate::items::may_have_more`]).
    pub(crate) fn cut_if_left(&self, left: bool) {
        if left && self.stopping() {
            self.cut();
        }
    }

    /// Takes the number of items from `items`, when its size hint is exact.
    pub(crate) fn sized_by(&self, items: &impl Iterator) {
        if let Some(len) = crate::items::exact_size(items) {
            self.input_ended(len);
        }
    }

    /// Whether an item was skipped because the call stopped.
    pub(crate) fn was_cut(&self) -> bool {
        self.cut.load(Ordering::Relaxed)
    }

    /// Sets the number of items, once the input ran out.
    pub(crate) fn input_ended(&self, total: usize) {
        self.total.store(total, Ordering::Relaxed);
    }

    fn total(&self) -> Option<usize> {
        Some(self.total.load(Ordering::Relaxed)).filter(|&total| total != UNKNOWN)
    }

    /// Items `run` finished: counted, noted (for a call that can be stopped) and reported if a
    /// report is due.
    pub(crate) fn done(&self, run: Range<usize>) {
        if run.is_empty() {
            return;
        }
        let finished = self.finished.fetch_add(run.len(), Ordering::Relaxed) + run.len();
        if self.stop.is_some() {
            note_run(&mut lock(&self.runs), run);
        }
        if self.reports() {
            self.report_if_due(finished);
        }
    }

    fn reports(&self) -> bool {
        #[cfg(feature = "progress")]
        if self.bar.is_some() {
            return true;
        }
        self.report.is_some()
    }

    fn report_if_due(&self, finished: usize) {
        let now = nanos(self.started.elapsed());
        let due = self.next_report.load(Ordering::Relaxed);
        if now < due
            || self
                .next_report
                .compare_exchange(
                    due,
                    now.saturating_add(nanos(REPORT_EVERY)),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_err()
        {
            return;
        }
        // Never two at once: a report still running when the next is due makes that one wait
        // for the next turn.
        let Ok(over) = self.reporting.try_lock() else {
            return;
        };
        if !*over {
            // The count read now, under the lock: reports never go backwards.
            let finished = self.finished.load(Ordering::Relaxed).max(finished);
            self.send(finished, false);
        }
    }

    fn send(&self, finished: usize, last: bool) {
        let progress = Progress {
            finished,
            total: self.total(),
            elapsed: self.started.elapsed(),
            last,
        };
        #[cfg(feature = "progress")]
        if let Some(bar) = &self.bar {
            bar.show(&progress, self.was_cut());
        }
        if let Some(report) = &self.report {
            report(progress);
        }
    }

    /// The call is over: the last report, with the final count.
    fn last_report(&self) {
        if !self.reports() {
            return;
        }
        let mut over = lock(&self.reporting);
        if !*over {
            *over = true;
            self.send(self.finished.load(Ordering::Relaxed), true);
        }
    }

    /// The error of the call, which was stopped: why, and which items did not finish.
    fn stopped(&self) -> Stopped {
        let cause = self
            .stop
            .as_ref()
            .map_or(CANCELLED, |stop| stop.cause.load(Ordering::Relaxed));
        let total = self.total();
        let runs = std::mem::take(&mut *lock(&self.runs));
        let mut unfinished = Vec::new();
        let mut next = 0;
        for (start, end) in runs {
            if start > next {
                unfinished.push(next..start);
            }
            next = next.max(end);
        }
        let end = total.unwrap_or(usize::MAX);
        if next < end {
            unfinished.push(next..end);
        }
        Stopped {
            cause: if cause & !INHERITED == DEADLINE {
                StopCause::Deadline
            } else {
                StopCause::Cancelled
            },
            finished: self.finished.load(Ordering::Relaxed),
            total,
            unfinished,
            inherited: cause & INHERITED != 0,
        }
    }

    /// The end of a call: its last report, and its outcome, a stop becoming the [`Stopped`]
    /// error. Any other failure is raised here.
    #[track_caller]
    pub(crate) fn finish<T>(&self, outcome: Result<T, Failure>) -> Result<T, Stopped> {
        match outcome {
            Ok(value) => {
                self.last_report();
                Ok(value)
            }
            Err(failure) if failure.is_stopped() => {
                self.last_report();
                Err(self.stopped())
            }
            Err(failure) => {
                self.close();
                raise(failure)
            }
        }
    }

    /// Ends the reports of a call that did not run to its end (it failed, or a stream was
    /// dropped): no report after this, and the bar is taken down.
    pub(crate) fn close(&self) {
        let mut over = lock(&self.reporting);
        if !*over {
            *over = true;
            #[cfg(feature = "progress")]
            if let Some(bar) = &self.bar {
                bar.end(true);
            }
        }
    }
}

/// The value of a call that returns one, or its stop raised as a panic (see [`raise_stopped`]).
#[track_caller]
pub(crate) fn or_raise_stopped<T>(outcome: Result<T, Stopped>) -> T {
    match outcome {
        Ok(value) => value,
        Err(stopped) => raise_stopped(&stopped),
    }
}

/// Raises a stop where no `Result` can carry it: a stop inherited from an enclosing call
/// unwinds with a private payload, which that call's engine takes for "this item did not
/// finish" (it is stopping too); the call's own stop panics with the [`Stopped`] message.
#[cold]
#[track_caller]
pub(crate) fn raise_stopped(stopped: &Stopped) -> ! {
    // Only from inside an item of the enclosing call: a stream made there may be read after
    // that call is over, and then its stop is its own to report.
    if stopped.inherited && ENCLOSED.get() {
        resume_unwind(Box::new(Interrupted(stopped.to_string())))
    }
    panic_any(stopped.to_string())
}

/// The payload of a nested call stopped by the call it is nested in (see [`raise_stopped`]),
/// with the stop's message, for a catch that does not know it.
pub(crate) struct Interrupted(pub(crate) String);

/// Adds `run` to `runs` (start -> end), merged with the runs it meets on either side: the map
/// then holds one entry per gap (a worker's front, as workers go through runs of consecutive
/// items), not one per run.
fn note_run(runs: &mut BTreeMap<usize, usize>, run: Range<usize>) {
    let mut end = run.end;
    if let Some(after) = runs.remove(&end) {
        end = after;
    }
    match runs.range_mut(..run.start).next_back() {
        Some((_, before_end)) if *before_end == run.start => *before_end = end,
        _ => {
            runs.insert(run.start, end);
        }
    }
}

/// The latest `Instant` there is, near enough: for a timeout too long to add.
fn far_future() -> Instant {
    let now = Instant::now();
    // About 30 years: longer than any process runs.
    now.checked_add(Duration::from_secs(1 << 30)).unwrap_or(now)
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
