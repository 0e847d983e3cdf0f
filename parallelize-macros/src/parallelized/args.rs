//! The attribute's options: `#[parallelized(no_try_par, crate = path)]`.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{Path, parse_quote};

/// What the user asked for in `#[parallelized(...)]`.
pub(crate) struct Options {
    /// `no_try_par`: leave out `NAME_try_par` even if the result type is named `Result`.
    pub no_try_par: bool,
    /// `crate = path`: where the `parallelize` crate is, for crates that re-export it.
    pub krate: Path,
}

const KNOWN: &str = "the options are `no_try_par` (leave out `NAME_try_par`) and `crate = path` (where `parallelize` is, if renamed)";

impl Options {
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Options> {
        let mut no_try_par = None;
        let mut krate = None;
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("no_try_par") {
                if !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
                    return Err(meta.error(
                        "`no_try_par` takes no value: write `#[parallelized(no_try_par)]`",
                    ));
                }
                set_once(&meta, &mut no_try_par, true)
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
            krate: krate.unwrap_or_else(|| parse_quote!(::parallelize)),
        })
    }
}

/// Stores an option's value, refusing a second occurrence of the same option.
fn set_once<T>(meta: &ParseNestedMeta, slot: &mut Option<T>, value: T) -> syn::Result<()> {
    if slot.is_some() {
        let name = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        return Err(meta.error(format_args!(
            "`{name}` is given twice: give each option of `#[parallelized]` once"
        )));
    }
    *slot = Some(value);
    Ok(())
}
