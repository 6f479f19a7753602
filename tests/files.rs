//! Configuration files through the command line: generate, import/export round trips, inspect, help.

mod common;

use common::*;
use pinch::io::h5md;

#[test]
fn import_export_round_trip_is_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    success(&pinch(
        d,
        &["generate", "-n", "1500", "--seed", "7", "-o", "a.h5"],
    ));
    success(&pinch(d, &["export", "a.h5", "a.xyz"]));
    success(&pinch(d, &["import", "a.xyz", "b.h5"]));
    success(&pinch(d, &["export", "b.h5", "b.xyz"]));
    let (a, b) = (
        h5md::read(&d.join("a.h5")).unwrap(),
        h5md::read(&d.join("b.h5")).unwrap(),
    );
    assert_eq!(
        a.configuration.box_length.to_bits(),
        b.configuration.box_length.to_bits()
    );
    let bits = |c: &pinch::model::Configuration| -> Vec<u64> {
        c.positions
            .iter()
            .flatten()
            .chain(&c.sizes)
            .map(|x| x.to_bits())
            .collect()
    };
    assert_eq!(bits(&a.configuration), bits(&b.configuration));
    assert_eq!(
        std::fs::read(d.join("a.xyz")).unwrap(),
        std::fs::read(d.join("b.xyz")).unwrap()
    );
}

#[test]
fn generate_is_reproducible_and_seed_dependent() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, seed) in [("a.xyz", "3"), ("b.xyz", "3"), ("c.xyz", "4")] {
        success(&pinch(
            d,
            &["generate", "-n", "500", "--seed", seed, "-o", name],
        ));
    }
    let read = |n: &str| std::fs::read(d.join(n)).unwrap();
    assert_eq!(read("a.xyz"), read("b.xyz"));
    assert_ne!(read("a.xyz"), read("c.xyz"));
}

#[test]
fn inspect_reports_the_stored_and_evaluated_observables() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    success(&pinch(
        d,
        &["generate", "-n", "2000", "--seed", "1", "-o", "g.h5"],
    ));
    let report = json(&pinch(d, &["inspect", "g.h5", "--json"]));
    assert_eq!(report["n_particles"], 2000);
    let box_length = report["box_length"].as_f64().unwrap();
    assert!((box_length - (2000.0f64 / 0.58).cbrt()).abs() < 1e-12);
    for key in ["energy_per_particle", "max_force", "pressure"] {
        assert!(report[key].as_f64().unwrap() > 0.0, "{key}");
    }
    assert_eq!(report["model_source"], "file");
    assert_eq!(report["provenance"]["seed"], 1);
    assert_eq!(report["provenance"]["program"], "pinch");
    // The same configuration as extended XYZ gives the same numbers.
    success(&pinch(d, &["export", "g.h5", "g.xyz"]));
    let from_xyz = json(&pinch(d, &["inspect", "g.xyz", "--json"]));
    assert_eq!(
        from_xyz["energy_per_particle"],
        report["energy_per_particle"]
    );
    assert_eq!(from_xyz["pressure"], report["pressure"]);
    // A different model changes the energy.
    std::fs::write(d.join("short.toml"), "cutoff = 1.4\n").unwrap();
    let short = json(&pinch(
        d,
        &["inspect", "g.h5", "--json", "--model", "short.toml"],
    ));
    assert_ne!(short["energy_per_particle"], report["energy_per_particle"]);
    assert_eq!(short["model"]["cutoff"], 1.4);
    // Without --json: a readable table.
    let table = success(&pinch(d, &["inspect", "g.h5"]));
    assert!(table.contains("energy_per_particle"), "{table}");
}

#[test]
fn every_command_documents_itself() {
    let dir = tempfile::tempdir().unwrap();
    let top = success(&pinch(dir.path(), &["--help"]));
    for command in ["generate", "import", "export", "inspect", "selftest"] {
        assert!(top.contains(command), "top-level help lacks {command}");
        let help = success(&pinch(dir.path(), &[command, "--help"]));
        assert!(help.contains("Usage: pinch"), "{command}: {help}");
    }
    let generate = success(&pinch(dir.path(), &["generate", "--help"]));
    for option in ["--n-particles", "--seed", "--out", "--model", "--log-level"] {
        assert!(generate.contains(option), "generate --help lacks {option}");
    }
    let selftest = success(&pinch(dir.path(), &["selftest", "--help"]));
    assert!(
        selftest.contains("PETSC_OPTIONS") && selftest.contains("--grid"),
        "{selftest}"
    );
}

/// On a CPU with AVX2 or AVX-512, the dense kernels under the factorisations are never OpenBLAS's
/// generic ones (which an OpenBLAS older than the CPU falls back to) unless `OPENBLAS_CORETYPE` asks
/// for them, and a choice made with `OPENBLAS_CORETYPE` stands.
#[test]
fn blas_kernels_fit_the_cpu_unless_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let blas = |coretype: Option<&str>| {
        let mut command = std::process::Command::new(PINCH);
        command
            .args([
                "generate",
                "-n",
                "200",
                "--seed",
                "1",
                "-o",
                "g.h5",
                "--log-level",
                "debug",
            ])
            .current_dir(dir.path());
        match coretype {
            Some(kernels) => command.env("OPENBLAS_CORETYPE", kernels),
            None => command.env_remove("OPENBLAS_CORETYPE"),
        };
        let output = command.output().expect("pinch runs");
        success(&output);
        let log = stderr(&output);
        log.lines()
            .find_map(|line| line.split_once("BLAS: ").map(|(_, b)| b.to_string()))
            .unwrap_or_else(|| panic!("no BLAS line in the debug log:\n{log}"))
    };
    let automatic = blas(None);
    if !automatic.starts_with("OpenBLAS") {
        eprintln!("the BLAS is not OpenBLAS ({automatic}): nothing to check");
        return;
    }
    if pinch::blas::kernels_for_this_cpu().is_some() {
        assert!(
            !automatic.split_whitespace().any(pinch::blas::is_generic),
            "generic kernels on a CPU with AVX2: {automatic}"
        );
    }
    let chosen = blas(Some("Prescott"));
    assert!(
        chosen.split_whitespace().any(|word| word == "Prescott"),
        "OPENBLAS_CORETYPE=Prescott not honoured: {chosen}"
    );
}

#[test]
fn exported_mode_fields_read_back_with_ase_and_h5py() {
    // A glass's lowest modes as per-particle vector columns: ASE reads them with the right shape and
    // unit norm, equal to the stored eigenvectors, with their frequency, participation ratio and
    // centre in the header; the H5MD export holds the same field.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    success(&pinch(
        d,
        &["generate", "-n", "500", "--seed", "4", "-o", "liquid.h5"],
    ));
    success(&pinch(
        d,
        &["quench", "--in", "liquid.h5", "--out", "glass.h5"],
    ));
    success(&pinch(
        d,
        &[
            "modes",
            "--in",
            "glass.h5",
            "--out",
            "modes.h5",
            "--modes",
            "4",
            "--mode-vectors",
        ],
    ));
    for out in ["fields.xyz", "fields.h5"] {
        success(&pinch(
            d,
            &["export", "modes.h5", out, "--mode", "0", "--mode", "3"],
        ));
    }
    let report = python_json(
        d,
        "read_fields.py",
        &["modes.h5", "fields.xyz", "fields.h5", "0", "3"],
    );
    assert_eq!(report["n"], 500);
    assert!(
        report["properties"]
            .as_str()
            .unwrap()
            .ends_with(":mode_0:R:3:mode_3:R:3"),
        "{report}"
    );
    assert!(report["positions_against_h5"].as_f64().unwrap() == 0.0);
    for name in ["mode_0", "mode_3"] {
        let field = &report["fields"][name];
        assert_eq!(field["shape"], serde_json::json!([500, 3]), "{name}");
        let close = |key: &str, other: &str, tolerance: f64| {
            let (a, b) = (field[key].as_f64().unwrap(), field[other].as_f64().unwrap());
            assert!(
                (a - b).abs() <= tolerance * b.abs(),
                "{name}: {key} {a} against {b}"
            );
        };
        assert!(
            (field["norm"].as_f64().unwrap() - 1.0).abs() < 1e-12,
            "{field}"
        );
        assert!(field["against_stored"].as_f64().unwrap() < 1e-12, "{field}");
        assert!(field["h5_against_xyz"].as_f64().unwrap() == 0.0, "{field}");
        close("frequency", "stored_frequency", 0.0);
        close("participation_ratio", "stored_participation_ratio", 1e-10);
        assert_eq!(field["centre"], field["stored_centre"], "{field}");
        assert_eq!(
            field["h5_attributes"],
            serde_json::json!([
                "centre",
                "eigenvalue",
                "frequency",
                "index",
                "participation_ratio"
            ])
        );
    }
}
