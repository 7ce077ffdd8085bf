//! The person picker in a real headless Chromium: a department's heads chosen by name with the
//! keyboard and the mouse, a supervisor chosen on a member's page, names (never ids) in what the
//! pages show afterwards, and the picker's own words in Chinese.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use fantoccini::key::Key;
use keiretsu_e2e::{Browser, certified_org, department, member};
use keiretsu_testkit::{Db, TestServer};

fn key(k: Key) -> String {
    char::from(k).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_are_picked_by_name_with_the_keyboard_and_shown_by_name() {
    let s = TestServer::start(Db::Sqlite).await;
    let org = certified_org(&s, "Hoshino Motors", "sato.kenji", "Sato Kenji").await;
    let sales = department(&s, &org, "Sales", None).await;
    let ito = member(&s, &org, "Ito Aya", "ito.aya", &sales).await;
    let mori = member(&s, &org, "Mori Ken", "mori.ken", &sales).await;
    member(&s, &org, "Itoh Daichi", "itoh.daichi", &sales).await;
    let b = Browser::start().await;
    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-departments]").await;

    // Heads of Sales: "ito" finds two people; the keyboard moves to the second and picks it.
    b.click("[data-testid=nav-departments]").await;
    let row = format!("[data-testid=department][data-department-id='{sales}'] > .dept");
    let heads = format!("{row} [data-testid=heads-input]");
    b.click(&format!("{row} [data-testid=department-manage]")).await;
    b.fill(&heads, "ito").await;
    let offered = b.texts_when(&format!("{heads} ~ .pick-list [data-testid=pick-option]"), 2).await;
    assert!(offered.iter().any(|o| o.contains("Ito Aya") && o.contains("Sales")), "{offered:?}");
    let input = b.wait(&heads).await;
    assert_eq!(input.attr("aria-expanded").await.unwrap().as_deref(), Some("true"));
    let first = offered.iter().position(|o| o.contains("Ito Aya")).unwrap();
    for _ in 0..first {
        input.send_keys(&key(Key::Down)).await.unwrap();
    }
    input.send_keys(&key(Key::Enter)).await.unwrap();
    assert_eq!(b.picked(&heads).await, ["Ito Aya"]);
    // Enter picked; it did not send the form.
    assert!(b.client.current_url().await.unwrap().path().ends_with("/console/departments"));
    // Escape closes the list without picking.
    b.fill(&heads, "mori").await;
    b.texts_when(&format!("{heads} ~ .pick-list [data-testid=pick-option]"), 1).await;
    b.wait(&heads).await.send_keys(&key(Key::Escape)).await.unwrap();
    assert_eq!(b.wait(&heads).await.attr("aria-expanded").await.unwrap().as_deref(), Some("false"));
    assert_eq!(b.picked(&heads).await, ["Ito Aya"]);
    // And the mouse picks too.
    b.pick(&heads, "Mori Ken").await;
    assert_eq!(b.picked(&heads).await, ["Ito Aya", "Mori Ken"]);
    b.screenshot("pickers-01-heads-picked").await;
    b.click(&format!("{row} [data-testid=heads-submit]")).await;
    b.wait("[data-testid=notice]").await;
    let shown = b.text(&format!("{row} [data-testid=department-heads]")).await;
    assert!(shown.contains("Ito Aya") && shown.contains("Mori Ken") && !shown.contains("mem_"), "{shown}");
    // The picker comes back holding the heads by name, and removing one is a click.
    b.click(&format!("{row} [data-testid=department-manage]")).await;
    let mut again = b.picked(&heads).await;
    again.sort();
    assert_eq!(again, ["Ito Aya", "Mori Ken"]);
    b.click(&format!("{row} .picker [data-testid=picked][data-id='{mori}'] button")).await;
    assert_eq!(b.picked(&heads).await, ["Ito Aya"]);

    // A supervisor on the member's page, shown by name afterwards.
    b.goto(&format!("{}/console/members/{mori}", s.base)).await;
    b.pick("[data-testid=edit-supervisor]", "Ito Aya").await;
    b.click("[data-testid=edit-submit]").await;
    b.wait("[data-testid=notice]").await;
    assert_eq!(b.text("[data-testid=member-detail-supervisor]").await, "Ito Aya");
    assert_eq!(b.picked("[data-testid=edit-supervisor]").await, ["Ito Aya"]);
    assert!(!b.body().await.contains(&ito));
    b.screenshot("pickers-02-supervisor").await;

    // In Chinese: the picker's hint and its "nobody" say so in Chinese.
    b.click("[data-testid=lang-button]").await;
    b.wait_text("[data-testid=member-detail-supervisor]", "Ito Aya").await;
    let hint = b.wait("[data-testid=edit-supervisor]").await.attr("placeholder").await.unwrap().unwrap();
    assert_eq!(hint, "输入姓名、登录名、电话或工号");
    b.fill("[data-testid=edit-supervisor]", "zzz-nobody").await;
    b.wait_text("[data-testid=edit-supervisor] ~ .pick-list li", "未找到人员。").await;
    b.screenshot("pickers-03-zh-nobody").await;
    b.close().await;
}

/// The texts of the options of `css` that are shown.
async fn shown_options(b: &Browser, css: &str) -> Vec<String> {
    let script = "return Array.from(document.querySelector(arguments[0]).options)\
        .filter(o => !o.hidden).map(o => o.text.trim())";
    let v = b.client.execute(script, vec![serde_json::Value::from(css)]).await.unwrap();
    serde_json::from_value(v).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_department_is_found_in_the_tree_with_the_departments_above_it() {
    let s = TestServer::start(Db::Sqlite).await;
    let org = certified_org(&s, "Hoshino Motors", "sato.kenji", "Sato Kenji").await;
    // Plant > Assembly > Paint shop, and eight more to make the list long.
    let plant = department(&s, &org, "Plant", None).await;
    let assembly = department(&s, &org, "Assembly", Some(&plant)).await;
    department(&s, &org, "Paint shop", Some(&assembly)).await;
    for name in ["Sales", "Finance", "Legal", "Quality", "Logistics", "Purchasing", "Research", "Service"] {
        department(&s, &org, name, None).await;
    }
    let b = Browser::start().await;
    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-members]").await;
    b.goto(&format!("{}/console/members/new", s.base)).await;
    let select = "[data-testid=member-departments]";
    b.wait(select).await;
    // "paint" keeps the paint shop and the departments above it up to the organization's own,
    // nothing else.
    b.fill("[data-testid=tree-search]", "paint").await;
    assert_eq!(shown_options(&b, select).await, ["Hoshino Motors", "Plant", "Assembly", "Paint shop"]);
    // A department chosen before a new search stays in view.
    b.wait("[data-testid=member-departments] option[data-depth='3']").await.click().await.unwrap();
    b.fill("[data-testid=tree-search]", "sales").await;
    assert_eq!(shown_options(&b, select).await, ["Hoshino Motors", "Plant", "Assembly", "Paint shop", "Sales"]);
    b.screenshot("pickers-04-department-tree").await;
    // Cleared, the whole tree is back.
    b.fill("[data-testid=tree-search]", "").await;
    assert_eq!(shown_options(&b, select).await.len(), 12, "the organization's own department and eleven");
    b.close().await;
}
