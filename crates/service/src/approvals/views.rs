//! What approvals take and answer: templates, requests, actions, inboxes, samples, delegations.

use super::*;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ApprovalTemplateView)]
pub struct TemplateView {
    pub app_id: String,
    /// Each publication is a new version; running instances keep the one they started with.
    pub version: i64,
    pub template: Template,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ApprovalView)]
pub struct InstanceView {
    pub id: String,
    pub app_id: String,
    pub submission_id: String,
    pub submitter_id: String,
    pub template_version: i64,
    pub state: State,
    /// The step being decided (the last one once approved).
    pub step: usize,
    /// Member ids here and below are those the caller may see; anyone else (a backbone
    /// approver a partner's network does not show, say) is an empty id.
    pub plan: Plan,
    /// Who may act now.
    pub waiting_for: Vec<String>,
    /// What happened, oldest first: who (a member id), when (epoch milliseconds), what.
    pub timeline: Vec<Record>,
    /// Files uploaded to the request for comments (on a single request; empty in inbox lists).
    pub files: Vec<crate::files::AttachmentView>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<InstanceRow> for InstanceView {
    fn from(r: InstanceRow) -> Self {
        let i = r.body.into_inner();
        InstanceView {
            waiting_for: i.open_tasks().into_iter().map(|t| t.member).collect(),
            id: r.id,
            app_id: r.app_id,
            submission_id: r.submission_id,
            submitter_id: r.submitter_id,
            template_version: r.template_version,
            state: r.state,
            step: i.step,
            timeline: i.timeline,
            files: Vec::new(),
            plan: i.plan,
            created_at: format_rfc3339(r.created_at),
            updated_at: format_rfc3339(r.updated_at),
        }
    }
}

impl InstanceView {
    pub(super) fn people_mut(&mut self) -> Vec<&mut String> {
        let mut out: Vec<&mut String> = vec![&mut self.submitter_id];
        out.extend(self.plan.people_mut());
        out.extend(self.waiting_for.iter_mut());
        for r in &mut self.timeline {
            out.push(&mut r.by);
            out.extend(r.event.people_mut());
        }
        out
    }
}

/// One action on an instance.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[schema(as = ApprovalAction)]
pub enum Action {
    Approve,
    Reject {
        reason: String,
    },
    /// Back to the submitter, or to an earlier step.
    Return {
        to: Target,
        reason: String,
    },
    /// The submitter sends a returned request again.
    Resubmit,
    Withdraw,
    Transfer {
        member_id: MemberId,
    },
    /// One more approver at this step, before or after the one who adds them.
    AddApprover {
        member_id: MemberId,
        #[serde(default)]
        before: bool,
    },
    /// A remark in the timeline, from anyone the request involves; the submitter is told.
    /// Files go first to the request's attachments, then are named here.
    Comment {
        text: String,
        #[serde(default)]
        attachment_ids: Vec<AttachmentId>,
    },
    /// The submitter nudges the waiting approvers (at most once an hour).
    Remind,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboxKind {
    /// Requests waiting for the caller's decision.
    #[default]
    Todo,
    Submitted,
    Copied,
    /// Requests the caller decided or was asked on before.
    Done,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Which inbox: `todo` (the default), `submitted`, `copied` or `done`.
    #[serde(default)]
    pub inbox: InboxKind,
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// A template tried on a sample submission (see `preview`).
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ApprovalSample)]
pub struct Sample {
    pub template: Template,
    /// Who would submit: a member of the app's organization or of one of its partners.
    pub member_id: MemberId,
    /// The form's values, as a submission gives them.
    #[schema(value_type = Object)]
    pub values: serde_json::Map<String, serde_json::Value>,
}

/// Who takes the caller's approval tasks while they are away.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ApprovalDelegation)]
pub struct DelegationView {
    pub delegate_id: String,
    pub starts_at: String,
    pub ends_at: String,
}

impl From<store::DelegationRow> for DelegationView {
    fn from(r: store::DelegationRow) -> Self {
        DelegationView {
            delegate_id: r.delegate_id,
            starts_at: format_rfc3339(r.starts_at),
            ends_at: format_rfc3339(r.ends_at),
        }
    }
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewApprovalDelegation)]
pub struct NewDelegation {
    /// A member of the caller's own organization.
    pub delegate_id: MemberId,
    /// RFC 3339 times; at most a year apart.
    pub starts_at: String,
    pub ends_at: String,
}
