//! WebKit settings Signet chooses through the environment before the first web view, kept out of the programs it starts.

use std::path::Path;

/// WebKit's memory-pressure monitors: one polls `/proc/meminfo` every few seconds in the app's
/// process, and each web process reads its `/proc/self/smaps` on a timer. For a page as small
/// as Signet's they cost most of an idle window's CPU (BENCHMARKS.md, idle) and have nothing
/// to free. Off unless the environment already says otherwise.
const MEMORY_PRESSURE: &str = "WEBKIT_DISABLE_MEMORY_PRESSURE_MONITOR";

/// Where WebKit paints the page. By default Skia rasterises through OpenGL; on a machine with no
/// GPU that OpenGL is Mesa's software renderer, so the page is drawn on the CPU anyway, through
/// an emulated GPU that keeps its own textures and compiled shaders (BENCHMARKS.md: 21–25 MiB
/// more, and no faster). There, Signet asks Skia to paint on the CPU directly. With a GPU,
/// WebKit's own choice stands.
const CPU_RENDERING: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";

/// JavaScriptCore's just-in-time compilers. Signet's page is a few hundred kilobytes of its own
/// script that mostly waits for events: the interpreter runs it fast enough, and without the
/// compilers the web process keeps no compiled code and no compiler threads (BENCHMARKS.md:
/// about 8 MiB less). It also takes the JIT, the usual target of browser exploits, out of the
/// process that shows account data. Read by JavaScriptCore in every Signet process that starts
/// it (the app's and WebKit's), not by the programs Signet starts.
const JIT: &str = "JSC_useJIT";

/// Sets Signet's WebKit variables. Called first thing in `run`, before any other thread exists.
/// The browser and hooks Signet starts do not inherit what it set here.
pub fn configure() {
    if !cfg!(target_os = "linux") {
        return;
    }
    set_unless_given(MEMORY_PRESSURE, "1");
    set_unless_given(JIT, "0");
    if !gpu_present(Path::new("/dev")) {
        set_unless_given(CPU_RENDERING, "1");
    }
}

/// Sets `name` to `value` for Signet alone, unless the environment already gives it a value.
fn set_unless_given(name: &str, value: &str) {
    if std::env::var_os(name).is_none() {
        std::env::set_var(name, value);
        signet_core::child_env::keep_to_self(name);
    }
}

/// Whether `dev` (normally `/dev`) has a GPU OpenGL can use: a DRM render node
/// (`dri/renderD*`, every Mesa or nvidia-drm driver), or NVIDIA's own device without DRM.
fn gpu_present(dev: &Path) -> bool {
    let render_node = std::fs::read_dir(dev.join("dri")).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    });
    render_node || dev.join("nvidiactl").exists()
}

#[cfg(test)]
mod tests {
    use super::gpu_present;

    #[test]
    fn a_render_node_or_nvidias_device_is_a_gpu_and_nothing_else_is() {
        let dev = tempfile::tempdir().expect("tempdir");
        assert!(!gpu_present(dev.path()), "no dri folder");
        std::fs::create_dir(dev.path().join("dri")).expect("dri");
        std::fs::write(dev.path().join("dri/card0"), "").expect("card0");
        assert!(
            !gpu_present(dev.path()),
            "a display card without a render node (a virtual display) is no GPU for OpenGL"
        );
        std::fs::write(dev.path().join("dri/renderD128"), "").expect("render node");
        assert!(gpu_present(dev.path()));

        let nvidia = tempfile::tempdir().expect("tempdir");
        std::fs::write(nvidia.path().join("nvidiactl"), "").expect("nvidiactl");
        assert!(gpu_present(nvidia.path()), "NVIDIA's driver without DRM");
    }
}
