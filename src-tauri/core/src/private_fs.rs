//! Signet's files on disk are the person's alone: folders 0700, files 0600, no symlinks followed, foreign folders refused.
//!
//! Other users of the machine must not read the accounts' names and e-mails from the database,
//! nor hold a lock file to stall refreshes. Everything Signet creates goes through here; at start
//! the folders of an existing install are tightened (`tighten`).

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::error::{Error, ErrorCode, Result};

/// Mode of every folder Signet creates.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file Signet creates.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` and its missing parents as private folders. An existing folder is checked:
/// it must belong to this user and not be writable by anyone else.
pub fn create_dir(dir: &Path) -> Result<()> {
    if !dir.exists() {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, DIR_MODE);
        b.create(dir).map_err(|e| {
            storage(format!(
                "Signet cannot create its folder {} ({e}).",
                dir.display()
            ))
        })?;
    }
    check_dir(dir)
}

/// Opens (creating if needed) a private file for writing, never through a symlink.
pub fn open_file(path: &Path, truncate: bool) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.create(true).write(true).truncate(truncate);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(FILE_MODE).custom_flags(libc::O_NOFOLLOW);
    }
    let f = o.open(path)?;
    // A file created before (by an older Signet, or under another umask) is tightened too.
    set_mode(&f, FILE_MODE)?;
    Ok(f)
}

/// Opens an existing file read-only, never through a symlink, and makes it private (0600) if an
/// older Signet or a loose umask left it open to others.
pub fn open_existing(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW);
    }
    let f = o.open(path)?;
    set_mode(&f, FILE_MODE)?;
    Ok(f)
}

/// Opens (creating if needed) a private file for appending, never through a symlink.
pub fn append_file(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(FILE_MODE).custom_flags(libc::O_NOFOLLOW);
    }
    o.open(path)
}

/// Writes `text` to `path` as a private file. A symlinked file (a configuration kept with the
/// person's dotfiles) is followed: the link is theirs; only lock files refuse links.
pub fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = OpenOptions::new();
    o.create(true).write(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, FILE_MODE);
    let mut f = o.open(path)?;
    set_mode(&f, FILE_MODE)?;
    f.write_all(text.as_bytes())
}

/// Makes the configuration's own folder private (0700) when it is Signet's (named `signet`,
/// as the default `~/.config/signet/` is), leaving a folder the person chose alone.
pub fn tighten_config_folder(config: &Path) {
    #[cfg(unix)]
    if let Some(dir) = config
        .parent()
        .filter(|d| d.file_name().is_some_and(|n| n == "signet") && d.is_dir())
    {
        tighten_one(dir, DIR_MODE);
    }
    #[cfg(not(unix))]
    let _ = config;
}

/// Makes an existing file private (0600); a missing file is fine.
pub fn tighten_file(path: &Path) {
    #[cfg(unix)]
    if path.is_file() {
        tighten_one(path, FILE_MODE);
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(unix)]
fn set_mode(f: &File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = f.metadata()?;
    if meta.permissions().mode() & 0o777 != mode {
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_mode(_: &File, _: u32) -> std::io::Result<()> {
    Ok(())
}

/// Refuses a folder that belongs to another user or that others may write to: whoever can write
/// there can replace Signet's database or plant its lock files.
#[cfg(unix)]
pub fn check_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(dir).map_err(|e| {
        storage(format!(
            "Signet cannot read its folder {} ({e}).",
            dir.display()
        ))
    })?;
    if meta.file_type().is_symlink() {
        // A symlinked folder is the person's choice (a data folder moved elsewhere): check the target.
        let target = std::fs::metadata(dir).map_err(|e| {
            storage(format!(
                "Signet cannot read its folder {} ({e}).",
                dir.display()
            ))
        })?;
        return check_meta(dir, target.uid(), target.mode());
    }
    check_meta(dir, meta.uid(), meta.mode())
}

#[cfg(unix)]
fn check_meta(dir: &Path, uid: u32, mode: u32) -> Result<()> {
    let me = rustix::process::geteuid().as_raw();
    if uid != me {
        return Err(storage(format!(
            "Signet refuses to use {}: it belongs to another user (uid {uid}), who could read or change your accounts. Move it away, or set SIGNET_DATA_DIR to a folder of your own.",
            dir.display()
        )));
    }
    if mode & 0o022 != 0 {
        return Err(storage(format!(
            "Signet refuses to use {}: other users may write to it (mode {:o}), so they could replace your accounts' data. Run `chmod 700 {}` and start Signet again.",
            dir.display(),
            mode & 0o7777,
            dir.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn check_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

/// Tightens an existing install (after refusing it, like [`check_dir`], if it belongs to another
/// user or others may write to it): `dir` becomes 0700 and everything in it (one level of folders
/// deep, as Signet writes them) 0700 for folders, 0600 for files. Symlinks are left alone.
/// Runs at start, so files made by an older Signet or under a loose umask are closed.
pub fn tighten(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        if !dir.exists() {
            return Ok(());
        }
        // A folder others may write to is refused, not fixed: files may already be planted.
        check_dir(dir)?;
        tighten_one(dir, DIR_MODE);
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let Ok(ft) = e.file_type() else { continue };
                if ft.is_dir() {
                    tighten_one(&e.path(), DIR_MODE);
                    stack.push(e.path());
                } else if ft.is_file() {
                    tighten_one(&e.path(), FILE_MODE);
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(unix)]
fn tighten_one(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    if meta.file_type().is_symlink() || meta.permissions().mode() & 0o777 == mode {
        return;
    }
    if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
        tracing::warn!(path = %path.display(), error = %e, "could not make private");
    }
}

fn storage(message: String) -> Error {
    Error::new(ErrorCode::Storage, message)
}
