//! `pinch equilibrate`: the same trajectory bit for bit on 1, 2, 3, 4 and 8 ranks and across a
//! checkpoint and restart; particles and the multiset of sizes conserved; clear errors.

mod common;

use std::path::Path;

use common::*;

fn f64s(path: &Path, member: &str) -> Vec<u64> {
    pinch::io::h5md::read_array_f64(path, member)
        .unwrap()
        .unwrap_or_else(|| panic!("{} lacks {member}", path.display()))
        .0
        .into_iter()
        .map(f64::to_bits)
        .collect()
}

/// Everything a run file holds that depends on the trajectory, as bits.
fn fingerprint(path: &Path) -> Vec<(String, Vec<u64>)> {
    [
        "particles/all/position",
        "particles/all/diameter",
        "observables/equilibration/energy_per_particle",
        "observables/equilibration/pressure",
        "observables/equilibration/translation_acceptance",
        "observables/equilibration/swap_acceptance",
        "observables/equilibration/step_size",
        "observables/self_intermediate_scattering/value",
    ]
    .iter()
    .map(|m| (m.to_string(), f64s(path, m)))
    .collect()
}

const RUN: [&str; 16] = [
    "equilibrate",
    "--n-particles",
    "4000",
    "--seed",
    "5",
    "--temperature",
    "0.8",
    "--measure-interval",
    "4",
    "--origin-interval",
    "8",
    "--max-lag",
    "16",
    "--tuning-sweeps",
    "20",
    "--log-level=warn",
];

#[test]
fn mpi_equilibrate_gives_the_same_trajectory_on_1_2_3_4_8_ranks_and_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut args: Vec<&str> = RUN.to_vec();
    args.extend(["--sweeps", "40", "--grid-shift-interval", "3"]);
    let mut reference = None;
    for ranks in [1, 2, 3, 4, 8] {
        let out = format!("run{ranks}.h5");
        let mut a = args.clone();
        a.extend(["--out", &out]);
        success(&pinch_mpi(d, ranks, &a));
        let print = fingerprint(&d.join(&out));
        match &reference {
            None => reference = Some(print),
            Some(r) => {
                for ((name, a), (_, b)) in print.iter().zip(r) {
                    assert!(a == b, "{ranks} ranks: {name} differs from 1 rank");
                }
            }
        }
    }
    let reference = reference.unwrap();
    // Same number of particles and the same multiset of sizes as the random start.
    let start =
        pinch::model::random_configuration(&pinch::model::ModelParameters::default(), 4000, 5);
    let end = pinch::io::h5md::read(&d.join("run1.h5"))
        .unwrap()
        .configuration;
    let mut a = start.sizes.clone();
    let mut b = end.sizes.clone();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    assert_eq!(a, b);
    assert_ne!(start.sizes, end.sizes, "no swap was accepted");

    // Stop at sweep 17 (between measurements and grid shifts) and resume, on other rank counts.
    let mut first: Vec<&str> = RUN.to_vec();
    first.extend([
        "--sweeps",
        "17",
        "--grid-shift-interval",
        "3",
        "--out",
        "part.h5",
    ]);
    success(&pinch_mpi(d, 2, &first));
    success(&pinch_mpi(
        d,
        3,
        &[
            "equilibrate",
            "--resume",
            "--sweeps",
            "40",
            "--out",
            "part.h5",
        ],
    ));
    let resumed = fingerprint(&d.join("part.h5"));
    for ((name, a), (_, b)) in resumed.iter().zip(&reference) {
        assert!(a == b, "after the restart: {name} differs");
    }
}

#[test]
fn equilibrate_rejects_bad_input_with_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (args, expected) in [
        (
            vec!["equilibrate", "-n", "2000", "--out", "r.h5"],
            "--temperature is required",
        ),
        (
            vec!["equilibrate", "-n", "100", "-t", "1", "--out", "r.h5"],
            "use at least",
        ),
        (
            vec!["equilibrate", "-n", "2000", "-t=-1", "--out", "r.h5"],
            "parent_temperature",
        ),
        (
            vec![
                "equilibrate",
                "-n",
                "2000",
                "-t",
                "1",
                "--step-size",
                "0.5",
                "--out",
                "r.h5",
            ],
            "step_size",
        ),
        (
            vec![
                "equilibrate",
                "-n",
                "2000",
                "-t",
                "1",
                "--max-lag",
                "15",
                "--out",
                "r.h5",
            ],
            "max_lag",
        ),
        (
            vec!["equilibrate", "--resume", "--out", "missing.h5"],
            "missing.checkpoint.h5",
        ),
    ] {
        let output = pinch(d, &args);
        assert!(!output.status.success(), "{args:?} succeeded");
        let message = stderr(&output);
        assert!(message.contains(expected), "{args:?}: {message}");
    }
}
