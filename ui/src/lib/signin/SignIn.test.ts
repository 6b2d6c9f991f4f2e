// Add-account flow against a mocked engine: choose, wait for the browser, then success, failure or Cancel.
import { emit } from "@tauri-apps/api/event";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../../App.svelte";
import { mockBackend } from "../../test/backend";
import { NOW, account, detail, provider } from "../../test/fixtures";
import type { AccountView } from "../types";

const started = {
  provider: "aihubmix",
  authorizeUrl: "https://aihubmix.com/api/oauth2/authorize?state=abc",
  redirectUri: "signet://oauth/callback/aihubmix",
  expiresAt: Date.now() + 10 * 60_000,
};

async function openWaiting() {
  await fireEvent.click(await screen.findByTestId("btn-add-account"));
  const option = await screen.findByTestId("add-provider-option");
  expect(option.dataset.provider).toBe("aihubmix");
  await fireEvent.click(option);
  return screen.findByTestId("sign-in-waiting");
}

describe("Add account", () => {
  it("waits for the browser, then selects the new account on sign-in-finished", async () => {
    let accounts: AccountView[] = [account({ id: 1 })];
    const added = account({ id: 7, displayName: "New Person", provider: "aihubmix" });
    const backend = mockBackend({
      list_accounts: () => accounts,
      begin_sign_in: () => started,
      get_account: (args) => detail({ account: args.id === 7 ? added : account() }),
    });
    render(App);

    const waiting = await openWaiting();
    expect(waiting.textContent).toContain("Finish signing in in your browser…");
    expect(within(waiting).getByTestId("sign-in-provider").textContent).toBe("aihubmix");
    expect(waiting.querySelector(".spinner")).not.toBeNull();
    expect(backend.called("begin_sign_in")[0].args).toEqual({ provider: "aihubmix", account: null });

    accounts = [...accounts, added];
    await emit("sign-in-finished", { type: "signInFinished", provider: "aihubmix", accountId: 7, error: null });

    await waitFor(() => expect(screen.queryByTestId("sign-in-waiting")).toBeNull());
    expect(screen.queryByRole("dialog")).toBeNull();
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("New Person"));
    const gets = backend.called("get_account");
    expect(gets[gets.length - 1].args).toEqual({ id: 7 });
    const row = screen.getAllByTestId("account-row").find((r) => r.dataset.accountId === "7");
    expect(row?.getAttribute("aria-selected")).toBe("true");
  });

  it("Cancel calls cancel_sign_in and leaves the waiting state", async () => {
    const backend = mockBackend({ begin_sign_in: () => started });
    render(App);
    await openWaiting();

    await fireEvent.click(screen.getByTestId("btn-cancel-sign-in"));

    await waitFor(() => expect(backend.called("cancel_sign_in")).toHaveLength(1));
    expect(backend.called("cancel_sign_in")[0].args).toEqual({ provider: "aihubmix" });
    expect(screen.queryByTestId("sign-in-waiting")).toBeNull();
    // A late event for the cancelled flow changes nothing.
    await emit("sign-in-finished", {
      type: "signInFinished",
      provider: "aihubmix",
      accountId: null,
      error: { code: "sign_in_cancelled", message: "Cancelled." },
    });
    expect(screen.queryByTestId("sign-in-error")).toBeNull();
  });

  it("Escape closes the dialog and cancels the waiting sign-in", async () => {
    const backend = mockBackend({ begin_sign_in: () => started });
    render(App);
    const waiting = await openWaiting();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("btn-cancel-sign-in")));

    await fireEvent.keyDown(waiting, { key: "Escape" });

    expect(screen.queryByRole("dialog")).toBeNull();
    await waitFor(() => expect(backend.called("cancel_sign_in")).toHaveLength(1));
  });

  it("shows a clear failure with Try again", async () => {
    const backend = mockBackend({ begin_sign_in: () => started });
    render(App);
    await openWaiting();

    await emit("sign-in-finished", {
      type: "signInFinished",
      provider: "aihubmix",
      accountId: null,
      error: { code: "subject_mismatch", message: "You signed in as bob, this account is alice." },
    });

    const error = await screen.findByTestId("sign-in-error");
    expect(error.textContent).toContain("You signed in as a different user");
    expect(error.textContent).toContain("You signed in as bob, this account is alice.");

    await fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    await screen.findByTestId("sign-in-waiting");
    expect(backend.called("begin_sign_in")).toHaveLength(2);
  });

  it("shows an error when the sign-in cannot start", async () => {
    mockBackend({
      begin_sign_in: () => {
        throw { code: "setup_problem", message: "aihubmix: the client secret is missing." };
      },
    });
    render(App);
    await fireEvent.click(await screen.findByTestId("btn-add-account"));
    await fireEvent.click(await screen.findByTestId("add-provider-option"));

    const error = await screen.findByTestId("sign-in-error");
    expect(error.textContent).toContain("aihubmix: the client secret is missing.");
  });

  it("marks providers without a client secret and links to Settings", async () => {
    mockBackend({ list_providers: () => [provider({ hasSecret: false })] });
    render(App);
    await fireEvent.click(await screen.findByTestId("btn-add-account"));

    const option = (await screen.findByTestId("add-provider-option")) as HTMLButtonElement;
    expect(option.disabled).toBe(true);
    expect(screen.getByText("Needs a client secret.")).toBeTruthy();

    await fireEvent.click(screen.getByRole("button", { name: "Open Settings" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    await screen.findByRole("heading", { name: "Settings" });
  });
});

describe("Sign in again", () => {
  it("starts a sign-in for that account and waits", async () => {
    const who = account({ id: 3, provider: "aihubmix", status: "reauth", statusMessage: "Signed out." });
    const backend = mockBackend({
      list_accounts: () => [who],
      get_account: () => detail({ account: who }),
      begin_sign_in: () => ({ ...started, expiresAt: NOW }),
    });
    render(App);

    await fireEvent.click(await screen.findByTestId("account-row"));
    await fireEvent.click(await screen.findByTestId("btn-sign-in-again"));

    await screen.findByTestId("sign-in-waiting");
    expect(screen.getByRole("heading", { name: "Sign in again" })).toBeTruthy();
    expect(backend.called("begin_sign_in")[0].args).toEqual({ provider: "aihubmix", account: 3 });
  });
});
