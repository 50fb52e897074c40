//! FrameBuffer: object bytes staged in memory as they will lie on disk.
//!
//! A blob file is a run of [`FRAME_SIZE`] frames, each [`FRAME_DATA`] bytes of object data
//! followed by their CRC32C. The buffer builds those frames in place, in memory aligned to
//! [`DIRECT_ALIGN`], so that the writer can hand whole frames to an `O_DIRECT` write: the
//! kernel then moves them to the device without copying them through the page cache (on the
//! machines we measured, that copy cost more CPU than everything else on the upload path).

use super::crc32c;

/// Bytes of one frame on disk. A power of two, so full frames always start and end on
/// sector and page boundaries.
pub const FRAME_SIZE: usize = 64 * 1024;
/// Object bytes per frame: the rest of the frame is their CRC32C (4 bytes, little endian).
pub const FRAME_DATA: usize = FRAME_SIZE - 4;
/// Alignment `O_DIRECT` asks of buffers, lengths and file offsets: the logical block size,
/// which is 512 or 4096 bytes on every device we expect.
pub(super) const DIRECT_ALIGN: usize = 4096;

pub(crate) struct FrameBuffer {
    /// `capacity + DIRECT_ALIGN` bytes; the frames live at `mem[start..]`, which is aligned.
    mem: Vec<u8>,
    start: usize,
    capacity: usize,
    /// Bytes held after `start`: complete frames, then the data of the frame being filled.
    len: usize,
}

impl FrameBuffer {
    /// A buffer for `frames` whole frames.
    pub(super) fn new(frames: usize) -> Self {
        let capacity = frames * FRAME_SIZE;
        let mem = vec![0u8; capacity + DIRECT_ALIGN];
        let start = mem.as_ptr().align_offset(DIRECT_ALIGN);
        FrameBuffer {
            mem,
            start,
            capacity,
            len: 0,
        }
    }

    /// Takes as many bytes of `data` as fit, closing each frame (appending its CRC) as it
    /// fills. Returns how many bytes it took; fewer than `data.len()` only when full.
    pub(super) fn push(&mut self, mut data: &[u8]) -> usize {
        let mut taken = 0;
        while !data.is_empty() && !self.is_full() {
            let in_frame = self.len % FRAME_SIZE;
            let n = (FRAME_DATA - in_frame).min(data.len());
            let at = self.start + self.len;
            self.mem[at..at + n].copy_from_slice(&data[..n]);
            self.len += n;
            taken += n;
            data = &data[n..];
            if in_frame + n == FRAME_DATA {
                self.close_frame(FRAME_DATA);
            }
        }
        taken
    }

    pub(super) fn is_full(&self) -> bool {
        self.len == self.capacity
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The complete frames held: aligned, and a whole number of frames long.
    pub(super) fn frames(&self) -> &[u8] {
        debug_assert_eq!(self.len % FRAME_SIZE, 0);
        &self.mem[self.start..self.start + self.len]
    }

    /// Closes the last, short frame and returns `(bytes to write, bytes that belong in the
    /// file)`. The first is zero-padded to [`DIRECT_ALIGN`]; the writer truncates the file to
    /// the second afterwards.
    pub(super) fn seal(&mut self) -> (&[u8], usize) {
        let in_frame = self.len % FRAME_SIZE;
        if in_frame > 0 {
            self.close_frame(in_frame);
        }
        let exact = self.len;
        let padded = exact.next_multiple_of(DIRECT_ALIGN);
        self.mem[self.start + exact..self.start + padded].fill(0);
        (&self.mem[self.start..self.start + padded], exact)
    }

    pub(super) fn clear(&mut self) {
        self.len = 0;
    }

    fn close_frame(&mut self, data_len: usize) {
        let end = self.start + self.len;
        let crc = crc32c(&self.mem[end - data_len..end]);
        self.mem[end..end + 4].copy_from_slice(&crc.to_le_bytes());
        self.len += 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_aligned_and_carry_their_crc() {
        let mut b = FrameBuffer::new(2);
        let data: Vec<u8> = (0..FRAME_DATA * 2 + 10).map(|i| i as u8).collect();
        let took = b.push(&data);
        assert_eq!(took, FRAME_DATA * 2, "stops when both frames are full");
        assert!(b.is_full());
        let frames = b.frames();
        assert_eq!(frames.as_ptr() as usize % DIRECT_ALIGN, 0);
        assert_eq!(frames.len(), 2 * FRAME_SIZE);
        let second = &frames[FRAME_SIZE..];
        assert_eq!(&second[..FRAME_DATA], &data[FRAME_DATA..FRAME_DATA * 2]);
        assert_eq!(
            second[FRAME_DATA..],
            crc32c(&data[FRAME_DATA..FRAME_DATA * 2]).to_le_bytes()
        );
    }

    #[test]
    fn seal_pads_to_the_alignment_and_reports_the_exact_length() {
        let mut b = FrameBuffer::new(1);
        b.push(&[9u8; 100]);
        let (bytes, exact) = b.seal();
        assert_eq!(exact, 104);
        assert_eq!(bytes.len(), DIRECT_ALIGN);
        assert_eq!(bytes[100..104], crc32c(&[9u8; 100]).to_le_bytes());
        assert!(bytes[104..].iter().all(|&x| x == 0));
    }
}
