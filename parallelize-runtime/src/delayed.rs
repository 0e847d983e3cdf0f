//! `Delayed` tasks and `pool_parallelize`: coarse, uneven calls of any functions, in one batch.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rayon::prelude::*;

use crate::bounds::{One, Sendable};
use crate::items::exact_size;
use crate::panic::{guarded, or_raise, run_or_stop};
use crate::pool::run_in_pool_as;
use crate::watch::{Watch, or_raise_stopped};
use crate::{Jobs, SendResult};

/// A call captured for later: the callee and its arguments, evaluated when it was made, ready
/// to run on any thread. Made by `delayed!`; run by [`pool_parallelize`].
///
/// One type whatever the callee, so calls of different functions with one result type go in
/// one batch. `'a` is the lifetime of whatever the call borrows.
///
/// ```
/// use parallelize::{Delayed, delayed, pool_parallelize};
///
/// fn square(x: f64) -> f64 { x * x }
/// let tasks: Vec<Delayed<'_, f64>> = vec![delayed!(square(3.0)), delayed!(f64::sqrt(16.0))];
/// assert_eq!(pool_parallelize(tasks, 2), [9.0, 4.0]);
/// ```
#[must_use = "a delayed call does nothing until it is run"]
pub struct Delayed<'a, R> {
    call: Box<dyn FnOnce() -> R + Send + 'a>,
}

impl<'a, R> Delayed<'a, R> {
    /// Captures `call`. `delayed!` writes this for you, evaluating the
    /// arguments first.
    ///
    /// ```
    /// use parallelize::{Delayed, pool_parallelize};
    ///
    /// let base = 10;
    /// // Two closures of different types, one task type.
    /// let tasks = vec![Delayed::new(|| base + 1), Delayed::new(move || base * 2)];
    /// assert_eq!(pool_parallelize(tasks, 2), [11, 20]);
    /// ```
    pub fn new(call: impl FnOnce() -> R + Send + 'a) -> Delayed<'a, R> {
        Delayed {
            call: Box::new(call),
        }
    }

    /// Runs the call here, on this thread.
    ///
    /// ```
    /// use std::thread;
    /// use parallelize::{Delayed, delayed};
    ///
    /// fn add(a: i32, b: i32) -> i32 { a + b }
    /// assert_eq!(delayed!(add(2, 3)).run(), 5);
    ///
    /// let here = thread::current().id();
    /// assert_eq!(Delayed::new(|| thread::current().id()).run(), here);
    /// ```
    pub fn run(self) -> R {
        (self.call)()
    }
}

impl<R> fmt::Debug for Delayed<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delayed").finish_non_exhaustive()
    }
}

/// Runs `tasks` on `njobs` workers and returns their results in task order.
///
/// Tasks are taken to be coarse and uneven: each one is its own unit of work, never batched
/// with its neighbours. Every worker takes the next waiting task in order as soon as it is
/// free (a self-scheduling loop per worker, on rayon's threads), so tasks start in order and no
/// worker idles while one waits.
///
/// ```
/// use parallelize::{delayed, pool_parallelize};
///
/// fn pow(x: f64, y: f64) -> f64 { x.powf(y) }
/// let x = 16.0_f64;
/// let results = pool_parallelize(vec![delayed!(pow(2.0, 3.0)), delayed!(x.sqrt())], 4);
/// assert_eq!(results, [8.0, 4.0]);
/// ```
///
/// # Panics
///
/// If a task panics, no new task starts, and this panics with `item {index} panicked:
/// {message}`, naming the task. Also if `njobs` is `0`.
#[track_caller]
pub fn pool_parallelize<'a, R>(
    tasks: impl IntoIterator<Item = Delayed<'a, R>>,
    njobs: impl Into<Jobs>,
) -> Vec<R>
where
    R: SendResult,
{
    let jobs = njobs.into();
    let (workers, exact) = (jobs.workers(), !jobs.is_adaptive());
    let watch = Watch::start(&jobs, None);
    let run = |task: Delayed<'a, R>| task.run();
    let tasks = tasks.into_iter();
    if let Some(watch) = &watch
        && let Some(len) = exact_size(&tasks)
    {
        watch.input_ended(len);
    }
    let results = guarded(watch.as_deref(), |cancel| {
        if workers == 1 {
            // Made and run one at a time, in order.
            return tasks
                .into_iter()
                .enumerate()
                .map(|(index, task)| run_or_stop(cancel, index, &run, task))
                .collect();
        }
        let slots: Vec<Mutex<Slot<'a, R>>> = tasks
            .into_iter()
            .map(|task| Mutex::new(Slot::Waiting(task)))
            .collect();
        if let Some(watch) = cancel.watch {
            watch.input_ended(slots.len());
        }
        if slots.is_empty() {
            // Nothing to share out: no pool.
            return Vec::new();
        }
        let next = AtomicUsize::new(0);
        // One loop per worker; each takes the next waiting task in order.
        let take_tasks = || {
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(slot) = slots.get(index) else {
                    return;
                };
                let Slot::Waiting(task) = std::mem::replace(&mut *lock(slot), Slot::Running) else {
                    unreachable!("pool_parallelize: task {index} was taken twice");
                };
                let result = run_or_stop(cancel, index, &run, task);
                *lock(slot) = Slot::Done(Sendable::new(result));
            }
        };
        run_in_pool_as(workers, exact, |lanes| {
            let loops = lanes.workers().min(slots.len());
            (0..loops)
                .into_par_iter()
                .with_max_len(1)
                .for_each(|_| take_tasks());
        });
        slots
            .into_iter()
            .enumerate()
            .map(
                |(index, slot)| match slot.into_inner().unwrap_or_else(PoisonError::into_inner) {
                    Slot::Done(result) => result.0,
                    _ => unreachable!("pool_parallelize: task {index} did not run"),
                },
            )
            .collect()
    });
    match watch {
        Some(watch) => or_raise_stopped(watch.finish(results)),
        None => or_raise(results),
    }
}

/// One task of a `pool_parallelize` call, from waiting to done.
enum Slot<'a, R> {
    Waiting(Delayed<'a, R>),
    Running,
    Done(Sendable<R, One>),
}

/// A slot's lock: a task's panic is caught before it could poison one.
fn lock<'s, 'a, R>(slot: &'s Mutex<Slot<'a, R>>) -> MutexGuard<'s, Slot<'a, R>> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a delayed call holds (an argument, or a receiver by copy or by reference): it goes to
/// a worker with the task, so it must be `Send`. `delayed!` passes each held value through
/// [`held`], spanned at the user's expression, so that a value that is not `Send` is reported
/// there, in these words, rather than as a bound of the task's closure.
///
/// ```
/// use std::sync::Arc;
/// use parallelize::{SendHeld, delayed, pool_parallelize};
///
/// fn sum(values: Arc<Vec<i32>>) -> i32 { values.iter().sum() }
/// fn holds<T: SendHeld>(_: &T) {}
///
/// let shared = Arc::new(vec![1, 2, 3]); // `Arc` is `Send`; an `Rc` would be refused
/// holds(&shared);
/// let tasks = vec![delayed!(sum(Arc::clone(&shared))), delayed!(sum(Arc::clone(&shared)))];
/// assert_eq!(pool_parallelize(tasks, 2), [6, 6]);
/// ```
///
/// ```compile_fail
/// use std::rc::Rc;
/// use parallelize::delayed;
///
/// fn sum(values: Rc<Vec<i32>>) -> i32 { values.iter().sum() }
/// let task = delayed!(sum(Rc::new(vec![1, 2, 3]))); // `Rc` is not `Send`
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent to another thread, so a delayed call cannot hold it",
    label = "this value is not `Send`",
    note = "a task holds its arguments (and a receiver, by copy or by reference) and runs on a worker thread: use a thread-safe type instead (`Arc` for `Rc`, a `Mutex` or atomics for `Cell` and `RefCell`)"
)]
pub trait SendHeld: crate::bounds::sealed::IsSend {}
impl<T: ?Sized + Send> SendHeld for T {}

/// `value`, required to be [`SendHeld`]. For `delayed!`.
#[doc(hidden)]
#[inline]
pub fn held<T: SendHeld>(value: T) -> T {
    value
}

/// The values a `delayed!` task holds, moved into it as one. Not `Copy`, so that the task
/// closure, which is not `move`, takes it by value.
#[doc(hidden)]
pub struct Owned<T>(pub T);

impl<T> Owned<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// A place that `delayed!` evaluates now, as a receiver or callee.
#[doc(hidden)]
pub struct Receiver<'a, T: ?Sized>(pub &'a T);

/// `delayed!` holds a `Copy` place by copy (a `&Model` loop variable, a number) ...
#[doc(hidden)]
pub trait HoldCopy<T> {
    fn held(&self) -> T;
}

impl<T: Copy> HoldCopy<T> for Receiver<'_, T> {
    fn held(&self) -> T {
        *self.0
    }
}

/// ... and any other place by reference (an owned `Model`, so that many tasks can use it).
/// The choice is made by method resolution: `(&Receiver(&place)).held()` finds `HoldCopy` on
/// `Receiver` before it autorefs to find `HoldRef` on `&Receiver`.
#[doc(hidden)]
pub trait HoldRef<'a, T: ?Sized> {
    fn held(&self) -> &'a T;
}

impl<'a, T: ?Sized> HoldRef<'a, T> for &Receiver<'a, T> {
    fn held(&self) -> &'a T {
        self.0
    }
}
