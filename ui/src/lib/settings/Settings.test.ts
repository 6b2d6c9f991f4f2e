// Settings against a mocked engine: secrets are write-only, providers can be added, toggles are saved.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { mockBackend } from "../../test/backend";
import { provider, settings } from "../../test/fixtures";
import { KINDS, TEST_ONLY_KINDS, windowWith } from "../../test/window";
import type { KindView } from "../bindings/KindView";
import type { ProviderView } from "../types";
import SettingsScreen from "./SettingsScreen.svelte";

const SECRET = "cs-very-secret-value-42";

function renderSettings(overrides: { providers?: ProviderView[]; kinds?: KindView[] } = {}) {
  const win = windowWith({ providers: [provider({ hasSecret: false })], settings: settings(), ...overrides });
  render(SettingsScreen, { context: win.context });
  return { onproviderschanged: win.reloadProviders, onsettings: win.settingsSaved };
}

describe("Settings: client secrets", () => {
  it("sends a secret once, clears the field, says saved, and never shows it", async () => {
    const backend = mockBackend({ set_client_secret: () => null });
    const props = renderSettings();

    const card = screen.getByTestId("provider-card");
    expect(within(card).getByTestId("secret-status").textContent?.trim()).toBe("not set");
    const input = within(card).getByTestId("secret-input") as HTMLInputElement;
    expect(input.type).toBe("password");
    expect(input.value).toBe("");

    await fireEvent.input(input, { target: { value: SECRET } });
    await fireEvent.click(within(card).getByTestId("btn-save-secret"));

    await waitFor(() => expect(within(card).getByTestId("secret-saved").textContent).toBe("Saved."));
    expect(backend.called("set_client_secret")).toEqual([
      { cmd: "set_client_secret", args: { provider: "aihubmix", secret: SECRET } },
    ]);
    expect(input.value).toBe("");
    expect(props.onproviderschanged).toHaveBeenCalled();
    expect(document.body.innerHTML).not.toContain(SECRET);
    for (const el of document.querySelectorAll("input")) expect(el.value).not.toBe(SECRET);
  });

  it("clears the field even when saving fails, and shows why", async () => {
    mockBackend({
      set_client_secret: () => {
        throw { code: "keyring_locked", message: "The login keyring is locked." };
      },
    });
    renderSettings();
    const input = screen.getByTestId("secret-input") as HTMLInputElement;

    await fireEvent.input(input, { target: { value: SECRET } });
    await fireEvent.click(screen.getByTestId("btn-save-secret"));

    expect((await screen.findByRole("alert")).textContent).toContain("The system keyring is locked.");
    expect(input.value).toBe("");
    expect(screen.getByTestId("secret-saved").textContent).toBe("");
    expect(document.body.innerHTML).not.toContain(SECRET);
  });

  it("shows only whether a secret exists, and where it comes from", () => {
    mockBackend();
    renderSettings({
      providers: [
        provider({ name: "a", hasSecret: true }),
        provider({ name: "b", hasSecret: true, secretEnv: "SIGNET_B_SECRET" }),
      ],
    });
    const status = screen.getAllByTestId("secret-status").map((el) => el.textContent?.trim());
    expect(status).toEqual(["stored in the keyring", "from the environment variable SIGNET_B_SECRET"]);
  });

  it("adds a provider from Settings, then shows its redirect URI without the secret", async () => {
    const added = provider({ name: "corp", kind: "oidc", redirectUri: "http://127.0.0.1:*/callback/corp", issuer: "https://id.example.com", baseUrl: null });
    const backend = mockBackend({ add_provider: () => added });
    const props = renderSettings();

    await fireEvent.click(screen.getByTestId("btn-show-add-provider"));
    const kind = screen.getByTestId("provider-kind") as HTMLSelectElement;
    kind.value = "oidc";
    await fireEvent.change(kind);
    await fireEvent.input(screen.getByTestId("provider-name"), { target: { value: "corp" } });
    await fireEvent.input(screen.getByTestId("provider-client-id"), { target: { value: "corp-app" } });
    await fireEvent.input(screen.getByTestId("provider-client-secret"), { target: { value: SECRET } });
    await fireEvent.input(screen.getByTestId("provider-issuer"), { target: { value: "https://id.example.com" } });
    await fireEvent.submit(screen.getByTestId("provider-form"));

    await waitFor(() => expect(backend.called("add_provider")).toHaveLength(1));
    expect(props.onproviderschanged).toHaveBeenCalled();
    const uri = within(await screen.findByTestId("provider-added")).getByTestId("redirect-uri");
    expect((uri.querySelector("input") as HTMLInputElement).value).toBe("http://127.0.0.1:*/callback/corp");
    expect(uri.textContent).toContain("“*” stands for any port");
    expect(screen.queryByTestId("provider-form")).toBeNull();
    expect(document.body.innerHTML).not.toContain(SECRET);
    // The secret went to add_provider only, never to any other command.
    const elsewhere = backend.calls.filter((c) => c.cmd !== "add_provider" && JSON.stringify(c.args).includes(SECRET));
    expect(elsewhere).toEqual([]);
  });

  it("shows the engine's reason when a provider cannot be added", async () => {
    mockBackend({
      add_provider: () => {
        throw { code: "config", message: 'A provider named "aihubmix" already exists.' };
      },
    });
    renderSettings();
    await fireEvent.click(screen.getByTestId("btn-show-add-provider"));
    await fireEvent.input(screen.getByTestId("provider-client-id"), { target: { value: "x" } });
    await fireEvent.submit(screen.getByTestId("provider-form"));

    const error = await screen.findByTestId("provider-form-error");
    expect(error.textContent).toContain('A provider named "aihubmix" already exists.');
  });
});

describe("Settings: preferences", () => {
  it("saves launch at login and notifications with set_settings", async () => {
    const backend = mockBackend();
    const props = renderSettings();

    await fireEvent.click(screen.getByTestId("toggle-launch-at-login"));
    await waitFor(() => expect(backend.called("set_settings")).toHaveLength(1));
    expect(backend.called("set_settings")[0].args).toEqual({
      settings: { language: "en", notifications: true, launchAtLogin: true },
    });
    expect(props.onsettings).toHaveBeenLastCalledWith({ language: "en", notifications: true, launchAtLogin: true });
  });

  it("goes back to the stored setting when saving fails", async () => {
    mockBackend({
      set_settings: () => {
        throw { code: "storage", message: "Disk full." };
      },
    });
    const props = renderSettings();

    await fireEvent.click(screen.getByTestId("toggle-notifications"));
    expect((await screen.findByRole("alert")).textContent).toContain("Disk full.");
    expect(props.onsettings).toHaveBeenLastCalledWith(settings());
  });
});

describe("Settings: editing and removing a provider", () => {
  it("edits an entry in place: kind and name fixed, an emptied field sent empty, the secret kept unless typed", async () => {
    const oidc = provider({
      name: "corp",
      kind: "oidc",
      issuer: "https://login.example.com",
      baseUrl: null,
      redirectUri: "http://127.0.0.1:*/callback/corp",
      entry: {
        name: "corp",
        kind: "oidc",
        clientId: "client-123",
        issuer: "https://login.example.com",
        scopes: ["openid", "email"],
        redirect: "loopback",
        redirectPort: 8400,
      },
    });
    const backend = mockBackend({ update_provider: () => oidc });
    const props = renderSettings({ providers: [oidc] });

    await fireEvent.click(screen.getByTestId("btn-edit-provider"));
    const form = screen.getByTestId("provider-form");
    expect((within(form).getByTestId("provider-kind") as HTMLSelectElement).disabled).toBe(true);
    const name = within(form).getByTestId("provider-name") as HTMLInputElement;
    expect(name.value).toBe("corp");
    expect(name.readOnly).toBe(true);
    expect((within(form).getByTestId("provider-issuer") as HTMLInputElement).value).toBe("https://login.example.com");
    const scopes = within(form).getByTestId("provider-scopes") as HTMLInputElement;
    expect(scopes.value).toBe("openid email");
    expect((within(form).getByTestId("provider-client-secret") as HTMLInputElement).value).toBe("");

    await fireEvent.input(scopes, { target: { value: "" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));

    await waitFor(() => expect(backend.called("update_provider")).toHaveLength(1));
    const sent = backend.called("update_provider")[0].args as { name: string; provider: Record<string, unknown> };
    expect(sent.name).toBe("corp");
    expect(sent.provider).toMatchObject({ name: "corp", kind: "oidc", clientId: "client-123", scopes: [], redirectPort: 8400 });
    expect(sent.provider.clientSecret).toBeUndefined();
    await waitFor(() => expect(screen.queryByTestId("provider-form")).toBeNull());
    expect(props.onproviderschanged).toHaveBeenCalled();
  });

  it("says what happens to the accounts before removing, and removes only when confirmed", async () => {
    const backend = mockBackend({ remove_provider: () => ({ accounts: 3, notRevoked: 1 }) });
    const props = renderSettings({ providers: [provider({ accounts: 3 })] });
    expect(screen.getByTestId("provider-accounts").textContent).toBe("3");

    await fireEvent.click(screen.getByTestId("btn-remove-provider"));
    expect(screen.getByTestId("provider-remove-consequence").textContent).toBe(
      "Its 3 accounts are removed from Signet too: access is revoked at aihubmix where it can be, and their tokens are deleted from this computer.",
    );
    await fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(backend.called("remove_provider")).toEqual([]);

    await fireEvent.click(screen.getByTestId("btn-remove-provider"));
    await fireEvent.click(screen.getByRole("button", { name: "Remove provider and accounts" }));
    await waitFor(() =>
      expect(screen.getByTestId("provider-removed").textContent).toBe(
        "aihubmix was removed, with its accounts (3). aihubmix did not confirm the revocation of 1 of them: their access may keep working there until it expires.",
      ),
    );
    expect(backend.called("remove_provider").map((c) => c.args)).toEqual([{ name: "aihubmix" }]);
    expect(props.onproviderschanged).toHaveBeenCalled();
  });
});

describe("Settings: a kind of provider is whatever the engine declares", () => {
  // The engine's example provider (core/src/provider/example.rs: one file and its registry line)
  // as the engine describes it: the form offers it and asks for what it requires, with no
  // window code of its own.
  it("offers the one-file example provider with its own fields, and sends them", async () => {
    const added = provider({ name: "demo", kind: "example", redirectUri: "http://127.0.0.1:*/callback/demo", baseUrl: null });
    const backend = mockBackend({ add_provider: () => added });
    renderSettings({ kinds: [...KINDS, ...TEST_ONLY_KINDS] });

    await fireEvent.click(screen.getByTestId("btn-show-add-provider"));
    const kind = screen.getByTestId("provider-kind") as HTMLSelectElement;
    expect([...kind.options].map((o) => o.textContent)).toContain("Example OAuth");
    kind.value = "example";
    await fireEvent.change(kind);
    const keys = ["authorize_url", "token_url", "userinfo_url"];
    for (const key of keys) expect(screen.getByTestId(`provider-key-${key}`)).toBeTruthy();
    await fireEvent.input(screen.getByTestId("provider-name"), { target: { value: "demo" } });
    await fireEvent.input(screen.getByTestId("provider-client-id"), { target: { value: "demo-app" } });
    await fireEvent.input(screen.getByTestId("provider-scopes"), { target: { value: "openid email" } });
    await fireEvent.submit(screen.getByTestId("provider-form"));
    // Each required endpoint is checked before anything is sent.
    expect(backend.called("add_provider")).toHaveLength(0);
    for (const key of keys) {
      await fireEvent.input(screen.getByTestId(`provider-key-${key}`), { target: { value: `https://id.example.com/${key}` } });
    }
    await fireEvent.submit(screen.getByTestId("provider-form"));

    await waitFor(() => expect(backend.called("add_provider")).toHaveLength(1));
    expect(backend.called("add_provider")[0].args.provider).toEqual({
      name: "demo",
      kind: "example",
      clientId: "demo-app",
      authorizeUrl: "https://id.example.com/authorize_url",
      tokenUrl: "https://id.example.com/token_url",
      userinfoUrl: "https://id.example.com/userinfo_url",
      scopes: ["openid", "email"],
      redirect: "loopback",
    });
  });

  it("does not offer the tests' own kind unless the engine lists it", async () => {
    mockBackend();
    renderSettings();
    await fireEvent.click(screen.getByTestId("btn-show-add-provider"));
    const kind = screen.getByTestId("provider-kind") as HTMLSelectElement;
    expect([...kind.options].map((o) => o.value)).toEqual(KINDS.map((k) => k.kind));
  });
});
