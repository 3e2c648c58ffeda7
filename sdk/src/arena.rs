//! The guest's global allocator: a bump arena that resets whenever no
//! allocation is live. Compiled only for wasm targets.
//!
//! Why: a component call allocates a few dozen short-lived blocks (the
//! arguments the host lowers, the decoded state, the effects, the encoded
//! state) and frees all of them before the host's post-return completes.
//! Profiling the built-in game types under wasmtime showed wasi-libc's
//! dlmalloc/dlfree taking about a third of the guest's time. Here an
//! allocation is a pointer bump, a free is a counter decrement, and when the
//! live count returns to zero (normally at the end of every call) the whole
//! arena is reused.
//!
//! Safety of reuse: memory is only recycled when *no* allocation is live, so
//! no live object is ever overwritten. A plugin that keeps allocations
//! across calls (a lazily filled `static`) simply stops the arena from
//! resetting; memory then grows until the host recycles the instance (its
//! `recycle_memory_bytes` limit), which costs speed, never correctness.
//!
//! Opt out with `default-features = false` on `veltrix-sdk` to use the
//! toolchain's allocator (for example to install your own).
#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;

const PAGE: usize = 65_536;

/// Bump arena over wasm linear memory grown on demand.
pub struct CallArena {
    base: Cell<usize>,
    top: Cell<usize>,
    end: Cell<usize>,
    live: Cell<usize>,
}

// SAFETY: wasm32-wasip2 components are single-threaded; nothing else can
// observe these cells concurrently.
unsafe impl Sync for CallArena {}

impl CallArena {
    /// An empty arena; memory is taken from `memory.grow` on first use.
    pub const fn new() -> Self {
        Self {
            base: Cell::new(0),
            top: Cell::new(0),
            end: Cell::new(0),
            live: Cell::new(0),
        }
    }

    /// Makes room for `size` bytes aligned to `align` at the top; false when
    /// linear memory cannot grow.
    fn reserve(&self, size: usize, align: usize) -> Option<usize> {
        let start = self.top.get().checked_add(align - 1)? & !(align - 1);
        let stop = start.checked_add(size)?;
        if stop <= self.end.get() && self.end.get() != 0 {
            return Some(start);
        }
        let pages = (size + align).div_ceil(PAGE).max(16);
        let old = core::arch::wasm32::memory_grow(0, pages);
        if old == usize::MAX {
            return None;
        }
        let region = old * PAGE;
        if region != self.end.get() || self.end.get() == 0 {
            // First region, or someone else (C code in the toolchain) grew
            // memory in between: start a fresh arena there. Live blocks in
            // the old region stay valid; the region is never reused, so
            // the memory between the two regions is never handed out.
            self.base.set(region);
            self.top.set(region);
        }
        self.end.set(region + pages * PAGE);
        let start = (self.top.get() + align - 1) & !(align - 1);
        Some(start)
    }
}

impl Default for CallArena {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: blocks never overlap (the top only moves up while any block is
// live, and resets only when none is), are aligned as requested, and lie in
// memory obtained from `memory.grow`.
unsafe impl GlobalAlloc for CallArena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.reserve(layout.size(), layout.align()) {
            Some(start) => {
                self.top.set(start + layout.size());
                self.live.set(self.live.get() + 1);
                start as *mut u8
            }
            None => core::ptr::null_mut(),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let live = self.live.get().saturating_sub(1);
        self.live.set(live);
        if live == 0 {
            self.top.set(self.base.get());
        } else if ptr as usize + layout.size() == self.top.get() {
            // Freeing the newest block: give its bytes back at once.
            self.top.set(ptr as usize);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old_end = ptr as usize + layout.size();
        // The newest block grows or shrinks in place when it fits.
        if old_end == self.top.get()
            && let Some(stop) = (ptr as usize).checked_add(new_size)
            && stop <= self.end.get()
        {
            self.top.set(stop);
            return ptr;
        }
        // SAFETY: the caller guarantees `layout` describes `ptr`; the new
        // layout keeps its alignment.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let new = self.alloc(new_layout);
            if !new.is_null() {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}
