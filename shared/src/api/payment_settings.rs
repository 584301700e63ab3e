//! A connection's `payments` setting checked against its target ledger:
//! e-conomic needs the cash `journal` and each gateway's `contra_account`;
//! Fortnox each gateway's `mode_of_payment`. Only orders connections into
//! a ledger book payments.

use super::error::ApiError;
use crate::model::{Entity, PaymentSettings, SystemKind};

const FIELD: &str = "payments";
/// Longest gateway name and Fortnox mode of payment Ferry keeps.
const NAME_MAX: usize = 100;

/// The setting as it will be kept, or why it is refused (naming the field).
pub fn check(
    settings: Option<PaymentSettings>,
    entity: Entity,
    target: SystemKind,
) -> Result<Option<PaymentSettings>, ApiError> {
    let Some(mut settings) = settings else {
        return Ok(None);
    };
    if entity != Entity::Orders {
        return Err(ApiError::invalid(
            FIELD,
            "only an orders connection books payments",
        ));
    }
    let ledger = target.display_name();
    if !matches!(target, SystemKind::Economic | SystemKind::Fortnox) {
        return Err(ApiError::invalid(
            FIELD,
            format!("{ledger} cannot book the shop's payments"),
        ));
    }
    if target == SystemKind::Economic && settings.journal.is_none() {
        return Err(ApiError::invalid(
            "payments.journal",
            "name the e-conomic cash journal the payments go to (its number)",
        ));
    }
    if target == SystemKind::Fortnox {
        settings.journal = None;
    }
    for (gateway, account) in settings.gateways.iter_mut() {
        let field = format!("payments.gateways.{gateway}");
        if gateway.trim().is_empty() || gateway.chars().count() > NAME_MAX {
            return Err(ApiError::invalid(
                "payments.gateways",
                format!("a payment method's name must be 1 to {NAME_MAX} characters"),
            ));
        }
        match target {
            SystemKind::Economic if account.contra_account.is_none() => {
                return Err(ApiError::invalid(
                    format!("{field}.contra_account"),
                    format!(
                        "name the e-conomic account that '{gateway}' payments go to (contra_account)"
                    ),
                ));
            }
            SystemKind::Fortnox => {
                let mode = account
                    .mode_of_payment
                    .as_deref()
                    .map(str::trim)
                    .unwrap_or_default();
                if mode.is_empty() || mode.chars().count() > NAME_MAX {
                    return Err(ApiError::invalid(
                        format!("{field}.mode_of_payment"),
                        format!(
                            "name the Fortnox mode of payment of '{gateway}' payments \
                             (mode_of_payment, e.g. \"KO\")"
                        ),
                    ));
                }
                account.mode_of_payment = Some(mode.to_owned());
            }
            _ => {}
        }
    }
    Ok(Some(settings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings(value: serde_json::Value) -> Option<PaymentSettings> {
        Some(serde_json::from_value(value).expect("payments read"))
    }

    #[test]
    fn economic_needs_a_journal_and_each_contra_account() {
        let no_journal = settings(json!({"gateways": {"paypal": {"contra_account": 5820}}}));
        let refused = check(no_journal, Entity::Orders, SystemKind::Economic).unwrap_err();
        assert_eq!(refused.field.as_deref(), Some("payments.journal"));

        let no_account = settings(json!({"gateways": {"paypal": {}}, "journal": 2}));
        let refused = check(no_account, Entity::Orders, SystemKind::Economic).unwrap_err();
        assert_eq!(
            refused.field.as_deref(),
            Some("payments.gateways.paypal.contra_account")
        );

        let fine =
            settings(json!({"gateways": {"paypal": {"contra_account": 5820}}, "journal": 2}));
        assert!(check(fine, Entity::Orders, SystemKind::Economic).is_ok());
    }

    #[test]
    fn fortnox_needs_each_mode_of_payment_and_only_ledgers_book_payments() {
        let no_mode = settings(json!({"gateways": {"stripe": {"account": 1930}}}));
        let refused = check(no_mode, Entity::Orders, SystemKind::Fortnox).unwrap_err();
        assert_eq!(
            refused.field.as_deref(),
            Some("payments.gateways.stripe.mode_of_payment")
        );
        let fine = settings(json!({"gateways": {"stripe": {"mode_of_payment": " KO "}}}));
        let kept = check(fine, Entity::Orders, SystemKind::Fortnox)
            .unwrap()
            .unwrap();
        assert_eq!(
            kept.gateways["stripe"].mode_of_payment.as_deref(),
            Some("KO")
        );

        let any = settings(json!({"gateways": {}}));
        assert!(check(any.clone(), Entity::Orders, SystemKind::Shopify).is_err());
        assert!(check(any, Entity::Products, SystemKind::Fortnox).is_err());
        assert_eq!(
            check(None, Entity::Orders, SystemKind::Shopify).unwrap(),
            None
        );
    }
}
