// Start on login. Linux: an XDG autostart entry (~/.config/autostart/tray-agent.desktop), which
// GNOME, KDE, Xfce and the others read; Electron's login-item API exists only on macOS and
// Windows, where it is used.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface LoginItemApi {
  getLoginItemSettings(): { openAtLogin: boolean };
  setLoginItemSettings(settings: { openAtLogin: boolean; openAsHidden?: boolean; args?: string[] }): void;
}

export interface AutostartOptions {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  /** The executable to start: the AppImage file when run from one (its mount path changes per run), else process.execPath. */
  execPath: string;
  app: LoginItemApi;
  home?: string;
}

export interface Autostart {
  isEnabled(): Promise<boolean>;
  setEnabled(enabled: boolean): Promise<void>;
  /** Where the Linux entry lives (for messages and tests); null elsewhere. */
  readonly entryPath: string | null;
}

/** Quotes one Exec argument as the Desktop Entry spec asks (double quotes; \ " ` $ escaped). */
export function desktopExecArg(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/([\\"`$])/g, '\\$1')}"`;
}

export function autostartDesktopEntry(execPath: string): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    'Name=Tray Agent',
    'Comment=ClearML-compatible execution agent (tray)',
    `Exec=${desktopExecArg(execPath)} --hidden`,
    'Icon=tray-agent',
    'Terminal=false',
    'Categories=Development;',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export function createAutostart(options: AutostartOptions): Autostart {
  if (options.platform !== 'linux') {
    return {
      entryPath: null,
      isEnabled: async () => options.app.getLoginItemSettings().openAtLogin,
      setEnabled: async (enabled) => options.app.setLoginItemSettings({ openAtLogin: enabled, openAsHidden: true, args: ['--hidden'] }),
    };
  }
  const configHome = options.env['XDG_CONFIG_HOME']?.trim() || join(options.home ?? homedir(), '.config');
  const entryPath = join(configHome, 'autostart', 'tray-agent.desktop');
  const execPath = options.env['APPIMAGE']?.trim() || options.execPath;
  return {
    entryPath,
    async isEnabled() {
      try {
        const text = await readFile(entryPath, 'utf8');
        return !/^X-GNOME-Autostart-enabled=false$/m.test(text) && !/^Hidden=true$/m.test(text);
      } catch {
        return false;
      }
    },
    async setEnabled(enabled) {
      if (!enabled) return rm(entryPath, { force: true });
      await mkdir(join(configHome, 'autostart'), { recursive: true });
      await writeFile(entryPath, autostartDesktopEntry(execPath), { mode: 0o644 });
    },
  };
}
