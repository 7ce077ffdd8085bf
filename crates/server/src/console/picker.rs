//! The person picker: the one way a console form takes a person. The page renders a plain input
//! of member ids (so a form still posts without the script); the script turns it into a combobox
//! that searches by name, login, phone or employee number through `GET /console/pick/people` and
//! posts the same ids. Every search goes through the service, under the caller's rights and each
//! network's visibility, so the picker offers no one the caller could not look up anyway.

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use keiretsu_domain::error::Rule;
use keiretsu_domain::ids::{MemberId, NetworkId, OrgId};
use keiretsu_domain::{DomainError, Reason};
use keiretsu_service::directory::{MemberQuery, MemberView};
use keiretsu_service::network::{PeopleQuery, PersonView};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

use super::Ctx;
use super::labels::type_text;
use crate::AppState;
use crate::error::ApiError;
use crate::i18n::{Lang, t};

/// Suggestions shown at once: enough to find someone by a few letters, few enough to read.
const SHOWN: usize = 10;

/// Whom a picker offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum From {
    /// The acting organization's active members.
    Org,
    /// Those and everyone the organization's networks show the caller: who may be named in an
    /// app's groups, asked about in the access explorer or picked in a form.
    Reach,
    /// One network's people of one unit (`backbone` for the backbone's network members).
    Unit(String, String),
}

impl From {
    fn code(&self) -> String {
        match self {
            From::Org => "org".into(),
            From::Reach => "reach".into(),
            From::Unit(n, u) => format!("unit:{n}:{u}"),
        }
    }

    fn parse(s: &str) -> Result<From, DomainError> {
        let bad = || DomainError::invalid("from", Rule::Reason(Reason::PickFromFormat));
        match s {
            "org" => Ok(From::Org),
            "reach" => Ok(From::Reach),
            _ => {
                let rest = s.strip_prefix("unit:").ok_or_else(bad)?;
                let (n, u) = rest.split_once(':').ok_or_else(bad)?;
                let n = NetworkId::parse(n)?;
                let u =
                    if u == "backbone" { u.to_owned() } else { keiretsu_domain::ids::UnitId::parse(u)?.to_string() };
                Ok(From::Unit(n.to_string(), u))
            }
        }
    }
}

/// One person a picker may offer: the name to show, and where they sit to tell namesakes apart.
#[derive(Clone, Debug, Serialize)]
pub struct Choice {
    pub id: String,
    pub name: String,
    pub detail: String,
}

#[derive(Deserialize)]
pub(super) struct PickParams {
    q: Option<String>,
    from: Option<String>,
}

pub(super) async fn people(State(s): State<AppState>, ctx: Ctx, Query(p): Query<PickParams>) -> Response {
    let found = async {
        let from = From::parse(p.from.as_deref().unwrap_or("org"))?;
        let text = p.q.as_deref().map(str::trim).unwrap_or_default();
        if text.is_empty() {
            return Ok(Vec::new());
        }
        search(&s, &ctx, &from, text).await
    }
    .await;
    match found {
        Ok(list) => Json(list).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn search(s: &AppState, ctx: &Ctx, from: &From, text: &str) -> Result<Vec<Choice>, ApiError> {
    let caller = &ctx.session.caller;
    let mut out: Vec<Choice> = Vec::new();
    if matches!(from, From::Org | From::Reach)
        && let Some(org) = ctx.org()
    {
        let q = MemberQuery {
            q: Some(text.into()),
            status: Some("active".into()),
            limit: Some(SHOWN as i64),
            ..Default::default()
        };
        let members = s.svc.directory().members(caller, &org, &q).await?.items;
        let mut own = Own::new(ctx, &org);
        for m in members {
            out.push(own.choice(s, m).await?);
        }
    }
    let networks: Vec<(String, Option<String>)> = match from {
        From::Org => Vec::new(),
        From::Reach => s.svc.network().networks(caller).await?.into_iter().map(|n| (n.id, None)).collect(),
        From::Unit(n, u) => vec![(n.clone(), Some(u.clone()))],
    };
    for (network, unit) in networks {
        if out.len() >= SHOWN {
            break;
        }
        let q = PeopleQuery { q: Some(text.into()), unit_id: unit, limit: Some(SHOWN as i64), ..Default::default() };
        let page = s.svc.network().people(caller, &NetworkId::parse(&network)?, &q).await?;
        for p in page.items {
            if !out.iter().any(|c| c.id == p.member_id) {
                out.push(partner_choice(ctx.lang, p));
            }
        }
    }
    out.truncate(SHOWN);
    Ok(out)
}

/// Describes the acting organization's members: its name, their departments and login.
struct Own<'a> {
    ctx: &'a Ctx,
    org: &'a OrgId,
    org_name: Option<String>,
    /// Read once, at the first member described.
    departments: Option<HashMap<String, String>>,
}

impl<'a> Own<'a> {
    fn new(ctx: &'a Ctx, org: &'a OrgId) -> Self {
        let org_name = ctx.me.organizations.iter().find(|(id, _)| id == org.as_str()).map(|(_, n)| n.clone());
        Own { ctx, org, org_name, departments: None }
    }

    async fn choice(&mut self, s: &AppState, m: MemberView) -> Result<Choice, ApiError> {
        if self.departments.is_none() {
            let all = s.svc.directory().departments(&self.ctx.session.caller, self.org).await?;
            self.departments = Some(all.into_iter().map(|d| (d.id, d.name)).collect());
        }
        let names = self
            .departments
            .as_ref()
            .map(|all| m.department_ids.iter().filter_map(|d| all.get(d).cloned()).collect::<Vec<_>>().join(", "));
        let detail = [self.org_name.clone(), names.filter(|d| !d.is_empty()), Some(m.login)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
        Ok(Choice { id: m.id, name: m.name, detail })
    }
}

/// Someone a network shows: their organization, the kind of unit it is, and their title.
fn partner_choice(lang: Lang, p: PersonView) -> Choice {
    let unit = p.partner_type.as_deref().map(|k| type_text(lang, k));
    let detail = [Some(p.organization_name), unit, p.title].into_iter().flatten().collect::<Vec<_>>().join(" · ");
    Choice { id: p.member_id, name: p.name, detail }
}

/// `ids` described as the caller may see them: the acting organization's members, then the
/// people of its networks. An id nobody shows the caller is left out.
pub async fn describe(s: &AppState, ctx: &Ctx, ids: &[String]) -> HashMap<String, Choice> {
    let caller = &ctx.session.caller;
    let mut out = HashMap::new();
    let mut missing: Vec<MemberId> = Vec::new();
    let wanted: HashSet<&String> = ids.iter().collect();
    let org = ctx.org();
    let mut own = org.as_ref().map(|o| Own::new(ctx, o));
    for id in wanted {
        let Ok(mid) = MemberId::parse(id) else { continue };
        let found = match (&org, own.as_mut()) {
            (Some(org), Some(own)) => match s.svc.directory().member(caller, org, &mid).await {
                Ok(m) => own.choice(s, m).await.ok(),
                Err(_) => None,
            },
            _ => None,
        };
        match found {
            Some(c) => {
                out.insert(c.id.clone(), c);
            }
            None => missing.push(mid),
        }
    }
    if missing.is_empty() {
        return out;
    }
    // Naming is a courtesy here: a person this caller cannot look up stays shown by id, as typed.
    let networks = s.svc.network().networks(caller).await.unwrap_or_default();
    for mid in missing {
        for n in &networks {
            let Ok(nid) = NetworkId::parse(&n.id) else { continue };
            if let Ok(p) = s.svc.network().person(caller, &nid, &mid).await {
                out.insert(mid.to_string(), partner_choice(ctx.lang, p.person));
                break;
            }
        }
    }
    out
}

/// The names of `ids` as the caller may see them (see [`describe`]).
pub async fn names(s: &AppState, ctx: &Ctx, ids: &[String]) -> HashMap<String, String> {
    describe(s, ctx, ids).await.into_iter().map(|(id, c)| (id, c.name)).collect()
}

/// The ids a picker's value holds, in order.
pub fn ids(value: &str) -> Vec<String> {
    value.split(|c: char| c.is_whitespace() || c == ',').filter(|x| !x.is_empty()).map(str::to_owned).collect()
}

/// What a picker field shows and posts.
pub struct Picker<'a> {
    /// The form field: member ids, separated by spaces when `multiple`.
    pub name: &'a str,
    pub id: Option<&'a str>,
    pub from: From,
    pub multiple: bool,
    pub required: bool,
    pub testid: &'a str,
    /// The accessible name when no `<label for>` names the input.
    pub label: Option<&'a str>,
    /// The ids it holds now (as stored, or as typed into a form that failed).
    pub value: &'a str,
    /// Names for the ids it holds; an id without one is shown as it is.
    pub names: &'a HashMap<String, String>,
}

impl Picker<'_> {
    pub fn render(&self, lang: Lang) -> Markup {
        let picked: Vec<(String, String)> = ids(self.value)
            .into_iter()
            .map(|id| {
                let name = self.names.get(&id).cloned().unwrap_or_else(|| id.clone());
                (id, name)
            })
            .collect();
        let picked = serde_json::to_string(&picked).unwrap_or_else(|_| "[]".into());
        html! {
            input type="text" id=[self.id] name=(self.name) value=(self.value) autocomplete="off"
                required[self.required] aria-label=[self.label]
                placeholder=(t(lang, "picker.placeholder"))
                data-pick=(self.from.code()) data-pick-multiple[self.multiple] data-picked=(picked)
                data-pick-none=(t(lang, "picker.none"))
                data-pick-remove=(t(lang, "picker.remove"))
                data-testid=(self.testid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse_and_print_back() {
        for code in ["org", "reach", "unit:net_00000000000000000000000000:backbone"] {
            match From::parse(code) {
                Ok(f) => assert_eq!(f.code(), code),
                Err(e) => panic!("{code}: {e}"),
            }
        }
        for bad in ["", "everyone", "unit:", "unit:net_x", "unit:mem_00000000000000000000000000:backbone"] {
            assert!(From::parse(bad).is_err(), "{bad}");
        }
    }
}
