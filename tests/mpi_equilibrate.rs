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
    // The stationarity verdict is stored with its reason (this short run cannot be stationary).
    let verdict =
        pinch::io::h5md::read_attribute_group(&d.join("run1.h5"), "observables/stationarity")
            .unwrap()
            .unwrap();
    assert_eq!(verdict["stationary"], false, "{verdict:?}");
    assert!(
        !verdict["reason"].as_str().unwrap().is_empty(),
        "{verdict:?}"
    );

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

/// The sweep a checkpoint was taken at.
fn checkpoint_sweep(path: &Path) -> u64 {
    let state = pinch::io::h5md::read_attribute_group(path, "checkpoint")
        .unwrap()
        .unwrap();
    let text = state["state"].as_str().unwrap();
    let run: serde_json::Value = serde_json::from_str(text).unwrap();
    run["sampler"]["sweep"].as_u64().unwrap()
}

#[test]
fn mpi_equilibrate_checkpoints_on_sigusr1_and_resumes_bitwise() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let base = [
        "equilibrate",
        "-n",
        "2000",
        "--seed",
        "9",
        "-t",
        "0.8",
        "--measure-interval",
        "5",
        "--origin-interval",
        "10",
        "--max-lag",
        "50",
        "--log-level=warn",
    ];
    // A long run on two ranks, signalled while it runs: it writes its checkpoint and exits with 4.
    let mut long: Vec<&str> = base.to_vec();
    long.extend(["--sweeps", "1000000", "--out", "signalled.h5"]);
    let mut child = std::process::Command::new("mpirun")
        .args(["-n", "2", PINCH])
        .args(&long)
        .current_dir(d)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    let status = std::process::Command::new("kill")
        .args(["-USR1", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(4), "{status:?}");
    let checkpoint = d.join("signalled.checkpoint.h5");
    let stopped = checkpoint_sweep(&checkpoint);
    assert!(
        stopped > 0 && stopped < 1_000_000,
        "stopped at sweep {stopped}"
    );
    assert!(
        !d.join("signalled.h5").exists(),
        "no run file is written for an interrupted run"
    );

    // Resume on one rank to 37 sweeps beyond, and compare with an uninterrupted run to the same sweep.
    let target = (stopped + 37).to_string();
    success(&pinch(
        d,
        &[
            "equilibrate",
            "--resume",
            "--sweeps",
            &target,
            "--out",
            "signalled.h5",
        ],
    ));
    let mut straight: Vec<&str> = base.to_vec();
    straight.extend(["--sweeps", &target, "--out", "straight.h5"]);
    success(&pinch(d, &straight));
    let a = fingerprint(&d.join("signalled.h5"));
    let b = fingerprint(&d.join("straight.h5"));
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs after the signal and the restart");
    }
}

#[test]
fn a_checkpoint_with_the_travel_at_its_time_origins_resumes_with_their_phases() {
    // Checkpoints keep cos(k x) and sin(k x) of the travel x at each time origin of F_s; earlier ones
    // kept x itself (/checkpoint/origins), which must still resume, with the same phases.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut args: Vec<&str> = RUN.to_vec();
    args.extend(["--sweeps", "17", "--out", "part.h5"]);
    success(&pinch(d, &args));
    let path = d.join("part.checkpoint.h5");
    let current = pinch::monte_carlo::checkpoint::read(&path).unwrap();
    let k = current.run.wavenumber;
    assert_eq!(
        current.resumed.origins.len(),
        2,
        "origins at sweeps 8 and 16"
    );
    for origin in &current.resumed.origins {
        assert_eq!(origin.cos.len(), 4000);
        for (c, s) in origin.cos.iter().zip(&origin.sin) {
            for a in 0..3 {
                assert!((c[a] * c[a] + s[a] * s[a] - 1.0).abs() < 1e-15);
            }
        }
    }

    // The earlier layout, with made-up travel at the two origins.
    let travel: Vec<f64> = (0..2 * 4000 * 3)
        .map(|i| 0.37 * (i % 101) as f64 - 7.0)
        .collect();
    {
        let file = hdf5::File::open_rw(&path).unwrap();
        let group = file.group("checkpoint").unwrap();
        group.unlink("origin_cos").unwrap();
        group.unlink("origin_sin").unwrap();
        group
            .new_dataset::<f64>()
            .shape([2, 4000, 3])
            .create("origins")
            .unwrap()
            .write_raw(&travel)
            .unwrap();
    }
    let earlier = pinch::monte_carlo::checkpoint::read(&path).unwrap();
    for (origin, values) in earlier.resumed.origins.iter().zip(travel.chunks(3 * 4000)) {
        let expected = pinch::monte_carlo::TimeOrigin::new(
            origin.sweep,
            &values
                .chunks(3)
                .map(|x| [x[0], x[1], x[2]])
                .collect::<Vec<_>>(),
            k,
        );
        assert!(*origin == expected, "origin {} converted", origin.sweep);
    }
    success(&pinch(
        d,
        &[
            "equilibrate",
            "--resume",
            "--sweeps",
            "30",
            "--out",
            "part.h5",
        ],
    ));
}

#[test]
fn until_stationary_stops_at_the_first_passing_test_and_a_ladder_start_passes_sooner() {
    let directory = tempfile::tempdir().unwrap();
    let common = [
        "--measure-interval",
        "10",
        "--origin-interval",
        "50",
        "--max-lag",
        "1000",
        "--tau-alpha-multiple",
        "3",
        "--sweeps",
        "40000",
        "--until-stationary",
        "--log-level",
        "warn",
    ];
    let run = |extra: &[&str], out: &str| {
        let mut args = vec!["equilibrate", "--seed", "3", "--out", out];
        args.extend_from_slice(extra);
        args.extend_from_slice(&common);
        success(&pinch(directory.path(), &args));
        let file = directory.path().join(out);
        let scalar = |name: &str| {
            pinch::io::h5md::read_array_f64(&file, &format!("observables/{name}"))
                .unwrap()
                .unwrap()
                .0[0]
        };
        (
            scalar("equilibrated_at"),
            scalar("sweeps"),
            scalar("tau_alpha"),
        )
    };
    // From a random start at T_p = 3.0 (N = 500), then one step down the ladder to 2.0, with and
    // without the burn-in.
    let (hot, hot_sweeps, _) = run(&["-n", "500", "-t", "3.0"], "hot.h5");
    assert_eq!(hot, hot_sweeps, "the run stops where it passed");
    assert_eq!(hot % 1000.0, 0.0, "tests come every 1,000 sweeps: {hot}");
    let (halves, _, tau) = run(&["--in", "hot.h5", "-t", "2.0"], "halves.h5");
    let (burnt_in, _, _) = run(
        &["--in", "hot.h5", "-t", "2.0", "--burn-in-tau-alpha", "4"],
        "burnt-in.h5",
    );
    assert!(halves >= 32.0 * tau, "{halves} sweeps, tau_alpha {tau}");
    assert!(burnt_in < halves, "{burnt_in} against {halves} sweeps");
}

#[test]
fn a_run_that_only_samples_keeps_its_trajectory_and_measures_as_told() {
    // From sweep 600, a run that samples (as a stationary chain does) follows no F_s and measures every
    // 200 sweeps; its trajectory is bit for bit that of the run that measures throughout, also when
    // sampling is asked for on resuming a checkpoint, and on 2 ranks.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let common = [
        "-n",
        "1000",
        "--seed",
        "4",
        "-t",
        "0.8",
        "--measure-interval",
        "20",
        "--origin-interval",
        "100",
        "--max-lag",
        "400",
    ];
    let run = |out: &str, extra: &[&str]| {
        let mut args = vec!["equilibrate", "--sweeps", "1400", "--out", out];
        args.extend(common);
        args.extend(extra);
        success(&pinch(d, &args));
    };
    run("dense.h5", &[]);
    let sampling = [
        "--sampling-from",
        "600",
        "--sampling-measure-interval",
        "200",
    ];
    run("sampling.h5", &sampling);
    let mut args = vec!["equilibrate", "--sweeps", "1400", "--out", "sampling-2.h5"];
    args.extend(common);
    args.extend(sampling);
    success(&pinch_mpi(d, 2, &args));
    // The same run stopped at 600 and resumed as a sampling run.
    let mut args = vec!["equilibrate", "--sweeps", "600", "--out", "resumed.h5"];
    args.extend(common);
    success(&pinch(d, &args));
    success(&pinch(
        d,
        &[
            "equilibrate",
            "--resume",
            "--sweeps",
            "1400",
            "--out",
            "resumed.h5",
            "--sampling-from",
            "600",
            "--sampling-measure-interval",
            "200",
        ],
    ));
    let positions = |name: &str| f64s(&d.join(name), "particles/all/position");
    for name in ["sampling.h5", "sampling-2.h5", "resumed.h5"] {
        assert_eq!(positions(name), positions("dense.h5"), "{name}");
        let sweeps =
            pinch::io::h5md::read_array_u64(&d.join(name), "observables/equilibration/sweep")
                .unwrap()
                .unwrap()
                .0;
        let expected: Vec<u64> = (1..=30)
            .map(|k| 20 * k)
            .chain([800, 1000, 1200, 1400])
            .collect();
        assert_eq!(sweeps, expected, "{name}");
    }
    // Energies at the sweeps both measured are the same bits.
    let energy = |name: &str| {
        f64s(
            &d.join(name),
            "observables/equilibration/energy_per_particle",
        )
    };
    let (dense, sampling) = (energy("dense.h5"), energy("sampling.h5"));
    assert_eq!(sampling[..30], dense[..30]);
    assert_eq!(sampling[30..], [dense[39], dense[49], dense[59], dense[69]]);
}
