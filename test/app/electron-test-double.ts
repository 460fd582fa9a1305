// TEST DOUBLE of the `electron` module. The Electron binary cannot be downloaded on our machines,
// so main-process code is tested under Node with `vi.mock('electron', ...)` returning this. It
// records what the code asks of Electron (handlers, menus, windows, dialogs) and lets a test play
// the other side (invoke a channel as a given sender, answer a dialog). Only what our modules use.
import { EventEmitter } from 'node:events';

type Handler = (event: unknown, ...args: unknown[]) => unknown;

export class FakeFrame {
  constructor(public url: string) {}
}

export class FakeWebContents extends EventEmitter {
  static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  readonly mainFrame: FakeFrame;
  readonly sent: Array<{ channel: string; payload: unknown }> = [];
  windowOpenHandler: ((details: { url: string }) => { action: 'allow' | 'deny' }) | null = null;
  destroyed = false;
  executed: string[] = [];

  constructor(url = 'file:///app/out/renderer/index.html') {
    super();
    this.mainFrame = new FakeFrame(url);
  }
  send(channel: string, payload: unknown): void {
    this.sent.push({ channel, payload });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('destroyed');
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'allow' | 'deny' }): void {
    this.windowOpenHandler = handler;
  }
  async executeJavaScript(code: string): Promise<void> {
    this.executed.push(code);
  }
  /** Emits a navigation event the way Electron does; returns whether it was prevented. */
  navigate(eventName: 'will-navigate' | 'will-redirect', url: string): boolean {
    let prevented = false;
    this.emit(eventName, { preventDefault: () => (prevented = true) }, url);
    return prevented;
  }
}

export const ipcMain = {
  handlers: new Map<string, Handler>(),
  handle(channel: string, handler: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, handler);
  },
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  },
  /** Plays a renderer's ipcRenderer.invoke from `sender` (frame = its main frame unless given). */
  async invokeAs(sender: FakeWebContents, channel: string, args: unknown, frame: FakeFrame | null = sender.mainFrame): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler({ sender, senderFrame: frame }, args);
  },
};

export const ipcRenderer = Object.assign(new EventEmitter(), {
  invoked: [] as Array<{ channel: string; args: unknown }>,
  answer: (_channel: string, _args: unknown): unknown => ({ ok: true, result: null }),
  async invoke(channel: string, args: unknown): Promise<unknown> {
    this.invoked.push({ channel, args });
    return this.answer(channel, args);
  },
});

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld(key: string, api: unknown): void {
    this.exposed.set(key, api);
  },
};

export class Tray {
  static created: Tray[] = [];
  image: unknown;
  tooltip = '';
  menu: { template: unknown[] } | null = null;
  menusSet = 0;
  destroyed = false;
  constructor(image: unknown) {
    this.image = image;
    Tray.created.push(this);
  }
  setImage(image: unknown): void {
    this.image = image;
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: { template: unknown[] }): void {
    this.menu = menu;
    this.menusSet += 1;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

export const Menu = {
  buildFromTemplate(template: unknown[]): { template: unknown[] } {
    return { template };
  },
};

export class BrowserWindow extends EventEmitter {
  static created: BrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  loaded: { file: string; options: unknown } | null = null;
  shown = false;
  constructor(public readonly options: Record<string, unknown>) {
    super();
    BrowserWindow.created.push(this);
  }
  async loadFile(file: string, options: unknown): Promise<void> {
    this.loaded = { file, options };
    this.emit('ready-to-show');
  }
  show(): void {
    this.shown = true;
  }
  focus(): void {}
  restore(): void {}
  isMinimized(): boolean {
    return false;
  }
  isDestroyed(): boolean {
    return this.webContents.destroyed;
  }
  getBounds() {
    return { x: 10, y: 20, width: 1000, height: 700 };
  }
}

export const app = Object.assign(new EventEmitter(), {
  isPackaged: false,
  quitCalled: 0,
  loginItem: { openAtLogin: false },
  async whenReady(): Promise<void> {},
  requestSingleInstanceLock: () => true,
  quit(): void {
    this.quitCalled += 1;
  },
  exit(): void {},
  getAppPath: () => '/app',
  getPath: () => '/tmp/tray-agent-test-user-data',
  getLoginItemSettings(): { openAtLogin: boolean } {
    return { ...this.loginItem };
  },
  setLoginItemSettings(settings: { openAtLogin: boolean }): void {
    this.loginItem = { openAtLogin: settings.openAtLogin };
  },
});

export const dialog = {
  asked: [] as unknown[],
  errors: [] as Array<[string, string]>,
  response: 2,
  async showMessageBox(options: unknown): Promise<{ response: number }> {
    this.asked.push(options);
    return { response: this.response };
  },
  showErrorBox(title: string, content: string): void {
    this.errors.push([title, content]);
  },
};

export const shell = {
  opened: [] as string[],
  async openExternal(url: string): Promise<void> {
    this.opened.push(url);
  },
};

export const screen = {
  getAllDisplays: () => [{ scaleFactor: 1 }],
};

function fakeSession() {
  return {
    permissionRequest: null as null | ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void),
    permissionCheck: null as null | ((...args: unknown[]) => boolean),
    headers: null as null | ((details: { responseHeaders?: Record<string, string[]> }, callback: (response: { responseHeaders: Record<string, string[]> }) => void) => void),
    setPermissionRequestHandler(handler: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void) {
      this.permissionRequest = handler;
    },
    setPermissionCheckHandler(handler: (...args: unknown[]) => boolean) {
      this.permissionCheck = handler;
    },
    webRequest: {
      owner: null as unknown,
      onHeadersReceived(handler: (details: { responseHeaders?: Record<string, string[]> }, callback: (response: { responseHeaders: Record<string, string[]> }) => void) => void) {
        session.defaultSession.headers = handler;
      },
    },
  };
}

export const session = { defaultSession: fakeSession() };

/** A reversible stand-in for the OS keyring: "encrypts" by reversing and prefixing, so tests can see the stored bytes are not the secret. */
export const safeStorage = {
  encryptionAvailable: true,
  backend: 'gnome_libsecret' as 'basic_text' | 'gnome_libsecret' | 'kwallet' | 'kwallet5' | 'kwallet6' | 'unknown',
  isEncryptionAvailable(): boolean {
    return this.encryptionAvailable;
  },
  getSelectedStorageBackend() {
    return this.backend;
  },
  encryptString(text: string): Buffer {
    return Buffer.from(`enc:${[...text].reverse().join('')}`);
  },
  decryptString(data: Buffer): string {
    const text = data.toString();
    if (!text.startsWith('enc:')) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    return [...text.slice(4)].reverse().join('');
  },
};

/** Puts every recorder back to its fresh state between tests. */
export function resetElectronTestDouble(): void {
  ipcMain.handlers.clear();
  ipcRenderer.removeAllListeners();
  ipcRenderer.invoked.length = 0;
  contextBridge.exposed.clear();
  Tray.created.length = 0;
  BrowserWindow.created.length = 0;
  app.removeAllListeners();
  app.quitCalled = 0;
  app.loginItem = { openAtLogin: false };
  dialog.asked.length = 0;
  dialog.errors.length = 0;
  dialog.response = 2;
  shell.opened.length = 0;
  session.defaultSession = fakeSession();
  safeStorage.encryptionAvailable = true;
  safeStorage.backend = 'gnome_libsecret';
}

export default { app, ipcMain, ipcRenderer, contextBridge, Tray, Menu, BrowserWindow, dialog, shell, screen, session, safeStorage };
