//! Layer 8: the `nwvol` command line. The only layer that prints, picks
//! exit codes and uses anyhow.

mod cat;
mod devices;
mod df;
mod format;
mod get;
mod hints;
mod hotfix;
mod inspect;
mod ls;
mod mirror;
mod mkdir;
mod mount;
mod mv;
mod nwpath;
mod output;
mod purge;
mod put;
mod read_ahead;
mod rm;
mod salvage;
mod session;
mod split;
mod stat;
mod transfer;
mod verify;
mod volume;

use clap::{Args, Parser, Subcommand};

pub use output::Output;
pub use session::Session;

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: the command failed.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code: the command line was wrong.
pub const EXIT_USAGE: i32 = 2;

/// The exit codes of a subcommand (`None`: of `nwvol` as a whole), for the
/// EXIT STATUS section of the manual pages.
// Read only by tests/docs_fresh.rs, which renders the manual pages.
#[allow(dead_code)]
pub fn exit_status(command: Option<&str>) -> &'static [(i32, &'static str)] {
    const COMMON: &[(i32, &str)] = &[
        (EXIT_OK, "success"),
        (
            EXIT_FAILURE,
            "failure; one line on standard error, `nwvol: <what>: <why>`, names the device, volume or path and the cause",
        ),
        (
            EXIT_USAGE,
            "usage error (an unknown option, a missing or malformed argument)",
        ),
    ];
    const SOME_PATHS: &[(i32, &str)] = &[
        (EXIT_OK, "success: every path was done"),
        (
            EXIT_FAILURE,
            "failure, or some of several paths failed: each failure has its own line on standard error and the other paths were done",
        ),
        (
            EXIT_USAGE,
            "usage error (an unknown option, a missing or malformed argument)",
        ),
    ];
    const INSPECT: &[(i32, &str)] = &[
        (
            EXIT_OK,
            "success; warnings about damaged copies that another copy covers may be printed",
        ),
        (
            EXIT_FAILURE,
            "failure: no NetWare partition could be read, or a volume could not be assembled (it is shown as failed)",
        ),
        (
            EXIT_USAGE,
            "usage error (an unknown option, a missing or malformed argument)",
        ),
    ];
    const VERIFY: &[(i32, &str)] = &[
        (verify::EXIT_CLEAN, "nothing wrong was found"),
        (
            verify::EXIT_CORRECTED,
            "errors were found and all of them corrected (--repair)",
        ),
        (
            EXIT_USAGE,
            "usage error (an unknown option, a missing or malformed argument)",
        ),
        (
            verify::EXIT_UNCORRECTED,
            "errors were left uncorrected: without --repair, where repair cannot tell the good copy, or a device given could not serve and was left out",
        ),
        (
            verify::EXIT_OPERATIONAL,
            "operational error: no device given could serve (missing, unreadable or not a NetWare disk), or one was given twice",
        ),
    ];
    const TOP: &[(i32, &str)] = &[
        (EXIT_OK, "success"),
        (
            EXIT_FAILURE,
            "failure; one line on standard error, `nwvol: <what>: <why>`, names the device, volume or path and the cause",
        ),
        (
            EXIT_USAGE,
            "usage error (an unknown option, a missing or malformed argument)",
        ),
        (
            verify::EXIT_UNCORRECTED,
            "nwvol verify only, which exits as fsck does (0, 1, 4, 8): see nwvol-verify(1)",
        ),
    ];
    match command {
        None => TOP,
        Some("verify") => VERIFY,
        Some("inspect") => INSPECT,
        Some("ls" | "cat" | "get" | "put" | "mkdir" | "rm" | "mv" | "df") => SOME_PATHS,
        _ => COMMON,
    }
}

/// Which manual pages list an environment variable.
// Read only by tests/docs_fresh.rs, which renders the manual pages.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvScope {
    /// Commands that take -d (and nwvol(1)).
    Devices,
    /// Commands that print tables (and nwvol(1)).
    Tables,
    /// nwvol(1) only.
    Top,
}

/// Every environment variable the binary reads, for the ENVIRONMENT
/// section of the manual pages: name, scope, meaning. The docs test checks
/// that every variable the source reads is here.
// Read only by tests/docs_fresh.rs, which renders the manual pages.
#[allow(dead_code)]
pub fn environment() -> &'static [(&'static str, EnvScope, &'static str)] {
    &[
        (
            "NWVOL_DEVICES",
            EnvScope::Devices,
            "The devices when no -d is given. When the value holds a newline, each line is one path \
(so paths may contain spaces and commas; empty lines are skipped); otherwise paths are separated by \
spaces, tabs or commas. Example: NWVOL_DEVICES=\"$(printf '%s\\n' 'my disk 0.img' 'my disk 1.img')\".",
        ),
        (
            "LC_ALL, LC_CTYPE, LANG",
            EnvScope::Tables,
            "The first one set decides how tables are drawn: with line-drawing characters when it names \
UTF-8 (e.g. en_US.UTF-8, C.UTF-8), else with plain ASCII (+, -, |).",
        ),
        (
            "COLUMNS",
            EnvScope::Tables,
            "The width tables are fitted to (long cells wrap); without it, the terminal's width when \
standard output is one, else no limit.",
        ),
        (
            "NWVOL_TEST_KILL_AFTER_WRITES",
            EnvScope::Top,
            "Read only by builds with the `testing` feature (the test suite's crash hook: the process \
kills itself after that many device writes); a release build ignores it.",
        ),
        (
            "NWVOL_TEST_PROGRESS_AFTER_MS",
            EnvScope::Top,
            "Read only by builds with the `testing` feature (put and get show their progress bar after \
that many milliseconds instead of a second); a release build ignores it.",
        ),
    ]
}

/// nwvol: format, inspect, remirror and verify NetWare-style volumes.
#[derive(Debug, Parser)]
#[command(
    name = "nwvol",
    version,
    about = "Format, inspect, remirror and verify NetWare 386 style volumes on block devices and image files",
    long_about = None,
    after_help = "Devices are named on each call with -d (repeatable) or in NWVOL_DEVICES: one path per line when \
the value holds a newline (so paths may contain spaces or commas), else separated by spaces or commas. \
nwvol assembles mirror groups and volumes from what is on them.\n\n\
-q silences progress bars, notices of what was done, summaries and warnings; what a command was asked to \
show (listings, tables, file contents, --json output) and errors are printed either way.\n\n\
Example:\n  nwvol format --size 1G --mirror disk0.img disk1.img\n  nwvol inspect -d disk0.img -d disk1.img"
)]
pub struct Cli {
    /// Quiet: no progress bars, notices of what was done, summaries or
    /// warnings. Answers (listings, tables, file contents, --json output)
    /// and errors are printed either way.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Size of nwvol's block cache, shared by every mirror group (e.g. 64M,
    /// 1G). Sizes: K, M, G, T (or KiB, MiB...) are binary (1G = 2^30
    /// bytes); KB, MB, GB, TB are decimal (1GB = 10^9 bytes).
    #[arg(long, global = true, value_name = "SIZE", default_value = "128M", value_parser = parse_cache_size)]
    pub cache_size: u64,
    /// When a device is busy (another nwvol writes it, or reads it while
    /// this one wants to write), wait up to this many seconds for it
    /// instead of failing at once.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 0)]
    pub wait: u64,
    /// Longest wait for an NBD server (connect, handshake, each reply)
    /// before its member is taken as failed: more than 0, at most 86400.
    #[arg(long, global = true, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    pub nbd_timeout: std::time::Duration,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Devices to assemble, for every command but format.
#[derive(Debug, Args, Clone)]
pub struct DeviceArgs {
    /// A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT,
    /// nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES
    /// (one per line when it holds a newline, else separated by spaces or
    /// commas).
    #[arg(short = 'd', long = "device", value_name = "DEVICE")]
    pub devices: Vec<std::path::PathBuf>,
    /// Use O_DIRECT for image files too, where their file system takes
    /// 512-byte direct I/O (raw block devices with 512-byte sectors use it
    /// always: nwvol keeps its own cache).
    #[arg(long)]
    pub direct: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create NetWare partitions, a mirror group and empty volumes.
    #[command(
        after_help = "Sizes: K, M, G, T, P, E and KiB, MiB, GiB... are binary (1G = 1GiB = 2^30 bytes); \
KB, MB, GB, TB... are decimal (1GB = 10^9 bytes), as disk makers count.\n\n\
Examples:\n  nwvol format --size 1G --mirror disk0.img disk1.img\n  \
nwvol format --size 4G --volume SYS:1G --volume DATA disk0.img\n  \
nwvol format --block-size 16K /dev/sdb /dev/sdc        # SYS spans both disks"
    )]
    Format(format::FormatArgs),
    /// Show partitions, mirror groups, members and volumes.
    #[command(
        after_help = "Examples:\n  nwvol inspect -d disk0.img -d disk1.img\n  \
NWVOL_DEVICES='disk0.img disk1.img' nwvol inspect --json | jq .volumes"
    )]
    Inspect(inspect::InspectArgs),
    /// List directories: attributes, size, modification time, name.
    #[command(
        after_help = "Attributes: Ro/Rw (read-only), S shareable, A archive, H hidden, Y system, \
T transactional, P purge, N rename inhibit, D delete inhibit, C copy inhibit.\n\n\
Examples:\n  nwvol ls -d disk0.img -d disk1.img SYS:/\n  \
nwvol ls -R SYS:/PUBLIC\n  \
nwvol ls --deleted SYS:/DATA                     # what nwvol salvage can restore\n  \
nwvol ls --json SYS:/ | jq '.entries[].name'"
    )]
    Ls(ls::LsArgs),
    /// Show every field of a file's or directory's entry.
    #[command(
        after_help = "Examples:\n  nwvol stat -d disk0.img SYS:/PUBLIC/LOGIN.EXE\n  \
nwvol stat --json 'SYS:/My Report 2024.pdf'"
    )]
    Stat(stat::StatArgs),
    /// Copy local files, trees or standard input onto a volume.
    #[command(
        after_help = "An existing file of the same name is replaced (like cp). Modification times are \
kept (to 2 seconds, as DOS stores them). A file over 4 GiB - 1 is refused before anything is \
written. In a tree, a file that fails is reported and the rest is copied; the exit code is 1. \
A destination ending in / (or \\) must be an existing directory, as with cp. Paths may be \
written as NetWare does, SYS:\\DIR\\FILE or SYS:DIR/FILE.\n\n\
New names must be ones NetWare can hold: none of * ? < > | \" : \\ or control characters, \
not blank, not only dots, not ending in a dot or a space, at most 255 bytes.\n\n\
Examples:\n  nwvol put -d disk0.img report.pdf SYS:/DATA/\n  \
nwvol put -r ./src SYS:/SRC\n  \
tar c dir | nwvol put - SYS:/BACKUP/A.TAR"
    )]
    Put(put::PutArgs),
    /// Copy files or trees from a volume to local files or standard output.
    #[command(
        after_help = "Modification times are kept. In a tree, a file that fails is reported and the \
rest is copied; the exit code is 1.\n\n\
Examples:\n  nwvol get -d disk0.img SYS:/DATA/REPORT.PDF .\n  \
nwvol get -r SYS:/SRC ./src-copy\n  \
nwvol get SYS:/BACKUP/A.TAR - | tar x"
    )]
    Get(get::GetArgs),
    /// Print files to standard output.
    #[command(
        after_help = "Examples:\n  nwvol cat -d disk0.img SYS:/AUTOEXEC.NCF\n  \
nwvol cat SYS:/BACKUP/A.TAR | tar x"
    )]
    Cat(cat::CatArgs),
    /// Make directories.
    #[command(
        after_help = "Examples:\n  nwvol mkdir -d disk0.img SYS:/DATA\n  nwvol mkdir -p SYS:/HOME/ALICE/MAIL"
    )]
    Mkdir(mkdir::MkdirArgs),
    /// Delete files (salvageable until purged) and directories.
    #[command(
        after_help = "Deleted files keep their space until nwvol purge, or until the volume runs out \
of space (then the oldest are purged first); nwvol salvage restores them. --purge frees \
the space at once. Removing a directory removes everything in it at once (files in it \
are purged).\n\n\
Examples:\n  nwvol rm -d disk0.img SYS:/DATA/OLD.TXT\n  \
nwvol rm -r SYS:/TMP\n  nwvol rm --purge SYS:/DATA/HUGE.ISO"
    )]
    Rm(rm::RmArgs),
    /// Rename or move files and directories within a volume.
    #[command(
        after_help = "A file of the new name is replaced (and stays salvageable).\n\n\
Examples:\n  nwvol mv -d disk0.img SYS:/DATA/A.TXT SYS:/DATA/B.TXT\n  \
nwvol mv SYS:/DATA/A.TXT SYS:/DATA/B.TXT SYS:/ARCHIVE"
    )]
    Mv(mv::MvArgs),
    /// Show size, used and free space, files and directories per volume.
    #[command(
        after_help = "Examples:\n  nwvol df -d disk0.img -d disk1.img\n  nwvol df --json SYS | jq .volumes[0].free_bytes"
    )]
    Df(df::DfArgs),
    /// List deleted files, or restore one.
    #[command(
        after_help = "Examples:\n  nwvol salvage -d disk0.img SYS:/DATA              # list\n  \
nwvol salvage SYS:/DATA/OLD.TXT                   # restore\n  \
nwvol salvage --json SYS:/ | jq '.entries[].path'"
    )]
    Salvage(salvage::SalvageArgs),
    /// Free the space of deleted files for good.
    #[command(
        after_help = "Examples:\n  nwvol purge -d disk0.img SYS:\n  nwvol purge SYS:/DATA/OLD.TXT"
    )]
    Purge(purge::PurgeArgs),
    /// Create, extend, rename and list volumes.
    #[command(
        after_help = "Refused on plain NetWare partitions (nwvol only reads them).\n\n\
Examples:\n  nwvol volume list -d disk0.img -d disk1.img\n  \
nwvol volume create -d disk0.img VOL1:2G\n  \
nwvol volume extend -d disk0.img -d disk2.img SYS disk2.img\n  \
nwvol volume rename -d disk0.img VOL1 DATA"
    )]
    Volume(volume::VolumeArgs),
    /// Show the sectors each member's hot-fix table redirects.
    #[command(
        after_help = "Examples:\n  nwvol hotfix list -d disk0.img -d disk1.img\n  \
nwvol hotfix list --json | jq '.members[] | {device, pool_slots_used}'"
    )]
    Hotfix(hotfix::HotfixArgs),
    /// Manage mirror groups: show members and progress, add a member and
    /// copy to it, resume a remirror, remove or split off a member.
    #[command(
        after_help = "Examples:\n  nwvol mirror status -d disk0.img -d disk1.img\n  \
nwvol mirror add -d disk0.img -d disk1.img disk2.img\n  \
nwvol mirror resume -d disk0.img -d disk1.img -d disk2.img"
    )]
    Mirror(mirror::MirrorArgs),
    /// Compare mirror members and check the volume structures; repair
    /// from a good copy with --repair.
    #[command(
        after_help = "Checks every logical block of every in-sync member against the others and \
against the per-block checksums, then the volume structures (header and table copies, FAT \
chains, directory tree, free space). --repair rewrites bad copies from a good one (the copy \
whose checksum matches, or the majority of 3 or more members) and never guesses: what it \
cannot decide is reported and left as it is.\n\n\
Exit codes (as fsck): 0 nothing wrong, 1 errors found and all corrected, 4 errors left \
uncorrected (also when a device given could not serve and was left out), 8 operational error \
(no device given could serve, or one was given twice), 2 usage error.\n\n\
Examples:\n  nwvol verify -d disk0.img -d disk1.img\n  \
nwvol verify --repair -d disk0.img -d disk1.img\n  \
nwvol verify --dry-run --json | jq 'select(.type == \"finding\")'"
    )]
    Verify(verify::VerifyArgs),
    /// Mount a volume as a Linux file system (FUSE) for every program.
    #[command(
        after_help = "Without -f, nwvol mount returns once the volume is mounted and a server goes on in the background (its messages go to syslog, or --log FILE) until nwvol umount. While mounted, the devices are held as a writer holds them: other nwvol commands get \"device busy\" (or wait with --wait), except inspect, mirror status and hotfix list. Changes are committed every few seconds (-o commit=SECONDS) and at fsync, which returns once the file is durable on every in-sync member. How POSIX calls meet NetWare (names, 4 GiB files, attributes, deletion) is in nwvol-mount(1) and docs/MOUNT.md.\n\n\
Examples:\n  nwvol mount -d disk0.img -d disk1.img SYS: /mnt/sys\n  \
nwvol mount -o ro,uid=1000 -d /dev/sdb SYS /mnt/old\n  \
nwvol umount /mnt/sys"
    )]
    Mount(mount::MountArgs),
    /// Unmount a volume mounted with nwvol mount, once everything is written back.
    #[command(
        after_help = "Runs fusermount3 -u, then waits until the server has written everything back, synced every in-sync member and ended.\n\nExample:\n  nwvol umount /mnt/sys"
    )]
    Umount(mount::UmountArgs),
}

/// Parses `--cache-size`: a size of at least 1 MiB.
fn parse_cache_size(s: &str) -> Result<u64, String> {
    let v = nwvol::units::parse_size(s)?;
    if v < nwvol::cache::config::MIN_CACHE_BYTES {
        return Err(format!("{s}: the cache needs at least 1M"));
    }
    Ok(v)
}

/// Longest `--nbd-timeout`: a day.
const MAX_NBD_TIMEOUT_SECS: f64 = 86400.0;

/// Parses `--nbd-timeout`: seconds, more than 0 and at most a day.
fn parse_seconds(s: &str) -> Result<std::time::Duration, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= MAX_NBD_TIMEOUT_SECS => Ok(std::time::Duration::from_secs_f64(v)),
        _ => Err(format!(
            "{s}: want a number of seconds more than 0 and at most 86400 (a day), e.g. 30 or 0.5"
        )),
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    let out = Output::new(cli.quiet);
    let session = Session::new(nwvol::Settings {
        cache_bytes: cli.cache_size,
        lock_wait: std::time::Duration::from_secs(cli.wait),
        nbd_timeout: cli.nbd_timeout,
    });
    let r = match cli.command {
        Command::Format(a) => format::run(a, &out, &session),
        Command::Inspect(a) => inspect::run(a, &out, &session),
        Command::Ls(a) => ls::run(a, &out, &session),
        Command::Stat(a) => stat::run(a, &out, &session),
        Command::Put(a) => put::run(a, &out, &session),
        Command::Get(a) => get::run(a, &out, &session),
        Command::Cat(a) => cat::run(a, &out, &session),
        Command::Mkdir(a) => mkdir::run(a, &out, &session),
        Command::Rm(a) => rm::run(a, &out, &session),
        Command::Mv(a) => mv::run(a, &out, &session),
        Command::Df(a) => df::run(a, &out, &session),
        Command::Salvage(a) => salvage::run(a, &out, &session),
        Command::Purge(a) => purge::run(a, &out, &session),
        Command::Hotfix(a) => hotfix::run(a, &out, &session),
        Command::Volume(a) => volume::run(a, &out, &session),
        Command::Mirror(a) => mirror::run(a, &out, &session),
        Command::Verify(a) => verify::run(a, &out, &session),
        Command::Mount(a) => mount::run(a, &out, &session),
        Command::Umount(a) => mount::umount(a, &out),
    };
    // Even when quiet: the mirror runs degraded until the user acts.
    for w in session.bad_copy_warnings() {
        eprintln!("nwvol: warning: {w}");
    }
    for f in session.member_failures() {
        eprintln!(
            "nwvol: warning: {f}; the other members hold the data: once the device is fixed, \
run nwvol mirror resume"
        );
    }
    match r {
        Ok(code) => code,
        Err(e) => {
            if output::is_broken_pipe(&e) {
                return EXIT_OK;
            }
            eprintln!("nwvol: {}", output::one_line(&e));
            EXIT_FAILURE
        }
    }
}
