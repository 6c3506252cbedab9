//! Exact sums of decimals.
//!
//! `Decimal` keeps 96 bits of digits: adding a value with 28 decimal places (a share of a fee,
//! an hour's fraction) to a sum of thousands of dollars does not fit, and `+` then rounds the
//! sum, at every step, after a costly rescaling. [`ExactSum`] adds the values' digits exactly in
//! 256 bits at the largest scale it has met, and rounds once, when the sum is read: the result is
//! the exact sum when it fits a `Decimal` (as `+` would give it), else the exact sum rounded half
//! to even to the places that fit, whatever the order the values came in.

use ethnum::{I256, U256};
use rust_decimal::Decimal;

/// 10^k for k in 0..=28 (the scales a `Decimal` can have).
const POW10: [u128; 29] = {
    let mut p = [1u128; 29];
    let mut k = 1;
    while k < 29 {
        p[k] = p[k - 1] * 10;
        k += 1;
    }
    p
};

/// An exact sum of `Decimal`s (see the module doc).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExactSum {
    /// The sum's digits at `scale` places.
    digits: I256,
    /// The largest scale of the values added.
    scale: u32,
}

impl ExactSum {
    /// Nothing added.
    pub const ZERO: ExactSum = ExactSum {
        digits: I256::ZERO,
        scale: 0,
    };

    /// Adds `d`, exactly.
    #[inline]
    pub fn add(&mut self, d: Decimal) {
        let (m, s) = (I256::from(d.mantissa()), d.scale());
        if s == self.scale {
            self.digits += m;
        } else if s < self.scale {
            self.digits += m * I256::from(POW10[(self.scale - s) as usize]);
        } else {
            self.digits = self.digits * I256::from(POW10[(s - self.scale) as usize]) + m;
            self.scale = s;
        }
    }

    /// Adds another sum, exactly.
    pub fn add_sum(&mut self, o: &ExactSum) {
        let scale = self.scale.max(o.scale);
        let at = |x: &ExactSum| x.digits * I256::from(POW10[(scale - x.scale) as usize]);
        self.digits = at(self) + at(o);
        self.scale = scale;
    }

    /// The sum as a `Decimal`: exact when it fits, else rounded half to even to the most places
    /// that fit; `None` when even its whole part does not fit (beyond ±7.9 × 10^28).
    pub fn checked_decimal(&self) -> Option<Decimal> {
        let limit = U256::from(1u128 << 96);
        let negative = self.digits < 0;
        let digits = self.digits.unsigned_abs();
        let decimal = |q: U256, places: u32| {
            let m = q.as_i128();
            Decimal::try_from_i128_with_scale(if negative { -m } else { m }, places).ok()
        };
        if digits < limit {
            return decimal(digits, self.scale);
        }
        // Dropping k places, for any k up to (bits - 97) × log10(2), leaves at least
        // 2^(bits - 1) / 2^(bits - 97) = 2^96: the places to drop are tried from the next k on
        // (0.30102 is below log10(2)), instead of from one (each try is a 256-bit division).
        let bits = 256 - digits.leading_zeros();
        let first = (bits - 97) * 30_102 / 100_000 + 1;
        for k in first..=self.scale {
            let p = U256::from(POW10[k as usize]);
            let (mut q, r) = (digits / p, digits % p);
            let half = p / 2;
            if r > half || (r == half && q % 2 == 1) {
                q += 1;
            }
            if q < limit {
                return decimal(q, self.scale - k);
            }
        }
        None
    }

    /// [`ExactSum::checked_decimal`], for sums of money and quantities, which cannot reach
    /// 7.9 × 10^28.
    ///
    /// # Panics
    /// When the sum is beyond `Decimal`'s range, as `Decimal`'s `+` does.
    pub fn decimal(&self) -> Decimal {
        self.checked_decimal()
            .expect("a sum beyond Decimal's range (±7.9 × 10^28)")
    }

    /// The sum as an amount of money ([`ExactSum::decimal`]).
    pub fn money(&self) -> super::Money {
        super::Money::usd(self.decimal())
    }
}

impl FromIterator<Decimal> for ExactSum {
    fn from_iter<I: IntoIterator<Item = Decimal>>(iter: I) -> Self {
        let mut s = ExactSum::ZERO;
        for d in iter {
            s.add(d);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn decimal() -> impl Strategy<Value = Decimal> {
        (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s))
    }

    #[test]
    fn sums_that_fit_are_decimal_sums() {
        let s: ExactSum = [dec!(1.25), dec!(-0.005), dec!(100), dec!(0.1)]
            .into_iter()
            .collect();
        assert_eq!(s.decimal(), dec!(101.345));
        assert_eq!(s.decimal().scale(), 3);
        assert_eq!(ExactSum::ZERO.decimal(), Decimal::ZERO);
    }

    #[test]
    fn a_sum_too_long_for_a_decimal_is_rounded_once_half_to_even() {
        // 1,000,000 and three thirds of 28 places: 35 digits, of which 96 bits hold 29.
        let third = Decimal::ONE / Decimal::from(3);
        let s: ExactSum = [Decimal::from(1_000_000), third, third, third]
            .into_iter()
            .collect();
        // Exactly 1,000,000.9999999999999999999999999999 (28 nines): rounds up to 1,000,001.
        assert_eq!(s.decimal(), Decimal::from(1_000_001));
        // Half to even on a tie.
        let mut t = ExactSum::ZERO;
        t.add(Decimal::from_i128_with_scale(
            79_228_162_514_264_337_593_543_950_335,
            0,
        ));
        t.add(dec!(-0.5));
        assert_eq!(
            t.decimal(),
            Decimal::from_i128_with_scale(79_228_162_514_264_337_593_543_950_334, 0)
        );
        t.add(dec!(1));
        assert_eq!(t.checked_decimal(), None, "beyond Decimal's range");
    }

    /// `checked_decimal` trying every number of places to drop, from none.
    fn checked_decimal_by_every_place(s: &ExactSum) -> Option<Decimal> {
        let limit = U256::from(1u128 << 96);
        let digits = s.digits.unsigned_abs();
        for k in 0..=s.scale {
            let p = U256::from(POW10[k as usize]);
            let (mut q, r) = (digits / p, digits % p);
            let half = p / 2;
            if k > 0 && (r > half || (r == half && q % 2 == 1)) {
                q += 1;
            }
            if q < limit {
                let m = q.as_i128();
                let m = if s.digits < 0 { -m } else { m };
                return Decimal::try_from_i128_with_scale(m, s.scale - k).ok();
            }
        }
        None
    }

    proptest! {
        #[test]
        fn the_places_dropped_are_the_fewest_that_fit(
            high in any::<u128>(),
            low in any::<u128>(),
            bits in 0u32..=200,
            scale in 0u32..=28,
            negative in any::<bool>(),
        ) {
            // Digits of every length up to 200 bits (where a Decimal's 96 end, and around it).
            let digits = (U256::from_words(high, low) >> (255 - bits)).as_i256();
            let s = ExactSum { digits: if negative { -digits } else { digits }, scale };
            let got = s.checked_decimal();
            prop_assert_eq!(got, checked_decimal_by_every_place(&s));
            if let Some(d) = got {
                prop_assert_eq!(d.scale(), checked_decimal_by_every_place(&s).unwrap().scale());
            }
        }

        #[test]
        fn the_sum_is_exact_and_independent_of_order(values in proptest::collection::vec(decimal(), 0..40)) {
            let forward: ExactSum = values.iter().copied().collect();
            let backward: ExactSum = values.iter().rev().copied().collect();
            prop_assert_eq!(forward.decimal(), backward.decimal());
            // Halves summed apart and added give the same sum.
            let (a, b) = values.split_at(values.len() / 2);
            let mut halves: ExactSum = a.iter().copied().collect();
            halves.add_sum(&b.iter().copied().collect());
            prop_assert_eq!(halves.decimal(), forward.decimal());
        }

        #[test]
        fn where_decimal_does_not_round_the_sums_are_the_same(
            values in proptest::collection::vec(
                (-1_000_000_000_000_000i64..1_000_000_000_000_000, 0u32..=10)
                    .prop_map(|(m, s)| Decimal::new(m, s)),
                0..40,
            )
        ) {
            // At most 40 values below 10^15 at a common scale of at most 10 places: within 96
            // bits, so `Decimal`'s `+` is exact too.
            let exact: ExactSum = values.iter().copied().collect();
            let plain: Decimal = values.iter().copied().sum();
            prop_assert_eq!(exact.decimal(), plain);
            prop_assert_eq!(exact.decimal().scale(), plain.scale());
        }
    }
}
