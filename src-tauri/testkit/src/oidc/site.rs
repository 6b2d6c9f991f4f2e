//! Where an OpenID Connect provider serves each endpoint and the issuer it names; its
//! discovery document, JWKS and id_tokens, for the generic dialect and the ones built on it.

use http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::http::{json as json_resp, wrong_method, Outcome, Req, Resp};
use crate::protocol::Endpoints;
use crate::state::{Issued, Shared};
use crate::tokens::{jwt_hs256, unix_now};

/// The fields a token request may carry: the authorization_code grant (RFC 6749 §4.1.3, PKCE's
/// `code_verifier`) and the refresh grant (§6), client authentication in the body included.
pub(crate) const CODE_FIELDS: &[&str] = &[
    "grant_type",
    "code",
    "redirect_uri",
    "client_id",
    "client_secret",
    "code_verifier",
];
pub(crate) const REFRESH_FIELDS: &[&str] = &[
    "grant_type",
    "refresh_token",
    "client_id",
    "client_secret",
    "scope",
];

/// The paths of an OpenID Connect provider, and its issuer.
pub(crate) struct Site {
    /// The `iss` it names; `None`: the server's base URL.
    pub issuer: Option<&'static str>,
    pub authorize: &'static str,
    pub token: &'static str,
    pub userinfo: &'static str,
    pub revoke: &'static str,
    pub jwks: &'static str,
    pub discovery: &'static str,
}

/// An OpenID Connect provider at a [`Site`]: the generic dialect, and the base of Google's.
pub(crate) struct Oidc {
    pub site: Site,
}

impl Oidc {
    /// The `iss` of this provider's id_tokens and authorization responses.
    pub fn issuer(&self, base_url: &str) -> String {
        self.site.issuer.unwrap_or(base_url).to_owned()
    }

    /// Every URL of the site on a server at `base_url`.
    pub fn endpoints(&self, base_url: &str) -> Endpoints {
        let site = &self.site;
        let mut at = Endpoints::at(base_url, site.authorize, site.token, site.userinfo);
        at.issuer = self.issuer(base_url);
        at.revocation = Some(at.url(site.revoke));
        at.discovery = Some(at.url(site.discovery));
        at
    }

    /// Serves the discovery document (the site's URLs and issuer over `metadata`, what the
    /// provider supports) and the JWKS; `None` for any other path.
    pub fn serve_metadata(
        &self,
        shared: &Shared,
        req: &Req,
        metadata: impl FnOnce() -> Value,
    ) -> Option<Outcome> {
        let site = &self.site;
        let path = req.path.as_str();
        if path != site.discovery && path != site.jwks {
            return None;
        }
        if req.method != Method::GET {
            return Some(wrong_method(shared, req, "GET"));
        }
        if path == site.jwks {
            return Some(Outcome::Respond(json_resp(
                StatusCode::OK,
                &json!({"keys": []}),
            )));
        }
        Some(Outcome::Respond(self.discovery(shared, metadata())))
    }

    fn discovery(&self, shared: &Shared, mut metadata: Value) -> Resp {
        let base = &shared.base_url;
        let site = &self.site;
        let urls = [
            ("issuer", self.issuer(base)),
            (
                "authorization_endpoint",
                format!("{base}{}", site.authorize),
            ),
            ("token_endpoint", format!("{base}{}", site.token)),
            ("userinfo_endpoint", format!("{base}{}", site.userinfo)),
            ("revocation_endpoint", format!("{base}{}", site.revoke)),
            ("jwks_uri", format!("{base}{}", site.jwks)),
        ];
        for (key, url) in urls {
            metadata[key] = Value::from(url);
        }
        json_resp(StatusCode::OK, &metadata)
    }

    /// An id_token for `issued`, HS256-signed with `secret` (OIDC Core §10.1 allows it for
    /// confidential clients): `iss`, `sub`, `aud`, `azp`, `iat`, `exp` (`lifetime_secs` from
    /// now) and the `nonce`, then whatever `claims` adds (the provider's profile claims).
    pub fn id_token(
        &self,
        shared: &Shared,
        client_id: &str,
        issued: &Issued,
        lifetime_secs: u64,
        secret: &str,
        claims: impl FnOnce(&mut Value),
    ) -> String {
        let now = unix_now();
        let mut body = json!({
            "iss": self.issuer(&shared.base_url),
            "sub": issued.user.sub,
            "aud": client_id,
            "azp": client_id,
            "iat": now,
            "exp": now + lifetime_secs,
        });
        if let Some(nonce) = &issued.nonce {
            body["nonce"] = Value::from(nonce.as_str());
        }
        claims(&mut body);
        jwt_hs256(&body, secret.as_bytes())
    }
}
