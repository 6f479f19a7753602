//! Whether the local pinch frequency marks a glass's soft spots: where the centre of the glass's
//! lowest quasilocalised mode (QLM) ranks among its particles by local pinch frequency.

/// The lowest mode with participation ratio below `threshold` (modes in ascending frequency): the
/// lowest QLM among those computed.
pub fn lowest_qlm(participation_ratios: &[f64], threshold: f64) -> Option<usize> {
    participation_ratios.iter().position(|&e| e < threshold)
}

/// The percentile of particle `centre` in the softness map `local_omega`: the fraction of the other
/// particles with a lower local pinch frequency (0: the softest). Particles without one (NaN) are
/// left out; `None` if the centre has none. By chance (a map that knows nothing of the modes) it is
/// uniform on [0, 1).
pub fn softness_percentile(local_omega: &[f64], centre: usize) -> Option<f64> {
    let own = *local_omega.get(centre)?;
    if own.is_nan() {
        return None;
    }
    let known = local_omega.iter().filter(|w| !w.is_nan()).count();
    let softer = local_omega.iter().filter(|&&w| w < own).count();
    Some(softer as f64 / (known - 1).max(1) as f64)
}

/// The lowest transverse phonon frequency of a periodic cube: 2π c_s / L with c_s = √(G/ρ). Modes
/// below it cannot be plane waves of the box.
pub fn lowest_transverse_phonon(shear_modulus: f64, density: f64, box_length: f64) -> f64 {
    2.0 * std::f64::consts::PI * (shear_modulus / density).sqrt() / box_length
}

/// The quasilocalised modes among modes in ascending frequency: those below `below` with
/// participation ratio under `threshold` (the rule of `pinch analyze`, docs/analysis.md).
pub fn quasilocalised_modes(
    frequencies: &[f64],
    participation_ratios: &[f64],
    below: f64,
    threshold: f64,
) -> Vec<usize> {
    (0..frequencies.len().min(participation_ratios.len()))
        .filter(|&k| frequencies[k] < below && participation_ratios[k] < threshold)
        .collect()
}

/// A QLM's core size a0 (e N)^{1/3}: the linear size of the e N particles that take part in it.
pub fn core_size(participation_ratio: f64, n_particles: usize, a0: f64) -> f64 {
    a0 * (participation_ratio * n_particles as f64).cbrt()
}

/// The pair a mode pinches hardest: among `pairs`, the one of largest |(ψ_j − ψ_i)·n̂_ij|, the
/// overlap of the mode with the pair's unit force dipole. Its pinch response is the one most like
/// the mode (the response is H⁺d, and the mode enters it weighted by (d·ψ)²/ω²).
pub fn core_pair(
    mode: &[[f64; 3]],
    positions: &[[f64; 3]],
    box_length: f64,
    pairs: &[[u64; 2]],
) -> Option<usize> {
    let overlap = |&[i, j]: &[u64; 2]| {
        let (i, j) = (i as usize, j as usize);
        let d = crate::model::minimum_image(positions[i], positions[j], box_length);
        let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
        (0..3)
            .map(|a| (mode[j][a] - mode[i][a]) * d[a] / r)
            .sum::<f64>()
            .abs()
    };
    (0..pairs.len()).max_by(|&a, &b| overlap(&pairs[a]).total_cmp(&overlap(&pairs[b])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_rank_among_the_known_frequencies() {
        let map = [3.0, f64::NAN, 1.0, 2.0, 5.0];
        assert_eq!(softness_percentile(&map, 2), Some(0.0));
        assert_eq!(softness_percentile(&map, 4), Some(1.0));
        assert_eq!(softness_percentile(&map, 0), Some(2.0 / 3.0));
        assert_eq!(softness_percentile(&map, 1), None);
        assert_eq!(lowest_qlm(&[0.4, 0.2, 0.1, 0.05], 0.15), Some(2));
        assert_eq!(lowest_qlm(&[0.4], 0.15), None);
    }

    #[test]
    fn quasilocalised_modes_lie_below_the_phonon_with_small_participation() {
        let frequencies = [0.5, 0.6, 0.7, 0.9, 1.1];
        let participation = [0.05, 0.6, 0.1, 0.14, 0.02];
        assert_eq!(
            quasilocalised_modes(&frequencies, &participation, 1.0, 0.15),
            vec![0, 2, 3]
        );
        assert!((core_size(0.1, 1250, 2.0) - 10.0).abs() < 1e-12);
        // G = ρ and L = 2π: c_s = 1, the lowest transverse phonon at 1.
        assert!(
            (lowest_transverse_phonon(2.0, 2.0, 2.0 * std::f64::consts::PI) - 1.0).abs() < 1e-15
        );
    }

    #[test]
    fn the_core_pair_is_the_one_the_mode_stretches_most() {
        // Four particles in a box of 10; the mode pulls 1 and 2 apart along their bond (across the
        // boundary: 2 sits at the far side), and shears 0 and 1 (no stretch).
        let positions = [
            [1.0, 1.0, 1.0],
            [1.0, 2.0, 1.0],
            [1.0, 9.5, 1.0],
            [5.0, 5.0, 5.0],
        ];
        let mut mode = [[0.0; 3]; 4];
        mode[0] = [0.3, 0.0, 0.0];
        mode[1] = [0.0, 0.2, 0.0];
        mode[2] = [0.0, -0.1, 0.0];
        mode[3] = [0.5, 0.5, 0.5];
        let pairs = [[0, 1], [1, 2], [0, 2]];
        assert_eq!(core_pair(&mode, &positions, 10.0, &pairs), Some(1));
        assert_eq!(core_pair(&mode, &positions, 10.0, &[]), None);
    }
}
