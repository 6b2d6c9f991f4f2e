// A Svelte action that sets CSS custom properties through the CSSOM.
// The strict CSP (style-src 'self') forbids style attributes in markup; property writes through
// element.style are CSSOM, which CSP allows, and the stylesheet decides what the variables do.
export type CssVars = Record<`--${string}`, string>;

export function cssVars(node: HTMLElement | SVGElement, vars: CssVars) {
  let current: CssVars = {};
  function apply(next: CssVars): void {
    for (const name of Object.keys(current)) {
      if (!(name in next)) node.style.removeProperty(name);
    }
    for (const [name, value] of Object.entries(next)) node.style.setProperty(name, value);
    current = next;
  }
  apply(vars);
  return { update: apply };
}
