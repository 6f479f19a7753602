//! `pinch sample`, `modes`, `shear` and `dipoles`: checked against dense linear algebra on an
//! independent Hessian (matscipy + LAPACK, `tests/python/reference_response.py`), equal on 1 and 2
//! ranks, and an unstable state flagged.

mod common;

use common::*;
use serde_json::Value;

/// Writes a random configuration of `n` particles (`liquid.h5`) and its inherent state, quenched on
/// 2 ranks (`glass.h5`), into `directory`.
fn quenched_glass(directory: &std::path::Path, n: &str, seed: &str) {
    success(&pinch(
        directory,
        &["generate", "-n", n, "--seed", seed, "-o", "liquid.h5"],
    ));
    success(&pinch_mpi(
        directory,
        2,
        &["quench", "--in", "liquid.h5", "--out", "glass.h5"],
    ));
}

/// Writes a random configuration of `n` particles (`liquid-<seed>.h5`) and, by `pinch sample` with
/// `options`, a poorly annealed glass measured from it (`out`), into `directory`.
fn sampled_glass(directory: &std::path::Path, n: &str, seed: &str, out: &str, options: &[&str]) {
    let liquid = format!("liquid-{seed}.h5");
    success(&pinch(
        directory,
        &["generate", "-n", n, "--seed", seed, "-o", &liquid],
    ));
    let mut args = vec!["sample", "--in", &liquid, "--out", out];
    args.extend(options);
    success(&pinch(directory, &args));
}

fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

fn assert_close(a: &[f64], b: &[f64], tolerance: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (x, y) in a.iter().zip(b) {
        assert!(
            (x - y).abs() <= tolerance * y.abs().max(1e-300),
            "{what}: {x} vs {y} (relative tolerance {tolerance})"
        );
    }
}

/// The eigenvalues, shear moduli of the three planes, dipole pairs, dᵀH⁺d and dᵀH⁺²d of the `inspect`
/// reports `a` and `b` agree to `tolerance`.
fn assert_same_measurements(a: &Value, b: &Value, tolerance: f64, what: &str) {
    assert_close(
        &numbers(&b["eigenvalues"]),
        &numbers(&a["eigenvalues"]),
        tolerance,
        &format!("{what}: eigenvalues"),
    );
    for plane in ["xy", "xz", "yz"] {
        assert_close(
            &[b["shear_modulus"][plane].as_f64().unwrap()],
            &[a["shear_modulus"][plane].as_f64().unwrap()],
            tolerance,
            &format!("{what}: shear modulus {plane}"),
        );
    }
    assert_eq!(
        a["dipoles"]["pairs"], b["dipoles"]["pairs"],
        "{what}: pairs"
    );
    for key in ["d_hinv_d", "d_hinv2_d"] {
        assert_close(
            &numbers(&b["dipoles"][key]),
            &numbers(&a["dipoles"][key]),
            tolerance,
            &format!("{what}: {key}"),
        );
    }
}

#[test]
fn mpi_sample_agrees_with_dense_linear_algebra_and_across_rank_counts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    success(&pinch(
        d,
        &["generate", "-n", "400", "--seed", "3", "-o", "liquid.h5"],
    ));
    let mut reports = Vec::new();
    for ranks in [1, 2] {
        let out = format!("sample{ranks}.h5");
        success(&pinch_mpi(
            d,
            ranks,
            &[
                "sample",
                "--in",
                "liquid.h5",
                "--out",
                &out,
                "--modes",
                "12",
                "--dipoles",
                "40",
                "--batch",
                "16",
            ],
        ));
        reports.push(json(&pinch(d, &["inspect", "--json", &out])));
    }
    let (one, two) = (&reports[0], &reports[1]);
    assert_eq!(one["stable"], Value::Bool(true), "{one}");
    let eigenvalues = numbers(&one["eigenvalues"]);
    assert_eq!(eigenvalues.len(), 12);
    assert!(eigenvalues.windows(2).all(|w| w[0] <= w[1]) && eigenvalues[0] > 0.0);
    assert_close(
        &numbers(&two["eigenvalues"]),
        &eigenvalues,
        1e-8,
        "eigenvalues, 2 ranks",
    );
    for plane in ["xy", "xz", "yz", "mean"] {
        let (a, b) = (
            one["shear_modulus"][plane].as_f64().unwrap(),
            two["shear_modulus"][plane].as_f64().unwrap(),
        );
        assert_close(&[b], &[a], 1e-8, &format!("shear modulus {plane}, 2 ranks"));
    }
    let dipoles = &one["dipoles"];
    assert_eq!(
        dipoles["pairs"], two["dipoles"]["pairs"],
        "the same pairs on 2 ranks"
    );
    assert_eq!(dipoles["pairs"].as_array().unwrap().len(), 40);
    for key in ["d_hinv_d", "d_hinv2_d", "omega"] {
        assert_close(
            &numbers(&two["dipoles"][key]),
            &numbers(&dipoles[key]),
            1e-8,
            &format!("{key}, 2 ranks"),
        );
    }
    // Driven by a frequency instead of a count: every mode below ω_max, here between the 10th and 11th.
    let max_frequency = (0.5 * (eigenvalues[9] + eigenvalues[10]))
        .sqrt()
        .to_string();
    success(&pinch_mpi(
        d,
        2,
        &[
            "modes",
            "--in",
            "sample1.h5",
            "--out",
            "below.h5",
            "--modes",
            "4",
            "--max-frequency",
            &max_frequency,
        ],
    ));
    let below = json(&pinch(d, &["inspect", "--json", "below.h5"]));
    assert_close(
        &numbers(&below["eigenvalues"]),
        &eigenvalues[..10],
        1e-8,
        "the modes below omega_max",
    );
    let omega = numbers(&dipoles["omega"]);
    let mean = omega.iter().sum::<f64>() / omega.len() as f64;
    assert_close(
        &[dipoles["omega_g"].as_f64().unwrap()],
        &[mean],
        1e-12,
        "omega_g",
    );

    // Both runs (1 and 2 ranks) against the dense reference, profiles and mode centres included.
    for file in ["sample1.h5", "sample2.h5"] {
        let reference = python_json(d, "reference_response.py", &[file]);
        for (key, tolerance) in [
            ("eigenvalues", 1e-10),
            ("participation_ratios", 1e-8),
            ("centres", 0.0),
            ("mode_profiles", 1e-8),
            ("shear_born", 1e-11),
            ("shear_nonaffine", 1e-9),
            ("shear", 1e-9),
            ("bulk_nonaffine", 1e-9),
            ("bulk", 1e-9),
            ("pressure", 1e-11),
            ("d_hinv_d", 1e-9),
            ("d_hinv2_d", 1e-9),
            ("dipole_profile", 1e-8),
        ] {
            let deviation = reference[key].as_f64().unwrap();
            assert!(
                deviation <= tolerance,
                "{file}: {key}: deviation {deviation:e} from the dense reference (tolerance {tolerance:e}): {reference}"
            );
        }
    }

    // The elastic constants as derivatives of the stress under finite strain, with re-relaxation.
    let finite = python_json(d, "finite_strain.py", &["sample1.h5"]);
    assert_close(
        &[one["shear_modulus"]["xy"].as_f64().unwrap()],
        &[finite["shear_xy"].as_f64().unwrap()],
        1e-6,
        "G_xy against d sigma_xy / d gamma",
    );
    assert_close(
        &[one["bulk_modulus"].as_f64().unwrap()],
        &[finite["bulk"].as_f64().unwrap()],
        1e-6,
        "K against -V dp/dV",
    );
}

#[test]
fn mpi_an_unstable_state_is_flagged_and_exits_with_status_5() {
    // A simple cubic lattice of equal spheres: zero forces by symmetry, but with only (compressed)
    // nearest neighbours in range its transverse stiffness φ'/r is negative.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let parameters = pinch::model::ModelParameters::default();
    let m = 8;
    let n = m * m * m;
    let box_length = parameters.box_length(n);
    let spacing = box_length / m as f64;
    let positions = (0..n)
        .map(|i| [i / (m * m), (i / m) % m, i % m].map(|c| (c as f64 + 0.5) * spacing))
        .collect();
    let lattice = pinch::model::Configuration::new(box_length, positions, vec![1.0; n]).unwrap();
    pinch::io::h5md::write(
        &d.join("lattice.h5"),
        &lattice,
        &parameters,
        &pinch::provenance::Provenance::of_this_run(None, 1),
        &Default::default(),
    )
    .unwrap();
    // CHOLMOD (on one rank, and on each of several ranks with the whole matrix) cannot factor the
    // indefinite shifted Hessian; pinch then turns to MUMPS. (The spectrum is highly degenerate, so
    // which negative eigenvalues are found nearest the target varies.)
    for ranks in [1, 2] {
        let args = [
            "modes",
            "--in",
            "lattice.h5",
            "--out",
            "modes.h5",
            "--modes",
            "6",
        ];
        let output = if ranks == 1 {
            pinch(d, &args)
        } else {
            pinch_mpi(d, ranks, &args)
        };
        assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
        assert!(stderr(&output).contains("unstable"), "{}", stderr(&output));
        let report = json(&pinch(d, &["inspect", "--json", "modes.h5"]));
        assert_eq!(report["stable"], Value::Bool(false), "{report}");
        assert!(numbers(&report["eigenvalues"])[0] < 0.0, "{report}");
    }
}

#[test]
fn measurements_refuse_a_state_that_is_not_an_inherent_state() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    success(&pinch(
        d,
        &["generate", "-n", "300", "--seed", "1", "-o", "liquid.h5"],
    ));
    for command in ["modes", "shear", "dipoles"] {
        let output = pinch(d, &[command, "--in", "liquid.h5", "--out", "out.h5"]);
        assert!(!output.status.success());
        assert!(
            stderr(&output).contains("not an inherent state"),
            "{command}: {}",
            stderr(&output)
        );
        assert!(!d.join("out.h5").exists());
    }
}

#[test]
fn mpi_the_iterative_solvers_of_large_systems_agree_with_the_direct_ones() {
    // The defaults above 50,000 particles (LOBPCG and conjugate gradients with GAMG), forced here on a
    // small state, against the factorisation used below.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    quenched_glass(d, "500", "8");
    // The defaults of large systems, applied to a small one.
    let iterative_options: Vec<&str> = pinch::modes::ITERATIVE_SOLVER
        .iter()
        .chain(&pinch::response::ITERATIVE_SOLVER)
        .flat_map(|&(option, value)| [option, value])
        .collect();
    let mut reports = Vec::new();
    for (name, options) in [("direct", &[][..]), ("iterative", &iterative_options[..])] {
        let out = format!("{name}.h5");
        let mut args = vec![
            "sample",
            "--in",
            "glass.h5",
            "--out",
            &out,
            "--modes",
            "6",
            "--dipoles",
            "10",
            "--",
        ];
        args.extend_from_slice(options);
        success(&pinch_mpi(d, 2, &args));
        reports.push(json(&pinch(d, &["inspect", "--json", &out])));
    }
    assert_same_measurements(
        &reports[0],
        &reports[1],
        1e-8,
        "LOBPCG and conjugate gradients",
    );
}

#[test]
fn mpi_a_krylov_solve_stopped_short_is_an_error_naming_why() {
    // A solver of the user's own whose iteration limit is too small to converge: the limit stands for
    // every block of right-hand sides, and the run ends with an error naming the solver's options
    // prefix and the reason, whether pinch finds it or PETSc raises it (`ksp_error_if_not_converged`),
    // on 1 and 2 ranks; nothing is written.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    quenched_glass(d, "300", "3");
    for ranks in [1, 2] {
        for raised_by_petsc in [false, true] {
            let mut args = vec![
                "dipoles",
                "--in",
                "glass.h5",
                "--out",
                "dipoles.h5",
                "--dipoles",
                "6",
                "--",
                "-response_ksp_type",
                "cg",
                "-response_pc_type",
                "jacobi",
                "-response_ksp_max_it",
                "3",
            ];
            if raised_by_petsc {
                args.push("-response_ksp_error_if_not_converged");
            }
            let output = pinch_mpi(d, ranks, &args);
            let log = stderr(&output);
            let case = format!("{ranks} ranks, raised by PETSc: {raised_by_petsc}");
            assert!(!output.status.success(), "{case}: the solves converged");
            assert!(
                log.contains("DIVERGED_ITS") && log.contains("response_"),
                "{case}: {log}"
            );
            assert!(
                !log.contains("signal") && !log.contains("Segmentation"),
                "{case}: crashed: {log}"
            );
            assert!(!d.join("dipoles.h5").exists(), "{case}");
        }
    }
}

#[test]
fn mpi_distributed_factors_agree_with_the_factor_on_every_rank() {
    // Up to 20,000 particles several ranks each factor the whole Hessian (CHOLMOD) and share the
    // right-hand sides out; above, one MUMPS factor is spread over the ranks. Both, on 2 ranks, against
    // one rank. On this state MUMPS once ran out of workspace with its inertia (ICNTL(13)) on.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    quenched_glass(d, "2000", "1");
    let distributed = [
        "-modes_st_pc_type",
        "cholesky",
        "-modes_st_pc_factor_mat_solver_type",
        "mumps",
        "-response_pc_factor_mat_solver_type",
        "mumps",
    ];
    let mut reports = Vec::new();
    for (name, ranks, options) in [
        ("one", 1, &[][..]),
        ("replicated", 2, &[][..]),
        ("distributed", 2, &distributed[..]),
    ] {
        let out = format!("{name}.h5");
        let mut args = vec![
            "sample",
            "--in",
            "glass.h5",
            "--out",
            &out,
            "--modes",
            "20",
            "--dipoles",
            "100",
            // The last batch holds one right-hand side: one rank solves it, the other none.
            "--batch",
            "33",
            "--",
            "-response_ksp_view",
            "-modes_eps_view",
        ];
        args.extend_from_slice(options);
        let output = pinch_mpi(d, ranks, &args);
        success(&output);
        let view = String::from_utf8_lossy(&output.stdout);
        let package = if name == "distributed" {
            "mumps"
        } else {
            "cholmod"
        };
        assert!(
            view.contains("Factored matrix follows") && view.contains(package),
            "{name}: the factor by {package} in\n{view}"
        );
        reports.push(json(&pinch(d, &["inspect", "--json", &out])));
    }
    assert_same_measurements(&reports[0], &reports[1], 1e-8, "replicated factor, 2 ranks");
    assert_same_measurements(
        &reports[0],
        &reports[2],
        1e-8,
        "distributed factor, 2 ranks",
    );
}

#[test]
fn mpi_exported_pinch_responses_equal_the_stored_pinches_and_a_dense_reference() {
    // `pinch export --softest-response` recomputes the response of the stored pair of lowest
    // omega^(ij) and `--response I,J` that of a chosen pair: on 1 and 2 ranks their omega^(ij) equals
    // the one `pinch dipoles` stored, and the normalised fields equal u = H+ d from an independent
    // dense Hessian, as ASE reads them.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    quenched_glass(d, "300", "5");
    success(&pinch(
        d,
        &[
            "dipoles",
            "--in",
            "glass.h5",
            "--out",
            "dipoles.h5",
            "--all-dipoles",
        ],
    ));
    let stored = |member: &str| {
        pinch::io::h5md::read_array_f64(&d.join("dipoles.h5"), member)
            .unwrap()
            .unwrap()
            .0
    };
    let omega = stored("dipoles/omega");
    let pairs = pinch::io::h5md::read_array_u64(&d.join("dipoles.h5"), "dipoles/pairs")
        .unwrap()
        .unwrap()
        .0;
    let softest = (0..omega.len())
        .min_by(|&a, &b| omega[a].total_cmp(&omega[b]))
        .unwrap();
    let chosen = (softest + omega.len() / 2) % omega.len();
    let chosen_pair = format!("{},{}", pairs[2 * chosen], pairs[2 * chosen + 1]);
    for ranks in [1, 2] {
        let out = format!("fields-{ranks}.xyz");
        success(&pinch_mpi(
            d,
            ranks,
            &[
                "export",
                "dipoles.h5",
                &out,
                "--softest-response",
                "--response",
                &chosen_pair,
                "--softness",
            ],
        ));
        let report = python_json(
            d,
            "reference_pinch_field.py",
            &["glass.h5", &out, "dipoles.h5"],
        );
        let softness = &report["softness"];
        assert!(
            softness["local_omega_min"].as_f64().unwrap() < 1e-12,
            "{softness}"
        );
        assert!(
            softness["local_omega_mean"].as_f64().unwrap() < 1e-12,
            "{softness}"
        );
        assert_eq!(softness["same_missing"], true, "{softness}");
        for (index, expected_omega) in [(softest, omega[softest]), (chosen, omega[chosen])] {
            let name = format!("response_{}_{}", pairs[2 * index], pairs[2 * index + 1]);
            let field = &report[&name];
            assert_eq!(
                field["shape"],
                serde_json::json!([300, 3]),
                "{ranks}: {report}"
            );
            assert!(
                (field["norm"].as_f64().unwrap() - 1.0).abs() < 1e-12,
                "{field}"
            );
            assert!(
                field["field_deviation"].as_f64().unwrap() < 1e-8,
                "{ranks}: {field}"
            );
            assert!(
                field["omega_deviation"].as_f64().unwrap() < 1e-9,
                "{ranks}: {field}"
            );
            let header = std::fs::read_to_string(d.join(&out)).unwrap();
            let line = header.lines().nth(1).unwrap();
            let exported: f64 = line
                .split_whitespace()
                .find_map(|entry| entry.strip_prefix(&format!("{name}_omega=")))
                .unwrap()
                .parse()
                .unwrap();
            assert!(
                (exported - expected_omega).abs() < 1e-10 * expected_omega,
                "{ranks} ranks, {name}: exported omega {exported} against stored {expected_omega}"
            );
        }
    }
}

#[test]
fn the_softness_map_marks_the_lowest_quasilocalised_mode_beyond_chance() {
    // On poorly annealed glasses (quenched from random configurations), the centre of each glass's
    // lowest QLM (participation ratio below 0.15) ranks among its softest particles by local pinch
    // frequency (the lowest omega^(ij) of its pairs). A map unrelated to the modes would place it
    // uniformly: mean percentile 1/2 with standard deviation 1/sqrt(12 K) over K glasses.
    use pinch::analysis::softness::{lowest_qlm, softness_percentile};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut percentiles = Vec::new();
    for seed in 1..=6 {
        let sample = format!("sample-{seed}.h5");
        sampled_glass(
            d,
            "1000",
            &seed.to_string(),
            &sample,
            &["--modes", "20", "--all-dipoles"],
        );
        let path = d.join(&sample);
        let read = |member: &str| {
            pinch::io::h5md::read_array_f64(&path, member)
                .unwrap()
                .unwrap()
                .0
        };
        let participation = read("modes/participation_ratios");
        let centres = pinch::io::h5md::read_array_u64(&path, "modes/centres")
            .unwrap()
            .unwrap()
            .0;
        let Some(k) = lowest_qlm(&participation, 0.15) else {
            continue;
        };
        let map = read("dipoles/local_omega_min");
        percentiles.push(softness_percentile(&map, centres[k] as usize).unwrap());
    }
    let k = percentiles.len() as f64;
    assert!(k >= 4.0, "too few glasses with a QLM: {percentiles:?}");
    let mean = percentiles.iter().sum::<f64>() / k;
    let chance = (1.0 / (12.0 * k)).sqrt();
    println!(
        "lowest-QLM centres at percentiles {percentiles:?} of the softness map: mean {mean:.4} against 0.5 ± {chance:.4} by chance"
    );
    assert!(
        mean < 0.5 - 3.0 * chance,
        "the softness map does not mark the QLMs: mean percentile {mean} over {percentiles:?}"
    );
}

#[test]
fn mpi_soft_spot_figures_draw_the_lowest_qlm_and_the_pinch_of_its_core_pair() {
    // `pinch plot --soft-spots` on two ranks, for two poorly annealed glasses given as files: the
    // figures appear, and what they draw is checked against an independent reading (a dense Hessian
    // from matscipy): the lowest QLM under the lowest transverse phonon, the pair it stretches most,
    // and that pair's pinch response, which must look like the mode.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for seed in ["1", "2"] {
        sampled_glass(
            d,
            "500",
            seed,
            &format!("glass-{seed}.h5"),
            &["--dipoles", "10"],
        );
    }
    let python = python();
    let plot = [
        "plot",
        "--soft-spots",
        "--soft-spot-samples",
        "glass-1.h5,glass-2.h5",
        "--out",
        "figures",
        "--python",
        python.to_str().unwrap(),
    ];
    success(&pinch_mpi(d, 2, &plot));
    for name in ["soft-spots", "qlm-response-glass-1", "qlm-response-glass-2"] {
        for extension in ["png", "pdf"] {
            let path = d.join(format!("figures/{name}.{extension}"));
            assert!(std::fs::metadata(&path).unwrap().len() > 10_000, "{path:?}");
        }
    }
    let measurement = d.join("figures/soft-spots/glass-1.h5");
    let report = python_json(
        d,
        "check_soft_spots.py",
        &[
            measurement.to_str().unwrap(),
            d.join("figures/soft-spots/glass-1-fields.h5")
                .to_str()
                .unwrap(),
        ],
    );
    println!("{report}");
    assert_eq!(report["mode_drawn"], report["mode_expected"]);
    assert_eq!(report["pair_drawn"], report["pair_expected"]);
    assert!(report["core_size_deviation"].as_f64().unwrap() < 1e-12);
    assert!(report["percentile_deviation"].as_f64().unwrap() < 1e-12);
    assert!(report["mode_frequency_deviation"].as_f64().unwrap() < 1e-8);
    assert!(report["mode_dense_overlap"].as_f64().unwrap() > 1.0 - 1e-8);
    assert!(report["response_deviation"].as_f64().unwrap() < 1e-8);
    assert!(report["response_mode_overlap"].as_f64().unwrap() > 0.5);
    // A second run draws from the kept measurements.
    let modified = std::fs::metadata(&measurement).unwrap().modified().unwrap();
    success(&pinch(d, &plot));
    assert_eq!(
        std::fs::metadata(&measurement).unwrap().modified().unwrap(),
        modified
    );
}
