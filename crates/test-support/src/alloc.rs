//! A counting global allocator, the proof behind "zero allocations" claims.
//!
//! [`CountingAllocator`] forwards every call to [`System`] and counts each allocation,
//! zeroed allocation and reallocation twice: in a counter of the calling thread and in one
//! of the whole process. A test binary that measures allocations installs it itself (only
//! one global allocator per binary), then counts a piece of work with
//! [`count_on_this_thread`] (not disturbed by tests running in parallel) or
//! [`count_in_process`] (also sees allocations made on other threads).
//!
//! ```standalone_crate
//! use test_support::alloc::{CountingAllocator, count_on_this_thread};
//!
//! #[global_allocator]
//! static A: CountingAllocator = CountingAllocator::new();
//!
//! fn main() {
//!     let allocations = count_on_this_thread(|| drop(std::hint::black_box(vec![1u8; 10])));
//!     assert!(allocations >= 1);
//! }
//! ```
//!
//! (Without the `#[global_allocator]` line both counters stay at zero.)

// `GlobalAlloc` is an unsafe trait; the implementation only forwards to `System` and bumps
// two counters, so this module is the one place of the crate allowed unsafe code.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// A global allocator that forwards to [`System`] and counts allocations (see the
/// [module docs](self)).
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAllocator;

impl CountingAllocator {
    /// The allocator, for a `#[global_allocator]` static.
    pub const fn new() -> Self {
        Self
    }
}

thread_local! {
    static THREAD_ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

static PROCESS_ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

fn count() {
    PROCESS_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    // `try_with`: the thread-local may already be gone while a thread shuts down.
    let _ = THREAD_ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

/// Allocations made so far by the calling thread.
pub fn thread_allocations() -> u64 {
    THREAD_ALLOCATIONS.with(Cell::get)
}

/// Allocations made so far by the whole process.
pub fn process_allocations() -> u64 {
    PROCESS_ALLOCATIONS.load(Ordering::SeqCst)
}

/// Runs `work` and returns how many allocations the calling thread made meanwhile.
pub fn count_on_this_thread(work: impl FnOnce()) -> u64 {
    let before = thread_allocations();
    work();
    thread_allocations() - before
}

/// Runs `work` and returns how many allocations the whole process (every thread) made
/// meanwhile.
pub fn count_in_process(work: impl FnOnce()) -> u64 {
    let before = process_allocations();
    work();
    process_allocations() - before
}

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}
