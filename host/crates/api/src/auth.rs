//! API keys and the [`Caller`] extractor.
//!
//! A key is `vx_<role>_<64 hex chars>` (32 random bytes from the OS-seeded
//! thread RNG), sent as `Authorization: Bearer <key>`. Only its hex
//! SHA-256 is stored, and it is shown once, when created. The role in the
//! key's text is a hint for humans; the stored row decides.
//!
//! Bootstrap: when `api.bootstrap_operator_key`
//! (`VELTRIX_API__BOOTSTRAP_OPERATOR_KEY`) is set, that exact string is
//! also accepted as an operator key, so a fresh install can create its
//! first tenants and keys. It is compared by hash, like stored keys.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use rand::RngExt as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{ApiError, AppState};

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the host: tenants, partners, keys.
    Operator,
    /// Uploads game types.
    Partner,
    /// Administers one tenant.
    Tenant,
}

impl Role {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Partner => "partner",
            Self::Tenant => "tenant",
        }
    }

    /// Parses a stored role.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "operator" => Some(Self::Operator),
            "partner" => Some(Self::Partner),
            "tenant" => Some(Self::Tenant),
            _ => None,
        }
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Its role.
    pub role: Role,
    /// The tenant of a tenant key.
    pub tenant_id: Option<String>,
    /// The partner of a partner key.
    pub partner_id: Option<String>,
}

impl Caller {
    /// 403 unless an operator. Only for routes where the answer does not
    /// depend on whether something exists.
    pub fn require_operator(&self) -> Result<(), ApiError> {
        if self.role == Role::Operator {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "this route needs an operator key".into(),
            ))
        }
    }

    /// May this caller administer `tenant`? Operators may (the handler
    /// still checks that it exists); a tenant key only its own tenant.
    /// Another tenant is answered 404, exactly like a tenant that does not
    /// exist, before any lookup: a tenant key cannot probe for others.
    pub fn require_tenant(&self, tenant: &str) -> Result<(), ApiError> {
        match self.role {
            Role::Operator => Ok(()),
            Role::Tenant if self.tenant_id.as_deref() == Some(tenant) => Ok(()),
            Role::Tenant => Err(tenant_not_found()),
            Role::Partner => Err(ApiError::Forbidden(
                "this route needs an operator or tenant key".into(),
            )),
        }
    }

    /// May this caller act for `partner`? Operators may; a partner key only
    /// for its own partner (another partner is 404 before any lookup, as
    /// with tenants); a tenant key never (403).
    pub fn require_partner(&self, partner: &str) -> Result<(), ApiError> {
        match self.role {
            Role::Operator => Ok(()),
            Role::Partner if self.partner_id.as_deref() == Some(partner) => Ok(()),
            Role::Partner => Err(partner_not_found()),
            Role::Tenant => Err(ApiError::Forbidden(
                "this route needs an operator or partner key".into(),
            )),
        }
    }
}

/// The 404 for a partner that does not exist or is not the caller's.
pub fn partner_not_found() -> ApiError {
    ApiError::NotFound("partner not found".into())
}

/// The 404 for a tenant that does not exist or is not the caller's.
pub fn tenant_not_found() -> ApiError {
    ApiError::NotFound("tenant not found".into())
}

/// Hex SHA-256 of a key's secret: what is stored.
pub fn hash_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new secret for `role`.
pub fn generate_key(role: Role) -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!("vx_{}_{}", role.as_str(), hex::encode(bytes))
}

/// The bootstrap key's hash, when one is configured and long enough.
pub fn bootstrap_hash(key: &str) -> Option<String> {
    if key.is_empty() {
        return None;
    }
    if key.len() < super::ApiConfig::MIN_BOOTSTRAP_KEY {
        tracing::warn!(
            min = super::ApiConfig::MIN_BOOTSTRAP_KEY,
            "api.bootstrap_operator_key is too short; ignoring it"
        );
        return None;
    }
    Some(hash_key(key))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    /// `Authorization: Bearer <key>`; without that header, the
    /// `vx_session` cookie ([`super::session`]), whose non-GET/HEAD
    /// requests must also carry `X-Veltrix-Csrf: 1`.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            let (caller, _) = super::session::from_cookie(&parts.headers, state)
                .await?
                .ok_or(ApiError::Unauthorized)?;
            // After the credential: a dead session is 401 whatever else.
            super::session::check_csrf(&parts.method, &parts.headers)?;
            return Ok(caller);
        };
        let secret = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        caller_of_hash(state, &hash_key(secret))
            .await?
            .ok_or(ApiError::Unauthorized)
    }
}

/// The caller whose key has this hash: the bootstrap key, or a live
/// stored key; `None` for no live key.
pub async fn caller_of_hash(state: &AppState, hash: &str) -> Result<Option<Caller>, ApiError> {
    // Hashes of equal length compared whole: the comparison time says
    // nothing about the secret.
    if state.bootstrap_hash.as_deref() == Some(hash) {
        return Ok(Some(Caller {
            role: Role::Operator,
            tenant_id: None,
            partner_id: None,
        }));
    }
    let Some(row) = state.store.find_api_key(hash).await? else {
        return Ok(None);
    };
    let role = Role::parse(&row.role).ok_or_else(|| {
        tracing::error!(role = %row.role, "stored API key has an unknown role");
        ApiError::Internal
    })?;
    Ok(Some(Caller {
        role,
        tenant_id: row.tenant_id,
        partner_id: row.partner_id,
    }))
}

/// A caller that must be an operator: extracted before the body, so a key
/// of another role gets 403 whatever it sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator(pub Caller);

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require_operator()?;
        Ok(Self(caller))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_role_prefix_and_64_hex() {
        let k = generate_key(Role::Tenant);
        let hex_part = k.strip_prefix("vx_tenant_").unwrap();
        assert_eq!(hex_part.len(), 64);
        assert!(hex_part.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(k, generate_key(Role::Tenant));
        assert_eq!(hash_key(&k).len(), 64);
    }

    #[test]
    fn other_tenants_are_not_found_partners_forbidden() {
        let t = Caller {
            role: Role::Tenant,
            tenant_id: Some("a".into()),
            partner_id: None,
        };
        assert!(t.require_tenant("a").is_ok());
        assert_eq!(t.require_tenant("b"), Err(tenant_not_found()));
        assert!(matches!(t.require_operator(), Err(ApiError::Forbidden(_))));
    }
}
