//! The fixed newstyle handshake: greeting, client flags, then NBD_OPT_GO
//! (asking for the block size constraints), or NBD_OPT_EXPORT_NAME where
//! the server does not know GO.

use std::io::{self, Read, Write};
use std::time::Duration;

use super::conn::Stream;
use super::proto::*;

/// Largest option reply accepted (the spec caps strings at 4 KiB).
const MAX_OPT_REPLY: u32 = 64 << 10;
/// The largest request the spec lets a client assume without a stated
/// maximum, and nwvol's cap on a request's payload.
pub const DEFAULT_MAX_BLOCK: u32 = 32 << 20;

/// What the server told about the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportInfo {
    /// Size in bytes.
    pub size: u64,
    /// Transmission flags (`TFLAG_*`).
    pub flags: u16,
    /// Minimum block size: offsets and lengths are multiples of it.
    pub min_block: u32,
    /// Preferred block size.
    pub preferred_block: u32,
    /// Largest request payload (capped at [`DEFAULT_MAX_BLOCK`]).
    pub max_block: u32,
    /// True when the server answered NBD_OPT_GO (false: EXPORT_NAME).
    pub used_go: bool,
}

impl ExportInfo {
    /// True when the transmission flag is set.
    pub fn has(&self, flag: u16) -> bool {
        self.flags & TFLAG_HAS_FLAGS != 0 && self.flags & flag != 0
    }
}

/// Turns an I/O error of the handshake into its cause in words.
fn io_cause(e: io::Error, timeout: Duration) -> String {
    match e.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::BrokenPipe => {
            "the server closed the connection during the handshake".into()
        }
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => format!(
            "no answer from the server within {} s during the handshake (--nbd-timeout; \
             a server that takes one client at a time waits while another is connected)",
            timeout.as_secs_f64()
        ),
        _ => format!("handshake failed: {e}"),
    }
}

struct Wire<'a> {
    s: &'a mut Stream,
    timeout: Duration,
}

impl Wire<'_> {
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), String> {
        self.s
            .read_exact(buf)
            .map_err(|e| io_cause(e, self.timeout))
    }
    fn u16(&mut self) -> Result<u16, String> {
        let mut b = [0u8; 2];
        self.read_exact(&mut b)?;
        Ok(u16::from_be_bytes(b))
    }
    fn u32(&mut self) -> Result<u32, String> {
        let mut b = [0u8; 4];
        self.read_exact(&mut b)?;
        Ok(u32::from_be_bytes(b))
    }
    fn u64(&mut self) -> Result<u64, String> {
        let mut b = [0u8; 8];
        self.read_exact(&mut b)?;
        Ok(u64::from_be_bytes(b))
    }
    fn send(&mut self, b: &[u8]) -> Result<(), String> {
        self.s.write_all(b).map_err(|e| io_cause(e, self.timeout))
    }
    fn option(&mut self, opt: u32, data: &[u8]) -> Result<(), String> {
        let mut m = Vec::with_capacity(16 + data.len());
        m.extend_from_slice(&IHAVEOPT.to_be_bytes());
        m.extend_from_slice(&opt.to_be_bytes());
        m.extend_from_slice(&(data.len() as u32).to_be_bytes());
        m.extend_from_slice(data);
        self.send(&m)
    }
}

/// Negotiates `export` on a freshly connected stream; every read is
/// bounded by `timeout` (set on the stream by the caller). The error is the
/// cause in words.
pub fn negotiate(s: &mut Stream, export: &str, timeout: Duration) -> Result<ExportInfo, String> {
    let mut w = Wire { s, timeout };
    if w.u64()? != NBDMAGIC {
        return Err("not an NBD server (garbage instead of the NBDMAGIC greeting)".into());
    }
    match w.u64()? {
        IHAVEOPT => {}
        OLDSTYLE_MAGIC => {
            return Err(
                "the server speaks only the oldstyle handshake; nwvol needs newstyle".into(),
            );
        }
        m => return Err(format!("garbage in the server's greeting ({m:#018x})")),
    }
    let hflags = w.u16()?;
    if hflags & FLAG_FIXED_NEWSTYLE == 0 {
        return Err("the server does not speak fixed newstyle negotiation".into());
    }
    let no_zeroes = hflags & FLAG_NO_ZEROES != 0;
    let cflags = FLAG_C_FIXED_NEWSTYLE | if no_zeroes { FLAG_C_NO_ZEROES } else { 0 };
    w.send(&cflags.to_be_bytes())?;
    if export.len() > 4096 {
        return Err("export name longer than 4096 bytes".into());
    }
    match go(&mut w, export)? {
        Some(info) => Ok(info),
        None => export_name(&mut w, export, no_zeroes),
    }
}

/// NBD_OPT_GO; None when the server does not know the option.
fn go(w: &mut Wire<'_>, export: &str) -> Result<Option<ExportInfo>, String> {
    let mut d = Vec::new();
    d.extend_from_slice(&(export.len() as u32).to_be_bytes());
    d.extend_from_slice(export.as_bytes());
    d.extend_from_slice(&1u16.to_be_bytes());
    d.extend_from_slice(&INFO_BLOCK_SIZE.to_be_bytes());
    w.option(OPT_GO, &d)?;
    let mut export_info: Option<(u64, u16)> = None;
    let mut blocks: Option<(u32, u32, u32)> = None;
    loop {
        if w.u64()? != OPT_REPLY_MAGIC {
            return Err("garbage instead of an option reply".into());
        }
        let opt = w.u32()?;
        let typ = w.u32()?;
        let len = w.u32()?;
        if opt != OPT_GO {
            return Err(format!("the server answered option {opt} to NBD_OPT_GO"));
        }
        if len > MAX_OPT_REPLY {
            return Err(format!("option reply of {len} bytes (garbage?)"));
        }
        let mut data = vec![0u8; len as usize];
        w.read_exact(&mut data)?;
        match typ {
            REP_ACK => break,
            REP_INFO => {
                if data.len() < 2 {
                    return Err("short NBD_REP_INFO reply".into());
                }
                let it = u16::from_be_bytes([data[0], data[1]]);
                let be32 = |i: usize| u32::from_be_bytes(data[i..i + 4].try_into().unwrap());
                match it {
                    INFO_EXPORT if data.len() == 12 => {
                        let size = u64::from_be_bytes(data[2..10].try_into().unwrap());
                        let fl = u16::from_be_bytes([data[10], data[11]]);
                        export_info = Some((size, fl));
                    }
                    INFO_BLOCK_SIZE if data.len() == 14 => {
                        blocks = Some((be32(2), be32(6), be32(10)));
                    }
                    INFO_EXPORT | INFO_BLOCK_SIZE => {
                        return Err(format!("NBD_REP_INFO {it} of the wrong length {len}"));
                    }
                    // Names and descriptions: not needed.
                    _ => {}
                }
            }
            REP_ERR_UNSUP => return Ok(None),
            t if t & REP_FLAG_ERROR != 0 => {
                let msg = String::from_utf8_lossy(&data).trim().to_string();
                let mut cause = rep_err_name(t);
                if !msg.is_empty() {
                    cause.push_str(&format!(" ({msg})"));
                }
                return Err(cause);
            }
            t => return Err(format!("unexpected option reply type {t:#x}")),
        }
    }
    let (size, flags) =
        export_info.ok_or("the server acknowledged NBD_OPT_GO without the export's size")?;
    let (min, pref, max) = blocks.unwrap_or((1, 4096, DEFAULT_MAX_BLOCK));
    check_blocks(min, pref, max)?;
    Ok(Some(ExportInfo {
        size,
        flags,
        min_block: min,
        preferred_block: pref,
        max_block: max.min(DEFAULT_MAX_BLOCK) / min * min,
        used_go: true,
    }))
}

/// The spec's rules for NBD_INFO_BLOCK_SIZE.
fn check_blocks(min: u32, pref: u32, max: u32) -> Result<(), String> {
    // The preferred size is only advice; nwvol does not use it.
    let _ = pref;
    let ok = min.is_power_of_two()
        && min <= 65536
        && max >= min
        && (max == u32::MAX || max.is_multiple_of(min));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the server stated impossible block sizes (minimum {min}, preferred {pref}, maximum {max})"
        ))
    }
}

/// NBD_OPT_EXPORT_NAME: the old way into transmission. A server that does
/// not know the export can only close the connection.
fn export_name(w: &mut Wire<'_>, export: &str, no_zeroes: bool) -> Result<ExportInfo, String> {
    w.option(OPT_EXPORT_NAME, export.as_bytes())?;
    let closed = |e: String| {
        if e.contains("closed") {
            "the server closed the connection after NBD_OPT_EXPORT_NAME: it does not know the export or refused it"
                .to_string()
        } else {
            e
        }
    };
    let size = w.u64().map_err(closed)?;
    let flags = w.u16().map_err(closed)?;
    if !no_zeroes {
        let mut z = [0u8; 124];
        w.read_exact(&mut z)?;
    }
    Ok(ExportInfo {
        size,
        flags,
        min_block: 1,
        preferred_block: 4096,
        max_block: DEFAULT_MAX_BLOCK,
        used_go: false,
    })
}

/// Ends negotiation politely after a failed handshake (best effort).
pub fn abort(s: &mut Stream) {
    let mut m = Vec::with_capacity(16);
    m.extend_from_slice(&IHAVEOPT.to_be_bytes());
    m.extend_from_slice(&OPT_ABORT.to_be_bytes());
    m.extend_from_slice(&0u32.to_be_bytes());
    let _ = s.write_all(&m);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_size_rules() {
        assert!(check_blocks(1, 4096, 32 << 20).is_ok());
        assert!(check_blocks(512, 4096, u32::MAX).is_ok());
        assert!(check_blocks(4096, 4096, 1 << 20).is_ok());
        assert!(check_blocks(3, 4096, 1 << 20).is_err());
        assert!(check_blocks(4096, 4096, 1000).is_err());
        assert!(check_blocks(1 << 17, 1 << 17, 1 << 20).is_err());
        assert!(check_blocks(512, 4096, 1000).is_err());
    }
}
