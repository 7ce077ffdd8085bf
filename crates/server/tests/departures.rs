//! The admins' view of recent departures: who left, when, and who took over what they held
//! (their reports, their contact posts in a partner network), each organization its own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_domain::ids::{MemberId, OrgId};
use keiretsu_service::Caller;
use keiretsu_service::directory::{Handover, MemberPatch, MemberQuery};
use keiretsu_testkit::{PASSWORD, TestServer, both};

/// The caller a sign-in of `login` acts as (in their only organization).
async fn signed_in(s: &TestServer, login: &str) -> Caller {
    let session = s.svc.identity().login(login, PASSWORD, "test").await.unwrap();
    s.svc.identity().session(&session.secret).await.unwrap().unwrap().caller
}

async fn member_id(s: &TestServer, org: &OrgId, login: &str) -> MemberId {
    let q = MemberQuery { q: Some(login.into()), ..Default::default() };
    let page = s.svc.directory().members(&Caller::System, org, &q).await.unwrap();
    MemberId::parse(&page.items.iter().find(|m| m.login == login).unwrap().id).unwrap()
}

fn org_of(c: &Caller) -> OrgId {
    c.acting().unwrap().org.clone()
}

both! {
    async fn departures_show_who_took_over_in_each_organization(db) {
        let s = TestServer::start(db).await;
        s.svc.demo().seed_demo(PASSWORD).await.unwrap();
        let admin = signed_in(&s, "demo.admin").await;
        let backbone = org_of(&admin);
        let dir = s.svc.directory();
        assert!(dir.recent_departures(&admin, &backbone, 5).await.unwrap().is_empty(), "nobody has left yet");

        // A department head with a supervisor leaves: their reports go to that supervisor.
        let head = member_id(&s, &backbone, "emp0004").await;
        let boss = member_id(&s, &backbone, "demo.admin").await;
        let patch = MemberPatch { supervisor_id: Some(boss.to_string()), ..Default::default() };
        dir.update_member(&admin, &backbone, &head, &patch).await.unwrap();
        dir.leave(&admin, &backbone, &head).await.unwrap();

        // A partner's finance contact leaves: the backup named for the post takes it over.
        let kato = signed_in(&s, "kato.admin").await;
        let partner = org_of(&kato);
        let finance = member_id(&s, &partner, "kato.m002").await;
        let backup = member_id(&s, &partner, "kato.m006").await;
        dir.leave(&kato, &partner, &finance).await.unwrap();

        let seen = dir.recent_departures(&admin, &backbone, 5).await.unwrap();
        assert_eq!(seen.len(), 1, "only the backbone's own departures: {seen:?}");
        assert_eq!(seen[0].member_id, head.as_str());
        assert!(seen[0].still_left);
        match &seen[0].handovers[..] {
            [Handover::Reports { count, to: Some(to) }] => {
                assert!(*count > 0, "the head had reports");
                assert_eq!(to.member_id, boss.as_str());
                assert_eq!(to.name, "Tanaka Hoshino");
            }
            other => panic!("the reports went to the supervisor: {other:?}"),
        }

        let theirs = dir.recent_departures(&kato, &partner, 5).await.unwrap();
        assert_eq!(theirs.len(), 1, "{theirs:?}");
        assert_eq!(theirs[0].member_id, finance.as_str());
        let contact = theirs[0].handovers.iter().find_map(|h| match h {
            Handover::Contact { role, to, network_id, unit_id } => Some((role.clone(), to.clone(), network_id.clone(), unit_id.clone())),
            _ => None,
        });
        let (role, to, network_id, unit_id) = contact.expect("the contact post was handed over");
        assert_eq!(role, "finance");
        assert_eq!(to.unwrap().member_id, backup.as_str());
        assert!(!network_id.is_empty());
        assert!(!unit_id.is_empty());

        // The newest first; a rejoin is shown as such.
        let another = member_id(&s, &backbone, "emp0030").await;
        dir.leave(&admin, &backbone, &another).await.unwrap();
        dir.rejoin(&admin, &backbone, &another).await.unwrap();
        let seen = dir.recent_departures(&admin, &backbone, 5).await.unwrap();
        assert_eq!(seen.iter().map(|d| d.member_id.as_str()).collect::<Vec<_>>(), [another.as_str(), head.as_str()]);
        assert!(!seen[0].still_left, "came back");
        assert_eq!(dir.recent_departures(&admin, &backbone, 1).await.unwrap().len(), 1);

        // Directory admins only, and only their own organization.
        let hr = signed_in(&s, "demo.hr").await;
        assert_eq!(dir.recent_departures(&hr, &backbone, 5).await.unwrap().len(), 2);
        for (who, org) in [("demo.auditor", &backbone), ("demo.member", &backbone)] {
            let caller = signed_in(&s, who).await;
            assert!(dir.recent_departures(&caller, org, 5).await.is_err(), "{who} may not read departures");
        }
        assert!(dir.recent_departures(&kato, &backbone, 5).await.is_err(), "a partner's admin reads only their own");
    }
}
