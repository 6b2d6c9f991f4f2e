// Profile fields per provider kind: labels, formats, badges, and nothing shown for null values.
import { render, screen, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { account } from "../../test/fixtures";
import { setLang } from "../i18n";
import type { AccountView } from "../types";
import ProfileFields from "./ProfileFields.svelte";

function show(overrides: Partial<AccountView>) {
  render(ProfileFields, { props: { account: account(overrides) } });
}

/** Label and value of a row, by its key. */
function field(key: string): [string, string] {
  const row = screen.getByTestId(`profile-field-${key}`);
  return [row.querySelector("dt")?.textContent?.trim() ?? "", row.querySelector("dd")?.textContent?.trim() ?? ""];
}

const keys = () => screen.getAllByTestId(/^profile-field-/).map((el) => el.dataset.testid?.replace("profile-field-", ""));

describe("ProfileFields", () => {
  it("Google: a verified badge by the e-mail, the Workspace domain and the account id", () => {
    show({ providerKind: "google", profile: { emailVerified: true, domain: "example.com", sub: "10769150350006150715113082367" } });

    expect(within(screen.getByTestId("profile-field-email")).getByTestId("profile-email-verified").textContent?.trim()).toBe("verified");
    expect(field("domain")).toEqual(["Workspace domain", "example.com"]);
    expect(field("sub")).toEqual(["Account ID (sub)", "10769150350006150715113082367"]);
    expect(field("provider")[1]).toBe("google (Google)");
    expect(screen.queryByTestId("profile-field-emailVerified")).toBeNull();
  });

  it("Google: an unverified e-mail says so; a personal account has no domain row", () => {
    show({ providerKind: "google", profile: { emailVerified: false, domain: null, sub: "1" } });
    expect(screen.getByTestId("profile-email-verified").textContent?.trim()).toBe("not verified");
    expect(keys()).toEqual(["email", "provider", "sub"]);
  });

  it("Feishu / Lark: the brand and the user's ids, leaving out what is null", () => {
    show({
      providerKind: "feishu",
      profile: {
        enName: "Ada",
        openId: "ou_abc",
        unionId: "on_def",
        tenantKey: "tk_1",
        userId: null,
        employeeNo: null,
        enterpriseEmail: "ada@corp.example",
        avatarBig: null,
        brand: "lark",
      },
    });

    expect(field("brand")).toEqual(["Service", "Lark"]);
    expect(field("enName")).toEqual(["English name", "Ada"]);
    expect(field("openId")).toEqual(["Open ID", "ou_abc"]);
    expect(field("unionId")).toEqual(["Union ID", "on_def"]);
    expect(field("tenantKey")).toEqual(["Tenant key", "tk_1"]);
    expect(field("enterpriseEmail")).toEqual(["Enterprise e-mail", "ada@corp.example"]);
    expect(field("provider")[1]).toBe("google (Lark)");
    expect(keys()).toEqual(["email", "provider", "brand", "enName", "enterpriseEmail", "openId", "unionId", "tenantKey"]);
  });

  it("Feishu: the brand in Chinese", () => {
    setLang("zh-CN");
    show({ providerKind: "feishu", profile: { brand: "feishu", openId: "ou_abc" } });
    expect(field("brand")).toEqual(["服务", "飞书"]);
  });

  it("AIHubMix: username, status and the creation date from unix seconds", () => {
    show({ providerKind: "aihubmix", profile: { username: "ada", status: 1, createdTime: 1_700_000_000 } });
    expect(field("username")).toEqual(["Username", "ada"]);
    expect(field("status")).toEqual(["Account status", "Active"]);
    expect(field("createdTime")[0]).toBe("Created");
    expect(field("createdTime")[1]).toContain("2023");
  });

  it("Easemob: App Key, host, user ID, nickname and an active status", () => {
    show({
      providerKind: "easemob",
      email: null,
      profile: {
        username: "bob",
        uuid: "5f0c-11",
        activated: true,
        created: 1_700_000_000_000,
        modified: null,
        nickname: "Bobby",
        appKey: "corp#chat",
        host: "https://a1.easemob.com",
      },
    });

    expect(field("appKey")).toEqual(["App Key", "corp#chat"]);
    expect(field("host")).toEqual(["REST host", "https://a1.easemob.com"]);
    expect(field("username")).toEqual(["User ID", "bob"]);
    expect(field("nickname")).toEqual(["Nickname", "Bobby"]);
    expect(field("activated")).toEqual(["Status", "Active"]);
    expect(field("uuid")).toEqual(["UUID", "5f0c-11"]);
    expect(field("created")[1]).toContain("2023");
    expect(screen.queryByTestId("profile-field-modified")).toBeNull();
    expect(screen.queryByTestId("profile-field-email")).toBeNull();
    expect(field("provider")[1]).toBe("google (Easemob IM)");
  });

  it("Easemob: a banned user, in Chinese, and no nickname row when there is none", () => {
    setLang("zh-CN");
    show({ providerKind: "easemob", profile: { username: "bob", activated: false, nickname: null, appKey: "corp#chat" } });
    expect(field("activated")).toEqual(["状态", "已封禁"]);
    expect(screen.getByTestId("profile-activated").classList.contains("warn")).toBe(true);
    expect(screen.queryByTestId("profile-field-nickname")).toBeNull();
  });

  it("shows fields it has no label for under their own key", () => {
    show({ providerKind: "oidc", profile: { locale: "en-GB", empty: "", missing: null } });
    expect(field("locale")).toEqual(["locale", "en-GB"]);
    expect(keys()).toEqual(["email", "provider", "locale"]);
  });
});
