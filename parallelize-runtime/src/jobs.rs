//! `Jobs`: how many workers a call may use, with joblib's sizing rules.

use std::fmt;
use std::num::NonZeroUsize;
use std::sync::OnceLock;

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
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Jobs {
    /// The requested value, never zero.
    requested: isize,
    /// Whether small calls may run inline (see [`Jobs::adaptive`]).
    adaptive: bool,
    /// The most items a streaming call may hold at once (see [`Jobs::in_flight`]); `None`:
    /// [`Jobs::DEFAULT_IN_FLIGHT`].
    in_flight: Option<NonZeroUsize>,
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
            })
        }
    }

    /// Every core of the machine: the same as `Jobs::new(-1)`.
    #[must_use]
    #[inline]
    pub fn all() -> Jobs {
        Jobs {
            requested: -1,
            adaptive: true,
            in_flight: None,
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
    #[must_use]
    #[inline]
    pub fn is_adaptive(self) -> bool {
        self.adaptive
    }

    /// The in-flight bound of a call that does not set one: 262,144 items.
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
    #[must_use]
    #[inline]
    pub fn in_flight_bound(self) -> usize {
        self.in_flight
            .map_or(Jobs::DEFAULT_IN_FLIGHT, NonZeroUsize::get)
    }

    /// The value this was made from, as the user wrote it (`-1`, `4`, ...).
    #[must_use]
    pub fn requested(self) -> isize {
        self.requested
    }

    /// The number of workers this resolves to on this machine (always at least one).
    #[must_use]
    #[inline]
    pub fn workers(self) -> usize {
        if self.requested > 0 {
            self.requested.unsigned_abs()
        } else {
            // -k means cores + 1 - k, at least one.
            let all_but = self.requested.unsigned_abs() - 1;
            cores().saturating_sub(all_but).max(1)
        }
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
        f.debug_struct("Jobs")
            .field("requested", &self.requested)
            .field("workers", &self.workers())
            .field("adaptive", &self.adaptive)
            .field("in_flight", &self.in_flight_bound())
            .finish()
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
