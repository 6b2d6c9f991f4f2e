// Test setup: unmount, let async unlisteners run, drop the IPC mock and cached pictures, and go back to English.
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup } from "@testing-library/svelte";
import { afterEach, beforeEach } from "vitest";
import { setLang } from "../lib/i18n";
import { clearAvatars } from "../lib/ui/avatars";

beforeEach(() => {
  setLang("en");
  clearAvatars();
});

afterEach(async () => {
  cleanup();
  await new Promise((resolve) => setTimeout(resolve, 0));
  clearMocks();
  setLang("en");
});
