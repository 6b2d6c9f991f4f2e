// The activity log screen: asks for 200 entries and shows time, account, kind, outcome and message.
import { render, screen, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { mockBackend } from "../../test/backend";
import { activity } from "../../test/fixtures";
import { setLang } from "../i18n";
import { tables } from "../i18n";
import ActivityScreen from "./ActivityScreen.svelte";
import { WindowState, windowContext } from "../stores/window.svelte";
import { KIND_LABELS, OUTCOME_LABELS, activityKind, activityOutcome } from "./labels";

describe("ActivityScreen", () => {
  it("lists the latest entries with localized kinds and outcomes", async () => {
    const backend = mockBackend({
      list_activity: () => [
        activity({ id: 2, account: "Grace", kind: "refresh", outcome: "reauth", code: "reauth_required", message: "Google said invalid_grant." }),
        activity({ id: 1, account: null, kind: "sign_in", outcome: "refused", code: "unknown_sign_in", message: "No pending sign-in." }),
      ],
    });
    render(ActivityScreen, { context: windowContext(new WindowState()) });

    const rows = await screen.findAllByTestId("activity-row");
    expect(backend.called("list_activity")[0].args).toEqual({ limit: 200 });
    const cells = (row: HTMLElement) => within(row).getAllByRole("cell").map((c) => c.textContent?.trim());
    expect(cells(rows[0]).slice(1, 4)).toEqual(["Grace", "Refresh", "Needs sign-in"]);
    expect(cells(rows[0])[4]).toContain("Google said invalid_grant.");
    expect(cells(rows[1]).slice(1, 4)).toEqual(["—", "Sign-in", "Refused"]);

    setLang("zh-CN");
    await screen.findByText("需要重新登录");
    expect(screen.getByRole("columnheader", { name: "结果" })).toBeTruthy();
  });

  it("shows repeated refusals as one line with a count", async () => {
    mockBackend({
      list_activity: () => [
        activity({ id: 3, account: null, kind: "sign_in", outcome: "refused", code: "unknown_sign_in", message: "No pending sign-in.", count: 2000 }),
      ],
    });
    render(ActivityScreen, { context: windowContext(new WindowState()) });
    const rows = await screen.findAllByTestId("activity-row");
    expect(rows).toHaveLength(1);
    expect(within(rows[0]).getByTestId("activity-count").textContent).toBe("×2000");
  });

  it("says so when nothing has happened yet", async () => {
    mockBackend({ list_activity: () => [] });
    render(ActivityScreen, { context: windowContext(new WindowState()) });
    expect(await screen.findByText("Nothing has happened yet.")).toBeTruthy();
  });

  it("has a label in both languages for every kind and outcome the engine can write", () => {
    for (const lang of ["en", "zh-CN"] as const) {
      for (const key of [...Object.values(KIND_LABELS), ...Object.values(OUTCOME_LABELS)]) {
        expect(tables[lang][key]?.trim(), `${lang} ${key}`).toBeTruthy();
      }
    }
    setLang("en");
    expect(activityOutcome("keyring_recovered")).toBe("Saved once the keyring was back");
    expect(activityKind("remove_provider")).toBe("Provider removed");
    // A word from an older Signet is shown as it was written, not hidden.
    expect(activityOutcome("something_old")).toBe("something_old");
  });
});
