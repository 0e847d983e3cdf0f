//! What travels between the ranks, and how it is sent.
//!
//! Four messages, on `MPI_COMM_WORLD` with tags of their own ([`RUN`], [`DONE`], [`CANCEL`],
//! [`STOP`]):
//!
//! - `RUN` (rank 0 to a serving rank): a [`Run`] header, then the chunk's items, each the
//!   postcard bytes of its arguments, one after the other, then where each item ends (a
//!   little-endian `u32` per item, counted from the first item's start), so that a serving
//!   rank's threads each read their own items.
//! - `DONE` (back): a [`Done`] header, then results, postcard bytes one after the other. A
//!   chunk whose results would pass the message limit comes back in several parts, the last
//!   one marked.
//! - `CANCEL` (rank 0 to a serving rank): a call number and a chunk number; the chunks of that
//!   call from that one on are skipped, each answered with an empty `DONE` marked skipped.
//!   A serving rank looks for it before each chunk (a probe for its tag, which finds it
//!   ahead of the chunks sent before it).
//! - `STOP` (empty): the program is over.
//!
//! Headers are fixed-size little-endian fields, so that a header can be written in front of
//! bytes that are already there. No message passes [`message_limit`] by more than one item,
//! and none reaches MPI's count limit (`i32::MAX` bytes): an item that would is refused.
//!
//! Sends never block ([`Outbox`]): rank 0 hands out chunks between its own, and a blocking
//! send of a large message would wait for the receiver to finish its current chunk.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use mpi::point_to_point::{Destination, Message, Source, Status};
use mpi::request::{Request, StaticScope};
use mpi::topology::{Process, SimpleCommunicator};
use mpi::traits::Communicator;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Tags of the four messages (MPI guarantees tags up to 32767).
pub(super) const RUN: i32 = 30_517;
pub(super) const DONE: i32 = 30_518;
pub(super) const STOP: i32 = 30_519;
pub(super) const CANCEL: i32 = 30_520;

/// Appends `value`'s postcard bytes to `out`.
pub(super) fn write<T: ?Sized + Serialize>(
    value: &T,
    out: &mut Vec<u8>,
) -> Result<(), postcard::Error> {
    let taken = std::mem::take(out);
    *out = postcard::to_extend(value, taken)?;
    Ok(())
}

/// Takes one value off the front of `bytes`.
pub(super) fn read<T: DeserializeOwned>(bytes: &mut &[u8]) -> Result<T, postcard::Error> {
    let (value, rest) = postcard::take_from_bytes(bytes)?;
    *bytes = rest;
    Ok(value)
}

/// The most bytes a chunk's message holds before it ends (one item may take it past):
/// `PARALLELIZE_MPI_MESSAGE_BYTES`, else 16 MiB; read once.
pub(super) fn message_limit() -> usize {
    static LIMIT: OnceLock<usize> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var("PARALLELIZE_MPI_MESSAGE_BYTES")
            .ok()
            .and_then(|bytes| bytes.trim().parse::<usize>().ok())
            .map_or(16 << 20, |bytes| bytes.clamp(1, 1 << 30))
    })
}

/// Refuses a message that MPI could not count.
#[track_caller]
pub(super) fn check_size(bytes: usize, what: &dyn Fn() -> String) {
    assert!(
        i32::try_from(bytes).is_ok(),
        "{} takes {bytes} bytes serialized, more than one MPI message can hold (2 GiB); split it into smaller items",
        what()
    );
}

/// Writes `fields` in order, little-endian, at the front of `out`.
fn put_fields(out: &mut [u8], fields: &[u64]) {
    for (slot, field) in out.chunks_exact_mut(8).zip(fields) {
        slot.copy_from_slice(&field.to_le_bytes());
    }
}

/// Little-endian fixed fields, in order.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn u64(&mut self) -> u64 {
        let (head, rest) = self.0.split_at(8);
        self.0 = rest;
        u64::from_le_bytes(head.try_into().expect("8 bytes"))
    }
}

/// The header of a `RUN` message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Run {
    /// Which call of rank 0 (counted from 1).
    pub(super) call: u64,
    /// Which chunk of the call (counted from 0, in input order).
    pub(super) chunk: u64,
    /// The input index of the chunk's first item.
    pub(super) first: u64,
    /// How many items follow.
    pub(super) count: u64,
    /// The function: its index in `REMOTES`, and its key's hash.
    pub(super) remote: u64,
    pub(super) key_hash: u64,
    /// The call's `njobs`, as written (each rank resolves `-1` on its own machine).
    pub(super) njobs: i64,
    /// Bit 0: a `try` call; bit 1: adaptive (see `Jobs::adaptive`).
    pub(super) flags: u64,
}

impl Run {
    pub(super) const LEN: usize = 64;
    pub(super) const TRY: u64 = 1;
    pub(super) const ADAPTIVE: u64 = 2;

    pub(super) fn encode(&self, out: &mut [u8]) {
        put_fields(
            out,
            &[
                self.call,
                self.chunk,
                self.first,
                self.count,
                self.remote,
                self.key_hash,
                self.njobs.cast_unsigned(),
                self.flags,
            ],
        );
    }

    /// The header and the items after it, or `None` if the message is too short.
    pub(super) fn decode(message: &[u8]) -> Option<(Run, &[u8])> {
        if message.len() < Run::LEN {
            return None;
        }
        let (head, items) = message.split_at(Run::LEN);
        let mut fields = Fields(head);
        Some((
            Run {
                call: fields.u64(),
                chunk: fields.u64(),
                first: fields.u64(),
                count: fields.u64(),
                remote: fields.u64(),
                key_hash: fields.u64(),
                njobs: fields.u64().cast_signed(),
                flags: fields.u64(),
            },
            items,
        ))
    }
}

/// The header of a `DONE` message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Done {
    pub(super) call: u64,
    pub(super) chunk: u64,
    /// How many results follow in this part.
    pub(super) count: u64,
    /// Bit 0: the chunk's last part; bit 1: a `try` chunk that failed (one result follows:
    /// the error of its lowest failing item); bit 2: skipped after a `CANCEL` (no result).
    pub(super) flags: u64,
    /// The time the serving rank spent running the chunk, and on how many threads: the cost
    /// per item that sizes the next chunks.
    pub(super) busy_nanos: u64,
    pub(super) threads: u64,
}

impl Done {
    pub(super) const LEN: usize = 48;
    pub(super) const LAST: u64 = 1;
    pub(super) const FAILED: u64 = 2;
    pub(super) const SKIPPED: u64 = 4;

    pub(super) fn encode(&self, out: &mut [u8]) {
        put_fields(
            out,
            &[
                self.call,
                self.chunk,
                self.count,
                self.flags,
                self.busy_nanos,
                self.threads,
            ],
        );
    }

    pub(super) fn decode(message: &[u8]) -> Option<(Done, &[u8])> {
        if message.len() < Done::LEN {
            return None;
        }
        let (head, results) = message.split_at(Done::LEN);
        let mut fields = Fields(head);
        Some((
            Done {
                call: fields.u64(),
                chunk: fields.u64(),
                count: fields.u64(),
                flags: fields.u64(),
                busy_nanos: fields.u64(),
                threads: fields.u64(),
            },
            results,
        ))
    }
}

/// A `CANCEL` message: the chunks of call `call` from chunk `from` on are to be skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cancel {
    pub(super) call: u64,
    pub(super) from: u64,
}

impl Cancel {
    pub(super) const LEN: usize = 16;

    pub(super) fn encode(&self) -> Vec<u8> {
        let mut bytes = vec![0; Cancel::LEN];
        put_fields(&mut bytes, &[self.call, self.from]);
        bytes
    }

    /// The message's fields, or `None` if it is too short to hold them.
    pub(super) fn decode(message: &[u8]) -> Option<Cancel> {
        let head = message.get(..Cancel::LEN)?;
        let mut fields = Fields(head);
        Some(Cancel {
            call: fields.u64(),
            from: fields.u64(),
        })
    }
}

/// Sends in flight, each with the buffer it owns: [`Outbox::send`] returns at once, and a
/// buffer is freed only once MPI says its send is complete.
#[derive(Default)]
pub(super) struct Outbox {
    pending: Vec<Pending>,
}

/// One send in flight. The request borrows `buffer`'s bytes as `'static`; `buffer` is the
/// leaked `Vec` they belong to, given back (and freed) only after the request completes.
struct Pending {
    request: Request<'static, [u8], StaticScope>,
    buffer: (*mut u8, usize, usize),
}

impl Outbox {
    /// Starts sending `bytes` to `to` with `tag`.
    pub(super) fn send(&mut self, to: &Process<'_>, tag: i32, bytes: Vec<u8>) {
        check_size(bytes.len(), &|| "a message".to_owned());
        let mut bytes = std::mem::ManuallyDrop::new(bytes);
        let buffer = (bytes.as_mut_ptr(), bytes.len(), bytes.capacity());
        // SAFETY: the `Vec` is never dropped through `bytes` (`ManuallyDrop`); its heap block
        // stays allocated and unmoved until `release` rebuilds the `Vec` from these same three
        // parts, which happens only after MPI reports the send complete (`test` or `wait`
        // consumed the request), and nothing else reads or writes the block meanwhile. So the
        // `'static` slice is valid for as long as the request can use it. An `Outbox` dropped
        // with sends in flight waits for them first (`Drop`); a `Pending` dropped otherwise
        // (only if rsmpi's `test` or `wait` panicked) leaks its buffer rather than free it,
        // and rsmpi's own `Request` aborts on such a drop.
        let slice: &'static [u8] = unsafe { std::slice::from_raw_parts(buffer.0, buffer.1) };
        let request = to.immediate_send_with_tag(StaticScope, slice, tag);
        self.pending.push(Pending { request, buffer });
    }

    /// Frees the buffers of the sends that have completed.
    pub(super) fn reap(&mut self) {
        for pending in std::mem::take(&mut self.pending) {
            match pending.request.test() {
                Ok(_) => release(pending.buffer),
                Err(request) => self.pending.push(Pending {
                    request,
                    buffer: pending.buffer,
                }),
            }
        }
    }

    /// Waits for every send to complete.
    pub(super) fn flush(&mut self) {
        for pending in self.pending.drain(..) {
            pending.request.wait();
            release(pending.buffer);
        }
    }

    /// How many sends are in flight.
    #[cfg(test)]
    pub(super) fn in_flight(&self) -> usize {
        self.pending.len()
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Frees a buffer that [`Outbox::send`] leaked, once its send is complete.
fn release((pointer, length, capacity): (*mut u8, usize, usize)) {
    // SAFETY: the three parts came from a `Vec<u8>` that was leaked with `ManuallyDrop` and not
    // used since, and its send is complete (see `Outbox::send`), so the `Vec` is rebuilt once
    // and owned again here.
    drop(unsafe { Vec::from_raw_parts(pointer, length, capacity) });
}

/// Waits for a message that `probe` finds, without holding a core while none comes: MPI's
/// blocking receive spins, which would take a core from the ranks computing beside it.
/// Probes for about 50 us, then sleeps between probes, doubling the sleep up to `longest`.
pub(super) fn wait_for(
    mut probe: impl FnMut() -> Option<(Message, Status)>,
    longest: Duration,
) -> (Message, Status) {
    let start = Instant::now();
    let mut nap = Duration::from_micros(2);
    loop {
        if let Some(found) = probe() {
            return found;
        }
        if start.elapsed() < Duration::from_micros(50) {
            std::hint::spin_loop();
        } else {
            std::thread::sleep(nap);
            nap = (nap * 2).min(longest);
        }
    }
}

/// Writes `line` to stderr, then ends the whole MPI job (`MPI_Abort`, status 1). The line
/// goes out in one write, so that two ranks failing at once do not interleave their lines.
pub(super) fn abort_job(line: &str) -> ! {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    // MPI is initialised `Serialized`: two threads must not call it at once. The first to
    // get here aborts; any other (two items panicking together) waits for the end.
    static ABORTING: AtomicBool = AtomicBool::new(false);
    if ABORTING.swap(true, Ordering::SeqCst) {
        loop {
            std::thread::park();
        }
    }
    let _ = std::io::stderr().write_all(format!("{line}\n").as_bytes());
    // The launcher forwards a rank's stderr through a helper process that the abort kills;
    // without a moment for it to pass the line on, the line is sometimes lost (MPICH 4).
    std::thread::sleep(Duration::from_millis(200));
    world().abort(1)
}

/// The world communicator (rsmpi's handle is a plain value; no state is kept).
pub(super) fn world() -> SimpleCommunicator {
    SimpleCommunicator::world()
}

/// Receives a message that a probe matched.
pub(super) fn receive(found: (Message, Status)) -> (Vec<u8>, Status) {
    use mpi::point_to_point::MatchedReceiveVec;
    found.matched_receive_vec::<u8>()
}

/// Probes for a message from `rank` (any tag).
pub(super) fn probe_from(world: &SimpleCommunicator, rank: i32) -> Option<(Message, Status)> {
    world.process_at_rank(rank).immediate_matched_probe()
}

/// Probes for a `DONE` from any rank.
pub(super) fn probe_done(world: &SimpleCommunicator) -> Option<(Message, Status)> {
    world.any_process().immediate_matched_probe_with_tag(DONE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip() {
        let run = Run {
            call: 3,
            chunk: 9,
            first: 1 << 40,
            count: 17,
            remote: 2,
            key_hash: u64::MAX - 5,
            njobs: -2,
            flags: Run::TRY | Run::ADAPTIVE,
        };
        let mut message = vec![0; Run::LEN];
        run.encode(&mut message);
        message.extend_from_slice(b"items");
        assert_eq!(Run::decode(&message), Some((run, &b"items"[..])));
        assert_eq!(Run::decode(&message[..Run::LEN - 1]), None);

        let done = Done {
            call: 3,
            chunk: 9,
            count: 4,
            flags: Done::LAST,
            busy_nanos: 123_456,
            threads: 16,
        };
        let mut message = vec![0; Done::LEN];
        done.encode(&mut message);
        assert_eq!(Done::decode(&message), Some((done, &[][..])));

        let cancel = Cancel {
            call: 3,
            from: u64::MAX - 1,
        };
        let message = cancel.encode();
        assert_eq!(Cancel::decode(&message), Some(cancel));
        assert_eq!(Cancel::decode(&message[..Cancel::LEN - 1]), None);
    }

    #[test]
    fn values_are_read_back_in_order() {
        let mut bytes = Vec::new();
        write(&(1_u8, "two"), &mut bytes).unwrap();
        write(&3.5_f32, &mut bytes).unwrap();
        let mut rest = &bytes[..];
        assert_eq!(
            read::<(u8, String)>(&mut rest).unwrap(),
            (1, "two".to_owned())
        );
        assert!((read::<f32>(&mut rest).unwrap() - 3.5).abs() < f32::EPSILON);
        assert!(read::<u8>(&mut rest).is_err());
    }

    /// Catches a buffer freed while its send is in flight: the sends below go to this same
    /// rank and stay in flight until the receives (1 MiB goes by rendezvous), and fresh
    /// buffers of the same size, filled with another byte, would take a freed one's memory.
    #[test]
    fn an_outbox_keeps_each_buffer_until_its_send_completes() {
        use mpi::point_to_point::Source;

        let universe = mpi::initialize().expect("only this test starts MPI");
        let world = universe.world();
        let me = world.process_at_rank(0);
        let mut outbox = Outbox::default();
        for round in 0..4_u8 {
            outbox.send(&me, 7, vec![round; 1 << 20]);
        }
        outbox.reap();
        let scratch: Vec<Vec<u8>> = (0..8).map(|_| vec![0xEE; 1 << 20]).collect();
        for round in 0..4_u8 {
            let (bytes, _) = me.receive_vec_with_tag::<u8>(7);
            assert_eq!(bytes.len(), 1 << 20);
            assert!(bytes.iter().all(|&byte| byte == round), "round {round}");
        }
        outbox.flush();
        assert_eq!(outbox.in_flight(), 0);
        assert!(scratch.iter().all(|buffer| buffer[0] == 0xEE));
    }

    #[test]
    fn oversized_messages_are_refused_with_a_message() {
        let refused = std::panic::catch_unwind(|| {
            check_size(usize::try_from(i32::MAX).unwrap() + 1, &|| {
                "item 7".to_owned()
            });
        });
        let message = *refused.unwrap_err().downcast::<String>().unwrap();
        assert!(
            message.starts_with("item 7 takes 2147483648 bytes"),
            "{message}"
        );
    }
}
