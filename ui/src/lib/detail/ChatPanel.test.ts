// The chat panel against a mocked engine: Google spaces, Feishu recipient kinds, Easemob users, permissions.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import App from "../../App.svelte";
import { mockBackend } from "../../test/backend";
import { NOW, account, detail } from "../../test/fixtures";
import type { ChatSupport } from "../types";
import AccountDetail from "./AccountDetail.svelte";
import { selecting } from "../../test/window";


const GOOGLE: ChatSupport = { list: true, createSpace: true, send: true, recipientKinds: ["space"], unavailable: null };
const FEISHU: ChatSupport = {
  list: true,
  createSpace: false,
  send: true,
  recipientKinds: ["open_id", "user_id", "union_id", "email", "chat_id"],
  unavailable: null,
};
const EASEMOB: ChatSupport = { list: false, createSpace: false, send: true, recipientKinds: ["user"], unavailable: null };

function renderPanel() {
  const onsigninagain = vi.fn();
  render(AccountDetail, { context: selecting(1), props: { onsigninagain, onremoved: vi.fn() } });
  return onsigninagain;
}

async function type(testid: string, value: string) {
  await fireEvent.input(screen.getByTestId(testid), { target: { value } });
}

const send = () => screen.getByTestId("chat-send") as HTMLButtonElement;

describe("Chat panel: Google Chat", () => {
  it("lists spaces, creates one, selects it and sends to it", async () => {
    const backend = mockBackend({
      get_account: () => detail({ account: account({ providerKind: "google" }), chat: GOOGLE }),
      chat_list: () => [
        { id: "spaces/AAA", name: "Team", recipientKind: "space", url: null },
        { id: "spaces/BBB", name: "Ops", recipientKind: "space", url: null },
      ],
      chat_create_space: (args) => ({ id: "spaces/NEW", name: args.name, recipientKind: "space", url: null }),
      chat_send: () => ({ messageId: "spaces/NEW/messages/m1", to: "spaces/NEW", created: "2025-01-01T12:00:00Z" }),
    });
    renderPanel();

    const panel = await screen.findByTestId("chat-panel");
    expect(within(panel).queryByTestId("chat-recipient-kind")).toBeNull();
    expect(screen.getByTestId("chat-load").textContent).toContain("Load spaces");

    await fireEvent.click(screen.getByTestId("chat-load"));
    await waitFor(() => expect(screen.getAllByTestId("chat-target")).toHaveLength(2));
    expect(backend.called("chat_list")[0].args).toEqual({ id: 1 });
    expect(screen.getByTestId("chat-load").textContent).toContain("Refresh list");

    await fireEvent.click(screen.getAllByTestId("chat-target")[1]);
    expect((screen.getByTestId("chat-recipient") as HTMLInputElement).value).toBe("spaces/BBB");
    expect(screen.getAllByTestId("chat-target")[1].getAttribute("aria-pressed")).toBe("true");

    const create = screen.getByTestId("chat-create-space") as HTMLButtonElement;
    expect(create.disabled).toBe(true);
    await type("chat-new-space-name", "Launch");
    await fireEvent.click(create);
    await waitFor(() => expect(screen.getAllByTestId("chat-target")).toHaveLength(3));
    expect(backend.called("chat_create_space")[0].args).toEqual({ id: 1, name: "Launch" });
    const first = screen.getAllByTestId("chat-target")[0];
    expect(first.textContent).toContain("Launch");
    expect(first.getAttribute("aria-pressed")).toBe("true");
    expect((screen.getByTestId("chat-recipient") as HTMLInputElement).value).toBe("spaces/NEW");
    expect((screen.getByTestId("chat-new-space-name") as HTMLInputElement).value).toBe("");

    await type("chat-text", "Hello, team");
    await fireEvent.click(send());

    await waitFor(() => expect(screen.getByTestId("chat-result").textContent).toContain("Sent to spaces/NEW (message id spaces/NEW/messages/m1)"));
    expect(backend.called("chat_send")[0].args).toEqual({ id: 1, to: { kind: "space", id: "spaces/NEW" }, text: "Hello, team" });
    expect(screen.getByTestId("chat-result").querySelector("time")?.getAttribute("datetime")).toBe("2025-01-01T12:00:00.000Z");
    expect((screen.getByTestId("chat-text") as HTMLTextAreaElement).value).toBe("");
  });
});

describe("Chat panel: Feishu", () => {
  it("sends to the chosen recipient kind, and a group chat picked from the list", async () => {
    const backend = mockBackend({
      get_account: () => detail({ account: account({ providerKind: "feishu" }), chat: FEISHU }),
      chat_list: () => [{ id: "oc_123", name: "Launch group", recipientKind: "chat_id", url: null }],
      chat_send: (args) => ({ messageId: "om_1", to: (args.to as { id: string }).id, created: "1735732800000" }),
    });
    renderPanel();

    const select = (await screen.findByTestId("chat-recipient-kind")) as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual([
      "Open ID",
      "User ID (user_id)",
      "Union ID",
      "E-mail",
      "Group chat (chat_id)",
    ]);
    expect(select.value).toBe("open_id");
    expect(screen.queryByTestId("chat-create-space")).toBeNull();
    expect(screen.getByTestId("chat-load").textContent).toContain("Load group chats");

    select.value = "email";
    await fireEvent.change(select);
    await type("chat-recipient", "ada@example.com");
    await type("chat-text", "Hi Ada");
    await fireEvent.click(send());
    await waitFor(() => expect(backend.called("chat_send")).toHaveLength(1));
    expect(backend.called("chat_send")[0].args).toEqual({ id: 1, to: { kind: "email", id: "ada@example.com" }, text: "Hi Ada" });
    await waitFor(() => expect(screen.getByTestId("chat-result").textContent).toContain("Sent to ada@example.com (message id om_1)"));
    expect(screen.getByTestId("chat-result").querySelector("time")?.getAttribute("datetime")).toBe(new Date(1735732800000).toISOString());

    await fireEvent.click(screen.getByTestId("chat-load"));
    await fireEvent.click(await screen.findByTestId("chat-target"));
    expect(select.value).toBe("chat_id");
    expect((screen.getByTestId("chat-recipient") as HTMLInputElement).value).toBe("oc_123");
    await type("chat-text", "Hello group");
    await fireEvent.click(send());
    await waitFor(() => expect(backend.called("chat_send")).toHaveLength(2));
    expect(backend.called("chat_send")[1].args).toEqual({ id: 1, to: { kind: "chat_id", id: "oc_123" }, text: "Hello group" });
  });
});

describe("Chat panel: Easemob", () => {
  it("sends to a user ID", async () => {
    const backend = mockBackend({
      get_account: () => detail({ account: account({ providerKind: "easemob" }), chat: EASEMOB, direct: true }),
      chat_send: () => ({ messageId: "1234567890", to: "bob", created: null }),
    });
    renderPanel();

    await screen.findByTestId("chat-panel");
    expect(screen.queryByTestId("chat-load")).toBeNull();
    expect(screen.queryByTestId("chat-recipient-kind")).toBeNull();
    expect(screen.getByLabelText("User ID")).toBe(screen.getByTestId("chat-recipient"));

    await type("chat-recipient", " bob ");
    await type("chat-text", "ping");
    await fireEvent.click(send());
    await waitFor(() => expect(screen.getByTestId("chat-result").textContent).toContain("Sent to bob (message id 1234567890)"));
    expect(backend.called("chat_send")[0].args).toEqual({ id: 1, to: { kind: "user", id: "bob" }, text: "ping" });
  });

  it("shows why chat is unavailable, and no controls", async () => {
    mockBackend({
      get_account: () =>
        detail({
          account: account({ providerKind: "easemob" }),
          chat: { ...EASEMOB, unavailable: "Sending messages uses the app token: add the app's Client ID and Client Secret." },
        }),
    });
    renderPanel();

    const note = await screen.findByTestId("chat-unavailable");
    expect(note.textContent).toContain("Messages cannot be sent from this account yet.");
    expect(note.textContent).toContain("Sending messages uses the app token");
    for (const id of ["chat-send", "chat-text", "chat-recipient", "chat-load", "grant-access"]) {
      expect(screen.queryByTestId(id)).toBeNull();
    }
  });
});

describe("Chat panel: sending", () => {
  it("is hidden when the account offers no chat", async () => {
    mockBackend({ get_account: () => detail() });
    renderPanel();
    await screen.findByTestId("btn-refresh-now");
    expect(screen.queryByTestId("chat-panel")).toBeNull();
  });

  it("keeps Send disabled until there is a recipient and a message", async () => {
    mockBackend({ get_account: () => detail({ chat: EASEMOB }) });
    renderPanel();
    await screen.findByTestId("chat-panel");

    expect(send().disabled).toBe(true);
    await type("chat-text", "hello");
    expect(send().disabled).toBe(true);
    await type("chat-recipient", "bob");
    expect(send().disabled).toBe(false);
    await type("chat-text", "   \n ");
    expect(send().disabled).toBe(true);
  });

  it("sends with Ctrl+Enter or Cmd+Enter, not with Enter alone", async () => {
    const backend = mockBackend({
      get_account: () => detail({ chat: EASEMOB }),
      chat_send: () => ({ messageId: "m", to: "bob", created: null }),
    });
    renderPanel();
    await screen.findByTestId("chat-panel");
    await type("chat-recipient", "bob");
    await type("chat-text", "line one");

    await fireEvent.keyDown(screen.getByTestId("chat-text"), { key: "Enter" });
    expect(backend.called("chat_send")).toHaveLength(0);

    await fireEvent.keyDown(screen.getByTestId("chat-text"), { key: "Enter", ctrlKey: true });
    await waitFor(() => expect(backend.called("chat_send")).toHaveLength(1));
    expect(backend.called("chat_send")[0].args).toEqual({ id: 1, to: { kind: "user", id: "bob" }, text: "line one" });

    await type("chat-text", "again");
    await fireEvent.keyDown(screen.getByTestId("chat-text"), { key: "Enter", metaKey: true });
    await waitFor(() => expect(backend.called("chat_send")).toHaveLength(2));
  });

  it("shows a refused send with the engine's words, keeping the message", async () => {
    mockBackend({
      get_account: () => detail({ chat: EASEMOB }),
      chat_send: () => {
        throw { code: "action_refused", message: "Easemob says the user bob does not exist." };
      },
    });
    renderPanel();
    await screen.findByTestId("chat-panel");
    await type("chat-recipient", "bob");
    await type("chat-text", "hello");
    await fireEvent.click(send());

    const error = await screen.findByTestId("chat-error");
    expect(error.textContent).toContain("The provider refused this action. The account itself is fine.");
    expect(error.textContent).toContain("Easemob says the user bob does not exist.");
    expect(screen.queryByTestId("grant-access")).toBeNull();
    expect((screen.getByTestId("chat-text") as HTMLTextAreaElement).value).toBe("hello");
    expect(screen.getByTestId("chat-result").textContent?.trim()).toBe("");
  });

  it("offers Grant access when a send fails for a missing permission", async () => {
    mockBackend({
      get_account: () => detail({ account: account({ id: 1, providerKind: "feishu" }), chat: FEISHU }),
      chat_send: () => {
        throw { code: "scope_missing", message: "feishu has not given Signet a permission this needs (99991679)." };
      },
    });
    const onsigninagain = renderPanel();
    await screen.findByTestId("chat-panel");
    await type("chat-recipient", "ou_1");
    await type("chat-text", "hello");
    await fireEvent.click(send());

    const error = await screen.findByTestId("chat-error");
    expect(error.textContent).toContain("This needs a permission you have not granted Signet yet.");
    expect(error.textContent).toContain("(99991679)");
    await fireEvent.click(screen.getByTestId("grant-access"));
    expect(onsigninagain).toHaveBeenCalledWith(expect.objectContaining({ id: 1 }), false);
  });
});

describe("Chat panel: missing permissions", () => {
  it("names them and Grant access signs the account in again in the browser", async () => {
    const who = account({ id: 5, provider: "google", providerKind: "google" });
    const backend = mockBackend({
      list_accounts: () => [who],
      get_account: () =>
        detail({
          account: who,
          chat: GOOGLE,
          missingScopes: ["https://www.googleapis.com/auth/chat.messages.create", "im:chat:readonly"],
        }),
      begin_sign_in: () => ({
        provider: "google",
        authorizeUrl: "https://accounts.google.com/o/oauth2/v2/auth?state=x",
        redirectUri: "http://127.0.0.1:43123/callback/google",
        expiresAt: NOW + 600_000,
      }),
    });
    render(App);
    await fireEvent.click(await screen.findByTestId("account-row"));

    const banner = await screen.findByTestId("chat-missing-scopes");
    expect([...banner.querySelectorAll("code")].map((c) => c.textContent)).toEqual(["chat.messages.create", "im:chat:readonly"]);
    expect(banner.textContent).not.toContain("https://");

    await fireEvent.click(within(banner).getByTestId("grant-access"));
    await screen.findByTestId("sign-in-waiting");
    expect(screen.getByRole("heading", { name: "Sign in again" })).toBeTruthy();
    expect(backend.called("begin_sign_in")[0].args).toEqual({ provider: "google", account: 5 });
  });
});
