//! Exact, order-independent summation of `f64` values.
//!
//! Floating-point addition is not associative, so an ordinary global sum depends on how the values are
//! split over ranks and in which order they are added: a quench would then follow a (slightly)
//! different path on every rank count. [`ExactSum`] avoids that: it adds every value *exactly* into a
//! fixed-point integer accumulator wide enough for the whole range of `f64` (a "superaccumulator"),
//! accumulators of different ranks are added as integers (exact, associative) with `MPI_Allreduce`, and
//! the exact total is rounded to the nearest `f64` once. The result is the correctly rounded sum,
//! independent of order and decomposition.
//!
//! Representation: the value is Σ_k limbs[k] · 2^(32k − 1074), each limb an `i64` holding a 32-bit digit
//! plus headroom for up to 2³⁰ additions between carry propagations.

/// Number of 32-bit limbs: covers 2^-1074 (the smallest subnormal) to beyond 2^1024 · 2^62.
pub const LIMBS: usize = 70;
const CARRY_EVERY: u32 = 1 << 30;

/// An exact sum of `f64` values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExactSum {
    limbs: [i64; LIMBS],
    pending: u32,
    /// Non-finite values seen: bit 0 NaN, bit 1 +∞, bit 2 −∞.
    special: u8,
}

impl Default for ExactSum {
    fn default() -> Self {
        ExactSum {
            limbs: [0; LIMBS],
            pending: 0,
            special: 0,
        }
    }
}

impl ExactSum {
    /// An empty sum (zero).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `value` exactly.
    #[inline]
    pub fn add(&mut self, value: f64) {
        let bits = value.to_bits();
        let exponent = ((bits >> 52) & 0x7ff) as i64;
        let mut mantissa = bits & ((1u64 << 52) - 1);
        if exponent == 0x7ff {
            self.special |= if mantissa != 0 {
                1
            } else if value > 0.0 {
                2
            } else {
                4
            };
            return;
        }
        if mantissa == 0 && exponent == 0 {
            return;
        }
        // value = ±mantissa · 2^(exponent − 1075) for normal numbers, ±mantissa · 2^−1074 for subnormals.
        let offset = if exponent == 0 {
            0
        } else {
            mantissa |= 1u64 << 52;
            exponent - 1
        } as usize;
        let (limb, shift) = (offset / 32, offset % 32);
        let wide = (mantissa as u128) << shift;
        let negative = (bits >> 63) == 1;
        let digits = [
            (wide & 0xffff_ffff) as i64,
            ((wide >> 32) & 0xffff_ffff) as i64,
            (wide >> 64) as i64,
        ];
        for (k, digit) in digits.into_iter().enumerate() {
            if negative {
                self.limbs[limb + k] -= digit;
            } else {
                self.limbs[limb + k] += digit;
            }
        }
        self.pending += 1;
        if self.pending == CARRY_EVERY {
            self.normalize();
        }
    }

    /// Propagates carries so every limb but the last lies in [0, 2³²).
    fn normalize(&mut self) {
        for k in 0..LIMBS - 1 {
            let carry = self.limbs[k] >> 32;
            self.limbs[k] -= carry << 32;
            self.limbs[k + 1] += carry;
        }
        self.pending = 0;
    }

    /// Adds another exact sum (e.g. received from another rank).
    pub fn merge(&mut self, other: &ExactSum) {
        let mut other = other.clone();
        other.normalize();
        self.normalize();
        for (a, b) in self.limbs.iter_mut().zip(other.limbs) {
            *a += b;
        }
        self.special |= other.special;
        self.normalize();
    }

    /// The normalised state as integers, for an exact `MPI_Allreduce` with `MPI_SUM` (see
    /// [`ExactSum::from_words`]); the last word carries the non-finite flags.
    pub fn to_words(&self) -> [i64; LIMBS + 1] {
        let mut normalized = self.clone();
        normalized.normalize();
        let mut words = [0i64; LIMBS + 1];
        words[..LIMBS].copy_from_slice(&normalized.limbs);
        // Flags summed over ranks stay non-zero exactly when some rank had them; one bit per kind,
        // spaced so that up to 2^20 ranks cannot carry into the next kind.
        words[LIMBS] = (self.special & 1) as i64
            | (((self.special >> 1) & 1) as i64) << 20
            | (((self.special >> 2) & 1) as i64) << 40;
        words
    }

    /// The sum whose words (possibly summed over ranks) are `words`.
    pub fn from_words(words: &[i64; LIMBS + 1]) -> Self {
        let mut sum = ExactSum::new();
        sum.limbs.copy_from_slice(&words[..LIMBS]);
        let flags = words[LIMBS];
        sum.special = u8::from(flags & 0xfffff != 0)
            | u8::from((flags >> 20) & 0xfffff != 0) << 1
            | u8::from((flags >> 40) & 0xfffff != 0) << 2;
        // Summed limbs may exceed 32 bits; normalising restores the invariant.
        sum.normalize();
        sum
    }

    /// The exact sum rounded to the nearest `f64` (ties to even); NaN if a NaN or both infinities were
    /// added, ±∞ if one infinity was, or if the sum overflows.
    pub fn value(&self) -> f64 {
        match self.special {
            0 => {}
            2 => return f64::INFINITY,
            4 => return f64::NEG_INFINITY,
            _ => return f64::NAN,
        }
        let mut limbs = self.limbs;
        // Normalise: every limb but the last in [0, 2³²); the last carries the sign.
        for k in 0..LIMBS - 1 {
            let carry = limbs[k] >> 32;
            limbs[k] -= carry << 32;
            limbs[k + 1] += carry;
        }
        let negative = limbs[LIMBS - 1] < 0;
        if negative {
            // Two's-complement negation in base 2³²: complement every digit, then add one.
            for limb in limbs.iter_mut() {
                *limb = -*limb;
            }
            for k in 0..LIMBS - 1 {
                let carry = limbs[k] >> 32;
                limbs[k] -= carry << 32;
                limbs[k + 1] += carry;
            }
        }
        let Some(top) = (0..LIMBS).rev().find(|&k| limbs[k] != 0) else {
            return 0.0;
        };
        // The top three digits (at least 65 significant bits) and a sticky bit for everything below,
        // so that converting to f64 rounds exactly as the infinite-precision sum would.
        let low = top.saturating_sub(2);
        let mut window: u128 = 0;
        for k in (low..=top).rev() {
            window = (window << 32) | limbs[k] as u128;
        }
        if limbs[..low].iter().any(|&l| l != 0) {
            window |= 1;
        }
        let magnitude = if low == 0 {
            // Everything is in the window: exact integer times 2^−1074. Scale in two steps so no
            // intermediate underflows before the final (single) rounding.
            scale(window, -1074)
        } else {
            scale(window, 32 * low as i32 - 1074)
        };
        if negative { -magnitude } else { magnitude }
    }
}

/// `window · 2^exponent` rounded once to the nearest f64.
fn scale(window: u128, exponent: i32) -> f64 {
    if window == 0 {
        return 0.0;
    }
    // Round the window to 53 significant bits first (with its own sticky handling), then apply the
    // exponent exactly, unless the result is subnormal, where the final rounding happens in the product.
    let bits = 128 - window.leading_zeros() as i32;
    let final_exponent = exponent + bits - 1;
    if final_exponent >= -1022 {
        // Normal result: `as f64` rounds the integer correctly; multiplying by a power of two is exact
        // (or overflows to infinity, which is the correct rounding of an overflowing sum).
        let rounded = window as f64;
        let mut result = rounded;
        let mut e = exponent;
        while e > 0 {
            let step = e.min(1000);
            result *= 2f64.powi(step);
            e -= step;
        }
        while e < 0 {
            let step = (-e).min(1000);
            result *= 2f64.powi(-step);
            e += step;
        }
        result
    } else {
        // Subnormal result: shift the window to units of 2^−1074 with round-to-nearest-even.
        let shift = -1074 - exponent;
        if shift <= 0 {
            return (window << (-shift) as u32) as f64 * 2f64.powi(-1074);
        }
        let shift = shift as u32;
        if shift >= 128 {
            return 0.0;
        }
        let quotient = window >> shift;
        let remainder = window & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        let rounded = if remainder > half || (remainder == half && quotient & 1 == 1) {
            quotient + 1
        } else {
            quotient
        };
        // rounded < 2^53: exact in f64, and the product by 2^−1074 is exact (subnormal grid).
        (rounded as f64) * 2f64.powi(-1074)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::seq::SliceRandom;
    use rand::{Rng, SeedableRng};

    fn exact(values: &[f64]) -> f64 {
        let mut sum = ExactSum::new();
        values.iter().for_each(|&v| sum.add(v));
        sum.value()
    }

    #[test]
    fn small_sums_are_exact() {
        assert_eq!(exact(&[]), 0.0);
        assert_eq!(exact(&[1.5]), 1.5);
        assert_eq!(exact(&[-2.25, 0.25]), -2.0);
        assert_eq!(exact(&[1e300, 1.0, -1e300]), 1.0);
        // As binary doubles, 0.1 = 3602879701896397·2⁻⁵⁵, 0.2 = 3602879701896397·2⁻⁵⁴,
        // 0.3 = 5404319552844595·2⁻⁵⁴ and 0.6 = 5404319552844595·2⁻⁵³: their sum is exactly 2⁻⁵⁵.
        assert_eq!(0.1, 3602879701896397.0 * 2f64.powi(-55));
        assert_eq!(0.6, 5404319552844595.0 * 2f64.powi(-53));
        assert_eq!(exact(&[0.1, 0.2, 0.3, -0.6]), 2f64.powi(-55));
        assert_ne!(0.1 + 0.2 + 0.3 - 0.6, 2f64.powi(-55));
        assert_eq!(
            exact(&[f64::MIN_POSITIVE / 4.0, f64::MIN_POSITIVE / 4.0]),
            f64::MIN_POSITIVE / 2.0
        );
        assert_eq!(exact(&[5e-324, 5e-324, -5e-324]), 5e-324);
        assert_eq!(exact(&[-5e-324, -5e-324]), -1e-323);
        assert_eq!(exact(&[f64::MAX, f64::MAX]), f64::INFINITY);
        assert_eq!(exact(&[f64::MAX, f64::MAX, -f64::MAX]), f64::MAX);
        assert!(exact(&[1.0, f64::NAN]).is_nan());
        assert_eq!(exact(&[1.0, f64::INFINITY]), f64::INFINITY);
        assert_eq!(exact(&[1.0, f64::NEG_INFINITY]), f64::NEG_INFINITY);
        assert!(exact(&[f64::NEG_INFINITY, f64::INFINITY]).is_nan());
    }

    #[test]
    fn the_sum_is_correctly_rounded() {
        // Integers below 2⁵³ scaled by an exact power of two are exact doubles; their sum is computed
        // exactly in i128 and rounded once by the (correctly rounding) i128 → f64 conversion.
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(9);
        for _ in 0..5000 {
            let count = rng.random_range(1..60);
            let exponent = rng.random_range(-900..900);
            let integers: Vec<i64> = (0..count)
                .map(|_| {
                    rng.random_range(-(1i64 << 53) + 1..(1i64 << 53)) >> rng.random_range(0..50)
                })
                .collect();
            let power = 2f64.powi(exponent);
            let values: Vec<f64> = integers.iter().map(|&i| i as f64 * power).collect();
            let total: i128 = integers.iter().map(|&i| i as i128).sum();
            let expected = total as f64 * power;
            assert_eq!(
                exact(&values).to_bits(),
                expected.to_bits(),
                "{integers:?} x 2^{exponent}"
            );
        }
    }

    #[test]
    fn the_sum_does_not_depend_on_order_or_split() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        let mut values: Vec<f64> = (0..10_000)
            .map(|_| (rng.random::<f64>() - 0.5) * 10f64.powi(rng.random_range(-30..30)))
            .collect();
        let reference = exact(&values);
        let naive: f64 = values.iter().sum();
        assert!((naive - reference).abs() <= 1e-6 * naive.abs());
        for _ in 0..5 {
            values.shuffle(&mut rng);
            assert_eq!(exact(&values).to_bits(), reference.to_bits());
            // Split over two "ranks", combined through the integer words as MPI_Allreduce would.
            let (a, b) = values.split_at(rng.random_range(0..values.len()));
            let (mut sa, mut sb) = (ExactSum::new(), ExactSum::new());
            a.iter().for_each(|&v| sa.add(v));
            b.iter().for_each(|&v| sb.add(v));
            let (wa, wb) = (sa.to_words(), sb.to_words());
            let summed: [i64; LIMBS + 1] = std::array::from_fn(|k| wa[k] + wb[k]);
            assert_eq!(
                ExactSum::from_words(&summed).value().to_bits(),
                reference.to_bits()
            );
            sa.merge(&sb);
            assert_eq!(sa.value().to_bits(), reference.to_bits());
        }
    }

    #[test]
    fn subnormal_sums_round_to_nearest_even() {
        let tiny = 5e-324; // 2⁻¹⁰⁷⁴
        // 2⁻¹⁰⁷⁵ cannot be added as a double, but (1.5 · 2⁻¹⁰⁷³) − 2⁻¹⁰⁷³ style sums stay on the grid.
        assert_eq!(exact(&[3.0 * tiny, -tiny]), 2.0 * tiny);
        assert_eq!(exact(&[f64::MIN_POSITIVE, -tiny]), f64::MIN_POSITIVE - tiny);
        assert_eq!(exact(&[1e-310, 1e-310, -2e-310]), 0.0);
    }
}
