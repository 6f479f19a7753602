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
}
