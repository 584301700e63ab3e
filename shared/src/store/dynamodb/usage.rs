//! Usage counters on DynamoDB: one item per tenant and day
//! (`USE#<yyyy-mm-dd>`), its six counters `ADD`ed; a month is the sum of its
//! days, so settling a transfer writes one counter, not two. Counted at once
//! after each settling write, or kept in memory and written per batch
//! ([`DynamoStore::counting_usage_per_batch`]).

use super::errors::unavailable;
use super::keys::*;
use super::reads::{n, parse, s};
use super::DynamoStore;
use crate::model::{usage_periods, TenantId, Transfer, Usage, UsageDelta};
use crate::store::StoreResult;
use std::collections::HashMap;
use std::sync::Mutex;

/// Usage counted but not written yet: per tenant and day.
#[derive(Debug, Default)]
pub(super) struct KeptUsage {
    counts: Mutex<HashMap<(TenantId, String), UsageDelta>>,
}

impl KeptUsage {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(TenantId, String), UsageDelta>> {
        match self.counts.lock() {
            Ok(counts) => counts,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn keep(&self, tenant: &TenantId, day: &str, usage: UsageDelta) {
        let mut counts = self.lock();
        let kept = counts.entry((tenant.clone(), day.to_owned())).or_default();
        *kept = plus(*kept, usage);
    }

    /// Everything kept, leaving nothing.
    fn take(&self) -> Vec<((TenantId, String), UsageDelta)> {
        self.lock().drain().collect()
    }

    /// What is kept for `tenant` in `period` (a day, or a month's days).
    fn in_period(&self, tenant: &TenantId, period: &str) -> UsageDelta {
        self.lock()
            .iter()
            .filter(|((t, day), _)| t == tenant && in_period(day, period))
            .fold(UsageDelta::default(), |sum, (_, usage)| plus(sum, *usage))
    }
}

fn in_period(day: &str, period: &str) -> bool {
    if is_month_period(period) {
        day.starts_with(period) && day.as_bytes().get(period.len()) == Some(&b'-')
    } else {
        day == period
    }
}

fn plus(a: UsageDelta, b: UsageDelta) -> UsageDelta {
    UsageDelta {
        orders: a.orders + b.orders,
        products: a.products + b.products,
        stock: a.stock + b.stock,
        created: a.created + b.created,
        updated: a.updated + b.updated,
        errors: a.errors + b.errors,
    }
}

/// A stored period's six counters.
fn counters(usage: &Usage) -> UsageDelta {
    UsageDelta {
        orders: usage.orders,
        products: usage.products,
        stock: usage.stock,
        created: usage.created,
        updated: usage.updated,
        errors: usage.errors,
    }
}

fn add_to(total: &mut Usage, usage: UsageDelta) {
    total.orders += usage.orders;
    total.products += usage.products;
    total.stock += usage.stock;
    total.created += usage.created;
    total.updated += usage.updated;
    total.errors += usage.errors;
}

impl DynamoStore {
    /// Counts a settled transfer's usage towards its day: kept for the
    /// batch, or written now. The transfer is written already, so a count
    /// that cannot be written is logged, never returned.
    pub(super) async fn count_usage(&self, transfer: &Transfer, usage: UsageDelta) {
        if usage == UsageDelta::default() {
            return;
        }
        let [day, _month] = usage_periods(transfer.updated_at);
        if let Some(kept) = &self.kept_usage {
            kept.keep(&transfer.tenant, &day, usage);
            return;
        }
        if let Err(e) = self.add_usage(&transfer.tenant, &day, usage).await {
            tracing::warn!(
                tenant = %transfer.tenant,
                period = day,
                error = %e,
                "usage not counted"
            );
        }
    }

    /// Writes what is kept, one `ADD` per tenant and day; what fails is
    /// kept again for the next flush, and the first failure is returned.
    pub(super) async fn write_kept_usage(&self) -> StoreResult<()> {
        let Some(kept) = &self.kept_usage else {
            return Ok(());
        };
        let mut first_error = None;
        for ((tenant, day), usage) in kept.take() {
            if let Err(e) = self.add_usage(&tenant, &day, usage).await {
                kept.keep(&tenant, &day, usage);
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// A day's item, or the sum of a month's day items (at most 31 small
    /// items: one Query, one read unit); plus what this store keeps unwritten.
    pub(super) async fn read_usage(&self, tenant: &TenantId, period: &str) -> StoreResult<Usage> {
        let mut total = Usage {
            period: period.to_owned(),
            ..Usage::default()
        };
        let pk = tenant_pk(tenant);
        let items = if is_month_period(period) {
            self.partition(&pk, Some(&format!("{}-", usage_sk(period))))
                .await?
        } else {
            self.get(&pk, &usage_sk(period))
                .await?
                .into_iter()
                .collect()
        };
        for item in items {
            let day: Usage = parse(item, "stored usage")?;
            add_to(&mut total, counters(&day));
        }
        if let Some(kept) = &self.kept_usage {
            add_to(&mut total, kept.in_period(tenant, period));
        }
        Ok(total)
    }

    /// `ADD`s the counters to one period's usage item (made if missing).
    async fn add_usage(
        &self,
        tenant: &TenantId,
        period: &str,
        usage: UsageDelta,
    ) -> StoreResult<()> {
        let counters = [
            ("orders", usage.orders),
            ("products", usage.products),
            ("stock", usage.stock),
            ("created", usage.created),
            ("updated", usage.updated),
            ("errors", usage.errors),
        ];
        let adds: Vec<String> = counters
            .iter()
            .map(|(name, _)| format!("#{name} :{name}"))
            .collect();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(tenant_pk(tenant)))
            .key(SK, s(usage_sk(period)))
            .update_expression(format!("SET #period = :period ADD {}", adds.join(", ")))
            .expression_attribute_names("#period", "period")
            .expression_attribute_values(":period", s(period));
        for (name, value) in counters {
            update = update
                .expression_attribute_names(format!("#{name}"), name)
                .expression_attribute_values(format!(":{name}"), n(value));
        }
        update
            .send()
            .await
            .map(|_| ())
            .map_err(|e| unavailable("UpdateItem (usage)", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_in_its_own_month_only() {
        assert!(in_period("2026-11-23", "2026-11"));
        assert!(in_period("2026-11-23", "2026-11-23"));
        assert!(!in_period("2026-11-23", "2026-12"));
        assert!(!in_period("2026-11-23", "2026-11-24"));
        assert!(!in_period("2026-1-", "2026-1"));
    }

    #[test]
    fn kept_counts_add_up_per_tenant_and_day_and_leave_on_take() {
        let kept = KeptUsage::default();
        let (a, b) = (TenantId::generate(), TenantId::generate());
        let one = UsageDelta {
            orders: 1,
            created: 1,
            ..UsageDelta::default()
        };
        kept.keep(&a, "2026-11-23", one);
        kept.keep(&a, "2026-11-23", one);
        kept.keep(&a, "2026-11-24", one);
        kept.keep(&b, "2026-11-23", one);
        assert_eq!(kept.in_period(&a, "2026-11-23").orders, 2);
        assert_eq!(kept.in_period(&a, "2026-11").orders, 3);
        assert_eq!(kept.in_period(&b, "2026-11").created, 1);
        assert_eq!(kept.take().len(), 3);
        assert_eq!(kept.in_period(&a, "2026-11"), UsageDelta::default());
    }
}
