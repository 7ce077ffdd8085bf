//! Console pages over real HTTP, on SQLite and PostgreSQL: the network page's long lists
//! (units and the backbone's network members) are searched and paged, each keeping the other's
//! search; a member's page shows the recent journal entries about them to auditors only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_testkit::{TestServer, both};
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::json;

/// The network page as `cookie`'s console shows it at `query`.
async fn page(s: &TestServer, cookie: &str, net: &str, query: &str) -> String {
    let res = reqwest::Client::new()
        .get(format!("{}/console/networks/{net}{query}", s.base))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{query}");
    res.text().await.unwrap()
}

fn rows(html: &str, testid: &str) -> usize {
    html.matches(&format!("data-testid=\"{testid}\"")).count()
}

/// The `href` of the link with `testid`, unescaped.
fn link(html: &str, testid: &str) -> Option<String> {
    let at = html.find(&format!("data-testid=\"{testid}\""))?;
    let start = html[..at].rfind("href=\"")? + 6;
    let end = start + html[start..].find('"')?;
    Some(html[start..end].replace("&amp;", "&"))
}

/// A console page as `login` sees it.
async fn console(s: &TestServer, login: &str, path: &str) -> String {
    let cookie = s.console_session(login).await;
    let res = reqwest::Client::new()
        .get(format!("{}{path}", s.base))
        .header(COOKIE, cookie.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

both! {
    async fn long_network_lists_are_searched_and_paged(db) {
        let s = TestServer::start(db).await;
        let (backbone, admin) = s.backbone("Hoshino", "hoshino.admin").await;
        let (st, n) = admin.post("/api/v1/networks", json!({"name": "Supply network"})).await;
        assert_eq!(st, StatusCode::CREATED, "{n}");
        let net = n["id"].as_str().unwrap().to_owned();
        // 53 units: 51 suppliers and two service providers.
        for i in 0..53 {
            let ty = if i > 50 { "service_provider" } else { "supplier" };
            let (st, u) = admin
                .post(
                    &format!("/api/v1/networks/{net}/units"),
                    json!({"name": format!("Partner {i:02}"), "partner_type": ty, "tier": "a"}),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{u}");
        }
        // 52 backbone members in the network besides the admin.
        let mut ids = Vec::new();
        for i in 0..52 {
            ids.push(s.member(&admin, &backbone, &format!("staff.{i:02}")).await.0);
        }
        let (st, added) = admin.post(&format!("/api/v1/networks/{net}/members"), json!({"member_ids": ids})).await;
        assert_eq!(st, StatusCode::OK, "{added}");

        let cookie = s.console_session("hoshino.admin").await;
        let cookie = cookie.split(';').next().unwrap();
        let first = page(&s, cookie, &net, "").await;
        assert_eq!(rows(&first, "unit-row"), 50, "a page of units");
        assert!(first.contains("Page 1 of 2"), "the pager says where the reader is");
        assert_eq!(rows(&first, "unit-q"), 1, "more units than a page: a search box");
        assert_eq!(rows(&first, "network-member-row"), 50, "a page of network members");

        // The next page of units holds the other three; the members stay on their first page.
        let next = link(&first, "unit-next").expect("a next page of units");
        let second = page(&s, cookie, &net, &next[next.find('?').unwrap()..]).await;
        assert_eq!(rows(&second, "unit-row"), 3);
        assert!(link(&second, "unit-previous").is_some() && link(&second, "unit-next").is_none());

        // Units are searched by partner type in words, whatever the case.
        let carriers = page(&s, cookie, &net, "?units_q=service+PROVIDER").await;
        assert_eq!(rows(&carriers, "unit-row"), 2, "both service providers");
        assert!(carriers.contains("Partner 51") && carriers.contains("Partner 52"));
        assert!(link(&carriers, "unit-next").is_none(), "one page of results");
        let none = page(&s, cookie, &net, "?units_q=nobody").await;
        assert_eq!(rows(&none, "unit-row"), 0);
        assert_eq!(rows(&none, "unit-empty"), 1);

        // Members are paged by cursor; a page link keeps the units' search.
        let both = page(&s, cookie, &net, "?units_q=service+provider").await;
        let more = link(&both, "network-member-next").expect("a next page of members");
        assert!(more.contains("units_q=service+provider"), "{more}");
        let rest = page(&s, cookie, &net, &more[more.find('?').unwrap()..]).await;
        assert_eq!(rows(&rest, "network-member-row"), 3, "52 staff and the admin: 50 then 3");
        assert_eq!(rows(&rest, "unit-row"), 2, "the units' search held");
        // And searched by login.
        let one = page(&s, cookie, &net, "?members_q=staff.07").await;
        assert_eq!(rows(&one, "network-member-row"), 1);
        assert!(one.contains("staff.07"));
    }

    async fn a_member_page_shows_recent_entries_about_the_person_to_auditors_only(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.backbone("Hoshino", "hoshino.admin").await;
        let (li, _) = s.member(&admin, &org, "li.na").await;
        let members = format!("/api/v1/organizations/{org}/members");
        let (st, _) = admin.send(reqwest::Method::PATCH, &format!("{members}/{li}"), Some(json!({"title": "Buyer"}))).await;
        assert!(st.is_success(), "{st}");
        // A directory sub-admin manages people but does not read the journal.
        let (clerk, _) = s.member(&admin, &org, "clerk").await;
        let (st, _) = admin
            .send(
                reqwest::Method::PUT,
                &format!("{members}/{clerk}/role"),
                Some(json!({"role": {"role": "sub_admin", "scopes": ["directory"]}})),
            )
            .await;
        assert!(st.is_success(), "{st}");

        let page = console(&s, "hoshino.admin", &format!("/console/members/{li}")).await;
        assert_eq!(rows(&page, "member-journal"), 1, "the primary admin reads the journal");
        assert!(page.contains("data-action=\"member.update\"") && page.contains("data-action=\"member.join\""), "{page}");
        let section = &page[page.find("data-testid=\"member-journal\"").unwrap()..];
        let section = &section[..section.find("</section>").unwrap()];
        assert!(section.contains("Hoshino Admin"), "the admin who changed the title, by name: {section}");
        assert!(section.contains("Buyer"), "what changed, in the details: {section}");
        assert!(link(&page, "member-journal-all").unwrap().ends_with(&format!("person={li}")));

        let page = console(&s, "clerk", &format!("/console/members/{li}")).await;
        assert!(page.contains("member-detail-name"), "the clerk sees the member");
        assert_eq!(rows(&page, "member-journal"), 0, "but not the journal");
    }
}
