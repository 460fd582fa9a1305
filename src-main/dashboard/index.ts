/** The dashboard transport: the renderer and the bridge over HTTP/WebSocket on loopback. See docs/ui.md. */
export { startDashboard, defaultRendererDir, DashboardStartError, type Dashboard, type DashboardOptions } from './start-dashboard.js';
export { dashboardContentSecurityPolicy } from './static-files.js';
