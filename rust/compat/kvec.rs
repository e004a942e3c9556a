// SPDX-License-Identifier: GPL-2.0

//! `Vec::remove` and `Vec::truncate` of newer kernel crates, for lines without them.

/// The error of [`VecExt::remove`]: the index is out of bounds.
#[derive(Debug)]
pub(crate) struct RemoveError;

/// `Vec::remove` and `Vec::truncate` of newer kernel crates.
pub(crate) trait VecExt<T> {
    /// Removes and returns the element at `i`, shifting the later ones down.
    fn remove(&mut self, i: usize) -> Result<T, RemoveError>;
    /// Drops the elements from `len` on, if any.
    fn truncate(&mut self, len: usize);
}

impl<T, A: kernel::alloc::Allocator> VecExt<T> for kernel::alloc::Vec<T, A> {
    fn remove(&mut self, i: usize) -> Result<T, RemoveError> {
        let len = self.len();
        if i >= len {
            return Err(RemoveError);
        }
        // SAFETY: `i < len`: the element is initialised and read out once, the later ones are
        // moved down over it (an overlapping copy within the buffer), and the length shrinks
        // by the one element no longer owned.
        unsafe {
            let p = self.as_mut_ptr().add(i);
            let v = p.read();
            core::ptr::copy(p.add(1), p, len - i - 1);
            self.set_len(len - 1);
            Ok(v)
        }
    }

    fn truncate(&mut self, len: usize) {
        let old = self.len();
        if len >= old {
            return;
        }
        // SAFETY: The elements `len..old` are initialised; the length shrinks first, so each
        // is dropped exactly once, here.
        unsafe {
            self.set_len(len);
            core::ptr::drop_in_place(core::ptr::slice_from_raw_parts_mut(
                self.as_mut_ptr().add(len),
                old - len,
            ));
        }
    }
}
