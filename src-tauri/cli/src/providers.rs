//! `signetctl edit-provider` and `remove-provider`: changing a provider's entry, and removing it with its accounts.

use std::io::{BufRead, IsTerminal};

use signet_core::views::NewProvider;
use signet_core::{Engine, Error};

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
