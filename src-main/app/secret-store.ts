// Secrets the tray keeps beyond clearml.conf (the API secret and git token of a server chosen in
// the window when the file already names another one), encrypted with Electron's safeStorage
// (Keychain, DPAPI, libsecret/kwallet). Where the OS offers no keyring — on Linux safeStorage
// then falls back to a fixed key ("basic_text") — nothing is stored and the caller is told:
// the secret stays only in clearml.conf, which is 0600.
import { readFile } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import type { SafeStorage } from 'electron';

export type SafeStoragePort = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'> & Partial<Pick<SafeStorage, 'getSelectedStorageBackend'>>;

export class SecretStoreUnavailableError extends Error {
  override readonly name = 'SecretStoreUnavailableError';
}

export interface SecretStore {
  /** False where the OS has no keyring for us (the secret then lives only in clearml.conf). */
  available(): boolean;
  set(name: string, value: string): Promise<void>;
  get(name: string): Promise<string | null>;
  delete(name: string): Promise<void>;
}

export function createSecretStore(options: { safeStorage: SafeStoragePort; file: string; platform: NodeJS.Platform }): SecretStore {
  const { safeStorage, file } = options;
  const available = () => safeStorage.isEncryptionAvailable() && !(options.platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text');
  const read = async (): Promise<Record<string, string>> => {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  };
  const write = async (entries: Record<string, string>) => {
    await writeFileAtomic(file, JSON.stringify(entries), { mode: 0o600 });
  };
  return {
    available,
    async set(name, value) {
      if (!available()) throw new SecretStoreUnavailableError('no OS keyring is available to encrypt secrets; they stay only in clearml.conf (mode 0600)');
      await write({ ...(await read()), [name]: safeStorage.encryptString(value).toString('base64') });
    },
    async get(name) {
      const stored = (await read())[name];
      if (stored === undefined || !available()) return null;
      return safeStorage.decryptString(Buffer.from(stored, 'base64'));
    },
    async delete(name) {
      const entries = await read();
      if (!(name in entries)) return;
      delete entries[name];
      await write(entries);
    },
  };
}
