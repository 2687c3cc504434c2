//! Devices for tests and fault campaigns.
//!
//! - [`MemDevice`]: an in-memory device.
//! - [`CountingDevice`]: counts calls and records every write call.
//! - [`FaultyDevice`]: fails chosen calls, by number or by byte range, once,
//!   a few times, or for good; rules can change while it runs.
//! - [`BarrierDevice`]: every write waits for the writes of the other
//!   members of a [`Rendezvous`], proving they are in flight at once.
//! - [`GateDevice`]: writes stall until a [`Gate`] opens.
//! - [`RecordingDevice`]: records every write and flush point of one
//!   member into a [`Recorder`] shared by all members, in the order they
//!   took effect, for building crash states.
//! - [`LogDevice`]: logs writes and syncs of one device in their order.
//! - [`SliceDevice`]: a window onto a device from an offset on (a member
//!   whose partition starts elsewhere).
//!
//! The wrapping doubles are one type, [`Wrapped`], each with its own
//! [`Hook`]: the calls a double does not take over pass to the wrapped
//! device unchanged.
//!
//! Wrap a device in `Arc` to keep a handle on it while a layer above owns
//! it: `Arc<D>` is a [`Device`] too.

use std::io::{self, IoSlice};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::{Device, DeviceError, DeviceKind, DeviceResult};

/// The error of a double's call `op` at `offset` on `inner`.
fn io_error(inner: &impl Device, op: &'static str, offset: u64, source: io::Error) -> DeviceError {
    DeviceError::Io {
        device: inner.name().to_string(),
        op,
        offset,
        source,
    }
}

/// The failure a faulty device injects.
fn eio() -> io::Error {
    io::Error::from_raw_os_error(libc::EIO)
}

/// A wait that ran out of time.
fn timed_out(why: String) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, why)
}

fn total_len(bufs: &[IoSlice<'_>]) -> u64 {
    bufs.iter()
        .fold(0u64, |a, b| a.saturating_add(b.len() as u64))
}

// ---------------------------------------------------------------------------
// MemDevice

/// An in-memory device.
#[derive(Debug)]
pub struct MemDevice {
    name: String,
    data: RwLock<Vec<u8>>,
    zeros: bool,
}

impl MemDevice {
    /// A zero-filled device of `size` bytes (reads_zeros is true).
    pub fn new(size: usize) -> MemDevice {
        MemDevice {
            name: "mem".into(),
            data: RwLock::new(vec![0; size]),
            zeros: true,
        }
    }

    /// A device holding `bytes` (reads_zeros is false).
    pub fn from_bytes(bytes: Vec<u8>) -> MemDevice {
        MemDevice {
            name: "mem".into(),
            data: RwLock::new(bytes),
            zeros: false,
        }
    }

    /// Gives the device a name (used in messages).
    pub fn with_name(mut self, name: impl Into<String>) -> MemDevice {
        self.name = name.into();
        self
    }

    /// A copy of the whole contents.
    pub fn snapshot(&self) -> Vec<u8> {
        self.data.read().expect("MemDevice lock poisoned").clone()
    }

    fn range(&self, op: &'static str, offset: u64, len: u64, size: u64) -> DeviceResult<usize> {
        match offset.checked_add(len) {
            Some(end) if end <= size => Ok(offset as usize),
            _ => Err(DeviceError::OutOfRange {
                device: self.name.clone(),
                op,
                offset,
                len,
                size,
            }),
        }
    }
}

impl Device for MemDevice {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> DeviceKind {
        DeviceKind::Memory
    }
    fn size(&self) -> u64 {
        self.data.read().expect("MemDevice lock poisoned").len() as u64
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> DeviceResult<()> {
        let data = self.data.read().expect("MemDevice lock poisoned");
        let start = self.range("read", offset, buf.len() as u64, data.len() as u64)?;
        buf.copy_from_slice(&data[start..start + buf.len()]);
        Ok(())
    }
    fn write_vectored_at(&self, bufs: &[IoSlice<'_>], offset: u64) -> DeviceResult<()> {
        let mut data = self.data.write().expect("MemDevice lock poisoned");
        let len = total_len(bufs);
        let mut pos = self.range("write", offset, len, data.len() as u64)?;
        for b in bufs {
            data[pos..pos + b.len()].copy_from_slice(b);
            pos += b.len();
        }
        Ok(())
    }
    fn sync(&self) -> DeviceResult<()> {
        Ok(())
    }
    fn zero_range(&self, offset: u64, len: u64) -> DeviceResult<()> {
        let mut data = self.data.write().expect("MemDevice lock poisoned");
        let start = self.range("zero", offset, len, data.len() as u64)?;
        data[start..start + len as usize].fill(0);
        Ok(())
    }
    fn reads_zeros(&self) -> bool {
        self.zeros
    }
}

// ---------------------------------------------------------------------------
// Wrapped and Hook: what the doubles below share

/// What a test double does with the calls to the device it wraps
/// (`inner`). Each method's default passes the call on unchanged; a double
/// takes over only the calls it watches or changes.
pub trait Hook<D: Device>: Send + Sync + std::fmt::Debug {
    /// The alignment the double reports.
    fn alignment(&self, inner: &D) -> usize {
        inner.alignment()
    }
    /// Whether the double reads zeros where nothing was written.
    fn reads_zeros(&self, inner: &D) -> bool {
        inner.reads_zeros()
    }
    /// A read.
    fn read_at(&self, inner: &D, buf: &mut [u8], offset: u64) -> DeviceResult<()> {
        inner.read_at(buf, offset)
    }
    /// A write (write_at comes here too).
    fn write_vectored_at(&self, inner: &D, bufs: &[IoSlice<'_>], offset: u64) -> DeviceResult<()> {
        inner.write_vectored_at(bufs, offset)
    }
    /// A sync.
    fn sync(&self, inner: &D) -> DeviceResult<()> {
        inner.sync()
    }
    /// A durable write; `None` (the default): a write and a sync of the
    /// double, which the hook sees as such.
    fn write_durable_at(&self, _inner: &D, _buf: &[u8], _offset: u64) -> Option<DeviceResult<()>> {
        None
    }
    /// A zeroing; `None`: zeros written through the double, which the hook
    /// sees as writes.
    fn zero_range(&self, inner: &D, offset: u64, len: u64) -> Option<DeviceResult<()>> {
        Some(inner.zero_range(offset, len))
    }
}

/// A device wrapped by a test double: its name, kind and size are the
/// wrapped device's; its calls go through `hook`.
#[derive(Debug)]
pub struct Wrapped<D, H> {
    inner: D,
    hook: H,
}

impl<D, H> Wrapped<D, H> {
    fn with_hook(inner: D, hook: H) -> Wrapped<D, H> {
        Wrapped { inner, hook }
    }
    /// The wrapped device.
    pub fn inner(&self) -> &D {
        &self.inner
    }
}

impl<D: Device, H: Hook<D>> Device for Wrapped<D, H> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn kind(&self) -> DeviceKind {
        self.inner.kind()
    }
    fn size(&self) -> u64 {
        self.inner.size()
    }
    fn alignment(&self) -> usize {
        self.hook.alignment(&self.inner)
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> DeviceResult<()> {
        self.hook.read_at(&self.inner, buf, offset)
    }
    fn write_vectored_at(&self, bufs: &[IoSlice<'_>], offset: u64) -> DeviceResult<()> {
        self.hook.write_vectored_at(&self.inner, bufs, offset)
    }
    fn sync(&self) -> DeviceResult<()> {
        self.hook.sync(&self.inner)
    }
    fn write_durable_at(&self, buf: &[u8], offset: u64) -> DeviceResult<()> {
        match self.hook.write_durable_at(&self.inner, buf, offset) {
            Some(r) => r,
            None => {
                self.write_at(buf, offset)?;
                self.sync()
            }
        }
    }
    fn zero_range(&self, offset: u64, len: u64) -> DeviceResult<()> {
        match self.hook.zero_range(&self.inner, offset, len) {
            Some(r) => r,
            None => super::zero_by_writing(self, offset, len),
        }
    }
    fn reads_zeros(&self) -> bool {
        self.hook.reads_zeros(&self.inner)
    }
}

// ---------------------------------------------------------------------------
// CountingDevice

/// One recorded write call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteCall {
    /// Byte offset of the run.
    pub offset: u64,
    /// Total bytes over all slices.
    pub len: u64,
    /// Number of slices (iovecs) in the call.
    pub iovs: usize,
}

/// Counts read, write and sync calls and records every write call.
pub type CountingDevice<D> = Wrapped<D, Counts>;

/// What a [`CountingDevice`] counted.
#[derive(Debug, Default)]
pub struct Counts {
    reads: AtomicU64,
    syncs: AtomicU64,
    writes: Mutex<Vec<WriteCall>>,
}

impl Counts {
    fn writes(&self) -> std::sync::MutexGuard<'_, Vec<WriteCall>> {
        self.writes.lock().expect("CountingDevice lock poisoned")
    }
}

impl<D: Device> CountingDevice<D> {
    /// Wraps `inner`.
    pub fn new(inner: D) -> CountingDevice<D> {
        Wrapped::with_hook(inner, Counts::default())
    }
    /// Number of read_at calls.
    pub fn read_count(&self) -> u64 {
        self.hook.reads.load(Ordering::SeqCst)
    }
    /// Number of write calls (write_at and write_vectored_at).
    pub fn write_count(&self) -> u64 {
        self.hook.writes().len() as u64
    }
    /// Number of sync calls.
    pub fn sync_count(&self) -> u64 {
        self.hook.syncs.load(Ordering::SeqCst)
    }
    /// Every write call so far, in order.
    pub fn writes(&self) -> Vec<WriteCall> {
        self.hook.writes().clone()
    }
    /// Total bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.hook.writes().iter().map(|w| w.len).sum()
    }
    /// Sets every counter back to zero and forgets recorded writes.
    pub fn reset(&self) {
        self.hook.reads.store(0, Ordering::SeqCst);
        self.hook.syncs.store(0, Ordering::SeqCst);
        self.hook.writes().clear();
    }
}

impl<D: Device> Hook<D> for Counts {
    fn read_at(&self, inner: &D, buf: &mut [u8], offset: u64) -> DeviceResult<()> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        inner.read_at(buf, offset)
    }
    fn write_vectored_at(&self, inner: &D, bufs: &[IoSlice<'_>], offset: u64) -> DeviceResult<()> {
        self.writes().push(WriteCall {
            offset,
            len: total_len(bufs),
            iovs: bufs.len(),
        });
        inner.write_vectored_at(bufs, offset)
    }
    fn sync(&self, inner: &D) -> DeviceResult<()> {
        self.syncs.fetch_add(1, Ordering::SeqCst);
        inner.sync()
    }
}

// ---------------------------------------------------------------------------
// FaultyDevice

/// Which calls a fault rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultOp {
    /// read_at.
    Read,
    /// write_at, write_vectored_at (and zero_range, which writes).
    Write,
    /// sync.
    Sync,
    /// Every call.
    Any,
}

/// When a fault rule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultTrigger {
    /// From the nth matching call on (1-based, counted per [`FaultOp`]).
    Nth(u64),
    /// Calls whose bytes overlap `start..end` (sync never matches).
    Range {
        /// First byte of the bad range.
        start: u64,
        /// One past the last byte.
        end: u64,
    },
    /// Every matching call.
    Always,
}

/// How long a fault rule keeps firing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// Fails this many times, then works.
    Transient(u64),
    /// Fails every time from the trigger on.
    Persistent,
}

/// One fault rule of a [`FaultyDevice`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// Calls the rule looks at.
    pub op: FaultOp,
    /// When it fires.
    pub trigger: FaultTrigger,
    /// How often it fires.
    pub persistence: Persistence,
    /// On a failing write, first write this many leading bytes of the run
    /// (a torn write); 0 writes nothing.
    pub torn_bytes: u64,
    fired: u64,
}

impl FaultRule {
    /// Fails the nth call of `op` (1-based) once.
    pub fn nth(op: FaultOp, n: u64) -> FaultRule {
        FaultRule {
            op,
            trigger: FaultTrigger::Nth(n),
            persistence: Persistence::Transient(1),
            torn_bytes: 0,
            fired: 0,
        }
    }
    /// Fails calls of `op` touching `len` bytes at `start`, every time.
    pub fn range(op: FaultOp, start: u64, len: u64) -> FaultRule {
        FaultRule {
            op,
            trigger: FaultTrigger::Range {
                start,
                end: start.saturating_add(len),
            },
            persistence: Persistence::Persistent,
            torn_bytes: 0,
            fired: 0,
        }
    }
    /// Fails every call of `op`.
    pub fn always(op: FaultOp) -> FaultRule {
        FaultRule {
            op,
            trigger: FaultTrigger::Always,
            persistence: Persistence::Persistent,
            torn_bytes: 0,
            fired: 0,
        }
    }
    /// Fails every sync.
    pub fn sync() -> FaultRule {
        FaultRule::always(FaultOp::Sync)
    }
    /// Makes the rule fire `k` times, then work (transient fault).
    pub fn times(mut self, k: u64) -> FaultRule {
        self.persistence = Persistence::Transient(k);
        self
    }
    /// Makes the rule fire every time from its trigger on.
    pub fn persistent(mut self) -> FaultRule {
        self.persistence = Persistence::Persistent;
        self
    }
    /// On failing writes, first writes the leading `n` bytes of the run.
    pub fn torn(mut self, n: u64) -> FaultRule {
        self.torn_bytes = n;
        self
    }
    /// How many times this rule has fired.
    pub fn fired(&self) -> u64 {
        self.fired
    }

    fn applies(&self, op: FaultOp) -> bool {
        self.op == FaultOp::Any || self.op == op
    }

    /// Whether the rule fires for a call with per-op index `idx` (1-based)
    /// touching `range` (None for sync).
    fn fires(&mut self, idx: u64, range: Option<(u64, u64)>) -> bool {
        let hit = match self.trigger {
            FaultTrigger::Nth(n) => idx >= n,
            FaultTrigger::Always => true,
            FaultTrigger::Range { start, end } => match range {
                Some((off, len)) => off < end && off.saturating_add(len.max(1)) > start,
                None => false,
            },
        };
        if !hit {
            return false;
        }
        let fire = match self.persistence {
            Persistence::Persistent => true,
            Persistence::Transient(k) => self.fired < k,
        };
        if fire {
            self.fired += 1;
        }
        fire
    }
}

#[derive(Debug, Default)]
struct FaultState {
    rules: Vec<FaultRule>,
    reads: u64,
    writes: u64,
    syncs: u64,
    calls: u64,
    injected: u64,
}

/// A device that fails chosen calls with EIO.
pub type FaultyDevice<D> = Wrapped<D, Faults>;

/// The rules of a [`FaultyDevice`] and its call counts.
#[derive(Debug, Default)]
pub struct Faults {
    state: Mutex<FaultState>,
}

impl<D: Device> FaultyDevice<D> {
    /// Wraps `inner` with no rules (everything works).
    pub fn new(inner: D) -> FaultyDevice<D> {
        Wrapped::with_hook(inner, Faults::default())
    }
    /// Wraps `inner` with the given rules.
    pub fn with_rules(inner: D, rules: Vec<FaultRule>) -> FaultyDevice<D> {
        let d = FaultyDevice::new(inner);
        d.set_rules(rules);
        d
    }
    /// Adds a rule (call counts are not reset).
    pub fn add_rule(&self, rule: FaultRule) {
        self.hook.lock().rules.push(rule);
    }
    /// Replaces every rule.
    pub fn set_rules(&self, rules: Vec<FaultRule>) {
        self.hook.lock().rules = rules;
    }
    /// Removes every rule: the device works again.
    pub fn clear_rules(&self) {
        self.hook.lock().rules.clear();
    }
    /// The current rules, with how often each fired.
    pub fn rules(&self) -> Vec<FaultRule> {
        self.hook.lock().rules.clone()
    }
    /// Sets call counters (used by [`FaultTrigger::Nth`]) back to zero.
    pub fn reset_counts(&self) {
        let mut s = self.hook.lock();
        s.reads = 0;
        s.writes = 0;
        s.syncs = 0;
        s.calls = 0;
    }
    /// How many faults have been injected so far.
    pub fn injected(&self) -> u64 {
        self.hook.lock().injected
    }
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.state.lock().expect("FaultyDevice lock poisoned")
    }

    /// Counts the call and returns Some(torn bytes) when it must fail.
    fn check(&self, op: FaultOp, range: Option<(u64, u64)>) -> Option<u64> {
        let mut s = self.lock();
        s.calls += 1;
        let idx = match op {
            FaultOp::Read => {
                s.reads += 1;
                s.reads
            }
            FaultOp::Write => {
                s.writes += 1;
                s.writes
            }
            FaultOp::Sync => {
                s.syncs += 1;
                s.syncs
            }
            FaultOp::Any => s.calls,
        };
        let calls = s.calls;
        let mut torn = None;
        for r in s.rules.iter_mut() {
            if !r.applies(op) {
                continue;
            }
            let i = if r.op == FaultOp::Any { calls } else { idx };
            if r.fires(i, range) {
                torn = Some(torn.unwrap_or(0).max(r.torn_bytes));
            }
        }
        if torn.is_some() {
            s.injected += 1;
        }
        torn
    }
}

impl<D: Device> Hook<D> for Faults {
    fn read_at(&self, inner: &D, buf: &mut [u8], offset: u64) -> DeviceResult<()> {
        if self
            .check(FaultOp::Read, Some((offset, buf.len() as u64)))
            .is_some()
        {
            return Err(io_error(inner, "read", offset, eio()));
        }
        inner.read_at(buf, offset)
    }
    fn write_vectored_at(&self, inner: &D, bufs: &[IoSlice<'_>], offset: u64) -> DeviceResult<()> {
        let len = total_len(bufs);
        if let Some(torn) = self.check(FaultOp::Write, Some((offset, len))) {
            let mut left = torn.min(len);
            if left > 0 {
                let mut part: Vec<IoSlice<'_>> = Vec::new();
                for b in bufs {
                    if left == 0 {
                        break;
                    }
                    let n = (b.len() as u64).min(left) as usize;
                    part.push(IoSlice::new(&b[..n]));
                    left -= n as u64;
                }
                inner.write_vectored_at(&part, offset)?;
            }
            return Err(io_error(inner, "write", offset, eio()));
        }
        inner.write_vectored_at(bufs, offset)
    }
    fn sync(&self, inner: &D) -> DeviceResult<()> {
        if self.check(FaultOp::Sync, None).is_some() {
            return Err(io_error(inner, "sync", 0, eio()));
        }
        inner.sync()
    }
    /// Zeros are written through the faults: a failing write fails them.
    fn zero_range(&self, _inner: &D, _offset: u64, _len: u64) -> Option<DeviceResult<()>> {
        None
    }
}

// ---------------------------------------------------------------------------
// BarrierDevice and Rendezvous

/// A reusable rendezvous of `parties` threads with a timeout, like
/// `std::sync::Barrier` but one that cannot hang a test forever.
#[derive(Debug)]
pub struct Rendezvous {
    parties: usize,
    timeout: Duration,
    state: Mutex<RendezvousState>,
    cv: Condvar,
}

#[derive(Debug, Default)]
struct RendezvousState {
    waiting: usize,
    generation: u64,
}

impl Rendezvous {
    /// A rendezvous of `parties` (at least 1) waiting at most `timeout`.
    pub fn new(parties: usize, timeout: Duration) -> Arc<Rendezvous> {
        Arc::new(Rendezvous {
            parties: parties.max(1),
            timeout,
            state: Mutex::new(RendezvousState::default()),
            cv: Condvar::new(),
        })
    }

    /// A rendezvous of `parties` with a 10 second timeout.
    pub fn with_default_timeout(parties: usize) -> Arc<Rendezvous> {
        Rendezvous::new(parties, Duration::from_secs(10))
    }

    /// How many rounds have completed (all parties met).
    pub fn rounds(&self) -> u64 {
        self.state
            .lock()
            .expect("Rendezvous lock poisoned")
            .generation
    }

    /// Waits until `parties` callers are here; false on timeout (the caller
    /// then leaves the round, which stays open for others).
    pub fn wait(&self) -> bool {
        let mut s = self.state.lock().expect("Rendezvous lock poisoned");
        let gen_here = s.generation;
        s.waiting += 1;
        if s.waiting >= self.parties {
            s.waiting = 0;
            s.generation += 1;
            self.cv.notify_all();
            return true;
        }
        let (mut s, waited) = self
            .cv
            .wait_timeout_while(s, self.timeout, |s| s.generation == gen_here)
            .expect("Rendezvous lock poisoned");
        if waited.timed_out() {
            s.waiting -= 1;
            return false;
        }
        true
    }
}

/// A device whose every write first waits on a shared [`Rendezvous`].
pub type BarrierDevice<D> = Wrapped<D, Arc<Rendezvous>>;

impl<D: Device> BarrierDevice<D> {
    /// Wraps `inner`; its writes meet the others at `rendezvous`.
    pub fn new(inner: D, rendezvous: Arc<Rendezvous>) -> BarrierDevice<D> {
        Wrapped::with_hook(inner, rendezvous)
    }
}

impl<D: Device> Hook<D> for Arc<Rendezvous> {
    fn write_vectored_at(&self, inner: &D, bufs: &[IoSlice<'_>], offset: u64) -> DeviceResult<()> {
        if !self.wait() {
            let why = format!(
                "barrier timeout: the other writers did not arrive within {:?}",
                self.timeout
            );
            return Err(io_error(inner, "write", offset, timed_out(why)));
        }
        inner.write_vectored_at(bufs, offset)
    }
}

// ---------------------------------------------------------------------------
// GateDevice and Gate

/// A gate that stalls writes until opened, counting writes started and done.
#[derive(Debug)]
pub struct Gate {
    open: Mutex<bool>,
    cv: Condvar,
    timeout: Duration,
    started: AtomicU64,
    done: AtomicU64,
}

impl Gate {
    /// A closed gate; stalled writes give up after `timeout`.
    pub fn new(timeout: Duration) -> Arc<Gate> {
        Arc::new(Gate {
            open: Mutex::new(false),
            cv: Condvar::new(),
            timeout,
            started: AtomicU64::new(0),
            done: AtomicU64::new(0),
        })
    }
    /// A closed gate with a 10 second timeout.
    pub fn closed() -> Arc<Gate> {
        Gate::new(Duration::from_secs(10))
    }
    /// Opens the gate: stalled and future writes go through.
    pub fn open(&self) {
        *self.open.lock().expect("Gate lock poisoned") = true;
        self.cv.notify_all();
    }
    /// Closes the gate: future writes stall.
    pub fn close(&self) {
        *self.open.lock().expect("Gate lock poisoned") = false;
    }
    /// True when the gate is open.
    pub fn is_open(&self) -> bool {
        *self.open.lock().expect("Gate lock poisoned")
    }
    /// Writes that have reached the gate so far.
    pub fn writes_started(&self) -> u64 {
        self.started.load(Ordering::SeqCst)
    }
    /// Writes that have passed the gate and finished.
    pub fn writes_done(&self) -> u64 {
        self.done.load(Ordering::SeqCst)
    }
    /// Waits until at least `n` writes have started; false after `timeout`.
    pub fn wait_started(&self, n: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.writes_started() < n {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        true
    }
    /// Waits for the gate to be open; false on timeout.
    fn pass(&self) -> bool {
        let open = self.open.lock().expect("Gate lock poisoned");
        let (_open, waited) = self
            .cv
            .wait_timeout_while(open, self.timeout, |open| !*open)
            .expect("Gate lock poisoned");
        !waited.timed_out()
    }
}

/// A device whose writes wait until its [`Gate`] is open.
pub type GateDevice<D> = Wrapped<D, Arc<Gate>>;

impl<D: Device> GateDevice<D> {
    /// Wraps `inner` behind `gate`.
    pub fn new(inner: D, gate: Arc<Gate>) -> GateDevice<D> {
        Wrapped::with_hook(inner, gate)
    }
    /// The gate (a shared handle).
    pub fn gate(&self) -> Arc<Gate> {
        self.hook.clone()
    }
}

impl<D: Device> Hook<D> for Arc<Gate> {
    fn write_vectored_at(&self, inner: &D, bufs: &[IoSlice<'_>], offset: u64) -> DeviceResult<()> {
        self.started.fetch_add(1, Ordering::SeqCst);
        if !self.pass() {
            let why = format!(
                "gate timeout: the gate stayed closed for {:?}",
                self.timeout
            );
            return Err(io_error(inner, "write", offset, timed_out(why)));
        }
        let r = inner.write_vectored_at(bufs, offset);
        self.done.fetch_add(1, Ordering::SeqCst);
        r
    }
}

// ---------------------------------------------------------------------------
// RecordingDevice and Recorder

/// What a [`RecordingDevice`] saw, in the order it took effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// A write that returned: `write_at` or `write_vectored_at` (a vectored
    /// write is one record), or `write_durable_at` (`durable`: it was
    /// durable, on its own, when it returned; writes before it were not
    /// made durable by it).
    Write {
        /// The member (see [`Recorder::register`]).
        member: usize,
        /// Byte offset.
        offset: u64,
        /// The bytes written.
        data: Arc<[u8]>,
        /// True for `write_durable_at`.
        durable: bool,
    },
    /// A `zero_range` that returned: `len` bytes at `offset` read back as
    /// zeros from then on.
    Zero {
        /// The member.
        member: usize,
        /// Byte offset.
        offset: u64,
        /// Bytes zeroed.
        len: u64,
    },
    /// A `sync` that returned: a flush point. Every write of the member
    /// recorded before it is durable.
    Sync {
        /// The member.
        member: usize,
    },
    /// A marker from [`Recorder::mark`] (the test's own events, e.g. "this
    /// operation returned"), ordered with the device events.
    Mark(String),
}

impl Recorded {
    /// The member of a device event (None for a marker).
    pub fn member(&self) -> Option<usize> {
        match self {
            Recorded::Write { member, .. }
            | Recorded::Zero { member, .. }
            | Recorded::Sync { member } => Some(*member),
            Recorded::Mark(_) => None,
        }
    }

    /// The byte range a write or zeroing touches: (offset, len).
    pub fn range(&self) -> Option<(u64, u64)> {
        match self {
            Recorded::Write { offset, data, .. } => Some((*offset, data.len() as u64)),
            Recorded::Zero { offset, len, .. } => Some((*offset, *len)),
            _ => None,
        }
    }

    /// Applies the first `limit` bytes (all with None) of a write or a
    /// zeroing to `image`, a copy of the member's device: what the device
    /// holds once that much of it reached the media (a torn write). Syncs
    /// and markers change nothing. Bytes past the image's end are ignored.
    pub fn apply(&self, image: &mut [u8], limit: Option<u64>) {
        let Some((offset, len)) = self.range() else {
            return;
        };
        let len = limit.map_or(len, |l| l.min(len));
        let size = image.len() as u64;
        let start = offset.min(size) as usize;
        let end = offset.saturating_add(len).min(size) as usize;
        match self {
            Recorded::Write { data, .. } => image[start..end].copy_from_slice(&data[..end - start]),
            _ => image[start..end].fill(0),
        }
    }
}

/// The shared log of a set of [`RecordingDevice`]s (one per member): one
/// order for every member's events and the test's markers.
#[derive(Debug, Default)]
pub struct Recorder {
    log: Mutex<Vec<Recorded>>,
    members: AtomicU64,
}

impl Recorder {
    /// An empty log.
    pub fn new() -> Arc<Recorder> {
        Arc::new(Recorder::default())
    }

    /// A new member number (0, 1, ... in the order asked).
    pub fn register(&self) -> usize {
        self.members.fetch_add(1, Ordering::SeqCst) as usize
    }

    /// Appends a marker.
    pub fn mark(&self, label: impl Into<String>) {
        self.lock().push(Recorded::Mark(label.into()));
    }

    /// Everything recorded so far, in order.
    pub fn events(&self) -> Vec<Recorded> {
        self.lock().clone()
    }

    /// Number of events recorded so far.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Forgets every event (members keep their numbers).
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Recorded>> {
        self.log.lock().expect("Recorder lock poisoned")
    }
}

/// Records every write, zeroing and sync of one member into a shared
/// [`Recorder`]: the capture device of a CrashMonkey-style campaign. The
/// call and its record happen under the recorder's lock, so the log's
/// order is the order the calls took effect on the wrapped devices. Only
/// calls that succeed are recorded.
pub type RecordingDevice<D> = Wrapped<D, Recording>;

/// A [`RecordingDevice`]'s member number and the log it records into.
#[derive(Debug)]
pub struct Recording {
    member: usize,
    recorder: Arc<Recorder>,
}

impl<D: Device> RecordingDevice<D> {
    /// Wraps `inner` as the next member of `recorder`.
    pub fn new(inner: D, recorder: &Arc<Recorder>) -> RecordingDevice<D> {
        let hook = Recording {
            member: recorder.register(),
            recorder: recorder.clone(),
        };
        Wrapped::with_hook(inner, hook)
    }
    /// The member number its events carry.
    pub fn member(&self) -> usize {
        self.hook.member
    }
}

impl<D: Device> Hook<D> for Recording {
    fn write_vectored_at(&self, inner: &D, bufs: &[IoSlice<'_>], offset: u64) -> DeviceResult<()> {
        let mut log = self.recorder.lock();
        inner.write_vectored_at(bufs, offset)?;
        let data: Vec<u8> = bufs.iter().flat_map(|b| b.iter().copied()).collect();
        log.push(Recorded::Write {
            member: self.member,
            offset,
            data: data.into(),
            durable: false,
        });
        Ok(())
    }
    fn sync(&self, inner: &D) -> DeviceResult<()> {
        let mut log = self.recorder.lock();
        inner.sync()?;
        log.push(Recorded::Sync {
            member: self.member,
        });
        Ok(())
    }
    fn write_durable_at(&self, inner: &D, buf: &[u8], offset: u64) -> Option<DeviceResult<()>> {
        let mut log = self.recorder.lock();
        Some(inner.write_durable_at(buf, offset).map(|()| {
            log.push(Recorded::Write {
                member: self.member,
                offset,
                data: buf.into(),
                durable: true,
            });
        }))
    }
    fn zero_range(&self, inner: &D, offset: u64, len: u64) -> Option<DeviceResult<()>> {
        let mut log = self.recorder.lock();
        Some(inner.zero_range(offset, len).map(|()| {
            log.push(Recorded::Zero {
                member: self.member,
                offset,
                len,
            });
        }))
    }
}

// ---------------------------------------------------------------------------
// LogDevice

/// One event on a [`LogDevice`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A write call: offset, length.
    Write(u64, u64),
    /// A sync call.
    Sync,
}

/// A device that logs writes and syncs in the order they happen. It does
/// not pass on the wrapped device's alignment or fresh zeros, and zeroes by
/// writing (logged as writes).
pub type LogDevice<D> = Wrapped<D, Mutex<Vec<Event>>>;

impl<D: Device> LogDevice<D> {
    /// Wraps `inner` with an empty log.
    pub fn new(inner: D) -> LogDevice<D> {
        Wrapped::with_hook(inner, Mutex::new(Vec::new()))
    }
    /// The events so far, in order.
    pub fn events(&self) -> Vec<Event> {
        self.hook.lock().unwrap().clone()
    }
}

impl<D: Device> Hook<D> for Mutex<Vec<Event>> {
    fn alignment(&self, _inner: &D) -> usize {
        crate::units::SECTOR
    }
    fn reads_zeros(&self, _inner: &D) -> bool {
        false
    }
    fn write_vectored_at(&self, inner: &D, bufs: &[IoSlice<'_>], offset: u64) -> DeviceResult<()> {
        let len = bufs.iter().map(|b| b.len() as u64).sum();
        self.lock().unwrap().push(Event::Write(offset, len));
        inner.write_vectored_at(bufs, offset)
    }
    fn sync(&self, inner: &D) -> DeviceResult<()> {
        self.lock().unwrap().push(Event::Sync);
        inner.sync()
    }
    fn zero_range(&self, _inner: &D, _offset: u64, _len: u64) -> Option<DeviceResult<()>> {
        None
    }
}

// ---------------------------------------------------------------------------
// SliceDevice

/// A window onto a device starting at `offset`: a member whose partition
/// starts at another device byte than the others'.
#[derive(Debug)]
pub struct SliceDevice<D> {
    pub inner: D,
    pub offset: u64,
}

impl<D: Device> Device for SliceDevice<D> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn kind(&self) -> DeviceKind {
        self.inner.kind()
    }
    fn size(&self) -> u64 {
        self.inner.size() - self.offset
    }
    fn alignment(&self) -> usize {
        self.inner.alignment()
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> DeviceResult<()> {
        self.inner.read_at(buf, offset + self.offset)
    }
    fn write_vectored_at(&self, bufs: &[IoSlice<'_>], offset: u64) -> DeviceResult<()> {
        self.inner.write_vectored_at(bufs, offset + self.offset)
    }
    fn sync(&self) -> DeviceResult<()> {
        self.inner.sync()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    #[test]
    fn mem_device_basics() {
        let d = MemDevice::new(4096).with_name("m0");
        assert_eq!(d.name(), "m0");
        assert_eq!(d.size(), 4096);
        assert_eq!(d.kind(), DeviceKind::Memory);
        assert!(d.reads_zeros());
        d.write_vectored_at(
            &[IoSlice::new(b"ab"), IoSlice::new(b""), IoSlice::new(b"cd")],
            10,
        )
        .expect("write");
        let mut b = [0u8; 4];
        d.read_at(&mut b, 10).expect("read");
        assert_eq!(&b, b"abcd");
        assert_eq!(&d.snapshot()[9..15], b"\0abcd\0");
        assert!(matches!(
            d.read_at(&mut b, 4093),
            Err(DeviceError::OutOfRange { .. })
        ));
        assert!(matches!(
            d.write_at(&b, u64::MAX),
            Err(DeviceError::OutOfRange { .. })
        ));
        d.zero_range(11, 2).expect("zero");
        d.read_at(&mut b, 10).expect("read");
        assert_eq!(&b, b"a\0\0d");
        d.sync().expect("sync");
        let f = MemDevice::from_bytes(vec![1, 2, 3]);
        assert!(!f.reads_zeros());
        assert_eq!(f.size(), 3);
        // Default zero_range through a boxed trait object.
        let boxed: Box<dyn Device> = Box::new(MemDevice::from_bytes(vec![5; 100]));
        boxed.zero_range(10, 80).expect("zero");
        let mut all = [0u8; 100];
        boxed.read_at(&mut all, 0).expect("read");
        assert_eq!(all.iter().filter(|&&x| x == 0).count(), 80);
    }

    #[test]
    fn counting_device_counts() {
        let d = Arc::new(CountingDevice::new(MemDevice::new(8192)));
        let handle: Arc<dyn Device> = d.clone();
        handle.write_at(&[1; 512], 0).expect("w");
        handle
            .write_vectored_at(&[IoSlice::new(&[2; 512]), IoSlice::new(&[3; 1024])], 1024)
            .expect("wv");
        let mut b = [0u8; 512];
        handle.read_at(&mut b, 0).expect("r");
        handle.read_at(&mut b, 512).expect("r");
        handle.sync().expect("s");
        assert_eq!(d.read_count(), 2);
        assert_eq!(d.write_count(), 2);
        assert_eq!(d.sync_count(), 1);
        assert_eq!(d.bytes_written(), 2048);
        assert_eq!(
            d.writes(),
            vec![
                WriteCall {
                    offset: 0,
                    len: 512,
                    iovs: 1
                },
                WriteCall {
                    offset: 1024,
                    len: 1536,
                    iovs: 2
                }
            ]
        );
        d.reset();
        assert_eq!(d.read_count() + d.write_count() + d.sync_count(), 0);
        assert!(d.writes().is_empty());
        assert_eq!(d.inner().snapshot()[1024 + 600], 3);
    }

    #[test]
    fn faulty_nth_transient_and_persistent() {
        let d = FaultyDevice::new(MemDevice::new(4096));
        d.add_rule(FaultRule::nth(FaultOp::Write, 2));
        d.write_at(&[1], 0).expect("1st write works");
        let e = d.write_at(&[1], 0).unwrap_err();
        match &e {
            DeviceError::Io { source, op, .. } => {
                assert_eq!(source.raw_os_error(), Some(libc::EIO));
                assert_eq!(*op, "write");
            }
            other => panic!("unexpected {other}"),
        }
        d.write_at(&[1], 0).expect("3rd write works (transient)");
        assert_eq!(d.injected(), 1);

        d.set_rules(vec![FaultRule::nth(FaultOp::Read, 1).times(2)]);
        d.reset_counts();
        let mut b = [0u8; 1];
        assert!(d.read_at(&mut b, 0).is_err());
        assert!(d.read_at(&mut b, 0).is_err());
        d.read_at(&mut b, 0).expect("works after 2 failures");
        d.write_at(&[1], 0).expect("writes unaffected");

        d.set_rules(vec![FaultRule::nth(FaultOp::Any, 3).persistent()]);
        d.reset_counts();
        d.read_at(&mut b, 0).expect("call 1");
        d.write_at(&[1], 0).expect("call 2");
        assert!(d.sync().is_err());
        assert!(d.read_at(&mut b, 0).is_err());
        assert!(d.write_at(&[1], 0).is_err());
        assert_eq!(d.rules()[0].fired(), 3);
        d.clear_rules();
        d.write_at(&[1], 0).expect("healed");
    }

    #[test]
    fn faulty_range_and_sync() {
        let d = FaultyDevice::with_rules(
            MemDevice::new(8192),
            vec![FaultRule::range(FaultOp::Write, 4096, 512)],
        );
        d.write_at(&[1; 512], 3584).expect("just below");
        d.write_at(&[1; 512], 4608).expect("just above");
        assert!(d.write_at(&[1; 2], 4095).is_err());
        assert!(d.write_at(&[1; 512], 4096).is_err());
        assert!(d.write_at(&[1; 8192], 0).is_err());
        let mut b = [0u8; 512];
        d.read_at(&mut b, 4096).expect("reads unaffected");
        d.sync().expect("sync unaffected");
        d.add_rule(FaultRule::sync());
        assert!(d.sync().is_err());
        assert!(d.sync().is_err());
        // Range rule for reads, transient once.
        d.set_rules(vec![FaultRule::range(FaultOp::Read, 0, 1).times(1)]);
        assert!(d.read_at(&mut b, 0).is_err());
        d.read_at(&mut b, 0).expect("transient");
    }

    #[test]
    fn faulty_torn_write() {
        let d = FaultyDevice::with_rules(
            MemDevice::new(4096),
            vec![FaultRule::nth(FaultOp::Write, 1).torn(700)],
        );
        let a = [0xaa; 512];
        let b = [0xbb; 512];
        assert!(
            d.write_vectored_at(&[IoSlice::new(&a), IoSlice::new(&b)], 0)
                .is_err()
        );
        let snap = d.inner().snapshot();
        assert!(snap[..512].iter().all(|&x| x == 0xaa));
        assert!(snap[512..700].iter().all(|&x| x == 0xbb));
        assert!(snap[700..].iter().all(|&x| x == 0));
    }

    #[test]
    fn faulty_zero_range_counts_as_write() {
        let d = FaultyDevice::with_rules(
            MemDevice::new(4096),
            vec![FaultRule::always(FaultOp::Write)],
        );
        assert!(d.zero_range(0, 512).is_err());
    }

    #[test]
    fn barrier_writes_are_in_flight_together() {
        let rv = Rendezvous::new(3, Duration::from_secs(10));
        let devs: Vec<Arc<BarrierDevice<MemDevice>>> = (0..3)
            .map(|_| Arc::new(BarrierDevice::new(MemDevice::new(4096), rv.clone())))
            .collect();
        for round in 0..3u8 {
            let hs: Vec<_> = devs
                .iter()
                .map(|d| {
                    let d = d.clone();
                    thread::spawn(move || d.write_at(&[round + 1; 512], 512 * round as u64))
                })
                .collect();
            for h in hs {
                h.join().expect("thread").expect("write");
            }
        }
        assert_eq!(rv.rounds(), 3);
        for d in &devs {
            assert_eq!(d.inner().snapshot()[1024], 3);
        }
    }

    #[test]
    fn barrier_times_out_alone() {
        let rv = Rendezvous::new(2, Duration::from_millis(50));
        let d = BarrierDevice::new(MemDevice::new(4096), rv.clone());
        let e = d.write_at(&[1; 512], 0).unwrap_err();
        assert!(e.to_string().contains("barrier timeout"), "{e}");
        assert_eq!(d.inner().snapshot()[0], 0);
        // The round is still usable afterwards.
        let d2 = Arc::new(BarrierDevice::new(MemDevice::new(4096), rv.clone()));
        let d3 = d2.clone();
        let h = thread::spawn(move || d3.write_at(&[1], 0));
        d2.write_at(&[2], 1).expect("pair meets");
        h.join().expect("thread").expect("write");
        assert_eq!(rv.rounds(), 1);
        d.sync().expect("sync does not wait");
        let mut b = [0u8; 1];
        d.read_at(&mut b, 0).expect("read does not wait");
    }

    #[test]
    fn gate_stalls_writes_until_open() {
        let gate = Gate::closed();
        let d = Arc::new(GateDevice::new(MemDevice::new(4096), gate.clone()));
        assert!(!gate.is_open());
        let d2 = d.clone();
        let h = thread::spawn(move || d2.write_at(&[7; 512], 512));
        assert!(gate.wait_started(1, Duration::from_secs(5)));
        thread::sleep(Duration::from_millis(30));
        assert_eq!(gate.writes_done(), 0);
        assert_eq!(d.inner().snapshot()[512], 0);
        // Reads are not gated.
        let mut b = [0u8; 1];
        d.read_at(&mut b, 0).expect("read");
        gate.open();
        h.join().expect("thread").expect("write");
        assert_eq!(gate.writes_done(), 1);
        assert_eq!(d.inner().snapshot()[512], 7);
        assert!(d.gate().is_open());
        d.write_at(&[1], 0).expect("open gate");
        gate.close();
        assert!(!gate.is_open());
    }

    #[test]
    fn gate_times_out() {
        let gate = Gate::new(Duration::from_millis(30));
        let d = GateDevice::new(MemDevice::new(4096), gate.clone());
        let e = d.write_at(&[1], 0).unwrap_err();
        assert!(e.to_string().contains("gate timeout"), "{e}");
        assert_eq!(gate.writes_started(), 1);
        assert!(!gate.wait_started(2, Duration::from_millis(5)));
    }

    #[test]
    fn recording_device_logs_writes_and_flush_points_in_order() {
        let rec = Recorder::new();
        let a = RecordingDevice::new(MemDevice::new(4096), &rec);
        let b = RecordingDevice::new(MemDevice::new(4096), &rec);
        assert_eq!((a.member(), b.member()), (0, 1));
        a.write_vectored_at(&[IoSlice::new(&[1; 512]), IoSlice::new(&[2; 512])], 0)
            .expect("wv");
        rec.mark("after a's write");
        b.write_durable_at(&[3; 512], 512).expect("durable");
        a.sync().expect("sync");
        b.zero_range(512, 512).expect("zero");
        let ev = rec.events();
        assert_eq!(ev.len(), 5);
        assert_eq!(ev[0].range(), Some((0, 1024)));
        assert!(
            matches!(&ev[0], Recorded::Write { member: 0, durable: false, data, .. }
            if data[..512] == [1; 512] && data[512..] == [2; 512])
        );
        assert_eq!(ev[1], Recorded::Mark("after a's write".into()));
        assert!(matches!(
            &ev[2],
            Recorded::Write {
                member: 1,
                offset: 512,
                durable: true,
                ..
            }
        ));
        assert_eq!(ev[3], Recorded::Sync { member: 0 });
        assert_eq!(
            ev[4],
            Recorded::Zero {
                member: 1,
                offset: 512,
                len: 512
            }
        );
        assert_eq!(ev[1].member(), None);
        // The writes reached the wrapped devices.
        assert_eq!(a.inner().snapshot()[600], 2);
        // Replaying onto an image, whole and torn at 512 bytes.
        let mut img = vec![9u8; 2048];
        ev[0].apply(&mut img, Some(512));
        assert!(img[..512].iter().all(|&x| x == 1));
        assert!(img[512..].iter().all(|&x| x == 9));
        ev[0].apply(&mut img, None);
        assert!(img[512..1024].iter().all(|&x| x == 2));
        ev[4].apply(&mut img, None);
        assert!(img[512..1024].iter().all(|&x| x == 0));
        ev[3].apply(&mut img, None);
        assert_eq!(img[0], 1);
        // A failed call is not recorded.
        assert!(a.write_at(&[1], 4096).is_err());
        assert_eq!(rec.len(), 5);
        rec.clear();
        assert!(rec.is_empty());
    }
}
