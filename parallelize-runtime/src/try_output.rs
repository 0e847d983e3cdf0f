//! `TryOutput`: how a `_try_par` companion sees a function's `Result`.

/// A function result that `NAME_try_par` can split into a success and an error.
///
/// Implemented for [`Result`] only (and so for every alias of it, such as `std::io::Result<T>`,
/// `anyhow::Result<T>` or your own `type Result<T> = ...`). The companion's signature reads
/// `Result<Vec<<R as TryOutput>::Ok>, <R as TryOutput>::Err>`, which is
/// `Result<Vec<T>, E>` for `R = Result<T, E>`.
///
/// This trait is sealed: it cannot be implemented outside this crate.
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
    fn is_failure(&self) -> bool;

    /// This as a `Result`.
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
