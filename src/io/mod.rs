//! Files: H5MD configurations, extended XYZ, atomic output.

pub mod atomic;
pub mod deadline;
pub mod fields;
pub mod h5md;
pub mod layout;
pub mod xyz;

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use crate::error::{Error, Result};
use crate::model::Configuration;

/// The file formats pinch reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// H5MD/HDF5, recognised by the HDF5 signature.
    Hdf5,
    /// Extended XYZ, recognised by the `.xyz`/`.extxyz` extension.
    ExtendedXyz,
}

const HDF5_SIGNATURE: &[u8] = b"\x89HDF\r\n\x1a\n";

/// Recognises the format of an existing file from its content (HDF5) or its extension (XYZ).
pub fn detect_format(path: &Path) -> Result<Format> {
    let name = path.display().to_string();
    let mut head = [0u8; 8];
    let file = std::fs::File::open(path).map_err(|error| Error::Read {
        path: name.clone(),
        error,
    })?;
    let read = std::io::Read::read(&mut &file, &mut head).map_err(|error| Error::Read {
        path: name.clone(),
        error,
    })?;
    if read == 8 && head == HDF5_SIGNATURE {
        return Ok(Format::Hdf5);
    }
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("xyz" | "extxyz") => Ok(Format::ExtendedXyz),
        Some("h5" | "hdf5" | "h5md") => Err(Error::Format {
            path: name,
            message:
                "does not start with the HDF5 signature (empty, truncated or not an HDF5 file)"
                    .into(),
        }),
        _ => Err(Error::Format {
            path: name,
            message: "unrecognised format: expected an HDF5 file or extended XYZ (.xyz, .extxyz)"
                .into(),
        }),
    }
}

/// Reads an extended XYZ file; with `wrap`, coordinates outside the box are mapped into it.
pub fn read_xyz(path: &Path, wrap: bool) -> Result<Configuration> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|error| Error::Read {
        path: name.clone(),
        error,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| Error::Xyz {
        path: name.clone(),
        line: 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count(),
        message: "not UTF-8 text".into(),
    })?;
    xyz::parse(&text, wrap).map_err(|e| match e {
        xyz::ReadError::Syntax(e) => Error::Xyz {
            path: name,
            line: e.line,
            message: e.message,
        },
        xyz::ReadError::Configuration(error) => Error::Configuration { path: name, error },
    })
}

/// Writes an extended XYZ file atomically.
pub fn write_xyz(path: &Path, configuration: &Configuration) -> Result<()> {
    atomic::write_file(path, xyz::format(configuration).as_bytes())
}

/// The flag that SIGTERM, SIGINT and SIGUSR1 (Slurm's time-limit warning) raise: a run that sees it
/// writes its checkpoint and stops. The handlers only set the flag; ranks agree on it collectively.
/// They are installed once, by the first call; later calls return the same flag, so that a signal
/// heard while the program starts is not forgotten.
pub fn stop_on_signals() -> Result<Arc<AtomicBool>> {
    static STOP: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    if let Some(stop) = STOP.get() {
        return Ok(Arc::clone(stop));
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGUSR1,
    ] {
        signal_hook::flag::register(signal, Arc::clone(&stop)).map_err(|e| {
            Error::Usage(format!(
                "cannot install the handler of signal {signal}: {e}"
            ))
        })?;
    }
    Ok(Arc::clone(STOP.get_or_init(|| stop)))
}
