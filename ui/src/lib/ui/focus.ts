// A Svelte action that moves focus to an element when it appears (e.g. when a dialog changes step).
export function focusOnMount(node: HTMLElement, enabled: boolean = true): void {
  if (!enabled) return;
  queueMicrotask(() => {
    if (node.isConnected) node.focus();
  });
}
