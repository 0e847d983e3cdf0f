//! The adaptive path: small work runs inline on the caller's thread, decided without the
//! user's help.
//!
//! Going parallel costs a few microseconds (waking workers, splitting, joining); a call whose
//! whole work costs less than that is faster inline. Each function keeps what its calls have
//! learned in a [`Cost`]: `NAME_par` and `par_comp!` in a `static` of their own, `par_map` in a
//! small table keyed by its call site. A call whose cost is unknown goes parallel (no item
//! waits behind another that might be slow) and records its cost; later calls predict their
//! total from it. Predicted small, a call runs inline with no clock read at all; but one such
//! call in [`RESAMPLE`] on each thread measures again, inline with the clock read after 1, 2,
//! 4, ... items, and sends the rest to the workers if the budget is spent, so a cost that grows
//! is noticed. Predicted big, a call goes parallel at once and pays two clock reads.

use std::cell::Cell;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// Work predicted to take less than this runs inline; measured inline work goes parallel once
/// it has taken this long. About the price of one parallel call on a warm pool.
pub(crate) const INLINE_BUDGET: Duration = Duration::from_micros(BUDGET_MICROS);

const BUDGET_MICROS: u64 = 20;

/// One inline call in this many (per thread) measures the cost again.
pub(crate) const RESAMPLE: u32 = 1024;

/// What the runtime has learned about the cost of one function's items: kept in a `static`
/// beside each `NAME_par` companion and each `par_comp!`.
#[doc(hidden)]
#[derive(Debug)]
pub struct Cost {
    /// Picoseconds per item, 0 while unknown. The lowest bit set marks a rough figure, from a
    /// parallel run's wall time times its workers: that includes the price of going parallel,
    /// so it overstates small calls.
    picos_per_item: AtomicU64,
}

impl Cost {
    /// Nothing known yet.
    #[must_use]
    pub const fn new() -> Cost {
        Cost {
            picos_per_item: AtomicU64::new(0),
        }
    }

    /// Notes that `items` items took `elapsed`, run inline: an exact figure.
    pub(crate) fn record_inline(&self, elapsed: Duration, items: usize) {
        if let Some(picos) = per_item(elapsed, items) {
            // Relaxed: a hint; a stale value only moves one decision.
            self.picos_per_item.store(picos & !1, Ordering::Relaxed);
        }
    }

    /// Notes that `items` items took `wall` on `workers` workers: a rough figure, kept unless
    /// an exact one is known and this call was too short to say much.
    pub(crate) fn record_parallel(&self, wall: Duration, workers: usize, items: usize) {
        let known = self.picos_per_item.load(Ordering::Relaxed);
        let exact_known = known != 0 && known & 1 == 0;
        if exact_known && wall < INLINE_BUDGET * 4 {
            return;
        }
        let work = wall.saturating_mul(u32::try_from(workers).unwrap_or(u32::MAX));
        if let Some(picos) = per_item(work, items) {
            self.picos_per_item.store(picos | 1, Ordering::Relaxed);
        }
    }

    /// The predicted work of `items` items in picoseconds, and whether it is rough.
    #[inline]
    fn predicted_picos(&self, items: usize) -> Option<(u64, bool)> {
        let raw = self.picos_per_item.load(Ordering::Relaxed);
        (raw != 0).then(|| ((raw & !1).max(2).saturating_mul(items as u64), raw & 1 == 1))
    }
}

impl Cost {
    /// How many items make about 10 us of work, between 1 (also while the cost is unknown) and
    /// 4096: how often a parallel run looks at its stop flag.
    pub(crate) fn block(cost: Option<&Cost>) -> usize {
        const BLOCK_PICOS: u64 = 10_000_000;
        let picos = cost.map_or(0, |cost| cost.picos_per_item.load(Ordering::Relaxed) & !1);
        BLOCK_PICOS.checked_div(picos).map_or(1, |items| {
            usize::try_from(items.clamp(1, 4096)).unwrap_or(1)
        })
    }
}

/// Picoseconds per item (never 0, which means unknown).
fn per_item(elapsed: Duration, items: usize) -> Option<u64> {
    (items != 0).then(|| {
        let picos = elapsed.as_nanos().saturating_mul(1000) / items as u128;
        u64::try_from(picos).unwrap_or(u64::MAX).max(2)
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
/// A rough figure that says the parallel call takes little time is checked by measuring inline
/// once, but only for calls with at least two items per worker: a call of one item per worker
/// may be items that wait for each other (a barrier, a rendezvous), which must all run at once.
#[inline]
pub(crate) fn plan(cost: Option<&Cost>, items: Option<usize>, workers: usize) -> Plan {
    let Some(cost) = cost else {
        return Plan::Parallel;
    };
    // With the length unknown, a few items' worth stands in for it: inline is then only
    // tried, with the clock watching, for items far below the budget.
    match cost.predicted_picos(items.unwrap_or(UNKNOWN_LENGTH)) {
        None => Plan::Parallel,
        Some((predicted, rough)) if predicted >= BUDGET_PICOS => {
            // A rough figure counts every worker's whole wall time as work; what it says
            // reliably is how long the parallel call took.
            let wall = predicted / workers.max(1) as u64;
            let near = wall < BUDGET_PICOS * 4;
            let many = items.is_some_and(|items| items >= workers.saturating_mul(2));
            if rough && near && many {
                Plan::Measure
            } else {
                Plan::Parallel
            }
        }
        Some(_) if items.is_none() || resample() => Plan::Measure,
        Some(_) => Plan::Inline,
    }
}

/// [`INLINE_BUDGET`] in picoseconds.
const BUDGET_PICOS: u64 = BUDGET_MICROS * 1_000_000;

/// How many items a call of unknown length is taken to have when its cost is predicted.
const UNKNOWN_LENGTH: usize = 64;

/// The [`Cost`] of `par_map` calls made at `caller`: a direct-mapped table of call sites,
/// looked up in a few nanoseconds. Two sites that share a slot take turns (each reset makes
/// the next call go parallel and learn again); the cost is only ever a hint.
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

/// Whether this inline call should measure again: one in [`RESAMPLE`] per thread. A thread
/// local, not an atomic, so that tiny calls do not contend on one cache line.
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
    fn unknown_cost_goes_parallel_and_unknown_length_is_watched() {
        assert_eq!(plan(None, Some(10), 2), Plan::Parallel);
        assert_eq!(plan(Some(&Cost::new()), Some(10), 2), Plan::Parallel);
        let cost = Cost::new();
        cost.record_inline(Duration::from_nanos(10), 10);
        assert_eq!(plan(Some(&cost), None, 2), Plan::Measure);
        cost.record_inline(Duration::from_millis(10), 10);
        assert_eq!(plan(Some(&cost), None, 2), Plan::Parallel);
    }

    #[test]
    fn blocks_are_one_item_until_the_cost_is_known_then_about_10_us() {
        assert_eq!(Cost::block(None), 1);
        let cost = Cost::new();
        assert_eq!(Cost::block(Some(&cost)), 1);
        cost.record_inline(Duration::from_micros(1), 1_000); // 1 ns an item
        assert_eq!(Cost::block(Some(&cost)), 4096);
        cost.record_inline(Duration::from_micros(5), 1); // 5 us an item
        assert_eq!(Cost::block(Some(&cost)), 2);
        cost.record_inline(Duration::from_millis(1), 1);
        assert_eq!(Cost::block(Some(&cost)), 1);
    }

    #[test]
    fn each_call_site_has_its_own_cost() {
        let here = Location::caller();
        let first = cost_of_call_site(here);
        first.record_inline(Duration::from_nanos(5), 5);
        assert!(std::ptr::eq(cost_of_call_site(here), first));
        assert!(
            first.predicted_picos(1).is_some(),
            "the same site keeps what it learned"
        );
        let elsewhere = Location::caller();
        assert!(!std::ptr::eq(here, elsewhere));
    }

    #[test]
    fn cheap_work_goes_inline_and_expensive_work_parallel() {
        let cost = Cost::new();
        cost.record_inline(Duration::from_micros(1), 1_000); // 1 ns an item
        let plans: Vec<Plan> = (0..RESAMPLE * 2)
            .map(|_| plan(Some(&cost), Some(1_000), 2))
            .collect();
        let measured = plans.iter().filter(|p| **p == Plan::Measure).count();
        assert_eq!(measured, 2, "one call in {RESAMPLE} measures again");
        assert!(plans.iter().all(|p| *p != Plan::Parallel));
        assert_eq!(plan(Some(&cost), Some(1_000_000), 2), Plan::Parallel);
        assert_eq!(cost.predicted_picos(3), Some((3_000, false)));
        cost.record_inline(Duration::from_millis(1), 10); // the function became slow
        assert_eq!(plan(Some(&cost), Some(10), 2), Plan::Parallel);
    }

    #[test]
    fn a_rough_figure_near_the_budget_is_checked_inline_but_not_for_one_item_per_worker() {
        let cost = Cost::new();
        // A short parallel call of 10 items on 2 workers: rough, 20 us of work.
        cost.record_parallel(INLINE_BUDGET / 2, 2, 10);
        assert_eq!(plan(Some(&cost), Some(10), 2), Plan::Measure);
        assert_eq!(plan(Some(&cost), Some(10), 8), Plan::Parallel);
        // An exact figure is not overwritten by a short parallel call.
        cost.record_inline(Duration::from_nanos(10), 10);
        cost.record_parallel(INLINE_BUDGET, 2, 10);
        assert_eq!(cost.predicted_picos(1), Some((1_000, false)));
    }
}
