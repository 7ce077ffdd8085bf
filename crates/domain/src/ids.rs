//! Typed ids with a prefix, so an id says what it is (`org_...`, `mem_...`).

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, Rule};

/// Length of the random part of an id, in characters of the id alphabet.
pub const RANDOM_LEN: usize = 16;
/// Lowercase letters and digits without the look-alikes `0 1 l o`: ids are read aloud and pasted.
const ALPHABET: &[u8; 32] = b"23456789abcdefghijkmnpqrstuvwxyz";

/// Encodes random bytes as the random part of an id. The caller brings the randomness.
pub fn encode_random(bytes: [u8; RANDOM_LEN]) -> String {
    bytes.iter().map(|b| ALPHABET[(*b & 31) as usize] as char).collect()
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $field:literal, $pattern:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(try_from = "String", into = "String")]
        #[schema(value_type = String, pattern = $pattern, example = json!(concat!($prefix, "23456789abcdefgh")))]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A new id from caller-supplied random bytes.
            pub fn from_random(bytes: [u8; RANDOM_LEN]) -> Self {
                Self(format!("{}{}", $prefix, encode_random(bytes)))
            }

            /// Parses an id given by a user; the error names the field.
            pub fn parse(raw: &str) -> Result<Self, DomainError> {
                let rest = raw.strip_prefix($prefix).ok_or_else(|| {
                    DomainError::invalid($field, Rule::IdPrefix($prefix))
                })?;
                if rest.is_empty()
                    || rest.len() > 64
                    || !rest.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                {
                    return Err(DomainError::invalid($field, Rule::IdPrefix($prefix)));
                }
                Ok(Self(raw.to_owned()))
            }

            /// Wraps an id read back from the store, which only holds ids it was given.
            pub fn from_trusted(raw: String) -> Self {
                Self(raw)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(raw: String) -> Result<Self, DomainError> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

typed_id!(
    /// An organization (tenant).
    OrgId, "org_", "organization_id", "^org_[a-z0-9_]{1,64}$");
typed_id!(
    /// A department in an organization's tree.
    DepartmentId, "dep_", "department_id", "^dep_[a-z0-9_]{1,64}$");
typed_id!(
    /// A person's login, shared by all of their memberships.
    AccountId, "acc_", "account_id", "^acc_[a-z0-9_]{1,64}$");
typed_id!(
    /// An account's membership of one organization.
    MemberId, "mem_", "member_id", "^mem_[a-z0-9_]{1,64}$");
typed_id!(
    /// An API token.
    TokenId, "tok_", "token_id", "^tok_[a-z0-9_]{1,64}$");
typed_id!(
    /// An invitation for an existing account to become a member of another organization.
    MemberInvitationId, "minv_", "invitation_id", "^minv_[a-z0-9_]{1,64}$");
typed_id!(
    /// A one-time link to set an account's password.
    PasswordLinkId, "pwl_", "link_id", "^pwl_[a-z0-9_]{1,64}$");
typed_id!(
    /// An in-app notification.
    NotificationId, "ntf_", "notification_id", "^ntf_[a-z0-9_]{1,64}$");
typed_id!(
    /// A backbone organization's network of partners.
    NetworkId, "net_", "network_id", "^net_[a-z0-9_]{1,64}$");
typed_id!(
    /// One partner organization inside a network.
    UnitId, "unt_", "unit_id", "^unt_[a-z0-9_]{1,64}$");
typed_id!(
    /// An invitation for a partner to join a network.
    InvitationId, "inv_", "invitation_id", "^inv_[a-z0-9_]{1,64}$");
typed_id!(
    /// A contact (docking person) on one side of a partnership.
    ContactId, "con_", "contact_id", "^con_[a-z0-9_]{1,64}$");
typed_id!(
    /// An app an organization publishes to its members and partners.
    AppId, "app_", "app_id", "^app_[a-z0-9_]{1,64}$");
typed_id!(
    /// One filled-in form of an app.
    SubmissionId, "sub_", "submission_id", "^sub_[a-z0-9_]{1,64}$");
typed_id!(
    /// A file uploaded for a form's attachment field.
    AttachmentId, "att_", "attachment_id", "^att_[a-z0-9_]{1,64}$");
typed_id!(
    /// One submission's way through its approval template.
    ApprovalId, "apr_", "approval_id", "^apr_[a-z0-9_]{1,64}$");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_wrong_prefix() {
        let id = OrgId::from_random([7; RANDOM_LEN]);
        assert!(id.as_str().starts_with("org_"));
        assert_eq!(OrgId::parse(id.as_str()), Ok(id.clone()));
        let err = MemberId::parse(id.as_str()).unwrap_err();
        assert_eq!(err.field(), Some("member_id"));
        assert!(OrgId::parse("org_").is_err());
        assert!(OrgId::parse("org_ABC").is_err());
        assert!(OrgId::parse("org_a;drop").is_err());
    }
}
