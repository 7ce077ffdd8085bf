//! Who is calling and what they may do. Every use case takes a [`Caller`] and asks
//! [`Caller::permit`] (or [`Caller::operator`]); the only way to get a [`Permit`] is to pass.

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, Reason, Rule};
use crate::ids::{AccountId, MemberId, OrgId};

/// The areas a sub-admin can be given. The names are the API's and the console's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Directory,
    License,
    Partners,
    Apps,
    Approvals,
    Audit,
}

impl Scope {
    pub const ALL: [Scope; 6] =
        [Scope::Directory, Scope::License, Scope::Partners, Scope::Apps, Scope::Approvals, Scope::Audit];
    pub const NAMES: &'static [&'static str] = &["directory", "license", "partners", "apps", "approvals", "audit"];

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn parse(field: &str, text: &str) -> Result<Scope, DomainError> {
        Self::NAMES
            .iter()
            .position(|n| *n == text)
            .map(|i| Self::ALL[i])
            .ok_or_else(|| DomainError::invalid(field, Rule::OneOf(Self::NAMES)))
    }
}

/// A member's role in one organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "role", content = "scopes", rename_all = "snake_case")]
pub enum Role {
    PrimaryAdmin,
    SubAdmin(Vec<Scope>),
    Member,
}

impl Role {
    pub fn has(&self, scope: Scope) -> bool {
        match self {
            Role::PrimaryAdmin => true,
            Role::SubAdmin(scopes) => scopes.contains(&scope),
            Role::Member => false,
        }
    }

    pub fn is_admin(&self) -> bool {
        !matches!(self, Role::Member)
    }

    /// Storage form: `primary_admin`, `member`, or `sub_admin:directory,audit`.
    pub fn encode(&self) -> String {
        match self {
            Role::PrimaryAdmin => "primary_admin".into(),
            Role::Member => "member".into(),
            Role::SubAdmin(s) => format!("sub_admin:{}", s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")),
        }
    }

    /// Reads the storage form back; text that is none of them (or names an unknown scope) is an
    /// error, so a damaged row never quietly becomes a plain member or an admin.
    pub fn decode(text: &str) -> Result<Role, DomainError> {
        match text.split_once(':') {
            Some(("sub_admin", "")) => Ok(Role::SubAdmin(Vec::new())),
            Some(("sub_admin", scopes)) => {
                Ok(Role::SubAdmin(scopes.split(',').map(|s| Scope::parse("role", s)).collect::<Result<_, _>>()?))
            }
            None if text == "primary_admin" => Ok(Role::PrimaryAdmin),
            None if text == "member" => Ok(Role::Member),
            _ => Err(DomainError::invalid("role", Rule::Reason(Reason::RoleFormat))),
        }
    }
}

impl TryFrom<String> for Role {
    type Error = DomainError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Role::decode(&text)
    }
}

/// The organization a session or token acts in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acting {
    pub org: OrgId,
    pub member: MemberId,
    pub role: Role,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    /// The installation's own work (start-up, demo seeding, migrations of data).
    System,
    Account {
        account: AccountId,
        operator: bool,
        acting: Option<Acting>,
    },
}

/// What a caller wants to do inside an organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Read the organization's shared data (address book); any active member.
    Read,
    /// Administer an area.
    Manage(Scope),
    /// Only the primary admin (assigning admins, transferring the primary role).
    Primary,
}

/// Proof that a check passed: the store's writes for an organization take one.
#[derive(Clone, Debug)]
pub struct Permit {
    org: OrgId,
    actor: String,
}

impl Permit {
    pub fn org(&self) -> &OrgId {
        &self.org
    }
    pub fn actor(&self) -> &str {
        &self.actor
    }
}

/// Proof that the caller is the platform operator (or the system itself).
#[derive(Clone, Debug)]
pub struct OperatorPermit {
    actor: String,
}

impl OperatorPermit {
    pub fn actor(&self) -> &str {
        &self.actor
    }
}

/// The refusals; the server maps each to one HTTP status.
pub const NOT_SIGNED_IN: DomainError = DomainError::Forbidden(Reason::NotSignedIn);
pub const NOT_ALLOWED: DomainError = DomainError::Forbidden(Reason::NotAllowed);

impl Caller {
    /// The id recorded as the actor in the journal.
    pub fn actor(&self) -> String {
        match self {
            Caller::Anonymous => "anonymous".into(),
            Caller::System => "system".into(),
            Caller::Account { account, .. } => account.to_string(),
        }
    }

    pub fn account(&self) -> Option<&AccountId> {
        match self {
            Caller::Account { account, .. } => Some(account),
            _ => None,
        }
    }

    pub fn acting(&self) -> Option<&Acting> {
        match self {
            Caller::Account { acting, .. } => acting.as_ref(),
            _ => None,
        }
    }

    /// The one authorization path for organization data. Another organization's objects are
    /// reported as not found, so a refusal never confirms that they exist.
    pub fn permit(&self, org: &OrgId, need: Need) -> Result<Permit, DomainError> {
        let acting = match self {
            Caller::Anonymous => return Err(NOT_SIGNED_IN),
            Caller::System => {
                return Ok(Permit { org: org.clone(), actor: self.actor() });
            }
            // The operator runs the installation but never reads a tenant's business data.
            Caller::Account { acting: None, .. } => {
                return Err(DomainError::NotFound { what: "organization" });
            }
            Caller::Account { acting: Some(acting), .. } => acting,
        };
        if &acting.org != org {
            return Err(DomainError::NotFound { what: "organization" });
        }
        let allowed = match need {
            Need::Read => true,
            Need::Manage(scope) => acting.role.has(scope),
            Need::Primary => acting.role == Role::PrimaryAdmin,
        };
        if allowed { Ok(Permit { org: org.clone(), actor: self.actor() }) } else { Err(NOT_ALLOWED) }
    }

    /// A permit in an organization that `manager` keeps as a managed unit of its network: the
    /// manager's partner admins administer it as if they were its own admins.
    pub fn permit_managed(&self, org: &OrgId, manager: &OrgId) -> Result<Permit, DomainError> {
        match self.acting() {
            Some(a) if &a.org == manager && a.role.has(Scope::Partners) => {
                Ok(Permit { org: org.clone(), actor: self.actor() })
            }
            _ => Err(DomainError::NotFound { what: "organization" }),
        }
    }

    /// A permit in the caller's own acting organization.
    pub fn permit_own(&self, need: Need) -> Result<Permit, DomainError> {
        match self.acting() {
            Some(acting) => self.permit(&acting.org.clone(), need),
            None if matches!(self, Caller::Anonymous) => Err(NOT_SIGNED_IN),
            None => Err(DomainError::NotFound { what: "organization" }),
        }
    }

    pub fn operator(&self) -> Result<OperatorPermit, DomainError> {
        match self {
            Caller::System | Caller::Account { operator: true, .. } => Ok(OperatorPermit { actor: self.actor() }),
            Caller::Anonymous => Err(NOT_SIGNED_IN),
            Caller::Account { .. } => Err(NOT_ALLOWED),
        }
    }
}

/// Passwords: at least 8 characters, at most 256, hashed whole (never truncated).
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 256;

pub fn validate_password(field: &str, password: &str) -> Result<(), DomainError> {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        return Err(DomainError::invalid(field, Rule::TooShort(PASSWORD_MIN)));
    }
    if n > PASSWORD_MAX {
        return Err(DomainError::invalid(field, Rule::TooLong(PASSWORD_MAX)));
    }
    Ok(())
}

/// Login names are lowercase ASCII letters, digits and `. _ - @`, 3 to 64 long; input is lowercased.
pub fn normalize_login(field: &str, login: &str) -> Result<String, DomainError> {
    let login = login.trim().to_ascii_lowercase();
    if login.is_empty() {
        return Err(DomainError::invalid(field, Rule::Required));
    }
    if login.len() < 3 {
        return Err(DomainError::invalid(field, Rule::TooShort(3)));
    }
    if login.len() > 64 {
        return Err(DomainError::invalid(field, Rule::TooLong(64)));
    }
    if !login.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-@".contains(&b)) {
        return Err(DomainError::invalid(field, Rule::Reason(Reason::LoginFormat)));
    }
    Ok(login)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::RANDOM_LEN;

    fn member_of(org: &OrgId, role: Role) -> Caller {
        Caller::Account {
            account: AccountId::from_random([1; RANDOM_LEN]),
            operator: false,
            acting: Some(Acting { org: org.clone(), member: MemberId::from_random([2; RANDOM_LEN]), role }),
        }
    }

    #[test]
    fn admin_rights_stop_at_the_organization() {
        let a = OrgId::from_random([3; RANDOM_LEN]);
        let b = OrgId::from_random([4; RANDOM_LEN]);
        let admin_a = member_of(&a, Role::PrimaryAdmin);
        assert!(admin_a.permit(&a, Need::Manage(Scope::Directory)).is_ok());
        assert_eq!(admin_a.permit(&b, Need::Read).unwrap_err(), DomainError::NotFound { what: "organization" });
    }

    #[test]
    fn sub_admin_scopes_and_members() {
        let a = OrgId::from_random([3; RANDOM_LEN]);
        let auditor = member_of(&a, Role::SubAdmin(vec![Scope::Audit]));
        assert!(auditor.permit(&a, Need::Manage(Scope::Audit)).is_ok());
        assert_eq!(auditor.permit(&a, Need::Manage(Scope::Directory)).unwrap_err(), NOT_ALLOWED);
        assert_eq!(auditor.permit(&a, Need::Primary).unwrap_err(), NOT_ALLOWED);
        let member = member_of(&a, Role::Member);
        assert!(member.permit(&a, Need::Read).is_ok());
        assert_eq!(member.permit(&a, Need::Manage(Scope::Directory)).unwrap_err(), NOT_ALLOWED);
        assert_eq!(Caller::Anonymous.permit(&a, Need::Read).unwrap_err(), NOT_SIGNED_IN);
    }

    #[test]
    fn managed_units_answer_to_the_managers_partner_admins() {
        let backbone = OrgId::from_random([3; RANDOM_LEN]);
        let unit = OrgId::from_random([4; RANDOM_LEN]);
        let partners = member_of(&backbone, Role::SubAdmin(vec![Scope::Partners]));
        assert_eq!(partners.permit_managed(&unit, &backbone).unwrap().org(), &unit);
        let directory_only = member_of(&backbone, Role::SubAdmin(vec![Scope::Directory]));
        assert!(directory_only.permit_managed(&unit, &backbone).is_err());
        let elsewhere = member_of(&unit, Role::PrimaryAdmin);
        assert!(elsewhere.permit_managed(&backbone, &unit).is_ok());
        assert!(elsewhere.permit_managed(&unit, &backbone).is_err());
    }

    #[test]
    fn operator_sees_no_tenant_data() {
        let a = OrgId::from_random([3; RANDOM_LEN]);
        let op = Caller::Account { account: AccountId::from_random([5; RANDOM_LEN]), operator: true, acting: None };
        assert!(op.operator().is_ok());
        assert!(op.permit(&a, Need::Read).is_err());
        assert!(member_of(&a, Role::PrimaryAdmin).operator().is_err());
    }

    #[test]
    fn role_round_trips() {
        for role in [
            Role::PrimaryAdmin,
            Role::Member,
            Role::SubAdmin(vec![Scope::Directory, Scope::Audit]),
            Role::SubAdmin(Vec::new()),
        ] {
            assert_eq!(Role::decode(&role.encode()), Ok(role));
        }
    }

    #[test]
    fn a_damaged_role_is_an_error_not_a_member() {
        for text in ["", "admin", "primary_admin:", "sub_admin:directory,root", "member:audit", "Member"] {
            assert!(Role::decode(text).is_err(), "{text:?} decoded");
        }
    }

    #[test]
    fn password_policy() {
        assert!(validate_password("password", "short").is_err());
        assert!(validate_password("password", &"x".repeat(64)).is_ok());
        assert!(validate_password("password", &"x".repeat(257)).is_err());
        assert_eq!(normalize_login("login", " Alice.W ").unwrap(), "alice.w");
        assert_eq!(normalize_login("login", "a b c").unwrap_err().field(), Some("login"));
    }
}
