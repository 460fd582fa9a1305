#!/usr/bin/env node
// Plain-Node entry of `tray-agent`: the same commands as `tray-agent --cli` under Electron,
// with no Electron binary needed. It refuses to start on a Node older than the engines field
// allows, with the fix, instead of failing later on a syntax or native-module error.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(
    `tray-agent needs Node.js >= 22.13 (this is ${process.versions.node}).\n` +
      'Run it through scripts/with-node22.sh, which fetches Node 22 from the npm registry.\n',
  );
  process.exit(1);
}
const { runCli } = await import('../out/main/cli.js').catch((error) => {
  process.stderr.write(
    `tray-agent: cannot load the built CLI (${error.message}).\nRun \`npm run build\` first.\n`,
  );
  process.exit(1);
});
const code = await runCli(process.argv.slice(2));
// A command that has finished exits now, once its output is written: with the server down the API
// client may still hold retries in flight (minutes apart) that would keep the process alive after
// `daemon --stop` or Ctrl+C finished everything that matters (what is undelivered waits on disk).
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit(code);
