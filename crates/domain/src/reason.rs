//! The reasons a rule was broken or a right refused, beyond the general rules of `Rule`: each with
//! a stable code that clients and the console's catalogues key on, and the English text the API
//! shows after the field's name. `Reason::ALL` lists them so a test can walk every code.

macro_rules! reasons {
    ($($name:ident = $code:literal: $text:literal,)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Reason {
            $($name,)*
        }

        impl Reason {
            /// Every reason, in the order written here.
            pub const ALL: &'static [Reason] = &[$(Reason::$name,)*];

            /// The stable code: snake_case, never reworded.
            pub const fn code(self) -> &'static str {
                match self {
                    $(Reason::$name => $code,)*
                }
            }

            /// The English text, written after the field's name (or alone for a refusal).
            pub const fn text(self) -> &'static str {
                match self {
                    $(Reason::$name => $text,)*
                }
            }
        }
    };
}

reasons! {
    PhoneFormat = "phone_format": "must be a phone number like +86 138 0000 0000",
    EmailFormat = "email_format": "must be an email address like name@example.com",
    EmployeeNoFormat = "employee_no_format": "must be letters, digits, - and _ only",
    CsvFormat = "csv_format": "must be CSV text in UTF-8 with a header line",
    UnknownImportColumn = "unknown_import_column": "has an unknown column; allowed: employee_no, name, login, phone, email, title, department",
    ImportColumnsMissing = "import_columns_missing": "needs the columns employee_no, name and login",
    ImportTooManyRows = "import_too_many_rows": "has more than 200000 rows; split it",
    NotFilterable = "not_filterable": "cannot be filtered",
    FilterFormat = "filter_format": "must be field:op:value, like amount:ge:100",
    UnknownFormKey = "unknown_form_key": "has a key that is not a field of this form",
    MoneyFormat = "money_format": "must be an amount like 1234.50, with at most 2 decimals",
    DateFormat = "date_format": "must be a date like 2026-12-31",
    NumberFormat = "number_format": "must be a number",
    FieldKeyFormat = "field_key_format": "must be lowercase letters, digits and _, starting with a letter",
    TrimmedText = "trimmed_text": "must be text without spaces at either end",
    MinAboveMax = "min_above_max": "must not be more than max",
    PatternTooComplex = "pattern_too_complex": "is too complex; simplify it",
    PatternInvalid = "pattern_invalid": "must be a valid regular expression",
    TextFormat = "text_format": "must be text",
    PatternMismatch = "pattern_mismatch": "must be text matching the field's pattern",
    OptionsList = "options_list": "must be a list of the field's options",
    AttachmentList = "attachment_list": "must be a list of attachment ids",
    RoleFormat = "role_format": "must be primary_admin, member or sub_admin:<scopes>",
    NotSignedIn = "not_signed_in": "not signed in",
    NotAllowed = "not_allowed": "not allowed",
    LoginFormat = "login_format": "must be letters, digits and . _ - @ only",
    TrialAlwaysOn = "trial_always_on": "cannot be switched off on the trial edition",
    BelowAssignedSeats = "below_assigned_seats": "is below the seats already assigned; freeze accounts first",
    NameKeyFormat = "name_key_format": "must be lowercase letters, digits and _ only",
    NotYourDepartment = "not_your_department": "is not a department of your organization",
    NoSuchDepartmentName = "no_such_department_name": "names no department of your organization: pick the departments by id",
    AmbiguousDepartmentName = "ambiguous_department_name": "names more than one department of your organization: pick by id",
    EndBeforeStart = "end_before_start": "must not be before contract_start",
    InvitationRevoked = "invitation_revoked": "belongs to an invitation that was revoked",
    InvitationAnswered = "invitation_answered": "belongs to an invitation already answered",
    InvitationExpired = "invitation_expired": "belongs to an invitation that has expired",
    UncertifiedCannotJoin = "uncertified_cannot_join": "must be certified by the platform before it can join a network",
    UtcDateFormat = "utc_date_format": "must be a UTC date like 2026-11-24 or 2026-11-24T09:30:00Z",
    PasswordMismatch = "password_mismatch": "does not match the new password",
    StaleVersion = "stale_version": "changed since this page was shown; look again",
    WholeNumber = "whole_number": "must be a whole number",
    TakesNoFile = "takes_no_file": "takes no file",
    UnknownRevision = "unknown_revision": "is a revision this server has not seen yet",
    NotAppNetwork = "not_app_network": "is not a network of the app's organization",
    NotOrgDepartment = "not_org_department": "is not a department of this organization",
    RootDepartmentFixed = "root_department_fixed": "cannot move the root department",
    RootDepartment = "root_department": "is the root department",
    HasSubDepartments = "has_sub_departments": "still has sub-departments",
    HasMembers = "has_members": "still has members",
    NotActiveMembers = "not_active_members": "must be active members of this organization",
    AlreadyMember = "already_member": "is already a member of this organization",
    SelfSupervisor = "self_supervisor": "cannot be the member themself",
    AlreadyLeft = "already_left": "has already left",
    PrimaryAdminLeaving = "primary_admin_leaving": "is the primary admin; transfer the primary admin role first",
    AlreadyActive = "already_active": "is already active",
    PrimaryAdminKeepsRole = "primary_admin_keeps_role": "the primary admin keeps the role until it is transferred to someone else",
    NotOrgDepartments = "not_org_departments": "must be departments of this organization",
    NotActiveMember = "not_active_member": "must be an active member of this organization",
    NoSeat = "no_seat": "you have no seat for this app; the license administrators of the organization that publishes it can give you one",
    OnlyAppAdmins = "only_app_admins": "only the app's admins change its form",
    NotPickableMember = "not_pickable_member": "is not someone you can pick",
    NotPickableDepartment = "not_pickable_department": "is not a department you can pick",
    NotYourFile = "not_your_file": "is not a file you uploaded",
    MayNotSubmit = "may_not_submit": "you may not submit this form: ask its admins (see the app's access check for why)",
    NoFormFields = "no_form_fields": "has no form fields yet",
    FileOfAnotherSubmission = "file_of_another_submission": "names a file that belongs to another submission",
    MayNotEditSubmission = "may_not_edit_submission": "you may not edit this submission",
    MayNotReadSubmissions = "may_not_read_submissions": "you may not read this app's submissions",
    MayNotSubmitOrEdit = "may_not_submit_or_edit": "you may not submit or edit this form's submissions",
    FileTooLarge = "file_too_large": "must be at most 10 MiB",
    Incorrect = "incorrect": "is not correct",
    NotAccountOrg = "not_account_org": "is not an organization this account belongs to",
    LinkUnusable = "link_unusable": "is unknown, already used or expired; ask your administrator for a new link",
    LeftOrganization = "left_organization": "has left the organization",
    OtherOrgsOwnPassword = "other_orgs_own_password": "signs in to other organizations too; only they can change their password",
    CursorFormat = "cursor_format": "must be a cursor returned by an earlier page",
    SeatsAllAssigned = "seats_all_assigned": "are all assigned",
    AutoDefaultWhenLocked = "auto_default_when_locked": "must be on when auto_locked is on",
    UnknownEdition = "unknown_edition": "is not an edition of the catalogue",
    SeatsForUnlimited = "seats_for_unlimited": "must be absent for an unlimited edition",
    NotActiveUnit = "not_active_unit": "is not an active unit of this organization's networks",
    NotActiveMembersThere = "not_active_members_there": "must all be active members of that organization",
    MembersOrDepartment = "members_or_department": "or department_id is required, not both",
    SeatsNotEnough = "seats_not_enough": "are not enough: the pool has fewer unassigned seats than accounts to authorize",
    NeedsUnitId = "needs_unit_id": "needs unit_id",
    NotUnitDepartment = "not_unit_department": "is not a department of that unit",
    BackupIsContact = "backup_is_contact": "must be someone other than the contact",
    LastContact = "last_contact": "is the last contact on its side; name a backup or another contact first",
    InvitationColumnsMissing = "invitation_columns_missing": "needs the columns partner_name, partner_type and tier",
    InvitationTooManyRows = "invitation_too_many_rows": "has more than 10000 rows",
    OwnBackbone = "own_backbone": "is the network's own backbone",
    UnknownOrganization = "unknown_organization": "is not an organization on the platform",
    AlreadyUnit = "already_unit": "is already a unit of this network",
    AlreadyInvited = "already_invited": "already has a pending invitation to this network",
    NoLongerPending = "no_longer_pending": "is no longer pending",
    CodeOrInvitation = "code_or_invitation": "or invitation_id is required, not both",
    UnitBlocked = "unit_blocked": "your organization's unit is blocked from this network until it is certified again",
    UnknownPartnerType = "unknown_partner_type": "is not a partner type of this network",
    UnknownTier = "unknown_tier": "is not a tier of this partner type",
    ContactLeftOut = "contact_left_out": "would leave a contact (or backup) of a network unit out of the network: name another first",
    NotBroughtDepartment = "not_brought_department": "is not in the departments the unit brings in",
    NotActiveMemberThere = "not_active_member_there": "must be an active member of that organization",
    UncertifiedCannotOwn = "uncertified_cannot_own": "must be certified by the platform before it can own a network",
    EditionNoRelease = "edition_no_release": "has an edition that does not allow release to downstream networks",
    NetworkLimit = "network_limit": "has reached its edition's network limit",
    TierHasUnits = "tier_has_units": "still has units on a tier this change removes",
    NotBackboneDepartment = "not_backbone_department": "is not a department of the backbone organization",
    NotBroughtIntoNetwork = "not_brought_into_network": "is not a department the unit brings into the network",
    NotDepartmentThere = "not_department_there": "is not a department of that organization",
    GroupableField = "groupable_field": "must be a text, choice, date, member or department field",
    SummableField = "summable_field": "must be a number or money field",
    NoneChosen = "none_chosen": "must have at least one chosen in the list",
    PasswordOfExistingAccount = "password_of_existing_account": "cannot be set for an existing account; leave it empty to invite the person",
    InvitationNotOpen = "invitation_not_open": "is no longer open: it was answered or cancelled, or it expired",
    AlreadyInvitedMember = "already_invited_member": "already has an open invitation to this organization",
    YouAreAlreadyMember = "you_are_already_member": "you are already a member of this organization",
    TimeZoneFormat = "time_zone_format": "must be a time zone of the tz database, like Asia/Shanghai",
    JournalPersonFormat = "journal_person_format": "must be a member id (mem_...) or an account id (acc_...)",
    ExportTooLarge = "export_too_large": "matches more than 100000 entries; narrow the dates or the other filters to export",
    PickFromFormat = "pick_from_format": "must be org, reach or unit:<network>:<unit>",
    NoApprover = "no_approver": "has nobody who may approve besides the submitter; name approvers or an approval admin",
    NoOpenTask = "no_open_task": "is not waiting for you: you hold no open task on this request",
    SubmitterOnly = "submitter_only": "can be changed this way by its submitter only",
    SelfApproval = "self_approval": "cannot be the submitter: nobody approves their own request",
    AlreadyApprover = "already_approver": "is already an approver at this step",
    EarlierStepOnly = "earlier_step_only": "must be a step before the current one",
    NotReturned = "not_returned": "has not been returned for changes",
    AlreadyDecided = "already_decided": "is already decided",
    CoApproverNeedsAll = "co_approver_needs_all": "cannot take a co-approver at a step where any one approval decides; transfer the task instead",
    EscalateAfterRemind = "escalate_after_remind": "must be later than the reminder",
    NotAMemberField = "not_a_member_field": "must be a member field of the form",
    ChangedMeanwhile = "changed_meanwhile": "changed while you were acting; reload it and try again",
    NotAnApprover = "not_an_approver": "must be an active member of the submitter's organization or the app's",
    UnderApproval = "under_approval": "is in approval: it can be changed only when returned to its submitter",
    NotWaiting = "not_waiting": "is not waiting for an approver",
    RemindedRecently = "reminded_recently": "was reminded less than an hour ago",
    DelegateDates = "delegate_dates": "must end after it starts, within a year",
    SelfDelegate = "self_delegate": "cannot be yourself",
    NotUploadedHere = "not_uploaded_here": "must be files you uploaded to this request",
    OutOfReach = "out_of_reach": "is no longer yours to decide: you are no longer among the people the app's organization works with",
}
