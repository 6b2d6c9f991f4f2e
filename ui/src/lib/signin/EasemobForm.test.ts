// Adding an Easemob account with the form (no browser): validation, exact payload, errors, secrets, prefills.
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../../App.svelte";
import { mockBackend } from "../../test/backend";
import { account, detail, provider } from "../../test/fixtures";
import type { AccountView } from "../types";

const PASSWORD = "pw-very-secret-1";
const APP_SECRET = "YXA6-app-secret-2";

const easemobProvider = provider({
  name: "easemob-chat",
  kind: "easemob",
  clientId: "YXA6id",
  hasSecret: true,
  requiresSecret: false,
  direct: true,
  redirectUri: "",
  baseUrl: "https://a1.easemob.com",
  appKey: "corp#chat",
});

const input = (testid: string) => screen.getByTestId(testid) as HTMLInputElement;

async function type(testid: string, value: string) {
  await fireEvent.input(input(testid), { target: { value } });
}

async function openNewEasemob() {
  await fireEvent.click(await screen.findByTestId("btn-add-account"));
  await fireEvent.click(await screen.findByTestId("add-easemob-option"));
  return screen.findByTestId("easemob-form");
}

async function fillApp() {
  await type("easemob-host", "a1.easemob.com");
  await type("easemob-org", "corp");
  await type("easemob-app", "chat");
  await type("easemob-user", "bob");
}

describe("Easemob form", () => {
  it("is offered without any Easemob provider and asks for a password or app credentials", async () => {
    const backend = mockBackend();
    render(App);
    await openNewEasemob();
    expect(backend.called("begin_sign_in")).toHaveLength(0);
    expect(input("easemob-host").placeholder).toBe("a1.easemob.com");
    expect(input("easemob-password").type).toBe("password");
    expect(input("easemob-client-secret").type).toBe("password");

    await fireEvent.submit(screen.getByTestId("easemob-form"));
    expect(screen.getByText("Enter the REST host from the console, e.g. a1.easemob.com.")).toBeTruthy();
    expect(screen.getByText("Enter the user ID.")).toBeTruthy();

    await fillApp();
    await fireEvent.submit(screen.getByTestId("easemob-form"));
    expect(screen.getByTestId("easemob-credentials-hint").textContent?.trim()).toBe("Fill in the password, the app credentials, or both.");
    expect(screen.getByTestId("easemob-credentials-hint").classList.contains("error-text")).toBe(true);

    await type("easemob-client-secret", APP_SECRET);
    await fireEvent.submit(screen.getByTestId("easemob-form"));
    expect(screen.getByTestId("easemob-credentials-hint").textContent?.trim()).toBe("App credentials need both the Client ID and the Client Secret.");
    expect(backend.called("add_easemob_account")).toHaveLength(0);
  });

  it("sends exactly what was typed, then closes and selects the new account", async () => {
    let accounts: AccountView[] = [account({ id: 1 })];
    const added = account({ id: 8, provider: "easemob-chat", providerKind: "easemob", displayName: "bob", email: null });
    const backend = mockBackend({
      list_accounts: () => accounts,
      add_easemob_account: () => {
        accounts = [...accounts, added];
        return added;
      },
      get_account: (args) => detail({ account: args.id === 8 ? added : account() }),
    });
    render(App);
    await openNewEasemob();
    await fillApp();
    await type("easemob-password", PASSWORD);
    await type("easemob-client-id", " YXA6id ");
    await type("easemob-client-secret", APP_SECRET);
    await type("easemob-ttl", "0");
    await fireEvent.click(screen.getByTestId("easemob-vip5"));
    await fireEvent.click(screen.getByTestId("easemob-submit"));

    await waitFor(() => expect(backend.called("add_easemob_account")).toHaveLength(1));
    expect(backend.called("add_easemob_account")[0].args).toEqual({
      account: {
        host: "a1.easemob.com",
        orgName: "corp",
        appName: "chat",
        username: "bob",
        password: PASSWORD,
        clientId: "YXA6id",
        clientSecret: APP_SECRET,
        ttl: 0,
        vip5: true,
      },
    });
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("bob"));
    const row = screen.getAllByTestId("account-row").find((r) => r.dataset.accountId === "8");
    expect(row?.getAttribute("aria-selected")).toBe("true");
    // A new provider entry may have been created for the app.
    expect(backend.called("list_providers").length).toBeGreaterThan(1);
    expect(document.body.innerHTML).not.toContain(PASSWORD);
  });

  it("sends only the password when that is all that was given", async () => {
    const backend = mockBackend({ add_easemob_account: () => account({ id: 1 }), get_account: () => detail() });
    render(App);
    await openNewEasemob();
    await fillApp();
    await type("easemob-org", "corp#chat2");
    expect(input("easemob-org").value).toBe("corp");
    expect(input("easemob-app").value).toBe("chat2");
    await type("easemob-password", PASSWORD);
    await fireEvent.click(screen.getByTestId("easemob-submit"));

    await waitFor(() => expect(backend.called("add_easemob_account")).toHaveLength(1));
    expect(backend.called("add_easemob_account")[0].args).toEqual({
      account: { host: "a1.easemob.com", orgName: "corp", appName: "chat2", username: "bob", password: PASSWORD },
    });
  });

  it("shows a failure inline, keeps what was typed and clears the secrets", async () => {
    mockBackend({
      add_easemob_account: () => {
        throw { code: "setup_problem", message: "Easemob refused the password for bob (invalid_grant)." };
      },
    });
    render(App);
    await openNewEasemob();
    await fillApp();
    await type("easemob-password", PASSWORD);
    await type("easemob-client-id", "YXA6id");
    await type("easemob-client-secret", APP_SECRET);
    await fireEvent.click(screen.getByTestId("easemob-submit"));

    const error = await screen.findByTestId("easemob-error");
    expect(error.textContent).toContain("The provider's setup needs fixing");
    expect(error.textContent).toContain("Easemob refused the password for bob (invalid_grant).");
    expect(screen.getByTestId("easemob-form")).toBeTruthy();
    expect([input("easemob-host"), input("easemob-org"), input("easemob-app"), input("easemob-user"), input("easemob-client-id")].map((i) => i.value))
      .toEqual(["a1.easemob.com", "corp", "chat", "bob", "YXA6id"]);
    expect(input("easemob-password").value).toBe("");
    expect(input("easemob-client-secret").value).toBe("");
    expect(document.body.innerHTML).not.toContain(PASSWORD);
    expect(document.body.innerHTML).not.toContain(APP_SECRET);
  });

  it("rejects a token lifetime that is not a whole number of seconds", async () => {
    const backend = mockBackend();
    render(App);
    await openNewEasemob();
    await fillApp();
    await type("easemob-password", PASSWORD);
    await type("easemob-ttl", "1.5");
    await fireEvent.submit(screen.getByTestId("easemob-form"));
    expect(screen.getByText("Enter a whole number of seconds (0 = never expires), or leave it empty.")).toBeTruthy();
    expect(backend.called("add_easemob_account")).toHaveLength(0);
  });

  it("prefills host, org, app and client id from an existing Easemob provider", async () => {
    mockBackend({ list_providers: () => [provider(), { ...easemobProvider, hasSecret: false }] });
    render(App);
    await fireEvent.click(await screen.findByTestId("btn-add-account"));
    const option = (await screen.findAllByTestId("add-provider-option")).find((o) => o.dataset.provider === "easemob-chat");
    expect((option as HTMLButtonElement).disabled).toBe(false);
    expect(option?.textContent).toContain("corp#chat");
    expect(screen.queryByText("Needs a client secret.")).toBeNull();
    expect(screen.getByTestId("add-easemob-option").textContent).toContain("Another Easemob app");
    await fireEvent.click(option as HTMLElement);

    await screen.findByTestId("easemob-form");
    expect([input("easemob-host"), input("easemob-org"), input("easemob-app"), input("easemob-user"), input("easemob-client-id")].map((i) => i.value))
      .toEqual(["a1.easemob.com", "corp", "chat", "", "YXA6id"]);
    expect(input("easemob-host").readOnly).toBe(false);
    // The lifetime is per account and VIP5 updates the app's entry: both still offered.
    expect(screen.getByTestId("easemob-ttl")).toBeTruthy();
    expect(screen.getByTestId("easemob-vip5")).toBeTruthy();

    await fireEvent.click(screen.getByRole("button", { name: "Back" }));
    expect(await screen.findByTestId("add-easemob-option")).toBeTruthy();
  });

  it("signs an Easemob account in again with the form, prefilled from its profile", async () => {
    const who = account({
      id: 9,
      provider: "easemob-chat",
      providerKind: "easemob",
      displayName: "Bobby",
      email: null,
      status: "reauth",
      profile: { host: "https://a1.easemob.com", appKey: "corp#chat", username: "bob", nickname: "Bobby" },
    });
    const backend = mockBackend({
      list_accounts: () => [who],
      list_providers: () => [easemobProvider],
      get_account: () => detail({ account: who, direct: true }),
      add_easemob_account: () => who,
    });
    render(App);
    await fireEvent.click(await screen.findByTestId("account-row"));
    await fireEvent.click(await screen.findByTestId("btn-sign-in-again"));

    await screen.findByTestId("easemob-form");
    expect(screen.getByRole("heading", { name: "Sign in again" })).toBeTruthy();
    expect(backend.called("begin_sign_in")).toHaveLength(0);
    const fields = [input("easemob-host"), input("easemob-org"), input("easemob-app"), input("easemob-user")];
    expect(fields.map((i) => i.value)).toEqual(["a1.easemob.com", "corp", "chat", "bob"]);
    expect(fields.every((i) => i.readOnly)).toBe(true);
    expect(screen.getByTestId("easemob-form").textContent).toContain("to sign bob in");
    expect(screen.queryByTestId("easemob-ttl")).toBeNull();

    await type("easemob-password", PASSWORD);
    await fireEvent.click(screen.getByTestId("easemob-submit"));
    await waitFor(() => expect(backend.called("add_easemob_account")).toHaveLength(1));
    expect(backend.called("add_easemob_account")[0].args).toEqual({
      account: { host: "a1.easemob.com", orgName: "corp", appName: "chat", username: "bob", password: PASSWORD, clientId: "YXA6id" },
    });
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });
});
