//! Supervision of long runs (swap Monte Carlo chains, equilibrations, quenches): checkpoints by the
//! clock and at once when a signal asks the run to stop, agreed on by all ranks at every poll.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use mpi::topology::{Communicator, SimpleCommunicator};

use crate::domain::communication;

/// What a supervised run is asked to do at a poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Poll {
    /// Go on.
    Continue,
    /// Write a checkpoint and go on.
    Save,
    /// Write a checkpoint and stop.
    Stop,
}

/// A checkpoint every `minutes` of rank 0's clock, and at once when a signal raised `stop`
/// ([`crate::io::stop_on_signals`]).
pub struct CheckpointClock<'a> {
    stop: &'a AtomicBool,
    interval_seconds: f64,
    last: Instant,
}

impl<'a> CheckpointClock<'a> {
    /// A clock that starts now.
    pub fn new(stop: &'a AtomicBool, minutes: f64) -> Self {
        CheckpointClock {
            stop,
            interval_seconds: 60.0 * minutes,
            last: Instant::now(),
        }
    }

    /// What to do now: one collective agreement, so every rank gets the same answer (any rank
    /// signalled, or rank 0's clock ran out).
    pub fn poll(&self, comm: &SimpleCommunicator) -> Poll {
        let due = comm.rank() == 0 && self.last.elapsed().as_secs_f64() > self.interval_seconds;
        let [stop, due] =
            communication::counts(comm, [self.stop.load(Ordering::Relaxed) as u64, due as u64]);
        if stop > 0 {
            Poll::Stop
        } else if due > 0 {
            Poll::Save
        } else {
            Poll::Continue
        }
    }

    /// A checkpoint was written: the clock starts again.
    pub fn saved(&mut self) {
        self.last = Instant::now();
    }
}
