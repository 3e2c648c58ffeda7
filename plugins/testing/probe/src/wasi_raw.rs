//! The WASI the probe reaches past std: wasi-libc's `getentropy`, and
//! `subscribe-duration` and `poll` imported by hand (canonical ABI), so that
//! a bare `wasi:io/poll.poll` can be made and handles can be leaked.
//! (wasi-libc's own `poll()` cannot be used here: it frees the result list,
//! which the host allocated through wit-bindgen's `cabi_realloc`, with
//! libc's `free`, while the SDK's arena is the Rust allocator.)
//! Native builds (the rlib) get inert stand-ins.
#![allow(unsafe_code)]

#[cfg(target_family = "wasm")]
mod imp {
    use std::alloc::{Layout, dealloc};

    unsafe extern "C" {
        // wasi-libc: fills from `wasi:random/random`.
        fn getentropy(buf: *mut u8, len: usize) -> i32;
    }

    #[link(wasm_import_module = "wasi:clocks/monotonic-clock@0.2.0")]
    unsafe extern "C" {
        #[link_name = "subscribe-duration"]
        fn subscribe_duration(nanos: i64) -> i32;
    }

    #[link(wasm_import_module = "wasi:io/poll@0.2.0")]
    unsafe extern "C" {
        // list<borrow<pollable>> in, list<u32> out through a return area.
        #[link_name = "poll"]
        fn poll_list(pollables: *const i32, len: usize, ret: *mut [usize; 2]);
        #[link_name = "[resource-drop]pollable"]
        fn drop_pollable(handle: i32);
    }

    /// `wasi:io/poll.poll` on one timer of `ms`: returns how many of the
    /// pollables were ready.
    pub fn poll_sleep(ms: u64) -> usize {
        let mut ret = [0usize; 2];
        // SAFETY: one valid handle in, a two-word return area out; the
        // result list was allocated by `cabi_realloc` (the Rust allocator)
        // with u32 alignment, and is freed the same way.
        unsafe {
            let timer = subscribe_duration(ms.saturating_mul(1_000_000) as i64);
            poll_list(&timer, 1, &mut ret);
            drop_pollable(timer);
            let [ptr, len] = ret;
            if len > 0 {
                dealloc(
                    ptr as *mut u8,
                    Layout::from_size_align_unchecked(len * 4, 4),
                );
            }
            len
        }
    }

    /// Eight bytes from `getentropy`, as a number.
    pub fn entropy_u64() -> u64 {
        let mut b = [0u8; 8];
        // SAFETY: `b` is valid for 8 bytes.
        let rc = unsafe { getentropy(b.as_mut_ptr(), b.len()) };
        assert_eq!(rc, 0, "getentropy failed");
        u64::from_le_bytes(b)
    }

    /// Creates `n` pollables and never drops them.
    pub fn leak_pollables(n: u64) {
        for _ in 0..n {
            // SAFETY: takes a plain integer, returns a handle we ignore.
            std::hint::black_box(unsafe { subscribe_duration(0) });
        }
    }
}

#[cfg(not(target_family = "wasm"))]
mod imp {
    /// Native stand-in: one timer, ready at once.
    pub fn poll_sleep(_ms: u64) -> usize {
        1
    }
    /// Native stand-in: a fixed value.
    pub fn entropy_u64() -> u64 {
        0
    }
    /// Native stand-in: nothing to leak.
    pub fn leak_pollables(_n: u64) {}
}

pub use imp::*;
