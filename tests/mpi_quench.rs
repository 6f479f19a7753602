//! `pinch quench` on 1–4 ranks: the same inherent state whatever the number of ranks, particles conserved,
//! the record of the quench stored, and failures reported without touching the input.

mod common;

use common::*;

fn read(path: &std::path::Path) -> pinch::io::h5md::StoredConfiguration {
    pinch::io::h5md::read(path).unwrap()
}

#[test]
fn mpi_quench_gives_the_same_inherent_state_on_1_to_4_ranks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    success(&pinch(
        d,
        &["generate", "-n", "2000", "--seed", "21", "-o", "liquid.h5"],
    ));
    let liquid = read(&d.join("liquid.h5"));
    let mut reference: Option<pinch::io::h5md::StoredConfiguration> = None;
    for ranks in 1..=4 {
        let out = format!("glass{ranks}.h5");
        success(&pinch_mpi(
            d,
            ranks,
            &["quench", "--in", "liquid.h5", "--out", &out],
        ));
        let glass = read(&d.join(&out));
        let o = &glass.observables;
        assert_eq!(o["quench_converged"], 1.0, "{o:?}");
        assert!(o["max_force"].as_f64().unwrap() < 1e-10, "{o:?}");
        assert!(
            o["quench_fire_steps"].as_f64().unwrap() > 0.0
                && o["quench_newton_steps"].as_f64().unwrap() > 0.0
        );
        // Same particles with the same sizes, in the same order.
        assert_eq!(glass.configuration.sizes, liquid.configuration.sizes);
        let energy = o["energy_per_particle"].as_f64().unwrap();
        assert!((5.5..7.0).contains(&energy), "energy per particle {energy}");
        match &reference {
            None => reference = Some(glass),
            Some(r) => {
                let e0 = r.observables["energy_per_particle"].as_f64().unwrap();
                assert!(
                    (energy - e0).abs() <= 1e-12 * e0,
                    "{ranks} ranks: energy {energy} vs {e0}"
                );
                let l = glass.configuration.box_length;
                let mut largest: f64 = 0.0;
                for (a, b) in glass
                    .configuration
                    .positions
                    .iter()
                    .zip(&r.configuration.positions)
                {
                    let d = pinch::model::minimum_image(*a, *b, l);
                    largest = largest.max(d.iter().fold(0.0f64, |m, x| m.max(x.abs())));
                }
                assert!(
                    largest <= 1e-8,
                    "{ranks} ranks: positions differ by {largest}"
                );
            }
        }
    }
}

#[test]
fn mpi_quench_that_cannot_converge_says_so_and_leaves_the_input_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    success(&pinch(
        d,
        &["generate", "-n", "1000", "--seed", "2", "-o", "liquid.h5"],
    ));
    let before = std::fs::read(d.join("liquid.h5")).unwrap();
    let output = pinch_mpi(
        d,
        2,
        &[
            "quench",
            "--in",
            "liquid.h5",
            "--out",
            "glass.h5",
            "--max-fire-steps",
            "20",
        ],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output)
            .contains("quench did not converge: FIRE did not bring the largest force below"),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read(d.join("liquid.h5")).unwrap(), before);
    let glass = read(&d.join("glass.h5"));
    assert_eq!(glass.observables["quench_converged"], 0.0);
    // Writing over the input is refused before any work.
    let output = pinch(d, &["quench", "--in", "liquid.h5", "--out", "liquid.h5"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("is the input file"),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read(d.join("liquid.h5")).unwrap(), before);
}

#[test]
fn mpi_quench_interrupted_by_a_signal_continues_from_its_checkpoint_as_if_never_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    success(&pinch(
        d,
        &["generate", "-n", "1000", "--seed", "5", "-o", "liquid.h5"],
    ));
    let before = std::fs::read(d.join("liquid.h5")).unwrap();
    success(&pinch(
        d,
        &["quench", "--in", "liquid.h5", "--out", "reference.h5"],
    ));
    let reference = read(&d.join("reference.h5"));
    let fire_steps = reference.observables["quench_fire_steps"].as_f64().unwrap() as u64;
    assert!(fire_steps > 300, "{fire_steps} FIRE steps");
    // Continuing needs a checkpoint.
    let output = pinch(d, &["quench", "--resume", "--out", "glass.h5"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("there is no checkpoint glass.checkpoint.h5"),
        "{}",
        stderr(&output)
    );

    // SIGTERM before the 301st FIRE step on 2 ranks, continued on 1 rank; then before the second
    // Newton step on 1 rank, continued on 1 rank. Polls come before every FIRE and Newton step.
    for (interrupting_ranks, poll, phase) in [(2, 300, "FIRE"), (1, fire_steps + 1, "Newton")] {
        let faults = format!("quench-signal={poll}*off->return");
        let output = std::process::Command::new("mpirun")
            .args(["-n", &interrupting_ranks.to_string(), PINCH])
            .args(["quench", "--in", "liquid.h5", "--out", "glass.h5"])
            .current_dir(d)
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .env_remove("PETSC_OPTIONS")
            .env("PINCH_FAILPOINTS", &faults)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
        assert!(!d.join("glass.h5").exists());
        let checkpoint = d.join("glass.checkpoint.h5");
        let phase_stored = pinch::io::h5md::read_attribute_group(&checkpoint, "checkpoint")
            .unwrap()
            .unwrap()["phase"]
            .clone();
        assert_eq!(phase_stored, phase);
        // The checkpoint is a configuration file like any other.
        assert_eq!(read(&checkpoint).configuration.len(), 1000);

        success(&pinch(d, &["quench", "--resume", "--out", "glass.h5"]));
        assert!(
            !checkpoint.exists(),
            "the finished quench leaves its checkpoint"
        );
        let glass = read(&d.join("glass.h5"));
        for key in [
            "quench_fire_steps",
            "quench_newton_steps",
            "quench_linear_iterations",
            "energy_per_particle",
            "max_force",
        ] {
            assert_eq!(
                glass.observables[key], reference.observables[key],
                "{key} after an interruption in {phase}"
            );
        }
        assert_eq!(
            glass.configuration.positions, reference.configuration.positions,
            "positions after an interruption in {phase}"
        );
        std::fs::remove_file(d.join("glass.h5")).unwrap();
    }
    assert_eq!(std::fs::read(d.join("liquid.h5")).unwrap(), before);
}
