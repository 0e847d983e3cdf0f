//! The adaptive path: small work runs inline on the caller's thread, decided without the
//! user's help.
//!
//! Going parallel costs a few microseconds (waking workers, splitting, joining); a call whose
//! whole work costs less than that is faster inline. Each function keeps what its calls have
//! learned in a [`Cost`]: `NAME_par` and `par_comp!` in a `static` of their own, `par_map` in a
//! small table keyed by its call site. A call whose cost is unknown goes parallel (no item
//! waits behind another that might be slow); its workers time their runs of items, and the
//! summed time per item is the cost that later calls predict their total from. Predicted under
//! 5 us, a call runs inline with no clock read at all, and one such call in
//! [`RESAMPLE`] on each thread has the function's next call measure again. Predicted between that and the budget, a call
//! runs inline with the clock read after 1, 2, 4, ... items and sends the rest to the workers
//! if the budget is spent. Predicted big, it goes parallel at once.
//!
//! What this cannot see: a function whose items become far more expensive from one call to the
//! next (their cost depends on their input) keeps running inline, on the old prediction, until
//! its next measured call: up to [`RESAMPLE`] calls on a thread, each as slow as its items
//! now are. And items that wait for each other must all run at once, which a call with at least
//! two items per worker no longer promises once it runs inline. `Jobs::adaptive(false)` keeps
//! such calls on the workers.

use std::cell::Cell;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// Work predicted to take less than this runs inline; measured inline work goes parallel once
/// it has taken this long. About the price of one parallel call on a warm pool.
pub(crate) const INLINE_BUDGET: Duration = Duration::from_micros(BUDGET_MICROS);

const BUDGET_MICROS: u64 = 20;

/// One inline call in this many (per thread) has the next call of its function measure the
/// cost again.
pub(crate) const RESAMPLE: u32 = 1024;

/// What the runtime has learned about the cost of one function's items: kept in a `static`
/// beside each `NAME_par` companion and each `par_comp!`.
///
/// ```
/// use parallelize::expansion::{Cost, map_items};
/// use parallelize::One;
///
/// // What a companion does: one `Cost` per function, shared by all its calls.
/// static COST: Cost = Cost::new();
/// let squares = map_items::<One, _, _, _>(0..100_u64, 2, Some(&COST), |x| x * x);
/// assert_eq!(squares[99], 99 * 99);
/// ```
#[derive(Debug)]
pub struct Cost {
    /// Picoseconds per item (an even number), 0 while unknown; plus 1 when the next call is to
    /// measure again ([`Cost::measure_next`]).
    picos_per_item: AtomicU64,
}

impl Cost {
    /// Nothing known yet: the first call measures.
    ///
    /// ```
    /// static COST: parallelize::expansion::Cost = parallelize::expansion::Cost::new();
    /// ```
    #[must_use]
    pub const fn new() -> Cost {
        Cost {
            picos_per_item: AtomicU64::new(0),
        }
    }

    /// Notes that `items` items took `busy` of work: measured inline, or summed over the
    /// workers' runs of items (their own time, not the call's overhead).
    pub(crate) fn record(&self, busy: Duration, items: usize) {
        if let Some(picos) = per_item(busy, items) {
            // Relaxed: a hint; a stale value only moves one decision.
            self.picos_per_item.store(picos, Ordering::Relaxed);
        }
    }

    /// What an item costs, in picoseconds, if anything is known.
    pub(crate) fn picos_per_item(&self) -> Option<u64> {
        let picos = self.picos_per_item.load(Ordering::Relaxed) & !1;
        (picos != 0).then_some(picos)
    }

    /// Has the next call measure its cost again (it clears this by recording).
    #[cold]
    fn measure_next(&self) {
        self.picos_per_item.fetch_or(1, Ordering::Relaxed);
    }

    /// The predicted work of `items` items in picoseconds, if anything is known, and whether
    /// this call is to measure again.
    #[inline]
    fn predicted_picos(&self, items: usize) -> Option<(u64, bool)> {
        let raw = self.picos_per_item.load(Ordering::Relaxed);
        let picos = raw & !1;
        (picos != 0).then(|| (picos.saturating_mul(items as u64), raw & 1 != 0))
    }
}

/// Picoseconds per item, rounded down to an even number (never 0, which means unknown; the
/// lowest bit is [`Cost::measure_next`]'s).
fn per_item(elapsed: Duration, items: usize) -> Option<u64> {
    (items != 0).then(|| {
        let picos = elapsed.as_nanos().saturating_mul(1000) / items as u128;
        u64::try_from(picos).unwrap_or(u64::MAX).max(2) & !1
    })
}

impl Default for Cost {
    fn default() -> Cost {
        Cost::new()
    }
}

/// How one call runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Known to be small: inline, no clock read.
    Inline,
    /// Big, or not known: parallel at once.
    Parallel,
    /// Known to be small, checked again: inline with clock reads, parallel once the budget is
    /// spent.
    Measure,
}

/// The plan for a call of `items` items (if known) on `workers` workers with what `cost` has
/// learned. Inlined: the decision for a tiny call must cost next to nothing.
///
/// Inline is never chosen for a call of unknown length or of fewer than two items per worker:
/// such items may wait for each other (a barrier, a rendezvous), which works only if they all
/// run at once. Below 5 us of predicted work a call runs inline with no clock read (and
/// [`inline_done`] after it has one call in [`RESAMPLE`] ask the next to measure again); from
/// there to the budget it runs inline with the clock watching, and sends the rest to the
/// workers if the prediction was wrong.
#[inline]
pub(crate) fn plan(cost: Option<&Cost>, items: Option<usize>, workers: usize) -> Plan {
    let (Some(cost), Some(items)) = (cost, items) else {
        return Plan::Parallel;
    };
    if items < workers.saturating_mul(2) {
        return Plan::Parallel;
    }
    match cost.predicted_picos(items) {
        None => Plan::Parallel,
        Some((predicted, _)) if predicted >= BUDGET_PICOS => Plan::Parallel,
        Some((predicted, again)) if predicted >= TINY_PICOS || again => Plan::Measure,
        Some(_) => Plan::Inline,
    }
}

/// After a call that ran on [`Plan::Inline`]: one in [`RESAMPLE`] on each thread asks the next
/// call of the function to measure its cost again. Counted after the work, not before it, so
/// that the count is off the tiny call's path (before it, it cost a 10-item call about 1 ns).
#[inline]
pub(crate) fn inline_done(cost: Option<&Cost>) {
    if let Some(cost) = cost
        && resample()
    {
        cost.measure_next();
    }
}

/// Work predicted under this (5 us) runs inline with no clock read at all. A measured inline
/// run reads the clock about log2(items) times, which it counts as work: the threshold keeps
/// that from holding a tiny call on the measured path forever.
const TINY_PICOS: u64 = 5_000_000;

/// [`INLINE_BUDGET`] in picoseconds.
const BUDGET_PICOS: u64 = BUDGET_MICROS * 1_000_000;

/// The [`Cost`] of `par_map` calls made at `caller`: a direct-mapped table of call sites,
/// looked up in a few nanoseconds. Two sites that share a slot take turns (each reset makes
/// the next call go parallel and learn again); the cost is only ever a hint.
#[inline]
pub(crate) fn cost_of_call_site(caller: &'static Location<'static>) -> &'static Cost {
    struct Slot {
        site: AtomicUsize,
        cost: Cost,
    }
    const SLOTS: usize = 256;
    static TABLE: [Slot; SLOTS] = [const {
        Slot {
            site: AtomicUsize::new(0),
            cost: Cost::new(),
        }
    }; SLOTS];
    let site = std::ptr::from_ref(caller) as usize;
    // Call sites' `Location`s are distinct statics, laid out one after another.
    let index = (site / std::mem::size_of::<Location<'static>>()) % SLOTS;
    let slot = &TABLE[index];
    if slot.site.load(Ordering::Relaxed) != site {
        slot.site.store(site, Ordering::Relaxed);
        slot.cost.picos_per_item.store(0, Ordering::Relaxed);
    }
    &slot.cost
}

/// Whether this inline call should have the next one measure again: one in [`RESAMPLE`] per
/// thread. A thread local, not an atomic, so that tiny calls do not contend on one cache line.
#[inline]
fn resample() -> bool {
    thread_local! {
        static INLINE_CALLS: Cell<u32> = const { Cell::new(0) };
    }
    INLINE_CALLS.with(|calls| {
        let n = calls.get().wrapping_add(1);
        calls.set(n);
        n % RESAMPLE == 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_cost_or_length_and_few_items_per_worker_go_parallel() {
        assert_eq!(plan(None, Some(10), 2), Plan::Parallel);
        assert_eq!(plan(Some(&Cost::new()), Some(10), 2), Plan::Parallel);
        let cost = Cost::new();
        cost.record(Duration::from_nanos(10), 10);
        assert_eq!(plan(Some(&cost), None, 2), Plan::Parallel);
        // One item per worker: the items may wait for each other, however cheap they are.
        assert_eq!(plan(Some(&cost), Some(2), 2), Plan::Parallel);
        assert_eq!(plan(Some(&cost), Some(15), 8), Plan::Parallel);
        assert_ne!(plan(Some(&cost), Some(16), 8), Plan::Parallel);
    }

    #[test]
    fn tiny_work_goes_inline_small_work_is_watched_and_big_work_goes_parallel() {
        let cost = Cost::new();
        cost.record(Duration::from_micros(1), 1_000); // 1 ns an item
        // As the engine does: an inline call reports it is done, a measured one records. The
        // 1024th and 2048th inline calls (of this test's thread) each make the next measure.
        let plans: Vec<Plan> = (0..RESAMPLE * 2 + 2)
            .map(|_| {
                let planned = plan(Some(&cost), Some(500), 2);
                match planned {
                    Plan::Inline => inline_done(Some(&cost)),
                    _ => cost.record(Duration::from_nanos(500), 500),
                }
                planned
            })
            .collect();
        let measured = plans.iter().filter(|p| **p == Plan::Measure).count();
        assert_eq!(
            measured, 2,
            "one call in {RESAMPLE} has the next measure again"
        );
        assert!(plans.iter().all(|p| *p != Plan::Parallel));
        assert_eq!(plan(Some(&cost), Some(10_000), 2), Plan::Measure);
        assert_eq!(plan(Some(&cost), Some(1_000_000), 2), Plan::Parallel);
        assert_eq!(cost.predicted_picos(3), Some((3_000, false)));
        cost.record(Duration::from_millis(1), 10); // the function became slow
        assert_eq!(plan(Some(&cost), Some(10), 2), Plan::Parallel);
    }

    #[test]
    fn each_call_site_has_its_own_cost() {
        let here = Location::caller();
        let elsewhere = Location::caller();
        let first = cost_of_call_site(here);
        first.record(Duration::from_nanos(5), 5);
        assert!(std::ptr::eq(cost_of_call_site(here), first));
        assert!(
            first.predicted_picos(1).is_some(),
            "the same site keeps what it learned"
        );
        let second = cost_of_call_site(elsewhere);
        assert!(!std::ptr::eq(first, second), "two sites share a slot");
        assert_eq!(second.predicted_picos(1), None);
    }
}
