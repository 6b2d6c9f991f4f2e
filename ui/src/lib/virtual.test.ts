// Tests for the virtual list arithmetic.
import { describe, expect, it } from "vitest";
import { scrollToShow, visibleRange } from "./virtual";

describe("visibleRange", () => {
  it("covers the viewport plus the overscan on each side", () => {
    expect(visibleRange(0, 700, 70, 1000, 3)).toEqual({ start: 0, end: 13 });
    expect(visibleRange(7000, 700, 70, 1000, 3)).toEqual({ start: 97, end: 113 });
  });

  it("stays inside the list at the end and when empty", () => {
    expect(visibleRange(69_300, 700, 70, 1000, 3)).toEqual({ start: 987, end: 1000 });
    expect(visibleRange(0, 700, 70, 0)).toEqual({ start: 0, end: 0 });
    expect(visibleRange(999_999, 700, 70, 5, 3)).toEqual({ start: 5, end: 5 });
  });
});

describe("scrollToShow", () => {
  it("scrolls up or down just enough, and not at all when visible", () => {
    expect(scrollToShow(5, 700, 700, 70)).toBe(350);
    expect(scrollToShow(20, 0, 700, 70)).toBe(770);
    expect(scrollToShow(3, 0, 700, 70)).toBeNull();
  });
});
