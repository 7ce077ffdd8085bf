//! Sign-in, sessions, API tokens and the callers they stand for.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use keiretsu_domain::identity::{Acting, Caller, Role, normalize_login, validate_password};
use keiretsu_domain::ids::{AccountId, MemberId, OrgId, TokenId};
use keiretsu_domain::journal::Change;
use keiretsu_domain::time::{Millis, format_rfc3339};
use keiretsu_domain::{DomainError, Reason, Rule, directory};
use keiretsu_store::Tx;
use keiretsu_store::directory as dir_store;
use keiretsu_store::directory::AccountRow;
use keiretsu_store::identity::{self as store, SessionRow, TokenRow};
use serde::{Deserialize, Serialize};

use crate::reactions::{BoxFuture, Departure, Reaction, SignedIn};
use crate::{Error, Result, random_id_bytes, random_token, secret_hash};

crate::use_cases!();

mod own_account;

pub use own_account::{PASSWORD_LINK_HOURS, PasswordLink, SessionView, SetPassword};

fn argon2(settings: &crate::Settings) -> Result<Argon2<'static>> {
    let params = Params::new(settings.argon2_memory_kib, settings.argon2_iterations, 1, None)
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password with argon2id off the async threads.
pub async fn hash_password(settings: &crate::Settings, password: &str) -> Result<String> {
    let argon = argon2(settings)?;
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&random_id_bytes()).map_err(|e| Error::Internal(e.to_string()))?;
        argon
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(e.to_string()))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

async fn verify_password(hash: &str, password: &str) -> Result<bool> {
    let (hash, password) = (hash.to_owned(), password.to_owned());
    tokio::task::spawn_blocking(move || {
        // Parameters come from the stored hash, so hashes made with older settings still verify.
        let parsed = PasswordHash::new(&hash).map_err(|e| Error::Internal(e.to_string()))?;
        Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

/// A new console session: the secret goes into the cookie and is never stored.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub secret: String,
    pub csrf_token: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    /// Absent for the platform operator's tokens, which serve only the operator's routes.
    pub organization_id: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    pub revoked: bool,
    pub last_used_at: Option<String>,
}

impl From<TokenRow> for TokenView {
    fn from(t: TokenRow) -> Self {
        TokenView {
            id: t.id,
            name: t.name,
            organization_id: t.org_id,
            created_at: format_rfc3339(t.created_at),
            expires_at: format_rfc3339(t.expires_at),
            revoked: t.revoked_at.is_some(),
            last_used_at: t.last_used_at.map(format_rfc3339),
        }
    }
}

/// A token as created: the secret is shown once.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: TokenView,
    /// The bearer secret. Shown only now; Keiretsu keeps only its hash.
    pub secret: String,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    #[schema(schema_with = keiretsu_domain::directory::name_schemas::n100)]
    pub name: String,
    /// Days until the token expires: 1 to 365, default 90.
    #[schema(minimum = 1, maximum = 365)]
    #[serde(default, deserialize_with = "keiretsu_domain::whole::option")]
    pub expires_in_days: Option<i64>,
}

/// What the console shows about the signed-in person.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    pub account_id: String,
    pub login: String,
    pub name: String,
    pub lang: String,
    /// The tz database name times are shown in; none until the person or their browser chose.
    pub time_zone: Option<String>,
    pub operator: bool,
    pub organization_id: Option<String>,
    pub member_id: Option<String>,
    pub role: Option<Role>,
    /// Active memberships: `(organization id, organization name)`.
    pub organizations: Vec<(String, String)>,
    /// The member's standing in the acting organization's seat pool, read on every call: an
    /// authorization counts at once. Absent when the organization has no license.
    pub seat: Option<keiretsu_domain::license::SeatStatus>,
}

/// A session as seen by the server on each request.
#[derive(Clone, Debug)]
pub struct SessionInfo {
    pub id_hash: String,
    pub csrf_token: String,
    pub caller: Caller,
}

/// Callers of recently used API tokens, so a script's stream of reads does not cost three
/// queries each. An entry is good for one second at most, and only while nothing has been
/// written since it was made: any commit here, or any revision another server wrote (seen by the
/// journal follower), starts a new epoch. A revoked token, a departure or a role change thus
/// takes effect on this server at once, and on another within the follower's wake-up.
#[derive(Default)]
pub struct TokenCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (Caller, Millis, u64)>>,
    epoch: std::sync::atomic::AtomicU64,
}

impl TokenCache {
    const TTL: Millis = 1000;
    const MAX: usize = 10_000;

    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Something was written: every cached caller must be read again.
    pub(crate) fn invalidate(&self) {
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    fn get(&self, hash: &str, now: Millis, epoch: u64) -> Option<Caller> {
        let entries = self.entries.lock().ok()?;
        let (caller, until, at) = entries.get(hash)?;
        (*at == epoch && now < *until).then(|| caller.clone())
    }

    /// Keeps a caller read at `epoch`; a write since then makes it stale at once.
    fn put(&self, hash: String, caller: Caller, until: Millis, epoch: u64) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= Self::MAX {
                entries.clear();
            }
            entries.insert(hash, (caller, until, epoch));
        }
    }
}

impl Cases<'_> {
    /// Creates the platform operator on an empty installation. Returns the generated password
    /// when none was given (to be printed once), or `None` if an operator already exists.
    pub async fn ensure_operator(&self, password: Option<&str>) -> Result<Option<String>> {
        let mut tx = self.store.write().await?;
        if dir_store::operator_exists(&mut tx).await? {
            return Ok(None);
        }
        let generated = password.is_none().then(|| random_token(12));
        let password = password.or(generated.as_deref()).unwrap_or_default();
        validate_password("operator_password", password)?;
        let account = AccountRow {
            id: AccountId::from_random(random_id_bytes()).to_string(),
            login: "operator".into(),
            name: "Platform operator".into(),
            phone: None,
            email: None,
            password_hash: Some(hash_password(&self.settings, password).await?),
            operator: 1,
            disabled: 0,
            lang: "en".into(),
            created_at: self.now(),
        };
        dir_store::insert_account(&mut tx, &account).await?;
        self.commit(tx, &[Change::new("system", None, "account.create_operator", &account.id)]).await?;
        Ok(generated)
    }

    /// Counts a sign-in attempt *before* the password is checked, so that however many attempts
    /// race, no more than the limits are ever checked: against the (login, address) pair, the
    /// login and the address. Returns the keys counted, to forgive on success.
    async fn throttle(&self, login: &str, address: &str) -> Result<[String; 3]> {
        let s = &self.settings;
        let now = self.now();
        let keys = [format!("pair:{login}\n{address}"), format!("login:{login}"), format!("addr:{address}")];
        let mut c = self.store.read().await?;
        let mut counts = [0; 3];
        for (n, key) in counts.iter_mut().zip(&keys) {
            *n = store::record_failure(&mut c, key, now, s.throttle_window_ms).await?;
        }
        let [pair, by_login, by_address] = counts;
        if pair > s.throttle_pair || by_address > 4 * s.throttle_address {
            // Refused unchecked: this attempt guessed nothing, so it does not count.
            for key in &keys {
                store::forgive_failure(&mut c, key).await?;
            }
            return Err(Error::Throttled { retry_after_s: s.throttle_window_ms / 1000 });
        }
        drop(c);
        let over = (by_login - s.throttle_login).max(by_address - s.throttle_address);
        if over > 0 {
            tokio::time::sleep(throttle_delay(over)).await;
        }
        Ok(keys)
    }

    /// Checks a login and password; the same work is done for unknown logins.
    async fn check_credentials(&self, login: &str, password: &str, address: &str) -> Result<AccountRow> {
        let login = normalize_login("login", login).map_err(|_| Error::BadCredentials)?;
        if password.chars().count() > keiretsu_domain::identity::PASSWORD_MAX {
            return Err(Error::BadCredentials);
        }
        let counted = self.throttle(&login, address).await?;
        let account = dir_store::account_by_login(&mut *self.store.read().await?, &login).await?;
        let hash = account.as_ref().and_then(|a| a.password_hash.clone());
        let ok = verify_password(hash.as_deref().unwrap_or(&self.decoy_hash), password).await?;
        match account {
            Some(a) if ok && hash.is_some() && a.disabled == 0 => {
                // A success never counts, and clears the pair's failures: the person at that
                // address knows the password.
                let mut c = self.store.read().await?;
                store::clear_failures(&mut c, &counted[0]).await?;
                for key in &counted[1..] {
                    store::forgive_failure(&mut c, key).await?;
                }
                Ok(a)
            }
            _ => Err(Error::BadCredentials),
        }
    }

    /// Signs in: a brand-new session id every time, so a planted id can never be promoted.
    pub async fn login(&self, login: &str, password: &str, address: &str) -> Result<NewSession> {
        let account = self.check_credentials(login, password, address).await?;
        let mut tx = self.store.write().await?;
        let org = dir_store::memberships(&mut tx, &account.id).await?.into_iter().next().map(|(org, _, _)| org);
        let secret = random_token(32);
        let session = SessionRow {
            id_hash: secret_hash(&secret),
            account_id: account.id.clone(),
            org_id: org.clone(),
            csrf_token: random_token(32),
            created_at: self.now(),
            last_seen_at: self.now(),
        };
        store::insert_session(&mut tx, &session).await?;
        let mut changes =
            vec![Change::new(&account.id, org.as_deref(), "account.login", &account.id).with("address", address)];
        if let Some(org) = &org
            && let Some(m) =
                dir_store::member_of_account(&mut tx, &OrgId::from_trusted(org.clone()), &account.id).await?
            && m.status == directory::MemberStatus::Active
        {
            changes.extend(self.signed_in(&mut tx, org, &m.id, session.created_at).await?);
        }
        self.commit(tx, &changes).await?;
        Ok(NewSession { secret, csrf_token: session.csrf_token })
    }

    pub async fn logout(&self, session: &SessionInfo) -> Result<()> {
        let mut tx = self.store.write().await?;
        store::delete_session(&mut tx, &session.id_hash).await?;
        let actor = session.caller.actor();
        let org = session.caller.acting().map(|a| a.org.to_string());
        self.commit(tx, &[Change::new(&actor, org.as_deref(), "account.logout", &actor)]).await?;
        Ok(())
    }

    /// The caller behind a session cookie, or `None` if the session is unknown, idle or too old.
    pub async fn session(&self, secret: &str) -> Result<Option<SessionInfo>> {
        let id_hash = secret_hash(secret);
        let now = self.now();
        let mut c = self.store.read().await?;
        let Some(s) = store::session(&mut c, &id_hash).await? else {
            return Ok(None);
        };
        if now - s.last_seen_at > self.settings.session_idle_ms
            || now - s.created_at > self.settings.session_absolute_ms
        {
            store::delete_session(&mut c, &id_hash).await?;
            return Ok(None);
        }
        let Some(caller) = self.caller_for(&mut c, &s.account_id, s.org_id.as_deref()).await? else {
            store::delete_session(&mut c, &id_hash).await?;
            return Ok(None);
        };
        // Touch at most once a minute: the idle timeout does not need finer steps.
        if now - s.last_seen_at > 60_000 {
            store::touch_session(&mut c, &id_hash, now).await?;
        }
        Ok(Some(SessionInfo { id_hash, csrf_token: s.csrf_token, caller }))
    }

    /// The caller behind a bearer token, or `None` if it is unknown, revoked or expired.
    pub async fn token(&self, secret: &str) -> Result<Option<Caller>> {
        let now = self.now();
        let hash = secret_hash(secret);
        let epoch = self.tokens.epoch();
        if let Some(caller) = self.tokens.get(&hash, now, epoch) {
            return Ok(Some(caller));
        }
        let mut c = self.store.read().await?;
        let Some(t) = store::token_by_hash(&mut c, &hash).await? else {
            return Ok(None);
        };
        if t.revoked_at.is_some() || t.expires_at <= now {
            return Ok(None);
        }
        let caller = self.caller_for(&mut c, &t.account_id, t.org_id.as_deref()).await?;
        // A token acts in exactly one organization, and is worthless without that membership;
        // or it is an operator's, and worthless once the account is no longer the operator.
        let works = match (&t.org_id, &caller) {
            (Some(_), Some(c)) => c.acting().is_some(),
            (None, Some(Caller::Account { operator, .. })) => *operator,
            _ => false,
        };
        if !works {
            return Ok(None);
        }
        if t.last_used_at.is_none_or(|at| now - at > 60_000) {
            store::touch_token(&mut c, &t.id, now).await?;
        }
        if let Some(caller) = &caller {
            self.tokens.put(hash, caller.clone(), (now + TokenCache::TTL).min(t.expires_at), epoch);
        }
        Ok(caller)
    }

    /// Builds the caller for an account acting in `org`; `None` if the account is disabled.
    async fn caller_for(
        &self,
        c: &mut keiretsu_store::AnyConnection,
        account: &str,
        org: Option<&str>,
    ) -> Result<Option<Caller>> {
        let Some(a) = dir_store::account(c, account).await? else {
            return Ok(None);
        };
        if a.disabled == 1 {
            return Ok(None);
        }
        let mut acting = None;
        if let Some(org) = org {
            let org = OrgId::from_trusted(org.to_owned());
            if let Some(m) = dir_store::member_of_account(c, &org, account).await?
                && m.status == directory::MemberStatus::Active
            {
                acting = Some(Acting { org, member: MemberId::from_trusted(m.id), role: m.role });
            }
        }
        Ok(Some(Caller::Account { account: AccountId::from_trusted(a.id), operator: a.operator == 1, acting }))
    }

    /// Switches the organization a session acts in; the account must be an active member.
    pub async fn switch_org(&self, session: &SessionInfo, org: &OrgId) -> Result<()> {
        let account = session.caller.account().ok_or(keiretsu_domain::identity::NOT_SIGNED_IN)?;
        let mut tx = self.store.write().await?;
        let member = dir_store::member_of_account(&mut tx, org, account.as_str()).await?;
        let Some(member) = member.filter(|m| m.status == directory::MemberStatus::Active) else {
            return Err(DomainError::NotFound { what: "organization" }.into());
        };
        store::set_session_org(&mut tx, &session.id_hash, org.as_str()).await?;
        let mut changes =
            vec![Change::new(account.as_str(), Some(org.as_str()), "account.switch_org", account.as_str())];
        changes.extend(self.signed_in(&mut tx, org.as_str(), &member.id, self.now()).await?);
        self.commit(tx, &changes).await?;
        Ok(())
    }

    pub async fn me(&self, caller: &Caller) -> Result<Me> {
        let account = caller.account().ok_or(keiretsu_domain::identity::NOT_SIGNED_IN)?;
        let mut c = self.store.read().await?;
        let a = dir_store::account(&mut c, account.as_str()).await?.ok_or(DomainError::NotFound { what: "account" })?;
        let organizations = dir_store::memberships(&mut c, account.as_str())
            .await?
            .into_iter()
            .map(|(id, name, _)| (id, name))
            .collect();
        let acting = caller.acting();
        let seat = match acting {
            Some(a) => self.license().standing(a.org.as_str(), a.member.as_str()).await?,
            None => None,
        };
        let time_zone = dir_store::time_zone(&mut c, account.as_str()).await?;
        Ok(Me {
            time_zone,
            seat,
            account_id: a.id,
            login: a.login,
            name: a.name,
            lang: a.lang,
            operator: a.operator == 1,
            organization_id: acting.map(|x| x.org.to_string()),
            member_id: acting.map(|x| x.member.to_string()),
            role: acting.map(|x| x.role.clone()),
            organizations,
        })
    }

    pub async fn set_lang(&self, caller: &Caller, lang: &str) -> Result<()> {
        let account = caller.account().ok_or(keiretsu_domain::identity::NOT_SIGNED_IN)?;
        if !["en", "zh"].contains(&lang) {
            return Err(DomainError::invalid("lang", Rule::OneOf(&["en", "zh"])).into());
        }
        let mut tx = self.store.write().await?;
        dir_store::set_lang(&mut tx, account.as_str(), lang).await?;
        self.commit(tx, &[Change::new(account.as_str(), None, "account.lang", account.as_str()).with("lang", lang)])
            .await?;
        Ok(())
    }

    /// The zone the caller reads times in: a name of the tz database, kept as the database spells it.
    pub async fn set_time_zone(&self, caller: &Caller, zone: &str) -> Result<String> {
        let account = caller.account().ok_or(keiretsu_domain::identity::NOT_SIGNED_IN)?;
        let zone = keiretsu_domain::zone::Zone::parse("time_zone", zone)?;
        let mut tx = self.store.write().await?;
        dir_store::set_time_zone(&mut tx, account.as_str(), zone.name()).await?;
        let change =
            Change::new(account.as_str(), None, "account.time_zone", account.as_str()).with("time_zone", zone.name());
        self.commit(tx, &[change]).await?;
        Ok(zone.name().to_owned())
    }

    /// Changes the caller's own password; their other sessions and tokens stay.
    pub async fn change_password(&self, caller: &Caller, current: &str, new: &str, address: &str) -> Result<()> {
        let account = caller.account().ok_or(keiretsu_domain::identity::NOT_SIGNED_IN)?;
        validate_password("new_password", new)?;
        let login = dir_store::account(&mut *self.store.read().await?, account.as_str())
            .await?
            .map(|a| a.login)
            .unwrap_or_default();
        self.check_credentials(&login, current, address).await.map_err(|e| match e {
            Error::BadCredentials => DomainError::invalid("current_password", Rule::Reason(Reason::Incorrect)).into(),
            other => other,
        })?;
        let hash = hash_password(&self.settings, new).await?;
        let mut tx = self.store.write().await?;
        dir_store::set_password(&mut tx, account.as_str(), &hash).await?;
        self.commit(tx, &[Change::new(account.as_str(), None, "account.password", account.as_str())]).await?;
        Ok(())
    }

    /// The operator disables (or re-enables) an account; disabling ends its sessions and tokens at once.
    pub async fn set_account_disabled(&self, caller: &Caller, account: &AccountId, disabled: bool) -> Result<()> {
        let permit = caller.operator()?;
        let mut tx = self.store.write().await?;
        dir_store::account(&mut tx, account.as_str()).await?.ok_or(DomainError::NotFound { what: "account" })?;
        dir_store::set_disabled(&mut tx, account.as_str(), disabled).await?;
        let mut sessions = 0;
        let mut tokens = 0;
        if disabled {
            sessions = store::delete_sessions(&mut tx, account.as_str(), None).await?;
            tokens = store::revoke_tokens(&mut tx, account.as_str(), None, self.now()).await?;
        }
        let change = Change::new(
            permit.actor(),
            None,
            if disabled { "account.disable" } else { "account.enable" },
            account.as_str(),
        )
        .with("sessions_ended", sessions)
        .with("tokens_revoked", tokens);
        self.commit(tx, &[change]).await?;
        Ok(())
    }

    /// Creates a token for the caller, scoped to the organization the caller acts in; the
    /// platform operator, acting in none, gets a token for the operator's routes only.
    pub async fn create_token(&self, caller: &Caller, input: &NewToken) -> Result<CreatedToken> {
        let acting = token_scope(caller)?;
        let account = caller.account().ok_or(keiretsu_domain::identity::NOT_SIGNED_IN)?;
        let name = directory::name("name", &input.name, 100)?;
        let days = input.expires_in_days.unwrap_or(self.settings.token_ttl_ms / 86_400_000);
        if !(1..=365).contains(&days) {
            return Err(DomainError::invalid("expires_in_days", Rule::Range { min: 1, max: 365 }).into());
        }
        let secret = format!("krt_{}", random_token(24));
        let now = self.now();
        let row = TokenRow {
            id: TokenId::from_random(random_id_bytes()).to_string(),
            secret_hash: secret_hash(&secret),
            account_id: account.to_string(),
            org_id: acting.map(|a| a.org.to_string()),
            name,
            created_at: now,
            expires_at: now + days * 86_400_000,
            revoked_at: None,
            last_used_at: None,
        };
        let mut tx = self.store.write().await?;
        store::insert_token(&mut tx, &row).await?;
        let mut changes = vec![
            Change::new(account.as_str(), row.org_id.as_deref(), "token.create", &row.id)
                .with("name", &row.name)
                .with("expires_at", row.expires_at),
        ];
        if let Some(acting) = acting {
            changes.extend(self.signed_in(&mut tx, acting.org.as_str(), acting.member.as_str(), now).await?);
        }
        self.commit(tx, &changes).await?;
        Ok(CreatedToken { token: row.into(), secret })
    }

    /// `POST /api/v1/tokens` with a login and password: throttled exactly like sign-in.
    pub async fn create_token_with_password(
        &self,
        login: &str,
        password: &str,
        org: Option<&OrgId>,
        input: &NewToken,
        address: &str,
    ) -> Result<CreatedToken> {
        let account = self.check_credentials(login, password, address).await?;
        let mut c = self.store.read().await?;
        let orgs = dir_store::memberships(&mut c, &account.id).await?;
        let chosen = match org {
            Some(org) => orgs.iter().find(|(id, _, _)| id == org.as_str()),
            None => orgs.first(),
        }
        .map(|(id, _, _)| id.as_str());
        // The operator, a member nowhere, signs in to act in no organization.
        if chosen.is_none() && !(org.is_none() && account.operator == 1) {
            return Err(DomainError::invalid("organization_id", Rule::Reason(Reason::NotAccountOrg)).into());
        }
        let caller = self.caller_for(&mut c, &account.id, chosen).await?.ok_or(Error::BadCredentials)?;
        drop(c);
        self.create_token(&caller, input).await
    }

    pub async fn tokens(&self, caller: &Caller) -> Result<Vec<TokenView>> {
        let org = token_scope(caller)?.map(|a| a.org.as_str());
        let account = caller.account().ok_or(keiretsu_domain::identity::NOT_SIGNED_IN)?;
        let rows = store::tokens_of(&mut *self.store.read().await?, account.as_str(), org).await?;
        Ok(rows.into_iter().map(TokenView::from).collect())
    }

    /// Revokes one of the caller's own tokens.
    pub async fn revoke_token(&self, caller: &Caller, id: &TokenId) -> Result<()> {
        let account = caller.account().ok_or(keiretsu_domain::identity::NOT_SIGNED_IN)?;
        let mut tx = self.store.write().await?;
        if store::revoke_token(&mut tx, id.as_str(), account.as_str(), self.now()).await? == 0 {
            return Err(DomainError::NotFound { what: "token" }.into());
        }
        let org = caller.acting().map(|a| a.org.to_string());
        self.commit(tx, &[Change::new(account.as_str(), org.as_deref(), "token.revoke", id.as_str())]).await?;
        Ok(())
    }

    /// How long a session may live at most; the console sets the cookie's Max-Age from it.
    pub fn session_absolute_ms(&self) -> Millis {
        self.settings.session_absolute_ms
    }
}

impl Cases<'_> {
    /// Installation-level work (the CLI, with direct database access): acts as the account with
    /// this login in `org` (or its first organization), without a password.
    pub async fn caller_for_login(&self, caller: &Caller, login: &str, org: Option<&OrgId>) -> Result<Caller> {
        caller.operator()?;
        let login = normalize_login("login", login)?;
        let mut c = self.store.read().await?;
        let account =
            dir_store::account_by_login(&mut c, &login).await?.ok_or(DomainError::NotFound { what: "account" })?;
        let orgs = dir_store::memberships(&mut c, &account.id).await?;
        let chosen = match org {
            Some(org) => orgs.iter().find(|(id, _, _)| id == org.as_str()),
            None => orgs.first(),
        }
        .map(|(id, _, _)| id.clone());
        self.caller_for(&mut c, &account.id, chosen.as_deref())
            .await?
            .ok_or(DomainError::NotFound { what: "account" }.into())
    }
}

/// How long an attempt waits when its login or address is `over` failures past its loose limit:
/// a quarter second, doubling, at most four seconds.
fn throttle_delay(over: i64) -> std::time::Duration {
    std::time::Duration::from_millis(250u64 << (over.clamp(1, 5) - 1))
}

/// Where a caller's tokens act: the organization the caller acts in, or none for the platform
/// operator acting in none.
fn token_scope(caller: &Caller) -> Result<Option<&keiretsu_domain::identity::Acting>> {
    match caller {
        Caller::Anonymous => Err(keiretsu_domain::identity::NOT_SIGNED_IN.into()),
        Caller::Account { acting: None, operator: true, .. } => Ok(None),
        _ => Ok(Some(caller.acting().ok_or(DomainError::NotFound { what: "organization" })?)),
    }
}

impl Cases<'_> {
    /// Signing in to an organization, as a session or a token: every capability that reacts
    /// (a first visit takes a seat) hears it.
    async fn signed_in(&self, tx: &mut Tx, org: &str, member: &str, at: Millis) -> Result<Vec<Change>> {
        let event = SignedIn { org: org.to_owned(), member: member.to_owned(), at };
        self.reactions.signed_in.run(tx, &event).await
    }
}

/// Sessions acting in the organization end and its tokens are revoked, at once; an unused
/// set-password link (issued only for an account no other organization shares) goes too.
pub(crate) struct EndAccess;

impl Reaction<Departure> for EndAccess {
    fn react<'a>(&'a self, tx: &'a mut Tx, d: &'a Departure) -> BoxFuture<'a, Result<Vec<Change>>> {
        Box::pin(async move {
            let account = &d.member.account_id;
            let sessions = store::delete_sessions(tx, account, Some(d.org.as_str())).await?;
            let tokens = store::revoke_tokens(tx, account, Some(d.org.as_str()), d.at).await?;
            let links = store::retire_password_links(tx, account, d.at).await?;
            Ok((sessions + tokens + links > 0)
                .then(|| {
                    d.change("departure.end_access")
                        .with("sessions_ended", sessions)
                        .with("tokens_revoked", tokens)
                        .with("password_links_retired", links)
                })
                .into_iter()
                .collect())
        })
    }
}
