// The window's stores follow the engine's events on their own: no component is mounted here.
import { emit } from "@tauri-apps/api/event";
import { waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { mockBackend } from "../../test/backend";
import { account, detail, firstScreen } from "../../test/fixtures";
import { AccountsStore } from "./app.svelte";
import { WindowState } from "./window.svelte";

describe("WindowState", () => {
  it("follows accounts-changed: the list, the selected account's detail, a removed account let go", async () => {
    let names = ["Ada Lovelace"];
    const backend = mockBackend({
      list_accounts: () => names.map((displayName, i) => account({ id: i + 1, displayName })),
      get_account: (args) => detail({ account: account({ id: args.id as number, displayName: names[0] }) }),
    });
    const state = new WindowState();
    const disconnect = state.connect();
    await waitFor(() => expect(state.accounts.list.map((a) => a.displayName)).toEqual(["Ada Lovelace"]));
    state.detail.select(1);
    await waitFor(() => expect(state.detail.detail?.account.displayName).toBe("Ada Lovelace"));

    names = ["Ada King", "Grace Hopper"];
    await emit("accounts-changed", { changed: [1, 2], removed: [], all: false });
    await waitFor(() => expect(state.accounts.list.map((a) => a.displayName)).toEqual(["Ada King", "Grace Hopper"]));
    await waitFor(() => expect(state.detail.detail?.account.displayName).toBe("Ada King"));

    // A change to another account leaves the open detail alone.
    const fetched = backend.called("get_account").length;
    await emit("accounts-changed", { changed: [2], removed: [], all: false });
    await waitFor(() => expect(backend.called("list_accounts").length).toBeGreaterThanOrEqual(3));
    expect(backend.called("get_account")).toHaveLength(fetched);

    await emit("accounts-changed", { changed: [], removed: [1], all: false });
    await waitFor(() => expect(state.detail.selectedId).toBeNull());
    disconnect();
  });

  it("follows the keyring and notices, and stops listening when disconnected", async () => {
    mockBackend();
    const state = new WindowState();
    const disconnect = state.connect();
    await waitFor(() => expect(state.keyring).toEqual({ state: "ok" }));

    const trouble = { state: "trouble", error: { code: "keyring_locked", message: "The keyring is locked." } };
    await emit("keyring-changed", trouble);
    await waitFor(() => expect(state.keyring).toEqual(trouble));
    await emit("notice", { code: "forged_link", message: "A sign-in link Signet did not start was refused." });
    await waitFor(() => expect(state.notices.list.map((n) => n.code)).toEqual(["forged_link"]));

    disconnect();
    await new Promise((r) => setTimeout(r, 0));
    await emit("notice", { code: "forged_link", message: "Again." });
    await new Promise((r) => setTimeout(r, 0));
    expect(state.notices.list).toHaveLength(1);
  });

  it("leaves the list the window opened with as it is on its first read, and sets later reads", async () => {
    mockBackend({ list_accounts: () => [account({ id: 1, displayName: "Ada King" })] });
    const reads: (number | null)[] = [];
    const store = new AccountsStore(firstScreen().accounts, (list) => reads.push(list?.length ?? null));
    const shown = store.list;
    await store.load();
    // The same list: the rows on screen are not made again.
    expect(store.list).toBe(shown);
    expect(reads).toEqual([1]);
    await store.load();
    expect(store.list.map((a) => a.displayName)).toEqual(["Ada King"]);
    expect(reads).toEqual([1, 1]);
  });
});
