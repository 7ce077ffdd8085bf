//! Templates: publishing a version, reading the current one, and previewing a sample.

use super::*;

impl Cases<'_> {
    /// Approval admins of the app's organization: publish the next version of its template.
    pub async fn put_template(&self, caller: &Caller, app: &AppId, template: &Template) -> Result<TemplateView> {
        let mut c = self.store.read().await?;
        let a = keiretsu_store::apps::app(&mut c, app.as_str()).await?.ok_or(NOT_FOUND_APP)?;
        let org = OrgId::from_trusted(a.org_id.clone());
        let permit = caller.permit(&org, Need::Manage(Scope::Approvals)).map_err(app_unknown)?;
        let (_, schema) = keiretsu_store::forms::latest_version(&mut c, app.as_str()).await?.ok_or(NOT_FOUND_APP)?;
        template.check(&schema)?;
        // Named people must be people the organization works with: its own or its partners'.
        for (i, n) in template.nodes.iter().enumerate() {
            for (list, rules) in [("approvers", &n.approvers), ("copy_to", &n.copy_to)] {
                for (j, rule) in rules.iter().enumerate() {
                    let approval::Approvers::Members { member_ids } = rule else { continue };
                    for (k, m) in member_ids.iter().enumerate() {
                        if !store::reachable_member(&mut c, &a.org_id, m).await? {
                            let field = format!("nodes.{i}.{list}.{j}.member_ids.{k}");
                            return Err(DomainError::invalid(field, Rule::Reason(Reason::NotAnApprover)).into());
                        }
                    }
                }
            }
        }
        drop(c);
        let mut tx = self.store.write().await?;
        let version = store::latest_template(&mut tx, app.as_str()).await?.map_or(1, |(v, _)| v + 1);
        store::insert_template(&mut tx, app.as_str(), version, template, permit.actor(), self.now())
            .await
            .map_err(|_| DomainError::conflict("template", Rule::Reason(Reason::ChangedMeanwhile)))?;
        let change = Change::new(permit.actor(), Some(&a.org_id), "approval.template", app.as_str())
            .with("version", version)
            .with("nodes", template.nodes.len());
        self.commit(tx, &[change]).await?;
        Ok(TemplateView { app_id: app.to_string(), version, template: template.clone() })
    }

    /// The app's current template, for those who manage its approvals or the app.
    pub async fn template(&self, caller: &Caller, app: &AppId) -> Result<TemplateView> {
        let mut c = self.store.read().await?;
        let a = keiretsu_store::apps::app(&mut c, app.as_str()).await?.ok_or(NOT_FOUND_APP)?;
        let org = OrgId::from_trusted(a.org_id);
        if let Err(e) = caller.permit(&org, Need::Manage(Scope::Approvals)) {
            caller.permit(&org, Need::Manage(Scope::Apps)).map_err(|_| app_unknown(e))?;
        }
        let (version, t) = store::latest_template(&mut c, app.as_str()).await?.ok_or(NO_TEMPLATE)?;
        Ok(TemplateView { app_id: app.to_string(), version, template: t.into_inner() })
    }

    /// What a template would do for a sample submission from a member the organization works
    /// with: which steps apply and who would approve at each. Changes nothing; a sample nobody
    /// could approve gets the refusal the submission would get.
    pub async fn preview(&self, caller: &Caller, app: &AppId, sample: &Sample) -> Result<Plan> {
        let mut c = self.store.read().await?;
        let a = keiretsu_store::apps::app(&mut c, app.as_str()).await?.ok_or(NOT_FOUND_APP)?;
        let owner = OrgId::from_trusted(a.org_id.clone());
        caller.permit(&owner, Need::Manage(Scope::Approvals)).map_err(app_unknown)?;
        let (version, schema) =
            keiretsu_store::forms::latest_version(&mut c, app.as_str()).await?.ok_or(NOT_FOUND_APP)?;
        sample.template.check(&schema)?;
        let values = schema.check_values(&sample.values)?;
        let member = sample.member_id.as_str();
        let org = match store::org_of_member(&mut c, member).await? {
            Some(org) if store::reachable_member(&mut c, &a.org_id, member).await? => org,
            _ => return Err(DomainError::invalid("member_id", Rule::Reason(Reason::NotAnApprover)).into()),
        };
        let unit = if org == a.org_id {
            None
        } else {
            keiretsu_store::forms::unit_of(&mut c, member, &org, &a.org_id).await?
        };
        let departments =
            dir::departments_of(&mut c, &[member.to_owned()]).await?.into_iter().map(|(_, d)| d).collect();
        let sub = SubmissionRow {
            id: String::new(),
            app_id: a.id.clone(),
            version,
            member_id: member.to_owned(),
            org_id: org,
            unit_id: unit,
            departments: Json(departments),
            data: Json(values),
            created_at: 0,
            updated_at: 0,
        };
        let facts = facts(&mut c, &owner, &sub, &sample.template).await?;
        Ok(approval::plan(&sample.template, &schema, &facts)?)
    }
}
