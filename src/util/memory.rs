//! Giving memory back: after a large piece of work (the secret scan of a whole history, the
//! line counts of 100,000 commits) glibc keeps freed memory in its arenas; trimming returns it,
//! so an idle triage screen is small again.

/// Returns free heap memory to the system (glibc only; a no-op elsewhere).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn give_back() {
    // SAFETY: malloc_trim only releases free memory held by the allocator; any thread may call
    // it at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn give_back() {}
