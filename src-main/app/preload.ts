// Sandboxed CommonJS preload (sandboxed renderers cannot load an ESM preload): exposes the
// bridge as window.trayAgent and nothing else.
import { exposeBridgeInMainWorld } from './ipc/ipc-renderer.js';

exposeBridgeInMainWorld();
