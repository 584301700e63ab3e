//! Changing a user: the one way every route (role, new link, sign-in,
//! sign-out) changes a stored user, by compare-and-swap on its version, so
//! that no change undoes another made at the same time.

use super::error::ApiError;
use crate::app::Ferry;
use crate::model::{TenantId, User, UserId};
use crate::store::StoreError;

/// How often a change is decided again over a newer record before giving up.
const CHANGE_ATTEMPTS: usize = 8;

/// Changes the tenant's user `id` by `change`, made from the stored record
/// and saved by compare-and-swap: when someone else changed the user first,
/// it is read again and `change` decides again over the newer record.
/// `None` when there is no such user. A write that was stored although its
/// answer was lost (the store retried it) is recognised by the record
/// being exactly the one written.
pub async fn change_user<F>(
    ferry: &Ferry,
    tenant: &TenantId,
    id: &UserId,
    change: F,
) -> Result<Option<User>, ApiError>
where
    F: Fn(&User) -> Result<User, ApiError>,
{
    let mut written: Option<User> = None;
    for _ in 0..CHANGE_ATTEMPTS {
        let Some(stored) = ferry.store.get_user(tenant, id).await? else {
            return Ok(None);
        };
        if written.as_ref() == Some(&stored) {
            return Ok(Some(stored));
        }
        let next = change(&stored)?;
        match ferry.store.update_user(&next, stored.version).await {
            Ok(()) => return Ok(Some(next)),
            Err(StoreError::Conflict) => written = Some(next),
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict(
        "this user is being changed by someone else right now; try again",
    ))
}
