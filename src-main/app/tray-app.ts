// The tray app put together: hardening, the IPC bridge, the window, the tray and its menu, quit.
// Everything it does to the agent goes through the agent host's BridgeHandler.
import { app, BrowserWindow, dialog, Menu, screen, session, shell, Tray } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AgentSnapshot } from '../../src-shared/bridge.js';
import { handleStopSignals, type SignalHandling } from '../control/index.js';
import type { TrayAgentHost } from './agent-host.js';
import { forwardBridgeEvents, serveBridgeOverIpc } from './ipc/ipc-main.js';
import { createTrustedSenders } from './ipc/trusted-senders.js';
import type { PreferenceStore } from './preferences.js';
import { quitDecision, quitQuestion } from './quit-flow.js';
import { secondLaunchAction } from './second-instance.js';
import { trayIconPath } from './tray-icons.js';
import type { TrayAction } from './tray-menu.js';
import { TrayService } from './tray-service.js';
import { hardenSession, hardenWebContents, mainWindowOptions } from './window.js';

export interface TrayAppOptions {
  host: TrayAgentHost;
  assetsDir: string;
  /** out/renderer/index.html */
  rendererIndex: string;
  /** out/preload/preload.cjs */
  preloadPath: string;
  /** Started by autostart: stay in the tray, no window. */
  hidden: boolean;
  /** electron-store (window bounds here; the host keeps the agent's choices in it too). */
  preferences: PreferenceStore;
}

export interface TrayApp {
  openWindow(view?: string): BrowserWindow;
  dispatch(action: TrayAction): Promise<void>;
  readonly snapshot: () => AgentSnapshot | null;
}

export async function startTrayApp(options: TrayAppOptions): Promise<TrayApp> {
  await app.whenReady();
  const rendererUrl = pathToFileURL(options.rendererIndex).href;
  const trusted = createTrustedSenders(rendererUrl);
  let snapshot: AgentSnapshot | null = null;
  let quitting = false;

  hardenSession(session.defaultSession);
  app.on('web-contents-created', (_event, contents) =>
    hardenWebContents(contents, { isOurPage: (url) => trusted.isOurPage(url), webAppUrl: () => snapshot?.connection.webUrl ?? null, openExternal: (url) => void shell.openExternal(url) }),
  );

  const { preferences } = options;
  const handler = options.host;
  const stopServing = serveBridgeOverIpc(handler, trusted);
  const stopForwarding = forwardBridgeEvents(handler, () => trusted.all());

  let window: BrowserWindow | null = null;
  const openWindow = (view?: string): BrowserWindow => {
    if (window && !window.isDestroyed()) {
      if (view) void window.webContents.executeJavaScript(`location.hash = ${JSON.stringify(`#/${view}`)}`);
      if (window.isMinimized()) window.restore();
      window.show();
      window.focus();
      return window;
    }
    const bounds = preferences.get('window');
    const created = new BrowserWindow({ ...mainWindowOptions(options.preloadPath), ...(bounds ?? {}) });
    trusted.add(created.webContents);
    created.once('ready-to-show', () => created.show());
    created.on('close', () => preferences.set('window', created.getBounds()));
    created.on('closed', () => (window = null));
    void created.loadFile(options.rendererIndex, view ? { hash: `/${view}` } : {});
    window = created;
    return created;
  };

  const maxScale = Math.max(1, ...screen.getAllDisplays().map((d) => d.scaleFactor));
  let signals: SignalHandling | null = null;
  const shutdown = async () => {
    quitting = true;
    signals?.dispose();
    stopForwarding();
    stopServing();
    await options.host.stop();
    tray.destroy();
    app.quit();
  };
  const untilIdle = () =>
    new Promise<void>((resolve) => {
      if (!snapshot?.running.length) return resolve();
      const off = handler.subscribe((event, payload) => {
        if (event === 'snapshot' && (payload as AgentSnapshot).running.length === 0) {
          off();
          resolve();
        }
      });
    });
  const stopTasksAndShutdown = async () => {
    for (const task of snapshot?.running ?? []) await handler.handle('stopTask', { taskId: task.id });
    await shutdown();
  };
  const drainAndShutdown = async () => {
    await handler.handle('drain', { cancel: false });
    await untilIdle();
    await shutdown();
  };
  const quit = async () => {
    const question = quitQuestion(snapshot);
    if (!question) return shutdown();
    const { response } = await dialog.showMessageBox(question);
    const decision = quitDecision(response);
    if (decision === 'cancel') return;
    await (decision === 'drain' ? drainAndShutdown() : stopTasksAndShutdown());
  };
  // SIGTERM / SIGINT (logout, system shutdown, `kill`, Ctrl+C in a terminal) leave no one to ask:
  // running tasks are stopped within their grace and their statuses recorded, as Quit → Stop
  // does; SIGUSR2 finishes the running tasks first. A second signal exits at once.
  signals = handleStopSignals({
    stop: () => void (quitting ? undefined : stopTasksAndShutdown()),
    drain: () => void (quitting ? undefined : drainAndShutdown()),
  });

  const dispatch = async (action: TrayAction): Promise<void> => {
    try {
      switch (action.kind) {
        case 'pause':
          await handler.handle('pause', { until: action.until });
          return;
        case 'resume':
          await handler.handle('resume', { force: false });
          return;
        case 'drain':
          await handler.handle('drain', { cancel: false });
          return;
        case 'cancel-drain':
          await handler.handle('drain', { cancel: true });
          return;
        case 'open-window':
          openWindow(action.view);
          return;
        case 'toggle-autostart':
          await handler.handle('setAutostart', { enabled: !(snapshot?.preferences.autostart ?? false) });
          return;
        case 'quit':
          await quit();
          return;
      }
    } catch (error) {
      dialog.showErrorBox('Tray Agent', error instanceof Error ? error.message : String(error));
    }
  };

  const tray = new TrayService({
    createTray: (icon) => new Tray(icon),
    buildMenu: (template) => Menu.buildFromTemplate(template),
    iconFor: (state) => trayIconPath(options.assetsDir, state, process.platform, maxScale),
    dispatch: (action) => void dispatch(action),
  });
  handler.subscribe((event, payload) => {
    if (event !== 'snapshot') return;
    snapshot = payload as AgentSnapshot;
    tray.update({ snapshot });
  });

  app.on('second-instance', (_event, argv) => {
    const action = secondLaunchAction(argv);
    if (action.kind === 'open-window') openWindow(action.view);
  });
  // The window may close; the agent keeps running in the tray until Quit.
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', (event) => {
    if (quitting) return;
    event.preventDefault();
    void quit();
  });

  try {
    await options.host.start();
  } catch (error) {
    dialog.showErrorBox('Tray Agent could not start the agent', error instanceof Error ? error.message : String(error));
  }
  snapshot = await handler.handle('getSnapshot', {});
  tray.update({ snapshot });
  if (!options.hidden || snapshot.needsSetup) openWindow(snapshot.needsSetup ? 'setup' : undefined);
  return { openWindow, dispatch, snapshot: () => snapshot };
}

/** Where the packaged or development app keeps its assets. */
export function assetsDirectory(): string {
  return app.isPackaged ? join(process.resourcesPath, 'assets') : join(app.getAppPath(), 'assets');
}
