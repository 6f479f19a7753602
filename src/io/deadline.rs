//! A time limit on reading an HDF5 file.
//!
//! libhdf5 (1.10 as packaged by Debian, and 2.0 as bundled by h5py) loops forever on some corrupted
//! files: reading a variable-length string whose global heap is damaged never returns
//! (`tests/data/bad-input/damaged-heap.h5`, found by fuzzing). pinch cannot repair libhdf5, and a job
//! that hangs on a damaged input burns its whole allocation. So every read of an HDF5 file runs under
//! a [`ReadDeadline`]: if it has not finished in time, the process says which file and why, and
//! exits with status 1. Its outputs are written atomically, so nothing half-written is left.
//!
//! The limit is `PINCH_READ_TIMEOUT` seconds (default 300; 0 switches the limit off) plus one second
//! per 10 MB of file, generous for a loaded parallel file system.

use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Default base time limit, in seconds.
const DEFAULT_SECONDS: f64 = 300.0;
/// Bytes a slow file system is still expected to deliver per second.
const SLOWEST_READ_RATE: f64 = 10.0e6;

/// While alive, ends the process if the read of its file takes longer than the limit.
pub struct ReadDeadline {
    finished: Option<mpsc::Sender<()>>,
    watcher: Option<JoinHandle<()>>,
}

impl ReadDeadline {
    /// Starts the clock for reading `path`.
    pub fn start(path: &Path) -> Self {
        let Some(base) = base_seconds() else {
            return Self {
                finished: None,
                watcher: None,
            };
        };
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        let limit = Duration::from_secs_f64(base + size as f64 / SLOWEST_READ_RATE);
        let name = path.display().to_string();
        let (finished, wait) = mpsc::channel::<()>();
        let watcher = std::thread::Builder::new()
            .name("read-deadline".into())
            .spawn(move || {
                if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(limit) {
                    eprintln!(
                        "pinch: error: {name}: reading did not finish within {:.0} s. The file is \
                         probably damaged (libhdf5 loops forever on some corrupted heaps). If the \
                         file system is only slow, allow more time with PINCH_READ_TIMEOUT=<seconds>.",
                        limit.as_secs_f64()
                    );
                    // The reading thread is stuck inside libhdf5, which holds its global lock:
                    // an ordinary exit would run libhdf5's exit handlers and wait for that lock.
                    signal_hook::low_level::exit(1);
                }
            })
            .ok();
        Self {
            finished: Some(finished),
            watcher,
        }
    }
}

impl Drop for ReadDeadline {
    fn drop(&mut self) {
        drop(self.finished.take());
        if let Some(watcher) = self.watcher.take() {
            let _ = watcher.join();
        }
    }
}

/// The base limit from `PINCH_READ_TIMEOUT`, `None` if switched off.
fn base_seconds() -> Option<f64> {
    let seconds = match std::env::var("PINCH_READ_TIMEOUT") {
        Ok(text) => text.trim().parse::<f64>().unwrap_or_else(|_| {
            eprintln!(
                "pinch: warning: PINCH_READ_TIMEOUT = {text:?} is not a number of seconds; using {DEFAULT_SECONDS}"
            );
            DEFAULT_SECONDS
        }),
        Err(_) => DEFAULT_SECONDS,
    };
    (seconds.is_finite() && seconds > 0.0).then_some(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_that_finishes_in_time_ends_its_watcher() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let started = std::time::Instant::now();
        drop(ReadDeadline::start(file.path()));
        // Dropping joins the watcher at once, not after the limit.
        assert!(started.elapsed() < Duration::from_secs(60));
    }
}
