//! Where a sample's results live in its H5MD file: the groups and datasets that the writer
//! (`sample::measure`, campaign chains) and the readers (`analysis::samples`, `pinch inspect`) share.
//! `docs/FORMAT.md` documents each one; a test checks that it names them all.

/// The lowest modes.
pub mod modes {
    /// Attributes: count, method, spectral_transform, target, iterations, solves, stable, seconds.
    pub const GROUP: &str = "modes";
    /// Eigenvalues of the Hessian, ascending (k,).
    pub const EIGENVALUES: &str = "modes/eigenvalues";
    /// ω_k = √λ_k (k,).
    pub const FREQUENCIES: &str = "modes/frequencies";
    /// Participation ratios (k,).
    pub const PARTICIPATION_RATIOS: &str = "modes/participation_ratios";
    /// Relative residuals of the eigenpairs (k,).
    pub const RELATIVE_ERRORS: &str = "modes/relative_errors";
    /// Id of each mode's largest component (k,).
    pub const CENTRES: &str = "modes/centres";
    /// The eigenvectors (k, N, 3), when asked for.
    pub const VECTORS: &str = "modes/vectors";
    /// Radial profiles about each centre.
    pub const PROFILE: &str = "modes/profile";
    /// The sums of a mode profile's shells, after `radius` and `count`.
    pub const PROFILE_SUMS: [&str; 2] = ["sum_magnitude", "sum_magnitude2"];
}

/// The force-dipole responses.
pub mod dipoles {
    /// Attributes: count, interacting_pairs, omega_g, sqrt_mean_kappa, median_omega, seed, method,
    /// seconds.
    pub const GROUP: &str = "dipoles";
    /// The pairs' ids (M, 2).
    pub const PAIRS: &str = "dipoles/pairs";
    /// dᵀH⁺d per pair (M,).
    pub const D_HINV_D: &str = "dipoles/d_hinv_d";
    /// dᵀH⁺²d per pair (M,).
    pub const D_HINV2_D: &str = "dipoles/d_hinv2_d";
    /// ω^(ij) per pair (M,).
    pub const OMEGA: &str = "dipoles/omega";
    /// The radial profile of the responses about the pairs' midpoints.
    pub const PROFILE: &str = "dipoles/profile";
    /// The sums of the dipole profile's shells, after `radius` and `count`.
    pub const PROFILE_SUMS: [&str; 2] = ["sum_radial", "sum_magnitude2"];
}

/// The first two members of every radial profile: shell radii and particle counts.
pub const PROFILE_MEMBERS: [&str; 2] = ["radius", "count"];

/// Elastic moduli and pressure, as attributes.
pub const ELASTIC: &str = "elastic";

/// The particles' positions (N, 3).
pub const POSITION: &str = "particles/all/position";
/// The box edges (3,).
pub const BOX_EDGES: &str = "particles/all/box/edges";
/// The potential energy per particle.
pub const ENERGY_PER_PARTICLE: &str = "observables/energy_per_particle";

/// The swap Monte Carlo parameters a sample or a chain was made with.
pub const SWAP_MONTE_CARLO: &str = "parameters/swap_monte_carlo";
/// The quench parameters.
pub const QUENCH: &str = "parameters/quench";
/// The measurement parameters.
pub const MEASUREMENTS: &str = "parameters/measurements";

/// A member of a group: `group/name`.
pub fn member(group: &str, name: &str) -> String {
    format!("{group}/{name}")
}

/// The four datasets of the radial profile `profile`: `radius`, `count`, then its two `sums`.
pub fn profile_paths(profile: &str, sums: [&str; 2]) -> [String; 4] {
    [PROFILE_MEMBERS[0], PROFILE_MEMBERS[1], sums[0], sums[1]].map(|name| member(profile, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every path of the layout, with the members of the profiles.
    fn paths() -> Vec<String> {
        let mut paths: Vec<String> = [
            modes::GROUP,
            modes::EIGENVALUES,
            modes::FREQUENCIES,
            modes::PARTICIPATION_RATIOS,
            modes::RELATIVE_ERRORS,
            modes::CENTRES,
            modes::VECTORS,
            dipoles::GROUP,
            dipoles::PAIRS,
            dipoles::D_HINV_D,
            dipoles::D_HINV2_D,
            dipoles::OMEGA,
            ELASTIC,
            POSITION,
            BOX_EDGES,
            ENERGY_PER_PARTICLE,
            SWAP_MONTE_CARLO,
            QUENCH,
            MEASUREMENTS,
        ]
        .map(str::to_owned)
        .to_vec();
        for (profile, sums) in [
            (modes::PROFILE, modes::PROFILE_SUMS),
            (dipoles::PROFILE, dipoles::PROFILE_SUMS),
        ] {
            paths.extend(profile_paths(profile, sums));
        }
        paths
    }

    /// A path counts as documented when one line of `docs/FORMAT.md` names its parent group (as
    /// `/group`) and its own name as a word: the tables list several members of a group on one line.
    #[test]
    fn every_path_is_documented_in_the_format_description() {
        let format = include_str!("../../docs/FORMAT.md");
        let is_word = |line: &str, word: &str| {
            line.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|w| w == word)
        };
        let undocumented: Vec<String> = paths()
            .into_iter()
            .filter(|path| {
                let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
                !format.lines().any(|line| {
                    is_word(line, name)
                        && (parent.is_empty() || line.contains(&format!("/{parent}")))
                })
            })
            .collect();
        assert!(
            undocumented.is_empty(),
            "docs/FORMAT.md does not document {undocumented:?}"
        );
    }
}
