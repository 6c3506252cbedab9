//! The T-family CPU credit model, used to decide whether a burstable type can carry a workload.
//!
//! One CPU credit is one vCPU at 100 % for one minute. A burstable instance earns
//! `cpu_credits_per_hour` credits each hour, up to `max_accrued_credits` (24 hours of earnings
//! when the catalog does not say), and spends what its CPU use costs. The workload measured on
//! the current instance costs the same credits on any candidate: an hour at `cpu_avg_pct` on
//! `vcpu` vCPUs is `cpu_avg_pct ÷ 100 × vcpu × 60` vCPU-minutes, whatever the candidate's size.

use rust_decimal::prelude::ToPrimitive;

use crate::catalog::InstanceType;

/// A balance at or below this many credits counts as exhausted (run dry), observed or simulated.
pub(crate) const EXHAUSTED_AT_CREDITS: f64 = 1.0;

/// The outcome of replaying a workload on a burstable type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct CreditRun {
    /// True when the balance never ran dry and the credits earned over the whole run cover the
    /// credits spent (so the workload is sustainable beyond the lookback too).
    pub sustained: bool,
    /// The lowest balance reached.
    pub lowest: f64,
    /// The most credits the type can hold (the starting balance).
    pub max: f64,
}

/// Credits the measured workload spends each hour: `cpu_avg_pct ÷ 100 × vcpu × 60` for each
/// sample of average CPU (percent of the current type's `vcpu`).
pub(crate) fn hourly_spend(avg_cpu_pct: &[f64], vcpu: u32) -> Vec<f64> {
    avg_cpu_pct
        .iter()
        .map(|p| p / 100.0 * f64::from(vcpu) * 60.0)
        .collect()
}

/// Replays `spend` (credits per hour, oldest first) on `candidate`, starting from a full balance
/// (the steady state of a long-running instance; T3/T4g get no launch credits to add). `None`
/// when the candidate is not burstable.
pub(crate) fn replay(candidate: &InstanceType, spend: &[f64]) -> Option<CreditRun> {
    let earn = candidate.cpu_credits_per_hour?.to_f64()?;
    let max = candidate
        .max_accrued_credits
        .and_then(|m| m.to_f64())
        .unwrap_or(earn * 24.0);
    let mut balance = max;
    let mut lowest = max;
    let (mut earned, mut spent) = (0.0, 0.0);
    for &s in spend {
        earned += earn;
        spent += s;
        balance = (balance + earn - s).min(max);
        lowest = lowest.min(balance);
    }
    let sustained = lowest > EXHAUSTED_AT_CREDITS && earned >= spent;
    Some(CreditRun {
        sustained,
        lowest: lowest.max(0.0),
        max,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::test_support::catalog;

    #[test]
    fn spend_is_vcpu_minutes() {
        // 30 % of 2 vCPUs for an hour = 36 credits.
        assert_eq!(hourly_spend(&[30.0], 2), vec![36.0]);
    }

    #[test]
    fn a_workload_at_the_baseline_is_sustained() {
        let t3_large = catalog().instance_type("t3.large").unwrap();
        // t3.large earns 36 credits/h: 30 % of 2 vCPUs is exactly the baseline.
        let run = replay(t3_large, &hourly_spend(&[30.0; 336], 2)).unwrap();
        assert!(run.sustained);
        assert_eq!(run.lowest, 864.0);
    }

    #[test]
    fn a_sustained_deficit_runs_dry() {
        let t3_medium = catalog().instance_type("t3.medium").unwrap();
        // 60 % of 2 vCPUs = 72 credits/h against 24 earned: 576 credits last 12 hours.
        let run = replay(t3_medium, &hourly_spend(&[60.0; 336], 2)).unwrap();
        assert!(!run.sustained);
        assert_eq!(run.lowest, 0.0);
    }

    #[test]
    fn a_deficit_the_bank_absorbs_is_still_refused_when_not_earned_back() {
        let t3_large = catalog().instance_type("t3.large").unwrap();
        // 1 credit/h more than earned for 300 hours: the bank (864) never empties, but the
        // workload spends more than it earns, so it is not sustainable.
        let run = replay(t3_large, &[37.0; 300]).unwrap();
        assert!(run.lowest > 500.0);
        assert!(!run.sustained);
    }

    #[test]
    fn spikes_within_the_bank_are_sustained() {
        let t3_large = catalog().instance_type("t3.large").unwrap();
        // 23 hours at 5 %, one hour at 100 % (120 credits) each day.
        let pct: Vec<f64> = (0..336)
            .map(|h| if h % 24 == 23 { 100.0 } else { 5.0 })
            .collect();
        let run = replay(t3_large, &hourly_spend(&pct, 2)).unwrap();
        assert!(run.sustained, "{run:?}");
    }

    #[test]
    fn not_burstable_is_none() {
        let m5 = catalog().instance_type("m5.large").unwrap();
        assert!(replay(m5, &[1.0]).is_none());
    }
}
