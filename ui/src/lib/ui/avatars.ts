// Account pictures, asked of Signet once per account and picture URL; the window never loads a remote image.
import { getAvatar } from "../api";

const cache = new Map<string, Promise<string | null>>();

/** The picture of account `id` (whose provider-side address is `url`) as a `data:` URL, or null. */
export function avatarFor(id: number, url: string): Promise<string | null> {
  const key = `${id} ${url}`;
  let hit = cache.get(key);
  if (!hit) {
    hit = getAvatar(id).catch(() => null);
    cache.set(key, hit);
  }
  return hit;
}

/** Forgets every picture (tests; a removed account's picture goes with the next reload). */
export function clearAvatars(): void {
  cache.clear();
}
