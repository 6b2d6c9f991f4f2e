// Accessibility: axe-core over every screen of the window, in English and in Chinese, against a mocked engine.
import axe from "axe-core";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "./App.svelte";
import { mockBackend } from "./test/backend";
import { NOW, account, activity, detail, provider } from "./test/fixtures";

/** The serious and critical findings on the page now (colour contrast needs a real renderer:
 * jsdom lays nothing out, so that rule is left to the end-to-end screenshots). */
async function findings(screenName: string): Promise<string[]> {
  const result = await axe.run(document.body, { rules: { "color-contrast": { enabled: false } } });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${screenName}: ${v.id} (${v.impact}) — ${v.help}: ${v.nodes.map((n) => n.html).join(" | ")}`);
}

const balance = { formatted: "$13.00", quota: 6_500_000, usedQuota: 100, sampledAt: NOW };

function engine(language: string, providers = [provider()]) {
  return mockBackend({
    get_settings: () => ({ language, notifications: true, launchAtLogin: false }),
    list_providers: () => providers,
    list_accounts: () => [account({ id: 1, displayName: "Ada Lovelace", provider: "aihubmix", balance })],
    get_account: () =>
      detail({
        account: account({ id: 1, displayName: "Ada Lovelace", provider: "aihubmix", balance, lowBalanceBelow: 15 }),
        balanceHistory: [balance, { ...balance, quota: 7_000_000, formatted: "$14.00", sampledAt: NOW - 86_400_000 }],
        forecast: { daysLeft: 2.6, spentPerDay: 5, basisDays: 7 },
        activity: [activity()],
        canTopUp: true,
      }),
    list_activity: () => [activity(), activity({ id: 2, outcome: "refused", code: "bad_callback", count: 4 })],
  });
}

describe("the accessibility check itself", () => {
  it("catches a field without a label and a button without a name", async () => {
    document.body.innerHTML = `<main><input type="text"><button></button></main>`;
    const found = await findings("sample");
    expect(found.some((f) => f.includes("label"))).toBe(true);
    expect(found.some((f) => f.includes("button-name"))).toBe(true);
    document.body.innerHTML = "";
  });
});

describe.each(["en", "zh-CN"])("accessibility in %s", (language) => {
  it("finds nothing serious on Accounts, the detail, the sign-in dialog, Activity and Settings", async () => {
    engine(language);
    render(App);
    await screen.findByText("Ada Lovelace");
    await waitFor(() => expect(document.documentElement.lang).toBe(language));
    const found: string[] = [];

    found.push(...(await findings("accounts")));
    await fireEvent.click(screen.getByText("Ada Lovelace"));
    await screen.findByTestId("balance-forecast");
    found.push(...(await findings("account detail")));

    await fireEvent.click(screen.getByTestId("btn-add-account"));
    await screen.findByRole("dialog");
    found.push(...(await findings("sign-in dialog")));
    await fireEvent.keyDown(screen.getByRole("dialog"), { key: "Escape" });
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());

    await fireEvent.click(screen.getByTestId("nav-activity"));
    await screen.findByRole("heading", { level: 2 });
    found.push(...(await findings("activity")));

    await fireEvent.click(screen.getByTestId("nav-settings"));
    await screen.findByTestId("provider-card");
    found.push(...(await findings("settings")));
    await fireEvent.click(screen.getByTestId("btn-show-add-provider"));
    await screen.findByTestId("provider-form");
    found.push(...(await findings("settings: add provider")));
    await fireEvent.click(screen.getByTestId("btn-remove-provider"));
    found.push(...(await findings("settings: remove provider")));

    expect(found).toEqual([]);
  });

  it("finds nothing serious in the guided first run", async () => {
    engine(language, []);
    render(App);
    await screen.findByTestId("first-run");
    await waitFor(() => expect(document.documentElement.lang).toBe(language));
    expect(await findings("first run")).toEqual([]);
  });
});
