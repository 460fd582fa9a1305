/**
 * What a second launch of the tray asks of the running one. `tray-agent --cli …` never gets
 * here: headless commands run in their own process without the single-instance lock (like
 * clearml-agent beside a running daemon). An autostart launch (`--hidden`) while the tray runs
 * does nothing; any other launch brings the window up, on the view named by `--view=<name>`.
 */
export function secondLaunchAction(argv: readonly string[]): { kind: 'ignore' } | { kind: 'open-window'; view?: string } {
  if (argv.includes('--hidden')) return { kind: 'ignore' };
  const view = argv.find((arg) => arg.startsWith('--view='))?.slice('--view='.length);
  return view && /^[a-z]+$/.test(view) ? { kind: 'open-window', view } : { kind: 'open-window' };
}
