//! Invited, not added, in a real headless Chromium: an admin adds a person who already has an
//! account elsewhere, sees the invitation waiting (and can cancel one); the person is told on
//! their overview, accepts on My account and can switch to the organization. In English, then
//! the same path in Chinese.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_e2e::{Browser, certified_org, department, member};
use keiretsu_service::Caller;
use keiretsu_service::directory::{Added, NewMember};
use keiretsu_testkit::{Db, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_accepts_an_invitation_in_english_and_in_chinese() {
    let s = TestServer::start(Db::Sqlite).await;
    let acme = certified_org(&s, "Acme Tools", "acme.admin", "Ada Admin").await;
    let globex = certified_org(&s, "Globex", "globex.admin", "Gus Admin").await;
    let initech = certified_org(&s, "Initech", "initech.admin", "Ivy Admin").await;
    let ops = department(&s, &globex, "Operations", None).await;
    member(&s, &globex, "Kim Park", "kim.park", &ops).await;
    department(&s, &acme, "Purchasing", None).await;
    let b = Browser::start().await;

    // Acme's admin adds Kim Park: the login exists, so Kim is invited, not added.
    b.sign_in(&s.base, "acme.admin", "[data-testid=nav-members]").await;
    b.goto(&format!("{}/console/members/new", s.base)).await;
    b.fill("[data-testid=member-name]", "Kim Park").await;
    b.fill("[data-testid=member-login]", "kim.park").await;
    b.fill("[data-testid=member-title]", "Buyer").await;
    b.click("[data-testid=member-submit]").await;
    b.wait("[data-testid=member-invitation-row]").await;
    assert!(b.text("[data-testid=notice]").await.contains("the person was invited"), "{}", b.body().await);
    let row = b.text("[data-testid=member-invitations]").await;
    assert!(row.contains("kim.park") && row.contains("Buyer"), "{row}");
    assert!(!b.text("[data-testid=member-table]").await.contains("kim.park"), "not a member yet");
    b.screenshot("member-invitations-01-waiting").await;
    b.sign_out().await;

    // Kim hears of it on the overview, and accepts on My account.
    b.sign_in(&s.base, "kim.park", "[data-testid=invitations-notice]").await;
    assert!(b.text("[data-testid=invitations-notice]").await.contains("an invitation to join"));
    b.click("[data-testid=invitations-link]").await;
    b.wait_text("[data-testid=page-title]", "My account").await;
    assert_eq!(b.text("[data-testid=invitation-org]").await, "Acme Tools");
    b.screenshot("member-invitations-02-my-account").await;
    b.click("[data-testid=invitation-accept]").await;
    b.wait("[data-testid=notice]").await;
    assert!(b.text("[data-testid=notice]").await.contains("You are now a member of Acme Tools"), "{}", b.body().await);
    assert!(b.text("[data-testid=org-select]").await.contains("Acme Tools"), "Acme is in the switcher");
    b.gone("[data-testid=invitations]").await;
    b.screenshot("member-invitations-03-accepted").await;

    // In Chinese: Initech invites Kim; Kim reads and accepts it in Chinese.
    let ask = NewMember { name: "Kim Park".into(), login: "kim.park".into(), ..Default::default() };
    let Ok(Added::Invited(_)) = s.svc.directory().add_member(&Caller::System, &initech, &ask).await else {
        panic!("an existing account is invited");
    };
    b.click("[data-testid=lang-button]").await;
    b.wait_text("[data-testid=page-title]", "我的账号").await;
    assert!(b.text("[data-testid=invitations]").await.contains("加入组织的邀请"));
    b.goto(&format!("{}/console", s.base)).await;
    assert!(b.text("[data-testid=invitations-notice]").await.contains("1 个加入其他组织的邀请"));
    b.click("[data-testid=invitations-link]").await;
    b.wait_text("[data-testid=invitation-org]", "Initech").await;
    b.click("[data-testid=invitation-accept]").await;
    b.wait("[data-testid=notice]").await;
    assert!(b.text("[data-testid=notice]").await.contains("您已成为Initech的成员"), "{}", b.body().await);
    b.screenshot("member-invitations-04-accepted-zh").await;
    b.sign_out().await;

    // The inviting side, in Chinese: an invitation waiting, cancelled after a question.
    let ask = NewMember { name: "Gus Admin".into(), login: "globex.admin".into(), ..Default::default() };
    s.svc.directory().add_member(&Caller::System, &acme, &ask).await.unwrap();
    b.sign_in(&s.base, "acme.admin", "[data-testid=nav-members]").await;
    b.goto(&format!("{}/console/members", s.base)).await;
    if b.text("[data-testid=page-title]").await != "成员" {
        b.click("[data-testid=lang-button]").await;
        b.wait_text("[data-testid=page-title]", "成员").await;
    }
    assert!(b.text("[data-testid=member-invitations]").await.contains("等待答复"));
    let question = b.confirm("[data-testid=member-invitation-cancel]").await;
    assert!(question.contains("Gus Admin"), "{question}");
    b.wait("[data-testid=notice]").await;
    assert!(b.text("[data-testid=notice]").await.contains("邀请已撤销"));
    b.gone("[data-testid=member-invitations]").await;
    b.close().await;
}
