//! Editing the configuration file: adding, changing and removing provider entries with their comments and layout kept, each result checked before it is written.

use std::path::Path;

use super::Config;
use crate::error::{Error, Result};

/// Appends a provider to the configuration file at `path` (keeping its comments and layout),
/// after checking that the result is a valid configuration. Returns the new configuration.
pub fn append_provider(path: &Path, p: &crate::views::NewProvider) -> Result<Config> {
    let (text, config) = with_provider(path, p)?;
    write(path, &text)?;
    Ok(config)
}

/// Writes the configuration file, creating its folder.
pub fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.exists()) {
        crate::private_fs::create_dir(dir)?;
    }
    crate::private_fs::write_file(path, text)
        .map_err(|e| Error::config(format!("{}: cannot be written ({e}).", path.display())))
}

/// The configuration file at `path`, parsed for editing (comments and layout kept).
fn read_document(path: &Path) -> Result<toml_edit::DocumentMut> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::config(format!("{}: cannot be read ({e}).", path.display())))?;
    text.parse()
        .map_err(|e| Error::config(format!("{}: {e}", path.display())))
}

/// The `[[providers]]` table named `name` in `doc`.
fn provider_table<'a>(
    doc: &'a mut toml_edit::DocumentMut,
    name: &str,
) -> Result<&'a mut toml_edit::Table> {
    doc.get_mut("providers")
        .and_then(|p| p.as_array_of_tables_mut())
        .and_then(|a| {
            a.iter_mut()
                .find(|t| t.get("name").and_then(|n| n.as_str()) == Some(name))
        })
        .ok_or_else(|| Error::not_found(format!("There is no provider named \"{name}\".")))
}

/// Sets `key` of the provider named `name` in the file at `path`, checks the result, writes it.
pub fn set_provider_value(
    path: &Path,
    name: &str,
    key: &str,
    value: toml_edit::Item,
) -> Result<Config> {
    let mut doc = read_document(path)?;
    let table = provider_table(&mut doc, name)?;
    table[key] = value;
    let text = doc.to_string();
    let config = Config::parse(&text, path)?;
    write(path, &text)?;
    Ok(config)
}

/// Removes the provider named `name` from the file at `path` (keeping the rest as written),
/// checks the result, writes it.
pub fn remove_provider(path: &Path, name: &str) -> Result<Config> {
    let mut doc = read_document(path)?;
    if let Some(providers) = doc
        .get_mut("providers")
        .and_then(|p| p.as_array_of_tables_mut())
    {
        providers.retain(|t| t.get("name").and_then(|n| n.as_str()) != Some(name));
    }
    let text = doc.to_string();
    let config = Config::parse(&text, path)?;
    write(path, &text)?;
    Ok(config)
}

/// Writes `p`'s values into a provider's table. An absent value (`None`) leaves the key as it
/// is; an empty one (`""`, no scopes, port 0) removes it, so the entry falls back to the
/// documented default. Name and kind are not touched.
fn fill_table(t: &mut toml_edit::Table, p: &crate::views::NewProvider) {
    if !p.client_id.is_empty() {
        t["client_id"] = toml_edit::value(p.client_id.as_str());
    }
    for (key, v) in [
        ("issuer", &p.issuer),
        ("base_url", &p.base_url),
        ("redirect", &p.redirect),
        ("brand", &p.brand),
        ("token_version", &p.token_version),
        ("authorize_url", &p.authorize_url),
        ("token_url", &p.token_url),
        ("userinfo_url", &p.userinfo_url),
        ("revoke_url", &p.revoke_url),
        ("api_base", &p.api_base),
        ("accounts_base", &p.accounts_base),
        ("org_name", &p.org_name),
        ("app_name", &p.app_name),
    ] {
        match v.as_deref().map(str::trim) {
            None => {}
            Some("") => {
                t.remove(key);
            }
            Some(v) => t[key] = toml_edit::value(v),
        }
    }
    match p.redirect_port {
        None => {}
        Some(0) => {
            t.remove("redirect_port");
        }
        Some(port) => t["redirect_port"] = toml_edit::value(i64::from(port)),
    }
    if let Some(ttl) = p.ttl {
        t["ttl"] = toml_edit::value(i64::try_from(ttl).unwrap_or(i64::MAX));
    }
    if let Some(vip5) = p.vip5 {
        t["vip5"] = toml_edit::value(vip5);
    }
    match &p.scopes {
        None => {}
        Some(scopes) if scopes.is_empty() => {
            t.remove("scopes");
        }
        Some(scopes) => {
            let mut a = toml_edit::Array::new();
            for s in scopes {
                a.push(s.as_str());
            }
            t["scopes"] = toml_edit::value(a);
        }
    }
}

/// The file at `path` with provider `name`'s entry changed as `p` says (see [`fill_table`]),
/// checked; nothing is written. Its name and kind stay: accounts are kept under them.
pub fn with_provider_changed(
    path: &Path,
    name: &str,
    p: &crate::views::NewProvider,
) -> Result<(String, Config)> {
    let mut doc = read_document(path)?;
    let table = provider_table(&mut doc, name)?;
    let kind = table.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    if !p.kind.is_empty() && p.kind != kind {
        return Err(Error::config(format!(
            "The kind of \"{name}\" cannot change (it is {kind}): remove the provider and add a new one."
        )));
    }
    if !p.name.is_empty() && p.name != name {
        return Err(Error::config(format!(
            "A provider cannot be renamed: its accounts and stored secret are kept under \"{name}\"."
        )));
    }
    fill_table(table, p);
    let text = doc.to_string();
    let config = Config::parse(&text, path)?;
    Ok((text, config))
}

/// The file at `path` with provider `p` appended, checked; nothing is written.
pub fn with_provider(path: &Path, p: &crate::views::NewProvider) -> Result<(String, Config)> {
    let existing = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(Error::config(format!(
                "{}: cannot be read ({e}).",
                path.display()
            )))
        }
    };
    let mut doc: toml_edit::DocumentMut = existing
        .parse()
        .map_err(|e| Error::config(format!("{}: {e}", path.display())))?;
    let mut t = toml_edit::Table::new();
    t["name"] = toml_edit::value(p.name.as_str());
    t["kind"] = toml_edit::value(p.kind.as_str());
    t["client_id"] = toml_edit::value(p.client_id.as_str());
    fill_table(&mut t, p);
    let providers = doc
        .entry("providers")
        .or_insert(toml_edit::Item::ArrayOfTables(
            toml_edit::ArrayOfTables::new(),
        ));
    let Some(providers) = providers.as_array_of_tables_mut() else {
        return Err(Error::config(format!(
            "{}: `providers` must be a list of [[providers]] tables.",
            path.display()
        )));
    };
    providers.push(t);
    let text = doc.to_string();
    let config = Config::parse(&text, path)?;
    Ok((text, config))
}
