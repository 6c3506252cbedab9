//! The whole analysis of a usage file (and, optionally, its metrics): the bill with commitments
//! applied, waste, storage classes, commitment advice and right-sizing, ranked. The CLI's
//! `recommend`, `report` and `demo` and the Telegram bot all call this one pipeline.

use std::path::Path;

use rust_decimal::Decimal;

use crate::Error;
use crate::bill::{Bill, Commitments};
use crate::catalog::Catalog;
use crate::usage::costs::CostView;
use crate::usage::{ReadOptions, UsageRead};

/// The cost view to show of a usage file: the one asked for, else the invoice (unblended) for a
/// billing file and cloudcost's prices for this project's format (which has no billed cost).
pub fn cost_view(usage: &Path, asked: Option<CostView>) -> Result<CostView, Error> {
    let own = crate::usage::attribution::is_own_format(usage)?;
    match asked {
        Some(v) if own && v != CostView::Repriced => Err(Error::Request(format!(
            "{}: --cost {v} reads a billing file's own costs; this project's usage format has none (its view is `repriced`)",
            usage.display()
        ))),
        Some(v) => Ok(v),
        None if own => Ok(CostView::Repriced),
        None => Ok(CostView::Unblended),
    }
}

/// The budgets with each one's cost view settled (on a billing file, a budget that names none
/// takes `asked`, else the invoice: unblended, as AWS Budgets measures by default), and the
/// daily costs of those measured in the file's own views (`budget_costs`). On this project's
/// format a budget can only measure cloudcost's prices.
pub fn budgets_in_views(
    cat: &Catalog,
    usage: &Path,
    mut budgets: crate::alarms::Budgets,
    asked: Option<CostView>,
) -> Result<
    (
        crate::alarms::Budgets,
        std::collections::BTreeMap<String, crate::forecast::DailyCosts>,
    ),
    Error,
> {
    let default = cost_view(usage, asked)?;
    let own = crate::usage::attribution::is_own_format(usage)?;
    for b in &mut budgets.budgets {
        match b.cost {
            Some(v) if own && v != CostView::Repriced => {
                return Err(Error::Request(format!(
                    "budget `{}`: cost = \"{v}\" reads a billing file's own costs; {} is in this project's usage format, whose only view is `repriced`",
                    b.name,
                    usage.display()
                )));
            }
            None if !own => b.cost = Some(default),
            _ => {}
        }
    }
    let costs = budget_costs(cat, usage, &budgets, default)?;
    Ok((budgets, costs))
}

/// The daily costs of each budget measured in a billing file's own cost view (its `cost`, or
/// `default` when it names none), from the file's cost columns, filtered as the budget says (its
/// `service` is the file's own service name, e.g. `AmazonEC2`; `tag` is `key=value`). A charge
/// that is not usage (tax, fees, credits) is a period charge: counted on its day, never
/// extrapolated by the forecast.
pub fn budget_costs(
    cat: &Catalog,
    usage: &Path,
    budgets: &crate::alarms::Budgets,
    default: CostView,
) -> Result<std::collections::BTreeMap<String, crate::forecast::DailyCosts>, Error> {
    let mut out = std::collections::BTreeMap::new();
    for b in &budgets.budgets {
        let view = b.cost.unwrap_or(default);
        if view != CostView::Repriced {
            out.insert(
                b.name.clone(),
                view_daily_costs(cat, usage, view, &b.filter)?,
            );
        }
    }
    Ok(out)
}

/// A billing file's daily costs in one of its own views, of the part `f` selects (`service` is
/// the file's own service name, `tag` is `key=value`): usage day by day, and the charges that are
/// not usage (tax, fees, credits) as period charges, counted on their day and never
/// extrapolated by the forecast.
pub fn view_daily_costs(
    cat: &Catalog,
    usage: &Path,
    view: CostView,
    f: &crate::alarms::Filter,
) -> Result<crate::forecast::DailyCosts, Error> {
    use crate::usage::costs::Dimension;
    let pair = |p: &Option<String>| match p.as_deref().map(|t| t.split_once('=')) {
        Some(Some((k, v))) => Some((k.trim().to_string(), v.trim().to_string())),
        _ => None,
    };
    let (tag, category) = (pair(&f.tag), pair(&f.cost_category));
    let mut dims = vec![Dimension::Day, Dimension::PricingModel];
    let mut wanted: Vec<(usize, String)> = Vec::new();
    for (d, value) in [
        (Dimension::Service, f.service.clone()),
        (Dimension::Region, f.region.clone()),
        (Dimension::Account, f.account.clone()),
        (
            Dimension::Tag(tag.as_ref().map(|t| t.0.clone()).unwrap_or_default()),
            tag.as_ref().map(|t| t.1.clone()),
        ),
        (
            Dimension::CostCategory(category.as_ref().map(|t| t.0.clone()).unwrap_or_default()),
            category.as_ref().map(|t| t.1.clone()),
        ),
    ] {
        if let Some(v) = value {
            wanted.push((dims.len(), v));
            dims.push(d);
        }
    }
    let table = crate::usage::costs::billed_costs(usage, cat, view, &dims)?;
    Ok(daily_costs_of(&table, |r| {
        wanted.iter().all(|(i, v)| match (&dims[*i], &r.keys[*i]) {
            // An account is its id, with its name beside it where the file has one.
            (Dimension::Account, Some(k)) => k == v || k.starts_with(&format!("{v} (")),
            (_, Some(k)) => k == v,
            (_, None) => false,
        })
    }))
}

/// The daily costs of a view's table (by day and pricing model, and maybe more), of the rows
/// `keep` selects: usage day by day, the charges that are not usage as period charges.
pub fn daily_costs_of(
    table: &crate::usage::costs::CostTable,
    keep: impl Fn(&crate::usage::costs::CostRow) -> bool,
) -> crate::forecast::DailyCosts {
    use crate::usage::costs::Dimension;
    let at = |d: Dimension| table.dims.iter().position(|x| *x == d);
    let (Some(day_at), Some(model_at)) = (at(Dimension::Day), at(Dimension::PricingModel)) else {
        return crate::forecast::DailyCosts::default();
    };
    let mut costs = crate::forecast::DailyCosts::default();
    for r in table.rows.iter().filter(|r| keep(r)) {
        let Some(day) = r.keys[day_at]
            .as_deref()
            .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
        else {
            continue;
        };
        let usage_row = matches!(
            r.keys[model_at].as_deref(),
            Some("on-demand" | "spot" | "reserved" | "savings plan")
        );
        let series = if usage_row {
            &mut costs.daily
        } else {
            &mut costs.period
        };
        *series.entry(day).or_default() += r.cost;
    }
    costs
}

/// [`price_file`], its rows in the cost view `asked` (default: a billing file's invoice,
/// unblended; cloudcost's prices for this project's format): the bill the bot and the alarms
/// show. A billing file's own view keeps the re-priced total beside it (`Bill::view`).
pub fn price_file_in_view(
    cat: &Catalog,
    usage: &Path,
    held: Option<&Commitments>,
    asked: Option<CostView>,
) -> Result<(UsageRead, Bill), Error> {
    let view = cost_view(usage, asked)?;
    let (read, bill) = price_file(cat, usage, held)?;
    let viewed = in_view(cat, usage, &bill, view)?;
    Ok((read, viewed))
}

/// [`price_file_in_view`], with the daily costs of the budgets that measure another view than
/// the one shown (by budget name, for `AlarmOptions::costs`): a budget on the amortized cost, or
/// on cloudcost's prices, beside a bill shown as the invoice. What the bot evaluates.
pub fn price_file_for_budgets(
    cat: &Catalog,
    usage: &Path,
    held: Option<&Commitments>,
    asked: Option<CostView>,
    budgets: &crate::alarms::Budgets,
) -> Result<
    (
        Bill,
        std::collections::BTreeMap<String, crate::forecast::DailyCosts>,
    ),
    Error,
> {
    let shown = cost_view(usage, asked)?;
    let (_, repriced) = price_file(cat, usage, held)?;
    let mut costs = std::collections::BTreeMap::new();
    for b in &budgets.budgets {
        let Some(view) = b.cost.filter(|v| *v != shown) else {
            continue;
        };
        let daily = if view == CostView::Repriced {
            crate::alarms::filtered_daily_costs(&repriced, &b.filter)
        } else {
            view_daily_costs(cat, usage, view, &b.filter).map_err(|e| {
                Error::Request(format!("budget `{}` (cost = \"{view}\"): {e}", b.name))
            })?
        };
        costs.insert(b.name.clone(), daily);
    }
    let bill = in_view(cat, usage, &repriced, shown)?;
    Ok((bill, costs))
}

/// `bill` (priced from `usage`) in cost view `view`: itself for `repriced`, else its rows
/// replaced by the file's own costs (`Bill::in_view`).
pub fn in_view(cat: &Catalog, usage: &Path, bill: &Bill, view: CostView) -> Result<Bill, Error> {
    if view == CostView::Repriced {
        return Ok(bill.clone());
    }
    let table = crate::usage::costs::billed_costs(usage, cat, view, &Bill::VIEW_DIMENSIONS)?;
    Ok(bill.in_view(&table))
}

/// Reads a usage file and prices it, with the commitments applied when given: the bill that
/// `estimate`, `forecast` and `alarms` start from.
pub fn price_file(
    cat: &Catalog,
    usage: &Path,
    held: Option<&Commitments>,
) -> Result<(UsageRead, Bill), Error> {
    let (own, notes) = file_commitments(cat, usage, held)?;
    let held = held.or(own.as_ref());
    let read = crate::usage::read_usage(
        usage,
        cat,
        &ReadOptions {
            hourly_ec2: held.is_some(),
            rejects_path: None,
        },
    )?;
    let mut bill = crate::bill::price_with_commitments(cat, &read, held)?;
    bill.notes.extend(notes);
    attribute(&mut bill, usage)?;
    Ok((read, bill))
}

/// The reserved instances a billing file itself shows (see `usage::reservations`), when it
/// shows any, and a note for each that cannot be applied; none when commitments are `given`
/// (a commitments file replaces them, and the file is not read for them).
pub fn file_commitments(
    cat: &Catalog,
    usage: &Path,
    given: Option<&Commitments>,
) -> Result<(Option<Commitments>, Vec<String>), Error> {
    if given.is_some() {
        return Ok((None, Vec::new()));
    }
    let found = crate::usage::reservations(usage)?;
    let (held, notes) = Commitments::from_file(&usage.display().to_string(), &found, cat);
    Ok(((!held.is_empty()).then_some(held), notes))
}

/// Fills in the bill's accounts and tags from the usage file, when it carries them (one more
/// scan of the file, only then; otherwise only its schema is read).
pub fn attribute(bill: &mut Bill, usage: &Path) -> Result<(), Error> {
    bill.attribution = crate::usage::attribution::read_attribution(usage)?;
    Ok(())
}

/// Reads and parses a commitments file.
pub fn read_commitments(cat: &Catalog, path: &Path) -> Result<Commitments, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Commitments::parse(&path.display().to_string(), &text, cat)
}

/// The bill (with commitments applied), the recommendations, and the metrics read.
pub struct Analysis {
    /// The bill, when a usage file was given.
    pub bill: Option<crate::bill::Bill>,
    /// Every recommendation, ranked by monthly saving.
    pub report: crate::savings::Report,
    /// The metrics read, when a metrics file was given.
    pub metrics: Option<crate::usage::metrics::MetricsRead>,
}

/// Prices the usage and builds every recommendation from the usage and the metrics.
pub fn analyse(
    cat: &Catalog,
    usage: Option<&Path>,
    metrics: Option<&Path>,
    held: Option<&crate::bill::Commitments>,
    opts: &crate::recommend::RightsizingOptions,
    commitment_lookback: u32,
) -> Result<Analysis, Error> {
    analyse_with(cat, usage, metrics, None, held, opts, commitment_lookback)
}

/// Reads the metrics at `path`: this project's metrics file, or `aws cloudwatch
/// get-metric-data` output (a `.json` file or a directory of them), whose instances' types and
/// regions come from the usage read's EC2 rows and the inventory (`aws ec2 describe-instances`
/// JSON), the inventory winning.
pub fn read_metrics(
    cat: &Catalog,
    path: &Path,
    lookback_days: u32,
    usage: Option<&UsageRead>,
    inventory: Option<&Path>,
) -> Result<crate::usage::metrics::MetricsRead, Error> {
    use crate::usage::{cloudwatch, compute_optimizer};
    if compute_optimizer::is_export(path) {
        if inventory.is_some() {
            return Err(Error::Request(format!(
                "{}: --inventory places the instances of CloudWatch output (get-metric-data JSON); a Compute Optimizer export names each instance's type and region itself",
                path.display()
            )));
        }
        let export = compute_optimizer::read_export(path)?;
        return Ok(crate::usage::metrics::MetricsRead {
            rows_read: export.rows_read,
            rejected: export.rejected,
            compute_optimizer: export.rows,
            ..Default::default()
        });
    }
    if !cloudwatch::is_get_metric_data(path) {
        if inventory.is_some() {
            return Err(Error::Request(format!(
                "{}: --inventory places the instances of CloudWatch output (get-metric-data JSON); this metrics file says each instance's type and region itself",
                path.display()
            )));
        }
        return Ok(crate::usage::metrics::read_metrics(path, lookback_days)?);
    }
    let mut places = usage.map(cloudwatch::placements_of).unwrap_or_default();
    if let Some(inv) = inventory {
        let regions: Vec<&str> = cat.regions().map(|r| r.code.as_str()).collect();
        places.extend(cloudwatch::read_describe_instances(inv, &regions)?);
    }
    if places.is_empty() {
        return Err(Error::Request(format!(
            "{}: CloudWatch output does not say each instance's type and region: give --usage (a CUR, FOCUS or usage file that bills the instances) or --inventory (the JSON of `aws ec2 describe-instances`)",
            path.display()
        )));
    }
    Ok(cloudwatch::read_get_metric_data(
        path,
        lookback_days,
        &places,
    )?)
}

/// [`analyse`], with an inventory (`aws ec2 describe-instances` JSON) placing the instances of
/// CloudWatch metrics.
pub fn analyse_with(
    cat: &Catalog,
    usage: Option<&Path>,
    metrics: Option<&Path>,
    inventory: Option<&Path>,
    held: Option<&crate::bill::Commitments>,
    opts: &crate::recommend::RightsizingOptions,
    commitment_lookback: u32,
) -> Result<Analysis, Error> {
    let mut report = crate::savings::Report::default();
    // Per instance: the effective hourly price it pays when a commitment covers it.
    let mut covered = std::collections::BTreeMap::new();
    let mut os_of = std::collections::BTreeMap::new();
    let mut bill = None;
    // The usage read and its commitments, for the commitment search after right-sizing.
    let mut for_commitments = None;
    if let Some(u) = usage {
        // A billing file's own reservations, unless a commitments file is given.
        let (own, notes) = file_commitments(cat, u, held)?;
        let held = held.cloned().or(own);
        let read = crate::usage::read_usage(
            u,
            cat,
            &crate::usage::ReadOptions {
                hourly_ec2: true,
                rejects_path: None,
            },
        )?;
        // A billing file says what each resource used, not what it is attached to: its
        // inventory comes from the usage read, and the waste that needs attachments is not
        // looked for.
        let inv = if read.has_billed {
            report.notes.push(format!(
                "{}: a billing file does not say what volumes and addresses are attached to: \
                 unassociated addresses are found from the hours it bills as idle; unattached \
                 volumes and volumes of stopped instances need this project's usage format \
                 (docs/usage-format.md)",
                u.display()
            ));
            crate::usage::inventory::Inventory::from_read(&read)
        } else {
            crate::usage::inventory::read_inventory(u)?
        };
        report
            .opportunities
            .extend(crate::savings::waste::waste(cat, &inv)?);
        report
            .opportunities
            .extend(crate::savings::storage::storage_classes(cat, &inv)?);
        for d in read.days.iter().filter(|d| d.key.service == "ec2") {
            os_of.insert(d.resource_id.to_string(), d.key.os);
        }
        let mut b = crate::bill::price_usage(cat, &read)?;
        attribute(&mut b, u)?;
        if let Some(h) = &held {
            crate::bill::apply_commitments(cat, &read, &mut b, h)?;
            covered = crate::savings::covered_instances(&b);
        }
        b.notes.extend(notes);
        bill = Some(b);
        for_commitments = Some((read, held));
    }
    let mut metrics_read = None;
    let mut changes = std::collections::BTreeMap::new();
    if let Some(m) = metrics {
        let read = read_metrics(
            cat,
            m,
            opts.lookback_days,
            for_commitments.as_ref().map(|(r, _)| r),
            inventory,
        )?;
        for (reason, n) in &read.rejected {
            report.notes.push(format!(
                "{}: {n} metric row(s) set aside: {reason}",
                m.display()
            ));
        }
        changes = recommend_instances(cat, &read, &covered, &os_of, opts, &mut report)?;
        metrics_read = Some(read);
    }
    // Commitments are sized on the fleet the right-sizing and idle recommendations leave, so
    // that every saving listed can be had together.
    if let Some((read, held)) = for_commitments {
        let hours = crate::savings::commitments::hours_after_changes(&read, &changes);
        let advice = crate::savings::commitments::recommend_commitments(
            cat,
            &hours,
            commitment_lookback,
            held.as_ref(),
        );
        if !changes.is_empty() && !advice.opportunities.is_empty() {
            report.notes.push(format!(
                "commitments are sized on the usage left after the {} right-sizing, idle and \
                 schedule recommendations, so that their savings add up",
                changes.len()
            ));
        }
        report.opportunities.extend(advice.opportunities);
        report.notes.extend(advice.notes);
    }
    report.rank();
    Ok(Analysis {
        bill,
        report,
        metrics: metrics_read,
    })
}

/// Right-sizing and idle instances from the metrics, priced under the pricing model each
/// instance has (on-demand, or the effective rate of the commitment covering it).
fn recommend_instances(
    cat: &Catalog,
    read: &crate::usage::metrics::MetricsRead,
    covered: &std::collections::BTreeMap<String, Decimal>,
    os_of: &std::collections::BTreeMap<String, crate::catalog::Os>,
    opts: &crate::recommend::RightsizingOptions,
    report: &mut crate::savings::Report,
) -> Result<std::collections::BTreeMap<String, crate::savings::commitments::InstanceChange>, Error>
{
    use crate::recommend::{CurrentPricing, Finding, InstanceContext};
    // Instance → its new type, or none when it is to be stopped.
    let mut changes = std::collections::BTreeMap::new();
    use crate::savings::{InstanceRow, Kind, Opportunity};
    // Hourly series are summarised over the lookback; a Compute Optimizer export has summarised
    // its instances already, and its findings are kept to compare.
    let summaries = read
        .series
        .iter()
        .map(|s| {
            (
                crate::recommend::WorkloadSummary::of_series(s, opts),
                None,
                Some(s),
            )
        })
        .chain(
            read.compute_optimizer
                .iter()
                .map(|row| (export_summary(row), Some(row), None)),
        );
    let mut compared = Comparison::default();
    let mut schedules = Schedules::default();
    // (region, type, OS) → its always-on instances, with what right-sizing each saves.
    type Members<'a> = Vec<(&'a crate::metrics::InstanceSeries, Decimal)>;
    let mut fleets: std::collections::BTreeMap<(String, String, crate::catalog::Os), Members> =
        std::collections::BTreeMap::new();
    for (mut summary, export, series) in summaries {
        // A weekly pattern of work is not idleness: a box quiet every weekend passes Trusted
        // Advisor's idle rule (4 low days of 14), and the answer is a schedule, not a stop.
        let schedule = series.map(|s| {
            crate::recommend::schedule::find_schedule(s, opts.lookback_days, opts.timezone)
        });
        if matches!(schedule, Some(Ok(_))) {
            summary.idle_days = None;
        }
        let os = os_of
            .get(&summary.resource_id)
            .copied()
            .unwrap_or(crate::catalog::Os::Linux);
        let ctx = match covered.get(&summary.resource_id) {
            Some(rate) => InstanceContext::covered(os, *rate),
            None => InstanceContext::on_demand(os),
        };
        let r = crate::recommend::rightsize_summary(cat, &summary, &ctx, opts)?;
        let best = r.options.first();
        match (r.finding, best) {
            (Finding::Idle, _) => {
                changes.insert(
                    r.resource_id.clone(),
                    crate::savings::commitments::InstanceChange::stop(),
                );
                let saving = r.idle_stop_saving.unwrap_or_default();
                let covered_note = if matches!(ctx.pricing, CurrentPricing::Covered { .. }) {
                    " (its commitment is paid anyway: stopping it frees the commitment for other usage)"
                } else {
                    ""
                };
                report.opportunities.push(Opportunity {
                    kind: Kind::IdleInstance,
                    resource_id: r.resource_id.clone(),
                    region: r.region.clone(),
                    action: format!(
                        "Stop or terminate the idle {}{covered_note}",
                        r.instance_type
                    ),
                    current_monthly: r.current_monthly_cost,
                    proposed_monthly: r.current_monthly_cost - saving,
                    monthly_saving: saving,
                    detail: r.note.clone(),
                });
            }
            (Finding::OverProvisioned | Finding::UnderProvisioned, Some(o)) => {
                changes.insert(
                    r.resource_id.clone(),
                    crate::savings::commitments::InstanceChange::resize(&o.instance_type),
                );
                let fixes = r.finding == Finding::UnderProvisioned;
                report.opportunities.push(Opportunity {
                    kind: Kind::Rightsize,
                    resource_id: r.resource_id.clone(),
                    region: r.region.clone(),
                    action: format!(
                        "Change {} → {}{}{}",
                        r.instance_type,
                        o.instance_type,
                        if o.migration {
                            " (migration: another architecture)"
                        } else {
                            ""
                        },
                        if fixes {
                            " (fixes under-provisioning)"
                        } else {
                            ""
                        }
                    ),
                    current_monthly: r.current_monthly_cost,
                    proposed_monthly: o.monthly_cost,
                    monthly_saving: o.monthly_saving,
                    detail: format!(
                        "{}; projected CPU {:.1}%, performance risk {}. {}",
                        r.reasons
                            .iter()
                            .map(|x| x.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        o.projected_cpu_max_pct,
                        o.performance_risk,
                        o.note
                    )
                    .trim()
                    .to_string(),
                });
            }
            _ => {}
        }
        let mut scheduled = false;
        if let Some(found) = schedule
            && !matches!(r.finding, Finding::Idle | Finding::InsufficientData)
            && let Some(s) = schedules.add(cat, found, &r, &ctx, report)?
        {
            changes.entry(r.resource_id.clone()).or_default().schedule = Some(s);
            scheduled = true;
        }
        // Instances that run around the clock on demand, kept or right-sized: members of a
        // fleet that could follow its load.
        if let Some(series) = series
            && !scheduled
            && matches!(r.finding, Finding::Optimized | Finding::OverProvisioned)
            && ctx.pricing == CurrentPricing::OnDemand
        {
            let resize = match r.finding {
                Finding::OverProvisioned => r.best_saving(),
                _ => Decimal::ZERO,
            };
            fleets
                .entry((r.region.clone(), r.instance_type.clone(), ctx.os))
                .or_default()
                .push((series, resize));
        }
        let mut row = InstanceRow::from(&r);
        row.compute_optimizer = export.and_then(|e| compared.add(&r, e));
        report.instances.push(row);
    }
    report.notes.extend(compared.notes());
    report.notes.extend(schedules.notes());
    for ((region, ty, os), members) in fleets {
        scale_fleet(cat, &region, &ty, os, &members, opts, report, &mut changes)?;
    }
    Ok(changes)
}

/// Proposes that instances of one region, type and OS follow their summed load as a fleet, when
/// that saves more than right-sizing them one by one; the fleet then replaces their right-sizing
/// (the two are alternatives, never added).
#[allow(clippy::too_many_arguments)]
fn scale_fleet(
    cat: &Catalog,
    region: &str,
    ty: &str,
    os: crate::catalog::Os,
    members: &[(&crate::metrics::InstanceSeries, Decimal)],
    opts: &crate::recommend::RightsizingOptions,
    report: &mut crate::savings::Report,
    changes: &mut std::collections::BTreeMap<String, crate::savings::commitments::InstanceChange>,
) -> Result<(), Error> {
    let series: Vec<&crate::metrics::InstanceSeries> = members.iter().map(|m| m.0).collect();
    let Some(fleet) =
        crate::recommend::fleet::find_fleet(&series, opts.lookback_days, opts.headroom_pct)
    else {
        return Ok(());
    };
    let hourly = cat
        .ec2_price(region, ty, os, crate::catalog::Ec2Model::OnDemand)?
        .hourly;
    let hours = crate::recommend::HOURS_PER_MONTH;
    let n = Decimal::from(members.len() as u64);
    let current = hourly * hours * n;
    let needed = Decimal::from(fleet.needed_hours_per_week() as u64) * hours / Decimal::from(168);
    let proposed = hourly * needed;
    let saving = current - proposed;
    let resize: Decimal = members.iter().map(|m| m.1).sum();
    let (low, high) = fleet.range();
    let what = format!("{} {ty} in {region}", members.len());
    if saving <= resize {
        report.notes.push(format!(
            "{what} ({}) could follow their summed load ({low} to {high} running), saving {} a \
             month: less than right-sizing them one by one ({}), which stays recommended",
            first_of(&fleet.members, 5, ", "),
            crate::Money::usd(saving),
            crate::Money::usd(resize)
        ));
        return Ok(());
    }
    let ids: std::collections::BTreeSet<&str> = fleet.members.iter().map(String::as_str).collect();
    report.opportunities.retain(|o| {
        !(o.kind == crate::savings::Kind::Rightsize && ids.contains(o.resource_id.as_str()))
    });
    let shared = std::sync::Arc::new(fleet.clone());
    for (k, id) in fleet.members.iter().enumerate() {
        changes.insert(
            id.clone(),
            crate::savings::commitments::InstanceChange {
                fleet: Some((shared.clone(), k)),
                ..Default::default()
            },
        );
    }
    let name = format!("{ty} fleet ({})", members.len());
    report.schedules.push(crate::savings::ScheduleRow {
        resource_id: name.clone(),
        schedule: format!("{low} to {high} instances"),
        running_hours_per_week: (members.len() * 168) as u32,
        on_hours_per_week: fleet.needed_hours_per_week() as u32,
        monthly_saving: saving,
    });
    report.opportunities.push(crate::savings::Opportunity {
        kind: crate::savings::Kind::ScaleFleet,
        resource_id: name,
        region: region.to_string(),
        action: format!(
            "Run the {what} as an Auto Scaling group following the load: {low} to {high} \
             instances, {} instance-hours a week instead of {}",
            fleet.needed_hours_per_week(),
            members.len() * 168
        ),
        current_monthly: current,
        proposed_monthly: proposed,
        monthly_saving: saving,
        detail: format!(
            "members {}; each hour's need is the members' summed CPU maxima with {} % headroom, \
             at least {} running, the most any of {} week(s) needed at that hour of the week \
             (UTC); instead of right-sizing them one by one ({} a month)",
            first_of(&fleet.members, 8, ", "),
            opts.headroom_pct,
            crate::recommend::fleet::MIN_RUNNING,
            fleet.weeks_observed,
            crate::Money::usd(resize)
        ),
    });
    Ok(())
}

/// Off-hours schedules of the instances right-sizing keeps, and why the near misses got none.
#[derive(Default)]
struct Schedules {
    /// Instances with no schedule, by reason (only reasons worth telling: a pattern seen but not
    /// proven, or a commitment that makes stopping pointless).
    without: std::collections::BTreeMap<String, Vec<String>>,
}

impl Schedules {
    /// Looks for a schedule of `series` and, when one saves money, adds it to `report`: priced on
    /// the type the instance keeps after right-sizing (so that the two savings add up).
    fn add(
        &mut self,
        cat: &Catalog,
        found: Result<crate::recommend::schedule::Schedule, crate::recommend::schedule::NoSchedule>,
        r: &crate::recommend::InstanceRecommendation,
        ctx: &crate::recommend::InstanceContext,
        report: &mut crate::savings::Report,
    ) -> Result<Option<crate::recommend::schedule::Schedule>, Error> {
        use crate::recommend::schedule::NoSchedule;
        use crate::recommend::{CurrentPricing, Finding};
        let found = match found {
            Ok(s) => s,
            Err(
                why @ (NoSchedule::TooFewDays(_)
                | NoSchedule::Irregular { .. }
                | NoSchedule::NoNetwork),
            ) => {
                self.without
                    .entry(why.to_string())
                    .or_default()
                    .push(r.resource_id.clone());
                return Ok(None);
            }
            Err(_) => return Ok(None),
        };
        if let CurrentPricing::Covered { .. } = ctx.pricing {
            self.without
                .entry(format!(
                    "follows a weekly schedule ({}), but a commitment covers it: the hours it                      would be stopped are paid anyway",
                    found.describe()
                ))
                .or_default()
                .push(r.resource_id.clone());
            return Ok(None);
        }
        let resized = match (r.finding, r.options.first()) {
            (Finding::OverProvisioned | Finding::UnderProvisioned, Some(o)) => {
                Some(o.instance_type.as_str())
            }
            _ => None,
        };
        let ty = resized.unwrap_or(r.instance_type.as_str());
        let hourly = cat
            .ec2_price(&r.region, ty, ctx.os, crate::catalog::Ec2Model::OnDemand)?
            .hourly;
        let hours = ctx.hours_per_month;
        let on = Decimal::from(found.on_hours_per_week()) * hours / Decimal::from(168);
        let current = hourly * hours;
        let proposed = hourly * on;
        let off = found.off_hours_per_week();
        report.schedules.push(crate::savings::ScheduleRow {
            resource_id: r.resource_id.clone(),
            schedule: found.describe(),
            running_hours_per_week: 168,
            on_hours_per_week: found.on_hours_per_week(),
            monthly_saving: current - proposed,
        });
        report.opportunities.push(crate::savings::Opportunity {
            kind: crate::savings::Kind::Schedule,
            resource_id: r.resource_id.clone(),
            region: r.region.clone(),
            action: format!(
                "Run {ty} only {} ({off} hours a week stopped)",
                found.describe()
            ),
            current_monthly: current,
            proposed_monthly: proposed,
            monthly_saving: current - proposed,
            detail: format!(
                "quiet outside these hours: {}; {} of {hours} hours a month at ${}/h on demand{};                  attached EBS volumes are still billed while stopped",
                found.confidence(),
                on.round_dp(2),
                hourly.normalize(),
                if resized.is_some() {
                    format!(", after the change from {} to {ty}", r.instance_type)
                } else {
                    String::new()
                }
            ),
        });
        Ok(Some(found))
    }

    fn notes(&self) -> Vec<String> {
        self.without
            .iter()
            .map(|(why, ids)| {
                const SHOWN: usize = 5;
                format!(
                    "no off-hours schedule for {} ({}): {why}",
                    if ids.len() == 1 {
                        "1 instance".to_string()
                    } else {
                        format!("{} instances", ids.len())
                    },
                    first_of(ids, SHOWN, ", ")
                )
            })
            .collect()
    }
}

/// A Compute Optimizer export row as the workload right-sizing reads: its CPU maximum is the CPU
/// demand, its network maxima (in + out) the peak, over its own lookback. It has no hourly
/// figures: no credit replay, no idle test.
fn export_summary(
    row: &crate::usage::compute_optimizer::ExportRow,
) -> crate::recommend::WorkloadSummary {
    let net = match (row.net_in_bytes_per_second, row.net_out_bytes_per_second) {
        (None, None) => None,
        (a, b) => Some((a.unwrap_or(0.0) + b.unwrap_or(0.0)) * 8.0 / 1e9),
    };
    crate::recommend::WorkloadSummary {
        resource_id: row.resource_id.clone(),
        region: row.region.clone(),
        instance_type: row.instance_type.clone(),
        hours_of_data: row.lookback_days as usize * 24,
        cpu_pct: row.cpu_max_pct,
        cpu_statistic: "maximum".into(),
        mem_max_pct: row.mem_max_pct,
        net_peak_gbps: net,
        hourly_avg_cpu: None,
        lowest_credit_balance: None,
        idle_days: None,
    }
}

/// cloudcost's findings against Compute Optimizer's, instance by instance.
#[derive(Default)]
struct Comparison {
    compared: usize,
    agreed: usize,
    same_type: usize,
    both_resize: usize,
    differ: Vec<String>,
}

impl Comparison {
    /// Compares one instance; `None` when the export has no finding for it.
    fn add(
        &mut self,
        r: &crate::recommend::InstanceRecommendation,
        e: &crate::usage::compute_optimizer::ExportRow,
    ) -> Option<crate::savings::ComputeOptimizerVerdict> {
        use crate::recommend::Finding;
        use crate::usage::compute_optimizer::ExportFinding;
        let theirs = e.finding?;
        let agrees = match theirs {
            ExportFinding::OverProvisioned | ExportFinding::NotOptimized => {
                r.finding == Finding::OverProvisioned
            }
            ExportFinding::UnderProvisioned => r.finding == Finding::UnderProvisioned,
            ExportFinding::Optimized => r.finding == Finding::Optimized,
        };
        self.compared += 1;
        if agrees {
            self.agreed += 1;
        } else {
            self.differ.push(format!(
                "{} ({}): cloudcost {}, Compute Optimizer {}",
                r.resource_id,
                r.instance_type,
                r.finding,
                theirs.as_str()
            ));
        }
        if let (Some(ours), Some(t)) = (r.options.first(), &e.recommended_type)
            && agrees
            && r.finding != Finding::Optimized
        {
            self.both_resize += 1;
            if &ours.instance_type == t {
                self.same_type += 1;
            }
        }
        Some(crate::savings::ComputeOptimizerVerdict {
            finding: theirs.as_str().to_string(),
            recommended_type: e.recommended_type.clone(),
            agrees,
        })
    }

    fn notes(&self) -> Vec<String> {
        if self.compared == 0 {
            return Vec::new();
        }
        let mut notes = vec![format!(
            "Compute Optimizer export: cloudcost's finding is Compute Optimizer's on {} of {} instances, and its best option the same type on {} of the {} both would resize (docs/metrics.md says where the rules differ)",
            self.agreed, self.compared, self.same_type, self.both_resize
        )];
        const SHOWN: usize = 10;
        if !self.differ.is_empty() {
            notes.push(format!(
                "findings that differ: {}",
                first_of(&self.differ, SHOWN, "; ")
            ));
        }
        notes
    }
}

/// The first `shown` items joined by `sep`, and how many more there are.
fn first_of(items: &[String], shown: usize, sep: &str) -> String {
    let more = items.len().saturating_sub(shown);
    let mut s = items
        .iter()
        .take(shown)
        .cloned()
        .collect::<Vec<_>>()
        .join(sep);
    if more > 0 {
        s.push_str(&format!("{sep}and {more} more"));
    }
    s
}
