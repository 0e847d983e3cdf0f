//! The standard library's macros whose arguments are expressions (`vec!`, `format!`,
//! `assert!`, ...): inside them, the macros' checks can read the user's code as code. Any
//! other macro's input may be anything (`stringify!(Self)`, a `quote!`), so it is not read.

use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::{Expr, Macro, Token};

const EXPRESSION_MACROS: &[&str] = &[
    "vec",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "matches",
    "dbg",
    "format",
    "print",
    "println",
    "eprint",
    "eprintln",
    "write",
    "writeln",
    "panic",
];

/// Whether `mac` is one of the standard library's expression macros, by its last name.
pub(crate) fn is_expression_macro(mac: &Macro) -> bool {
    mac.path
        .segments
        .last()
        .is_some_and(|last| EXPRESSION_MACROS.iter().any(|name| last.ident == name))
}

/// The arguments of such a macro, as expressions: comma-separated, or `vec![value; count]`.
/// An error where they are not all expressions (the pattern of `matches!`).
pub(crate) fn expression_arguments(mac: &Macro) -> syn::Result<Vec<Expr>> {
    let listed = Punctuated::<Expr, Token![,]>::parse_terminated;
    let repeated = |input: ParseStream| {
        let value: Expr = input.parse()?;
        input.parse::<Token![;]>()?;
        let count: Expr = input.parse()?;
        Ok([value, count].into_iter().collect())
    };
    mac.parse_body_with(listed)
        .or_else(|_| mac.parse_body_with(repeated))
        .map(|arguments| arguments.into_iter().collect())
}
