// The window's stores react to the engine's coalesced changes without any component being remounted.
import { waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { mockBackend } from "../../test/backend";
import { account, detail } from "../../test/fixtures";
import { ActivityStore } from "../activity/store.svelte";
import { DetailStore } from "./store.svelte";

describe("DetailStore", () => {
  it("re-fetches the selected account when a batch names it, and only then", async () => {
    let name = "Ada";
    const backend = mockBackend({ get_account: () => detail({ account: account({ id: 1, displayName: name }) }) });
    const store = new DetailStore();
    store.select(1);
    await waitFor(() => expect(store.detail?.account.displayName).toBe("Ada"));

    name = "Ada Lovelace";
    store.changed({ changed: [2, 3], removed: [], all: false });
    expect(backend.called("get_account")).toHaveLength(1);
    store.changed({ changed: [1], removed: [], all: false });
    await waitFor(() => expect(store.detail?.account.displayName).toBe("Ada Lovelace"));
    store.changed({ changed: [], removed: [], all: true });
    await waitFor(() => expect(backend.called("get_account")).toHaveLength(3));

    store.changed({ changed: [], removed: [1], all: false });
    expect(store.selectedId).toBeNull();
    expect(store.detail).toBeNull();
  });

  it("never shows a slow answer for an account that is no longer selected", async () => {
    const answers: Record<number, (v: unknown) => void> = {};
    mockBackend({ get_account: (args) => new Promise((resolve) => (answers[args.id as number] = resolve)) });
    const store = new DetailStore();
    store.select(1);
    store.select(2);
    answers[2](detail({ account: account({ id: 2, displayName: "Grace" }) }));
    await waitFor(() => expect(store.detail?.account.id).toBe(2));
    answers[1](detail({ account: account({ id: 1, displayName: "Ada" }) }));
    await new Promise((r) => setTimeout(r, 0));
    expect(store.detail?.account.displayName).toBe("Grace");
  });
});

describe("ActivityStore", () => {
  it("reads the log when its screen opens and on changes while it is open, not while closed", async () => {
    const backend = mockBackend({ list_activity: () => [] });
    const store = new ActivityStore();
    store.changed();
    expect(backend.called("list_activity")).toHaveLength(0);
    store.shown(true);
    await waitFor(() => expect(backend.called("list_activity")).toHaveLength(1));
    store.changed();
    await waitFor(() => expect(backend.called("list_activity")).toHaveLength(2));
    store.shown(false);
    store.changed();
    await new Promise((r) => setTimeout(r, 0));
    expect(backend.called("list_activity")).toHaveLength(2);
  });
});
