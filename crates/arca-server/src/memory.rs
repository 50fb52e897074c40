//! Giving memory back after a burst.
//!
//! glibc's allocator keeps freed memory in its per-thread arenas, so after a load spike the
//! server's RSS would stay at its peak. A periodic `malloc_trim(0)` returns free pages to the
//! kernel; it costs a few microseconds when there is little to return.

use std::time::Duration;

pub(crate) fn spawn_trimmer() -> tokio::task::JoinHandle<()> {
    tokio::spawn(async {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            trim();
        }
    })
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> i32;
    }
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}
