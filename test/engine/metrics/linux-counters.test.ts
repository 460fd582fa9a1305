import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cpuUsagePercent,
  diskFreePercent,
  parseProcDiskstats,
  parseProcNetDev,
  parseProcStatCpu,
  ratePerSecondMB,
} from '../../../src-main/engine/metrics/index.js';
import { cpuTemperatureInputs, physicalDisks, readMaxTemperature } from '../../../src-main/engine/metrics/system-probe.js';

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 95711016    5287    0    0    0     0          0         0 95711016    5287    0    0    0     0       0          0
  eth0: 1048576     100    0    0    0     0          0         0  2097152     200    0    0    0     0       0          0
 wlan0:1000 1 0 0 0 0 0 0 24 1 0 0 0 0 0 0
`;

const DISKSTATS = `   7       0 loop0 10 0 800 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 254       0 vda 100 5 2048 30 50 7 4096 90 0 120 120 0 0 0 0 0 0
 254       1 vda1 90 5 2000 30 50 7 4096 90 0 120 120 0 0 0 0 0 0
 259       0 nvme0n1 1 0 8 0 2 0 16 0 0 0 0 0 0 0 0 0 0
`;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'metrics-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Linux counter parsers', () => {
  it('/proc/net/dev: sums all interfaces but loopback', () => {
    expect(parseProcNetDev(NET_DEV)).toEqual({ rxBytes: 1048576 + 1000, txBytes: 2097152 + 24 });
  });

  it('/proc/diskstats: whole disks only, 512-byte sectors', () => {
    expect(parseProcDiskstats(DISKSTATS, new Set(['vda', 'nvme0n1']))).toEqual({ readBytes: (2048 + 8) * 512, writeBytes: (4096 + 16) * 512 });
    expect(parseProcDiskstats(DISKSTATS, new Set())).toEqual({ readBytes: 0, writeBytes: 0 });
  });

  it('parses this machine\'s real files', async () => {
    if (process.platform !== 'linux') return expect(process.platform).not.toBe('linux');
    expect(parseProcStatCpu(await readFile('/proc/stat', 'utf8'))?.total).toBeGreaterThan(0);
    const net = parseProcNetDev(await readFile('/proc/net/dev', 'utf8'));
    expect(net.rxBytes).toBeGreaterThanOrEqual(0);
    const disks = await physicalDisks();
    const io = parseProcDiskstats(await readFile('/proc/diskstats', 'utf8'), disks);
    expect(io.readBytes).toBeGreaterThanOrEqual(0);
  });

  it.each([
    [0, 1048576, 1000, 1],
    [0, 1048576, 500, 2],
    [100, 50, 1000, null],
    [0, 10, 0, null],
  ])('rate %d → %d bytes over %d ms', (prev, cur, ms, expected) => {
    expect(ratePerSecondMB(prev, cur, ms)).toBe(expected);
  });

  it('/proc/stat: iowait counts as idle', () => {
    const text = 'cpu  100 5 50 800 40 1 2 2 0 0\ncpu0 50 2 25 400 20 0 1 1 0 0\nintr 1\n';
    expect(parseProcStatCpu(text)).toEqual({ idle: 840, total: 1000 });
    expect(parseProcStatCpu('intr 1\n')).toBeNull();
  });

  it('CPU usage from aggregate times', () => {
    expect(cpuUsagePercent({ idle: 100, total: 200 }, { idle: 150, total: 400 })).toBe(75);
    expect(cpuUsagePercent({ idle: 100, total: 200 }, { idle: 100, total: 200 })).toBeNull();
  });

  it('disk free percent as psutil computes it (reserved blocks excluded)', () => {
    expect(diskFreePercent({ blocks: 1000, bfree: 300, bavail: 250 })).toBeCloseTo((250 / 950) * 100, 10);
    expect(diskFreePercent({ blocks: 0, bfree: 0, bavail: 0 })).toBeNull();
  });
});

describe('sysfs discovery', () => {
  it('physical disks are those with a device link', async () => {
    const sysBlock = path.join(tmp, 'block');
    for (const name of ['vda', 'loop0', 'zram0', 'nvme0n1']) mkdirSync(path.join(sysBlock, name), { recursive: true });
    mkdirSync(path.join(tmp, 'devices', 'virtio1'), { recursive: true });
    symlinkSync(path.join(tmp, 'devices', 'virtio1'), path.join(sysBlock, 'vda', 'device'));
    mkdirSync(path.join(sysBlock, 'nvme0n1', 'device'));
    expect([...(await physicalDisks(sysBlock))].sort()).toEqual(['nvme0n1', 'vda']);
    expect(await physicalDisks(path.join(tmp, 'missing'))).toEqual(new Set());
  });

  it('CPU temperature: hottest coretemp/k10temp input in °C', async () => {
    const hwmon = path.join(tmp, 'hwmon');
    const sensor = (dir: string, name: string, temps: Record<string, string>) => {
      mkdirSync(path.join(hwmon, dir), { recursive: true });
      writeFileSync(path.join(hwmon, dir, 'name'), `${name}\n`);
      for (const [file, value] of Object.entries(temps)) writeFileSync(path.join(hwmon, dir, file), `${value}\n`);
    };
    sensor('hwmon0', 'coretemp', { temp1_input: '45000', temp2_input: '51500', temp1_label: 'Package id 0' });
    sensor('hwmon1', 'nvme', { temp1_input: '70000' });
    sensor('hwmon2', 'k10temp', { temp1_input: '48000' });
    const inputs = await cpuTemperatureInputs(hwmon);
    expect(inputs.map((f) => path.relative(hwmon, f)).sort()).toEqual(['hwmon0/temp1_input', 'hwmon0/temp2_input', 'hwmon2/temp1_input']);
    expect(await readMaxTemperature(inputs)).toBe(51.5);
    expect(await readMaxTemperature([])).toBeNull();
  });
});
