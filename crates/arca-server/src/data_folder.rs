//! What the server creates in its data folder is for its own eyes: object bytes, metadata
//! and the root credentials. Files are created 0600 and folders 0700 whatever umask the
//! server was started with (a service manager's or a shell's 022 would make them
//! world-readable), including files that dependencies create (the metadata database).

/// Makes every file and folder the process creates from now on private to its user.
pub(crate) fn restrict_new_files() {
    // SAFETY: umask only swaps the process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}
