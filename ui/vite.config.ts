// Build, dev-server and test configuration for Signet's web UI.
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

/**
 * Links the app's start-up code (src/start.ts, imported by main.ts after the first frame) from
 * the page: its styles as a stylesheet, so the first frame main.ts draws has them, and its script
 * as a module preload, fetched and parsed while that frame is drawn.
 */
function linkStartChunk(): Plugin {
  return {
    name: "signet-link-start-chunk",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(_html, ctx) {
        const chunk = Object.values(ctx.bundle ?? {}).find(
          (c) => c.type === "chunk" && c.isDynamicEntry && c.moduleIds.some((id) => id.endsWith("/src/start.ts")),
        );
        if (!chunk || chunk.type !== "chunk") throw new Error("the start chunk (src/start.ts) is missing");
        const css = [...(chunk.viteMetadata?.importedCss ?? [])];
        return [
          ...css.map((href) => ({ tag: "link", attrs: { rel: "stylesheet", crossorigin: true, href: `./${href}` }, injectTo: "head" as const })),
          { tag: "link", attrs: { rel: "modulepreload", crossorigin: true, href: `./${chunk.fileName}` }, injectTo: "head" as const },
        ];
      },
    },
  };
}

export default defineConfig({
  plugins: [svelte(), svelteTesting(), linkStartChunk()],
  // Tauri serves the files itself; relative URLs work under its custom protocol.
  base: "./",
  clearScreen: false,
  server: { host: "127.0.0.1", port: 5173, strictPort: true },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2021",
    // Never inline assets as data: URLs into scripts; keep everything a 'self' file.
    assetsInlineLimit: 0,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    setupFiles: ["src/test/setup.ts"],
  },
});
