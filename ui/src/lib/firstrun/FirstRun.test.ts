// The first-run guides per provider (both languages), Easemob straight from first run, and what follows adding one.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import App from "../../App.svelte";
import { mockBackend } from "../../test/backend";
import { account, detail, provider } from "../../test/fixtures";
import { setLang } from "../i18n";
import type { ProviderView } from "../types";
import { windowWith } from "../../test/window";
import FirstRun from "./FirstRun.svelte";

describe("First run guides", () => {
  it("has a collapsible guide for each kind of provider", () => {
    mockBackend();
    render(FirstRun, { context: windowWith().context, props: { onadded: vi.fn(), ondone: vi.fn(), oneasemob: vi.fn() } });

    const google = screen.getByTestId("guide-google");
    expect(google.tagName).toBe("DETAILS");
    expect(google.textContent).toContain("Desktop app");
    expect(google.textContent).toContain("Google Chat API");
    expect(google.textContent).toContain("https://www.googleapis.com/auth/chat.messages.create");
    expect(google.textContent).toContain("after 7 days");
    expect(google.textContent).toContain("100 refresh tokens");

    const feishu = screen.getByTestId("guide-feishu");
    expect(feishu.textContent).toContain("安全设置 → 重定向 URL");
    expect([...feishu.querySelectorAll("code")].map((c) => c.textContent)).toEqual([
      "http://127.0.0.1:53682/callback/feishu",
      "offline_access",
      "im:message",
      "im:message.send_as_user",
      "im:chat:readonly",
    ]);
    expect(feishu.textContent).toContain("bot capability");
    expect(feishu.textContent).toContain("Feishu or Lark");

    expect(screen.getByTestId("guide-aihubmix").textContent).toContain("signet://oauth/callback/aihubmix");
    expect(screen.getByTestId("guide-aihubmix").textContent).toContain("Top up");
    const easemob = screen.getByTestId("guide-easemob");
    expect(easemob.textContent).toContain("应用详情");
    expect(easemob.textContent).toContain("milliseconds");
    expect(screen.getByTestId("guide-oidc").textContent).toContain("http://127.0.0.1:*/callback/<name>");
  });

  it("speaks Chinese too", () => {
    setLang("zh-CN");
    mockBackend();
    render(FirstRun, { context: windowWith().context, props: { onadded: vi.fn(), ondone: vi.fn() } });
    expect(screen.getByTestId("guide-google").textContent).toContain("桌面应用");
    expect(screen.getByTestId("guide-feishu").textContent).toContain("发布版本");
    expect(screen.getByTestId("guide-easemob").textContent).toContain("毫秒");
    expect(screen.queryByTestId("btn-first-run-easemob")).toBeNull();
  });

  it("adds an Easemob account straight from first run", async () => {
    let providers: ProviderView[] = [];
    const added = account({ id: 3, provider: "easemob-chat", providerKind: "easemob", displayName: "bob" });
    const backend = mockBackend({
      list_providers: () => providers,
      list_accounts: () => (providers.length ? [added] : []),
      add_easemob_account: () => {
        providers = [provider({ name: "easemob-chat", kind: "easemob", direct: true, requiresSecret: false, redirectUri: "" })];
        return added;
      },
      get_account: () => detail({ account: added, direct: true }),
    });
    render(App);

    const guide = await screen.findByTestId("guide-easemob");
    await fireEvent.click(within(guide).getByTestId("btn-first-run-easemob"));
    await screen.findByTestId("easemob-form");
    for (const [id, value] of [["easemob-host", "a1.easemob.com"], ["easemob-org", "corp"], ["easemob-app", "chat"], ["easemob-user", "bob"], ["easemob-password", "pw"]]) {
      await fireEvent.input(screen.getByTestId(id), { target: { value } });
    }
    await fireEvent.click(screen.getByTestId("easemob-submit"));

    await waitFor(() => expect(backend.called("add_easemob_account")).toHaveLength(1));
    await waitFor(() => expect(screen.queryByTestId("first-run")).toBeNull());
    await waitFor(() => expect(screen.getByTestId("detail-name").textContent).toBe("bob"));
  });

  it("asks for no redirect URI or secret after adding an Easemob provider", async () => {
    mockBackend({
      add_provider: () =>
        provider({ name: "easemob-chat", kind: "easemob", clientId: "", hasSecret: false, requiresSecret: false, direct: true, redirectUri: "", appKey: "corp#chat" }),
    });
    render(FirstRun, { context: windowWith().context, props: { onadded: vi.fn(), ondone: vi.fn() } });
    const kind = screen.getByTestId("provider-kind") as HTMLSelectElement;
    kind.value = "easemob";
    await fireEvent.change(kind);
    for (const [id, value] of [["provider-easemob-host", "a1.easemob.com"], ["provider-easemob-org", "corp"], ["provider-easemob-app", "chat"]]) {
      await fireEvent.input(screen.getByTestId(id), { target: { value } });
    }
    await fireEvent.submit(screen.getByTestId("provider-form"));

    await screen.findByText("easemob-chat is set up");
    expect(screen.queryByTestId("redirect-uri")).toBeNull();
    expect(screen.queryByText("No client secret was given. Set one in Settings before signing in.")).toBeNull();
  });
});
