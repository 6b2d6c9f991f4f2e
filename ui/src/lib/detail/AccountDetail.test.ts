// The detail pane against a mocked engine: fields, live countdowns, balance plot, actions, removal.
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mockBackend } from "../../test/backend";
import { NOW, account, activity, detail } from "../../test/fixtures";
import AccountDetail from "./AccountDetail.svelte";
import { selecting } from "../../test/window";


const noop = () => {};

function renderDetail(id = 1, onremoved = vi.fn()) {
  render(AccountDetail, { context: selecting(id), props: { onsigninagain: noop, onremoved } });
  return onremoved;
}

afterEach(() => vi.useRealTimers());

describe("AccountDetail", () => {
  it("shows profile fields only when present", async () => {
    mockBackend({
      get_account: () =>
        detail({
          account: account({
            provider: "aihubmix",
            profile: { username: "ada", status: 1, createdTime: 1_700_000_000, emailVerified: null },
          }),
        }),
    });
    renderDetail();

    expect((await screen.findByTestId("detail-email")).textContent).toBe("ada@example.com");
    expect(screen.getByTestId("profile-username").textContent).toBe("ada");
    expect(screen.getByTestId("profile-status").textContent).toBe("1");
    expect(screen.getByTestId("profile-createdTime").textContent).toContain("2023");
    expect(screen.queryByTestId("profile-emailVerified")).toBeNull();
    expect(screen.queryByTestId("profile-domain")).toBeNull();
  });

  it("ticks the expiry and next-refresh countdowns every second", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    vi.setSystemTime(NOW);
    mockBackend({
      get_account: () =>
        detail({ account: account({ accessExpiresAt: NOW + 5 * 60_000, nextRefreshAt: NOW + 2 * 3_600_000 + 65_000 }) }),
    });
    renderDetail();

    const expires = await screen.findByTestId("detail-expires-in");
    expect(expires.textContent?.trim()).toBe("expires in 05:00");
    expect(screen.getByTestId("detail-next-refresh").textContent?.trim()).toBe("in 2 h 01 m");

    vi.advanceTimersByTime(1000);
    await waitFor(() => expect(screen.getByTestId("detail-expires-in").textContent?.trim()).toBe("expires in 04:59"));
    vi.advanceTimersByTime(2000);
    await waitFor(() => expect(screen.getByTestId("detail-expires-in").textContent?.trim()).toBe("expires in 04:57"));
  });

  it("explains why an account is not fresh", async () => {
    mockBackend({
      get_account: () =>
        detail({
          account: account({ status: "reauth", statusCode: "reauth_required", statusMessage: "Google said invalid_grant." }),
        }),
    });
    renderDetail();

    const why = await screen.findByTestId("detail-status-message");
    expect(why.textContent).toContain("This account needs you to sign in again.");
    expect(why.textContent).toContain("Google said invalid_grant.");
  });

  it("shows the balance with quota, used quota and a history plot", async () => {
    const balance = (formatted: string, quota: number, at: number) => ({
      formatted,
      quota,
      usedQuota: 500,
      sampledAt: at,
    });
    mockBackend({
      get_account: () =>
        detail({
          account: account({ provider: "aihubmix", balance: balance("$3.00", 1_500_000, NOW) }),
          balanceHistory: [balance("$3.00", 1_500_000, NOW), balance("$4.00", 2_000_000, NOW - 3_600_000), balance("$5.00", 2_500_000, NOW - 7_200_000)],
        }),
    });
    renderDetail();

    expect((await screen.findByTestId("detail-balance")).textContent).toBe("$3.00");
    expect(screen.getByTestId("detail-quota").textContent).toBe("1,500,000");
    expect(screen.getByTestId("detail-used-quota").textContent).toBe("500");
    const plot = screen.getByTestId("balance-plot");
    const line = plot.querySelector("polyline")?.getAttribute("points")?.split(" ");
    // Oldest (highest) first, at the left and top; newest (lowest) at the right and bottom.
    expect(line).toEqual(["0,6", "150,50", "300,94"]);
    expect(plot.querySelector("svg")?.getAttribute("aria-label")).toContain("highest $5.00, lowest $3.00, latest $3.00");
  });

  it("forecasts the days left and sets, shows and removes a low-balance alert", async () => {
    const balance = { formatted: "$13.00", quota: 6_500_000, usedQuota: 0, sampledAt: NOW };
    let below: number | null = null;
    const backend = mockBackend({
      get_account: () =>
        detail({
          account: account({ provider: "aihubmix", balance, lowBalanceBelow: below }),
          balanceHistory: [balance],
          forecast: { daysLeft: 2.6, spentPerDay: 5, basisDays: 7 },
        }),
      set_low_balance: (args) => {
        below = args.amount as number | null;
        return account({ provider: "aihubmix", balance, lowBalanceBelow: below });
      },
    });
    renderDetail();

    expect((await screen.findByTestId("balance-forecast")).textContent).toBe(
      "About 2 days left at the rate of the last 7 days (5.00 a day).",
    );
    expect(screen.queryByTestId("balance-alert-state")).toBeNull();

    const input = screen.getByLabelText("Alert me when the balance falls below");
    await fireEvent.input(input, { target: { value: "-4" } });
    await fireEvent.click(screen.getByRole("button", { name: "Set alert" }));
    expect(screen.getByRole("alert").textContent).toContain("zero or more");
    expect(backend.called("set_low_balance")).toEqual([]);

    await fireEvent.input(input, { target: { value: "15" } });
    await fireEvent.click(screen.getByRole("button", { name: "Set alert" }));
    await waitFor(() =>
      expect(screen.getByTestId("balance-alert-state").textContent).toContain(
        "The balance is below your alert level of 15.00.",
      ),
    );
    expect(backend.called("set_low_balance").map((c) => c.args)).toEqual([{ id: 1, amount: 15 }]);

    await fireEvent.click(screen.getByRole("button", { name: "Remove alert" }));
    await waitFor(() => expect(screen.queryByTestId("balance-alert-state")).toBeNull());
    expect(backend.called("set_low_balance").map((c) => c.args)[1]).toEqual({ id: 1, amount: null });
  });

  it("says when nothing was spent, or when there is too little history for a forecast", async () => {
    const balance = { formatted: "$13.00", quota: 6_500_000, usedQuota: 0, sampledAt: NOW };
    let forecast: { daysLeft: number | null; spentPerDay: number; basisDays: number } | null = {
      daysLeft: null,
      spentPerDay: 0,
      basisDays: 0.25,
    };
    mockBackend({
      get_account: () =>
        detail({ account: account({ provider: "aihubmix", balance }), balanceHistory: [balance], forecast }),
    });
    renderDetail();
    expect((await screen.findByTestId("balance-forecast")).textContent).toBe("Nothing spent in the last 6 hours.");
    forecast = null;
    cleanup();
    renderDetail();
    await waitFor(() =>
      expect(screen.getByTestId("balance-forecast").textContent).toBe("Not enough history for a forecast yet."),
    );
  });

  it("refreshes now and shows the new last-refresh time", async () => {
    let last = NOW - 3_600_000;
    const backend = mockBackend({
      get_account: () => detail({ account: account({ lastRefreshAt: last }) }),
      refresh_account: () => {
        last = NOW;
        return account({ lastRefreshAt: last });
      },
    });
    renderDetail();

    const before = (await screen.findByTestId("detail-last-refresh")).textContent;
    await fireEvent.click(screen.getByTestId("btn-refresh-now"));

    await waitFor(() => expect(screen.getByTestId("detail-last-refresh").textContent).not.toBe(before));
    expect(backend.called("refresh_account")[0].args).toEqual({ id: 1 });
  });

  it("offers Top up only where the provider has one", async () => {
    const backend = mockBackend({ get_account: () => detail({ canTopUp: true }), open_topup: () => null });
    renderDetail();
    await fireEvent.click(await screen.findByTestId("btn-top-up"));
    expect(backend.called("open_topup")[0].args).toEqual({ id: 1 });
  });

  it("hides Top up where the provider has none", async () => {
    mockBackend({ get_account: () => detail({ canTopUp: false }) });
    renderDetail();
    await screen.findByTestId("btn-refresh-now");
    expect(screen.queryByTestId("btn-top-up")).toBeNull();
  });

  it("shows a failed action's message", async () => {
    mockBackend({
      get_account: () => detail(),
      refresh_account: () => {
        throw { code: "temporary", message: "Google answered 503." };
      },
    });
    renderDetail();
    await fireEvent.click(await screen.findByTestId("btn-refresh-now"));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Google answered 503.");
  });

  it("lists the account's latest activity", async () => {
    mockBackend({
      get_account: () =>
        detail({ activity: [activity({ id: 2, kind: "refresh", outcome: "refreshed" }), activity({ id: 1, kind: "sign_in", outcome: "ok" })] }),
    });
    renderDetail();
    const rows = await screen.findAllByTestId("detail-activity-row");
    expect(rows.map((r) => r.textContent?.includes("Refresh"))).toEqual([true, false]);
    expect(rows[1].textContent).toContain("Sign-in");
  });
});

describe("Remove", () => {
  it("asks first, naming the account and the revocation, and removes only on confirm", async () => {
    const backend = mockBackend({
      get_account: () => detail({ account: account({ id: 4, displayName: "Ada Lovelace", provider: "google" }), canRevoke: true }),
      remove_account: () => ({ revoked: true }),
    });
    const onremoved = renderDetail(4);

    await fireEvent.click(await screen.findByTestId("btn-remove"));

    const dialog = await screen.findByRole("dialog");
    expect(dialog.textContent).toContain("Remove Ada Lovelace (ada@example.com) from Signet and revoke access at google?");
    expect(backend.called("remove_account")).toHaveLength(0);

    await fireEvent.click(screen.getByTestId("btn-confirm-remove"));
    await waitFor(() => expect(backend.called("remove_account")).toHaveLength(1));
    expect(backend.called("remove_account")[0].args).toEqual({ id: 4 });
    expect(onremoved).toHaveBeenCalledWith(expect.objectContaining({ id: 4 }), { revoked: true }, true);
  });

  it("does nothing when the confirmation is cancelled", async () => {
    const backend = mockBackend({ get_account: () => detail({ canRevoke: false }) });
    renderDetail();

    await fireEvent.click(await screen.findByTestId("btn-remove"));
    const dialog = await screen.findByRole("dialog");
    expect(dialog.textContent).toContain("Remove Ada Lovelace (ada@example.com) from Signet?");
    expect(dialog.textContent).not.toContain("revoke access at");

    await fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(backend.called("remove_account")).toHaveLength(0);
  });

  it("sets which programs may get the token and forgets a decision", async () => {
    let policy: "allow" | "ask" | "deny" = "allow";
    let grants = [
      { program: "/usr/bin/git", allowed: true, decidedAt: NOW - 60_000 },
      { program: "/usr/bin/curl", allowed: false, decidedAt: NOW - 120_000 },
    ];
    const current = () => detail({ agentPolicy: policy, agentGrants: grants });
    const backend = mockBackend({
      get_account: current,
      set_agent_policy: (args) => {
        policy = args.policy as typeof policy;
        return current();
      },
      revoke_agent_grant: (args) => {
        grants = grants.filter((g) => g.program !== args.program);
        return current();
      },
    });
    renderDetail();

    const section = await screen.findByTestId("agent-access");
    expect((screen.getByTestId("agent-policy-allow") as HTMLInputElement).checked).toBe(true);
    expect(section.textContent).toContain("/usr/bin/git");
    expect(section.textContent).toContain("refused");

    await fireEvent.click(screen.getByLabelText("Ask me for each program"));
    await waitFor(() => expect((screen.getByTestId("agent-policy-ask") as HTMLInputElement).checked).toBe(true));
    expect(backend.called("set_agent_policy").map((c) => c.args)).toEqual([{ id: 1, policy: "ask" }]);

    await fireEvent.click(screen.getByRole("button", { name: "Forget the decision for /usr/bin/git" }));
    await waitFor(() => expect(screen.getAllByTestId("agent-grant")).toHaveLength(1));
    expect(backend.called("revoke_agent_grant").map((c) => c.args)).toEqual([{ id: 1, program: "/usr/bin/git" }]);
    expect(section.textContent).not.toContain("/usr/bin/git");
  });
});
