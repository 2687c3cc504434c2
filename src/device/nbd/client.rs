//! The transmission phase: requests sent back to back on one connection,
//! replies matched to them by handle on a reader thread, so that many
//! requests are in flight at once. Every wait for a reply is bounded by
//! the timeout; a connection that breaks, times out or replies garbage is
//! dead for good, and every request waiting on it fails at once.

use std::collections::HashMap;
use std::io::{self, IoSlice, Read};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::conn::Stream;
use super::proto::*;
use crate::lock::Recover;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The server replied with this errno; the connection is still usable.
    Errno(u32),
    /// The connection is gone (closed, timed out, garbage): the cause.
    Lost(String),
}

/// One request of a batch.
#[derive(Debug)]
pub struct Request<'a> {
    /// `CMD_*`.
    pub cmd: u16,
    /// `CMD_FLAG_*`.
    pub flags: u16,
    /// Byte offset in the export.
    pub offset: u64,
    /// Length in bytes (of the payload for writes, of the data for reads).
    pub len: u32,
    /// The payload of a write, in order.
    pub payload: Vec<IoSlice<'a>>,
}

/// A reply handed from the reader to the waiting caller: the request's
/// index in its batch and its data (reads) or failure.
type Reply = (usize, Result<Vec<u8>, Failure>);

struct Pending {
    index: usize,
    read_len: u32,
    done: Sender<Reply>,
}

/// The requests sent and not yet answered, by handle, and why the
/// connection died when it did.
#[derive(Default)]
struct RequestTable {
    pending: HashMap<u64, Pending>,
    dead: Option<String>,
}

struct Shared {
    state: Mutex<RequestTable>,
    /// A handle used only to shut the connection down.
    ctl: Stream,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Shared {
    /// Marks the connection dead (the first cause wins), fails every
    /// waiting request and shuts the socket so the reader wakes up.
    fn kill(&self, cause: String) {
        let drained: Vec<Pending> = {
            let mut st = self.state.lock().recover();
            if st.dead.is_none() {
                st.dead = Some(cause);
            }
            st.pending.drain().map(|(_, p)| p).collect()
        };
        let cause = self.dead_cause();
        for p in drained {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            let _ = p.done.send((p.index, Err(Failure::Lost(cause.clone()))));
        }
        self.ctl.shutdown();
    }

    fn dead_cause(&self) -> String {
        self.state.lock().recover().dead.clone().unwrap_or_default()
    }
}

/// An open transmission-phase connection.
pub struct Client {
    tx: Mutex<Stream>,
    shared: Arc<Shared>,
    reader: Option<JoinHandle<()>>,
    next_handle: AtomicU64,
    timeout: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

fn read_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes(b.try_into().expect("4 bytes"))
}

/// The reader thread: one reply header after another, each matched to its
/// request by handle. Ends when the connection does.
fn read_replies(mut s: Stream, shared: Arc<Shared>) {
    let cause = loop {
        let mut h = [0u8; 16];
        if let Err(e) = s.read_exact(&mut h) {
            break lost_cause(&e);
        }
        let magic = read_u32(&h[0..4]);
        let errno = read_u32(&h[4..8]);
        let handle = u64::from_be_bytes(h[8..16].try_into().expect("8 bytes"));
        if magic != SIMPLE_REPLY_MAGIC {
            break format!("the server replied garbage (reply magic {magic:#010x})");
        }
        let p = shared.state.lock().recover().pending.remove(&handle);
        let Some(p) = p else {
            break format!("the server replied to a request never sent (handle {handle:#x})");
        };
        let r = if errno != 0 {
            Err(Failure::Errno(errno))
        } else {
            let mut data = vec![0u8; p.read_len as usize];
            if let Err(e) = s.read_exact(&mut data) {
                shared.in_flight.fetch_sub(1, Ordering::SeqCst);
                let c = lost_cause(&e);
                let _ = p.done.send((p.index, Err(Failure::Lost(c.clone()))));
                break c;
            }
            Ok(data)
        };
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        let _ = p.done.send((p.index, r));
    };
    shared.kill(cause);
}

fn lost_cause(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => "the server closed the connection".into(),
        _ => format!("connection lost: {e}"),
    }
}

impl Client {
    /// Starts the transmission phase on a negotiated stream.
    pub fn start(stream: Stream, timeout: Duration) -> io::Result<Client> {
        let reader = stream.try_clone()?;
        // The reader waits as long as the connection is idle; waits for
        // replies are bounded by the callers.
        reader.set_read_timeout(None)?;
        stream.set_write_timeout(Some(timeout))?;
        let shared = Arc::new(Shared {
            state: Mutex::new(RequestTable::default()),
            ctl: stream.try_clone()?,
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        });
        let sh = shared.clone();
        let reader = std::thread::Builder::new()
            .name("nbd-reader".into())
            .spawn(move || read_replies(reader, sh))?;
        Ok(Client {
            tx: Mutex::new(stream),
            shared,
            reader: Some(reader),
            next_handle: AtomicU64::new(1),
            timeout,
        })
    }

    /// The most requests that were in flight at once on the connection.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::Relaxed)
    }

    /// Why the connection is dead, if it is.
    pub fn dead(&self) -> Option<String> {
        self.shared.state.lock().recover().dead.clone()
    }

    /// Sends every request, back to back, then waits for all their
    /// replies (each within the timeout of the one before); read data goes
    /// to `on_data(index, bytes)`. The first failure is returned (a lost
    /// connection as soon as it is noticed).
    pub fn execute(
        &self,
        reqs: Vec<Request<'_>>,
        mut on_data: impl FnMut(usize, &[u8]),
    ) -> Result<(), Failure> {
        let (done, replies) = mpsc::channel::<Reply>();
        let mut sent = 0usize;
        let mut send_failure = None;
        for (index, r) in reqs.into_iter().enumerate() {
            if let Err(f) = self.send(index, r, &done) {
                send_failure = Some(f);
                break;
            }
            sent += 1;
        }
        drop(done);
        let mut first: Option<Failure> = send_failure;
        if matches!(first, Some(Failure::Lost(_))) {
            return Err(first.unwrap_or(Failure::Lost(String::new())));
        }
        for _ in 0..sent {
            match replies.recv_timeout(self.timeout) {
                Ok((i, Ok(data))) => on_data(i, &data),
                Ok((_, Err(f @ Failure::Lost(_)))) => return Err(f),
                Ok((_, Err(f))) => {
                    first.get_or_insert(f);
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.shared.kill(format!(
                        "no reply within {} s (--nbd-timeout)",
                        self.timeout.as_secs_f64()
                    ));
                    return Err(Failure::Lost(self.shared.dead_cause()));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(Failure::Lost(self.shared.dead_cause()));
                }
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// Registers a request and writes it to the socket.
    fn send(&self, index: usize, r: Request<'_>, done: &Sender<Reply>) -> Result<(), Failure> {
        let handle = self.next_handle.fetch_add(1, Ordering::Relaxed);
        {
            let mut st = self.shared.state.lock().recover();
            if let Some(c) = &st.dead {
                return Err(Failure::Lost(c.clone()));
            }
            st.pending.insert(
                handle,
                Pending {
                    index,
                    read_len: if r.cmd == CMD_READ { r.len } else { 0 },
                    done: done.clone(),
                },
            );
            let n = self.shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.shared.max_in_flight.fetch_max(n, Ordering::Relaxed);
        }
        let mut hdr = [0u8; 28];
        hdr[0..4].copy_from_slice(&REQUEST_MAGIC.to_be_bytes());
        hdr[4..6].copy_from_slice(&r.flags.to_be_bytes());
        hdr[6..8].copy_from_slice(&r.cmd.to_be_bytes());
        hdr[8..16].copy_from_slice(&handle.to_be_bytes());
        hdr[16..24].copy_from_slice(&r.offset.to_be_bytes());
        hdr[24..28].copy_from_slice(&r.len.to_be_bytes());
        let mut iov = Vec::with_capacity(1 + r.payload.len());
        iov.push(IoSlice::new(&hdr));
        iov.extend(r.payload.iter().map(|b| IoSlice::new(b)));
        let res = self.tx.lock().recover().write_all_vectored(&mut iov);
        if let Err(e) = res {
            // Part of a request may be on the wire: the stream is no
            // longer in step with the server.
            let cause = match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => format!(
                    "the server took no data for {} s (--nbd-timeout)",
                    self.timeout.as_secs_f64()
                ),
                _ => lost_cause(&e),
            };
            self.shared.kill(cause);
            return Err(Failure::Lost(self.shared.dead_cause()));
        }
        Ok(())
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if self.dead().is_none() {
            let mut s = self.tx.lock().recover();
            let mut hdr = [0u8; 28];
            hdr[0..4].copy_from_slice(&REQUEST_MAGIC.to_be_bytes());
            hdr[6..8].copy_from_slice(&CMD_DISC.to_be_bytes());
            let _ = s.write_all_vectored(&mut [IoSlice::new(&hdr)]);
        }
        self.shared.kill("closed".into());
        if let Some(h) = self.reader.take() {
            let _ = h.join();
        }
    }
}
