//! A person's own account: the one-time link an administrator issues so someone without a
//! password (an imported account, say) can set one, and the sessions a person can see and end.

use keiretsu_domain::identity::{Caller, NOT_SIGNED_IN, Need, Scope, validate_password};
use keiretsu_domain::ids::{MemberId, OrgId, PasswordLinkId};
use keiretsu_domain::journal::Change;
use keiretsu_domain::time::format_rfc3339;
use keiretsu_domain::{DomainError, Reason, Rule, directory::MemberStatus};
use keiretsu_store::directory as dir_store;
use keiretsu_store::identity::{self as store, PasswordLinkRow};
use serde::{Deserialize, Serialize};

use super::{Cases, SessionInfo, hash_password};
use crate::{Result, random_id_bytes, random_token, secret_hash};

/// How long a set-password link stays usable.
pub const PASSWORD_LINK_HOURS: i64 = 72;

/// A set-password link, shown once to the administrator who issued it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PasswordLink {
    /// The console address the person opens; it holds the one-time code.
    pub link: String,
    pub code: String,
    pub expires_at: String,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    pub code: String,
    /// The new password (8 to 256 characters).
    pub password: String,
}

/// One of the caller's sessions. The id is a prefix of the session's stored hash: enough to
/// name it, useless for signing in.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: String,
    pub organization_id: Option<String>,
    pub created_at: String,
    pub last_seen_at: String,
    /// The session this request came with.
    pub current: bool,
}

const SESSION_ID_CHARS: usize = 16;

fn unusable() -> DomainError {
    DomainError::invalid("code", Rule::Reason(Reason::LinkUnusable))
}

impl Cases<'_> {
    /// An administrator of the member's organization issues a set-password link. Only for a
    /// person whose account belongs to this organization alone: an account shared with another
    /// organization is not this one's to take over.
    pub async fn issue_password_link(&self, caller: &Caller, org: &OrgId, member: &MemberId) -> Result<PasswordLink> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let mut tx = self.store.write().await?;
        let m = dir_store::member_for_update(&mut tx, permit.org(), member.as_str())
            .await?
            .ok_or(DomainError::NotFound { what: "member" })?;
        if m.status != MemberStatus::Active {
            return Err(DomainError::conflict("member_id", Rule::Reason(Reason::LeftOrganization)).into());
        }
        let account =
            dir_store::account(&mut tx, &m.account_id).await?.ok_or(DomainError::NotFound { what: "member" })?;
        let elsewhere =
            dir_store::memberships(&mut tx, &account.id).await?.into_iter().any(|(o, _, _)| o != org.as_str());
        if elsewhere || account.operator != 0 {
            return Err(DomainError::conflict("member_id", Rule::Reason(Reason::OtherOrgsOwnPassword)).into());
        }
        let now = self.now();
        let code = random_token(32);
        let row = PasswordLinkRow {
            id: PasswordLinkId::from_random(random_id_bytes()).to_string(),
            secret_hash: secret_hash(&code),
            account_id: account.id.clone(),
            org_id: org.to_string(),
            created_by: permit.actor().to_owned(),
            created_at: now,
            expires_at: now + PASSWORD_LINK_HOURS * 3_600_000,
            used_at: None,
        };
        let replaced = store::retire_password_links(&mut tx, &account.id, now).await?;
        store::insert_password_link(&mut tx, &row).await?;
        let change = Change::new(permit.actor(), Some(org.as_str()), "account.password_link", &account.id)
            .with("member", &m.id)
            .with("link", &row.id)
            .with("replaced", replaced)
            .with("expires_at", format_rfc3339(row.expires_at));
        self.commit(tx, &[change]).await?;
        Ok(PasswordLink {
            link: format!("/set-password?code={code}"),
            code,
            expires_at: format_rfc3339(row.expires_at),
        })
    }

    /// Sets the password a link was issued for. The link works once; every session the account
    /// had ends, so nobody signed in before keeps the account.
    pub async fn set_password_with_link(&self, input: &SetPassword) -> Result<()> {
        validate_password("password", &input.password)?;
        // Hashing costs memory and time: only for a code that names a live link.
        let link = store::password_link(&mut *self.store.read().await?, &secret_hash(input.code.trim()))
            .await?
            .filter(|l| l.used_at.is_none() && l.expires_at > self.now())
            .ok_or_else(unusable)?;
        let hash = hash_password(&self.settings, &input.password).await?;
        let mut tx = self.store.write().await?;
        if store::use_password_link(&mut tx, &link.id, self.now()).await? == 0 {
            return Err(unusable().into());
        }
        dir_store::set_password(&mut tx, &link.account_id, &hash).await?;
        let ended = store::delete_sessions(&mut tx, &link.account_id, None).await?;
        let change = Change::new(&link.account_id, Some(&link.org_id), "account.password_set", &link.account_id)
            .with("link", &link.id)
            .with("sessions_ended", ended);
        self.commit(tx, &[change]).await?;
        Ok(())
    }

    /// The caller's sessions, newest first.
    pub async fn sessions(&self, caller: &Caller, current: Option<&SessionInfo>) -> Result<Vec<SessionView>> {
        let account = caller.account().ok_or(NOT_SIGNED_IN)?;
        let rows = store::sessions_of(&mut *self.store.read().await?, account.as_str()).await?;
        Ok(rows
            .into_iter()
            .map(|s| SessionView {
                current: current.is_some_and(|c| c.id_hash == s.id_hash),
                id: s.id_hash.chars().take(SESSION_ID_CHARS).collect(),
                organization_id: s.org_id,
                created_at: format_rfc3339(s.created_at),
                last_seen_at: format_rfc3339(s.last_seen_at),
            })
            .collect())
    }

    /// Ends one of the caller's sessions; another account's is as unknown as one that never was.
    pub async fn end_session(&self, caller: &Caller, id: &str) -> Result<()> {
        let account = caller.account().ok_or(NOT_SIGNED_IN)?;
        let not_found = DomainError::NotFound { what: "session" };
        if id.len() != SESSION_ID_CHARS || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found.into());
        }
        let mut tx = self.store.write().await?;
        let hash = store::sessions_of(&mut tx, account.as_str())
            .await?
            .into_iter()
            .map(|s| s.id_hash)
            .find(|h| h.starts_with(id))
            .ok_or(not_found)?;
        store::delete_session(&mut tx, &hash).await?;
        let org = caller.acting().map(|a| a.org.to_string());
        self.commit(tx, &[Change::new(account.as_str(), org.as_deref(), "account.session_end", account.as_str())])
            .await?;
        Ok(())
    }
}
