//! Panics in items: catch the first, stop starting new items, and re-raise it on the caller's
//! thread with the index of the item that panicked.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind, panic_any, resume_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

/// The shared state of one call: whether an item has panicked, and the lowest such item.
pub(crate) struct Cancel {
    stopped: AtomicBool,
    first_panic: Mutex<Option<(usize, String)>>,
}

/// The payload that unwinds the rest of a cancelled call out of rayon. It never reaches the
/// user: [`guarded`] swaps it for the recorded panic. Raised with `resume_unwind`, so the panic
/// hook does not print it.
struct Cancelled;

impl Cancel {
    /// Whether an item has panicked (then no new item may start).
    #[inline]
    fn stopped(&self) -> bool {
        // Relaxed: this is a hint to stop early. The panic itself travels through rayon's
        // join, which synchronises, and `first_panic` is read only after the call is over.
        self.stopped.load(Ordering::Relaxed)
    }

    #[cold]
    fn record(&self, index: usize, payload: &(dyn Any + Send)) {
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
#[inline]
pub(crate) fn call_item<T, R>(cancel: &Cancel, index: usize, f: &impl Fn(T) -> R, item: T) -> R {
    if cancel.stopped() {
        resume_unwind(Box::new(Cancelled));
    }
    // AssertUnwindSafe: after a panic the call's partial results are dropped, never observed;
    // what `f` shares with the caller is the caller's to guard, as with `std::thread::scope`.
    match catch_unwind(AssertUnwindSafe(|| f(item))) {
        Ok(result) => result,
        Err(payload) => {
            cancel.record(index, &*payload);
            resume_unwind(Box::new(Cancelled))
        }
    }
}

/// An item's result, or the message of its panic.
pub(crate) type Outcome<R> = Result<R, String>;

/// Runs `f(item)` and catches a panic instead of ending the call: for `try` calls, where a panic
/// counts only if no earlier item failed.
#[inline]
pub(crate) fn catch_item<T, R>(f: &impl Fn(T) -> R, item: T) -> Outcome<R> {
    // AssertUnwindSafe: as in `call_item`.
    catch_unwind(AssertUnwindSafe(|| f(item))).map_err(|payload| payload_message(&*payload))
}

/// Runs one call's `body` with a fresh [`Cancel`], and turns a panic of one of its items into a
/// panic on the caller's thread with the payload `item {index} panicked: {message}`.
#[track_caller]
pub(crate) fn guarded<R>(body: impl FnOnce(&Cancel) -> R) -> R {
    let cancel = Cancel {
        stopped: AtomicBool::new(false),
        first_panic: Mutex::new(None),
    };
    match catch_unwind(AssertUnwindSafe(|| body(&cancel))) {
        Ok(result) => result,
        Err(payload) => {
            let first = cancel
                .first_panic
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner);
            match first {
                Some((index, message)) => panic_any(format!("item {index} panicked: {message}")),
                // Not an item's panic (the input iterator's, say): pass it on untouched.
                None => resume_unwind(payload),
            }
        }
    }
}

/// The text of a panic payload: what `panic!` was given.
fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "a panic payload that is not a string".to_owned()
    }
}
