//! Panics in items: catch the first, stop starting new items, and re-raise it on the caller's
//! thread with the index of the item that panicked.
//!
//! Every path names the item by its index in the whole call, one way per kind of run:
//!
//! | how items run | how a panic gets its index | here |
//! | --- | --- | --- |
//! | on the workers, a rayon producer folded in blocks | one catch per item (free until it catches); the index counted per block, not read off the source's `len` | [`run_recorded`], from `guard.rs`'s `fold_with` |
//! | on the workers, one item at a time | the same, after a look at the stop flag | [`run_or_stop`] |
//! | `try` calls, on the workers | one catch per item, whose panic becomes its outcome (it counts only if no earlier item failed) | [`run_catching`] |
//! | inline, a plain iterator or a parallel source's producer (the tiny path) | one catch per item; the index is the loop's count | [`raise_inline_item`] |
//! | inline, measured or `try` | one catch per run; the index is noted before each call | [`inline_guarded`] |
//!
//! Runs on the workers end in [`guarded`], which turns the recorded panic into a [`Failure`];
//! every entry point raises a failure with [`raise`] (or [`or_raise`]) on the caller's thread.
//! Only the function's panics are named: a panic of the input itself (an iterator's `next`, a
//! parallel source's own adaptors, rayon's own checks) reaches the caller unchanged, on every
//! path, and stops the call as an item's does.

use std::any::Any;
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind, panic_any, resume_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::watch::{Interrupted, Watch, enter};

/// The shared state of one call: whether an item has panicked, and the lowest such item; and
/// the call's [`Watch`], if it is watched (then its stop also stops the call).
pub(crate) struct Cancel<'w> {
    stopped: AtomicBool,
    first_panic: Mutex<Option<(usize, String)>>,
    /// The first panic that was not an item's (the source's own adaptors, rayon's): it is the
    /// call's answer, whichever panicked first in time.
    other_panic: Mutex<Option<Box<dyn Any + Send>>>,
    pub(crate) watch: Option<&'w Watch>,
}

/// The payload that unwinds the rest of a cancelled call out of rayon. It never reaches the
/// user: [`guarded`] swaps it for the recorded panic. Raised with `resume_unwind`, so the panic
/// hook does not print it.
pub(crate) struct Cancelled;

impl Cancel<'_> {
    /// Whether an item has panicked, or the call's watch says stop (then no new item may
    /// start).
    #[inline]
    pub(crate) fn stopped(&self) -> bool {
        // Relaxed: this is a hint to stop early. The panic itself travels through rayon's
        // join, which synchronises, and `first_panic` is read only after the call is over.
        self.stopped.load(Ordering::Relaxed) || self.watch.is_some_and(|watch| self.told(watch))
    }

    /// Whether `watch` says stop; if so, the call's own flag tells the other threads.
    #[cold]
    #[inline(never)]
    fn told(&self, watch: &Watch) -> bool {
        let stopping = watch.stopping();
        if stopping {
            self.stopped.store(true, Ordering::Relaxed);
        }
        stopping
    }

    /// Stops the call without naming an item: for a panic that is not an item's.
    #[cold]
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }

    /// Stops the call for a panic that is not an item's, keeping the first such payload: the
    /// input failed, which is the call's answer.
    #[cold]
    pub(crate) fn record_other(&self, payload: Box<dyn Any + Send>) {
        self.stop();
        let mut other = self
            .other_panic
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if other.is_none() {
            *other = Some(payload);
        }
    }

    #[cold]
    pub(crate) fn record(&self, index: usize, payload: &(dyn Any + Send)) {
        self.stopped.store(true, Ordering::Relaxed);
        let mut first = self
            .first_panic
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if first.as_ref().is_none_or(|(known, _)| index < *known) {
            *first = Some((index, payload_message(payload)));
        }
    }
}

/// Runs the item at `index`: `f(item)`, unless an earlier panic stopped the call.
///
/// A panic in `f` is recorded in `cancel`, and the item then unwinds with a private payload,
/// which ends the call (rayon propagates it, dropping the results made so far).
///
/// For the paths that run items one at a time: in a watched call the item counts as finished
/// when it returns, and calls it makes inherit the call's stop conditions.
#[inline]
pub(crate) fn run_or_stop<T, R>(cancel: &Cancel, index: usize, f: &impl Fn(T) -> R, item: T) -> R {
    if cancel.stopped() {
        if let Some(watch) = cancel.watch {
            watch.cut();
        }
        resume_unwind(Box::new(Cancelled));
    }
    let _entered = enter(cancel.watch);
    let result = run_recorded(cancel, index, f, item);
    if let Some(watch) = cancel.watch {
        watch.done(index..index + 1);
    }
    result
}

/// Runs the item at `index`: `f(item)`, whose panic is recorded in `cancel` and ends the call
/// (the item unwinds with a private payload). Anything else that panics around it (the
/// source's own code, rayon's) is not an item's and passes through unchanged.
#[inline]
pub(crate) fn run_recorded<T, R>(cancel: &Cancel, index: usize, f: &impl Fn(T) -> R, item: T) -> R {
    // AssertUnwindSafe: after a panic the call's partial results are dropped, never observed;
    // what `f` shares with the caller is the caller's to guard, as with `std::thread::scope`.
    match catch_unwind(AssertUnwindSafe(|| f(item))) {
        Ok(result) => result,
        Err(payload) => {
            if payload.is::<Interrupted>()
                && let Some(watch) = cancel.watch
            {
                // A call the item made was stopped by this call's stop: the item did not
                // finish, and this call is stopping too.
                watch.cut();
                cancel.stop();
            } else {
                cancel.record(index, &*payload);
            }
            drop(payload);
            resume_unwind(Box::new(Cancelled))
        }
    }
}

/// An item's result, or the message of its panic.
pub(crate) type Outcome<R> = Result<R, String>;

/// Runs `f(item)` and catches a panic instead of ending the call: for `try` calls, where a panic
/// counts only if no earlier item failed.
#[inline]
pub(crate) fn run_catching<T, R>(f: &impl Fn(T) -> R, item: T) -> Outcome<R> {
    // AssertUnwindSafe: as in `run_or_stop`.
    catch_unwind(AssertUnwindSafe(|| f(item))).map_err(|payload| payload_message(&*payload))
}

/// Why a call ended without a result: an item panicked, or something else did (the input
/// iterator, say).
///
/// Boxed, so that a call's `Result<Vec<R>, Failure>` is no bigger than its `Vec` (the error
/// fits in the `Vec`'s niche): the tiny path then hands its results on as they are, instead of
/// copying them out of a wider slot, which cost a stalled load on every call.
pub(crate) struct Failure(Box<Failed>);

/// What [`Failure`] holds.
pub(crate) enum Failed {
    Item {
        index: usize,
        message: String,
    },
    Other(Box<dyn Any + Send>),
    /// The call's watch stopped it (its deadline, its cancel handle, an enclosing call's): the
    /// watch makes the report.
    Stopped,
}

impl Failure {
    /// The item at `index` panicked with `message`.
    #[cold]
    pub(crate) fn item(index: usize, message: String) -> Failure {
        Failure(Box::new(Failed::Item { index, message }))
    }

    /// Something else panicked with `payload`.
    #[cold]
    pub(crate) fn other(payload: Box<dyn Any + Send>) -> Failure {
        Failure(Box::new(Failed::Other(payload)))
    }

    /// The call's watch stopped it.
    #[cold]
    pub(crate) fn stopped() -> Failure {
        Failure(Box::new(Failed::Stopped))
    }

    /// Whether the call's watch stopped it.
    pub(crate) fn is_stopped(&self) -> bool {
        matches!(*self.0, Failed::Stopped)
    }
}

/// Raises `failure` on the caller's thread: an item's panic as `item {index} panicked:
/// {message}`, anything else as it was. Called by the public entry points, which are
/// `#[track_caller]`, so the report points at the user's call.
#[track_caller]
pub(crate) fn raise(failure: Failure) -> ! {
    match *failure.0 {
        Failed::Item { index, message } => panic_any(format!("item {index} panicked: {message}")),
        Failed::Other(payload) => resume_unwind(payload),
        // A call with long-run options of its own turns its stop into its error first (see
        // `Watch::finish`); one that reaches here was watched only for the stop of the call it
        // runs in, which takes this for an item that did not finish (`watch::Interrupted`).
        Failed::Stopped => resume_unwind(Box::new(Interrupted(
            "the call was stopped by the call it runs in".to_owned(),
        ))),
    }
}

/// Ends an inline call whose item `index` panicked with `payload`: unwinds with the payload
/// `item {index} panicked: {message}`, as [`raise`] does for a parallel call. Raised with
/// `resume_unwind`: the panic hook has reported the item's own panic, where it happened.
///
/// The item's payload is dropped first, before anything unwinds, so that a payload whose
/// `Drop` panics cannot abort. The results made so far are dropped while unwinding, as a
/// sequential `collect` drops them: a result whose `Drop` panics then aborts, as it would there.
#[cold]
#[inline(never)]
pub(crate) fn raise_inline_item(index: usize, payload: Box<dyn Any + Send>) -> ! {
    let message = payload_message(&*payload);
    drop(payload);
    resume_unwind(Box::new(format!("item {index} panicked: {message}")))
}

/// An item's panic, as [`raise`] reports it, for an item `by` places further in the input:
/// the local engine named the item by its index in a chunk of a distributed call, which starts
/// at input index `by`. Any other payload is returned as it is.
#[cfg(feature = "mpi")]
pub(crate) fn shift_item_index(payload: Box<dyn Any + Send>, by: u64) -> Box<dyn Any + Send> {
    let shifted = payload.downcast_ref::<String>().and_then(|message| {
        let rest = message.strip_prefix("item ")?;
        let (index, message) = rest.split_once(" panicked: ")?;
        let index: u64 = index.parse().ok()?;
        Some(format!("item {} panicked: {message}", index + by))
    });
    match shifted {
        Some(message) => Box::new(message),
        None => payload,
    }
}

/// The value, or the failure raised on the caller's thread (see [`raise`]).
#[track_caller]
pub(crate) fn or_raise<T>(result: Result<T, Failure>) -> T {
    match result {
        Ok(value) => value,
        Err(failure) => raise(failure),
    }
}

/// Runs one call's `body` with a fresh [`Cancel`], and turns a panic of one of its items into a
/// [`Failure`] naming the lowest index that panicked. A watched call's watch can stop it too
/// ([`Failure::stopped`]).
pub(crate) fn guarded<R>(
    watch: Option<&Watch>,
    body: impl FnOnce(&Cancel) -> R,
) -> Result<R, Failure> {
    let cancel = Cancel {
        stopped: AtomicBool::new(false),
        first_panic: Mutex::new(None),
        other_panic: Mutex::new(None),
        watch,
    };
    match catch_unwind(AssertUnwindSafe(|| body(&cancel))) {
        Ok(result) => Ok(result),
        Err(payload) => {
            let other = cancel
                .other_panic
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(other) = other {
                // The input's own failure, before any item's: it says the input itself failed.
                drop(payload);
                return Err(Failure::other(other));
            }
            let first = cancel
                .first_panic
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner);
            Err(match first {
                // An item's panic (the payload is the private `Cancelled`) names the lowest.
                Some((index, message)) if payload.is::<Cancelled>() => {
                    Failure::item(index, message)
                }
                // No item panicked: the watch stopped the call.
                None if payload.is::<Cancelled>() && watch.is_some() => Failure::stopped(),
                // Not an item's panic (the source's own, rayon's): passed on untouched, before
                // any item's, for it says the input itself failed.
                _ => Failure::other(payload),
            })
        }
    }
}

/// Runs `consume` on the caller's thread, with `current` holding the index of the item being
/// called (`None` between items): a panic becomes a [`Failure`] naming that item. One
/// `catch_unwind` for the whole run, not one per item, so that tiny items stay cheap.
pub(crate) fn inline_guarded<R>(
    consume: impl FnOnce(&Cell<Option<usize>>) -> R,
) -> Result<R, Failure> {
    let current = Cell::new(None);
    catch_unwind(AssertUnwindSafe(|| consume(&current))).map_err(|payload| match current.get() {
        Some(index) => Failure::item(index, payload_message(&*payload)),
        None => Failure::other(payload),
    })
}

/// The text of a panic payload: what `panic!` was given.
pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(Interrupted(message)) = payload.downcast_ref::<Interrupted>() {
        message.clone()
    } else if let Some(message) = payload.downcast_ref::<&'static str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "a panic payload that is not a string".to_owned()
    }
}
