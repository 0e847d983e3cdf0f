//! The attribute's options: `#[parallelized(no_try_par, associated, distributed, crate = path)]`.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Path, parse_quote};

/// What the user asked for in `#[parallelized(...)]`.
pub(crate) struct Options {
    /// `no_try_par`: leave out `NAME_try_par` even if the result type is named `Result`.
    pub no_try_par: bool,
    /// `associated`: the function is an associated function of an impl (no `self`), so the
    /// companions call it as `Self::NAME`. Where the option was written, for errors.
    pub associated: Option<Span>,
    /// `distributed`: the companions may spread the items over an MPI world (cargo feature
    /// `mpi`). Where the option was written, for errors.
    pub distributed: Option<Span>,
    /// `crate = path`: where the `parallelize` crate is, for crates that re-export it.
    pub krate: Path,
}

const KNOWN: &str = "the options are `no_try_par` (leave out `NAME_try_par`), `associated` (a function without `self` in an impl), `distributed` (calls that may run on other MPI ranks) and `crate = path` (where `parallelize` is, if renamed)";

impl Options {
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Options> {
        let mut no_try_par = None;
        let mut associated = None;
        let mut distributed = None;
        let mut krate = None;
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("no_try_par") {
                flag(&meta)?;
                set_once(&meta, &mut no_try_par, true)
            } else if meta.path.is_ident("associated") {
                flag(&meta)?;
                set_once(&meta, &mut associated, meta.path.span())
            } else if meta.path.is_ident("distributed") {
                flag(&meta)?;
                set_once(&meta, &mut distributed, meta.path.span())
            } else if meta.path.is_ident("crate") {
                if !meta.input.peek(syn::Token![=]) {
                    return Err(meta.error(
                        "`crate` takes the path of the `parallelize` crate: `crate = my_reexport::parallelize`",
                    ));
                }
                let path: Path = meta.value()?.parse()?;
                set_once(&meta, &mut krate, path)
            } else {
                Err(meta.error(format_args!("unknown option of `#[parallelized]`: {KNOWN}")))
            }
        });
        parser.parse2(tokens)?;
        Ok(Options {
            no_try_par: no_try_par.unwrap_or(false),
            associated,
            distributed,
            krate: krate.unwrap_or_else(|| parse_quote!(::parallelize)),
        })
    }
}

/// Refuses a value after an option that is a flag: `no_try_par = true`.
fn flag(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.is_empty() || meta.input.peek(syn::Token![,]) {
        return Ok(());
    }
    let name = option_name(meta);
    Err(meta.error(format_args!(
        "`{name}` takes no value: write `#[parallelized({name})]`"
    )))
}

/// Stores an option's value, refusing a second occurrence of the same option.
fn set_once<T>(meta: &ParseNestedMeta, slot: &mut Option<T>, value: T) -> syn::Result<()> {
    if slot.is_some() {
        let name = option_name(meta);
        return Err(meta.error(format_args!(
            "`{name}` is given twice: give each option of `#[parallelized]` once"
        )));
    }
    *slot = Some(value);
    Ok(())
}

/// The option's name as written.
fn option_name(meta: &ParseNestedMeta) -> String {
    meta.path
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_default()
}
