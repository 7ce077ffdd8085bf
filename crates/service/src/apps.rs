//! Apps, permission groups, publication to networks, and decisions through the access index.
//!
//! The index is built from the database and kept for as long as the journal has not moved:
//! a check after any change sees that change, and `at_least` makes that explicit. (Advancing it
//! entry by entry instead of rebuilding is the next step of the access capability.)

use std::sync::{Arc, Mutex};

use keiretsu_domain::access::{Audience, Decision, Index, Principal, Right};
use keiretsu_domain::directory::name;
use keiretsu_domain::identity::{Caller, NOT_SIGNED_IN, Need, Scope};
use keiretsu_domain::ids::{AppId, MemberId, NetworkId, OrgId};
use keiretsu_domain::journal::Change;
use keiretsu_domain::{DomainError, Rule};
use keiretsu_store::apps::{self as store, AppRow};
use keiretsu_store::network as net;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::notifications::notify;
use crate::{Result, Service, random_id_bytes, unique_to_field};

const NOT_FOUND_APP: DomainError = DomainError::NotFound { what: "app" };

/// The index and the journal revision it was built at.
#[derive(Default)]
pub struct AccessCache(Mutex<Option<(i64, Arc<Index>)>>);

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AppView {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub description: String,
}

fn app_view(a: AppRow) -> AppView {
    AppView { id: a.id, organization_id: a.org_id, name: a.name, description: a.description }
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApp {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    pub rights: Vec<Right>,
    pub principals: Vec<Principal>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    pub audience: Audience,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// Whose access; the caller's own membership by default. Asking about someone else needs
    /// the apps scope in the app's organization.
    pub member_id: Option<String>,
    /// `submit` (default), `view_own`, `view_unit`, `view_org`, `view_all`, `edit` or `manage`.
    pub right: Option<String>,
    /// A revision from a write's `Keiretsu-Revision` header: the answer reflects at least that write.
    pub at_least: Option<i64>,
}

impl Service {
    /// The access index as of the latest journal revision, which must be at least `at_least`
    /// (a revision a write returned): a caller never gets a decision older than their own change.
    /// Waits up to two seconds for it, then says so.
    pub async fn access_index(&self, at_least: Option<i64>) -> Result<Arc<Index>> {
        let mut c = self.store.read().await?;
        let mut revision = keiretsu_store::journal::latest_revision(&mut c).await?;
        let wanted = at_least.unwrap_or(0);
        for _ in 0..20 {
            if revision >= wanted {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            revision = keiretsu_store::journal::latest_revision(&mut c).await?;
        }
        if revision < wanted {
            return Err(
                DomainError::conflict("at_least", Rule::Custom("is a revision this server has not seen yet")).into()
            );
        }
        if let Some((at, index)) =
            self.access.0.lock().map_err(|_| crate::Error::Internal("access cache".into()))?.as_ref()
            && *at == revision
        {
            return Ok(index.clone());
        }
        let index = Arc::new(Index::build(&store::facts(&mut c).await?));
        *self.access.0.lock().map_err(|_| crate::Error::Internal("access cache".into()))? =
            Some((revision, index.clone()));
        Ok(index)
    }

    /// An admin with the apps scope creates an app; it starts with one permission group that lets
    /// everyone who can reach it submit and read their own submissions.
    pub async fn create_app(&self, caller: &Caller, input: &NewApp) -> Result<AppView> {
        let permit = caller.permit_own(Need::Manage(Scope::Apps))?;
        let app_name = name("name", &input.name, 80)?;
        let description = keiretsu_domain::network::policy("description", &input.description)?;
        let row = AppRow {
            id: AppId::from_random(random_id_bytes()).to_string(),
            org_id: permit.org().to_string(),
            name: app_name,
            description,
            created_at: self.now(),
        };
        let mut tx = self.store.write().await?;
        store::insert_app(&mut tx, &row).await.map_err(|e| unique_to_field(e, "name"))?;
        store::put_group(&mut tx, &row.id, "everyone", &[Right::Submit, Right::ViewOwn], &[Principal::Everyone])
            .await?;
        let change =
            Change::new(permit.actor(), Some(permit.org().as_str()), "app.create", &row.id).with("name", &row.name);
        self.commit(tx, &[change]).await?;
        Ok(app_view(row))
    }

    /// The app if the caller administers apps in its organization.
    async fn managed_app(&self, caller: &Caller, app: &AppId) -> Result<(AppRow, keiretsu_domain::identity::Permit)> {
        let a = store::app(&mut *self.store.read().await?, app.as_str()).await?.ok_or(NOT_FOUND_APP)?;
        let permit =
            caller.permit(&OrgId::from_trusted(a.org_id.clone()), Need::Manage(Scope::Apps)).map_err(|e| match e {
                DomainError::NotFound { .. } => NOT_FOUND_APP,
                other => other,
            })?;
        Ok((a, permit))
    }

    pub async fn put_permission_group(
        &self,
        caller: &Caller,
        app: &AppId,
        group: &str,
        input: &GroupInput,
    ) -> Result<()> {
        let (a, permit) = self.managed_app(caller, app).await?;
        let group = keiretsu_domain::network::type_key("group", group)?;
        if input.rights.is_empty() {
            return Err(DomainError::invalid("rights", Rule::Required).into());
        }
        let mut tx = self.store.write().await?;
        store::put_group(&mut tx, &a.id, &group, &input.rights, &input.principals).await?;
        let change = Change::new(permit.actor(), Some(&a.org_id), "app.permission_group", &a.id)
            .with("group", &group)
            .with("rights", &input.rights)
            .with("principals", &input.principals);
        self.commit(tx, &[change]).await?;
        Ok(())
    }

    /// Publishes (or re-targets) the app to one of its organization's networks; the admins of
    /// each unit in the audience are told.
    pub async fn publish_app(&self, caller: &Caller, app: &AppId, network: &NetworkId, p: &Publication) -> Result<()> {
        let (a, permit) = self.managed_app(caller, app).await?;
        let mut tx = self.store.write().await?;
        let network =
            net::network(&mut tx, network.as_str()).await?.filter(|n| n.org_id == a.org_id).ok_or_else(|| {
                DomainError::invalid("network_id", Rule::Custom("is not a network of the app's organization"))
            })?;
        let now = self.now();
        store::put_publication(&mut tx, &a.id, &network.id, &p.audience, now).await?;
        for u in net::units(&mut tx, &network.id).await?.into_iter().filter(|u| u.status == "active") {
            let reached = match &p.audience {
                Audience::AllUnits | Audience::Departments(_) => true,
                Audience::PartnerTypes(t) => t.contains(&u.partner_type),
                Audience::Units(us) => us.contains(&u.id),
            };
            if !reached {
                continue;
            }
            let org = OrgId::from_trusted(u.org_id.clone());
            for admin in keiretsu_store::directory::primary_admin_accounts(&mut tx, &org).await? {
                let params = json!({ "app": a.name, "network": network.name });
                notify(&mut tx, &admin, Some(&org), "app_published", params, Some("/console/workbench"), now).await?;
            }
        }
        let change = Change::new(permit.actor(), Some(&a.org_id), "app.publish", &a.id)
            .with("network", &network.id)
            .with("audience", &p.audience);
        self.commit(tx, &[change]).await?;
        Ok(())
    }

    pub async fn unpublish_app(&self, caller: &Caller, app: &AppId, network: &NetworkId) -> Result<()> {
        let (a, permit) = self.managed_app(caller, app).await?;
        let mut tx = self.store.write().await?;
        if store::delete_publication(&mut tx, &a.id, network.as_str()).await? == 0 {
            return Err(DomainError::NotFound { what: "publication" }.into());
        }
        let change =
            Change::new(permit.actor(), Some(&a.org_id), "app.unpublish", &a.id).with("network", network.as_str());
        self.commit(tx, &[change]).await?;
        Ok(())
    }

    /// The workbench: the apps the caller may use in the organization they act in.
    pub async fn workbench(&self, caller: &Caller, at_least: Option<i64>) -> Result<Vec<AppView>> {
        let acting = match caller {
            Caller::Anonymous => return Err(NOT_SIGNED_IN.into()),
            _ => caller.acting().ok_or(DomainError::NotFound { what: "organization" })?,
        };
        let ids = self.access_index(at_least).await?.apps_of(acting.member.as_str(), Right::Submit);
        let apps = store::apps_by_ids(&mut *self.store.read().await?, &ids).await?;
        Ok(apps.into_iter().map(app_view).collect())
    }

    /// Why may (or may not) a member use an app. Anyone may ask about themselves; the app's
    /// organization's app admins may ask about anyone.
    pub async fn check_access(&self, caller: &Caller, app: &AppId, q: &CheckQuery) -> Result<Decision> {
        let right = Right::parse("right", q.right.as_deref().unwrap_or("submit"))?;
        let acting = match caller {
            Caller::Anonymous => return Err(NOT_SIGNED_IN.into()),
            _ => caller.acting().ok_or(DomainError::NotFound { what: "organization" })?,
        };
        let a = store::app(&mut *self.store.read().await?, app.as_str()).await?.ok_or(NOT_FOUND_APP)?;
        let (member, about_self) = match q.member_id.as_deref() {
            None => (acting.member.clone(), true),
            Some(m) if m == acting.member.as_str() => (acting.member.clone(), true),
            Some(m) => {
                let member = MemberId::parse(m)?;
                self.managed_app(caller, app).await?;
                (member, false)
            }
        };
        let decision = self.access_index(q.at_least).await?.check(member.as_str(), app.as_str(), right);
        // Another organization's app that does not reach the caller stays unknown to them.
        if about_self && !decision.allowed && a.org_id != acting.org.as_str() {
            return Err(NOT_FOUND_APP.into());
        }
        Ok(decision)
    }

    /// The app admins' view: who may exercise `right` on the app.
    pub async fn who_can(
        &self,
        caller: &Caller,
        app: &AppId,
        right: Option<&str>,
        at_least: Option<i64>,
    ) -> Result<Vec<String>> {
        let right = Right::parse("right", right.unwrap_or("submit"))?;
        self.managed_app(caller, app).await?;
        Ok(self.access_index(at_least).await?.who_can(app.as_str(), right))
    }

    pub async fn apps(&self, caller: &Caller) -> Result<Vec<AppView>> {
        let permit = caller.permit_own(Need::Manage(Scope::Apps))?;
        let rows = store::apps_of_org(&mut *self.store.read().await?, permit.org().as_str()).await?;
        Ok(rows.into_iter().map(app_view).collect())
    }
}
