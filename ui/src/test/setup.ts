// Test setup: unmount, let async unlisteners run, drop the IPC mock, and go back to English.
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup } from "@testing-library/svelte";
import { afterEach, beforeEach } from "vitest";
import { setLang } from "../lib/i18n";

beforeEach(() => setLang("en"));

afterEach(async () => {
  cleanup();
  await new Promise((resolve) => setTimeout(resolve, 0));
  clearMocks();
  setLang("en");
});
