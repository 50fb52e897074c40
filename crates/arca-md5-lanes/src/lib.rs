//! MD5 for many uploads at once, each upload one lane of a multi-buffer SIMD hash.
//!
//! Every uploaded byte is MD5-hashed for its ETag, and that hash was the server's largest
//! per-byte cost: ~1.1 s of CPU per GiB, about as much as everything else an upload does
//! together. One MD5 stream cannot go faster (each 64-byte block depends on the one before),
//! but independent streams can share a core: with AVX-512 one instruction stream hashes 16
//! uploads in lock step, ~13 times the bytes per second of scalar code (AVX2: 8 lanes). Large
//! uploads come in parallel (clients send multipart parts 8–10 at a time), so there are lanes
//! to fill.
//!
//! An upload hands its chunks (refcounted [`Bytes`], never copied) to a hashing thread. The
//! thread takes everything queued by every upload and hashes those uploads together
//! ([`hash_together`]); an upload alone is hashed with scalar code, as before. The upload
//! does not wait for the hash except when it is more than [`MAX_QUEUED`] bytes ahead of it,
//! and at the end, for the digest.
//!
//! Small bodies never come here: [`EtagMd5`] hashes on the request's own task until a body
//! passes [`LANE_THRESHOLD`], so a 4 KiB PUT pays no thread hop.
//!
//! The threads are an [`Md5Lanes`] value, made once by whoever runs the server and handed to
//! what hashes (no process-wide global): tests make their own, with as many threads as they
//! need.
//!
//! ```
//! # #[tokio::main] async fn main() {
//! use std::sync::Arc;
//! let lanes = Arc::new(arca_md5_lanes::Md5Lanes::new(1));
//! let mut md5 = arca_md5_lanes::EtagMd5::new(&lanes);
//! md5.update(&bytes::Bytes::from(vec![7u8; 1 << 20])).await;
//! let digest: [u8; 16] = md5.finish().await.unwrap();
//! # let _ = digest; }
//! ```

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use md5_many::{Md5Many, Md5State};
use tokio::sync::{Semaphore, oneshot};

/// Bytes a body is hashed inline before it moves to a lane. Below this the thread hop costs
/// more than SIMD saves; above it, scalar hashing of the first bytes is a small share.
pub const LANE_THRESHOLD: u64 = 256 * 1024;

/// How far an upload may run ahead of its hash, in bytes, before it waits: this bounds the
/// memory an upload's queued chunks can hold.
pub const MAX_QUEUED: usize = 4 * 1024 * 1024;

/// Bytes all the uploads on one hashing thread may have queued together: with many uploads
/// in flight on a busy machine, this and not [`MAX_QUEUED`] bounds the memory they hold.
const MAX_QUEUED_PER_THREAD: usize = 32 * 1024 * 1024;

/// Bytes hashed per lane per `update_many` call, at most: lanes that join later get a turn soon.
const MAX_STEP: usize = 256 * 1024;

/// How long the thread waits for more lanes to have bytes before hashing the few that do.
/// Uploads do not wait meanwhile (they may run [`MAX_QUEUED`] ahead); only the hash does.
const LINGER: Duration = Duration::from_millis(4);

/// Queued bytes that end the wait early: a lane this far ahead is hashed now (and all lanes,
/// when the thread's uploads together have three quarters of [`MAX_QUEUED_PER_THREAD`] queued).
const PRESSURE: usize = MAX_QUEUED / 4;

/// The MD5 of an upload's body: inline on the request's task while the body is small, then
/// in a lane of the hashing thread.
pub enum EtagMd5 {
    /// Small so far: hashed here; moves to a lane of these threads past the threshold.
    Inline(Md5State, Arc<Md5Lanes>),
    /// Past the threshold: hashed by a lanes thread.
    Lane(LaneMd5),
}

impl EtagMd5 {
    /// A hash of nothing yet, that will use `lanes` if the body grows large.
    pub fn new(lanes: &Arc<Md5Lanes>) -> EtagMd5 {
        EtagMd5::Inline(Md5State::new(), Arc::clone(lanes))
    }

    /// Hashes `chunk` next; waits only when the lane is too far behind.
    pub async fn update(&mut self, chunk: &Bytes) {
        match self {
            EtagMd5::Inline(state, lanes) => {
                state.update(chunk);
                if state.bytes_hashed() >= LANE_THRESHOLD {
                    *self = EtagMd5::Lane(lanes.adopt(*state));
                }
            }
            EtagMd5::Lane(lane) => lane.update(chunk.clone()).await,
        }
    }

    /// The digest, once every chunk is hashed.
    pub async fn finish(self) -> Result<[u8; 16], HashFailed> {
        match self {
            EtagMd5::Inline(state, _) => Ok(state.finalize()),
            EtagMd5::Lane(lane) => lane.finish().await,
        }
    }
}

/// The hashing thread failed (panicked) while it held this upload's bytes; the upload must
/// fail rather than wait forever or carry a wrong ETag.
#[derive(Debug, thiserror::Error)]
#[error("the MD5 of this upload could not be computed")]
pub struct HashFailed;

/// The hashing threads. Uploads are spread over them round-robin.
pub struct Md5Lanes {
    services: Vec<Arc<Service>>,
    next: AtomicUsize,
}

impl Md5Lanes {
    /// Hashing threads sized for this machine: one per 8 cores. One thread at full occupancy
    /// hashes ~10 GB/s, but with only 2–4 uploads in flight it manages ~1 GB/s, so large
    /// machines (fast networks) get more than one.
    pub fn for_this_machine() -> Md5Lanes {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Md5Lanes::new(cores.div_ceil(8))
    }

    /// A hasher with `threads` lanes threads.
    pub fn new(threads: usize) -> Md5Lanes {
        Self::with_round(threads, hash_together)
    }

    /// A hasher whose threads hash each round with `round`: [`hash_together`], or in tests
    /// one that fails as a bug in the hash would.
    fn with_round(threads: usize, round: Round) -> Md5Lanes {
        let engine = Md5Many::new();
        let services = (0..threads.max(1))
            .map(|i| {
                let service = Arc::new(Service {
                    room: Semaphore::new(MAX_QUEUED_PER_THREAD),
                    round,
                    board: Mutex::new(Board {
                        width: engine.lanes(),
                        ..Board::default()
                    }),
                    work: Condvar::new(),
                });
                let worker = Arc::clone(&service);
                std::thread::Builder::new()
                    .name(format!("md5-lanes-{i}"))
                    .spawn(move || worker.run(engine))
                    .expect("spawning an MD5 hashing thread");
                service
            })
            .collect();
        Md5Lanes {
            services,
            next: AtomicUsize::new(0),
        }
    }

    /// Continues hashing `state` (what has been hashed so far) in a lane.
    pub fn adopt(&self, state: Md5State) -> LaneMd5 {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.services.len();
        let service = Arc::clone(&self.services[i]);
        let room = Arc::new(Semaphore::new(MAX_QUEUED));
        let id = {
            let mut board = service.board();
            board.next_id += 1;
            let id = board.next_id;
            board.lanes.insert(
                id,
                Lane {
                    state,
                    queue: VecDeque::new(),
                    queued: 0,
                    busy: false,
                    finish: None,
                    abandoned: false,
                    room: Arc::clone(&room),
                },
            );
            id
        };
        LaneMd5 {
            service,
            id,
            room,
            finished: false,
        }
    }
}

impl Drop for Md5Lanes {
    fn drop(&mut self) {
        for service in &self.services {
            service.board().shutdown = true;
            service.work.notify_one();
        }
    }
}

/// One upload's place on a hashing thread.
pub struct LaneMd5 {
    service: Arc<Service>,
    id: u64,
    room: Arc<Semaphore>,
    finished: bool,
}

impl LaneMd5 {
    /// Queues `chunk`; waits only while the upload is [`MAX_QUEUED`] bytes ahead of its hash.
    pub async fn update(&mut self, mut chunk: Bytes) {
        // Queued chunks hold one permit per byte, so none may be larger than all of them.
        while chunk.len() > PRESSURE {
            let piece = chunk.split_to(PRESSURE);
            self.queue(piece).await;
        }
        self.queue(chunk).await;
    }

    async fn queue(&mut self, chunk: Bytes) {
        if chunk.is_empty() {
            return;
        }
        // The semaphores are never closed, so acquiring fails only if they were. The lane's
        // first, so that one upload waiting on its own hash holds none of the thread's room.
        let len = chunk.len() as u32;
        if let Ok(taken) = self.room.acquire_many(len).await {
            taken.forget();
        }
        if let Ok(taken) = self.service.room.acquire_many(len).await {
            taken.forget();
        }
        let crowded = self.service.room.available_permits() < MAX_QUEUED_PER_THREAD / 4;
        let mut board = self.service.board();
        let Some(lane) = board.lanes.get_mut(&self.id) else {
            self.service.room.add_permits(len as usize);
            return;
        };
        let was_empty = lane.queue.is_empty();
        lane.queued += chunk.len();
        lane.queue.push_back(chunk);
        let pressed = lane.queued >= PRESSURE || crowded;
        if was_empty {
            board.ready += 1;
        }
        let wake = match board.thread {
            ThreadState::Hashing => false,
            ThreadState::Idle => true,
            ThreadState::Lingering => pressed || board.ready >= board.enough(),
        };
        if wake {
            self.service.work.notify_one();
        }
    }

    /// The digest of everything queued, once the thread has hashed it.
    pub async fn finish(mut self) -> Result<[u8; 16], HashFailed> {
        self.finished = true;
        let waiting = {
            let mut board = self.service.board();
            // Gone only if the thread failed while hashing it.
            let lane = board.lanes.get_mut(&self.id).ok_or(HashFailed)?;
            if !lane.busy && lane.queue.is_empty() {
                let state = lane.state;
                board.lanes.remove(&self.id);
                return Ok(state.finalize());
            }
            let (tx, rx) = oneshot::channel();
            lane.finish = Some(tx);
            // The thread may be lingering for more lanes; a finishing upload is worth waking for.
            if board.thread == ThreadState::Lingering {
                self.service.work.notify_one();
            }
            rx
        };
        // The sender is dropped unanswered only if the thread failed while hashing it.
        waiting.await.map_err(|_| HashFailed)
    }
}

impl Drop for LaneMd5 {
    /// An upload that failed before `finish` leaves its lane: the thread forgets it.
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let mut board = self.service.board();
        match board.lanes.get_mut(&self.id) {
            Some(lane) if lane.busy => lane.abandoned = true,
            Some(_) => self.service.forget_lane(&mut board, self.id, 0),
            None => {}
        }
    }
}

/// How a thread hashes one round of jobs.
type Round = fn(Md5Many, &mut [Job]);

/// One hashing thread and the lanes it serves.
struct Service {
    /// Bytes its lanes may still queue, of [`MAX_QUEUED_PER_THREAD`].
    room: Semaphore,
    /// Hashes one round of jobs: [`hash_together`].
    round: Round,
    board: Mutex<Board>,
    work: Condvar,
}

#[derive(Default)]
struct Board {
    /// Lanes per SIMD register on this CPU.
    width: usize,
    lanes: HashMap<u64, Lane>,
    next_id: u64,
    /// Lanes with queued bytes.
    ready: usize,
    thread: ThreadState,
    shutdown: bool,
}

/// What the hashing thread is doing, so that uploads wake it only when it helps.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
enum ThreadState {
    /// No lane has bytes: the first chunk wakes it.
    Idle,
    /// Some lanes have bytes; waiting (at most [`LINGER`]) for enough lanes to fill the SIMD
    /// registers, for a lane under [`PRESSURE`], or for a finishing upload.
    Lingering,
    #[default]
    Hashing,
}

impl Board {
    /// Ready lanes worth hashing at once: a full register of lanes, or every lane there is.
    fn enough(&self) -> usize {
        self.lanes.len().min(self.width)
    }

    /// Whether hashing should start now rather than wait for more ready lanes.
    fn worth_hashing(&self, since: Instant) -> bool {
        self.ready >= self.enough()
            || since.elapsed() >= LINGER
            || self
                .lanes
                .values()
                .any(|lane| !lane.queue.is_empty() && (lane.queued >= PRESSURE || lane.finish.is_some()))
    }
}

struct Lane {
    /// What has been hashed so far; stale while `busy` (the thread holds the live copy).
    state: Md5State,
    queue: VecDeque<Bytes>,
    /// Bytes in `queue`.
    queued: usize,
    busy: bool,
    /// Set by `finish` while bytes are still queued or being hashed.
    finish: Option<oneshot::Sender<[u8; 16]>>,
    /// Dropped by its upload while busy: removed when the thread hands it back.
    abandoned: bool,
    room: Arc<Semaphore>,
}

/// What the thread hashes for one lane in one round.
struct Job {
    id: u64,
    state: Md5State,
    chunks: Vec<Bytes>,
    /// Position in `chunks`: the current chunk and the offset in it.
    chunk: usize,
    offset: usize,
    /// Bytes hashed this round.
    hashed: usize,
}

impl Service {
    fn board(&self) -> MutexGuard<'_, Board> {
        // A panic while holding the lock leaves plain data behind; carry on with it.
        self.board.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn run(&self, engine: Md5Many) {
        let mut jobs: Vec<Job> = Vec::new();
        loop {
            {
                let mut board = self.board();
                let mut since: Option<Instant> = None;
                loop {
                    if board.shutdown {
                        return;
                    }
                    if board.ready == 0 {
                        since = None;
                        board.thread = ThreadState::Idle;
                        board = self.work.wait(board).unwrap_or_else(|poisoned| poisoned.into_inner());
                        continue;
                    }
                    let first_ready = *since.get_or_insert_with(Instant::now);
                    if board.worth_hashing(first_ready) {
                        break;
                    }
                    board.thread = ThreadState::Lingering;
                    let left = LINGER.saturating_sub(first_ready.elapsed());
                    board = self
                        .work
                        .wait_timeout(board, left)
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .0;
                }
                board.thread = ThreadState::Hashing;
                board.ready = 0;
                for (&id, lane) in board.lanes.iter_mut() {
                    if lane.queue.is_empty() {
                        continue;
                    }
                    lane.busy = true;
                    lane.queued = 0;
                    jobs.push(Job {
                        id,
                        state: lane.state,
                        chunks: lane.queue.drain(..).collect(),
                        chunk: 0,
                        offset: 0,
                        hashed: 0,
                    });
                }
            }
            let round = self.round;
            let hashed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| round(engine, &mut jobs)));
            if hashed.is_err() {
                self.fail(&mut jobs);
                continue;
            }
            let mut board = self.board();
            for job in jobs.drain(..) {
                let Some(lane) = board.lanes.get_mut(&job.id) else {
                    continue;
                };
                lane.state = job.state;
                lane.busy = false;
                lane.room.add_permits(job.hashed);
                self.room.add_permits(job.hashed);
                if lane.abandoned {
                    // Nobody will hash what it left: give back the room those bytes held.
                    let left: usize = job.leftover().map(|c| c.len()).sum();
                    self.forget_lane(&mut board, job.id, left);
                    continue;
                }
                // What this round left over goes back in front of what arrived meanwhile.
                let was_empty = lane.queue.is_empty();
                for chunk in job.leftover().rev() {
                    lane.queued += chunk.len();
                    lane.queue.push_front(chunk);
                }
                if was_empty && !lane.queue.is_empty() {
                    board.ready += 1;
                } else if lane.finish.is_some() && lane.queue.is_empty() {
                    let lane = board.lanes.remove(&job.id).expect("just looked up");
                    // The upload may have gone away meanwhile; then nobody wants the digest.
                    let _ = lane.finish.expect("checked above").send(lane.state.finalize());
                }
            }
        }
    }

    /// After a panic while hashing `jobs`: their lanes are dropped, so their uploads fail
    /// ([`HashFailed`]) instead of waiting forever, and the room their bytes held is freed.
    /// The thread goes on serving the others.
    fn fail(&self, jobs: &mut Vec<Job>) {
        tracing::error!(uploads = jobs.len(), "MD5 hashing panicked; those uploads fail");
        let mut board = self.board();
        for job in jobs.drain(..) {
            // None of the round's chunks gave their room back yet.
            let held: usize = job.chunks.iter().map(Bytes::len).sum();
            self.forget_lane(&mut board, job.id, held);
        }
    }

    /// Removes lane `id` (if still there) and gives back the room held by its queue and by
    /// `held` more of its bytes taken out of the queue for a round.
    fn forget_lane(&self, board: &mut Board, id: u64, held: usize) {
        if let Some(lane) = board.lanes.remove(&id) {
            if lane.queued > 0 {
                board.ready -= 1;
            }
            self.room.add_permits(held + lane.queued);
        }
    }
}

/// Hashes the jobs' chunks into their states, as many jobs at a time as have whole blocks.
///
/// Lanes advance in lock step by the shortest whole-block run among them (at most
/// [`MAX_STEP`]); a lane whose state holds part of a block is first topped up to a block
/// boundary with scalar code, which is at most 63 bytes per chunk boundary. Once fewer than
/// half the lanes that started the round still have bytes, the round ends and the rest waits
/// for the next, where other lanes will have caught up: hashing those few alone would cost
/// as much per step as hashing all of them.
fn hash_together(engine: Md5Many, jobs: &mut [Job]) {
    let mut active: Vec<usize> = Vec::with_capacity(jobs.len());
    let mut states: Vec<Md5State> = Vec::with_capacity(jobs.len());
    let mut started = None;
    loop {
        active.clear();
        for (i, job) in jobs.iter_mut().enumerate() {
            if job.align() {
                active.push(i);
            }
        }
        let started = *started.get_or_insert(active.len());
        if active.len() * 2 < started {
            return;
        }
        match active.len() {
            0 => return,
            1 => {
                let job = &mut jobs[active[0]];
                let rest = &job.chunks[job.chunk][job.offset..];
                job.state.update(rest);
                job.advance(rest.len());
            }
            _ => {
                let step = active
                    .iter()
                    .map(|&i| jobs[i].whole_blocks())
                    .min()
                    .unwrap_or(0)
                    .min(MAX_STEP);
                // md5-many is fast only in lock step over whole SIMD registers (8 lanes with
                // AVX2, 16 with AVX-512; two registers interleaved are faster still); any
                // other count takes a generic path several times slower than scalar. So fill
                // the registers: a padding lane hashes a copy of a real lane's input into a
                // state nobody reads.
                let width = engine.lanes();
                for group in active.chunks(2 * width) {
                    let padded = group.len().div_ceil(width) * width;
                    states.clear();
                    states.extend(group.iter().map(|&i| jobs[i].state));
                    states.resize(padded, Md5State::new());
                    let mut inputs: Vec<&[u8]> = group
                        .iter()
                        .map(|&i| &jobs[i].chunks[jobs[i].chunk][jobs[i].offset..jobs[i].offset + step])
                        .collect();
                    inputs.resize(padded, inputs[0]);
                    engine.update_many(&mut states, &inputs);
                    for (&i, state) in group.iter().zip(&states) {
                        jobs[i].state = *state;
                        jobs[i].advance(step);
                    }
                }
            }
        }
    }
}

impl Job {
    /// Brings the state to a block boundary and the position to a chunk with at least one
    /// whole block left. False once every byte is hashed.
    fn align(&mut self) -> bool {
        loop {
            let Some(current) = self.chunks.get(self.chunk) else {
                return false;
            };
            let rest = &current[self.offset..];
            let partial = (self.state.bytes_hashed() % 64) as usize;
            if partial != 0 || rest.len() < 64 {
                let take = if partial != 0 {
                    (64 - partial).min(rest.len())
                } else {
                    rest.len()
                };
                self.state.update(&rest[..take]);
                self.advance(take);
                continue;
            }
            return true;
        }
    }

    /// What is left to hash, in order.
    fn leftover(&self) -> impl DoubleEndedIterator<Item = Bytes> + '_ {
        let current = self.chunks.get(self.chunk).map(|c| c.slice(self.offset..));
        current
            .into_iter()
            .chain(self.chunks.iter().skip(self.chunk + 1).cloned())
            .filter(|c| !c.is_empty())
    }

    /// Bytes of whole blocks left in the current chunk.
    fn whole_blocks(&self) -> usize {
        (self.chunks[self.chunk].len() - self.offset) / 64 * 64
    }

    fn advance(&mut self, n: usize) {
        self.hashed += n;
        self.offset += n;
        if self.offset == self.chunks[self.chunk].len() {
            self.chunk += 1;
            self.offset = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use md5::{Digest, Md5};
    use rand::{Rng, SeedableRng};

    fn reference(parts: &[Bytes]) -> [u8; 16] {
        let mut h = Md5::new();
        for p in parts {
            h.update(p);
        }
        h.finalize().into()
    }

    /// Random bodies cut into random chunks (empty, 1 byte, odd sizes, a few MiB), hashed
    /// concurrently through lanes, against the reference implementation.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_uploads_hash_like_the_reference() {
        let lanes = Arc::new(Md5Lanes::new(1));
        let mut tasks = Vec::new();
        for seed in 0..24u64 {
            let lanes = Arc::clone(&lanes);
            tasks.push(tokio::spawn(async move {
                let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
                let mut chunks = Vec::new();
                let count = rng.random_range(1..200);
                for _ in 0..count {
                    let len = match rng.random_range(0..6) {
                        0 => 0,
                        1 => rng.random_range(1..64),
                        2 => 64 * rng.random_range(1..64),
                        3 => rng.random_range(1..200_000),
                        _ => rng.random_range(1000..70_000),
                    };
                    let mut v = vec![0u8; len];
                    rng.fill(&mut v[..]);
                    chunks.push(Bytes::from(v));
                }
                // Some start inline, as EtagMd5 does, and move to a lane part-way.
                let split = rng.random_range(0..=chunks.len());
                let mut state = Md5State::new();
                for c in &chunks[..split] {
                    state.update(c);
                }
                let mut lane = lanes.adopt(state);
                for c in &chunks[split..] {
                    lane.update(c.clone()).await;
                    if rng.random_range(0..8) == 0 {
                        tokio::task::yield_now().await;
                    }
                }
                assert_eq!(lane.finish().await.unwrap(), reference(&chunks), "seed {seed}");
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    }

    /// More uploads than the thread has room for (16 lanes x 4 MiB > 32 MiB): they take turns
    /// and all finish, with the right digests and all room given back.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn uploads_beyond_the_threads_room_take_turns() {
        let lanes = Arc::new(Md5Lanes::new(1));
        let mut tasks = Vec::new();
        for i in 0..16u8 {
            let lanes = Arc::clone(&lanes);
            tasks.push(tokio::spawn(async move {
                let chunks: Vec<Bytes> = (0..8u8).map(|j| Bytes::from(vec![i ^ j; 1 << 20])).collect();
                let mut lane = lanes.adopt(Md5State::new());
                for c in &chunks {
                    lane.update(c.clone()).await;
                }
                assert_eq!(lane.finish().await.unwrap(), reference(&chunks));
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(lanes.services[0].room.available_permits(), MAX_QUEUED_PER_THREAD);
    }

    #[tokio::test]
    async fn etag_md5_moves_to_a_lane_past_the_threshold() {
        let lanes = Arc::new(Md5Lanes::new(1));
        let body: Vec<Bytes> = (0..40u8).map(|i| Bytes::from(vec![i; 10_000])).collect();
        let mut md5 = EtagMd5::new(&lanes);
        for c in &body {
            md5.update(c).await;
        }
        assert!(matches!(md5, EtagMd5::Lane(_)), "400 kB is past the 256 KiB threshold");
        assert_eq!(md5.finish().await.unwrap(), reference(&body));

        let mut small = EtagMd5::new(&lanes);
        small.update(&Bytes::from_static(b"hello")).await;
        assert!(matches!(small, EtagMd5::Inline(..)));
        assert_eq!(
            small.finish().await.unwrap(),
            reference(&[Bytes::from_static(b"hello")])
        );
    }

    /// A panic on the hashing thread fails the uploads it held (no hang, no wrong digest) and
    /// the thread goes on hashing for later uploads.
    #[tokio::test]
    async fn a_failed_round_fails_its_uploads_and_the_thread_lives_on() {
        static FAILED_ONCE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        fn fails_once(engine: Md5Many, jobs: &mut [Job]) {
            if !FAILED_ONCE.swap(true, Ordering::SeqCst) {
                panic!("a bug in the hash");
            }
            hash_together(engine, jobs);
        }
        let lanes = Md5Lanes::with_round(1, fails_once);
        let mut doomed = lanes.adopt(Md5State::new());
        doomed.update(Bytes::from(vec![3u8; 100_000])).await;
        assert!(doomed.finish().await.is_err());
        let mut next = lanes.adopt(Md5State::new());
        next.update(Bytes::from(vec![4u8; 100_000])).await;
        assert_eq!(
            next.finish().await.unwrap(),
            reference(&[Bytes::from(vec![4u8; 100_000])])
        );
        assert_eq!(lanes.services[0].room.available_permits(), MAX_QUEUED_PER_THREAD);
    }

    /// An upload that fails mid-way drops its lane; the thread forgets it and serves others.
    #[tokio::test]
    async fn an_abandoned_lane_is_forgotten() {
        let lanes = Md5Lanes::new(1);
        let mut gone = lanes.adopt(Md5State::new());
        gone.update(Bytes::from(vec![1u8; 1 << 20])).await;
        drop(gone);
        let mut kept = lanes.adopt(Md5State::new());
        kept.update(Bytes::from(vec![2u8; 1 << 20])).await;
        assert_eq!(
            kept.finish().await.unwrap(),
            reference(&[Bytes::from(vec![2u8; 1 << 20])])
        );
        let service = &lanes.services[0];
        for _ in 0..100 {
            if service.board().lanes.is_empty() {
                // And every byte of room the lanes held is back.
                assert_eq!(service.room.available_permits(), MAX_QUEUED_PER_THREAD);
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("the abandoned lane was never removed");
    }
}
