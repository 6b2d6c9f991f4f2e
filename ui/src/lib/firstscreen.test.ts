import { describe, expect, it } from "vitest";
import { applyDesktopFont } from "./firstscreen";

describe("the desktop's font", () => {
  it("is named for the stylesheet as one CSS string", () => {
    const root = document.createElement("div");
    applyDesktopFont(root, "Cantarell");
    expect(root.style.getPropertyValue("--desktop-font")).toBe('"Cantarell"');
  });

  it("cannot end the string or the declaration early", () => {
    const root = document.createElement("div");
    applyDesktopFont(root, 'Evil\\" ; color: red\n"');
    expect(root.style.getPropertyValue("--desktop-font")).toBe('"Evil\\\\\\" ; color: red\\""');
  });

  it("leaves system-ui in place when the shell read none", () => {
    const root = document.createElement("div");
    applyDesktopFont(root, null);
    applyDesktopFont(root, "  ");
    expect(root.style.getPropertyValue("--desktop-font")).toBe("");
  });
});
