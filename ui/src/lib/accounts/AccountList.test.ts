// Component tests: the virtual account list renders rows, statuses, only what is visible, and the keyboard.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { tick } from "svelte";
import { describe, expect, it, vi } from "vitest";
import { mockBackend } from "../../test/backend";
import { NOW, account, manyAccounts } from "../../test/fixtures";
import AccountList from "./AccountList.svelte";

const accounts = [
  account({ id: 1, displayName: "Ada Lovelace", email: "ada@example.com", avatarUrl: "https://example.com/ada.png" }),
  account({
    id: 2,
    provider: "feishu",
    displayName: "Grace Hopper",
    email: null,
    status: "reauth",
    statusMessage: "Feishu signed you out. Sign in again to continue.",
    accessExpiresAt: NOW - 3 * 60_000,
  }),
  account({
    id: 3,
    provider: "aihubmix",
    displayName: "Team key",
    status: "retrying",
    accessExpiresAt: null,
    balance: { formatted: "$12.34", quota: 1000, usedQuota: 10, sampledAt: NOW },
  }),
];

describe("AccountList", () => {
  it("renders one option per account with name, provider, status and expiry", () => {
    render(AccountList, { props: { accounts, now: NOW } });

    const list = screen.getByRole("listbox", { name: "Accounts" });
    expect(list.tabIndex).toBe(0);
    const rows = within(list).getAllByTestId("account-row");
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.dataset.accountId)).toEqual(["1", "2", "3"]);

    const names = screen.getAllByTestId("account-name").map((el) => el.textContent?.trim());
    expect(names).toEqual(["Ada Lovelace", "Grace Hopper", "Team key"]);
    const statuses = screen.getAllByTestId("account-status").map((el) => el.textContent?.trim());
    expect(statuses).toEqual(["Fresh", "Sign in again", "Retrying"]);
    const providers = screen.getAllByTestId("account-provider").map((el) => el.textContent?.trim());
    expect(providers).toEqual(["google", "feishu", "aihubmix"]);

    expect(rows[0].textContent).toContain("expires in 5 minutes");
    expect(rows[1].textContent).toContain("expired 3 minutes ago");
  });

  it("shows e-mail only when present and balance only when present", () => {
    render(AccountList, { props: { accounts, now: NOW } });

    const rows = screen.getAllByTestId("account-row");
    expect(within(rows[0]).getByTestId("account-email").textContent).toBe("ada@example.com");
    expect(within(rows[1]).queryByTestId("account-email")).toBeNull();
    expect(screen.getAllByTestId("account-balance")).toHaveLength(1);
    expect(within(rows[2]).getByTestId("account-balance").textContent).toBe("$12.34");
  });

  it("shows the picture Signet fetched (a data: URL), never the provider's address, and a letter badge otherwise", async () => {
    const png = "data:image/png;base64,iVBORw0KGgo=";
    const backend = mockBackend({ get_avatar: (args) => (args.id === 1 ? png : null) });
    render(AccountList, { props: { accounts, now: NOW } });

    const rows = screen.getAllByTestId("account-row");
    await waitFor(() => expect(rows[0].querySelector("img")?.getAttribute("src")).toBe(png));
    expect(document.body.innerHTML).not.toContain("https://example.com/ada.png");
    expect(rows[1].querySelector("img")).toBeNull();
    expect(rows[1].querySelector(".badge")?.textContent?.trim()).toBe("G");
    // Only accounts with a picture are asked about, once each.
    expect(backend.called("get_avatar").map((c) => c.args)).toEqual([{ id: 1 }]);
  });

  it("shows the empty state when there are no accounts", () => {
    render(AccountList, { props: { accounts: [], now: NOW } });

    expect(screen.queryByRole("listbox")).toBeNull();
    expect(screen.getByTestId("accounts-empty").textContent).toContain("No accounts added yet.");
  });

  it("selects with a click and marks the selected option", async () => {
    const onselect = vi.fn();
    const { rerender } = render(AccountList, { props: { accounts, now: NOW, onselect } });

    await fireEvent.click(screen.getAllByTestId("account-row")[1]);
    expect(onselect).toHaveBeenCalledWith(2);

    await rerender({ accounts, now: NOW, onselect, selectedId: 2 });
    const rows = screen.getAllByTestId("account-row");
    expect(rows.map((r) => r.getAttribute("aria-selected"))).toEqual(["false", "true", "false"]);
    expect(screen.getByRole("listbox").getAttribute("aria-activedescendant")).toBe("account-option-2");
  });
});

describe("AccountList with 1,000 accounts", () => {
  const thousand = manyAccounts(1000);

  it("puts only the rows near the viewport in the DOM", () => {
    render(AccountList, { props: { accounts: thousand, now: NOW } });

    const rows = screen.getAllByTestId("account-row");
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(50);
    expect(rows[0].dataset.accountId).toBe("1");
    // Every option still says where it sits in the whole list.
    expect(rows[0].getAttribute("aria-setsize")).toBe("1000");
  });

  it("draws only the rows in view at first, and the rows around them a frame later", async () => {
    render(AccountList, { props: { accounts: thousand, now: NOW } });
    // jsdom measures nothing: the list's assumed 720 px hold ten rows of 72 px.
    expect(screen.getAllByTestId("account-row")).toHaveLength(10);

    await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
    await tick();
    expect(screen.getAllByTestId("account-row")).toHaveLength(14);
  });

  it("renders the rows around the scroll position after scrolling", async () => {
    render(AccountList, { props: { accounts: thousand, now: NOW } });
    const list = screen.getByRole("listbox");

    list.scrollTop = 500 * 72;
    await fireEvent.scroll(list);

    const ids = screen.getAllByTestId("account-row").map((r) => Number(r.dataset.accountId));
    expect(ids.length).toBeLessThan(50);
    expect(ids).toContain(501);
    expect(ids).not.toContain(1);
    expect(screen.getAllByTestId("account-row")[0].getAttribute("aria-posinset")).toBe(String(ids[0]));
  });

  it("moves the selection with the keyboard and scrolls to it", async () => {
    const selected: number[] = [];
    const { rerender } = render(AccountList, {
      props: { accounts: thousand, now: NOW, onselect: (id: number) => selected.push(id) },
    });
    const list = screen.getByRole("listbox");

    await fireEvent.keyDown(list, { key: "ArrowDown" });
    expect(selected[selected.length - 1]).toBe(1);

    await rerender({ accounts: thousand, now: NOW, selectedId: 1, onselect: (id: number) => selected.push(id) });
    await fireEvent.keyDown(list, { key: "ArrowDown" });
    expect(selected[selected.length - 1]).toBe(2);

    await fireEvent.keyDown(list, { key: "End" });
    expect(selected[selected.length - 1]).toBe(1000);
    await rerender({ accounts: thousand, now: NOW, selectedId: 1000, onselect: (id: number) => selected.push(id) });
    const ids = screen.getAllByTestId("account-row").map((r) => r.dataset.accountId);
    expect(ids).toContain("1000");
    expect(list.getAttribute("aria-activedescendant")).toBe("account-option-1000");
  });
});
