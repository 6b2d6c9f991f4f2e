//! Feishu/Lark error codes (the token document's table, the refresh and OpenAPI codes) → what they mean and what to do.

use super::{FailureClass, ProviderError};

/// Where the code came from: the OAuth token endpoint, or an OpenAPI call (user_info, IM).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Origin {
    SignIn,
    Refresh,
    Api,
}

/// Classifies a Feishu `code` (non-zero) with the provider's own description, if any.
// One `format!` per row keeps the table uniform, even where nothing is interpolated.
#[allow(clippy::useless_format)]
pub(crate) fn classify(provider: &str, code: i64, origin: Origin) -> ProviderError {
    use FailureClass::*;
    let again = match origin {
        Origin::SignIn => "Start the sign-in again",
        _ => "Sign in again",
    };
    let (class, message): (FailureClass, String) = match code {
        // ── The token document's table (HTTP 400 unless noted) ──
        20001 => (Setup, format!("{provider} says the request is missing a required parameter (20001). This is a Signet or settings problem; check the provider's settings.")),
        20002 => (Setup, format!("{provider} does not accept the App Secret (20002). Copy App ID and App Secret again from the developer console (凭证与基础信息) into Signet's settings.")),
        20003 => (Reauth, format!("{provider} does not know this sign-in code; codes work only once (20003). {again}.")),
        20004 => (Reauth, format!("The sign-in code expired: Feishu codes last 5 minutes (20004). {again}.")),
        20008 => (Reauth, format!("{provider} says this user does not exist (20008). {again} with an active account.")),
        20009 => (Setup, format!("The app is not installed in your organization (20009). Ask your Feishu administrator to install it, then {}.", again.to_lowercase())),
        20010 => (Reauth, format!("You do not have permission to use this app (20010). Ask your administrator to add you to the app's availability range, then {}.", again.to_lowercase())),
        20024 => (Setup, format!("The sign-in belongs to a different app than the App ID in Signet's settings (20024). Check that the App ID matches the app the redirect URL is registered on.")),
        20026 => (Reauth, format!("{provider} no longer accepts this account's refresh token (20026). {again}.")),
        20036 => (Setup, format!("{provider} rejected the grant type (20036). This is a Signet bug; please report it.")),
        20037 => (Reauth, format!("This account's sign-in expired at {provider} (20037): it was not refreshed before its refresh token ran out. {again}.")),
        20048 => (Setup, format!("{provider} says the app does not exist (20048). Check the App ID in Signet's settings.")),
        20049 => (Reauth, format!("{provider} rejected the PKCE check (20049). {again}; if it keeps failing, switch token_version between v2 and v3.")),
        20050 => (Transient, format!("{provider} had an internal error (20050).")),
        20063 => (Setup, format!("{provider} says the request is malformed (20063). This is a Signet or settings problem; check the provider's settings.")),
        20064 => (Reauth, format!("Access for this account was revoked at {provider} (20064). {again}.")),
        20065 => (Reauth, format!("This sign-in code was already used (20065). {again}.")),
        20066 => (Reauth, format!("{provider} says this user's status is not valid (20066), e.g. suspended or resigned. {again} with an active account.")),
        20067 => (Setup, format!("The scope list has duplicates (20067). Remove the duplicate from the provider's scopes in the settings.")),
        20068 => (Reauth, format!("A scope was asked for that the user has not granted (20068). {again} and approve every permission, or remove the scope from the settings.")),
        20069 => (Setup, format!("The app is disabled (20069). Ask your Feishu administrator to enable it.")),
        20070 => (Setup, format!("{provider} received two ways of client authentication (20070). This is a Signet bug; please report it.")),
        20071 => (Setup, format!("The redirect URL does not match the one used at sign-in (20071). Register exactly the URL Signet's settings show under 安全设置 → 重定向 URL.")),
        20072 => (Transient, format!("{provider} is temporarily unavailable (20072).")),
        20073 => (Reauth, format!("This refresh token was already used once (20073); Feishu refresh tokens are single-use. {again}.")),
        20074 => (Setup, format!("Refreshing is not switched on for this app (20074). In the developer console, enable \"刷新 user_access_token\" under 安全设置, then {}.", again.to_lowercase())),
        // ── OpenAPI codes ──
        99991663 | 99991668 | 99991677 => {
            return ProviderError::access_rejected(provider);
        }
        99991679 | 99991676 => (ScopeMissing, format!("{provider} has not given Signet a permission this needs ({code}). Choose \"Grant access\" to sign in again and approve it; the app must also have the permission enabled in 权限管理.")),
        99991672 => (Setup, format!("The app does not have a permission this needs enabled in the developer console (99991672). Enable it under 权限管理 and publish a new version.")),
        99991400 => (Transient, format!("{provider} asked Signet to slow down (99991400). Try again in a moment.")),
        99992402 => (Refused, format!("{provider} rejected a field of the request (99992402): check the recipient type and id.")),
        230001 => (Refused, format!("{provider} rejected the message's parameters (230001): check the recipient id.")),
        230002 => (Refused, format!("You are not a member of that chat (230002).")),
        230013 => (Refused, format!("The recipient is outside your availability range (230013).")),
        230020 | 230049 | 230050 => (Transient, format!("{provider} is limiting messages to this chat ({code}): at most 5 per second per chat. Try again in a moment.")),
        _ => match origin {
            Origin::Api => (Refused, format!("{provider} refused the request (code {code}).")),
            _ => (Setup, format!("{provider} refused the sign-in (code {code}). Check the provider's settings.")),
        },
    };
    ProviderError::new(class, format!("feishu_{code}"), message)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code in the token document's table, with the class its 排查建议 calls for.
    #[test]
    fn every_documented_token_code_has_a_class_and_a_sentence() {
        let table: &[(i64, FailureClass)] = &[
            (20001, FailureClass::Setup),
            (20002, FailureClass::Setup),
            (20003, FailureClass::Reauth),
            (20004, FailureClass::Reauth),
            (20008, FailureClass::Reauth),
            (20009, FailureClass::Setup),
            (20010, FailureClass::Reauth),
            (20024, FailureClass::Setup),
            (20036, FailureClass::Setup),
            (20048, FailureClass::Setup),
            (20049, FailureClass::Reauth),
            (20050, FailureClass::Transient),
            (20063, FailureClass::Setup),
            (20065, FailureClass::Reauth),
            (20066, FailureClass::Reauth),
            (20067, FailureClass::Setup),
            (20068, FailureClass::Reauth),
            (20069, FailureClass::Setup),
            (20070, FailureClass::Setup),
            (20071, FailureClass::Setup),
            (20072, FailureClass::Transient),
        ];
        for (code, class) in table {
            let e = classify("Feishu", *code, Origin::SignIn);
            assert_eq!(e.class, *class, "{code}");
            assert!(
                e.message.contains(&code.to_string()),
                "{code}: {}",
                e.message
            );
            assert_eq!(e.code, format!("feishu_{code}"));
        }
    }
}
