//! Helpers shared by the integration tests (each test binary uses some of them).
#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::{Condvar, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

/// Items that wait until `target` distinct threads are inside at once (or a generous timeout
/// passes): with `target` workers they all meet; with fewer they cannot.
pub struct Rendezvous {
    inside: Mutex<HashSet<ThreadId>>,
    all_here: Condvar,
    target: usize,
}

impl Rendezvous {
    pub fn new(target: usize) -> Rendezvous {
        Rendezvous {
            inside: Mutex::new(HashSet::new()),
            all_here: Condvar::new(),
            target,
        }
    }

    /// Returns how many distinct threads were inside when this one left.
    pub fn arrive(&self) -> usize {
        let mut inside = self.inside.lock().unwrap();
        inside.insert(thread::current().id());
        self.all_here.notify_all();
        let (inside, _) = self
            .all_here
            .wait_timeout_while(inside, Duration::from_secs(20), |inside| {
                inside.len() < self.target
            })
            .unwrap();
        inside.len()
    }
}

/// Real work, `rounds` steps of it, that the optimiser cannot remove: for items that must take
/// a while without sleeping.
pub fn spin(rounds: u64) {
    let mut x = rounds;
    for _ in 0..rounds {
        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
    }
    std::hint::black_box(x);
}
