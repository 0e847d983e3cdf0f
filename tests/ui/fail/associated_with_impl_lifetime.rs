use parallelize::parallelized;

struct Text<'a>(&'a str);

impl<'a> Text<'a> {
    // `'a` is the impl's: without `associated` the macro takes this for a free function.
    #[parallelized]
    fn first(s: &'a str) -> &'a str {
        s
    }
}

fn main() {
    let _ = Text("x").0;
}
