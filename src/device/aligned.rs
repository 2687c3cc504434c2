//! Heap buffers with a chosen memory alignment, for O_DIRECT I/O.

use std::alloc::{self, Layout};
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::Arc;

/// Where a buffer lent from a pool goes back when dropped.
pub trait Reclaim: Send + Sync {
    /// Takes back the `len` bytes at `ptr` of a dropped buffer.
    fn give_back(&self, ptr: NonNull<u8>, len: usize);
}

/// A heap buffer whose start is aligned to a power of two: zero-filled
/// when made by [`AlignedBuf::new`]; one lent by a pool holds whatever its
/// last user left in it.
pub struct AlignedBuf {
    ptr: NonNull<u8>,
    len: usize,
    layout: Layout,
    /// Where the memory goes back to: the allocator, or a pool.
    pool: Option<Arc<dyn Reclaim>>,
}

// SAFETY: the buffer owns its memory exclusively, like a `Vec<u8>`.
unsafe impl Send for AlignedBuf {}
// SAFETY: shared access only hands out `&[u8]`.
unsafe impl Sync for AlignedBuf {}

impl AlignedBuf {
    /// Allocates `len` zero bytes aligned to `align` (a power of two).
    ///
    /// Fails with `InvalidInput` when `align` is not a power of two or the
    /// size overflows.
    pub fn new(len: usize, align: usize) -> std::io::Result<AlignedBuf> {
        let layout = Layout::from_size_align(len.max(1), align.max(1)).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("cannot allocate {len} bytes aligned to {align}: {e}"),
            )
        })?;
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { alloc::alloc_zeroed(layout) };
        let Some(ptr) = NonNull::new(raw) else {
            alloc::handle_alloc_error(layout);
        };
        Ok(AlignedBuf {
            ptr,
            len,
            layout,
            pool: None,
        })
    }

    /// A buffer of `len` bytes at `ptr`, a piece of a pool's memory that
    /// nothing else uses, given back to `pool` when dropped.
    ///
    /// # Safety
    /// `ptr..ptr + len` must be initialised memory owned by `pool`, aligned
    /// to `align`, and used by no other buffer until this one is dropped.
    pub(super) unsafe fn from_pool(
        ptr: NonNull<u8>,
        len: usize,
        align: usize,
        pool: Arc<dyn Reclaim>,
    ) -> AlignedBuf {
        let layout = Layout::from_size_align(len.max(1), align).expect("a pool's block layout");
        AlignedBuf {
            ptr,
            len,
            layout,
            pool: Some(pool),
        }
    }

    /// The alignment the buffer was allocated with.
    pub fn align(&self) -> usize {
        self.layout.align()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the buffer holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// True when `ptr` is a multiple of `align` (a power of two).
pub fn is_aligned_ptr(ptr: *const u8, align: usize) -> bool {
    align <= 1 || (ptr as usize).is_multiple_of(align)
}

impl Deref for AlignedBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: ptr points to at least `len` initialised (zeroed) bytes.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl DerefMut for AlignedBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in deref, and we hold the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        match self.pool.take() {
            Some(pool) => pool.give_back(self.ptr, self.len),
            // SAFETY: allocated in `new` with exactly this layout.
            None => unsafe { alloc::dealloc(self.ptr.as_ptr(), self.layout) },
        }
    }
}

impl std::fmt::Debug for AlignedBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlignedBuf")
            .field("len", &self.len)
            .field("align", &self.layout.align())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_and_zeroed() {
        for align in [1usize, 2, 512, 4096, 65536] {
            for len in [0usize, 1, 511, 512, 4096, 100_000] {
                let b = AlignedBuf::new(len, align).expect("alloc");
                assert_eq!(b.len(), len);
                assert_eq!(b.is_empty(), len == 0);
                assert_eq!(b.align(), align);
                assert!(is_aligned_ptr(b.as_ptr(), align));
                assert!(b.iter().all(|&x| x == 0));
            }
        }
    }

    #[test]
    fn writable_and_readable() {
        let mut b = AlignedBuf::new(4096, 4096).expect("alloc");
        b.copy_from_slice(&[7u8; 4096]);
        b[100] = 1;
        assert_eq!(b[99], 7);
        assert_eq!(b[100], 1);
        assert_eq!(b.iter().map(|&x| x as usize).sum::<usize>(), 7 * 4095 + 1);
    }

    #[test]
    fn bad_alignment_is_an_error() {
        assert!(AlignedBuf::new(10, 3).is_err());
        assert!(AlignedBuf::new(10, 1000).is_err());
        assert!(AlignedBuf::new(usize::MAX - 10, 4096).is_err());
    }

    #[test]
    fn send_and_sync_across_threads() {
        let mut b = AlignedBuf::new(512, 512).expect("alloc");
        b[0] = 42;
        let b = std::sync::Arc::new(b);
        let b2 = b.clone();
        let v = std::thread::spawn(move || b2[0]).join().expect("thread");
        assert_eq!(v, 42);
        let owned = std::sync::Arc::try_unwrap(b).expect("sole owner");
        let v = std::thread::spawn(move || owned.len())
            .join()
            .expect("thread");
        assert_eq!(v, 512);
    }

    #[test]
    fn is_aligned_ptr_works() {
        assert!(is_aligned_ptr(4096 as *const u8, 4096));
        assert!(!is_aligned_ptr(4097 as *const u8, 512));
        assert!(is_aligned_ptr(3 as *const u8, 1));
    }
}
