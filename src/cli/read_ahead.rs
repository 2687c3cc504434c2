//! Source files of `put -r` read ahead on threads. A tree of small files
//! is otherwise one open, read and close after another on the thread that
//! writes the volume, each waiting on the disk when the page cache is
//! cold (the inode first, then the data). Reader threads open and read
//! the next files of a directory while the volume thread writes the
//! current one; what they read is handed over in the directory's order.

use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use nwvol::lock::Recover;

/// Reader threads per directory being copied at most: they mostly wait
/// on the disk, so more than the cores.
const READERS: usize = 4;
/// Directories of fewer entries get no threads (starting them would cost
/// more than they save in a tree of many small directories), only the
/// kernel asked to read their files' starts.
const THREADS_FROM: usize = 32;
/// Files read ahead of the one being written, at most.
const AHEAD_FILES: usize = 128;
/// Bytes read ahead and not yet written, at most (one file may go over).
const AHEAD_BYTES: usize = 16 << 20;
/// Files up to this size are read whole ahead; of a larger one only its
/// start is asked of the kernel (its stream is then carried on by the
/// kernel's own read-ahead).
const WHOLE_BYTES: u64 = 1 << 20;
/// What the kernel is asked to read of the start of a larger file.
const HINT_BYTES: i64 = 128 << 10;

/// Files read ahead and not yet taken, and where the taker is.
struct State {
    slots: Vec<Option<Option<Vec<u8>>>>,
    taken: usize,
    bytes: usize,
}

struct Shared<'a> {
    paths: &'a [PathBuf],
    next: AtomicUsize,
    stop: AtomicBool,
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared<'_> {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().recover()
    }

    fn wait<'g>(&self, g: MutexGuard<'g, State>) -> MutexGuard<'g, State> {
        self.changed.wait(g).recover()
    }

    fn reader(&self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.paths.len() {
                return;
            }
            // Within the window (the file the taker waits for always is).
            let mut g = self.lock();
            while !self.stop.load(Ordering::Relaxed)
                && i > g.taken
                && (i >= g.taken + AHEAD_FILES || g.bytes >= AHEAD_BYTES)
            {
                g = self.wait(g);
            }
            drop(g);
            let data = if self.stop.load(Ordering::Relaxed) {
                None
            } else {
                fetch(&self.paths[i])
            };
            let mut g = self.lock();
            g.bytes += data.as_ref().map_or(0, Vec::len);
            g.slots[i] = Some(data);
            drop(g);
            self.changed.notify_all();
        }
    }

    /// The contents read of file `i`, once its reader is done with it.
    fn take(&self, i: usize) -> Option<Vec<u8>> {
        let mut g = self.lock();
        loop {
            if let Some(data) = g.slots[i].take() {
                g.taken = i + 1;
                g.bytes -= data.as_ref().map_or(0, Vec::len);
                drop(g);
                self.changed.notify_all();
                return data;
            }
            g = self.wait(g);
        }
    }

    fn halt(&self) {
        self.stop.store(true, Ordering::Relaxed);
        let _g = self.lock();
        self.changed.notify_all();
    }
}

/// Stops the readers when the taker leaves, by a return or a panic: the
/// scope then joins them instead of waiting for ever.
struct Halt<'s, 'a>(&'s Shared<'a>);

impl Drop for Halt<'_, '_> {
    fn drop(&mut self) {
        self.0.halt();
    }
}

/// Opens `path` for reading when it is a regular file (following a
/// symbolic link). Regular files only: opening a FIFO would wait for a
/// writer, a tape device would rewind; O_NONBLOCK for one swapped in
/// since.
fn open_regular(path: &Path) -> Option<(std::fs::File, u64)> {
    let m = std::fs::metadata(path).ok()?;
    if !m.is_file() {
        return None;
    }
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    Some((f, m.len()))
}

/// Asks the kernel to start reading the start of `f` into its page cache
/// now, in the background; a hint only.
fn hint(f: &std::fs::File) {
    // SAFETY: the descriptor is open for the call's duration.
    unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, HINT_BYTES, libc::POSIX_FADV_WILLNEED) };
}

/// The whole contents of `path` when it is a regular file of at most
/// [`WHOLE_BYTES`]; `None` otherwise, or on any failure: the copy then
/// opens the file itself and reports what goes wrong. A larger file only
/// gets the kernel asked for its start.
fn fetch(path: &Path) -> Option<Vec<u8>> {
    let (f, len) = open_regular(path)?;
    if len > WHOLE_BYTES {
        hint(&f);
        return None;
    }
    let mut data = Vec::with_capacity(len as usize);
    f.take(WHOLE_BYTES + 1).read_to_end(&mut data).ok()?;
    (data.len() as u64 <= WHOLE_BYTES).then_some(data)
}

/// Calls `each` with every path of `paths` in order, and with the file's
/// contents when a reader thread got them whole (a regular file of up to
/// 1 MiB, in a directory of at least [`THREADS_FROM`] entries). `each`
/// returns false when it wants no more contents (the rest of the paths
/// then come without).
pub fn each_read_ahead(paths: &[PathBuf], mut each: impl FnMut(&Path, Option<Vec<u8>>) -> bool) {
    if paths.len() < THREADS_FROM {
        for p in paths {
            if let Some((f, _)) = open_regular(p) {
                hint(&f);
            }
        }
        for p in paths {
            each(p, None);
        }
        return;
    }
    let sh = Shared {
        paths,
        next: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        state: Mutex::new(State {
            slots: vec![None; paths.len()],
            taken: 0,
            bytes: 0,
        }),
        changed: Condvar::new(),
    };
    std::thread::scope(|s| {
        // A thread per THREADS_FROM entries: starting one costs about as
        // much as copying a small file.
        for _ in 0..READERS.min(paths.len() / THREADS_FROM) {
            s.spawn(|| sh.reader());
        }
        let _halt = Halt(&sh);
        for (i, p) in paths.iter().enumerate() {
            let data = sh.take(i);
            if !each(p, data) {
                sh.halt();
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents(i: usize, len: usize) -> Vec<u8> {
        (0..len).map(|k| (k * 31 + i * 7) as u8).collect()
    }

    /// Every path comes once, in order; small regular files (through a
    /// link too) with their contents, everything else without; a FIFO is
    /// never opened (it would wait for a writer).
    #[test]
    fn paths_come_in_order_with_the_contents_of_small_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut paths = Vec::new();
        let mut want: Vec<Option<Vec<u8>>> = Vec::new();
        for i in 0..300 {
            let len = [0, 1, 4096, 9000][i % 4];
            let p = d.join(format!("f{i:03}"));
            std::fs::write(&p, contents(i, len)).unwrap();
            paths.push(p);
            want.push(Some(contents(i, len)));
        }
        for (name, len, whole) in [
            ("edge", WHOLE_BYTES as usize, true),
            ("big", WHOLE_BYTES as usize + 1, false),
        ] {
            let p = d.join(name);
            std::fs::write(&p, contents(1, len)).unwrap();
            paths.insert(150, p);
            want.insert(150, whole.then(|| contents(1, len)));
        }
        std::fs::create_dir(d.join("sub")).unwrap();
        paths.insert(10, d.join("sub"));
        want.insert(10, None);
        let fifo = d.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        paths.insert(20, fifo);
        want.insert(20, None);
        std::os::unix::fs::symlink(d.join("f000"), d.join("link")).unwrap();
        paths.insert(30, d.join("link"));
        want.insert(30, Some(contents(0, 0)));
        std::os::unix::fs::symlink(d.join("nowhere"), d.join("dangling")).unwrap();
        paths.insert(40, d.join("dangling"));
        want.insert(40, None);

        let mut got = Vec::new();
        each_read_ahead(&paths, |p, data| {
            got.push((p.to_path_buf(), data));
            true
        });
        assert_eq!(got.len(), paths.len());
        for ((p, data), (wp, w)) in got.iter().zip(paths.iter().zip(&want)) {
            assert_eq!(p, wp);
            assert_eq!(data, w, "{p:?}");
        }
    }

    /// A taker that wants no more (a full volume) still gets every path,
    /// and the call returns: the readers stop instead of waiting on it.
    #[test]
    fn a_taker_that_stops_early_is_not_left_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = (0..AHEAD_FILES * 3)
            .map(|i| {
                let p = dir.path().join(format!("f{i}"));
                std::fs::write(&p, contents(i, 100)).unwrap();
                p
            })
            .collect();
        let mut seen = 0;
        let mut with_data_after = 0;
        each_read_ahead(&paths, |_, data| {
            seen += 1;
            if seen > AHEAD_FILES + 10 && data.is_some() {
                with_data_after += 1;
            }
            seen < 5
        });
        assert_eq!(seen, paths.len());
        // At most the window was read past the stop.
        assert_eq!(with_data_after, 0);
    }

    /// A small directory gets no threads: every path in order, none with
    /// contents, and a FIFO among them is not waited on.
    #[test]
    fn a_small_directory_is_only_hinted() {
        let dir = tempfile::tempdir().unwrap();
        let mut paths: Vec<PathBuf> = (0..THREADS_FROM - 2)
            .map(|i| {
                let p = dir.path().join(format!("f{i:02}"));
                std::fs::write(&p, contents(i, 10)).unwrap();
                p
            })
            .collect();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        paths.insert(3, fifo);
        let mut got = Vec::new();
        each_read_ahead(&paths, |p, data| {
            got.push((p.to_path_buf(), data.is_some()));
            true
        });
        let want: Vec<_> = paths.iter().map(|p| (p.clone(), false)).collect();
        assert_eq!(got, want);
    }
}
