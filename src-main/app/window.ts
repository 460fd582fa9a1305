// The window and what every page of ours may and may not do (Electron security checklist):
// context isolation, sandbox, no Node; no navigation, no new windows, no webviews, no
// permissions; only allow-listed https links open, and in the user's browser.
import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron';

export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1200,
    height: 800,
    minWidth: 760,
    minHeight: 520,
    show: false,
    title: 'Tray Agent',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
      devTools: true,
    },
  };
}

/** The CSP the main process adds to every response of the page (the page also carries it in a meta tag). */
export const rendererContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Links that may leave the app: https pages of the ClearML web app the agent is connected to. */
export function isAllowedExternalUrl(url: string, webAppUrl: string | null): boolean {
  if (!webAppUrl) return false;
  try {
    const target = new URL(url);
    const web = new URL(webAppUrl);
    return target.protocol === 'https:' && target.host === web.host;
  } catch {
    return false;
  }
}

export interface HardeningOptions {
  /** The page's own URL: reloading it is the only navigation allowed. */
  isOurPage(url: string): boolean;
  /** Current ClearML web app URL, for task links (null = none open). */
  webAppUrl(): string | null;
  openExternal(url: string): void;
}

/** Applied to every web contents the app creates (app.on('web-contents-created')). */
export function hardenWebContents(contents: WebContents, options: HardeningOptions): void {
  contents.on('will-navigate', (event, url) => {
    if (!options.isOurPage(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!options.isOurPage(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalUrl(url, options.webAppUrl())) options.openExternal(url);
    return { action: 'deny' };
  });
}

/** No page of ours needs a permission (camera, notifications, geolocation…): deny them all. */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [rendererContentSecurityPolicy] } });
  });
}
