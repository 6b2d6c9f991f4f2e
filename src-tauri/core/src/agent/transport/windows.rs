//! The agent on Windows: a named pipe per user and data folder whose access list names this user alone, remote clients refused, and the process at each end checked to run as this user.
//!
//! The only unsafe code in Signet: tokio makes a pipe with chosen security attributes only
//! through a raw pointer, and the client's process, its user and its executable come from
//! Win32 calls that have no safe wrapper. Each call says why it is sound.

#![allow(unsafe_code)]

use std::ffi::c_void;
use std::os::windows::io::AsRawHandle;
use std::path::Path;
use std::time::Duration;

use tokio::net::windows::named_pipe::{
    ClientOptions, NamedPipeClient, NamedPipeServer, ServerOptions,
};
use windows_sys::Win32::Foundation::{CloseHandle, LocalFree, ERROR_PIPE_BUSY, HANDLE};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
};
use windows_sys::Win32::Security::{
    EqualSid, GetTokenInformation, TokenUser, PSECURITY_DESCRIPTOR, SECURITY_ATTRIBUTES,
    TOKEN_QUERY, TOKEN_USER,
};
use windows_sys::Win32::System::Pipes::{GetNamedPipeClientProcessId, GetNamedPipeServerProcessId};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, OpenProcess, OpenProcessToken, QueryFullProcessImageNameW,
    PROCESS_NAME_WIN32, PROCESS_QUERY_LIMITED_INFORMATION,
};

use super::Peer;
use crate::error::{Error, ErrorCode, Result};

pub type ServerStream = NamedPipeServer;
pub type ClientStream = NamedPipeClient;

/// `\\.\pipe\signet-agent-<id>`: `<id>` names the data folder, as the Unix socket's does.
pub fn pipe_name(data_dir: &Path) -> String {
    format!(
        r"\\.\pipe\signet-agent-{}",
        crate::agent::agent_id(data_dir)
    )
}

/// The agent's pipe: the instance waiting for the next client, and the access list every
/// instance is made with.
pub struct Listener {
    name: String,
    next: NamedPipeServer,
    security: OwnerOnly,
}

impl Listener {
    /// Makes the pipe's first instance. Refused when another process already made it: the
    /// caller holds the agent lock, so that process is not a Signet agent of this folder.
    pub fn bind(data_dir: &Path) -> Result<Listener> {
        let name = pipe_name(data_dir);
        let cannot = |e: std::io::Error| {
            Error::new(
                ErrorCode::Storage,
                format!("Signet cannot open its agent pipe {name} ({e})."),
            )
        };
        let security = OwnerOnly::new().map_err(cannot)?;
        let next = security.create(&name, true).map_err(cannot)?;
        Ok(Listener {
            name,
            next,
            security,
        })
    }

    /// Where it listens, as people and logs see it.
    pub fn address(&self) -> String {
        self.name.clone()
    }

    /// Nothing to remove: a pipe goes with its last handle.
    pub fn remove(_address: &str) {}

    /// The next connection and who made it.
    pub async fn accept(&mut self) -> std::io::Result<(ServerStream, Peer)> {
        self.next.connect().await?;
        let following = self.security.create(&self.name, false)?;
        let connected = std::mem::replace(&mut self.next, following);
        let mut pid = 0u32;
        // SAFETY: the handle is the connected pipe's, alive for the call; `pid` is writable.
        let known =
            unsafe { GetNamedPipeClientProcessId(connected.as_raw_handle(), &mut pid) } != 0;
        let pid = known.then_some(pid);
        let peer = Peer {
            same_user: pid.is_some_and(runs_as_me),
            user: pid.map_or_else(|| "unknown".to_owned(), |p| format!("the user of pid {p}")),
            pid,
            program: pid.and_then(program_of),
        };
        Ok((connected, peer))
    }
}

/// Connects to the agent of `data_dir`; `None` when none serves it, or when the process
/// serving the pipe does not run as this user (a pipe made by someone else first).
pub async fn connect(data_dir: &Path) -> Option<ClientStream> {
    let name = pipe_name(data_dir);
    let mut tries = 0;
    let client = loop {
        match ClientOptions::new().open(&name) {
            Ok(client) => break client,
            // Every instance is taken for a moment: the agent makes the next one at once.
            Err(e) if e.raw_os_error() == Some(ERROR_PIPE_BUSY as i32) && tries < 40 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(_) => return None,
        }
    };
    let mut pid = 0u32;
    // SAFETY: the handle is the open pipe's, alive for the call; `pid` is writable.
    let known = unsafe { GetNamedPipeServerProcessId(client.as_raw_handle(), &mut pid) } != 0;
    if known && runs_as_me(pid) {
        Some(client)
    } else {
        tracing::warn!(pipe = %name, "agent: the pipe is served by another user's process; not used");
        None
    }
}

/// A security descriptor whose access list grants this user, and nobody else, the pipe.
struct OwnerOnly(PSECURITY_DESCRIPTOR);

// SAFETY: the descriptor is immutable once made and only read by the system calls.
unsafe impl Send for OwnerOnly {}
unsafe impl Sync for OwnerOnly {}

impl OwnerOnly {
    fn new() -> std::io::Result<OwnerOnly> {
        let sid = current_user_sid_string()?;
        // Protected (no inherited entries); generic all to this user's SID only.
        let sddl: Vec<u16> = format!("D:P(A;;GA;;;{sid})")
            .encode_utf16()
            .chain(Some(0))
            .collect();
        let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        // SAFETY: `sddl` is NUL-terminated UTF-16; `sd` receives a LocalAlloc'd descriptor,
        // freed in `Drop`.
        let made = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                sddl.as_ptr(),
                SDDL_REVISION_1,
                &mut sd,
                std::ptr::null_mut(),
            )
        };
        if made == 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(OwnerOnly(sd))
    }

    /// Makes one instance of the pipe `name` with this access list, local clients only.
    fn create(&self, name: &str, first: bool) -> std::io::Result<NamedPipeServer> {
        let mut attrs = SECURITY_ATTRIBUTES {
            nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: self.0,
            bInheritHandle: 0,
        };
        // SAFETY: `attrs` points at a valid SECURITY_ATTRIBUTES whose descriptor lives as long
        // as `self`; the call copies what it needs.
        unsafe {
            ServerOptions::new()
                .first_pipe_instance(first)
                .reject_remote_clients(true)
                .create_with_security_attributes_raw(
                    name,
                    (&mut attrs as *mut SECURITY_ATTRIBUTES).cast::<c_void>(),
                )
        }
    }
}

impl Drop for OwnerOnly {
    fn drop(&mut self) {
        // SAFETY: the descriptor was LocalAlloc'd by the conversion and is freed once.
        unsafe { LocalFree(self.0) };
    }
}

/// A process handle or token, closed when dropped.
struct Owned(HANDLE);

impl Drop for Owned {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the handle was opened by this module and is closed once.
            unsafe { CloseHandle(self.0) };
        }
    }
}

/// The user SID in `process`'s token, as the bytes of a TOKEN_USER buffer.
fn token_user(process: HANDLE) -> Option<Vec<u64>> {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: `process` is a valid process handle; `token` receives a handle closed by `Owned`.
    if unsafe { OpenProcessToken(process, TOKEN_QUERY, &mut token) } == 0 {
        return None;
    }
    let token = Owned(token);
    let mut len = 0u32;
    // SAFETY: asks for the size only (null buffer of length 0).
    unsafe { GetTokenInformation(token.0, TokenUser, std::ptr::null_mut(), 0, &mut len) };
    // u64 elements keep the buffer aligned for TOKEN_USER.
    let mut buf = vec![0u64; (len as usize).div_ceil(8).max(1)];
    // SAFETY: `buf` holds at least `len` bytes, aligned for TOKEN_USER.
    let ok = unsafe {
        GetTokenInformation(
            token.0,
            TokenUser,
            buf.as_mut_ptr().cast::<c_void>(),
            len,
            &mut len,
        )
    };
    (ok != 0).then_some(buf)
}

/// The SID inside a TOKEN_USER buffer from [`token_user`].
fn sid_of(buf: &mut [u64]) -> *mut c_void {
    // SAFETY: the buffer was filled by GetTokenInformation(TokenUser) and is aligned.
    unsafe { (*buf.as_mut_ptr().cast::<TOKEN_USER>()).User.Sid }
}

/// This process's user, as an SDDL SID string (`S-1-5-21-…`).
fn current_user_sid_string() -> std::io::Result<String> {
    // SAFETY: the pseudo-handle of the current process needs no closing.
    let mut me =
        token_user(unsafe { GetCurrentProcess() }).ok_or_else(std::io::Error::last_os_error)?;
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: the SID is valid while `me` lives; `text` receives a LocalAlloc'd string.
    if unsafe { ConvertSidToStringSidW(sid_of(&mut me), &mut text) } == 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `text` is a NUL-terminated UTF-16 string from the call above.
    let len = (0..).take_while(|&i| unsafe { *text.add(i) } != 0).count();
    // SAFETY: `len` u16s are readable at `text`.
    let sid = String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(text, len) });
    // SAFETY: freed once, as the conversion asks.
    unsafe { LocalFree(text.cast::<c_void>()) };
    Ok(sid)
}

/// Whether process `pid` runs as this process's user.
fn runs_as_me(pid: u32) -> bool {
    // SAFETY: the result is checked for null and closed by `Owned`.
    let process = Owned(unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) });
    if process.0.is_null() {
        return false;
    }
    // SAFETY: the pseudo-handle of the current process needs no closing.
    let (Some(mut theirs), Some(mut mine)) = (
        token_user(process.0),
        token_user(unsafe { GetCurrentProcess() }),
    ) else {
        return false;
    };
    // SAFETY: both SIDs are valid while their buffers live.
    unsafe { EqualSid(sid_of(&mut theirs), sid_of(&mut mine)) != 0 }
}

/// Process `pid`'s executable.
fn program_of(pid: u32) -> Option<String> {
    // SAFETY: the result is checked for null and closed by `Owned`.
    let process = Owned(unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) });
    if process.0.is_null() {
        return None;
    }
    let mut buf = vec![0u16; 1024];
    let mut len = buf.len() as u32;
    // SAFETY: `buf` holds `len` u16s; the call writes at most that many and updates `len`.
    let ok = unsafe {
        QueryFullProcessImageNameW(process.0, PROCESS_NAME_WIN32, buf.as_mut_ptr(), &mut len)
    };
    (ok != 0).then(|| String::from_utf16_lossy(&buf[..len as usize]))
}
