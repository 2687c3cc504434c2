//! Remote devices: an NBD export (Network Block Device protocol) used as a
//! member like any local device.
//!
//! - [`uri`]: `nbd://HOST[:PORT]/EXPORT` and `nbd+unix:///EXPORT?socket=PATH`.
//! - [`proto`]: the protocol's wire constants.
//! - [`conn`]: the TCP or unix socket stream.
//! - [`handshake`]: fixed newstyle negotiation (NBD_OPT_GO, or
//!   NBD_OPT_EXPORT_NAME where the server has no GO).
//! - [`client`]: the transmission phase, many requests in flight, replies
//!   matched by handle.
//!
//! NBD carries no encryption or authentication: see docs/NBD.md.

pub mod client;
pub mod conn;
pub mod handshake;
pub mod proto;
pub mod uri;

use std::io::{self, IoSlice};
use std::sync::Mutex;
use std::time::Duration;

use client::{Client, Failure, Request};
use handshake::ExportInfo;
use proto::*;
pub use uri::{NbdUri, is_nbd_uri};

use crate::lock::Recover;
use crate::units::SECTOR;

use super::{Device, DeviceError, DeviceKind, DeviceResult};

/// Default bound on every wait for the server (`--nbd-timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Payload of one request at most: large runs are split into requests of
/// this size (or the server's maximum, if smaller) and pipelined, so the
/// server writes one while the next is still arriving.
const REQUEST_BYTES: u32 = 4 << 20;
/// Data of one read request at most: smaller than writes, so that the
/// server reads the next piece while the last one is on the wire and the
/// reply reader copies it out.
const READ_REQUEST_BYTES: u32 = 1 << 20;
/// Largest WRITE_ZEROES request when the server states no maximum.
const ZERO_REQUEST_BYTES: u64 = 1 << 30;

/// How to open an NBD export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NbdOptions {
    /// Open for writing (refused for a read-only export).
    pub write: bool,
    /// Bound on connecting, the handshake and every wait for a reply.
    pub timeout: Duration,
}

/// An NBD export as a device.
#[derive(Debug)]
pub struct NbdDevice {
    name: String,
    info: ExportInfo,
    client: Client,
    writable: bool,
    /// Serialises read-modify-write of partial blocks (servers with a
    /// minimum block size above 512).
    rmw: Mutex<()>,
}

impl NbdDevice {
    /// Connects to the export named by `uri` (kept as the device's name)
    /// and negotiates it.
    pub fn open(uri: &str, opts: &NbdOptions) -> DeviceResult<NbdDevice> {
        let name = uri.to_string();
        let fail = |reason: String| DeviceError::Unusable {
            device: name.clone(),
            reason,
        };
        let parsed = NbdUri::parse(uri).map_err(|e| fail(format!("malformed NBD URI: {e}")))?;
        let where_ = match &parsed.endpoint {
            uri::Endpoint::Tcp { host, port } => format!("{host}:{port}"),
            uri::Endpoint::Unix(p) => p.display().to_string(),
        };
        let mut s = conn::Stream::connect(&parsed.endpoint, opts.timeout).map_err(|e| {
            fail(match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => format!(
                    "cannot connect to {where_}: no answer within {} s (--nbd-timeout)",
                    opts.timeout.as_secs_f64()
                ),
                _ => format!("cannot connect to {where_}: {e}"),
            })
        })?;
        let io_fail = |e: io::Error| fail(format!("{where_}: {e}"));
        s.set_read_timeout(Some(opts.timeout)).map_err(io_fail)?;
        s.set_write_timeout(Some(opts.timeout)).map_err(io_fail)?;
        let info = match handshake::negotiate(&mut s, &parsed.export, opts.timeout) {
            Ok(i) => i,
            Err(cause) => {
                handshake::abort(&mut s);
                s.shutdown();
                return Err(fail(format!("export {:?}: {cause}", parsed.export)));
            }
        };
        if opts.write && info.has(TFLAG_READ_ONLY) {
            s.shutdown();
            return Err(fail(
                "the server exports it read-only; nwvol needs to write to it".into(),
            ));
        }
        if info.size < SECTOR as u64 {
            s.shutdown();
            return Err(fail(format!("the export holds only {} bytes", info.size)));
        }
        let client = Client::start(s, opts.timeout).map_err(io_fail)?;
        Ok(NbdDevice {
            name,
            info,
            client,
            writable: opts.write,
            rmw: Mutex::new(()),
        })
    }

    /// What the server said about the export.
    pub fn info(&self) -> ExportInfo {
        self.info
    }

    /// The most requests that were in flight at once on the connection.
    pub fn max_in_flight(&self) -> usize {
        self.client.max_in_flight()
    }

    fn error(&self, op: &'static str, offset: u64, f: Failure) -> DeviceError {
        let source = match f {
            Failure::Errno(e) => io::Error::other(format!("the server replied {}", errno_name(e))),
            // Not BrokenPipe: the CLI takes that for a closed stdout.
            Failure::Lost(c) => io::Error::new(io::ErrorKind::ConnectionAborted, c),
        };
        DeviceError::Io {
            device: self.name.clone(),
            op,
            offset,
            source,
        }
    }

    fn check(&self, op: &'static str, offset: u64, len: u64) -> DeviceResult<()> {
        if offset.checked_add(len).is_none_or(|e| e > self.info.size) {
            return Err(DeviceError::OutOfRange {
                device: self.name.clone(),
                op,
                offset,
                len,
                size: self.info.size,
            });
        }
        if op != "read" && !self.writable {
            return Err(DeviceError::Unusable {
                device: self.name.clone(),
                reason: format!("opened read-only; refusing to {op} at byte {offset}"),
            });
        }
        Ok(())
    }

    fn aligned(&self, offset: u64, len: u64) -> bool {
        let m = self.info.min_block as u64;
        offset.is_multiple_of(m) && len.is_multiple_of(m)
    }

    fn request_bytes(&self, cmd: u16) -> u64 {
        let cap = if cmd == CMD_READ {
            READ_REQUEST_BYTES
        } else {
            REQUEST_BYTES
        };
        cap.min(self.info.max_block) as u64
    }

    /// Reads an aligned range, pipelined in requests of at most the
    /// request size.
    fn read_aligned(&self, buf: &mut [u8], offset: u64) -> DeviceResult<()> {
        let step = self.request_bytes(CMD_READ);
        let reqs: Vec<Request> = (0..buf.len() as u64)
            .step_by(step as usize)
            .map(|at| Request {
                cmd: CMD_READ,
                flags: 0,
                offset: offset + at,
                len: (buf.len() as u64 - at).min(step) as u32,
                payload: Vec::new(),
            })
            .collect();
        self.client
            .execute(reqs, |i, data| {
                let at = i * step as usize;
                buf[at..at + data.len()].copy_from_slice(data);
            })
            .map_err(|f| self.error("read", offset, f))
    }

    /// Writes an aligned run, pipelined in requests of at most the request
    /// size.
    fn write_aligned(&self, bufs: &[IoSlice<'_>], offset: u64, len: u64) -> DeviceResult<()> {
        // Without FLUSH, each write is made durable by itself.
        let flags = if !self.info.has(TFLAG_SEND_FLUSH) && self.info.has(TFLAG_SEND_FUA) {
            CMD_FLAG_FUA
        } else {
            0
        };
        let step = self.request_bytes(CMD_WRITE);
        let mut reqs = Vec::new();
        let mut at = 0u64;
        while at < len {
            let n = (len - at).min(step);
            reqs.push(Request {
                cmd: CMD_WRITE,
                flags,
                offset: offset + at,
                len: n as u32,
                payload: super::slice_range(bufs, at, n),
            });
            at += n;
        }
        self.client
            .execute(reqs, |_, _| {})
            .map_err(|f| self.error("write", offset, f))
    }

    /// The aligned range around `offset..offset + len`.
    fn widen(&self, offset: u64, len: u64) -> (u64, u64) {
        let m = self.info.min_block as u64;
        let start = offset / m * m;
        let end = (offset + len).div_ceil(m) * m;
        (start, end.min(self.info.size))
    }
}

impl Device for NbdDevice {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> DeviceKind {
        DeviceKind::Nbd
    }

    fn size(&self) -> u64 {
        self.info.size
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> DeviceResult<()> {
        self.check("read", offset, buf.len() as u64)?;
        if buf.is_empty() {
            return Ok(());
        }
        if self.aligned(offset, buf.len() as u64) {
            return self.read_aligned(buf, offset);
        }
        let (s, e) = self.widen(offset, buf.len() as u64);
        let mut tmp = vec![0u8; (e - s) as usize];
        self.read_aligned(&mut tmp, s)?;
        let at = (offset - s) as usize;
        buf.copy_from_slice(&tmp[at..at + buf.len()]);
        Ok(())
    }

    fn write_vectored_at(&self, bufs: &[IoSlice<'_>], offset: u64) -> DeviceResult<()> {
        let len: u64 = bufs.iter().map(|b| b.len() as u64).sum();
        self.check("write", offset, len)?;
        if len == 0 {
            return Ok(());
        }
        if self.aligned(offset, len) {
            return self.write_aligned(bufs, offset, len);
        }
        // A partial block: read it, patch it, write it whole.
        let _g = self.rmw.lock().recover();
        let (s, e) = self.widen(offset, len);
        let mut tmp = vec![0u8; (e - s) as usize];
        self.read_aligned(&mut tmp, s)?;
        let mut at = (offset - s) as usize;
        for b in bufs {
            tmp[at..at + b.len()].copy_from_slice(b);
            at += b.len();
        }
        self.write_aligned(&[IoSlice::new(&tmp)], s, e - s)
    }

    fn sync(&self) -> DeviceResult<()> {
        if !self.writable || !self.info.has(TFLAG_SEND_FLUSH) {
            // Without FLUSH every write went with FUA (or the server
            // offers no way to ask for durability at all).
            return Ok(());
        }
        let req = Request {
            cmd: CMD_FLUSH,
            flags: 0,
            offset: 0,
            len: 0,
            payload: Vec::new(),
        };
        self.client
            .execute(vec![req], |_, _| {})
            .map_err(|f| self.error("sync", 0, f))
    }

    fn zero_range(&self, offset: u64, len: u64) -> DeviceResult<()> {
        self.check("zero", offset, len)?;
        if !self.info.has(TFLAG_SEND_WRITE_ZEROES) || !self.aligned(offset, len) {
            return zero_by_writing(self, offset, len);
        }
        let m = self.info.min_block as u64;
        let step = (self.info.max_block as u64).max(ZERO_REQUEST_BYTES) / m * m;
        let mut reqs = Vec::new();
        let mut at = 0u64;
        while at < len {
            let n = (len - at).min(step).min(u32::MAX as u64 / m * m);
            reqs.push(Request {
                cmd: CMD_WRITE_ZEROES,
                flags: 0,
                offset: offset + at,
                len: n as u32,
                payload: Vec::new(),
            });
            at += n;
        }
        match self.client.execute(reqs, |_, _| {}) {
            // A server may refuse large zeroing requests: write the zeros.
            Err(Failure::Errno(_)) => zero_by_writing(self, offset, len),
            r => r.map_err(|f| self.error("zero", offset, f)),
        }
    }
}

/// Zeros written as data, in requests of the request size, pipelined.
fn zero_by_writing(d: &NbdDevice, offset: u64, len: u64) -> DeviceResult<()> {
    const CHUNK: u64 = 32 << 20;
    let zeros = vec![0u8; CHUNK.min(len) as usize];
    let mut done = 0u64;
    while done < len {
        let n = (len - done).min(CHUNK);
        d.write_vectored_at(&[IoSlice::new(&zeros[..n as usize])], offset + done)?;
        done += n;
    }
    Ok(())
}
