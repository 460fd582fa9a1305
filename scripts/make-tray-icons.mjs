// Generates the tray icons in assets/tray/ (committed; rerun after changing colours or sizes).
// A filled disc per state, in the sizes each OS wants: Linux 16/22/24/32/48 px PNGs (its trays
// ignore scale factors, so the app picks one size), macOS black template images at 16 px and
// @2x, Windows a .ico holding 16/24/32/48 px PNG frames.
import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { join } from 'node:path';

const states = { idle: [120, 130, 140], running: [46, 160, 67], paused: [230, 160, 20], error: [210, 50, 50] };
const outDir = join(import.meta.dirname, '..', 'assets', 'tray');

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function discPng(size, [r, g, b], template) {
  const rows = [];
  const c = (size - 1) / 2;
  const radius = size * 0.42;
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - c, y - c);
      const alpha = Math.max(0, Math.min(1, radius - d + 0.5));
      const o = 1 + x * 4;
      row[o] = template ? 0 : r;
      row[o + 1] = template ? 0 : g;
      row[o + 2] = template ? 0 : b;
      row[o + 3] = Math.round(alpha * 255);
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
function ico(frames) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(frames.length, 4);
  let offset = 6 + 16 * frames.length;
  const entries = frames.map(({ size, png }) => {
    const e = Buffer.alloc(16);
    e[0] = size >= 256 ? 0 : size;
    e[1] = size >= 256 ? 0 : size;
    e.writeUInt16LE(1, 4);
    e.writeUInt16LE(32, 6);
    e.writeUInt32LE(png.length, 8);
    e.writeUInt32LE(offset, 12);
    offset += png.length;
    return e;
  });
  return Buffer.concat([header, ...entries, ...frames.map((f) => f.png)]);
}

mkdirSync(outDir, { recursive: true });
for (const [state, rgb] of Object.entries(states)) {
  for (const size of [16, 22, 24, 32, 48]) writeFileSync(join(outDir, `${state}-${size}.png`), discPng(size, rgb, false));
  writeFileSync(join(outDir, `${state}Template.png`), discPng(16, rgb, true));
  writeFileSync(join(outDir, `${state}Template@2x.png`), discPng(32, rgb, true));
  writeFileSync(join(outDir, `${state}.ico`), ico([16, 24, 32, 48].map((size) => ({ size, png: discPng(size, rgb, false) }))));
}
writeFileSync(join(outDir, '..', 'icon.png'), discPng(256, states.running, false));
console.log(`tray icons written to ${outDir}`);
