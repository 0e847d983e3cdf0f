//! `par_comp!`: the grammar ([`parse`]), then the expansion ([`expand`]).

mod expand;
mod parse;

use proc_macro2::TokenStream;

/// The comprehension's expansion, or a `compile_error!` spanned on the offending token.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    match syn::parse2::<parse::Comprehension>(input) {
        Ok(comprehension) => expand::expand(&comprehension),
        Err(error) => error.into_compile_error(),
    }
}
