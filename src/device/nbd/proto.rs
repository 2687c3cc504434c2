//! Wire constants of the NBD protocol (NetworkBlockDevice/nbd doc/proto.md).
//! Everything on the wire is big-endian.

/// "NBDMAGIC": the first 8 bytes a server sends.
pub const NBDMAGIC: u64 = 0x4e42_444d_4147_4943;
/// "IHAVEOPT": newstyle negotiation follows (and starts each option).
pub const IHAVEOPT: u64 = 0x4948_4156_454f_5054;
/// Oldstyle negotiation (not supported).
pub const OLDSTYLE_MAGIC: u64 = 0x0000_4202_8186_1253;
/// Starts every option reply.
pub const OPT_REPLY_MAGIC: u64 = 0x0003_e889_0455_65a9;
/// Starts every request.
pub const REQUEST_MAGIC: u32 = 0x2560_9513;
/// Starts every simple reply.
pub const SIMPLE_REPLY_MAGIC: u32 = 0x6744_6698;

/// Handshake flag: the server speaks fixed newstyle.
pub const FLAG_FIXED_NEWSTYLE: u16 = 1 << 0;
/// Handshake flag: the server can leave out the 124 zero bytes.
pub const FLAG_NO_ZEROES: u16 = 1 << 1;
/// Client flag: fixed newstyle.
pub const FLAG_C_FIXED_NEWSTYLE: u32 = 1 << 0;
/// Client flag: leave out the 124 zero bytes.
pub const FLAG_C_NO_ZEROES: u32 = 1 << 1;

/// Option: go to transmission with this export (no error reply possible).
pub const OPT_EXPORT_NAME: u32 = 1;
/// Option: end negotiation.
pub const OPT_ABORT: u32 = 2;
/// Option: go to transmission with this export, with replies.
pub const OPT_GO: u32 = 7;

/// Option reply: done.
pub const REP_ACK: u32 = 1;
/// Option reply: information about the export.
pub const REP_INFO: u32 = 3;
/// Option replies with this bit set are errors.
pub const REP_FLAG_ERROR: u32 = 1 << 31;
/// Option error: the option is unknown to the server.
pub const REP_ERR_UNSUP: u32 = REP_FLAG_ERROR | 1;
/// Option error: forbidden by policy.
pub const REP_ERR_POLICY: u32 = REP_FLAG_ERROR | 2;
/// Option error: the request was invalid.
pub const REP_ERR_INVALID: u32 = REP_FLAG_ERROR | 3;
/// Option error: the server needs TLS first.
pub const REP_ERR_TLS_REQD: u32 = REP_FLAG_ERROR | 5;
/// Option error: no such export.
pub const REP_ERR_UNKNOWN: u32 = REP_FLAG_ERROR | 6;
/// Option error: the server is shutting down.
pub const REP_ERR_SHUTDOWN: u32 = REP_FLAG_ERROR | 7;
/// Option error: the client must honour block sizes (it does: asked).
pub const REP_ERR_BLOCK_SIZE_REQD: u32 = REP_FLAG_ERROR | 8;

/// Info type: export size and transmission flags.
pub const INFO_EXPORT: u16 = 0;
/// Info type: block size constraints.
pub const INFO_BLOCK_SIZE: u16 = 3;

/// Transmission flag: the other flags are valid.
pub const TFLAG_HAS_FLAGS: u16 = 1 << 0;
/// Transmission flag: the export is read-only.
pub const TFLAG_READ_ONLY: u16 = 1 << 1;
/// Transmission flag: FLUSH is understood.
pub const TFLAG_SEND_FLUSH: u16 = 1 << 2;
/// Transmission flag: the FUA command flag is understood.
pub const TFLAG_SEND_FUA: u16 = 1 << 3;
/// Transmission flag: TRIM is understood.
pub const TFLAG_SEND_TRIM: u16 = 1 << 5;
/// Transmission flag: WRITE_ZEROES is understood.
pub const TFLAG_SEND_WRITE_ZEROES: u16 = 1 << 6;

/// Command: read.
pub const CMD_READ: u16 = 0;
/// Command: write.
pub const CMD_WRITE: u16 = 1;
/// Command: disconnect (no reply).
pub const CMD_DISC: u16 = 2;
/// Command: flush everything written to stable storage.
pub const CMD_FLUSH: u16 = 3;
/// Command: the range may be discarded.
pub const CMD_TRIM: u16 = 4;
/// Command: the range reads back as zeros.
pub const CMD_WRITE_ZEROES: u16 = 6;

/// Command flag: force unit access (durable before the reply).
pub const CMD_FLAG_FUA: u16 = 1 << 0;

/// A name for an errno an NBD server replies with.
pub fn errno_name(e: u32) -> &'static str {
    match e {
        1 => "EPERM (operation not permitted)",
        5 => "EIO (I/O error)",
        12 => "ENOMEM (out of memory)",
        22 => "EINVAL (invalid request)",
        28 => "ENOSPC (no space left)",
        75 => "EOVERFLOW (request too large)",
        95 => "ENOTSUP (not supported)",
        108 => "ESHUTDOWN (server shutting down)",
        _ => "unknown error",
    }
}

/// A description of an option error reply.
pub fn rep_err_name(t: u32) -> String {
    match t {
        REP_ERR_UNSUP => "option not supported".into(),
        REP_ERR_POLICY => "refused by the server's policy".into(),
        REP_ERR_INVALID => "invalid request".into(),
        REP_ERR_TLS_REQD => {
            "the server requires TLS, which nwvol does not speak (use a tunnel: docs/NBD.md)".into()
        }
        REP_ERR_UNKNOWN => "the server does not know this export".into(),
        REP_ERR_SHUTDOWN => "the server is shutting down".into(),
        REP_ERR_BLOCK_SIZE_REQD => "the server requires block size negotiation".into(),
        t => format!("error reply {t:#x}"),
    }
}
