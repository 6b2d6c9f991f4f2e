// App tests against a mocked Tauri IPC: fetch on start, refetch on event, show errors.
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import { cleanup, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import App from "./App.svelte";
import { account } from "./lib/fixtures";
import type { AccountView } from "./lib/types";

// Unmount first and let the app's async unlisten run, then drop the IPC mock.
afterEach(async () => {
  cleanup();
  await new Promise((resolve) => setTimeout(resolve, 0));
  clearMocks();
});

describe("App", () => {
  it("lists accounts on start and re-fetches on accounts-changed", async () => {
    let stored: AccountView[] = [account({ id: 1, displayName: "Ada Lovelace" })];
    const calls: string[] = [];
    mockIPC(
      (cmd) => {
        calls.push(cmd);
        if (cmd === "list_accounts") return stored;
        throw { code: "unknown_command", message: `no command ${cmd}` };
      },
      { shouldMockEvents: true },
    );

    render(App);

    await screen.findByText("Ada Lovelace");
    expect(screen.getByTestId("account-count").textContent).toBe("1 account");

    stored = [...stored, account({ id: 2, displayName: "Grace Hopper", status: "refreshing" })];
    await emit("accounts-changed");

    await screen.findByText("Grace Hopper");
    expect(screen.getByTestId("account-count").textContent).toBe("2 accounts");
    expect(screen.getAllByTestId("account-status").map((el) => el.textContent?.trim())).toEqual([
      "Fresh",
      "Refreshing…",
    ]);
    expect(calls.filter((cmd) => cmd === "list_accounts")).toHaveLength(2);
  });

  it("shows the empty state when there are no accounts", async () => {
    mockIPC(() => [], { shouldMockEvents: true });

    render(App);

    await screen.findByTestId("accounts-empty");
    expect(screen.getByTestId("account-count").textContent).toBe("0 accounts");
  });

  it("puts a command error's message in the alert region", async () => {
    mockIPC(
      (cmd) => {
        if (cmd === "list_accounts") throw { code: "store_locked", message: "The keyring is locked." };
      },
      { shouldMockEvents: true },
    );

    render(App);

    await waitFor(() => expect(screen.getByRole("alert").textContent).toBe("The keyring is locked."));
    // Without a successful fetch there is no honest count or empty state to show.
    expect(screen.queryByTestId("account-count")).toBeNull();
    expect(screen.queryByTestId("accounts-empty")).toBeNull();
  });
});
