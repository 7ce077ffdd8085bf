//! The `keiretsu` binary itself: import with a report, token creation, and `verify` catching
//! an edit made behind the server's back, to the journal or to a seat count.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::sync::Arc;

use keiretsu_domain::directory::Certification;
use keiretsu_service::directory::NewOrg;
use keiretsu_service::license::LicenseChange;
use keiretsu_service::network::NewNetwork;
use keiretsu_service::{Caller, Service, SystemClock};
use keiretsu_testkit::{Db, TestDb, test_settings};

fn keiretsu(db: &TestDb, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_keiretsu"))
        .args(args)
        .args(["--database-url", &db.url])
        .env_remove("KEIRETSU_CONFIG")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_token_and_verify_through_the_binary() {
    let db = TestDb::new(Db::Sqlite).await;
    let svc = Service::new(db.store().await, Arc::new(SystemClock), test_settings()).await.unwrap();
    let org = svc
        .directory()
        .create_org(
            &Caller::System,
            &NewOrg {
                name: "Cli Org".into(),
                certification: Some(Certification::Certified),
                admin_login: "cli.admin".into(),
                admin_name: "Admin".into(),
                admin_password: Some("password-123".into()),
            },
        )
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("keiretsu-cli-{}", keiretsu_service::random_token(6)));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("members.csv");
    std::fs::write(&csv, "employee_no,name,login\nE1,Ann,ann1\nE2,,bad2\nE3,Cy,cyy3\n").unwrap();
    let csv = csv.to_str().unwrap();

    // A bad row stops the import and is reported with its line.
    let (ok, _, err) = keiretsu(&db, &["import", "members", "--org", &org.id, csv]);
    assert!(!ok);
    assert!(err.contains("line 3: name is required"), "{err}");
    let (ok, out, err) = keiretsu(&db, &["import", "members", "--org", &org.id, "--skip-bad", csv]);
    assert!(ok, "{err}");
    assert!(out.contains("2 created"), "{out}");

    let (ok, out, err) = keiretsu(&db, &["token", "create", "--login", "cli.admin", "--days", "7"]);
    assert!(ok, "{err}");
    let secret = out.trim();
    assert!(secret.starts_with("krt_"), "{out}");
    let caller = svc.identity().token(secret).await.unwrap().expect("the printed token works");
    assert_eq!(caller.acting().unwrap().org.as_str(), org.id);

    // Bulk invitations to a network print one code per good row.
    let org_id = keiretsu_domain::ids::OrgId::parse(&org.id).unwrap();
    let exclusive = LicenseChange { edition: "exclusive".into(), seats: Some(10) };
    svc.license().set_license(&Caller::System, &org_id, &exclusive).await.unwrap();
    let admin = svc.identity().caller_for_login(&Caller::System, "cli.admin", Some(&org_id)).await.unwrap();
    let network = svc
        .network()
        .create_network(&admin, &NewNetwork { name: "Cli network".into(), description: String::new() })
        .await
        .unwrap();
    let partners = dir.join("partners.csv");
    std::fs::write(&partners, "partner_name,partner_type,tier\nKato,supplier,a\nBad,pirate,a\n").unwrap();
    let (ok, out, err) =
        keiretsu(&db, &["import", "invitations", "--network", &network.id, partners.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(err.contains("line 3: partner_type"), "{err}");
    let code = out.lines().next().unwrap().split('\t').nth(1).unwrap();
    assert_eq!(code.len(), 32, "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");

    let (ok, out, _) = keiretsu(&db, &["verify"]);
    assert!(ok && out.contains("journal intact") && out.contains("seat pools intact"), "{out}");
    // A seat count moved behind the server's back is named with its organization.
    let bump = |d: i64| {
        sqlx::query("UPDATE seat_pools SET assigned = assigned + $1 WHERE org_id = $2").bind(d).bind(org.id.clone())
    };
    bump(1).execute(svc.store().pool()).await.unwrap();
    let (ok, _, err) = keiretsu(&db, &["verify"]);
    assert!(!ok);
    assert!(err.contains(&format!("seat pool of Cli Org ({})", org.id)) && err.contains("are enabled"), "{err}");
    bump(-1).execute(svc.store().pool()).await.unwrap();
    sqlx::query("UPDATE journal SET actor = 'acc_mallory' WHERE revision = 3")
        .execute(svc.store().pool())
        .await
        .unwrap();
    let (ok, _, err) = keiretsu(&db, &["verify"]);
    assert!(!ok);
    assert!(err.contains("entry 3:"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn default_config_is_printed() {
    let out = Command::new(env!("CARGO_BIN_EXE_keiretsu")).arg("default-config").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("listen = \"127.0.0.1:8080\""));
    assert!(text.contains("KEIRETSU_OPERATOR_PASSWORD"));
}
