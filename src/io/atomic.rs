//! Output files appear at their final path only when complete.
//!
//! Everything is written to a temporary file beside the target, flushed to disk, and renamed over the
//! target (an atomic operation on POSIX file systems), after which the directory entry is synced too.
//! A run killed at any moment leaves either the old file or the new one, never a partial file that
//! looks complete.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A temporary path beside `target` that becomes `target` on [`AtomicOutput::commit`] and is removed
/// if dropped uncommitted.
pub struct AtomicOutput {
    target: PathBuf,
    temporary: PathBuf,
    committed: bool,
}

impl AtomicOutput {
    /// Reserves a temporary path for `target`; the directory must exist.
    pub fn new(target: &Path) -> Result<Self> {
        let name = target
            .file_name()
            .ok_or_else(|| Error::write(target, "not a file path"))?;
        let mut temporary_name = name.to_os_string();
        temporary_name.push(format!(".tmp-{}", std::process::id()));
        let temporary = target.with_file_name(temporary_name);
        Ok(AtomicOutput {
            target: target.to_owned(),
            temporary,
            committed: false,
        })
    }

    /// Where to write the contents.
    pub fn path(&self) -> &Path {
        &self.temporary
    }

    /// Flushes the temporary file to disk and renames it to the target.
    pub fn commit(mut self) -> Result<()> {
        let fail = |e: std::io::Error| Error::write(&self.target, e);
        crate::faults::output_written(&self.target).map_err(fail)?;
        fs::File::open(&self.temporary)
            .and_then(|f| f.sync_all())
            .map_err(fail)?;
        fs::rename(&self.temporary, &self.target).map_err(fail)?;
        self.committed = true;
        crate::faults::output_renamed(&self.target).map_err(fail)?;
        let directory = match self.target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        // Persist the rename itself; a failure here cannot un-write the file, so it is not fatal.
        if let Ok(d) = fs::File::open(directory) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Drop for AtomicOutput {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temporary);
        }
    }
}

/// Writes `contents` to `target` atomically.
pub fn write_file(target: &Path, contents: &[u8]) -> Result<()> {
    let output = AtomicOutput::new(target)?;
    fs::write(output.path(), contents).map_err(|e| Error::write(target, e))?;
    output.commit()
}
