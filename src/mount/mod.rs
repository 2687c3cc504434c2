//! Layer 9 (beside format and membership): one volume served as a Linux
//! file system through FUSE (`nwvol mount`). The process keeps one cache
//! of logical blocks for the whole mount; writes go through the mirrored
//! writer to every in-sync member, grouped into commits that close every
//! few seconds and at fsync. How POSIX meets NetWare (names, lengths,
//! attributes, deletion) is in docs/MOUNT.md.

mod attr;
pub mod errno;
mod fs;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fuser::{Config, MountOption, SessionACL};

use crate::error::{Error, Result};
use crate::lock::Recover;
use crate::mirror::MirrorGroup;
use crate::volume::OpenVolume;
use crate::volume::commit::CommitLimits;

pub use attr::Owner;
pub use fs::Log;
use fs::{NwFs, Served};

/// How a volume is mounted.
#[derive(Debug, Clone)]
pub struct MountOptions {
    /// Refuse every change (EROFS).
    pub read_only: bool,
    /// The owner every entry shows.
    pub owner: Owner,
    /// A commit closes at the latest this long after its first change.
    pub commit_every: Duration,
    /// Shown as the mount's source (`df`, `mount`): the first member.
    pub source: String,
    /// Let users other than the mounting one in (needs `user_allow_other`
    /// in /etc/fuse.conf for a user other than root).
    pub allow_other: bool,
}

/// A mounted volume, served until it is unmounted.
pub struct Server {
    session: fuser::Session<NwFs>,
    state: Arc<Mutex<Served>>,
    every: Duration,
    log: Log,
}

/// Mounts `v` at `mountpoint`. `groups`: the mirror groups under the
/// volume, whose given-up members are logged. Returns once the kernel has
/// the mount; [`Server::run`] then serves it.
pub fn mount(
    mut v: OpenVolume,
    groups: Vec<Arc<MirrorGroup>>,
    mountpoint: &Path,
    opts: &MountOptions,
    log: Log,
) -> Result<Server> {
    v.set_commit_limits(CommitLimits {
        age: opts.commit_every,
        ..CommitLimits::default()
    });
    let state = Arc::new(Mutex::new(Served {
        v,
        said: Vec::new(),
        extra: Default::default(),
        gens: Default::default(),
    }));
    let watch = Arc::new(move || groups.iter().flat_map(|g| g.failures()).collect());
    let fs = NwFs::new(
        state.clone(),
        opts.owner,
        opts.read_only,
        log.clone(),
        watch,
    );
    let mut config = Config::default();
    config.mount_options = vec![
        MountOption::FSName(opts.source.clone()),
        MountOption::Subtype("nwvol".into()),
        MountOption::DefaultPermissions,
        MountOption::NoDev,
        MountOption::NoSuid,
        MountOption::NoAtime,
        if opts.read_only {
            MountOption::RO
        } else {
            MountOption::RW
        },
    ];
    if opts.allow_other {
        config.acl = SessionACL::All;
    }
    let session = fuser::Session::new(fs, mountpoint, &config).map_err(|e| Error::Mount {
        mountpoint: mountpoint.display().to_string(),
        reason: e.to_string(),
    })?;
    Ok(Server {
        session,
        state,
        every: opts.commit_every,
        log,
    })
}

impl Server {
    /// A call that unmounts (for a signal handler's thread): [`Server::run`]
    /// then writes everything back and returns.
    pub fn unmounter(&mut self) -> Box<dyn FnMut() + Send> {
        let mut u = self.session.unmount_callable();
        Box::new(move || {
            let _ = u.unmount();
        })
    }

    /// Serves the mount until it is unmounted (`nwvol umount`,
    /// `fusermount3 -u`); everything is written back and synced first.
    pub fn run(self) -> Result<()> {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ticker = {
            let (state, stop, log, every) = (
                self.state.clone(),
                stop.clone(),
                self.log.clone(),
                self.every,
            );
            std::thread::spawn(move || tick(&state, &stop, &log, every))
        };
        let r = self.session.run();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        ticker.thread().unpark();
        let _ = ticker.join();
        // Whatever the kernel did not say goodbye with.
        let mut s = self.state.lock().recover();
        s.v.sync()?;
        r.map_err(|e| Error::Mount {
            mountpoint: "the mount".into(),
            reason: e.to_string(),
        })
    }
}

/// Closes the open commit every `every` while the mount is served, so
/// that no change waits longer than that to be on disk.
fn tick(state: &Mutex<Served>, stop: &std::sync::atomic::AtomicBool, log: &Log, every: Duration) {
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        std::thread::park_timeout(every);
        let mut s = state.lock().recover();
        // Synced, not only committed: a commit is durable at its
        // members' next barrier, and a server killed before that would
        // lose it.
        if s.v.uncommitted() > 0
            && let Err(e) = fs::durable(&mut s.v)
        {
            log(&format!("error: commit failed: {e}"));
        }
    }
}
