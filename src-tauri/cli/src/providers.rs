//! `signetctl providers`, `add-provider`, `add-oidc`, `secret-set`, `edit-provider` and `remove-provider`: the provider entries and their secrets.

use std::io::{BufRead, IsTerminal};

use signet_core::views::NewProvider;
use signet_core::{Engine, Error, Secret};

/// `signetctl edit-provider NAME …`: only the values given change; an empty one is removed, so
/// the documented default applies again.
pub async fn edit(engine: &Engine, name: &str, change: NewProvider) -> Result<(), Error> {
    let view = engine.update_provider(name, &change).await?;
    let accounts = match view.accounts {
        0 => String::new(),
        1 => " Its account stays signed in.".to_owned(),
        n => format!(" Its {n} accounts stay signed in."),
    };
    esay!("Changed {name}.{accounts}");
    if !view.redirect_uri.is_empty()
        && (change.redirect.is_some() || change.redirect_port.is_some())
    {
        esay!(
            "Register this redirect URI at the provider: {}",
            view.redirect_uri
        );
    }
    Ok(())
}

/// `signetctl remove-provider NAME [--yes]`: with accounts, asks first on a terminal and wants
/// `--yes` from a script.
pub async fn remove(engine: &Engine, name: &str, yes: bool) -> Result<(), Error> {
    let view = engine
        .providers()
        .await?
        .into_iter()
        .find(|p| p.name == name)
        .ok_or_else(|| Error::not_found(format!("There is no provider named \"{name}\".")))?;
    let what = match view.accounts {
        0 => None,
        1 => Some("its account".to_owned()),
        n => Some(format!("its {n} accounts")),
    };
    if let Some(what) = what.as_deref().filter(|_| !yes) {
        let consequence = format!(
            "Removing {name} removes {what} from Signet too: access is revoked at {name} where it can be, and the tokens are deleted from this computer."
        );
        if !std::io::stdin().is_terminal() {
            return Err(Error::config(format!(
                "{consequence} Run again with --yes to go ahead."
            )));
        }
        esay!("{consequence}");
        eprint!("Remove {name} and {what}? [y/N] ");
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|e| Error::internal(e.to_string()))?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            esay!("Nothing was removed.");
            return Ok(());
        }
    }
    let removed = engine.remove_provider(name).await?;
    let accounts = match removed.accounts {
        0 => String::new(),
        1 => " and its account".to_owned(),
        n => format!(" and its {n} accounts"),
    };
    esay!("Removed {name}{accounts}.");
    if removed.not_revoked > 0 {
        return Err(Error::new(
            signet_core::ErrorCode::ActionRefused,
            format!(
                "{name} did not confirm the revocation of {} of them: their access may keep working there until it expires. Remove Signet's access in {name}'s account settings.",
                removed.not_revoked
            ),
        ));
    }
    Ok(())
}

/// `signetctl providers`.
pub fn list(config: &signet_core::Config, json: bool) -> Result<(), Error> {
    if json {
        let v: Vec<_> = config.providers.iter().map(|p| serde_json::json!({"name": p.name, "kind": p.kind().as_str(), "clientId": p.client_id})).collect();
        say!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(());
    }
    if config.providers.is_empty() {
        esay!(
            "No providers configured in {}. Add one with `signetctl add-provider` or edit the file.",
            config.path.display()
        );
    }
    for p in &config.providers {
        say!(
            "{:<16} {:<10} client_id={}",
            p.name,
            p.kind().as_str(),
            p.client_id
        );
    }
    Ok(())
}

/// `signetctl kinds`: every kind of provider, from the engine's registry.
pub fn kinds(json: bool) -> Result<(), Error> {
    let kinds = signet_core::provider::kinds::kinds();
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&kinds).unwrap_or_default()
        );
        return Ok(());
    }
    for k in &kinds {
        let keys: Vec<String> = k
            .keys
            .iter()
            .map(|key| {
                if key.required {
                    format!("{}*", key.key)
                } else {
                    key.key.to_owned()
                }
            })
            .collect();
        let sign_in = match k.sign_in {
            signet_core::provider::spec::SignInStyle::Browser => "browser",
            signet_core::provider::spec::SignInStyle::Form => "form",
        };
        say!(
            "{:<10} {:<16} sign-in: {:<8} keys: {}",
            k.kind,
            k.label,
            sign_in,
            keys.join(" ")
        );
    }
    say!("(* required)");
    Ok(())
}

/// Appends a provider entry to the configuration file.
pub fn add_provider(path: &std::path::Path, p: &NewProvider) -> Result<(), Error> {
    signet_core::config::append_provider(path, p)?;
    let next = if p.kind == "easemob" {
        "`signetctl add-easemob …`".to_owned()
    } else {
        format!(
            "`signetctl secret-set {n}`, then `signetctl add {n}`",
            n = p.name
        )
    };
    esay!("Added {} to {}. Next: {next}.", p.name, path.display());
    Ok(())
}

/// `signetctl add-oidc`: an OpenID Connect provider entry by its issuer.
pub fn add_oidc(
    path: &std::path::Path,
    name: &str,
    issuer: &str,
    client_id: &str,
    scopes: Option<&[String]>,
    port: Option<u16>,
) -> Result<(), Error> {
    let provider = signet_core::views::NewProvider {
        name: name.to_owned(),
        kind: "oidc".into(),
        client_id: client_id.to_owned(),
        issuer: Some(issuer.to_owned()),
        redirect: Some("loopback".into()),
        redirect_port: port,
        scopes: scopes.map(<[String]>::to_vec),
        ..Default::default()
    };
    signet_core::config::append_provider(path, &provider)?;
    esay!(
        "Added {name} to {}. Next: `signetctl secret-set {name}`, then `signetctl add {name}`.",
        path.display()
    );
    Ok(())
}

/// `signetctl secret-set PROVIDER`: the client secret from standard input to the keyring.
pub async fn secret_set(engine: &Engine, provider: &str) -> Result<(), Error> {
    let secret = read_secret(provider)?;
    engine.set_client_secret(provider, &secret).await?;
    esay!("Stored the client secret for {provider} in the system keyring.");
    Ok(())
}

/// A client secret from standard input (a prompt on a terminal).
fn read_secret(provider: &str) -> Result<Secret, Error> {
    if std::io::stdin().is_terminal() {
        eprint!("Client secret for {provider}, then Enter: ");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::internal(e.to_string()))?;
    let s = line.trim_end_matches(['\r', '\n']).to_owned();
    if s.is_empty() {
        return Err(Error::config("No secret was given on standard input."));
    }
    Ok(Secret::new(s))
}
