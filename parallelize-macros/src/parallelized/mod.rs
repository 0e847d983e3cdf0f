//! `#[parallelized]`: options ([`args`]) and the function ([`model`]) are parsed, then
//! validated ([`validate`]: every refusal, and whether companions can exist), then the
//! companions' signature is derived ([`signature`]) and emitted ([`expand`]).

mod args;
mod distributed;
mod expand;
mod model;
mod signature;
mod validate;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

use args::Options;
use model::ItemFn;

/// The user's item, unchanged, followed by its companions, or by the errors that explain why
/// there are none. The item is kept on error, with hidden stand-ins for its companions, so that
/// one mistake gives one message, not also a "cannot find function" at every call.
///
/// `place` is the attribute's line and column, which name the hidden items that this
/// expansion alone defines.
pub(crate) fn expand(
    options: TokenStream,
    item: TokenStream,
    place: (usize, usize),
) -> TokenStream {
    let parsed = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(parsed) => parsed,
        Err(error) => return with_error(item, error),
    };
    let options = Options::parse(options);
    let associated = options.as_ref().ok().and_then(|options| options.associated);
    let distributed = options
        .as_ref()
        .ok()
        .and_then(|options| options.distributed);
    let krate = options.as_ref().ok().map(|options| options.krate.clone());
    let verdict = validate::validate(&parsed, associated, distributed);
    let companions = match (options, verdict) {
        (Ok(options), Ok(verdict)) => expand::companions(&parsed, &verdict, &options, place),
        (Err(mut first), Err(second)) => {
            first.combine(second);
            Err(first)
        }
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    match companions {
        Ok(companions) => quote!(#item #companions),
        Err(error) => {
            let stand_ins = expand::stand_ins(&parsed, krate.as_ref());
            let mut tokens = with_error(item, error);
            tokens.extend(stand_ins);
            tokens
        }
    }
}

fn with_error(item: TokenStream, error: syn::Error) -> TokenStream {
    let mut tokens = item;
    tokens.extend(error.into_compile_error());
    tokens.into_token_stream()
}
