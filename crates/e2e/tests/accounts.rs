//! First sign-in in a real headless Chromium: an administrator issues a set-password link for an
//! imported person, who opens it, chooses a password, signs in, and finds their sessions on their
//! own account page, in English and in Chinese.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_domain::ids::OrgId;
use keiretsu_e2e::Browser;
use keiretsu_service::Caller;
use keiretsu_service::directory::NewMember;
use keiretsu_testkit::{Db, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_person_sets_a_password_with_a_link_and_signs_in() {
    let s = TestServer::start(Db::Sqlite).await;
    s.svc.demo().seed_demo("keiretsu-demo").await.unwrap();
    let me = s.svc.identity().caller_for_login(&Caller::System, "demo.admin", None).await.unwrap();
    let org = OrgId::parse(&s.svc.identity().me(&me).await.unwrap().organization_id.unwrap()).unwrap();
    let hire = NewMember { name: "Tanaka Hana".into(), login: "tanaka.hana".into(), ..Default::default() };
    let hire = s.svc.directory().add_member(&Caller::System, &org, &hire).await.unwrap().member().unwrap();
    let b = Browser::start().await;

    b.goto(&format!("{}/login", s.base)).await;
    b.fill("[data-testid=login-login]", "demo.admin").await;
    b.fill("[data-testid=login-password]", "keiretsu-demo").await;
    b.click("[data-testid=login-submit]").await;
    b.wait("[data-testid=nav-members]").await;
    b.goto(&format!("{}/console/members/{}", s.base, hire.id)).await;
    b.click("[data-testid=password-link-submit]").await;
    let link = b.text("[data-testid=password-link]").await;
    assert!(link.starts_with(&format!("{}/set-password?code=", s.base)), "{link}");
    b.screenshot("accounts-01-link-issued").await;
    b.sign_out().await;

    // The link's page: a mismatch is said beside the field, then the password is set.
    b.goto(&link).await;
    b.fill("[data-testid=set-password-password]", "my-own-secret-1").await;
    b.fill("[data-testid=set-password-confirm]", "my-own-secret-2").await;
    b.click("[data-testid=set-password-submit]").await;
    assert!(b.text("[data-testid=field-error-confirm]").await.contains("not the same"));
    b.fill("[data-testid=set-password-password]", "my-own-secret-1").await;
    b.fill("[data-testid=set-password-confirm]", "my-own-secret-1").await;
    b.click("[data-testid=set-password-submit]").await;
    assert!(b.text("[data-testid=notice]").await.contains("Your password is set"));
    b.screenshot("accounts-02-password-set").await;

    // The link is spent.
    b.goto(&link).await;
    b.fill("[data-testid=set-password-password]", "someone-elses-3").await;
    b.fill("[data-testid=set-password-confirm]", "someone-elses-3").await;
    b.click("[data-testid=set-password-submit]").await;
    assert!(b.text("[data-testid=error]").await.contains("already used"));

    b.goto(&format!("{}/login", s.base)).await;
    b.fill("[data-testid=login-login]", "tanaka.hana").await;
    b.fill("[data-testid=login-password]", "my-own-secret-1").await;
    b.click("[data-testid=login-submit]").await;
    b.click("[data-testid=signed-in-as]").await;
    b.wait_text("[data-testid=page-title]", "My account").await;
    assert_eq!(b.texts_when("[data-testid=session-current]", 1).await.len(), 1);

    // A wrong current password is refused beside its field.
    b.fill("[data-testid=current-password]", "not-my-password").await;
    b.fill("[data-testid=new-password]", "my-next-secret-4").await;
    b.click("[data-testid=password-submit]").await;
    assert!(b.text("[data-testid=field-error-current_password]").await.contains("not your current password"));
    b.screenshot("accounts-03-my-account").await;

    // The same page in Chinese.
    b.click("[data-testid=lang-button]").await;
    b.wait_text("[data-testid=page-title]", "我的账号").await;
    assert!(b.body().await.contains("已登录的会话"));
    b.screenshot("accounts-04-my-account-zh").await;
    b.close().await;
}
