//! The elastic constants: the attributes of `/elastic`.

use serde::{Deserialize, Serialize};

use crate::response::elastic::ElasticConstants;

/// Shear moduli in three planes with their Born and non-affine parts, the bulk modulus likewise, and
/// the pressure [ε/λ_min³].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ElasticRecord {
    /// G in the xy plane.
    #[serde(default = "super::absent")]
    pub shear_xy: f64,
    /// G in the xz plane.
    #[serde(default = "super::absent")]
    pub shear_xz: f64,
    /// G in the yz plane.
    #[serde(default = "super::absent")]
    pub shear_yz: f64,
    /// The Born term of the xy plane.
    #[serde(default = "super::absent")]
    pub shear_born_xy: f64,
    /// The Born term of the xz plane.
    #[serde(default = "super::absent")]
    pub shear_born_xz: f64,
    /// The Born term of the yz plane.
    #[serde(default = "super::absent")]
    pub shear_born_yz: f64,
    /// The non-affine term of the xy plane.
    #[serde(default = "super::absent")]
    pub shear_nonaffine_xy: f64,
    /// The non-affine term of the xz plane.
    #[serde(default = "super::absent")]
    pub shear_nonaffine_xz: f64,
    /// The non-affine term of the yz plane.
    #[serde(default = "super::absent")]
    pub shear_nonaffine_yz: f64,
    /// Mean over the three planes.
    #[serde(default = "super::absent")]
    pub shear_mean: f64,
    /// K = −V dp/dV.
    #[serde(default = "super::absent")]
    pub bulk: f64,
    /// The Born term of K.
    #[serde(default = "super::absent")]
    pub bulk_born: f64,
    /// The non-affine term of K.
    #[serde(default = "super::absent")]
    pub bulk_nonaffine: f64,
    /// The athermal pressure.
    #[serde(default = "super::absent")]
    pub pressure: f64,
    /// The linear solver of the non-affine parts.
    pub method: String,
    /// Wall time [s].
    #[serde(default = "super::absent")]
    pub seconds: f64,
}

impl super::Group for ElasticRecord {
    const PATH: &'static str = "elastic";
}

impl ElasticRecord {
    /// The record of `constants`, solved with `method` in `seconds`.
    pub fn new(constants: &ElasticConstants, method: String, seconds: f64) -> Self {
        // The planes in the order of `response::elastic::SHEAR_PLANES`.
        let [shear_xy, shear_xz, shear_yz] = constants.shear;
        let [shear_born_xy, shear_born_xz, shear_born_yz] = constants.shear_born;
        let [shear_nonaffine_xy, shear_nonaffine_xz, shear_nonaffine_yz] =
            constants.shear_nonaffine;
        ElasticRecord {
            shear_xy,
            shear_xz,
            shear_yz,
            shear_born_xy,
            shear_born_xz,
            shear_born_yz,
            shear_nonaffine_xy,
            shear_nonaffine_xz,
            shear_nonaffine_yz,
            shear_mean: constants.mean_shear(),
            bulk: constants.bulk,
            bulk_born: constants.bulk_born,
            bulk_nonaffine: constants.bulk_nonaffine,
            pressure: constants.pressure,
            method,
            seconds,
        }
    }
}
