//! `nwvol mount` and `nwvol umount`: a volume served through FUSE. Without
//! -f the command starts a copy of itself in the background (its own
//! session, logging to syslog or --log) and returns once that copy has
//! the mount up, relaying its warnings and errors; `umount` unmounts and
//! waits until the server has written everything back and let go of the
//! devices.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;

use nwvol::mount::{Log, MountOptions, Owner};
use nwvol::volume::{OpenMode, OpenVolume};

use super::Session;
use super::nwpath::{open_system, parse};
use super::{DeviceArgs, EXIT_OK, Output};

/// What the background server prints on its standard output once the
/// mount is up.
const READY: &str = "nwvol-mount-ready";

/// Options of `nwvol mount`.
#[derive(Debug, Args)]
pub struct MountArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// Stay in the foreground, logging to standard error, until unmounted
    /// (or SIGINT / SIGTERM, which unmount).
    #[arg(short, long)]
    pub foreground: bool,
    /// Mount options, comma-separated: ro (read-only), rw, uid=N and gid=N
    /// (the owner every entry shows; default: the mounting user),
    /// umask=OCTAL (mode bits taken from 0777; default 022; the read-only
    /// attribute takes the write bits too), allow_other (other users may enter; needs user_allow_other in
    /// /etc/fuse.conf unless root), commit=SECONDS (longest wait of a
    /// change for its commit; default 5).
    #[arg(short = 'o', value_name = "OPTIONS")]
    pub options: Vec<String>,
    /// The background server's log file (appended to); default: syslog.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Set in the background server by `nwvol mount` itself.
    #[arg(long, hide = true)]
    pub server: bool,
    /// The volume: NAME or NAME:.
    #[arg(value_name = "VOLUME")]
    pub volume: String,
    /// An existing empty directory.
    #[arg(value_name = "MOUNTPOINT")]
    pub mountpoint: PathBuf,
}

/// Options of `nwvol umount`.
#[derive(Debug, Args)]
pub struct UmountArgs {
    /// Longest wait, in seconds, for the server to write everything back
    /// and end.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub timeout: u64,
    /// The mount point.
    #[arg(value_name = "MOUNTPOINT")]
    pub mountpoint: PathBuf,
}

/// Parsed `-o` options.
#[derive(Debug, Default, PartialEq, Eq)]
struct Opts {
    read_only: bool,
    uid: Option<u32>,
    gid: Option<u32>,
    allow_other: bool,
    commit_secs: Option<u64>,
    umask: Option<u16>,
}

fn parse_opts(given: &[String]) -> Result<Opts> {
    let mut o = Opts::default();
    for item in given
        .iter()
        .flat_map(|s| s.split(','))
        .filter(|s| !s.is_empty())
    {
        let (k, v) = match item.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (item, None),
        };
        let num = |v: Option<&str>| -> Result<u64> {
            v.and_then(|v| v.parse().ok())
                .with_context(|| format!("-o {item}: want {k}=NUMBER"))
        };
        match k {
            "ro" => o.read_only = true,
            "rw" => o.read_only = false,
            "uid" => o.uid = Some(num(v)? as u32),
            "gid" => o.gid = Some(num(v)? as u32),
            "allow_other" => o.allow_other = true,
            "umask" => match v.and_then(|v| u16::from_str_radix(v, 8).ok()) {
                Some(m) if m <= 0o777 => o.umask = Some(m),
                _ => bail!("-o {item}: umask wants octal bits, e.g. umask=022"),
            },
            "commit" => match num(v)? {
                s @ 1..=3600 => o.commit_secs = Some(s),
                _ => bail!("-o {item}: commit wants 1 to 3600 seconds"),
            },
            _ => bail!(
                "-o {item}: unknown mount option (known: ro, rw, uid=N, gid=N, umask=OCTAL, allow_other, commit=SECONDS)"
            ),
        }
    }
    Ok(o)
}

/// Runs `nwvol mount`.
pub fn run(a: MountArgs, out: &Output, session: &Session) -> Result<i32> {
    let opts = parse_opts(&a.options)?;
    let vol = volume_name(&a.volume)?;
    let md = std::fs::metadata(&a.mountpoint)
        .with_context(|| format!("{}: no such mount point", a.mountpoint.display()))?;
    if !md.is_dir() {
        bail!("{}: not a directory", a.mountpoint.display());
    }
    if !a.foreground && !a.server {
        return start_server(out);
    }
    let log: Log = match (a.server, &a.log) {
        (true, Some(p)) => file_log(p)?,
        (true, None) => syslog(),
        (false, _) => Arc::new(|m: &str| eprintln!("nwvol: {m}")),
    };
    let sys = open_system(&a.dev, session, !opts.read_only)?;
    let mode = if opts.read_only {
        OpenMode::ReadOnly
    } else {
        OpenMode::Write
    };
    let v = OpenVolume::from_assembly(&sys, &vol, mode)?;
    let mountpoint = a
        .mountpoint
        .canonicalize()
        .with_context(|| a.mountpoint.display().to_string())?;
    // The first member names the mount (df, mount), as a disk does; umount
    // waits on its lock.
    let source = super::devices::device_paths(&a.dev.devices)?
        .first()
        .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| vol.clone());
    // SAFETY: getuid and getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let mo = MountOptions {
        read_only: opts.read_only,
        owner: Owner {
            uid: opts.uid.unwrap_or(uid),
            gid: opts.gid.unwrap_or(gid),
            umask: opts.umask.unwrap_or(0o022),
        },
        commit_every: Duration::from_secs(opts.commit_secs.unwrap_or(5)),
        source,
        allow_other: opts.allow_other,
    };
    let mut server = nwvol::mount::mount(v, sys.groups.clone(), &mountpoint, &mo, log.clone())?;
    stop_on_signals(server.unmounter());
    if a.server {
        // Up: tell the starting command, and let go of its pipes (the
        // log is where messages go from now on).
        println!("{READY}");
        let _ = std::io::stdout().flush();
        detach_stdio(a.log.as_deref());
    } else if !out.quiet {
        eprintln!(
            "nwvol: {vol}: mounted on {}; nwvol umount {} ends it",
            mountpoint.display(),
            mountpoint.display()
        );
    }
    server.run()?;
    log(&format!("{vol}: unmounted from {}", mountpoint.display()));
    Ok(EXIT_OK)
}

/// The volume's name from VOLUME or VOLUME: (or VOLUME:/).
fn volume_name(arg: &str) -> Result<String> {
    let p = if arg.contains(':') {
        parse(arg)?
    } else {
        parse(&format!("{arg}:"))?
    };
    if !p.components.is_empty() {
        bail!("{arg}: mount takes a volume (e.g. SYS:), not a path in it");
    }
    Ok(p.volume)
}

/// Starts this command again as the background server and waits until it
/// says the mount is up (exit 0) or fails (its error, exit 1).
fn start_server(out: &Output) -> Result<i32> {
    let exe =
        std::env::current_exe().context("cannot find the nwvol binary to start the server")?;
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    args.push("--server".into());
    let mut cmd = Command::new(exe);
    cmd.args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setsid is async-signal-safe; the server gets a session of
    // its own, so the terminal's signals do not reach it.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd.spawn().context("cannot start the mount server")?;
    let stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let errs = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut ready = false;
    for line in BufReader::new(stdout).lines() {
        match line {
            Ok(l) if l == READY => {
                ready = true;
                break;
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    // The server closes its standard error once up (or exits).
    let said = errs.join().unwrap_or_default();
    for l in said.lines().filter(|l| !l.is_empty()) {
        if !out.quiet || !l.contains("warning") {
            eprintln!("{l}");
        }
    }
    if ready {
        return Ok(EXIT_OK);
    }
    let status = child.wait().context("waiting for the mount server")?;
    Ok(status.code().unwrap_or(super::EXIT_FAILURE).max(1))
}

/// Points standard output at /dev/null and standard error at the log file
/// (or /dev/null: syslog gets the messages).
fn detach_stdio(log: Option<&Path>) {
    let null = std::fs::OpenOptions::new().write(true).open("/dev/null");
    let err = match log {
        Some(p) => std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(p),
        None => std::fs::OpenOptions::new().write(true).open("/dev/null"),
    };
    use std::os::fd::AsRawFd;
    // SAFETY: dup2 onto the standard descriptors of this process; the
    // files stay open through the duplicates.
    unsafe {
        if let Ok(n) = &null {
            libc::dup2(n.as_raw_fd(), 1);
        }
        if let Ok(e) = &err {
            libc::dup2(e.as_raw_fd(), 2);
        }
    }
}

/// Messages appended to a file, one line each with the time.
fn file_log(p: &Path) -> Result<Log> {
    let f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(p)
        .with_context(|| format!("{}: cannot open the log", p.display()))?;
    let f = std::sync::Mutex::new(f);
    let pid = std::process::id();
    Ok(Arc::new(move |m: &str| {
        let t = nwvol::layout::time::DosTime::now();
        if let Ok(mut f) = f.lock() {
            let _ = writeln!(f, "{t} nwvol[{pid}]: {m}");
        }
    }))
}

/// Messages to syslog (daemon facility), as a background server's are.
fn syslog() -> Log {
    static IDENT: &std::ffi::CStr = c"nwvol";
    // SAFETY: IDENT is static, as openlog needs.
    unsafe { libc::openlog(IDENT.as_ptr(), libc::LOG_PID, libc::LOG_DAEMON) };
    Arc::new(|m: &str| {
        let level = if m.starts_with("error") {
            libc::LOG_ERR
        } else if m.starts_with("warning") {
            libc::LOG_WARNING
        } else {
            libc::LOG_INFO
        };
        if let Ok(c) = std::ffi::CString::new(m.replace('\0', " ")) {
            // SAFETY: a "%s" format with one C string argument.
            unsafe { libc::syslog(level, c"%s".as_ptr(), c.as_ptr()) };
        }
    })
}

/// Unmounts on SIGINT, SIGTERM and SIGHUP, so that the server writes
/// everything back and ends instead of leaving a dead mount.
fn stop_on_signals(mut unmount: Box<dyn FnMut() + Send>) {
    static PIPE: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);
    extern "C" fn on_signal(_: libc::c_int) {
        let fd = PIPE.load(std::sync::atomic::Ordering::Relaxed);
        // SAFETY: write is async-signal-safe; one byte to our own pipe.
        unsafe { libc::write(fd, [1u8].as_ptr().cast(), 1) };
    }
    let mut fds = [0; 2];
    // SAFETY: pipe fills the two descriptors.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return;
    }
    PIPE.store(fds[1], std::sync::atomic::Ordering::Relaxed);
    for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only writes to a pipe.
        unsafe { libc::signal(s, on_signal as *const () as libc::sighandler_t) };
    }
    std::thread::spawn(move || {
        let mut b = [0u8; 1];
        // SAFETY: reading our own pipe into a local buffer.
        if unsafe { libc::read(fds[0], b.as_mut_ptr().cast(), 1) } == 1 {
            unmount();
        }
    });
}

/// Runs `nwvol umount`.
pub fn umount(a: UmountArgs, out: &Output) -> Result<i32> {
    let mp = a
        .mountpoint
        .canonicalize()
        .with_context(|| format!("{}: no such mount point", a.mountpoint.display()))?;
    let Some(source) = nwvol_mount_source(&mp)? else {
        bail!("{}: not an nwvol mount", mp.display());
    };
    let o = Command::new("fusermount3")
        .arg("-u")
        .arg(&mp)
        .output()
        .context("cannot run fusermount3 (install fuse3)")?;
    if !o.status.success() {
        let why = String::from_utf8_lossy(&o.stderr);
        let why = why.trim().rsplit(": ").next().unwrap_or("").to_string();
        if why.to_lowercase().contains("busy") {
            bail!(
                "{}: busy: a program still uses it (fuser -vm {} shows which)",
                mp.display(),
                mp.display()
            );
        }
        bail!("{}: cannot unmount: {why}", mp.display());
    }
    // The server writes everything back, syncs and ends: it holds the first
    // member's lock until then.
    let p = Path::new(&source);
    if p.exists() {
        wait_unlocked(p, Duration::from_secs(a.timeout))
            .with_context(|| format!("{}: unmounted, but the server", mp.display()))?;
    }
    if !out.quiet {
        eprintln!(
            "nwvol: {}: unmounted; everything is written back",
            mp.display()
        );
    }
    Ok(EXIT_OK)
}

/// The source (first member) of the nwvol mount at `mp`.
fn nwvol_mount_source(mp: &Path) -> Result<Option<String>> {
    let found = nwvol::device::mounted::mount_at(mp).context("/proc/self/mountinfo")?;
    // Mounted by root, the type is plain "fuse" (the mount call has no
    // room for the subtype); through fusermount3, "fuse.nwvol".
    Ok(found
        .filter(|(t, _)| t == "fuse" || t == "fuse.nwvol")
        .map(|(_, src)| src))
}

/// Waits until no process holds a lock on `p` (the server has ended).
fn wait_unlocked(p: &Path, timeout: Duration) -> Result<()> {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(p).with_context(|| p.display().to_string())?;
    let start = std::time::Instant::now();
    loop {
        // SAFETY: flock on a descriptor this function owns.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(());
        }
        if start.elapsed() >= timeout {
            bail!(
                "is still writing back after {} s (it goes on; nwvol commands wait with --wait)",
                timeout.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
