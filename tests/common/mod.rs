//! Helpers for the command-line tests: run the built `pinch` binary, alone or under `mpirun`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const PINCH: &str = env!("CARGO_BIN_EXE_pinch");

/// Runs `pinch` with `args` in `directory`.
pub fn pinch(directory: &Path, args: &[&str]) -> Output {
    Command::new(PINCH)
        .args(args)
        .current_dir(directory)
        .env_remove("PETSC_OPTIONS")
        .env_remove("PINCH_FAILPOINTS")
        .output()
        .expect("pinch runs")
}

/// Runs `pinch` under `mpirun -n ranks`.
pub fn pinch_mpi(directory: &Path, ranks: usize, args: &[&str]) -> Output {
    let mut command = Command::new("mpirun");
    command
        .args(["-n", &ranks.to_string()])
        .args(if ranks > 2 {
            &["--oversubscribe"][..]
        } else {
            &[]
        })
        .arg(PINCH)
        .args(args)
        .current_dir(directory)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env_remove("PETSC_OPTIONS")
        .env_remove("PINCH_FAILPOINTS");
    command
        .output()
        .expect("mpirun runs (install openmpi-bin with scripts/setup)")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts success and returns stdout.
pub fn success(output: &Output) -> String {
    assert!(
        output.status.success(),
        "pinch failed ({:?}):\n{}\n{}",
        output.status,
        stdout(output),
        stderr(output)
    );
    stdout(output)
}

/// The repository root.
pub fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Parses the JSON on stdout.
pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_str(&success(output))
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", stdout(output)))
}

/// The project's Python (`.venv`, made by `scripts/setup`), or `PINCH_PYTHON`.
pub fn python() -> PathBuf {
    let python = std::env::var_os("PINCH_PYTHON")
        .map_or_else(|| repository().join(".venv/bin/python"), Into::into);
    assert!(
        python.exists(),
        "{} not found: run scripts/setup to create the Python environment",
        python.display()
    );
    python
}

/// Runs `tests/python/<script>` with `args` in `directory` and parses the JSON it prints.
pub fn python_json(directory: &Path, script: &str, args: &[&str]) -> serde_json::Value {
    let output = Command::new(python())
        .arg(repository().join("tests/python").join(script))
        .args(args)
        .current_dir(directory)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{script} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{script} printed no JSON ({e}): {}", stdout(&output)))
}

/// A campaign's summary from `pinch analyze`, run in `directory` on the campaign `name` there.
pub fn campaign_summary(directory: &Path, name: &str) -> serde_json::Value {
    success(&pinch(directory, &["analyze", name]));
    let text = std::fs::read_to_string(directory.join(name).join("summary.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Every entry stored in a campaign's results directory, once per copy, sorted.
pub fn stored_entries(results: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(results).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "h5") {
            let file = hdf5::File::open(&path).unwrap();
            for kind in ["samples", "chains"] {
                if let Ok(group) = file.group(kind) {
                    names.extend(group.member_names().unwrap());
                }
            }
        }
    }
    names.sort();
    names
}
