//! Form apps in a real headless Chromium (issue 5's browser test): the backbone's admin builds a
//! form in the console, previews and publishes it to the network's suppliers; a seated supplier
//! member opens it from the workbench, fills it in and sees the submission listed; a seated
//! distributor member neither sees nor opens it; and the admin opens the supplier's submission
//! and sees the supplier's unit, partner type and organization. Screenshots land in
//! target/e2e-artifacts/.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use fantoccini::Locator;
use keiretsu_domain::ids::{NetworkId, OrgId, UnitId};
use keiretsu_e2e::{Browser, PASSWORD, certified_org};
use keiretsu_service::Caller;
use keiretsu_service::directory::NewMember;
use keiretsu_service::license::SeatSelection;
use keiretsu_service::network::{InvitationAnswer, NewInvitation, NewNetwork};
use keiretsu_testkit::{Db, TestServer};

async fn member(s: &TestServer, org: &OrgId, name: &str, login: &str) -> String {
    let input = NewMember {
        name: name.into(),
        login: login.into(),
        title: Some("Planner".into()),
        password: Some(PASSWORD.into()),
        ..Default::default()
    };
    s.svc.directory().add_member(&Caller::System, org, &input).await.unwrap().member().unwrap().id
}

/// The caller of a fresh session of `login` (acting in its first organization).
async fn caller(s: &TestServer, login: &str) -> Caller {
    let session = s.svc.identity().login(login, PASSWORD, "e2e").await.unwrap();
    s.svc.identity().session(&session.secret).await.unwrap().unwrap().caller
}

/// Invites `partner` into the network as `partner_type`; its admin accepts. Returns the unit.
async fn join(
    s: &TestServer,
    backbone: &Caller,
    network: &NetworkId,
    partner: &OrgId,
    partner_admin: &str,
    partner_type: &str,
) -> UnitId {
    let invitation = NewInvitation {
        partner_name: partner_admin.into(),
        organization_id: Some(partner.clone()),
        partner_type: partner_type.into(),
        tier: "a".into(),
        expires_in_hours: None,
        departments: vec![],
    };
    let inv = s.svc.network().invite(backbone, network, &invitation).await.unwrap();
    let answer = InvitationAnswer { code: Some(inv.code.unwrap()), invitation_id: None, department_ids: None };
    let unit = s.svc.network().accept_invitation(&caller(s, partner_admin).await, &answer).await.unwrap();
    UnitId::parse(&unit.id).unwrap()
}

/// A seat from the backbone's pool: for a partner's member with `unit`, for its own without.
async fn seat(s: &TestServer, backbone: &OrgId, unit: Option<&UnitId>, member: &str) {
    let sel = SeatSelection { unit_id: unit.cloned(), member_ids: vec![member.to_owned()], ..Default::default() };
    s.svc.license().set_seats(&Caller::System, backbone, &sel, true).await.unwrap();
}

/// Waits until `css` carries `attr` = `value` (the page may still be loading).
async fn attr_is(b: &Browser, css: &str, attr: &str, value: &str) {
    let mut last = None;
    for _ in 0..200 {
        if let Ok(el) = b.client.find(Locator::Css(css)).await
            && let Ok(Some(v)) = el.attr(attr).await
        {
            if v == value {
                return;
            }
            last = Some(v);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("`{css}` has {attr}={last:?}, not {value}");
}

async fn attr(b: &Browser, css: &str, name: &str) -> String {
    b.wait(css).await.attr(name).await.unwrap().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_published_to_suppliers_is_filled_by_a_supplier_and_read_by_the_backbone() {
    let started = std::time::Instant::now();
    let s = TestServer::start(Db::Sqlite).await;
    let backbone = certified_org(&s, "Hoshino Motors", "sato.kenji", "Sato Kenji").await;
    s.license(backbone.as_str(), "exclusive", Some(100)).await;
    let admin = caller(&s, "sato.kenji").await;
    let admin_member = s.svc.identity().me(&admin).await.unwrap().member_id.unwrap();
    seat(&s, &backbone, None, &admin_member).await;
    let network = s
        .svc
        .network()
        .create_network(&admin, &NewNetwork { name: "Hoshino Supply Network".into(), description: String::new() })
        .await
        .unwrap();
    let network = NetworkId::parse(&network.id).unwrap();
    let supplier = certified_org(&s, "Aoba Components", "lin.xiao", "Lin Xiao").await;
    let distributor = certified_org(&s, "Kita Retail", "mori.ken", "Mori Ken").await;
    let supplier_unit = join(&s, &admin, &network, &supplier, "lin.xiao", "supplier").await;
    let distributor_unit = join(&s, &admin, &network, &distributor, "mori.ken", "distributor").await;
    let zhou = member(&s, &supplier, "Zhou Min", "zhou.min").await;
    let wu = member(&s, &distributor, "Wu Lei", "wu.lei").await;
    seat(&s, &backbone, Some(&supplier_unit), &zhou).await;
    seat(&s, &backbone, Some(&distributor_unit), &wu).await;
    let b = Browser::start().await;

    // The backbone's admin creates the app and builds its form: a bad key is refused beside
    // the key input, each field added is a new version of the form.
    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-apps]").await;
    b.click("[data-testid=nav-apps]").await;
    b.fill("[data-testid=app-name]", "Supplier onboarding").await;
    b.click("[data-testid=app-submit]").await;
    b.wait_text("[data-testid=app-title]", "Supplier onboarding").await;
    let url = b.client.current_url().await.unwrap();
    let app = url.path().rsplit('/').next().unwrap().to_owned();
    assert!(app.starts_with("app_"), "{url}");
    b.wait("[data-testid=field-empty]").await;
    b.fill("[data-testid=field-key]", "plant").await;
    b.fill("[data-testid=field-label]", "Plant name").await;
    b.click("[data-testid=field-required]").await;
    b.click("[data-testid=field-submit]").await;
    b.texts_when("[data-testid=field-row]", 1).await;
    attr_is(&b, "[data-testid=schema-version]", "data-version", "2").await;
    b.fill("[data-testid=field-key]", "Monthly-Capacity").await;
    b.fill("[data-testid=field-label]", "Monthly capacity").await;
    b.select("[data-testid=field-kind]", "number").await;
    b.click("[data-testid=field-submit]").await;
    b.wait("[data-testid=field-error-key]").await;
    assert_eq!(attr(&b, "[data-testid=field-label]", "value").await, "Monthly capacity", "what was typed stays");
    b.fill("[data-testid=field-key]", "capacity").await;
    b.click("[data-testid=field-submit]").await;
    let rows = b.texts_when("[data-testid=field-row]", 2).await;
    assert!(rows[0].contains("Plant name") && rows[0].contains("Yes"), "{rows:?}");
    assert!(rows[1].contains("Monthly capacity") && rows[1].contains("Number"), "{rows:?}");
    attr_is(&b, "[data-testid=schema-version]", "data-version", "3").await;
    b.fill("[data-testid=field-key]", "certificate").await;
    b.fill("[data-testid=field-label]", "Quality certificate").await;
    b.select("[data-testid=field-kind]", "attachment").await;
    b.click("[data-testid=field-submit]").await;
    b.texts_when("[data-testid=field-row]", 3).await;
    attr_is(&b, "[data-testid=schema-version]", "data-version", "4").await;
    b.shot("[data-testid=field-table]", "forms-01-builder").await;

    // The publication is previewed (nothing changes), then made: one more person, the seated supplier.
    let before: usize = attr(&b, "[data-testid=audience-count]", "data-count").await.parse().unwrap();
    b.select("[data-testid=publish-network]", network.as_str()).await;
    b.click("[data-testid=audience-partner_types]").await;
    b.click("[data-testid=audience-type-supplier]").await;
    b.click("[data-testid=preview-submit]").await;
    attr_is(&b, "[data-testid=audience-preview]", "data-count", &(before + 1).to_string()).await;
    let said = b.text("[data-testid=audience-preview]").await;
    assert!(said.contains(&format!("now: {before}; after this change: {} (1 more person)", before + 1)), "{said}");
    // The difference is named: the supplier's unit gains it, nobody loses it.
    assert!(b.text("[data-testid=preview-gain]").await.contains("Aoba Components"));
    b.gone("[data-testid=preview-lose]").await;
    assert_eq!(attr(&b, "[data-testid=audience-count]", "data-count").await, before.to_string());
    b.shot("[data-testid=audience-preview]", "forms-02-preview").await;
    b.click("[data-testid=publish-submit]").await;
    b.url_has("saved=1").await;
    attr_is(&b, "[data-testid=audience-count]", "data-count", &(before + 1).to_string()).await;
    let who = b.texts_when("[data-testid=who-row]", before + 1).await;
    assert!(who.iter().any(|w| w.contains("Zhou Min") && w.contains("Aoba Components")), "{who:?}");
    assert!(!who.iter().any(|w| w.contains("Wu Lei") || w.contains(&wu) || w.contains(&zhou)), "{who:?}");
    // The page now shows the audience in words, and a fresh form holds it as it is: publishing
    // again without touching it changes nothing.
    assert_eq!(b.text("[data-testid=publication-audience]").await, "Partner types: Supplier");
    assert!(b.wait("[data-testid=audience-partner_types]").await.is_selected().await.unwrap());
    assert!(b.wait("[data-testid=audience-type-supplier]").await.is_selected().await.unwrap());
    b.click("[data-testid=preview-submit]").await;
    let said = b.text("[data-testid=audience-preview]").await;
    assert!(said.contains("(no change)"), "{said}");
    b.gone("[data-testid=preview-gain]").await;
    b.sign_out().await;

    // The supplier's member opens it from the workbench, fills it in, and sees it listed.
    b.sign_in(&s.base, "zhou.min", "[data-testid=nav-workbench]").await;
    b.click("[data-testid=nav-workbench]").await;
    let cards = b.texts_when("[data-testid=app-card]", 1).await;
    assert!(cards[0].contains("Supplier onboarding"), "{cards:?}");
    b.click("[data-testid=app-card-link]").await;
    b.url_has(&format!("/console/workbench/{app}")).await;
    b.texts_when("[data-testid=required-mark]", 1).await;
    b.wait("[data-testid=submission-empty]").await;
    b.fill("[data-testid=value-plant]", "Aoba Plant 3").await;
    b.fill("[data-testid=value-capacity]", "1200").await;
    // The certificate is chosen in the form itself and goes up with it.
    let certificate = std::env::temp_dir().join(format!("aoba-iso9001-{}.txt", std::process::id()));
    std::fs::write(&certificate, "ISO 9001 certificate of Aoba Plant 3").unwrap();
    b.wait("[data-testid=value-certificate-file]").await.send_keys(certificate.to_str().unwrap()).await.unwrap();
    b.click("[data-testid=submission-submit]").await;
    b.url_has("saved=1").await;
    let rows = b.texts_when("[data-testid=submission-row]", 1).await;
    assert!(rows[0].contains("Aoba Plant 3") && rows[0].contains("1200") && rows[0].contains("Zhou Min"), "{rows:?}");
    b.shot("[data-testid=submission-table]", "forms-03-supplier-submitted").await;
    b.sign_out().await;

    // The distributor's member does not see it, and cannot open it by its address either.
    b.sign_in(&s.base, "wu.lei", "[data-testid=nav-workbench]").await;
    b.click("[data-testid=nav-workbench]").await;
    b.wait("[data-testid=workbench-empty]").await;
    b.texts_when("[data-testid=app-card]", 0).await;
    b.goto(&format!("{}/console/workbench/{app}", s.base)).await;
    b.wait("[data-testid=error]").await;
    b.gone("[data-testid=submission-form]").await;
    b.gone("[data-testid=submission-row]").await;
    b.sign_out().await;

    // The backbone's admin opens the app's submissions: the supplier's, with its organization,
    // totals over the capacity, and an export of the same selection.
    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-apps]").await;
    b.click("[data-testid=nav-apps]").await;
    b.click("[data-testid=app-link]").await;
    b.click("[data-testid=app-submissions-link]").await;
    let rows = b.texts_when("[data-testid=submission-row]", 1).await;
    // The unit by its organization's name and partner type, never by id.
    assert!(rows[0].contains("Aoba Components · Supplier") && !rows[0].contains(supplier_unit.as_str()), "{rows:?}");
    // The filter's example is written from this form's own fields.
    let example = attr(&b, "[data-testid=submission-filter]", "placeholder").await;
    assert_eq!(example, "plant:contains:a;capacity:gt:100");
    // The builder writes the syntax: the capacity field offers only ordered operators, in words.
    b.select("[data-testid=filter-field]", "capacity").await;
    let script = "return Array.from(document.querySelector('[data-testid=filter-op]').options)\
        .filter(o => !o.hidden).map(o => o.text)";
    let ops = b.client.execute(script, vec![]).await.unwrap();
    assert_eq!(ops, serde_json::json!(["is", "is not", "is more than", "is at least", "is less than", "is at most"]));
    b.select("[data-testid=filter-op]", "ge").await;
    b.fill("[data-testid=filter-value]", "1000").await;
    b.click("[data-testid=filter-add]").await;
    b.select("[data-testid=filter-field]", "plant").await;
    b.select("[data-testid=filter-op]", "contains").await;
    b.fill("[data-testid=filter-value]", "Aoba").await;
    b.click("[data-testid=filter-add]").await;
    assert_eq!(
        b.wait("[data-testid=submission-filter]").await.prop("value").await.unwrap().unwrap(),
        "capacity:ge:1000;plant:contains:Aoba"
    );
    b.select("[data-testid=submission-of]", "capacity").await;
    b.click("[data-testid=submission-search]").await;
    b.wait_text("[data-testid=totals-sum]", "1200").await;
    assert_eq!(b.texts_when("[data-testid=submission-row]", 1).await.len(), 1, "the built filter holds the row");
    let export = attr(&b, "[data-testid=submission-export]", "href").await;
    assert!(export.contains(&format!("/api/v1/apps/{app}/submissions/export")), "{export}");
    let csv = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1]; fetch(arguments[0]).then(r => r.text()).then(done)",
            vec![serde_json::json!(export)],
        )
        .await
        .unwrap();
    let csv = csv.as_str().unwrap();
    assert!(csv.contains("Aoba Plant 3") && csv.contains("Aoba Components"), "{csv}");

    // The submission itself: the supplier's unit, partner type and organization.
    b.click("[data-testid=submission-link]").await;
    b.wait_text("[data-testid=submission-unit]", "Aoba Components").await;
    assert!(!b.text("[data-testid=submission-unit]").await.contains(supplier_unit.as_str()));
    assert_eq!(b.text("[data-testid=submission-partner-type]").await, "Supplier");
    assert_eq!(b.text("[data-testid=submission-org]").await, "Aoba Components");
    assert_eq!(b.text("[data-testid=submission-submitter]").await, "Zhou Min");
    assert_eq!(b.text("[data-testid=submission-value][data-key=plant]").await, "Aoba Plant 3");
    b.shot("[data-testid=submission-meta]", "forms-04-backbone-reads-submission").await;
    // The certificate the supplier chose is attached, and the backbone downloads the same bytes.
    let link = attr(&b, "[data-testid=submission-value][data-key=certificate] a", "href").await;
    assert!(link.contains("/api/v1/attachments/att_"), "{link}");
    let body = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1]; fetch(arguments[0]).then(r => r.text()).then(done)",
            vec![serde_json::json!(link)],
        )
        .await
        .unwrap();
    assert_eq!(body.as_str().unwrap(), "ISO 9001 certificate of Aoba Plant 3");
    let _ = std::fs::remove_file(&certificate);

    // The admins review (and may correct) what reaches them.
    b.fill("[data-testid=value-capacity]", "1300").await;
    b.click("[data-testid=edit-submit]").await;
    b.url_has("saved=1").await;
    b.wait_text("[data-testid=submission-value][data-key=capacity]", "1300").await;
    b.close().await;
    eprintln!("forms browser test: {:?}", started.elapsed());
}
