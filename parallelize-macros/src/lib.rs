//! Procedural macros of [`parallelize`](https://docs.rs/parallelize).
//!
//! Use them through `parallelize`, which documents them and re-exports them next to the runtime
//! that their expansions call (`::parallelize::__private`). Each entry point here only converts
//! token types and hands over to its module, where input is parsed, then validated, then
//! expanded, as separate steps.

mod parallelized;

use proc_macro::TokenStream;

/// Adds `NAME_par` (and `NAME_try_par` for `Result` functions) beside a function.
///
/// Documented in `parallelize`, which re-exports it.
#[proc_macro_attribute]
pub fn parallelized(options: TokenStream, item: TokenStream) -> TokenStream {
    parallelized::expand(options.into(), item.into()).into()
}
