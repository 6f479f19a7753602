//! From a campaign's stored samples to the paper's quantities, per (N, T_p) and across T_p.

pub mod fits;
