//! Tenant branding (`PUT /v1/tenants/{tenant}/branding`): the name, logo
//! and colours the projector shows (`docs/screens.md`). Colours and the
//! logo address are checked here, so a page can put them in CSS and an
//! `<img>` without escaping: never `javascript:` or `data:`.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::operators::MAX_NAME;
use super::tenants::tenant_access;
use super::{ApiError, ApiJson, ApiPath, AppState};
use veltrix_store::BrandingRow;

/// Longest logo address.
pub const MAX_URL: usize = 2_048;

/// `PUT /v1/tenants/{tenant}/branding` body (and the board's `tenant`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Branding {
    /// Display name (1-200 characters).
    pub name: String,
    /// Logo address (`https://`, `http://` or a path on this host).
    #[serde(default)]
    pub logo_url: Option<String>,
    /// Primary colour, `#rrggbb`.
    #[serde(default)]
    pub primary: Option<String>,
    /// Accent colour, `#rrggbb`.
    #[serde(default)]
    pub accent: Option<String>,
}

fn valid_colour(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

impl Branding {
    fn validate(&self) -> Result<(), ApiError> {
        let n = self.name.trim().chars().count();
        if n == 0 || n > MAX_NAME {
            return Err(ApiError::Invalid(format!(
                "name must be 1-{MAX_NAME} characters"
            )));
        }
        for (what, c) in [("primary", &self.primary), ("accent", &self.accent)] {
            if c.as_deref().is_some_and(|c| !valid_colour(c)) {
                return Err(ApiError::Invalid(format!(
                    "{what} must be a colour #rrggbb"
                )));
            }
        }
        if let Some(u) = &self.logo_url {
            // Only addresses an <img> may load: never `javascript:` or `data:`.
            let scheme_ok = u.starts_with("https://")
                || u.starts_with("http://")
                || (u.starts_with('/') && !u.starts_with("//"));
            if !scheme_ok || u.len() > MAX_URL || u.chars().any(char::is_whitespace) {
                return Err(ApiError::Invalid(format!(
                    "logo_url must be an http(s) address or a path, at most {MAX_URL} bytes"
                )));
            }
        }
        Ok(())
    }
}

/// `PUT /v1/tenants/{tenant}/branding`.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn set_branding(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(tenant): ApiPath<String>,
    ApiJson(body): ApiJson<Branding>,
) -> Result<Json<Branding>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    body.validate()?;
    let row = BrandingRow {
        name: body.name.trim().to_string(),
        logo_url: body.logo_url.clone(),
        primary: body.primary.clone(),
        accent: body.accent.clone(),
    };
    state.store.set_branding(&tenant, &row).await?;
    tracing::info!("branding set");
    Ok(Json(Branding {
        name: row.name,
        ..body
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branding_is_checked() {
        let b = |logo: Option<&str>, primary: Option<&str>| Branding {
            name: "Acme".into(),
            logo_url: logo.map(str::to_string),
            primary: primary.map(str::to_string),
            accent: None,
        };
        assert!(
            b(Some("https://x/l.png"), Some("#a0B1c2"))
                .validate()
                .is_ok()
        );
        assert!(b(Some("/logo.png"), None).validate().is_ok());
        assert!(b(Some("javascript:alert(1)"), None).validate().is_err());
        assert!(b(Some("//evil/l.png"), None).validate().is_err());
        assert!(b(None, Some("red")).validate().is_err());
        assert!(b(None, Some("#12345g")).validate().is_err());
    }
}
