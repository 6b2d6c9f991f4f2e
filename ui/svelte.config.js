// Svelte compiler settings shared by Vite and svelte-check.
import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

export default {
  preprocess: vitePreprocess(),
  compilerOptions: {
    // A component's scoped class is `s-<Component>` rather than a hash of its styles, so the
    // window's first frame (src/lib/firstframe.ts), drawn before the app's code loads, can carry
    // the classes the app's stylesheet scopes its rules to. Component file names are unique
    // (firstframe.test.ts checks).
    cssHash: (/** @type {{ name: string }} */ { name }) => `s-${name}`,
  },
};
