import { describe, expect, it } from "vitest";
import { BLOCK_ID, applyDesktopFont, embeddedFirstScreen } from "./firstscreen";
import { account, firstScreen } from "../test/fixtures";

/** A page as the shell serves it: the app's element, and the first screen's data block when given. */
function page(block?: string): Document {
  const doc = document.implementation.createHTMLDocument("Signet");
  doc.body.innerHTML = '<div id="app"></div>';
  if (block !== undefined) {
    const data = doc.createElement("script");
    data.id = BLOCK_ID;
    data.type = "application/json";
    data.textContent = block;
    doc.body.append(data);
  }
  return doc;
}

describe("the first screen in the page", () => {
  const screen = firstScreen({ accounts: [account({ displayName: "</script> & <b>" })], changes: 4, providers: 2 });

  it("is read from the shell's data block, and taken out of the page", () => {
    // The shell writes <, > and & as \u escapes (first_page.rs): the same strings once parsed.
    const json = JSON.stringify(screen).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
    const doc = page(json);
    expect(embeddedFirstScreen(doc)).toEqual(screen);
    expect(doc.getElementById(BLOCK_ID)).toBeNull();
    expect(embeddedFirstScreen(doc)).toBeNull();
  });

  it("is not there after a reload or from the dev server: the page asks", () => {
    expect(embeddedFirstScreen(page())).toBeNull();
  });

  it("is ignored when it does not read as a first screen", () => {
    for (const bad of ["", "{", "null", "[]", '{"accounts":[]}', JSON.stringify({ ...screen, changes: "4" }), JSON.stringify({ ...screen, providers: undefined })]) {
      expect(embeddedFirstScreen(page(bad)), bad).toBeNull();
    }
  });
});

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
