//! Accounts: one per person, shared by the organizations they are a member of.

use keiretsu_domain::ids::OrgId;
use serde_json::json;
use sqlx::AnyConnection;

use super::{PARAMS_PER_STATEMENT, placeholders};
use crate::{Backend, Result};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AccountRow {
    pub id: String,
    pub login: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub operator: i64,
    pub disabled: i64,
    pub lang: String,
    pub created_at: i64,
}

const ACCOUNT_COLUMNS: &str = "id, login, name, phone, email, password_hash, operator, disabled, lang, created_at";

pub async fn insert_account(c: &mut AnyConnection, a: &AccountRow) -> Result<()> {
    sqlx::query(&format!("INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES ({})", placeholders(1, 10)))
        .bind(&a.id)
        .bind(&a.login)
        .bind(&a.name)
        .bind(&a.phone)
        .bind(&a.email)
        .bind(&a.password_hash)
        .bind(a.operator)
        .bind(a.disabled)
        .bind(&a.lang)
        .bind(a.created_at)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn account(c: &mut AnyConnection, id: &str) -> Result<Option<AccountRow>> {
    Ok(sqlx::query_as(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

pub async fn account_by_login(c: &mut AnyConnection, login: &str) -> Result<Option<AccountRow>> {
    Ok(sqlx::query_as(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE login = $1"))
        .bind(login)
        .fetch_optional(c)
        .await?)
}

pub async fn operator_exists(c: &mut AnyConnection) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE operator = 1").fetch_one(c).await?;
    Ok(n > 0)
}

pub async fn set_password(c: &mut AnyConnection, account: &str, hash: &str) -> Result<()> {
    sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2").bind(hash).bind(account).execute(c).await?;
    Ok(())
}

pub async fn set_disabled(c: &mut AnyConnection, account: &str, disabled: bool) -> Result<()> {
    sqlx::query("UPDATE accounts SET disabled = $1 WHERE id = $2")
        .bind(crate::flag(disabled))
        .bind(account)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn set_lang(c: &mut AnyConnection, account: &str, lang: &str) -> Result<()> {
    sqlx::query("UPDATE accounts SET lang = $1 WHERE id = $2").bind(lang).bind(account).execute(c).await?;
    Ok(())
}

/// The tz database name the account reads times in, if one was chosen.
pub async fn time_zone(c: &mut AnyConnection, account: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT time_zone FROM accounts WHERE id = $1")
        .bind(account)
        .fetch_optional(c)
        .await?
        .flatten())
}

pub async fn set_time_zone(c: &mut AnyConnection, account: &str, zone: &str) -> Result<()> {
    sqlx::query("UPDATE accounts SET time_zone = $1 WHERE id = $2").bind(zone).bind(account).execute(c).await?;
    Ok(())
}

pub async fn update_account_contact(
    c: &mut AnyConnection,
    account: &str,
    phone: Option<&str>,
    email: Option<&str>,
) -> Result<()> {
    sqlx::query("UPDATE accounts SET phone = $1, email = $2 WHERE id = $3")
        .bind(phone)
        .bind(email)
        .bind(account)
        .execute(c)
        .await?;
    Ok(())
}

/// `(login, account id, member id in this org if any)` for the given logins.
pub async fn accounts_by_logins(
    c: &mut AnyConnection,
    org: &OrgId,
    logins: &[String],
) -> Result<Vec<(String, String, Option<String>)>> {
    let mut out = Vec::new();
    for batch in logins.chunks(PARAMS_PER_STATEMENT) {
        let sql = format!(
            "SELECT a.login, a.id, m.id FROM accounts a LEFT JOIN members m ON m.account_id = a.id AND m.org_id = $1 \
             WHERE a.login IN ({})",
            placeholders(2, batch.len())
        );
        let mut q = sqlx::query_as(&sql).bind(org.as_str());
        for l in batch {
            q = q.bind(l);
        }
        out.extend(q.fetch_all(&mut *c).await?);
    }
    Ok(out)
}

/// Inserts many accounts in bulk.
pub async fn insert_accounts(c: &mut AnyConnection, backend: Backend, rows: &[AccountRow]) -> Result<()> {
    use crate::Col::{BigInt, Text};
    let cols = [
        Text("id"),
        Text("login"),
        Text("name"),
        Text("phone"),
        Text("email"),
        Text("password_hash"),
        BigInt("operator"),
        BigInt("disabled"),
        Text("lang"),
        BigInt("created_at"),
    ];
    let json: Vec<serde_json::Value> = rows
        .iter()
        .map(|a| {
            json!([
                a.id,
                a.login,
                a.name,
                a.phone,
                a.email,
                a.password_hash,
                a.operator,
                a.disabled,
                a.lang,
                a.created_at
            ])
        })
        .collect();
    crate::insert_json(c, backend, "accounts", &cols, &json).await
}
