// The add-provider form per kind: the fields each kind asks for and the exact NewProvider sent; provider cards.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { mockBackend } from "../../test/backend";
import { provider } from "../../test/fixtures";
import ProviderForm from "./ProviderForm.svelte";
import { windowWith } from "../../test/window";
import SettingsScreen from "./SettingsScreen.svelte";

const input = (testid: string) => screen.getByTestId(testid) as HTMLInputElement;

async function type(testid: string, value: string) {
  await fireEvent.input(input(testid), { target: { value } });
}

async function choose(testid: string, value: string) {
  const select = screen.getByTestId(testid) as HTMLSelectElement;
  select.value = value;
  await fireEvent.change(select);
}

const preview = () => (screen.getByTestId("provider-redirect-preview").querySelector("input") as HTMLInputElement).value;

/** Renders the form, submits it after `fill`, and returns what add_provider received. */
async function submitted(fill: () => Promise<void>) {
  const backend = mockBackend({ add_provider: (args) => provider({ name: (args.provider as { name: string }).name }) });
  const onadded = vi.fn();
  render(ProviderForm, { context: windowWith().context, props: { onadded } });
  await fill();
  await fireEvent.submit(screen.getByTestId("provider-form"));
  await waitFor(() => expect(backend.called("add_provider")).toHaveLength(1));
  await waitFor(() => expect(onadded).toHaveBeenCalled());
  return backend.called("add_provider")[0].args.provider;
}

describe("ProviderForm", () => {
  it("offers the five kinds", () => {
    mockBackend();
    render(ProviderForm, { context: windowWith().context, props: { onadded: vi.fn() } });
    const options = [...(screen.getByTestId("provider-kind") as HTMLSelectElement).options];
    expect(options.map((o) => [o.value, o.textContent])).toEqual([
      ["google", "Google"],
      ["feishu", "Feishu / Lark"],
      ["aihubmix", "AIHubMix"],
      ["easemob", "Easemob IM"],
      ["oidc", "Custom OpenID Connect"],
    ]);
  });

  it("Google: a Desktop-app client on loopback, nothing to register", async () => {
    const sent = await submitted(async () => {
      await choose("provider-kind", "google");
      expect(input("provider-name").value).toBe("google");
      expect(screen.getByTestId("provider-google-note").textContent).toContain("Desktop app");
      expect(screen.getByTestId("provider-google-note").textContent).toContain("127.0.0.1");
      expect(screen.queryByTestId("provider-redirect-preview")).toBeNull();
      expect(screen.queryByTestId("provider-base-url")).toBeNull();
      await type("provider-client-id", "123.apps.googleusercontent.com");
      await type("provider-client-secret", "GOCSPX-secret");
    });
    expect(sent).toEqual({
      name: "google",
      kind: "google",
      clientId: "123.apps.googleusercontent.com",
      clientSecret: "GOCSPX-secret",
      redirect: "loopback",
    });
  });

  it("Feishu: brand, token endpoint and the fixed loopback port, with the exact URL to register", async () => {
    const sent = await submitted(async () => {
      await choose("provider-kind", "feishu");
      expect(input("provider-name").value).toBe("feishu");
      expect(screen.getByLabelText("App ID")).toBe(screen.getByTestId("provider-client-id"));
      expect(screen.getByLabelText("App Secret")).toBe(screen.getByTestId("provider-client-secret"));
      expect(input("provider-port").value).toBe("53682");
      expect(preview()).toBe("http://127.0.0.1:53682/callback/feishu");
      expect(screen.getByTestId("provider-redirect-preview").textContent).toContain("安全设置 → 重定向 URL");

      await choose("provider-brand", "lark");
      expect(input("provider-name").value).toBe("lark");
      expect(preview()).toBe("http://127.0.0.1:53682/callback/lark");
      await choose("provider-token-version", "v3");
      await type("provider-client-id", "cli_a1b2");
      await type("provider-client-secret", "app-secret");
    });
    expect(sent).toEqual({
      name: "lark",
      kind: "feishu",
      clientId: "cli_a1b2",
      clientSecret: "app-secret",
      brand: "lark",
      tokenVersion: "v3",
      redirect: "loopback",
      redirectPort: 53682,
    });
  });

  it("Feishu: or a signet:// deep link", async () => {
    const sent = await submitted(async () => {
      await choose("provider-kind", "feishu");
      await fireEvent.click(screen.getByTestId("provider-redirect-deep-link"));
      expect(screen.queryByTestId("provider-port")).toBeNull();
      expect(preview()).toBe("signet://oauth/callback/feishu");
      await type("provider-client-id", "cli_a1b2");
    });
    expect(sent).toEqual({ name: "feishu", kind: "feishu", clientId: "cli_a1b2", brand: "feishu", tokenVersion: "v2", redirect: "deep-link" });
  });

  it("AIHubMix: base URL by default and the deep link to register", async () => {
    const sent = await submitted(async () => {
      expect(input("provider-base-url").value).toBe("https://aihubmix.com");
      expect(preview()).toBe("signet://oauth/callback/aihubmix");
      await type("provider-client-id", "client_abc");
      await type("provider-client-secret", "s3cret");
    });
    expect(sent).toEqual({
      name: "aihubmix",
      kind: "aihubmix",
      clientId: "client_abc",
      clientSecret: "s3cret",
      baseUrl: "https://aihubmix.com",
      redirect: "deep-link",
    });
  });

  it("Easemob: REST host as https://, org and app, optional app credentials, lifetime and VIP5", async () => {
    const sent = await submitted(async () => {
      await choose("provider-kind", "easemob");
      expect(screen.queryByTestId("provider-redirect-preview")).toBeNull();
      await type("provider-easemob-host", "a1.easemob.com");
      await type("provider-easemob-org", "corp");
      await type("provider-easemob-app", "chat");
      expect(input("provider-name").value).toBe("easemob-chat");
      await type("provider-client-id", "YXA6id");
      await type("provider-client-secret", "YXA6secret");
      await type("provider-easemob-ttl", "3600");
      await fireEvent.click(screen.getByTestId("provider-easemob-vip5"));
    });
    expect(sent).toEqual({
      name: "easemob-chat",
      kind: "easemob",
      clientId: "YXA6id",
      clientSecret: "YXA6secret",
      baseUrl: "https://a1.easemob.com",
      orgName: "corp",
      appName: "chat",
      ttl: 3600,
      vip5: true,
    });
  });

  it("Easemob: without app credentials, and checks what it needs", async () => {
    const sent = await submitted(async () => {
      await choose("provider-kind", "easemob");
      await fireEvent.submit(screen.getByTestId("provider-form"));
      expect(screen.getByText("Enter the REST host from the console, e.g. a1.easemob.com.")).toBeTruthy();
      expect(screen.getAllByText("Copy it from the console: letters, digits, “-” or “_”.")).toHaveLength(2);

      await type("provider-easemob-host", "https://a61.easemob.com/");
      await type("provider-easemob-org", "corp");
      await type("provider-easemob-app", "chat");
      await type("provider-client-secret", "orphan");
      await fireEvent.submit(screen.getByTestId("provider-form"));
      expect(screen.getByText("A Client Secret needs its Client ID.")).toBeTruthy();
      await type("provider-client-secret", "");
    });
    expect(sent).toEqual({
      name: "easemob-chat",
      kind: "easemob",
      clientId: "",
      baseUrl: "https://a61.easemob.com",
      orgName: "corp",
      appName: "chat",
    });
  });

  it("Custom OpenID Connect: issuer, scopes and a fixed loopback port", async () => {
    const sent = await submitted(async () => {
      await choose("provider-kind", "oidc");
      expect(input("provider-name").value).toBe("");
      await type("provider-name", "corp");
      await type("provider-issuer", "https://login.example.com");
      await type("provider-client-id", "corp-app");
      await type("provider-scopes", "openid email  offline_access");
      await type("provider-port", "8765");
      expect(preview()).toBe("http://127.0.0.1:8765/callback/corp");
    });
    expect(sent).toEqual({
      name: "corp",
      kind: "oidc",
      clientId: "corp-app",
      issuer: "https://login.example.com",
      scopes: ["openid", "email", "offline_access"],
      redirect: "loopback",
      redirectPort: 8765,
    });
  });

  it("keeps a typed name when the kind changes", async () => {
    mockBackend();
    render(ProviderForm, { context: windowWith().context, props: { onadded: vi.fn() } });
    await type("provider-name", "work");
    await choose("provider-kind", "google");
    expect(input("provider-name").value).toBe("work");
  });
});

describe("Provider cards", () => {
  it("show the kind, the brand, the App Key, and no secret state where none is needed", () => {
    mockBackend();
    const win = windowWith({
      providers: [
          provider({ name: "lark", kind: "feishu", brand: "lark", redirectUri: "http://127.0.0.1:53682/callback/lark", baseUrl: null }),
          provider({
            name: "easemob-chat",
            kind: "easemob",
            clientId: "",
            hasSecret: false,
            requiresSecret: false,
            direct: true,
            redirectUri: "",
            baseUrl: "https://a1.easemob.com",
            appKey: "corp#chat",
          }),
        ],
    });
    render(SettingsScreen, { context: win.context });
    const [lark, easemob] = screen.getAllByTestId("provider-card");

    expect(within(lark).getByTestId("provider-kind-badge").textContent).toBe("Feishu / Lark");
    expect(within(lark).getByTestId("provider-brand").textContent).toBe("Lark");
    expect(within(lark).getByTestId("secret-status")).toBeTruthy();
    expect((within(lark).getByTestId("redirect-uri").querySelector("input") as HTMLInputElement).value).toBe(
      "http://127.0.0.1:53682/callback/lark",
    );

    expect(within(easemob).getByTestId("provider-kind-badge").textContent).toBe("Easemob IM");
    expect(within(easemob).getByTestId("provider-app-key").textContent).toBe("corp#chat");
    expect(within(easemob).queryByTestId("secret-status")).toBeNull();
    expect(within(easemob).queryByTestId("redirect-uri")).toBeNull();
    expect(within(easemob).queryByTestId("provider-brand")).toBeNull();
  });
});
