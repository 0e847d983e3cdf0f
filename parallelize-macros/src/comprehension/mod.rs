//! `par_comp!`: the grammar ([`parse`]), what cannot run on workers ([`validate`]), then the
//! expansion ([`expand`]).

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;

/// The comprehension's expansion, or a `compile_error!` spanned on the offending token.
/// `krate` is the path of the `parallelize` crate; `lazy`: `par_comp_iter!`, whose result is
/// an iterator.
pub(crate) fn expand(input: TokenStream, krate: &TokenStream, lazy: bool) -> TokenStream {
    match parse::comprehension(input)
        .and_then(|comprehension| validate::validate(&comprehension).map(|()| comprehension))
    {
        Ok(comprehension) => expand::expand(&comprehension, krate, lazy),
        Err(error) => error.into_compile_error(),
    }
}
