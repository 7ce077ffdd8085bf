//! Storage, journal and sessions through the use cases, on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use keiretsu_domain::directory::{Certification, MemberStatus};
use keiretsu_domain::ids::{AccountId, MemberId, OrgId};
use keiretsu_domain::time::FakeClock;
use keiretsu_service::directory::{NewDepartment, NewMember, NewOrg};
use keiretsu_service::{Caller, Service};
use keiretsu_store::{Json, Store};
use keiretsu_testkit::{T0, TestDb, both, test_settings};

async fn service(db: &TestDb) -> (Service, Arc<FakeClock>) {
    let clock = Arc::new(FakeClock::at(T0));
    (Service::new(db.store().await, clock.clone(), test_settings()).await.unwrap(), clock)
}

async fn org(svc: &Service, admin: &str) -> OrgId {
    let org = svc
        .directory()
        .create_org(
            &Caller::System,
            &NewOrg {
                name: format!("{admin} Org"),
                certification: Some(Certification::Certified),
                admin_login: admin.into(),
                admin_name: "Admin".into(),
                admin_password: Some("password-123".into()),
            },
        )
        .await
        .unwrap();
    OrgId::parse(&org.id).unwrap()
}

both! {
    async fn migrations_apply_step_by_step_from_empty(db) {
        let test_db = TestDb::new(db).await;
        let store = Store::open(&test_db.url, 2).await.unwrap();
        let all: Vec<_> = store.migrator().iter().cloned().collect();
        assert!(!all.is_empty());
        for n in 1..=all.len() {
            let mut step = sqlx::migrate::Migrator::DEFAULT;
            step.migrations = std::borrow::Cow::Owned(all[..n].to_vec());
            step.run(store.pool()).await.unwrap_or_else(|e| panic!("migration {n} fails on top of {}: {e}", n - 1));
            assert_eq!(store.migrations_applied().await.unwrap(), n == all.len());
        }
        // Applying again is a no-op, and the full schema works.
        store.migrate().await.unwrap();
        let svc = Service::new(store, Arc::new(FakeClock::at(T0)), test_settings()).await.unwrap();
        org(&svc, "mig.admin").await;
    }

    async fn a_failed_journal_write_fails_the_change(db) {
        let test_db = TestDb::new(db).await;
        let (svc, _) = service(&test_db).await;
        let org = org(&svc, "j.admin").await;
        let before = svc.directory().departments(&Caller::System, &org).await.unwrap().len();
        sqlx::query("ALTER TABLE journal RENAME TO journal_hidden").execute(svc.store().pool()).await.unwrap();
        let result = svc.directory().create_department(&Caller::System, &org, &NewDepartment { name: "Ghost".into(), parent_id: None }).await;
        assert!(result.is_err(), "the change must fail with its journal entry");
        sqlx::query("ALTER TABLE journal_hidden RENAME TO journal").execute(svc.store().pool()).await.unwrap();
        assert_eq!(svc.directory().departments(&Caller::System, &org).await.unwrap().len(), before, "no department without its entry");
        assert!(svc.journal().verify_journal().await.unwrap().first_break.is_none());
    }

    async fn damaged_stored_values_are_errors_not_defaults(db) {
        let test_db = TestDb::new(db).await;
        let (svc, _) = service(&test_db).await;
        let org = org(&svc, "damage.admin").await;
        let member = svc
            .directory()
            .add_member(&Caller::System, &org, &NewMember { login: "damaged".into(), name: "Damaged".into(), ..Default::default() })
            .await
            .unwrap()
            .member()
            .unwrap();
        let id = MemberId::parse(&member.id).unwrap();
        let pool = svc.store().pool();
        // The schema's checks keep statuses and certifications to their values; a role has no
        // such check, so a damaged one must read as an error, not as a plain member or an admin.
        assert_eq!(svc.directory().member(&Caller::System, &org, &id).await.unwrap().status, MemberStatus::Active);
        for damaged in ["sub_admin:directory,root", "owner", ""] {
            sqlx::query("UPDATE members SET role = $1 WHERE id = $2")
                .bind(damaged)
                .bind(&member.id)
                .execute(pool)
                .await
                .unwrap();
            assert!(svc.directory().member(&Caller::System, &org, &id).await.is_err(), "{damaged:?} read as a role");
        }
        // JSON columns decode into their type, and text that is not one is an error, not an empty value.
        let read = |sql: &'static str| sqlx::query_scalar::<_, Json<Vec<String>>>(sql).fetch_one(pool);
        assert_eq!(read("SELECT CAST('[\"a\",\"b\"]' AS TEXT)").await.unwrap().0, ["a", "b"]);
        assert!(read("SELECT CAST('{\"a\":1}' AS TEXT)").await.is_err());
        assert!(read("SELECT CAST('' AS TEXT)").await.is_err());
    }

    async fn concurrent_changes_keep_one_unbroken_chain(db) {
        let test_db = TestDb::new(db).await;
        let (svc, _) = service(&test_db).await;
        let org = org(&svc, "c.admin").await;
        let before = svc.journal().latest_revision().await.unwrap();
        let tasks: Vec<_> = (0..24)
            .map(|i| {
                let (svc, org) = (svc.clone(), org.clone());
                tokio::spawn(async move {
                    svc.directory().create_department(&Caller::System, &org, &NewDepartment { name: format!("D{i}"), parent_id: None }).await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(svc.journal().latest_revision().await.unwrap(), before + 24);
        let v = svc.journal().verify_journal().await.unwrap();
        assert!(v.first_break.is_none(), "{:?}", v.first_break);
        assert_eq!(v.checked as i64, before + 24);
    }

    async fn sessions_are_new_on_login_and_end_on_logout_timeout_and_disable(db) {
        let test_db = TestDb::new(db).await;
        let (svc, clock) = service(&test_db).await;
        let org = org(&svc, "s.admin").await;
        let a = svc.identity().login("s.admin", "password-123", "127.0.0.1").await.unwrap();
        let b = svc.identity().login("s.admin", "password-123", "127.0.0.1").await.unwrap();
        assert_ne!(a.secret, b.secret, "a new session id on every login");
        assert_ne!(a.csrf_token, b.csrf_token);
        let session = svc.identity().session(&a.secret).await.unwrap().expect("live session");
        assert_eq!(session.caller.acting().unwrap().org, org);
        // Logout ends it on the server.
        svc.identity().logout(&session).await.unwrap();
        assert!(svc.identity().session(&a.secret).await.unwrap().is_none());
        // Idle timeout (30 minutes by default).
        clock.advance(31 * 60_000);
        assert!(svc.identity().session(&b.secret).await.unwrap().is_none(), "idle session ended");
        // Absolute timeout, even when active.
        let c = svc.identity().login("s.admin", "password-123", "127.0.0.1").await.unwrap();
        for _ in 0..25 {
            clock.advance(29 * 60_000);
            if svc.identity().session(&c.secret).await.unwrap().is_none() {
                break;
            }
        }
        assert!(svc.identity().session(&c.secret).await.unwrap().is_none(), "absolute timeout ended the session");
        // Disabling the account ends its sessions at once.
        let d = svc.identity().login("s.admin", "password-123", "127.0.0.1").await.unwrap();
        let account = AccountId::parse(svc.identity().session(&d.secret).await.unwrap().unwrap().caller.account().unwrap().as_str()).unwrap();
        svc.identity().set_account_disabled(&Caller::System, &account, true).await.unwrap();
        assert!(svc.identity().session(&d.secret).await.unwrap().is_none());
        assert!(svc.identity().login("s.admin", "password-123", "127.0.0.1").await.is_err(), "disabled accounts cannot sign in");
    }

    async fn one_account_in_two_organizations(db) {
        let test_db = TestDb::new(db).await;
        let (svc, _) = service(&test_db).await;
        let a = org(&svc, "a.admin").await;
        let b = org(&svc, "b.admin").await;
        let new = |login: &str| NewMember { name: "Shared Person".into(), login: login.into(), password: Some("password-123".into()), ..Default::default() };
        svc.directory().add_member(&Caller::System, &a, &new("shared")).await.unwrap();
        // In the second organization the existing account is invited, and joins on accepting.
        let invited = NewMember { password: None, ..new("shared") };
        let Ok(keiretsu_service::directory::Added::Invited(inv)) = svc.directory().add_member(&Caller::System, &b, &invited).await else {
            panic!("an existing account is invited");
        };
        let s = svc.identity().login("shared", "password-123", "127.0.0.1").await.unwrap();
        let person = svc.identity().session(&s.secret).await.unwrap().unwrap().caller;
        svc.directory().accept_invitation(&person, &inv.id).await.unwrap();
        let info = svc.identity().session(&s.secret).await.unwrap().unwrap();
        let me = svc.identity().me(&info.caller).await.unwrap();
        assert_eq!(me.organizations.len(), 2);
        let first = info.caller.acting().unwrap().org.clone();
        let other = if first == a { b.clone() } else { a.clone() };
        svc.identity().switch_org(&info, &other).await.unwrap();
        let info = svc.identity().session(&s.secret).await.unwrap().unwrap();
        assert_eq!(info.caller.acting().unwrap().org, other);
        // Acting in one organization reads nothing of the other.
        assert!(svc.directory().departments(&info.caller, &first).await.is_err());
        // Joining the same organization twice is refused.
        let err = svc.directory().add_member(&Caller::System, &a, &new("shared")).await.unwrap_err();
        assert!(err.to_string().contains("already a member"), "{err}");
    }
}

#[tokio::test]
async fn production_password_hashing_is_argon2id_19mib_2_iterations() {
    let settings = keiretsu_service::Settings::default();
    let hash = keiretsu_service::identity::hash_password(&settings, &"long password ".repeat(8)).await.unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_migrating_at_once_do_not_race_on_postgres() {
    let db = TestDb::new(keiretsu_testkit::Db::Postgres).await;
    let (a, b) = tokio::join!(keiretsu_service::open_store(&db.url, 2), keiretsu_service::open_store(&db.url, 2));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.migrations_applied().await.unwrap() && b.migrations_applied().await.unwrap());
}
