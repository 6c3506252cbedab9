//! Money: exact amounts in USD, and how they are shown.
//!
//! Every cost, price and sum is a `rust_decimal::Decimal`; nothing on a money path is a float.
//! Amounts are computed exactly and rounded half-up (away from zero) to the display currency's
//! minor unit only when shown; a total is the rounded exact sum, never the sum of rounded lines.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Mul, Neg, Sub};

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

mod exact;
pub use exact::ExactSum;

/// An exact amount of US dollars.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Money(Decimal);

impl Money {
    /// Zero dollars.
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// An exact USD amount.
    pub fn usd(amount: Decimal) -> Self {
        Money(amount)
    }

    /// The exact amount, every digit kept.
    pub fn amount(self) -> Decimal {
        self.0
    }

    /// The amount rounded half-up to whole cents (for display).
    pub fn cents(self) -> Decimal {
        round_half_up(self.0, 2)
    }

    /// True when the amount is below zero.
    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }
}

/// Rounds half-up (away from zero for the half) to `dp` decimal places, keeping trailing zeros
/// so that `1.5` at 2 places prints as `1.50`.
pub fn round_half_up(value: Decimal, dp: u32) -> Decimal {
    let mut r = value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(dp);
    r
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl Mul<Decimal> for Money {
    type Output = Money;
    fn mul(self, rhs: Decimal) -> Money {
        Money(self.0 * rhs)
    }
}

/// Sums exactly, rounding once at the end ([`ExactSum`]): the same sum in any order.
impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).collect::<ExactSum>().decimal())
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

impl fmt::Display for Money {
    /// `$1,234.57`: rounded half-up to cents.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Currency::usd().format(*self))
    }
}

/// The currency amounts are shown in: USD by default, or another currency at a fixed rate
/// (`fx_rate` units of it per USD). Conversion happens only for display.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Currency {
    /// ISO 4217 code, e.g. `USD`, `KRW`.
    pub code: String,
    /// Units of this currency per US dollar (1 for USD).
    pub fx_rate: Decimal,
}

impl Currency {
    /// US dollars, the catalog's own currency.
    pub fn usd() -> Self {
        Currency {
            code: "USD".into(),
            fx_rate: Decimal::ONE,
        }
    }

    /// A display currency with its rate per USD. The code must be three ASCII letters.
    pub fn new(code: &str, fx_rate: Decimal) -> Result<Self, String> {
        let code = code.trim().to_ascii_uppercase();
        if code.len() != 3 || !code.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(format!(
                "expected a three-letter ISO 4217 currency code such as USD or KRW, found `{code}`"
            ));
        }
        if fx_rate <= Decimal::ZERO {
            return Err(format!(
                "expected a positive exchange rate (units of {code} per USD), found {fx_rate}"
            ));
        }
        if code == "USD" && fx_rate != Decimal::ONE {
            return Err("fx_rate must be 1 (or absent) when the currency is USD".into());
        }
        Ok(Currency { code, fx_rate })
    }

    /// Digits after the decimal point in this currency (ISO 4217 minor unit).
    pub fn minor_units(&self) -> u32 {
        match self.code.as_str() {
            "KRW" | "JPY" | "VND" | "CLP" | "ISK" | "HUF" | "TWD" | "UGX" | "XAF" | "XOF" => 0,
            "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
            _ => 2,
        }
    }

    /// The amount converted and rounded half-up to the minor unit: a plain decimal string for
    /// machine formats (JSON, CSV), e.g. `1234.57`.
    pub fn decimal(&self, money: Money) -> Decimal {
        round_half_up(money.amount() * self.fx_rate, self.minor_units())
    }

    /// The amount for people: `$1,234.57`, `₩1,700,000`, or `1,234.57 EUR`.
    pub fn format(&self, money: Money) -> String {
        let value = self.decimal(money);
        let negative = value.is_sign_negative() && !value.is_zero();
        let text = group_thousands(&value.abs().to_string());
        let sign = if negative { "-" } else { "" };
        match self.code.as_str() {
            "USD" => format!("{sign}${text}"),
            "KRW" => format!("{sign}₩{text}"),
            "EUR" => format!("{sign}€{text}"),
            "GBP" => format!("{sign}£{text}"),
            "JPY" => format!("{sign}¥{text}"),
            code => format!("{sign}{text} {code}"),
        }
    }
}

/// Inserts `,` between groups of three digits of the integer part.
pub(crate) fn group_thousands(digits: &str) -> String {
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let mut out = String::with_capacity(digits.len() + int.len() / 3);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounds_half_up_to_cents() {
        assert_eq!(Money::usd(dec!(18.735)).cents(), dec!(18.74));
        assert_eq!(Money::usd(dec!(18.7349999)).cents(), dec!(18.73));
        assert_eq!(Money::usd(dec!(1.5)).cents().to_string(), "1.50");
        assert_eq!(Money::usd(dec!(-0.125)).cents(), dec!(-0.13));
    }

    #[test]
    fn total_is_rounded_exact_sum() {
        let lines = [
            Money::usd(dec!(0.004)),
            Money::usd(dec!(0.004)),
            Money::usd(dec!(0.004)),
        ];
        let total: Money = lines.iter().sum();
        assert_eq!(total.cents(), dec!(0.01));
        let rounded_sum: Decimal = lines.iter().map(|m| m.cents()).sum();
        assert_eq!(rounded_sum, dec!(0.00));
    }

    #[test]
    fn formats_money() {
        assert_eq!(Money::usd(dec!(1234567.891)).to_string(), "$1,234,567.89");
        assert_eq!(Money::usd(dec!(-3.655)).to_string(), "-$3.66");
        let krw = Currency::new("krw", dec!(1400)).unwrap();
        assert_eq!(krw.format(Money::usd(dec!(100.0004))), "₩140,001");
        assert_eq!(krw.decimal(Money::usd(dec!(0.5))), dec!(700));
        assert!(Currency::new("US", dec!(1)).is_err());
        assert!(Currency::new("EUR", dec!(-1)).is_err());
    }
}
