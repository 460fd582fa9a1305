// The windows whose pages may call the bridge (GitHub Desktop's trusted-ipc-sender idea): added
// when we create a window, dropped when it is destroyed, and only while it shows our page.
import type { WebContents } from 'electron';

export interface TrustedSenders {
  add(contents: WebContents): void;
  has(contents: WebContents): boolean;
  isOurPage(url: string): boolean;
  all(): WebContents[];
}

/** `rendererUrl`: the renderer's index.html as loaded (file:// URL); its folder is "our page". */
export function createTrustedSenders(rendererUrl: string): TrustedSenders {
  const byId = new Map<number, WebContents>();
  const page = new URL(rendererUrl);
  return {
    add(contents) {
      byId.set(contents.id, contents);
      contents.once('destroyed', () => byId.delete(contents.id));
    },
    has: (contents) => byId.get(contents.id) === contents,
    isOurPage(url) {
      try {
        const parsed = new URL(url);
        return parsed.protocol === page.protocol && parsed.host === page.host && parsed.pathname === page.pathname;
      } catch {
        return false;
      }
    },
    all: () => [...byId.values()],
  };
}
