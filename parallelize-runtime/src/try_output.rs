//! `TryOutput`: how a `_try_par` companion sees a function's `Result`.

/// A function result that `NAME_try_par` can split into a success and an error.
///
/// Implemented for [`Result`] only (and so for every alias of it, such as `std::io::Result<T>`,
/// `anyhow::Result<T>` or your own `type Result<T> = ...`). The companion's signature reads
/// `Result<Vec<<R as TryOutput>::Ok>, <R as TryOutput>::Err>`, which is
/// `Result<Vec<T>, E>` for `R = Result<T, E>`.
///
/// This trait is sealed: it cannot be implemented outside this crate.
///
/// ```
/// use parallelize::{TryOutput, parallelized};
///
/// type Result<T> = std::result::Result<T, std::num::ParseIntError>;
///
/// #[parallelized]
/// fn parse(s: &str) -> Result<u8> {
///     s.parse()
/// }
///
/// // The companion splits each `Result<u8>` into its `u8` and its error.
/// assert_eq!(parse_try_par(["1", "2"], 2), Ok(vec![1, 2]));
/// assert!(parse("x").is_failure());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not `std::result::Result`, so `#[parallelized]` cannot make a `_try_par` companion for it",
    label = "the result type is named `Result` but is not `std::result::Result`",
    note = "write `#[parallelized(no_try_par)]` to leave out the `_try_par` companion"
)]
pub trait TryOutput: sealed::Sealed {
    /// The success type (`T` of `Result<T, E>`).
    type Ok;
    /// The error type (`E` of `Result<T, E>`).
    type Err;

    /// Whether this is an error, without consuming it.
    ///
    /// ```
    /// use parallelize::TryOutput;
    ///
    /// assert!(Err::<u8, &str>("no").is_failure());
    /// assert!(!Ok::<u8, &str>(1).is_failure());
    /// ```
    fn is_failure(&self) -> bool;

    /// This as a `Result`.
    ///
    /// ```
    /// use parallelize::TryOutput;
    ///
    /// fn successes<R: TryOutput>(results: Vec<R>) -> Vec<R::Ok> {
    ///     results.into_iter().filter_map(|result| result.into_result().ok()).collect()
    /// }
    /// assert_eq!(successes(vec!["1".parse::<u8>(), "x".parse(), "3".parse()]), [1, 3]);
    /// ```
    ///
    /// # Errors
    ///
    /// When this is an error: it is returned as it is.
    fn into_result(self) -> Result<Self::Ok, Self::Err>;

    /// The `Result` back as this type (for the results of distributed calls, which travel as
    /// the function's own type).
    #[doc(hidden)]
    fn from_result(result: Result<Self::Ok, Self::Err>) -> Self;
}

impl<T, E> TryOutput for Result<T, E> {
    type Ok = T;
    type Err = E;

    #[inline]
    fn is_failure(&self) -> bool {
        self.is_err()
    }

    #[inline]
    fn into_result(self) -> Result<T, E> {
        self
    }

    #[inline]
    fn from_result(result: Result<T, E>) -> Self {
        result
    }
}

mod sealed {
    pub trait Sealed {}
    impl<T, E> Sealed for Result<T, E> {}
}
