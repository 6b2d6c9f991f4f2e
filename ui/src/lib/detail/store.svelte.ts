// The selected account and its detail: which account is selected, its detail as last fetched, and a
// re-fetch when the engine says that account changed (the App hands it the coalesced events).
import { getAccount } from "../api";
import type { AccountDetail, AccountView, AccountsChanged } from "../types";

export class DetailStore {
  /** The selected account, or null. */
  selectedId = $state<number | null>(null);
  /** Its detail as last fetched (null until the first answer for this account). */
  detail = $state<AccountDetail | null>(null);
  loadError = $state<unknown>(null);
  /** Only the newest fetch may write: a slow answer for another account never overwrites. */
  #latest = 0;

  /** Selects an account (or none) and fetches its detail. */
  select(id: number | null): void {
    if (id !== this.selectedId) {
      this.selectedId = id;
      this.detail = null;
      this.loadError = null;
    }
    if (id !== null) void this.reload();
  }

  /** A batch of engine changes: the selected account is re-fetched if it changed, or let go if removed. */
  changed(change: AccountsChanged): void {
    const id = this.selectedId;
    if (id === null) return;
    if (change.removed.includes(id)) this.select(null);
    else if (change.all || change.changed.includes(id)) void this.reload();
  }

  /** The list was read again: a selected account that is no longer in it is let go. */
  listed(accounts: AccountView[]): void {
    if (this.selectedId !== null && !accounts.some((a) => a.id === this.selectedId)) this.select(null);
  }

  /** Fetches the selected account's detail again. */
  async reload(): Promise<void> {
    const target = this.selectedId;
    if (target === null) return;
    const mine = ++this.#latest;
    try {
      const next = await getAccount(target);
      if (mine !== this.#latest || this.selectedId !== target) return;
      this.detail = next;
      this.loadError = null;
    } catch (e) {
      if (mine === this.#latest && this.selectedId === target) this.loadError = e;
    }
  }

  /** An action's answer that is the whole detail (the agent's policy): shown at once. */
  showDetail(next: AccountDetail): void {
    if (this.selectedId === next.account.id) {
      this.#latest++;
      this.detail = next;
    }
  }

  /** An action's answer (refresh, low-balance alert): the account as it is now, shown at once. */
  showAccount(account: AccountView): void {
    if (this.detail && this.detail.account.id === account.id) this.detail = { ...this.detail, account };
  }
}
