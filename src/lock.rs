//! Lock poisoning, handled one way for the whole library: the guard is
//! recovered. A lock is poisoned when a thread panicked while holding it;
//! nwvol's locks guard state that stays consistent between statements
//! (counters, queues, tables replaced whole), and a worker's panic is
//! already reported where the worker is joined, so every other thread
//! goes on instead of panicking in turn.

use std::sync::{LockResult, PoisonError};

/// The value of a lock operation (a guard, or a guard and a timeout flag),
/// whether or not the lock was poisoned.
pub trait Recover<T> {
    /// The value, poisoned or not.
    fn recover(self) -> T;
}

impl<T> Recover<T> for LockResult<T> {
    fn recover(self) -> T {
        self.unwrap_or_else(PoisonError::into_inner)
    }
}
