//! Form apps: versioned schemas, submissions with their view scopes, exports and totals, and
//! attachments. Who may do what is asked of the access index, like every other decision.

use std::collections::BTreeMap;

use keiretsu_domain::access::{Index, Missing, Reason, Right};
use keiretsu_domain::form::{self, Filter, Group, Schema, Values};
use keiretsu_domain::identity::{Caller, NOT_SIGNED_IN, Need, Scope};
use keiretsu_domain::ids::{AppId, AttachmentId, MemberId, NetworkId, OrgId, SubmissionId};
use keiretsu_domain::journal::Change;
use keiretsu_domain::time::{format_rfc3339, parse_range_end, parse_rfc3339};
use keiretsu_domain::{DomainError, Rule};
use keiretsu_store::directory as dir;
use keiretsu_store::forms::{self as store, Narrow, SubmissionItem, SubmissionRow};
use keiretsu_store::{AnyConnection, Json};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::page::{Page, decode_cursor, encode_cursor, page_limit};
use crate::{Result, random_id_bytes};

crate::use_cases!();

const NOT_FOUND_APP: DomainError = DomainError::NotFound { what: "app" };
/// A member the app is published to, without a seat in the pool that licenses it.
pub const NO_SEAT: DomainError = DomainError::Forbidden(keiretsu_domain::error::Reason::NoSeat);
const NOT_FOUND_SUBMISSION: DomainError = DomainError::NotFound { what: "submission" };
const NOT_FOUND_ATTACHMENT: DomainError = DomainError::NotFound { what: "attachment" };
pub use crate::files::{ATTACHMENT_TYPES, AttachmentView, MAX_ATTACHMENT};
use crate::files::{attachment_row, attachment_view};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SchemaView {
    pub app_id: String,
    pub version: i64,
    pub schema: Schema,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionInput {
    /// Field key to value, as the form's schema says.
    #[schema(value_type = Object)]
    pub values: Map<String, Value>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SubmissionView {
    pub id: String,
    pub app_id: String,
    /// The schema version the values were checked against.
    pub version: i64,
    pub member_id: String,
    pub member_name: String,
    /// The submitter's organization and, for a partner, their unit and its partner type.
    pub organization_id: String,
    pub organization_name: String,
    pub unit_id: Option<String>,
    pub partner_type: Option<String>,
    #[schema(value_type = Object)]
    pub values: BTreeMap<String, Value>,
    /// The file name of each attachment the values hold, by attachment id.
    pub file_names: BTreeMap<String, String>,
    /// Its approval request, when the app's template started one. While it runs (unless it was
    /// returned to its submitter) the values cannot be changed.
    pub approval: Option<SubmissionApproval>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SubmissionApproval {
    pub id: String,
    pub state: keiretsu_domain::approval::State,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubmissionQuery {
    /// Field filters `key:op:value`, separated by `;` (ops: eq, ne, contains, gt, ge, lt, le, has).
    #[param(max_length = 2000, pattern = "^([^;]*:[^;]*:[^;]*|\\s*)(;([^;]*:[^;]*:[^;]*|\\s*))*$")]
    pub filter: Option<String>,
    #[param(pattern = "^mem_[a-z0-9_]{1,64}$")]
    pub member_id: Option<String>,
    /// The submitter's organization.
    #[param(pattern = "^org_[a-z0-9_]{1,64}$")]
    pub organization_id: Option<String>,
    #[param(pattern = "^unt_[a-z0-9_]{1,64}$")]
    pub unit_id: Option<String>,
    /// Submitted from this time on (`2026-11-24` or RFC 3339).
    #[param(schema_with = keiretsu_domain::time::time_schema)]
    pub from: Option<String>,
    /// Submitted up to this time; a date alone includes that whole day.
    #[param(schema_with = keiretsu_domain::time::time_schema)]
    pub to: Option<String>,
    /// The `next_cursor` of the page before.
    #[param(min_length = 1, max_length = 2048, pattern = "^([0-9a-fA-F]{2})+$")]
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Totals only: the field to group by.
    pub by: Option<String>,
    /// Totals only: the number or money field to sum and average.
    pub of: Option<String>,
    pub at_least: Option<i64>,
}

fn submission_view(
    s: SubmissionItem,
    files: &mut BTreeMap<String, BTreeMap<String, String>>,
    approvals: &mut BTreeMap<String, SubmissionApproval>,
) -> SubmissionView {
    let values = s.row.data.0.into_map();
    SubmissionView {
        file_names: files.remove(&s.row.id).unwrap_or_default(),
        approval: approvals.remove(&s.row.id),
        id: s.row.id,
        app_id: s.row.app_id,
        version: s.row.version,
        member_id: s.row.member_id,
        member_name: s.member_name,
        organization_id: s.row.org_id,
        organization_name: s.org_name,
        unit_id: s.row.unit_id,
        partner_type: s.unit_partner_type,
        values,
        created_at: format_rfc3339(s.row.created_at),
        updated_at: format_rfc3339(s.row.updated_at),
    }
}

/// How much of an app's submissions a member may read: the widest view right they hold.
#[derive(Clone, Debug, PartialEq, Eq)]
enum View {
    All,
    Org(String),
    /// Backbone members: submissions made from one of these departments.
    Departments(Vec<String>),
    Own(String),
}

impl View {
    fn sees(&self, s: &SubmissionRow) -> bool {
        match self {
            View::All => true,
            View::Org(org) => s.org_id == *org,
            View::Departments(deps) => s.departments.iter().any(|d| deps.contains(d)),
            View::Own(member) => s.member_id == *member,
        }
    }
}

/// Exports and totals take the whole selection, not a page; a `limit` or `cursor` given is still
/// held to its rule, as the query is the list's.
fn paging_rules(q: &SubmissionQuery) -> Result<()> {
    page_limit(q.limit)?;
    q.cursor.as_deref().map(|c| decode_cursor(c, 2)).transpose()?;
    Ok(())
}

fn filters(schema: &Schema, text: Option<&str>) -> Result<Vec<Filter>> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else { return Ok(Vec::new()) };
    // Counted in characters, as the document's maxLength is.
    if text.chars().count() > 2000 {
        return Err(DomainError::invalid("filter", Rule::TooLong(2000)).into());
    }
    Ok(text
        .split(';')
        .filter(|f| !f.trim().is_empty())
        .map(|f| Filter::parse_query(schema, f.trim()))
        .collect::<Result<_, _>>()?)
}

/// The caller's membership; `what` is not found for a caller with none.
fn acting(caller: &Caller, what: DomainError) -> Result<&keiretsu_domain::identity::Acting> {
    match caller {
        Caller::Anonymous => Err(NOT_SIGNED_IN.into()),
        _ => Ok(caller.acting().ok_or(what)?),
    }
}

impl Cases<'_> {
    /// The acting member and the owner of an app the index knows; an app that does not reach
    /// the caller at all is not found.
    fn reach(&self, ix: &Index, caller: &Caller, app: &AppId) -> Result<(MemberId, OrgId, OrgId)> {
        let acting = acting(caller, NOT_FOUND_APP)?;
        let owner = OrgId::from_trusted(ix.app_org(app.as_str()).ok_or(NOT_FOUND_APP)?.to_owned());
        let reaches =
            owner == acting.org || Right::ALL.iter().any(|r| ix.allows(acting.member.as_str(), app.as_str(), *r));
        if !reaches {
            // The app is published to them and only a seat is missing: say that, and who gives
            // seats, rather than that the app does not exist.
            let verdict = ix.check(acting.member.as_str(), app.as_str(), Right::Submit);
            if verdict.reasons.iter().any(|r| matches!(r, Reason::Missing(Missing::Seat { .. }))) {
                return Err(NO_SEAT.into());
            }
            return Err(NOT_FOUND_APP.into());
        }
        Ok((acting.member.clone(), acting.org.clone(), owner))
    }

    /// Does the caller manage the app: an app admin of its organization, or a `manage` grant.
    fn manages(&self, ix: &Index, caller: &Caller, app: &AppId, owner: &OrgId) -> bool {
        caller.permit(owner, Need::Manage(Scope::Apps)).is_ok()
            || caller.acting().is_some_and(|a| ix.allows(a.member.as_str(), app.as_str(), Right::Manage))
    }

    /// The widest view of the app's submissions the member holds. `view_all` is the owner's:
    /// granted to a partner it still shows only their own organization's.
    fn view_of(
        &self,
        ix: &Index,
        member: &MemberId,
        org: &OrgId,
        owner: &OrgId,
        app: &AppId,
        deps: Vec<String>,
    ) -> Option<View> {
        let may = |r| ix.allows(member.as_str(), app.as_str(), r);
        if may(Right::ViewAll) && org == owner {
            Some(View::All)
        } else if may(Right::ViewAll) || may(Right::ViewOrg) || (may(Right::ViewUnit) && org != owner) {
            Some(View::Org(org.to_string()))
        } else if may(Right::ViewUnit) {
            Some(View::Departments(deps))
        } else if may(Right::ViewOwn) {
            Some(View::Own(member.to_string()))
        } else {
            None
        }
    }

    async fn departments_of(&self, c: &mut AnyConnection, member: &MemberId) -> Result<Vec<String>> {
        Ok(dir::departments_of(c, &[member.to_string()]).await?.into_iter().map(|(_, d)| d).collect())
    }

    /// App admins: a new version of the form. Submissions made before keep theirs.
    pub async fn put_schema(&self, caller: &Caller, app: &AppId, schema: &Schema) -> Result<SchemaView> {
        let actor = {
            let ix = self.access_index(None).await?;
            let (_, org, owner) = self.reach(&ix, caller, app)?;
            if !self.manages(&ix, caller, app, &owner) {
                return Err(if org == owner {
                    DomainError::Forbidden(keiretsu_domain::error::Reason::OnlyAppAdmins)
                } else {
                    NOT_FOUND_APP
                }
                .into());
            }
            (caller.actor(), owner)
        };
        schema.validate()?;
        let mut tx = self.store.write().await?;
        let version = store::latest_version(&mut tx, app.as_str()).await?.map_or(1, |(v, _)| v + 1);
        store::insert_version(&mut tx, app.as_str(), version, schema, self.now()).await?;
        let change = Change::new(&actor.0, Some(actor.1.as_str()), "app.schema", app.as_str())
            .with("version", version)
            .with("fields", schema.fields.iter().map(|f| f.key.as_str()).collect::<Vec<_>>());
        self.commit(tx, &[change]).await?;
        Ok(SchemaView { app_id: app.to_string(), version, schema: schema.clone() })
    }

    /// The form as it is now, for anyone the app reaches.
    pub async fn schema(&self, caller: &Caller, app: &AppId) -> Result<SchemaView> {
        self.reach(&*self.access_index(None).await?, caller, app)?;
        let (version, schema) = store::latest_version(&mut *self.store.read().await?, app.as_str())
            .await?
            .unwrap_or((0, Schema { fields: Vec::new() }));
        Ok(SchemaView { app_id: app.to_string(), version, schema })
    }

    /// Checks the member, department and attachment fields: people the submitter can see in
    /// the network, departments of the submitter's or the app's organization, files they uploaded.
    async fn check_refs(
        &self,
        c: &mut AnyConnection,
        caller: &Caller,
        owner: &OrgId,
        schema: &Schema,
        values: &Values,
        (member, org): (&MemberId, &OrgId),
    ) -> Result<()> {
        for (key, m) in schema.member_refs(values).iter().map(|m| ("member", m)) {
            let id = MemberId::parse(m)?;
            let mine = dir::member(c, org, id.as_str())
                .await?
                .is_some_and(|r| r.status == keiretsu_domain::directory::MemberStatus::Active);
            let mut seen = mine;
            if !seen {
                for net in keiretsu_store::network::networks_of_org(c, owner.as_str()).await? {
                    if self.network().person(caller, &NetworkId::from_trusted(net.id), &id).await.is_ok() {
                        seen = true;
                        break;
                    }
                }
            }
            if !seen {
                return Err(DomainError::invalid(
                    format!("values ({key} {m})"),
                    Rule::Reason(keiretsu_domain::error::Reason::NotPickableMember),
                )
                .into());
            }
        }
        for d in schema.department_refs(values) {
            let ok = dir::department(c, org, &d).await?.is_some() || dir::department(c, owner, &d).await?.is_some();
            if !ok {
                return Err(DomainError::invalid(
                    format!("values (department {d})"),
                    Rule::Reason(keiretsu_domain::error::Reason::NotPickableDepartment),
                )
                .into());
            }
        }
        for a in schema.attachment_refs(values) {
            let ok = store::attachment(c, &a).await?.is_some_and(|r| r.member_id == member.as_str());
            if !ok {
                return Err(DomainError::invalid(
                    format!("values (attachment {a})"),
                    Rule::Reason(keiretsu_domain::error::Reason::NotYourFile),
                )
                .into());
            }
        }
        Ok(())
    }

    /// A member submits the form; this needs the `submit` right, which needs a seat.
    pub async fn submit(&self, caller: &Caller, app: &AppId, input: &SubmissionInput) -> Result<SubmissionView> {
        let (member, org, owner) = {
            let ix = self.access_index(None).await?;
            let reached = self.reach(&ix, caller, app)?;
            if !ix.allows(reached.0.as_str(), app.as_str(), Right::Submit) {
                return Err(DomainError::Forbidden(keiretsu_domain::error::Reason::MayNotSubmit).into());
            }
            reached
        };
        let mut c = self.store.read().await?;
        let (version, schema) = store::latest_version(&mut c, app.as_str()).await?.ok_or(NOT_FOUND_APP)?;
        if schema.fields.is_empty() {
            return Err(DomainError::conflict("app", Rule::Reason(keiretsu_domain::error::Reason::NoFormFields)).into());
        }
        let values = schema.check_values(&input.values)?;
        self.check_refs(&mut c, caller, &owner, &schema, &values, (&member, &org)).await?;
        let unit = if org == owner {
            None
        } else {
            store::unit_of(&mut c, member.as_str(), org.as_str(), owner.as_str()).await?
        };
        let departments = self.departments_of(&mut c, &member).await?;
        drop(c);
        let now = self.now();
        let row = SubmissionRow {
            id: SubmissionId::from_random(random_id_bytes()).to_string(),
            app_id: app.to_string(),
            version,
            member_id: member.to_string(),
            org_id: org.to_string(),
            unit_id: unit,
            departments: Json(departments),
            data: Json(values),
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.write().await?;
        store::insert_submission(&mut tx, &row).await?;
        let files = schema.attachment_refs(&row.data);
        if store::attach(&mut tx, &files, app.as_str(), member.as_str(), &row.id).await? != files.len() as u64 {
            return Err(DomainError::conflict(
                "values",
                Rule::Reason(keiretsu_domain::error::Reason::FileOfAnotherSubmission),
            )
            .into());
        }
        let mut changes = vec![
            Change::new(caller.actor(), Some(owner.as_str()), "submission.create", &row.id)
                .with("app", app.as_str())
                .with("version", version)
                .with("organization", org.as_str()),
        ];
        changes.extend(crate::approvals::start(&mut tx, &owner, &row, &schema, &caller.actor(), now).await?);
        self.commit(tx, &changes).await?;
        let item = store::submission(&mut *self.store.read().await?, &row.id).await?.ok_or(NOT_FOUND_SUBMISSION)?;
        Ok(self.views(vec![item]).await?.remove(0))
    }

    /// A submission the caller may read, with the app's owner and the caller's view.
    async fn readable(&self, caller: &Caller, id: &SubmissionId) -> Result<(SubmissionItem, OrgId, bool)> {
        let mut c = self.store.read().await?;
        let item = store::submission(&mut c, id.as_str()).await?.ok_or(NOT_FOUND_SUBMISSION)?;
        let app = AppId::from_trusted(item.row.app_id.clone());
        let acting = acting(caller, NOT_FOUND_SUBMISSION)?;
        let deps = self.departments_of(&mut c, &acting.member).await?;
        drop(c);
        let ix = self.access_index(None).await?;
        let (member, org, owner) = self.reach(&ix, caller, &app).map_err(|_| NOT_FOUND_SUBMISSION)?;
        let view = self.view_of(&ix, &member, &org, &owner, &app, deps);
        if !view.is_some_and(|v| v.sees(&item.row)) {
            return Err(NOT_FOUND_SUBMISSION.into());
        }
        let may_edit = (item.row.member_id == member.as_str()
            && ix.allows(member.as_str(), app.as_str(), Right::Submit))
            || ix.allows(member.as_str(), app.as_str(), Right::Edit);
        Ok((item, owner, may_edit))
    }

    pub async fn submission(&self, caller: &Caller, id: &SubmissionId) -> Result<SubmissionView> {
        let item = self.readable(caller, id).await?.0;
        Ok(self.views(vec![item]).await?.remove(0))
    }

    /// The submitter (while they may still submit) or an `edit` grant holder who can read it
    /// changes the values; they are checked against the form as it is now.
    pub async fn update_submission(
        &self,
        caller: &Caller,
        id: &SubmissionId,
        input: &SubmissionInput,
    ) -> Result<SubmissionView> {
        let (item, owner, may_edit) = self.readable(caller, id).await?;
        if !may_edit {
            return Err(DomainError::Forbidden(keiretsu_domain::error::Reason::MayNotEditSubmission).into());
        }
        let app = AppId::from_trusted(item.row.app_id.clone());
        let mut c = self.store.read().await?;
        let (version, schema) = store::latest_version(&mut c, app.as_str()).await?.ok_or(NOT_FOUND_APP)?;
        let values = schema.check_values(&input.values)?;
        let submitter = MemberId::from_trusted(item.row.member_id.clone());
        let org = OrgId::from_trusted(item.row.org_id.clone());
        self.check_refs(&mut c, caller, &owner, &schema, &values, (&submitter, &org)).await?;
        drop(c);
        let mut tx = self.store.write().await?;
        crate::approvals::editable(&mut tx, id.as_str()).await?;
        store::update_submission(&mut tx, id.as_str(), version, &values, self.now()).await?;
        let files = schema.attachment_refs(&values);
        if store::attach(&mut tx, &files, app.as_str(), submitter.as_str(), id.as_str()).await? != files.len() as u64 {
            return Err(DomainError::conflict(
                "values",
                Rule::Reason(keiretsu_domain::error::Reason::FileOfAnotherSubmission),
            )
            .into());
        }
        let change = Change::new(caller.actor(), Some(owner.as_str()), "submission.update", id.as_str())
            .with("app", app.as_str())
            .with("version", version);
        self.commit(tx, &[change]).await?;
        self.submission(caller, id).await
    }

    /// The submissions the caller may read that pass the query, newest first, with the form.
    async fn matching(
        &self,
        caller: &Caller,
        app: &AppId,
        q: &SubmissionQuery,
    ) -> Result<(Schema, Vec<SubmissionItem>)> {
        let acting = acting(caller, NOT_FOUND_APP)?;
        let mut c = self.store.read().await?;
        let deps = self.departments_of(&mut c, &acting.member).await?;
        let view = {
            let ix = self.access_index(q.at_least).await?;
            let (member, org, owner) = self.reach(&ix, caller, app)?;
            self.view_of(&ix, &member, &org, &owner, app, deps)
                .ok_or(DomainError::Forbidden(keiretsu_domain::error::Reason::MayNotReadSubmissions))?
        };
        let schema = store::latest_version(&mut c, app.as_str())
            .await?
            .map_or(Schema { fields: Vec::new() }, |(_, schema)| schema);
        let fs = filters(&schema, q.filter.as_deref())?;
        let narrow = Narrow {
            member: q.member_id.as_deref().map(MemberId::parse).transpose()?.map(String::from),
            org: q.organization_id.as_deref().map(OrgId::parse).transpose()?.map(String::from),
            unit: q.unit_id.as_deref().map(keiretsu_domain::ids::UnitId::parse).transpose()?.map(String::from),
            from: q.from.as_deref().map(|t| parse_rfc3339("from", t)).transpose()?,
            to: q.to.as_deref().map(|t| parse_range_end("to", t)).transpose()?,
        };
        let rows = store::submissions(&mut c, app.as_str(), &narrow).await?;
        let rows = rows
            .into_iter()
            .filter(|s| view.sees(&s.row))
            .filter(|s| fs.iter().all(|f| f.matches(&s.row.data)))
            .collect();
        Ok((schema, rows))
    }

    /// A page of the app's submissions the caller may read: the backbone sees all of them with
    /// the submitter's organization and unit, a partner only its own scope.
    pub async fn submissions(&self, caller: &Caller, app: &AppId, q: &SubmissionQuery) -> Result<Page<SubmissionView>> {
        let limit = page_limit(q.limit)? as usize;
        let after = q.cursor.as_deref().map(|c| decode_cursor(c, 2)).transpose()?;
        let (_, rows) = self.matching(caller, app, q).await?;
        let start = match &after {
            // Newest first: the page goes on after the cursor's (time, id).
            Some(p) => {
                let at: i64 = p[0].parse().map_err(|_| crate::page::bad_cursor())?;
                rows.iter()
                    .position(|s| (s.row.created_at, s.row.id.as_str()) < (at, p[1].as_str()))
                    .unwrap_or(rows.len())
            }
            None => 0,
        };
        let items: Vec<SubmissionItem> = rows.into_iter().skip(start).take(limit).collect();
        let next_cursor = (items.len() == limit)
            .then(|| items.last().map(|s| encode_cursor(&[&s.row.created_at.to_string(), &s.row.id])))
            .flatten();
        Ok(Page { items: self.views(items).await?, next_cursor })
    }

    /// Submissions as shown, with the names of the files they hold (one read for the lot).
    async fn views(&self, items: Vec<SubmissionItem>) -> Result<Vec<SubmissionView>> {
        let ids: Vec<String> = items.iter().map(|i| i.row.id.clone()).collect();
        let mut c = self.store.read().await?;
        let mut files: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (submission, id, name) in store::attachment_names(&mut c, &ids).await? {
            files.entry(submission).or_default().insert(id, name);
        }
        let mut approvals: BTreeMap<String, SubmissionApproval> = BTreeMap::new();
        for (submission, id, state) in keiretsu_store::approvals::of_submissions(&mut c, &ids).await? {
            approvals.insert(submission, SubmissionApproval { id, state });
        }
        Ok(items.into_iter().map(|i| submission_view(i, &mut files, &mut approvals)).collect())
    }

    /// The same selection as CSV: submitter columns, then one column per field.
    pub async fn submissions_csv(&self, caller: &Caller, app: &AppId, q: &SubmissionQuery) -> Result<String> {
        paging_rules(q)?;
        let (schema, rows) = self.matching(caller, app, q).await?;
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header: Vec<String> =
            ["submission", "submitted_at", "submitter", "organization", "unit", "partner_type", "version"]
                .map(String::from)
                .to_vec();
        header.extend(form::csv_header(&schema));
        let csv_err = |e: csv::Error| crate::Error::Internal(e.to_string());
        w.write_record(&header).map_err(csv_err)?;
        for s in rows {
            // Names typed by people go through the same spreadsheet-safe rendering as the values.
            let mut record = vec![
                s.row.id.clone(),
                format_rfc3339(s.row.created_at),
                form::spreadsheet_safe(s.member_name.clone()),
                form::spreadsheet_safe(s.org_name.clone()),
                s.row.unit_id.clone().unwrap_or_default(),
                s.unit_partner_type.clone().unwrap_or_default(),
                s.row.version.to_string(),
            ];
            record.extend(form::csv_cells(&schema, &s.row.data));
            w.write_record(&record).map_err(csv_err)?;
        }
        String::from_utf8(w.into_inner().map_err(|e| crate::Error::Internal(e.to_string()))?)
            .map_err(|e| crate::Error::Internal(e.to_string()))
    }

    /// Count, sum and average over the same selection, optionally grouped by a field.
    pub async fn submission_totals(&self, caller: &Caller, app: &AppId, q: &SubmissionQuery) -> Result<Vec<Group>> {
        paging_rules(q)?;
        let (schema, rows) = self.matching(caller, app, q).await?;
        Ok(form::aggregate(&schema, rows.iter().map(|s| &*s.row.data), q.by.as_deref(), q.of.as_deref())?)
    }

    /// A member who may submit, or edit submissions, uploads a file for an attachment field.
    pub async fn upload_attachment(
        &self,
        caller: &Caller,
        app: &AppId,
        name: &str,
        content_type: &str,
        content: &[u8],
    ) -> Result<AttachmentView> {
        let (member, owner) = {
            let ix = self.access_index(None).await?;
            let (member, _, owner) = self.reach(&ix, caller, app)?;
            // Files go with a submission being made or corrected: either right will do.
            let writes = [Right::Submit, Right::Edit].iter().any(|r| ix.allows(member.as_str(), app.as_str(), *r));
            if !writes {
                return Err(DomainError::Forbidden(keiretsu_domain::error::Reason::MayNotSubmitOrEdit).into());
            }
            (member, owner)
        };
        let row = attachment_row(app.as_str(), member.as_str(), None, name, content_type, content, self.now())?;
        let mut tx = self.store.write().await?;
        store::insert_attachment(&mut tx, &row, content).await?;
        let change = Change::new(caller.actor(), Some(owner.as_str()), "attachment.upload", &row.id)
            .with("app", app.as_str())
            .with("size", row.size)
            .with("sha256", &row.sha256);
        self.commit(tx, &[change]).await?;
        Ok(attachment_view(&row))
    }

    /// A file, to its uploader until it is attached, then to whoever may read its submission
    /// (or, uploaded to an approval request, whoever may read that).
    pub async fn download_attachment(&self, caller: &Caller, id: &AttachmentId) -> Result<(AttachmentView, Vec<u8>)> {
        let mut c = self.store.read().await?;
        let a = store::attachment(&mut c, id.as_str()).await?.ok_or(NOT_FOUND_ATTACHMENT)?;
        let acting = acting(caller, NOT_FOUND_ATTACHMENT)?;
        match (&a.submission_id, &a.approval_id) {
            (None, Some(approval)) => {
                self.approvals()
                    .readable(&mut c, caller, &keiretsu_domain::ids::ApprovalId::from_trusted(approval.clone()))
                    .await
                    .map_err(|_| NOT_FOUND_ATTACHMENT)?;
            }
            (None, None) if a.member_id == acting.member.as_str() => {}
            (None, None) => return Err(NOT_FOUND_ATTACHMENT.into()),
            (Some(s), _) => {
                drop(c);
                self.readable(caller, &SubmissionId::from_trusted(s.clone()))
                    .await
                    .map_err(|_| NOT_FOUND_ATTACHMENT)?;
                c = self.store.read().await?;
            }
        }
        let bytes = store::attachment_content(&mut c, id.as_str()).await?.ok_or(NOT_FOUND_ATTACHMENT)?;
        Ok((attachment_view(&a), bytes))
    }
}
