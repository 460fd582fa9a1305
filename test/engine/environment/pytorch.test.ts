import { beforeEach, describe, expect, it } from 'vitest';
import {
  cpuIndexUrl,
  defaultTorchOptions,
  forgetFoundTorchIndexes,
  formatTorchUrlTemplate,
  mapFrozenTorchLine,
  needsOldSetuptools,
  parseWheelLinks,
  pickWheel,
  relaxTorchPin,
  resolveTorch,
  torchIndexCandidates,
  torchLines,
} from '../../../src-main/engine/environment/pytorch.js';

describe('torch index candidates (the CUDA walk-down)', () => {
  it('starts at the detected CUDA version and walks down 15 versions, as clearml-agent', () => {
    const candidates = torchIndexCandidates(130, 'https://download.pytorch.org/whl/cu{}/');
    expect(candidates).toHaveLength(15);
    expect(candidates[0]).toEqual({ cuda: 130, url: 'https://download.pytorch.org/whl/cu130/' });
    expect(candidates[2]).toEqual({ cuda: 128, url: 'https://download.pytorch.org/whl/cu128/' });
    expect(candidates.at(-1)).toEqual({ cuda: 116, url: 'https://download.pytorch.org/whl/cu116/' });
  });

  it('never walks below CUDA 1; no GPU means the cpu index', () => {
    expect(torchIndexCandidates(5, 'http://x/cu{}/').map((c) => c.cuda)).toEqual([5, 4, 3, 2, 1]);
    expect(torchIndexCandidates(null, 'https://download.pytorch.org/whl/cu{}/')).toEqual([{ cuda: 0, url: 'https://download.pytorch.org/whl/cpu/' }]);
    expect(torchIndexCandidates(0, 'http://mirror/torch-{}/')).toEqual([{ cuda: 0, url: 'http://mirror/torch-cpu/' }]);
    expect(cpuIndexUrl('https://download.pytorch.org/whl/nightly/cu{}/')).toBe('https://download.pytorch.org/whl/nightly/cpu/');
  });
});

describe('torch lines', () => {
  it.each([
    ['torch==2.1.0', 'torch==2.1.0.*'],
    ['torch==2.1.0+cu118', 'torch==2.1.0.*'],
    ['torchvision == 0.16.0 ; python_version >= "3.8"', 'torchvision==0.16.0.* ; python_version >= "3.8"'],
    ['torch==2.1', 'torch==2.1'],
    ['torch==2.1.0rc1', 'torch==2.1.0rc1'],
    ['torch>=2.0', 'torch>=2.0'],
    ['torch', 'torch'],
    ['torch[opt-einsum]==2.2.2', 'torch[opt-einsum]==2.2.2.*'],
  ])('pip resolver: %s → %s', (line, relaxed) => {
    expect(relaxTorchPin(line)).toBe(relaxed);
  });

  it('finds torch packages among the lines, by normalised name', () => {
    expect(torchLines(['numpy', 'Torch==2.1.0', 'torchaudio', 'torch-geometric', 'git+https://h/torch.git'])).toEqual(['Torch==2.1.0', 'torchaudio']);
  });

  it.each([
    ['torch==1.10.2', true],
    ['torch<1.11', true],
    ['torch<1.12', false],
    ['torch==1.13.1', false],
    ['torch', false],
    ['torchvision==0.9.0', false],
  ])('setuptools<59 for %s: %s', (line, expected) => {
    expect(needsOldSetuptools(line)).toBe(expected);
  });
});

describe('direct resolver: picking a wheel from an index page', () => {
  const page = `<a href="/whl/cu121/torch-2.1.0%2Bcu121-cp311-cp311-linux_x86_64.whl#sha256=aa">x</a>
    <a href="torch-2.1.0%2Bcu121-cp310-cp310-linux_x86_64.whl">x</a>
    <a href='torch-2.1.2%2Bcu121-cp311-cp311-linux_x86_64.whl'>x</a>
    <a href="torch-2.1.2%2Bcu121-cp311-cp311-win_amd64.whl">x</a>
    <a href="torchvision-0.16.0%2Bcu121-cp311-cp311-linux_x86_64.whl">x</a>
    <a href="README.html">x</a>`;
  const links = parseWheelLinks(page, 'https://download.pytorch.org/whl/cu121/torch/');
  const linux311 = { pythonVersion: '3.11', platform: 'linux-x86_64' };

  it('reads wheel links made absolute, skipping other files', () => {
    expect(links).toHaveLength(5);
    expect(links[0]).toEqual({ filename: 'torch-2.1.0+cu121-cp311-cp311-linux_x86_64.whl', url: 'https://download.pytorch.org/whl/cu121/torch-2.1.0%2Bcu121-cp311-cp311-linux_x86_64.whl#sha256=aa' });
    expect(links[1]!.url).toBe('https://download.pytorch.org/whl/cu121/torch/torch-2.1.0%2Bcu121-cp310-cp310-linux_x86_64.whl');
  });

  it('matches name, python, platform and version; the highest version wins', () => {
    expect(pickWheel('torch==2.1.0', links, linux311)?.version).toBe('2.1.0+cu121');
    expect(pickWheel('torch>=2.1', links, linux311)?.version).toBe('2.1.2+cu121');
    expect(pickWheel('torch==2.1.0', links, { pythonVersion: '3.10', platform: 'linux-x86_64' })?.url).toContain('cp310');
    expect(pickWheel('torch==2.1.2', links, { pythonVersion: '3.11', platform: 'win-amd64' })?.url).toContain('win_amd64');
    expect(pickWheel('torch==2.0.0', links, linux311)).toBeNull();
    expect(pickWheel('torch', links, { pythonVersion: '3.12', platform: 'linux-x86_64' })).toBeNull();
  });

  it("formats clearml-agent's torch_url_template fields", () => {
    expect(
      formatTorchUrlTemplate('http://download.pytorch.org/whl/{0.cuda_version}/torch-{0.torch_version}-cp{0.python}-cp{0.python}m{0.unicode}-{0.os_name}.whl', {
        cuda: 118,
        torchVersion: '1.13.1',
        pythonVersion: '3.8.10',
        osName: 'linux_x86_64',
      }),
    ).toBe('http://download.pytorch.org/whl/cu118/torch-1.13.1-cp38-cp38m-linux_x86_64.whl');
  });

  it('maps a direct URL back to name==version with the URL as a comment', () => {
    const urls = new Map([['torch', 'http://i/whl/cpu/files/torch-2.5.1%2Bcpu-py3-none-any.whl']]);
    expect(mapFrozenTorchLine('torch @ http://i/whl/cpu/files/torch-2.5.1%2Bcpu-py3-none-any.whl', urls)).toBe(
      'torch==2.5.1+cpu # http://i/whl/cpu/files/torch-2.5.1%2Bcpu-py3-none-any.whl',
    );
    expect(mapFrozenTorchLine('numpy @ http://i/numpy-1.0-py3-none-any.whl', urls)).toBe('numpy @ http://i/numpy-1.0-py3-none-any.whl');
    expect(mapFrozenTorchLine('torch==2.5.1+cu128', urls)).toBe('torch==2.5.1+cu128');
  });
});

describe('resolveTorch with a scripted index', () => {
  beforeEach(() => forgetFoundTorchIndexes());
  const target = { pythonVersion: '3.11', platform: 'linux-x86_64' };
  const answers = (ok: Record<string, string>) => {
    const asked: string[] = [];
    return { asked, fetchText: async (url: string) => (asked.push(url), ok[url] ?? null) };
  };

  it('pip mode: adds the first index that answers and relaxes the pin', async () => {
    const index = answers({ 'http://i/whl/cu128/': 'ok' });
    const result = await resolveTorch({ lines: ['torch==2.5.1'], options: defaultTorchOptions({ extraIndexUrlTemplate: 'http://i/whl/cu{}/' }), cuda: 130, target, osName: 'linux_x86_64', fetchText: index.fetchText });
    expect(index.asked).toEqual(['http://i/whl/cu130/', 'http://i/whl/cu129/', 'http://i/whl/cu128/']);
    expect(result).toMatchObject({ lines: ['torch==2.5.1.*'], indexUrl: 'http://i/whl/cu128/', cuda: 128 });
    expect(result.notes).toContain('PyTorch: CUDA 130, using index http://i/whl/cu128/');
    // Found once, remembered for the process: the next task asks nothing.
    const again = answers({});
    const second = await resolveTorch({ lines: ['torch'], options: defaultTorchOptions({ extraIndexUrlTemplate: 'http://i/whl/cu{}/' }), cuda: 130, target, osName: 'linux_x86_64', fetchText: again.fetchText });
    expect(second.indexUrl).toBe('http://i/whl/cu128/');
    expect(again.asked).toEqual([]);
  });

  it('no index answering: the lines stay, and the note names every index tried', async () => {
    const index = answers({});
    const result = await resolveTorch({ lines: ['torch==2.5.1'], options: defaultTorchOptions({ extraIndexUrlTemplate: 'http://i/cu{}/' }), cuda: 3, target, osName: 'linux_x86_64', fetchText: index.fetchText });
    expect(result).toMatchObject({ lines: ['torch==2.5.1'], indexUrl: null });
    expect(result.notes[0]).toBe('WARNING: PyTorch: no index answered for CUDA 3 (tried http://i/cu3/, http://i/cu2/, http://i/cu1/); installing torch==2.5.1 from the configured indexes');
  });

  it('nightly: tried after the stable walk-down when torch_nightly is set', async () => {
    const index = answers({ 'http://n/cu121/': 'ok' });
    const result = await resolveTorch({
      lines: ['torch'],
      options: defaultTorchOptions({ extraIndexUrlTemplate: 'http://s/cu{}/', nightlyExtraIndexUrlTemplate: 'http://n/cu{}/', nightly: true }),
      cuda: 121,
      target,
      osName: 'linux_x86_64',
      fetchText: index.fetchText,
    });
    expect(result.indexUrl).toBe('http://n/cu121/');
  });

  it('direct mode: the wheel URL replaces the line; without a match it falls back to pip mode', async () => {
    const index = answers({
      'http://i/cpu/': 'ok',
      'http://i/cpu/torch/': '<a href="/cpu/files/torch-2.5.1%2Bcpu-py3-none-any.whl">torch</a>',
      'http://i/cpu/torchvision/': '',
    });
    const result = await resolveTorch({ lines: ['torch==2.5.1', 'torchvision==0.20.1'], options: defaultTorchOptions({ resolve: 'direct', extraIndexUrlTemplate: 'http://i/cu{}/' }), cuda: null, target, osName: 'linux_x86_64', fetchText: index.fetchText });
    expect(result.lines).toEqual(['torch @ http://i/cpu/files/torch-2.5.1%2Bcpu-py3-none-any.whl', 'torchvision==0.20.1.*']);
    expect(result.indexUrl).toBe('http://i/cpu/');
    expect(result.directUrls.get('torch')).toBe('http://i/cpu/files/torch-2.5.1%2Bcpu-py3-none-any.whl');
  });

  it('none: nothing is asked', async () => {
    const index = answers({});
    const result = await resolveTorch({ lines: ['torch==2.5.1'], options: defaultTorchOptions({ resolve: 'none' }), cuda: 121, target, osName: 'linux_x86_64', fetchText: index.fetchText });
    expect(result.lines).toEqual(['torch==2.5.1']);
    expect(index.asked).toEqual([]);
  });
});
