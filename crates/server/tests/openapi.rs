//! The committed OpenAPI document is the contract: it must match what the server generates.
//! After an intended change, regenerate it with `KEIRETSU_BLESS=1 cargo test -p keiretsu-server --test openapi`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[test]
fn committed_openapi_matches_the_generated_one() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let generated = keiretsu_server::openapi_json() + "\n";
    if std::env::var_os("KEIRETSU_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "crates/server/openapi.json differs from the generated document; if the API change is intended, run \
         KEIRETSU_BLESS=1 cargo test -p keiretsu-server --test openapi and commit the file"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/organizations/{org_id}/members"]["get"].is_object());
}
