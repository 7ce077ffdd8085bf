//! Apps, permission groups, publication to networks, and decisions through the access index.
//! The index itself, and how the journal advances it, is in [`crate::access`].

use keiretsu_domain::access::{Audience, Decision, Principal, Right, Without};
use keiretsu_domain::directory::name;
use keiretsu_domain::identity::{Caller, NOT_SIGNED_IN, Need, Scope};
use keiretsu_domain::ids::{AppId, MemberId, NetworkId, OrgId};
use keiretsu_domain::journal::Change;
use keiretsu_domain::network::UnitStatus;
use keiretsu_domain::{DomainError, Reason, Rule};
use keiretsu_store::apps::{self as store, AppRow};
use keiretsu_store::network as net;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::notifications::notify;
use crate::page::{Page, decode_cursor, encode_cursor, page_limit};
use crate::{Result, random_id_bytes, unique_to_field};

crate::use_cases!();

const NOT_FOUND_APP: DomainError = DomainError::NotFound { what: "app" };
const NOT_FOUND_MEMBER: DomainError = DomainError::NotFound { what: "member" };

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
    #[schema(schema_with = keiretsu_domain::directory::name_schemas::n80)]
    pub name: String,
    #[serde(default)]
    #[schema(schema_with = keiretsu_domain::network::policy_schemas::text)]
    pub description: String,
    /// The form's first version; fields can be added later, each change a new version.
    #[serde(default)]
    pub fields: Vec<keiretsu_domain::form::Field>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    pub rights: Vec<Right>,
    #[schema(min_items = 1)]
    pub principals: Vec<Principal>,
}

/// One permission group of an app: what its people may do, and who they are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GroupView {
    pub name: String,
    pub rights: Vec<Right>,
    pub principals: Vec<Principal>,
}

/// A group must name someone, and each principal's id must be one of its kind: a group that
/// names nobody, or a typo, would grant nothing without saying so.
fn check_principals(principals: &[Principal]) -> Result<()> {
    if principals.is_empty() {
        return Err(DomainError::invalid("principals", Rule::Required).into());
    }
    for (i, p) in principals.iter().enumerate() {
        let checked = match p {
            Principal::Everyone | Principal::Admins => Ok(()),
            Principal::Member(id) => MemberId::parse(id).map(drop),
            Principal::Department(id) => keiretsu_domain::ids::DepartmentId::parse(id).map(drop),
            Principal::Unit(id) => keiretsu_domain::ids::UnitId::parse(id).map(drop),
            Principal::PartnerType(key) => keiretsu_domain::network::type_key("id", key).map(drop),
        };
        if let Err(DomainError::Invalid { rule, .. }) = checked {
            return Err(DomainError::invalid(format!("principals[{i}].id"), rule).into());
        }
    }
    Ok(())
}

/// An app's audience in one network.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PublicationView {
    pub network_id: String,
    pub network_name: String,
    pub audience: Audience,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    pub audience: Audience,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WhoQuery {
    /// `submit` by default.
    #[param(pattern = "^(submit|view_own|view_unit|view_org|view_all|edit|manage)$")]
    pub right: Option<String>,
    /// The `next_cursor` of the page before.
    #[param(min_length = 1, max_length = 2048, pattern = "^([0-9a-fA-F]{2})+$")]
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// A revision from a write's `Keiretsu-Revision` header: the answer reflects at least that write.
    pub at_least: Option<i64>,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// Whose access; the caller's own membership by default. Asking about someone else needs
    /// the apps scope in the app's organization.
    #[param(pattern = "^mem_[a-z0-9_]{1,64}$")]
    pub member_id: Option<String>,
    /// `submit` (default), `view_own`, `view_unit`, `view_org`, `view_all`, `edit` or `manage`.
    #[param(pattern = "^(submit|view_own|view_unit|view_org|view_all|edit|manage)$")]
    pub right: Option<String>,
    /// A revision from a write's `Keiretsu-Revision` header: the answer reflects at least that write.
    pub at_least: Option<i64>,
}

impl Cases<'_> {
    /// An admin with the apps scope creates an app. It starts with two permission groups:
    /// everyone it reaches submits and reads their own submissions; admins review.
    pub async fn create_app(&self, caller: &Caller, input: &NewApp) -> Result<AppView> {
        let permit = caller.permit_own(Need::Manage(Scope::Apps))?;
        let app_name = name("name", &input.name, 80)?;
        let description = keiretsu_domain::network::policy("description", &input.description)?;
        let schema = keiretsu_domain::form::Schema { fields: input.fields.clone() };
        // An app may start with no form and get its fields later.
        if !schema.fields.is_empty() {
            schema.validate()?;
        }
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
        // Admins review: the owner's read every submission, a partner's their organization's.
        let review = [Right::ViewAll, Right::ViewOrg, Right::Edit];
        store::put_group(&mut tx, &row.id, "reviewers", &review, &[Principal::Admins]).await?;
        keiretsu_store::forms::insert_version(&mut tx, &row.id, 1, &schema, row.created_at).await?;
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
        check_principals(&input.principals)?;
        let mut tx = self.store.write().await?;
        store::put_group(&mut tx, &a.id, &group, &input.rights, &input.principals).await?;
        let change = Change::new(permit.actor(), Some(&a.org_id), "app.permission_group", &a.id)
            .with("group", &group)
            .with("rights", &input.rights)
            .with("principals", &input.principals);
        self.commit(tx, &[change]).await?;
        Ok(())
    }

    /// The app's permission groups, by name.
    pub async fn permission_groups(&self, caller: &Caller, app: &AppId) -> Result<Vec<GroupView>> {
        let (a, _) = self.managed_app(caller, app).await?;
        let rows = store::groups(&mut *self.store.read().await?, &a.id).await?;
        Ok(rows.into_iter().map(|(name, rights, principals)| GroupView { name, rights, principals }).collect())
    }

    /// Removes a permission group: whatever it alone granted ends at once.
    pub async fn remove_permission_group(&self, caller: &Caller, app: &AppId, group: &str) -> Result<()> {
        let (a, permit) = self.managed_app(caller, app).await?;
        let group = keiretsu_domain::network::type_key("group", group)?;
        let mut tx = self.store.write().await?;
        if store::delete_group(&mut tx, &a.id, &group).await? == 0 {
            return Err(DomainError::NotFound { what: "permission group" }.into());
        }
        // The entry names the app, so the access index reads its groups again.
        let change =
            Change::new(permit.actor(), Some(&a.org_id), "app.permission_group.remove", &a.id).with("group", &group);
        self.commit(tx, &[change]).await?;
        Ok(())
    }

    /// Publishes (or re-targets) the app to one of its organization's networks; the admins of
    /// each unit in the audience are told.
    pub async fn publish_app(&self, caller: &Caller, app: &AppId, network: &NetworkId, p: &Publication) -> Result<()> {
        let (a, permit) = self.managed_app(caller, app).await?;
        let mut tx = self.store.write().await?;
        let network = net::network(&mut tx, network.as_str())
            .await?
            .filter(|n| n.org_id == a.org_id)
            .ok_or_else(|| DomainError::invalid("network_id", Rule::Reason(Reason::NotAppNetwork)))?;
        let now = self.now();
        store::put_publication(&mut tx, &a.id, &network.id, &p.audience, now).await?;
        for u in net::units(&mut tx, &network.id).await?.into_iter().filter(|u| u.status == UnitStatus::Active) {
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
    /// organization's app admins may ask about anyone they can see (their own members and those
    /// their networks' units bring in); anyone else is answered as an unknown id.
    pub async fn check_access(&self, caller: &Caller, app: &AppId, q: &CheckQuery) -> Result<Decision> {
        let right = Right::parse("right", q.right.as_deref().unwrap_or("submit"))?;
        let acting = match caller {
            Caller::Anonymous => return Err(NOT_SIGNED_IN.into()),
            _ => caller.acting().ok_or(DomainError::NotFound { what: "organization" })?,
        };
        let member = q.member_id.as_deref().map(MemberId::parse).transpose()?;
        // Answered from the index alone: this is the hot path of every access question.
        let ix = self.access_index(q.at_least).await?;
        let owner = OrgId::from_trusted(ix.app_org(app.as_str()).ok_or(NOT_FOUND_APP)?.to_owned());
        let member = match member {
            Some(m) if m != acting.member => {
                caller.permit(&owner, Need::Manage(Scope::Apps)).map_err(|e| match e {
                    DomainError::NotFound { .. } => NOT_FOUND_APP,
                    other => other,
                })?;
                if !ix.sees(owner.as_str(), m.as_str()) {
                    return Err(NOT_FOUND_MEMBER.into());
                }
                m
            }
            _ => acting.member.clone(),
        };
        let decision = ix.check(member.as_str(), app.as_str(), right).decision();
        // Another organization's app that does not reach the caller stays unknown to them.
        if member == acting.member && !decision.allowed && owner != acting.org {
            return Err(NOT_FOUND_APP.into());
        }
        Ok(decision)
    }

    /// The app admins' view: a page of the members who may exercise a right on the app, by id.
    pub async fn who_can(&self, caller: &Caller, app: &AppId, q: &WhoQuery) -> Result<Page<String>> {
        let right = Right::parse("right", q.right.as_deref().unwrap_or("submit"))?;
        let after = q.cursor.as_deref().map(|c| decode_cursor(c, 1)).transpose()?.map(|mut p| p.remove(0));
        let limit = page_limit(q.limit)? as usize;
        self.managed_app(caller, app).await?;
        let items = self.access_index(q.at_least).await?.who_can(app.as_str(), right, after.as_deref(), limit);
        let next_cursor = (items.len() == limit).then(|| items.last().map(|m| encode_cursor(&[m]))).flatten();
        Ok(Page { items, next_cursor })
    }

    /// How many members may submit to the app now.
    pub async fn reach_count(&self, caller: &Caller, app: &AppId) -> Result<usize> {
        self.managed_app(caller, app).await?;
        Ok(self.access_index(None).await?.count_who_can(app.as_str(), Right::Submit))
    }

    /// App admins: where the app is published now, and to whom, network by network.
    pub async fn publications(&self, caller: &Caller, app: &AppId) -> Result<Vec<PublicationView>> {
        let (a, _) = self.managed_app(caller, app).await?;
        let mut c = self.store.read().await?;
        let mut out = Vec::new();
        for (network, audience) in store::publications(&mut c, &a.id).await? {
            // Only the owner's networks carry its publications; a name is always there.
            let name = net::network(&mut c, &network).await?.map(|n| n.name).unwrap_or_default();
            out.push(PublicationView { network_id: network, network_name: name, audience: audience.0 });
        }
        out.sort_by(|x, y| x.network_name.cmp(&y.network_name));
        Ok(out)
    }

    /// How many members may use the app now, and how many would if it were published to
    /// `network` for `audience` (the publication dialog's preview).
    pub async fn audience_preview(
        &self,
        caller: &Caller,
        app: &AppId,
        network: &NetworkId,
        audience: &Audience,
    ) -> Result<(usize, usize)> {
        let (a, _) = self.managed_app(caller, app).await?;
        // Only the app's organization's own networks: another's is unknown here, as in publishing.
        net::network(&mut *self.store.read().await?, network.as_str())
            .await?
            .filter(|n| n.org_id == a.org_id)
            .ok_or_else(|| DomainError::invalid("network_id", Rule::Reason(Reason::NotAppNetwork)))?;
        let ix = self.access_index(None).await?;
        let now = ix.count_who_can(app.as_str(), Right::Submit);
        Ok((now, ix.preview(app.as_str(), network.as_str(), audience, Right::Submit)))
    }

    /// How many members would lose some right on the app if `change` were made: what the
    /// console's confirmation says before unpublishing or removing a permission group.
    pub async fn losses(&self, caller: &Caller, app: &AppId, change: Without<'_>) -> Result<usize> {
        let (a, _) = self.managed_app(caller, app).await?;
        Ok(self.access_index(None).await?.losses(&a.id, change, Right::ALL))
    }

    /// The app admins' other lookup: which of their organization's apps a member may use.
    pub async fn usable_apps(&self, caller: &Caller, member: &MemberId, at_least: Option<i64>) -> Result<Vec<AppView>> {
        let permit = caller.permit_own(Need::Manage(Scope::Apps))?;
        let ids: Vec<String> = {
            let ix = self.access_index(at_least).await?;
            if !ix.sees(permit.org().as_str(), member.as_str()) {
                return Err(NOT_FOUND_MEMBER.into());
            }
            let ids = ix.apps_of(member.as_str(), Right::Submit);
            ids.into_iter().filter(|a| ix.app_org(a) == Some(permit.org().as_str())).collect()
        };
        let apps = store::apps_by_ids(&mut *self.store.read().await?, &ids).await?;
        Ok(apps.into_iter().map(app_view).collect())
    }

    pub async fn list(&self, caller: &Caller) -> Result<Vec<AppView>> {
        let permit = caller.permit_own(Need::Manage(Scope::Apps))?;
        let rows = store::apps_of_org(&mut *self.store.read().await?, permit.org().as_str()).await?;
        Ok(rows.into_iter().map(app_view).collect())
    }
}
