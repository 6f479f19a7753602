//! The distributed engine on 1–4 ranks (3 and 4 oversubscribed): forces equal the serial model to
//! 1e-13 of each particle's force scale, and are bitwise identical whatever the number of ranks.

mod common;

use common::*;
use pinch::model::{ModelParameters, evaluate, for_each_interacting_pair};
use pinch::testing::spread_configuration;

fn forces_of(path: &std::path::Path) -> Vec<[f64; 3]> {
    let file = hdf5::File::open(path).unwrap();
    let flat = file
        .dataset("particles/all/force")
        .unwrap()
        .read_raw::<f64>()
        .unwrap();
    flat.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect()
}

#[test]
fn mpi_distributed_forces_equal_the_serial_model_on_1_to_4_ranks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let parameters = ModelParameters::default();
    let potential = parameters.potential();
    let configuration = spread_configuration(&parameters, 4000, 11);
    let provenance = pinch::provenance::Provenance::of_this_run(Some(11), 1);
    pinch::io::h5md::write(
        &d.join("c.h5"),
        &configuration,
        &parameters,
        &provenance,
        &Default::default(),
    )
    .unwrap();

    let serial = evaluate(&configuration, &potential);
    let mut scale = vec![0.0f64; configuration.len()];
    for_each_interacting_pair(&configuration, &potential, |i, j, _, r2, size| {
        let magnitude = potential.energy_and_slope(r2, size).1.abs() * r2.sqrt();
        scale[i] += magnitude;
        scale[j] += magnitude;
    });

    let mut reference: Option<Vec<[f64; 3]>> = None;
    for ranks in 1..=4 {
        let out = format!("e{ranks}.h5");
        success(&pinch_mpi(d, ranks, &["evaluate", "c.h5", &out]));
        let forces = forces_of(&d.join(&out));
        for (i, (f, s)) in forces.iter().zip(&serial.forces).enumerate() {
            for a in 0..3 {
                assert!(
                    (f[a] - s[a]).abs() <= 1e-13 * scale[i],
                    "{ranks} ranks, particle {i}: {} vs serial {}",
                    f[a],
                    s[a]
                );
            }
        }
        let stored = pinch::io::h5md::read(&d.join(&out)).unwrap();
        let energy = stored.observables["energy_per_particle"].as_f64().unwrap();
        assert!((energy - serial.energy_per_particle()).abs() <= 1e-13 * energy.abs());
        let pressure = stored.observables["pressure"].as_f64().unwrap();
        assert!(
            (pressure - serial.pressure(configuration.volume())).abs() <= 1e-13 * pressure.abs()
        );
        match &reference {
            None => reference = Some(forces),
            Some(r) => {
                let bits =
                    |v: &[[f64; 3]]| v.iter().flatten().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(r),
                    bits(&forces),
                    "forces on {ranks} ranks differ from 1 rank"
                );
            }
        }
    }
}

#[test]
fn mpi_too_many_ranks_for_the_box_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    success(&pinch(
        d,
        &["generate", "-n", "400", "--seed", "1", "-o", "small.h5"],
    ));
    let output = pinch_mpi(d, 3, &["evaluate", "small.h5", "out.h5"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("use fewer ranks or more particles"),
        "{}",
        stderr(&output)
    );
}

fn read_csr(path: &std::path::Path) -> (Vec<u64>, Vec<u64>, Vec<f64>) {
    let file = hdf5::File::open(path).unwrap();
    let read_u64 = |name: &str| file.dataset(name).unwrap().read_raw::<u64>().unwrap();
    (
        read_u64("hessian/indptr"),
        read_u64("hessian/indices"),
        file.dataset("hessian/data")
            .unwrap()
            .read_raw::<f64>()
            .unwrap(),
    )
}

#[test]
fn mpi_hessian_is_identical_on_1_to_4_ranks_and_equals_the_serial_operator() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let parameters = ModelParameters::default();
    let configuration = spread_configuration(&parameters, 3000, 12);
    let provenance = pinch::provenance::Provenance::of_this_run(Some(12), 1);
    pinch::io::h5md::write(
        &d.join("c.h5"),
        &configuration,
        &parameters,
        &provenance,
        &Default::default(),
    )
    .unwrap();
    let mut reference = None;
    for ranks in 1..=4 {
        let out = format!("h{ranks}.h5");
        success(&pinch_mpi(d, ranks, &["hessian", "c.h5", &out]));
        let (indptr, indices, data) = read_csr(&d.join(&out));
        match &reference {
            None => {
                // H v against the serial reference (Σ_j K_ij (v_i − v_j)) for a fixed v.
                let v: Vec<[f64; 3]> = (0..configuration.len())
                    .map(|i| [(0.3 * i as f64).sin(), (0.7 * i as f64).cos(), 0.1])
                    .collect();
                let expected =
                    pinch::model::hessian_times(&configuration, &parameters.potential(), &v);
                let flat: Vec<f64> = v.iter().flatten().copied().collect();
                let scale = expected
                    .iter()
                    .flatten()
                    .fold(0.0f64, |m, x| m.max(x.abs()));
                for row in 0..3 * configuration.len() {
                    let value: f64 = (indptr[row]..indptr[row + 1])
                        .map(|k| data[k as usize] * flat[indices[k as usize] as usize])
                        .sum();
                    assert!(
                        (value - expected[row / 3][row % 3]).abs() <= 1e-12 * scale,
                        "row {row}"
                    );
                }
                reference = Some((
                    indptr,
                    indices,
                    data.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                ));
            }
            Some((p, i, bits)) => {
                assert_eq!(p, &indptr, "pattern differs on {ranks} ranks");
                assert_eq!(i, &indices, "pattern differs on {ranks} ranks");
                assert_eq!(
                    bits,
                    &data.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                    "values differ on {ranks} ranks"
                );
            }
        }
    }
}
