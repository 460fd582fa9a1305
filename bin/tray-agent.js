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
process.exitCode = await runCli(process.argv.slice(2));
