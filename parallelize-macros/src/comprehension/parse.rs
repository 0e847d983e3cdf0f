//! The grammar of `par_comp!`:
//! `EXPR for PAT in ITER (for PAT in ITER | if COND)* (; OPTION (, OPTION)*)?`, where an
//! option is `njobs = JOBS` or `progress`.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Pat, Token};

/// A parsed comprehension, each part kept as the user's syntax so errors can point at it.
pub(crate) struct Comprehension {
    pub element: Expr,
    pub first: ForClause,
    /// The clauses after the first `for`, in order.
    pub rest: Vec<Clause>,
    /// `; njobs = JOBS`.
    pub njobs: Option<Expr>,
    /// `; progress`: the keyword, for the span of an error if the feature is off.
    pub progress: Option<Ident>,
}

/// `for PAT in ITER`.
pub(crate) struct ForClause {
    pub pat: Pat,
    pub iter: Expr,
}

/// A clause after the first `for`.
pub(crate) enum Clause {
    For(ForClause),
    /// `if COND`, where `COND` may also be `let PAT = EXPR`.
    If(Expr),
}

const GRAMMAR: &str = "`par_comp![EXPR for PAT in ITER]`, with more `for PAT in ITER` and `if COND` clauses after the first `for`, and `; njobs = JOBS` last";

impl Parse for Comprehension {
    fn parse(input: ParseStream) -> syn::Result<Comprehension> {
        if input.is_empty() {
            return Err(input.error(format!("`par_comp!` is empty: write {GRAMMAR}")));
        }
        if input.peek(Token![for]) {
            return Err(input.error(
                "the element is missing before `for`: write what to collect first, as in `par_comp![f(x) for x in xs]`",
            ));
        }
        let element: Expr = input.parse()?;
        Comprehension::clauses(element, input)
    }
}

impl Comprehension {
    /// Everything after the element.
    fn clauses(element: Expr, input: ParseStream) -> syn::Result<Comprehension> {
        if !input.peek(Token![for]) {
            return Err(unexpected(input, "`for` after the element"));
        }
        let first = ForClause::parse(input)?;
        let mut rest = Vec::new();
        loop {
            if input.peek(Token![for]) {
                rest.push(Clause::For(ForClause::parse(input)?));
            } else if input.peek(Token![if]) {
                let if_token = input.parse::<Token![if]>()?;
                if input.is_empty() || input.peek(Token![for]) || input.peek(Token![;]) {
                    return Err(unexpected_after(
                        input,
                        if_token.span,
                        "a condition after `if`, as in `if x > 0`",
                    ));
                }
                // A whole expression: no block follows a clause, so a struct literal
                // (`if p == P { x: 1 }`) is no ambiguity here, unlike in an `if` statement.
                rest.push(Clause::If(input.parse()?));
            } else {
                break;
            }
        }
        let (njobs, progress) = if input.peek(Token![;]) {
            input.parse::<Token![;]>()?;
            parse_options(input)?
        } else {
            (None, None)
        };
        if !input.is_empty() {
            return Err(unexpected(
                input,
                "`for`, `if`, `; njobs = JOBS` or the end of `par_comp!`",
            ));
        }
        Ok(Comprehension {
            element,
            first,
            rest,
            njobs,
            progress,
        })
    }
}

/// Parses a comprehension. An element that ends in an open range (`x..`) is read by syn as
/// a range up to the `for` loop that follows (a `for` loop is an expression), so where the
/// comprehension does not parse it is read again with the element cut at its first `for`
/// outside brackets. If the cut element does not parse either, the first error stands.
pub(crate) fn comprehension(tokens: TokenStream) -> syn::Result<Comprehension> {
    syn::parse2::<Comprehension>(tokens.clone()).or_else(|error| {
        let mut tokens = tokens.into_iter().peekable();
        let mut element = TokenStream::new();
        while let Some(token) =
            tokens.next_if(|token| !matches!(token, TokenTree::Ident(ident) if ident == "for"))
        {
            element.extend([token]);
        }
        let rest: TokenStream = tokens.collect();
        if element.is_empty() || rest.is_empty() {
            return Err(error);
        }
        // Where the cut element parses, the first reading ran past its end into the clauses
        // (or stopped right there): the clauses' own error is then the one to report.
        let element: Expr = syn::parse2(element).map_err(|_| error)?;
        (|input: ParseStream| Comprehension::clauses(element, input)).parse2(rest)
    })
}

impl ForClause {
    fn parse(input: ParseStream) -> syn::Result<ForClause> {
        let for_token = input.parse::<Token![for]>()?;
        if input.is_empty() || input.peek(Token![in]) {
            return Err(unexpected_after(
                input,
                for_token.span,
                "a pattern after `for`, as in `for x in xs`",
            ));
        }
        let pat = Pat::parse_multi_with_leading_vert(input)?;
        if let Some(refutable) = refutable_part(&pat) {
            return Err(syn::Error::new_spanned(
                refutable,
                "`par_comp!` patterns must match every item, as in a `for` loop, and this one may not: filter instead (`for x in items.iter().flatten()` for `Some(x)`), or match in an `if let` clause",
            ));
        }
        if !input.peek(Token![in]) {
            return Err(unexpected_after(
                input,
                pat.span(),
                "`in` after the pattern, as in `for x in xs`",
            ));
        }
        let in_token = input.parse::<Token![in]>()?;
        if input.is_empty() || input.peek(Token![for]) || input.peek(Token![;]) {
            return Err(unexpected_after(
                input,
                in_token.span,
                "an iterable after `in`, as in `for x in xs`",
            ));
        }
        // A whole expression, struct literals included, as for `if` clauses.
        let iter: Expr = input.parse()?;
        Ok(ForClause { pat, iter })
    }
}

/// The options after the `;`: `njobs = JOBS` and `progress`, in any order, each at most once,
/// separated by commas.
fn parse_options(input: ParseStream) -> syn::Result<(Option<Expr>, Option<Ident>)> {
    let mut njobs = None;
    let mut progress: Option<Ident> = None;
    while !input.is_empty() {
        let name: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        if name == "progress" {
            if progress.is_some() {
                return Err(syn::Error::new_spanned(
                    name,
                    "`progress` is given twice: give it once",
                ));
            }
            if input.peek(Token![=]) {
                return Err(unexpected_after(
                    input,
                    name.span(),
                    "`,` or the end of `par_comp!` after `progress`, which takes no value (for a report of your own, give `njobs = Jobs::new(..).on_progress(..)`)",
                ));
            }
            progress = Some(name);
        } else if name == "njobs" {
            if njobs.is_some() {
                return Err(syn::Error::new_spanned(
                    name,
                    "`njobs` is given twice: give it once",
                ));
            }
            if !input.peek(Token![=]) {
                return Err(unexpected_after(
                    input,
                    name.span(),
                    "`=` after `njobs`, as in `; njobs = 4`",
                ));
            }
            let eq_token = input.parse::<Token![=]>()?;
            if input.is_empty() || input.peek(Token![,]) {
                return Err(unexpected_after(
                    input,
                    eq_token.span,
                    "the number of workers after `njobs =`, as in `; njobs = 4`",
                ));
            }
            njobs = Some(input.parse::<Expr>()?);
        } else {
            return Err(syn::Error::new_spanned(
                name,
                "unknown option of `par_comp!`: the options are `njobs = JOBS` (`4`, `-1`, a `Jobs`) and `progress` (a progress bar, with the cargo feature `progress`)",
            ));
        }
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        } else if !input.is_empty() {
            return Err(unexpected(
                input,
                "`,` or the end of `par_comp!` after an option",
            ));
        }
    }
    Ok((njobs, progress))
}

/// "expected X, found `Y`", spanned on `Y` (or on the end of the input).
fn unexpected(input: ParseStream, expected: &str) -> syn::Error {
    match input.cursor().token_tree() {
        Some((token, _)) => syn::Error::new(
            token.span(),
            format!("expected {expected}, found `{token}`"),
        ),
        None => input.error(format!("expected {expected}: write {GRAMMAR}")),
    }
}

/// As [`unexpected`], but at the end of the input spanned on `after`, the token that wants
/// something to follow it, rather than on the whole macro call.
fn unexpected_after(input: ParseStream, after: Span, expected: &str) -> syn::Error {
    if input.is_empty() {
        syn::Error::new(after, format!("expected {expected}"))
    } else {
        unexpected(input, expected)
    }
}

/// The part of `pat` that is refutable on its face: a literal, a range, or `Some`/`None`/`Ok`/
/// `Err`. (Other refutable patterns are reported by rustc, on the same token.)
fn refutable_part(pat: &Pat) -> Option<&Pat> {
    match pat {
        Pat::Lit(_) | Pat::Range(_) => Some(pat),
        Pat::Path(path) if is_variant(&path.path) => Some(pat),
        Pat::TupleStruct(tuple) if is_variant(&tuple.path) => Some(pat),
        Pat::Ident(ident) => ident
            .subpat
            .as_ref()
            .and_then(|(_, sub)| refutable_part(sub)),
        Pat::Tuple(tuple) => tuple.elems.iter().find_map(refutable_part),
        Pat::TupleStruct(tuple) => tuple.elems.iter().find_map(refutable_part),
        Pat::Slice(slice) => slice.elems.iter().find_map(refutable_part),
        Pat::Reference(reference) => refutable_part(&reference.pat),
        Pat::Paren(paren) => refutable_part(&paren.pat),
        Pat::Type(typed) => refutable_part(&typed.pat),
        Pat::Struct(strukt) => strukt
            .fields
            .iter()
            .find_map(|field| refutable_part(&field.pat)),
        _ => None,
    }
}

fn is_variant(path: &syn::Path) -> bool {
    path.segments.last().is_some_and(|last| {
        ["Some", "None", "Ok", "Err"]
            .iter()
            .any(|variant| last.ident == variant)
    })
}
