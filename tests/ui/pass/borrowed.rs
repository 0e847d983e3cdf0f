#![deny(warnings)]
#![warn(elided_lifetimes_in_paths)]
//! Borrowed arguments and results: elided and named lifetimes, several of them, Rust's output
//! elision, and lifetimes written in paths.

use std::borrow::Cow;
use std::collections::HashMap;

use parallelize::parallelized;

#[parallelized]
fn first_byte(s: &str) -> &u8 {
    &s.as_bytes()[0]
}

#[parallelized]
fn same(a: &str, b: &str) -> bool {
    a == b
}

#[parallelized]
fn pick<'a>(a: &'a str, b: &'a str, left: bool) -> &'a str {
    if left { a } else { b }
}

#[parallelized]
fn keep<'a, 'b>(a: &'a [u8], _b: &'b [u8]) -> &'a [u8] {
    a
}

#[parallelized]
fn lower(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.chars().any(char::is_uppercase) {
        Cow::Owned(s.to_lowercase())
    } else {
        s
    }
}

#[parallelized]
fn lookup<'m>(table: &'m HashMap<String, u32>, key: &str) -> Option<&'m u32> {
    table.get(key)
}

fn main() {
    let text = String::from("abc");
    let _: Vec<&u8> = first_byte_par([text.as_str()], 2);
    let _: Vec<bool> = same_par([("a", "a")], 2);
    let _: Vec<&str> = pick_par([(text.as_str(), "x", true)], 2);
    let _: Vec<&[u8]> = keep_par([(text.as_bytes(), &b"z"[..])], 2);
    let _: Vec<Cow<'_, str>> = lower_par([Cow::Borrowed("Hi")], 2);
    let table = HashMap::from([(String::from("k"), 1)]);
    let _: Vec<Option<&u32>> = lookup_par([(&table, "k")], 2);
}
