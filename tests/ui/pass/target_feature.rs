// A safe function with `#[target_feature]` is `unsafe` to call from code without the same
// features (found by a stress run: its companion did not compile): the companion is `unsafe`,
// with that contract in its docs.
#![deny(missing_docs)]
//! Docs for the `missing_docs` check.

#[cfg(target_arch = "x86_64")]
mod simd {
    use parallelize::parallelized;

    /// Halves a number with SSE2.
    #[parallelized]
    #[target_feature(enable = "sse2")]
    pub fn halve(x: f32) -> f32 {
        x / 2.0
    }
}

fn main() {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is part of every x86-64 CPU.
        let halves = unsafe { simd::halve_par(vec![2.0_f32, 4.0], 2) };
        assert_eq!(halves, [1.0, 2.0]);
    }
}
