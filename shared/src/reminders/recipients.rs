//! Who gets which reminders: the tenant's own choice, or, until it makes
//! one, every admin of the tenant (the account's address when it has no
//! admin user), for every kind.

use crate::app::Ferry;
use crate::model::{Recipient, ReminderKind, Role, Tenant};
use crate::store::StoreResult;

/// The recipients in force, and whether they are the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipients {
    pub list: Vec<Recipient>,
    pub default: bool,
}

impl Recipients {
    /// The addresses that get `kind`, each once.
    pub fn of_kind(&self, kind: ReminderKind) -> Vec<String> {
        let mut addresses: Vec<String> = Vec::new();
        for recipient in self.list.iter().filter(|r| r.kinds.contains(&kind)) {
            if !addresses
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&recipient.email))
            {
                addresses.push(recipient.email.clone());
            }
        }
        addresses
    }
}

pub async fn of_tenant(ferry: &Ferry, tenant: &Tenant) -> StoreResult<Recipients> {
    if let Some(list) = ferry
        .store
        .get_reminder_settings(&tenant.id)
        .await?
        .recipients
    {
        return Ok(Recipients {
            list,
            default: false,
        });
    }
    let mut admins: Vec<String> = ferry
        .store
        .list_users(&tenant.id)
        .await?
        .into_iter()
        .filter(|u| u.role == Role::Admin)
        .map(|u| u.email)
        .collect();
    admins.sort();
    if admins.is_empty() {
        admins.push(tenant.email.clone());
    }
    Ok(Recipients {
        list: admins
            .into_iter()
            .map(|email| Recipient {
                email,
                kinds: ReminderKind::ALL.to_vec(),
            })
            .collect(),
        default: true,
    })
}
