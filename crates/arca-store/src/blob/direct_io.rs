//! The system calls behind the page-cache policy of blob files (see [`super`]): finding out
//! whether a filesystem takes `O_DIRECT`, switching a descriptor to it, opening one for direct
//! reads, turning off readahead, and buffers aligned for direct transfers.
//!
//! Why bother: on the machines we measure on, moving a GiB through the page cache costs ~2.6 s
//! of CPU to write and ~1.8 s to read cold, against ~0.2 s and ~0.1 s with `O_DIRECT` — more
//! than everything else the server does with those bytes, MD5 aside.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::Path;

use bytes::{Buf, Bytes, BytesMut};

pub(super) use super::frame_buffer::DIRECT_ALIGN;
use super::frame_buffer::FrameBuffer;

/// Tries one aligned `O_DIRECT` write in `dir`: some filesystems refuse the flag at open
/// (tmpfs), others only at the first write.
pub(super) fn supported(dir: &Path) -> bool {
    let probe = dir.join(".direct-probe");
    let attempt = || -> std::io::Result<()> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(crate::PRIVATE_FILE_MODE)
            .custom_flags(libc::O_DIRECT)
            .open(&probe)?;
        let mut frame = FrameBuffer::new(1);
        frame.push(b"probe");
        file.write_all_at(frame.seal().0, 0)
    };
    let works = attempt().is_ok();
    let _ = std::fs::remove_file(&probe);
    works
}

/// Switches an open descriptor to `O_DIRECT`: later writes bypass the page cache, earlier
/// ones stay where they are (the final fsync covers both).
pub(super) fn switch_to_direct(file: &File) -> std::io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: F_GETFL only reads the status flags of our own open descriptor.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: F_SETFL only sets the status flags of our own open descriptor.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_DIRECT) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Opens `path` for `O_DIRECT` reads.
pub(super) fn open_for_reading(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().read(true).custom_flags(libc::O_DIRECT).open(path)
}

/// Turns off kernel readahead for this open file (`POSIX_FADV_RANDOM`); a hint, so errors
/// are ignored.
pub(super) fn no_readahead(file: &File) {
    // SAFETY: posix_fadvise only reads its integer arguments; the descriptor is ours.
    unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_RANDOM) };
}

/// A zeroed buffer of `len` bytes whose start is aligned for `O_DIRECT`, handed out as the
/// `Bytes` it will become (slices of it are the pieces a read returns, without copying).
pub(super) struct AlignedBuf {
    mem: Vec<u8>,
    start: usize,
    len: usize,
}

impl AlignedBuf {
    pub(super) fn new(len: usize) -> Self {
        let mem = vec![0u8; len + DIRECT_ALIGN];
        let start = mem.as_ptr().align_offset(DIRECT_ALIGN);
        AlignedBuf { mem, start, len }
    }

    pub(super) fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.mem[self.start..self.start + self.len]
    }

    /// The first `filled` bytes, still the caller's to change (the buffer is handed over, not
    /// copied).
    pub(super) fn into_bytes_mut(self, filled: usize) -> BytesMut {
        let mut bytes = Bytes::from(self.mem)
            .try_into_mut()
            .expect("a buffer just made has no other owner");
        bytes.advance(self.start);
        bytes.truncate(filled.min(self.len));
        bytes
    }
}
