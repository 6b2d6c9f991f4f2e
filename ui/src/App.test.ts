// App tests against a mocked engine: fetching, live updates, errors, notices, first run, language.
import { emit } from "@tauri-apps/api/event";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "./App.svelte";
import type { AccountView, ProviderView } from "./lib/types";
import { applyFirstScreen } from "./lib/firstscreen";
import { firstScreen as firstScreenCall } from "./lib/api";
import { mockBackend } from "./test/backend";
import { account, firstScreen, provider, settings as settingsFixture } from "./test/fixtures";

describe("App", () => {
  it("lists accounts on start and re-fetches on accounts-changed", async () => {
    let stored: AccountView[] = [account({ id: 1, displayName: "Ada Lovelace" })];
    const backend = mockBackend({ list_accounts: () => stored });

    render(App);

    await screen.findByText("Ada Lovelace");
    expect(screen.getByTestId("account-count").textContent).toBe("1 account");

    stored = [...stored, account({ id: 2, displayName: "Grace Hopper", status: "refreshing" })];
    await emit("accounts-changed", { changed: [2], removed: [], all: false });

    await screen.findByText("Grace Hopper");
    expect(screen.getByTestId("account-count").textContent).toBe("2 accounts");
    expect(screen.getAllByTestId("account-status").map((el) => el.textContent?.trim())).toEqual([
      "Fresh",
      "Refreshing…",
    ]);
    expect(backend.called("list_accounts")).toHaveLength(2);
  });

  it("reloads the list once for a batch naming a thousand accounts, and once for a reload-all", async () => {
    const backend = mockBackend({
      list_accounts: () => [account({ id: 1, displayName: "Ada Lovelace" }), account({ id: 2, displayName: "Grace Hopper" })],
    });
    render(App);
    await screen.findByText("Ada Lovelace");
    const before = backend.called("list_accounts").length;
    await emit("accounts-changed", { changed: Array.from({ length: 1000 }, (_, i) => i + 1), removed: [], all: false });
    await waitFor(() => expect(backend.called("list_accounts")).toHaveLength(before + 1));
    await emit("accounts-changed", { changed: [], removed: [], all: true });
    await waitFor(() => expect(backend.called("list_accounts")).toHaveLength(before + 2));
  });

  it("shows the empty state when providers exist but there are no accounts", async () => {
    mockBackend({ list_accounts: () => [] });

    render(App);

    await screen.findByTestId("accounts-empty");
    expect(screen.getByTestId("account-count").textContent).toBe("0 accounts");
    expect(screen.queryByTestId("first-run")).toBeNull();
  });

  it("puts a command error's message in an alert", async () => {
    mockBackend({
      list_accounts: () => {
        throw { code: "store_locked", message: "The keyring is locked." };
      },
    });

    render(App);

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The keyring is locked.");
    expect(screen.queryByTestId("account-count")).toBeNull();
    expect(screen.queryByTestId("accounts-empty")).toBeNull();
  });

  it("runs Refresh all and shows its outcome", async () => {
    const backend = mockBackend({ refresh_all: () => ({ refreshed: 12, failed: 1 }) });

    render(App);
    await fireEvent.click(await screen.findByTestId("btn-refresh-all"));

    await waitFor(() => expect(screen.getByTestId("refresh-all-result").textContent).toBe("12 refreshed, 1 failed"));
    expect(backend.called("refresh_all")).toHaveLength(1);
  });

  it("shows a notice as a dismissible warning banner", async () => {
    mockBackend();
    render(App);
    await screen.findByText("Ada Lovelace");

    await emit("notice", { code: "unknown_sign_in", message: "A sign-in link for aihubmix did not match." });

    const banner = await screen.findByTestId("notice");
    expect(banner.getAttribute("role")).toBe("alert");
    expect(banner.textContent).toContain("A sign-in link arrived that Signet did not start");
    expect(banner.textContent).toContain("A sign-in link for aihubmix did not match.");

    await fireEvent.click(within(banner).getByRole("button", { name: "Dismiss" }));
    expect(screen.queryByTestId("notice")).toBeNull();
  });

  it("navigates between Accounts, Activity and Settings", async () => {
    const backend = mockBackend();
    render(App);
    await screen.findByText("Ada Lovelace");

    await fireEvent.click(screen.getByTestId("nav-activity"));
    expect(screen.getByTestId("nav-activity").getAttribute("aria-current")).toBe("page");
    await screen.findByRole("heading", { name: "Activity" });
    await waitFor(() => expect(backend.called("list_activity")).toEqual([{ cmd: "list_activity", args: { limit: 200 } }]));

    await fireEvent.click(screen.getByTestId("nav-settings"));
    await screen.findByRole("heading", { name: "Settings" });

    await fireEvent.click(screen.getByTestId("nav-accounts"));
    await screen.findByText("Ada Lovelace");
  });
});

describe("language", () => {
  it("retranslates the whole window as soon as the language is switched", async () => {
    const backend = mockBackend();
    render(App);
    await screen.findByText("Ada Lovelace");
    await fireEvent.click(screen.getByTestId("nav-settings"));

    const select = (await screen.findByTestId("select-language")) as HTMLSelectElement;
    select.value = "zh-CN";
    await fireEvent.change(select);

    expect(screen.getByTestId("nav-accounts").textContent?.trim()).toBe("账户");
    expect(screen.getByTestId("nav-settings").textContent?.trim()).toBe("设置");
    expect(screen.getByRole("heading", { level: 2 }).textContent).toBe("设置");
    await waitFor(() => expect(backend.called("set_settings")).toHaveLength(1));
    expect(backend.called("set_settings")[0].args).toEqual({
      settings: { language: "zh-CN", notifications: true, launchAtLogin: false },
    });

    await fireEvent.click(screen.getByTestId("nav-accounts"));
    expect(screen.getByTestId("btn-add-account").textContent).toContain("添加账户");
    expect(screen.getAllByTestId("account-status")[0].textContent?.trim()).toBe("有效");
    expect(document.documentElement.lang).toBe("zh-CN");
  });

  it("starts in the language stored in the settings", async () => {
    mockBackend({ get_settings: () => ({ language: "zh-CN", notifications: true, launchAtLogin: false }) });
    render(App);

    await waitFor(() => expect(screen.getByTestId("nav-activity").textContent?.trim()).toBe("活动"));
  });
});

describe("start-up", () => {
  it("shows the first screen found before mounting, without asking again for the list or the preferences", async () => {
    const backend = mockBackend();
    const first = Promise.resolve(firstScreen({ accounts: [account({ id: 7, displayName: "Prefetched Person" })] }));
    render(App, { props: { first } });

    await screen.findByText("Prefetched Person");
    await waitFor(() => expect(backend.called("account_changes")).toHaveLength(1));
    expect(backend.called("list_accounts")).toHaveLength(0);
    expect(backend.called("get_settings")).toHaveLength(0);

    await emit("accounts-changed", { changed: [7], removed: [], all: false });
    await waitFor(() => expect(backend.called("list_accounts")).toHaveLength(1));
  });

  it("mounts with the list when the first screen came inside the page", () => {
    const backend = mockBackend();
    const first = firstScreen({
      accounts: [account({ id: 7, displayName: "In The Page" })],
      settings: settingsFixture({ language: "zh-CN" }),
    });
    render(App, { props: { first: applyFirstScreen(first, document.documentElement) } });

    // No await: the first frame has the rows, in the stored language.
    expect(screen.getByText("In The Page")).toBeTruthy();
    expect(screen.getByTestId("nav-activity").textContent?.trim()).toBe("活动");
    expect(backend.called("list_accounts")).toHaveLength(0);
    expect(backend.called("first_screen")).toHaveLength(0);
  });

  it("reads the list again when accounts changed before it was listening", async () => {
    const backend = mockBackend({
      // Two batches of changes went out between the first screen's read and the subscription.
      account_changes: () => 2,
      list_accounts: () => [account({ id: 7, displayName: "Refreshed Since" })],
    });
    const first = Promise.resolve(firstScreen({ accounts: [account({ id: 7, displayName: "Read At Start" })] }));
    render(App, { props: { first } });

    await screen.findByText("Refreshed Since");
    expect(screen.queryByText("Read At Start")).toBeNull();
    expect(backend.called("list_accounts")).toHaveLength(1);
  });

  it("asks for the preferences on their own when the first screen could not be read", async () => {
    const backend = mockBackend({
      get_settings: () => ({ language: "zh-CN", notifications: true, launchAtLogin: false }),
    });
    const first = Promise.reject({ code: "storage", message: "The database could not be read." });
    render(App, { props: { first } });

    await waitFor(() => expect(screen.getByTestId("nav-activity").textContent?.trim()).toBe("活动"));
    expect(backend.called("get_settings")).toHaveLength(1);
  });

  it("draws the first list in the preferred language and the desktop's font, from one answer", async () => {
    const backend = mockBackend({
      first_screen: () =>
        firstScreen({
          accounts: [account({ id: 7, displayName: "Prefetched Person" })],
          settings: settingsFixture({ language: "zh-CN" }),
          desktopFont: 'Noto "Sans" CJK',
        }),
    });
    const seen: string[] = [];
    const first = applyFirstScreen(firstScreenCall(), document.documentElement).then((answer) => {
      // What the list is drawn in, as it arrives.
      seen.push(document.documentElement.lang, document.documentElement.style.getPropertyValue("--desktop-font"));
      return answer;
    });
    render(App, { props: { first } });

    await screen.findByText("Prefetched Person");
    expect(seen).toEqual(["zh-CN", '"Noto \\"Sans\\" CJK"']);
    expect(screen.getByTestId("nav-activity").textContent?.trim()).toBe("活动");
    expect(backend.called("first_screen")).toHaveLength(1);
    expect(backend.called("list_accounts")).toHaveLength(0);
    expect(backend.called("get_settings")).toHaveLength(0);
  });

  it("reports the first frame with the list to the shell, once", async () => {
    const backend = mockBackend();
    render(App);

    await screen.findByText("Ada Lovelace");
    await waitFor(() => expect(backend.called("window_ready")).toHaveLength(1));
    await emit("accounts-changed", { changed: [1], removed: [], all: false });
    await waitFor(() => expect(backend.called("list_accounts").length).toBeGreaterThan(1));
    expect(backend.called("window_ready")).toHaveLength(1);
  });

  it("reports the first frame also when the list cannot be read, with the error on it", async () => {
    const backend = mockBackend({
      list_accounts: () => {
        throw { code: "storage", message: "The database is damaged." };
      },
    });
    render(App);

    await waitFor(() => expect(backend.called("window_ready").length).toBeGreaterThan(0));
    expect(document.body.textContent).toContain("The database is damaged.");
  });
});

describe("keyring trouble", () => {
  const trouble = {
    state: "trouble",
    error: { code: "keyring_timeout", message: "Your system keyring did not answer within 10 seconds. Nothing was saved." },
  };

  it("lists the accounts, says in words what is wrong, and clears the warning when the keyring is back", async () => {
    mockBackend({ keyring_status: () => trouble });
    render(App);

    await screen.findByText("Ada Lovelace");
    const banner = await screen.findByTestId("keyring-banner");
    expect(banner.textContent).toContain("Signet cannot use your system keyring");
    expect(banner.textContent).toContain("The system keyring did not answer in time.");
    expect(banner.textContent).toContain("nothing is lost");

    await emit("keyring-changed", { state: "ok" });
    await waitFor(() => expect(screen.queryByTestId("keyring-banner")).toBeNull());
  });

  it("a locked keyring asks to be unlocked, in Chinese too", async () => {
    mockBackend({
      get_settings: () => ({ language: "zh-CN", notifications: true, launchAtLogin: false }),
      keyring_status: () => ({ state: "ok" }),
    });
    render(App);
    await emit("keyring-changed", { state: "trouble", error: { code: "keyring_locked", message: "locked" } });

    const banner = await screen.findByTestId("keyring-banner");
    await waitFor(() => expect(banner.textContent).toContain("系统钥匙串已锁定"));
    expect(banner.textContent).toContain("请解锁钥匙串");
  });

  it("Settings says a secret could not be checked, not that it is missing", async () => {
    mockBackend({ list_providers: () => [provider({ hasSecret: false, secretError: "keyring_timeout" })] });
    render(App);
    await fireEvent.click(screen.getByTestId("nav-settings"));

    const status = await screen.findByTestId("secret-status");
    expect(status.textContent?.trim()).toBe("cannot check: the keyring is not usable right now");
  });
});

describe("first run", () => {
  it("opens on the guide when the first screen says no provider is configured, never on an empty list", async () => {
    let answer: (providers: ProviderView[]) => void = () => undefined;
    // The provider list is slow to come (its "secret stored" asks the keyring).
    const backend = mockBackend({ list_providers: () => new Promise((done) => (answer = done)) });
    const first = firstScreen({ accounts: [], providers: 0 });
    render(App, { props: { first } });

    expect(screen.queryByTestId("accounts-empty")).toBeNull();
    expect(screen.queryByTestId("btn-add-account")).toBeNull();
    await screen.findByTestId("first-run");
    expect(backend.called("list_providers")).toHaveLength(1);
    answer([]);
    await waitFor(() => expect(screen.getByTestId("first-run")).toBeTruthy());
    expect(screen.queryByTestId("accounts-empty")).toBeNull();
  });

  it("shows the guided setup instead of an empty list when no provider is configured", async () => {
    let providers: ProviderView[] = [];
    const added = provider({ name: "aihubmix", redirectUri: "signet://oauth/callback/aihubmix" });
    const backend = mockBackend({
      list_providers: () => providers,
      list_accounts: () => [],
      add_provider: () => {
        providers = [added];
        return added;
      },
    });

    render(App);

    const firstRun = await screen.findByTestId("first-run");
    expect(firstRun.textContent).toContain("What are a client id and a client secret?");
    expect(firstRun.textContent).toContain("developer console");
    expect(screen.queryByTestId("accounts-empty")).toBeNull();

    await fireEvent.input(screen.getByTestId("provider-client-id"), { target: { value: "my-client" } });
    await fireEvent.input(screen.getByTestId("provider-client-secret"), { target: { value: "hunter2-secret" } });
    await fireEvent.submit(screen.getByTestId("provider-form"));

    await waitFor(() => expect(backend.called("add_provider")).toHaveLength(1));
    expect(backend.called("add_provider")[0].args).toEqual({
      provider: {
        name: "aihubmix",
        kind: "aihubmix",
        clientId: "my-client",
        clientSecret: "hunter2-secret",
        baseUrl: "https://aihubmix.com",
        redirect: "deep-link",
      },
    });

    // The guide stays up to show what to register, and never shows the secret.
    const uri = await within(firstRun).findByTestId("redirect-uri");
    expect((uri.querySelector("input") as HTMLInputElement).value).toBe("signet://oauth/callback/aihubmix");
    expect(document.body.innerHTML).not.toContain("hunter2-secret");

    await fireEvent.click(screen.getByTestId("btn-first-run-done"));
    expect(screen.queryByTestId("first-run")).toBeNull();
    expect(await screen.findByTestId("add-provider-option")).toBeTruthy();
  });

  it("asks for an issuer and defaults to a loopback redirect for OpenID Connect", async () => {
    const backend = mockBackend({
      list_providers: () => [],
      list_accounts: () => [],
      add_provider: (args) => provider({ name: (args.provider as { name: string }).name, kind: "oidc" }),
    });
    render(App);
    await screen.findByTestId("first-run");

    const kind = screen.getByTestId("provider-kind") as HTMLSelectElement;
    kind.value = "oidc";
    await fireEvent.change(kind);
    expect(screen.queryByTestId("provider-base-url")).toBeNull();

    await fireEvent.input(screen.getByTestId("provider-name"), { target: { value: "corp" } });
    await fireEvent.input(screen.getByTestId("provider-client-id"), { target: { value: "abc" } });
    await fireEvent.submit(screen.getByTestId("provider-form"));
    // No issuer yet: nothing is sent, and the field says why.
    expect(backend.called("add_provider")).toHaveLength(0);
    expect(screen.getByText("Enter a full URL starting with https://")).toBeTruthy();

    await fireEvent.input(screen.getByTestId("provider-issuer"), { target: { value: "https://login.example.com" } });
    await fireEvent.submit(screen.getByTestId("provider-form"));
    await waitFor(() => expect(backend.called("add_provider")).toHaveLength(1));
    expect(backend.called("add_provider")[0].args.provider).toEqual({
      name: "corp",
      kind: "oidc",
      clientId: "abc",
      issuer: "https://login.example.com",
      redirect: "loopback",
    });
  });
});
