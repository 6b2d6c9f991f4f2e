// Component tests: the account list renders rows, statuses and the empty state.
import { render, screen, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import AccountList from "./AccountList.svelte";
import { NOW, account } from "./fixtures";

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
  it("renders one focusable row per account with name, status and expiry", () => {
    render(AccountList, { props: { accounts, now: NOW } });

    const list = screen.getByRole("list");
    const rows = within(list).getAllByTestId("account-row");
    expect(rows).toHaveLength(3);
    expect(rows.every((row) => row.tabIndex === 0)).toBe(true);

    const names = screen.getAllByTestId("account-name").map((el) => el.textContent?.trim());
    expect(names).toEqual(["Ada Lovelace", "Grace Hopper", "Team key"]);

    const statuses = screen.getAllByTestId("account-status").map((el) => el.textContent?.trim());
    expect(statuses).toEqual(["Fresh", "Sign in again", "Retrying"]);

    expect(rows[0].textContent).toContain("expires in 5 min");
    expect(rows[1].textContent).toContain("expired 3 min ago");
    expect(rows[1].textContent).toContain("Feishu signed you out.");
  });

  it("shows e-mail only when present and balance only when present", () => {
    render(AccountList, { props: { accounts, now: NOW } });

    const rows = screen.getAllByTestId("account-row");
    expect(within(rows[0]).getByTestId("account-email").textContent).toBe("ada@example.com");
    expect(within(rows[1]).queryByTestId("account-email")).toBeNull();

    const balances = screen.getAllByTestId("account-balance");
    expect(balances).toHaveLength(1);
    expect(within(rows[2]).getByTestId("account-balance").textContent).toBe("$12.34");
  });

  it("uses the avatar picture when there is one and a letter badge otherwise", () => {
    render(AccountList, { props: { accounts, now: NOW } });

    const rows = screen.getAllByTestId("account-row");
    expect(rows[0].querySelector("img")?.getAttribute("src")).toBe("https://example.com/ada.png");
    expect(rows[1].querySelector("img")).toBeNull();
    expect(rows[1].querySelector(".badge")?.textContent?.trim()).toBe("G");
  });

  it("shows the empty state with the signetctl hint when there are no accounts", () => {
    render(AccountList, { props: { accounts: [], now: NOW } });

    expect(screen.queryByRole("list")).toBeNull();
    const empty = screen.getByTestId("accounts-empty");
    expect(empty.textContent).toContain("No accounts added yet.");
    expect(empty.textContent).toContain("signetctl add <provider>");
  });
});
