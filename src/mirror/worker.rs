//! One I/O worker thread per mirror member, started at the member's first
//! write and living as long as the member (the group, in practice the
//! process): a flush hands each worker its part and waits for all of
//! them, instead of starting threads for every flush.
//!
//! The parts borrow the caller's buffers (cache blocks), as a scoped
//! thread would: [`run_all`] returns only once every part has ended or
//! been dropped, so nothing borrowed outlives the call.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Mutex, MutexGuard};
use std::thread::JoinHandle;

use crate::lock::Recover;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Worker threads started since the process began, over every member.
static STARTED: AtomicU64 = AtomicU64::new(0);

/// How many member I/O worker threads this process has started: one per
/// member written, however many flushes there were.
pub fn workers_started() -> u64 {
    STARTED.load(Ordering::SeqCst)
}

/// A member's I/O thread and the queue it takes its work from.
#[derive(Debug, Default)]
pub struct Worker {
    inner: Mutex<Option<(Sender<Job>, JoinHandle<()>)>>,
    /// Threads this worker started (0 or 1 while it lives).
    started: AtomicU64,
}

impl Worker {
    /// Queues `job`; starts the thread on first use. Gives the job back
    /// when the thread cannot take it (it could not be started, or it is
    /// gone), for the caller to run itself.
    fn submit(&self, job: Job, name: &str) -> std::result::Result<(), Job> {
        let mut guard: MutexGuard<'_, _> = self.inner.lock().recover();
        if guard.is_none() {
            let (tx, rx) = mpsc::channel::<Job>();
            let spawned = std::thread::Builder::new()
                .name(format!("nwvol-io {name}"))
                .spawn(move || {
                    while let Ok(job) = rx.recv() {
                        // A panic ends the job (its waiter sees no result),
                        // not the worker.
                        let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
                    }
                });
            match spawned {
                Ok(h) => {
                    STARTED.fetch_add(1, Ordering::SeqCst);
                    self.started.fetch_add(1, Ordering::SeqCst);
                    *guard = Some((tx, h));
                }
                Err(_) => return Err(job),
            }
        }
        let (tx, _) = guard.as_ref().expect("started above");
        tx.send(job).map_err(|e| e.0)
    }
}

impl Worker {
    /// Threads this worker has started.
    pub fn threads_started(&self) -> u64 {
        self.started.load(Ordering::SeqCst)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some((tx, h)) = self.inner.get_mut().recover().take() {
            drop(tx);
            let _ = h.join();
        }
    }
}

/// A part of a flush for one worker.
pub(crate) type Part<'a, T> = Box<dyn FnOnce() -> T + Send + 'a>;

/// Runs every part on its worker (`name` for the thread), all at once, and
/// returns their results in order once all have ended; `None` for a part
/// that panicked.
pub(crate) fn run_all<'a, T: Send + 'a>(
    parts: Vec<(&Worker, &str, Part<'a, T>)>,
) -> Vec<Option<T>> {
    let mut waits = Vec::with_capacity(parts.len());
    for (worker, name, part) in parts {
        let (tx, rx) = mpsc::sync_channel::<T>(1);
        let job: Box<dyn FnOnce() + Send + 'a> = Box::new(move || {
            let _ = tx.send(part());
        });
        // SAFETY: the job borrows data that lives for 'a. It is either run
        // below on this thread or sent to a worker, and this function does
        // not return before `rx` reports that it ended: a result was sent,
        // or the job (with `tx`) was dropped, run or not. After that it
        // touches nothing borrowed.
        let job: Job = unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + 'a>, Job>(job) };
        if let Err(job) = worker.submit(job, name) {
            let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
        }
        waits.push(rx);
    }
    waits.into_iter().map(|rx| rx.recv().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_run_on_long_lived_workers() {
        let a = Worker::default();
        let b = Worker::default();
        let before = workers_started();
        let data = [1u64, 2, 3];
        for _ in 0..10 {
            let d = &data;
            let r = run_all::<u64>(vec![
                (&a, "a", Box::new(move || d.iter().sum())),
                (&b, "b", Box::new(move || d[0])),
            ]);
            assert_eq!(r, vec![Some(6), Some(1)]);
        }
        // Other tests may start workers at the same time: at least these
        // two, and not one per round.
        assert!(workers_started() - before >= 2);
        let r = run_all::<u64>(vec![(&a, "a", Box::new(|| panic!("part fails")))]);
        assert_eq!(r, vec![None]);
        let r = run_all::<u64>(vec![(&a, "a", Box::new(|| 7))]);
        assert_eq!(r, vec![Some(7)], "the worker survives a panic");
    }
}
