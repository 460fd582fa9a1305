import { describe, expect, it } from 'vitest';
import { DockerArgsError, parseDockerArgs, type DockerSwitch } from '../../../src-main/engine/docker/docker-args.js';
import { DockerArgsRefusedError, enforceArgsFilters, expandEnvSwitches, mergeDockerArgs } from '../../../src-main/engine/docker/args-policy.js';
import { parseByteSize, switchesToApi } from '../../../src-main/engine/docker/switches-to-api.js';
import { containerGpuSettings, gpuRequestFromEnv } from '../../../src-main/engine/docker/gpu-request.js';
import { formatContainerName } from '../../../src-main/engine/docker/container-name.js';
import { parseDockerFlag, selectImage } from '../../../src-main/engine/docker/image-selection.js';
import { DEFAULT_INTERNAL_MOUNTS, DockerMountError, parseHostMount, planMounts, type MountPlanInput } from '../../../src-main/engine/docker/mounts.js';
import { maskEnvAssignment, printableDockerCommand } from '../../../src-main/engine/docker/printable-command.js';
import { buildRunSpec, LABELS, type RunSpecInput } from '../../../src-main/engine/docker/run-spec.js';
import { dockerVenvKey, pythonCandidates } from '../../../src-main/engine/docker/venv-key.js';
import { dockerConnectionFromEnv } from '../../../src-main/engine/docker/docker-client.js';
import { connectionProblem, describeDockerFailure } from '../../../src-main/engine/docker/errors.js';
import { splitImageName } from '../../../src-main/engine/docker/build-image.js';
import { bootstrapScript, shellQuote } from '../../../src-main/engine/docker/bootstrap-script.js';

const task = (words: string[]) => parseDockerArgs(words, 'task');
const extra = (words: string[]) => parseDockerArgs(words, 'extra');
const brief = (switches: DockerSwitch[]) => switches.map((s) => `${s.source}:${s.name}=${s.value ?? ''}`);

describe('parseDockerArgs', () => {
  it.each([
    [['--network', 'host'], 'network=host'],
    [['--network=host'], 'network=host'],
    [['--net', 'none'], 'network=none'],
    [['-e', 'A=1'], 'env=A=1'],
    [['--env=A=1'], 'env=A=1'],
    [['-v', '/data:/data:ro'], 'volume=/data:/data:ro'],
    [['--privileged'], 'privileged='],
    [['--shm-size', '8g'], 'shm-size=8g'],
    [['-it'], 'tty='],
  ])('%j → %s', (words, expected) => {
    const [parsed] = task(words);
    expect(`${parsed!.name}=${parsed!.value ?? ''}`).toBe(expected);
    expect(parsed!.words).toEqual(words);
  });

  it('rejects unknown switches, positional words and a missing value, naming the input', () => {
    expect(() => task(['--frobnicate'])).toThrow(/the task's container.arguments: unknown docker switch "--frobnicate"; supported: -e\/--env/);
    expect(() => extra(['ubuntu:22.04'])).toThrow(/agent.extra_docker_arguments: "ubuntu:22.04" is not a docker switch/);
    expect(() => task(['--network'])).toThrow(/--network needs a value/);
    expect(() => task(['--privileged=true'])).toThrow(/takes no value/);
  });
});

describe('docker argument policy', () => {
  it('extra args first; protected switches the extra args set are left out of the task args', () => {
    const merged = mergeDockerArgs({ image: task(['--network', 'host', '--ipc=host', '-e', 'A=1']), extra: extra(['--network', 'none']), extraPrecedesTask: true, protectedNames: ['privileged', 'network'] });
    expect(brief(merged.switches)).toEqual(['extra:network=none', 'task:ipc=host', 'task:env=A=1']);
    expect(merged.notes).toEqual([expect.stringMatching(/--network host \(the task's container.arguments\) left out: agent.extra_docker_arguments sets --network and it is protected/)]);
  });

  it('docker_args_extra_precedes_task false: the task first, protected ones left out of the extra args', () => {
    const merged = mergeDockerArgs({ image: task(['--network', 'host']), extra: extra(['--network', 'none', '--shm-size', '1g']), extraPrecedesTask: false, protectedNames: ['--network'] });
    expect(brief(merged.switches)).toEqual(['task:network=host', 'extra:shm-size=1g']);
  });

  it.each([
    [['--privileged'], ['^--network', '^-e'], '"--privileged"'],
    [['--network', 'host'], ['^--network (none|bridge)$'], '"--network host"'],
    [['-v', '/:/host'], ['^-v [a-z]', '^--network'], '"-v /:/host"'],
    [['--ipc=host', '-e', 'A=1'], ['^-e '], '"--ipc=host"'],
  ])('task %j with filters %j is refused, naming %s', (words, filters, named) => {
    let thrown: unknown;
    try {
      enforceArgsFilters(task(words), filters);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DockerArgsRefusedError);
    expect((thrown as Error).message).toContain(named);
    expect((thrown as Error).message).toMatch(/not allowed on this agent \(agent.docker_args_filters allows only switches matching .*remove them from the task/);
  });

  it('filters accept either spelling, never apply to the admin own switches, and null means no filtering', () => {
    expect(() => enforceArgsFilters(task(['--network=none', '-e', 'A=1', '-v', 'cache:/cache']), ['^--network none', '^--env', '^-v [a-z]'])).not.toThrow();
    expect(() => enforceArgsFilters(extra(['--privileged']), ['^-e'])).not.toThrow();
    expect(() => enforceArgsFilters(task(['--privileged']), null)).not.toThrow();
    expect(() => enforceArgsFilters(task(['--privileged']), ['(unclosed'])).toThrow(/agent.docker_args_filters: "\(unclosed" is not a valid regular expression/);
  });

  it('-e values read the agent environment for admin switches; for the task only when allowed', () => {
    const env = { HOME: '/home/me', TOKEN: 's3cret' };
    const switches = [...extra(['-e', 'WHERE=$HOME/x', '-e', 'TOKEN']), ...task(['-e', 'MINE=${HOME}', '-e', 'TOKEN'])];
    const denied = expandEnvSwitches(switches, env, false);
    expect(denied.switches.map((s) => s.value)).toEqual(['WHERE=/home/me/x', 'TOKEN=s3cret', 'MINE=${HOME}']);
    expect(denied.notes).toEqual([expect.stringMatching(/-e TOKEN \(the task's container.arguments\) left out: the task may not read the agent environment/)]);
    const allowed = expandEnvSwitches(switches, env, true);
    expect(allowed.switches.map((s) => s.value)).toEqual(['WHERE=/home/me/x', 'TOKEN=s3cret', 'MINE=/home/me', 'TOKEN=s3cret']);
  });
});

describe('switchesToApi', () => {
  it('translates the switches the docker CLI would', () => {
    const api = switchesToApi(
      task([
        '--network', 'host', '--ipc=host', '--pid', 'host', '--shm-size', '8g', '--privileged', '--security-opt', 'seccomp=unconfined',
        '--cap-add', 'SYS_PTRACE', '--device', '/dev/fuse', '-e', 'A=1', '-v', '/data:/data:ro', '--mount', 'type=bind,source=/a,target=/b,readonly',
        '-l', 'team=ml', '--name', 'mine', '-u', '1000:1000', '--hostname', 'box', '--add-host', 'db:10.0.0.2', '--ulimit', 'nofile=1024:2048',
        '--memory', '512m', '--cpus', '1.5', '--tmpfs', '/scratch:size=1g', '--sysctl', 'net.core.somaxconn=1024', '-p', '127.0.0.1:8080:80', '--rm', '-t',
      ]),
    );
    expect(api.env).toEqual(['A=1']);
    expect(api.labels).toEqual({ team: 'ml' });
    expect(api).toMatchObject({ name: 'mine', user: '1000:1000', hostname: 'box', exposedPorts: { '80/tcp': {} } });
    expect(api.hostConfig).toEqual({
      NetworkMode: 'host',
      IpcMode: 'host',
      PidMode: 'host',
      ShmSize: 8 * 1024 ** 3,
      Privileged: true,
      SecurityOpt: ['seccomp=unconfined'],
      CapAdd: ['SYS_PTRACE'],
      Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }],
      Binds: ['/data:/data:ro'],
      Mounts: [{ Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true }],
      ExtraHosts: ['db:10.0.0.2'],
      Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
      Memory: 512 * 1024 ** 2,
      NanoCpus: 1.5e9,
      Tmpfs: { '/scratch': 'size=1g' },
      Sysctls: { 'net.core.somaxconn': '1024' },
      PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] },
    });
  });

  it.each([
    [['--gpus', 'all'], /GPUs come from the agent/],
    [['--entrypoint', 'bash'], /set the task entry point/],
    [['--shm-size', 'lots'], /expected a size such as 8g/],
    [['-v', 'nocolon'], /expected HOST_PATH_OR_VOLUME:CONTAINER_PATH/],
    [['--ulimit', 'nofile'], /expected NAME=SOFT\[:HARD\]/],
  ])('%j is refused with a reason', (words, message) => {
    expect(() => switchesToApi(task(words))).toThrow(message);
  });

  it('parses byte sizes as docker does (binary units)', () => {
    expect([parseByteSize('1024'), parseByteSize('1k'), parseByteSize('2G'), parseByteSize('1.5m'), parseByteSize('8gb'), parseByteSize('x')]).toEqual([1024, 1024, 2 * 1024 ** 3, 1.5 * 1024 ** 2, 8 * 1024 ** 3, null]);
  });
});

describe('GPUs in the container', () => {
  it.each([
    [{ NVIDIA_VISIBLE_DEVICES: 'none', CUDA_VISIBLE_DEVICES: '' }, { kind: 'none' }],
    [{ NVIDIA_VISIBLE_DEVICES: 'all', CUDA_VISIBLE_DEVICES: undefined }, { kind: 'all' }],
    [{}, { kind: 'all' }],
    [{ NVIDIA_VISIBLE_DEVICES: '2,3', CUDA_VISIBLE_DEVICES: '2,3' }, { kind: 'devices', ids: ['2', '3'], fraction: null }],
    [{ CUDA_VISIBLE_DEVICES: '1' }, { kind: 'devices', ids: ['1'], fraction: null }],
    [{ NVIDIA_VISIBLE_DEVICES: '0:1' }, { kind: 'devices', ids: ['0:1'], fraction: null }],
  ])('request from %j', (env, expected) => {
    expect(gpuRequestFromEnv(env)).toEqual(expected);
  });

  it('device ids in DeviceRequests (never with Count); inside, NVIDIA_ names the host ids and CUDA_ counts from 0', () => {
    const gpu = containerGpuSettings({ kind: 'devices', ids: ['2', '3'], fraction: null });
    expect(gpu.deviceRequests).toEqual([{ Driver: 'nvidia', DeviceIDs: ['2', '3'], Capabilities: [['gpu']] }]);
    expect(gpu.deviceRequests.every((r) => !(r.Count !== undefined && r.DeviceIDs !== undefined))).toBe(true);
    expect(gpu.env).toEqual({ NVIDIA_VISIBLE_DEVICES: '2,3', CUDA_VISIBLE_DEVICES: '0,1' });
    expect(containerGpuSettings({ kind: 'devices', ids: ['0:1'], fraction: null }).env).toEqual({ NVIDIA_VISIBLE_DEVICES: '0:1', CUDA_VISIBLE_DEVICES: '0' });
    expect(containerGpuSettings({ kind: 'devices', ids: ['GPU-abc', 'GPU-def'], fraction: null }).env.CUDA_VISIBLE_DEVICES).toBe('GPU-abc,GPU-def');
  });

  it('all = Count -1 with CUDA_VISIBLE_DEVICES unset; CPU-only passes no request', () => {
    expect(containerGpuSettings({ kind: 'all' })).toMatchObject({ deviceRequests: [{ Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }], env: { NVIDIA_VISIBLE_DEVICES: 'all' }, unsetEnv: ['CUDA_VISIBLE_DEVICES'] });
    expect(containerGpuSettings({ kind: 'none' })).toMatchObject({ deviceRequests: [], env: { NVIDIA_VISIBLE_DEVICES: 'none', CUDA_VISIBLE_DEVICES: '' } });
  });

  it('a fractional slot: its one GPU, the fraction exported, and with MPS a memory cap and thread share from the fraction', () => {
    const plain = containerGpuSettings({ kind: 'devices', ids: ['1'], fraction: 0.5 });
    expect(plain.env).toEqual({ NVIDIA_VISIBLE_DEVICES: '1', CUDA_VISIBLE_DEVICES: '0', TRAY_AGENT_GPU_FRACTION: '0.5' });
    expect(plain.ipcHost).toBe(false);
    const mps = containerGpuSettings({ kind: 'devices', ids: ['1'], fraction: 0.25 }, { mps: { pipeDirectory: '/tmp/nvidia-mps', deviceMemoryMiB: 143771 } });
    expect(mps.env).toMatchObject({ TRAY_AGENT_GPU_FRACTION: '0.25', CUDA_MPS_PIPE_DIRECTORY: '/tmp/nvidia-mps', CUDA_MPS_ACTIVE_THREAD_PERCENTAGE: '25', CUDA_MPS_PINNED_DEVICE_MEM_LIMIT: '0=35942M' });
    expect(mps.binds).toEqual(['/tmp/nvidia-mps:/tmp/nvidia-mps']);
    expect(mps.ipcHost).toBe(true);
  });

  it('CLEARML_DOCKER_SKIP_GPUS_FLAG: no device request, the runtime reads the variables', () => {
    const gpu = containerGpuSettings({ kind: 'devices', ids: ['0'], fraction: null }, { skipGpusFlag: true });
    expect(gpu.deviceRequests).toEqual([]);
    expect(gpu.env.NVIDIA_VISIBLE_DEVICES).toBe('0');
  });
});

describe('docker_container_name_format', () => {
  const base = { taskId: 'abc123def456', workerId: 'host:gpu0', task: { project: 'p1', hyperparams: { Args: { run: { value: 'r7' } } } }, fields: { project: 'project', run: 'hyperparams.Args.run.value' }, random: () => 0 };
  it.each([
    ['clearml-id-{task_id}', 'clearml-id-abc123def456'],
    ['t-{task_id:.6}-{rand_string:.8}', 't-abc123-aaaaaaaa'],
    ['{project}.{run}', 'p1.r7'],
  ])('%s → %s', (format, name) => {
    expect(formatContainerName({ ...base, format })).toEqual({ name, warning: null });
  });
  it('drops names docker refuses and unknown fields, with a warning', () => {
    expect(formatContainerName({ ...base, format: '{worker_id}' })).toMatchObject({ name: null, warning: expect.stringMatching(/gives "host:gpu0", which docker does not accept/) });
    expect(formatContainerName({ ...base, format: 'x-{nope}' })).toMatchObject({ name: null, warning: expect.stringMatching(/unknown field \{nope\}/) });
    expect(formatContainerName({ ...base, format: null })).toEqual({ name: null, warning: null });
  });
});

describe('image selection and --docker', () => {
  const defaults = { commandLine: null, defaultImage: 'python:3.11', defaultArguments: ['--network', 'none'], ignoreTaskImage: false };
  it("the task's image and arguments win; its setup script always runs", () => {
    expect(selectImage({ ...defaults, taskContainer: { image: 'nvidia/cuda:12 --ipc=host', arguments: '-e A=1', setup_shell_script: 'apt-get install -y x' } })).toEqual({
      image: 'nvidia/cuda:12',
      arguments: ['--ipc=host', '-e', 'A=1'],
      source: 'task',
      setupShellScript: 'apt-get install -y x',
      writeBack: false,
    });
    expect(selectImage({ ...defaults, ignoreTaskImage: true, taskContainer: { image: 'mine:1', arguments: '--privileged', setup_shell_script: 'echo hi' } })).toEqual({
      image: 'python:3.11',
      arguments: ['--network', 'none'],
      source: 'default',
      setupShellScript: 'echo hi',
      writeBack: true,
    });
  });
  it('no task image: the command line, else the default (with switches written after it), written back', () => {
    expect(selectImage({ ...defaults, commandLine: { image: 'cli:1', arguments: ['--ipc=host'] }, taskContainer: null })).toMatchObject({ image: 'cli:1', arguments: ['--ipc=host'], source: 'command-line', writeBack: true });
    expect(selectImage({ ...defaults, defaultImage: 'img:2 --shm-size 1g', taskContainer: { image: '' } })).toMatchObject({ image: 'img:2', arguments: ['--shm-size', '1g', '--network', 'none'], source: 'default' });
    expect(() => selectImage({ ...defaults, defaultImage: ' ', taskContainer: {} })).toThrow(/agent.default_docker.image is empty/);
  });
  it.each([
    [undefined, { enabled: false }],
    [true, { enabled: true, image: null, arguments: [] }],
    [['nvidia/cuda:12'], { enabled: true, image: 'nvidia/cuda:12', arguments: [] }],
    [['nvidia/cuda:12 --ipc=host -e "A=b c"'], { enabled: true, image: 'nvidia/cuda:12', arguments: ['--ipc=host', '-e', 'A=b c'] }],
    [['img', '--network=host'], { enabled: true, image: 'img', arguments: ['--network=host'] }],
  ])('--docker %j', (value, expected) => {
    expect(parseDockerFlag(value as never)).toEqual(expected);
  });
  it('--docker with a switch first is refused', () => {
    expect(() => parseDockerFlag(['--ipc=host'])).toThrow(/the first word must be the image/);
  });
});

describe('mounts', () => {
  const input: MountPlanInput = {
    runDir: '/state/work/t/docker/run',
    statusDir: '/state/work/t/docker/status',
    codeDir: '/state/work/t/code',
    askPassDir: null,
    caches: { pip: '/home/u/.clearml/pip-cache', apt: null, vcs: '/home/u/.clearml/vcs-cache', venvs: '/home/u/.clearml/venvs-cache/docker', sdk: null },
    internalMounts: DEFAULT_INTERNAL_MOUNTS,
    sshCopyDir: '/state/work/t/docker/ssh',
    sshAuthSock: null,
    hostMount: null,
  };
  it('run folder read-only, status and code writable, caches at the container paths, ~/.ssh copy read-only', () => {
    const plan = planMounts(input);
    expect(plan.binds).toEqual([
      '/state/work/t/docker/run:/tray-agent/run:ro',
      '/state/work/t/docker/status:/tray-agent/status',
      '/state/work/t/code:/tray-agent/code',
      '/home/u/.clearml/pip-cache:/root/.cache/pip',
      '/home/u/.clearml/vcs-cache:/root/.clearml/vcs-cache:ro',
      '/home/u/.clearml/venvs-cache/docker:/root/.clearml/venvs-cache',
      '/state/work/t/docker/ssh:/.ssh:ro',
    ]);
    expect(plan.cachePaths).toEqual({ pip: '/root/.cache/pip', venvs: '/root/.clearml/venvs-cache' });
  });
  it('SSH_AUTH_SOCK is mounted and exported instead of copying ~/.ssh', () => {
    const plan = planMounts({ ...input, sshAuthSock: '/run/user/1000/ssh.sock' });
    expect(plan.binds).toContain('/run/user/1000/ssh.sock:/run/user/1000/ssh.sock');
    expect(plan.binds.some((b) => b.includes('/.ssh'))).toBe(false);
    expect(plan.env).toEqual({ SSH_AUTH_SOCK: '/run/user/1000/ssh.sock' });
  });
  it('CLEARML_AGENT_K8S_HOST_MOUNT rewrites host paths under the pod path; others are dropped with a warning', () => {
    const plan = planMounts({ ...input, hostMount: parseHostMount('/mnt/node:/state') });
    expect(plan.binds.slice(0, 3)).toEqual(['/mnt/node/work/t/docker/run:/tray-agent/run:ro', '/mnt/node/work/t/docker/status:/tray-agent/status', '/mnt/node/work/t/code:/tray-agent/code']);
    expect(plan.warnings).toEqual([expect.stringMatching(/pip cache \/home\/u\/.clearml\/pip-cache is not under \/state/), expect.stringMatching(/vcs cache/), expect.stringMatching(/docker venvs cache/)]);
    expect(() => planMounts({ ...input, hostMount: parseHostMount('/mnt/node:/elsewhere') })).toThrow(DockerMountError);
    expect(() => parseHostMount('relative:/x')).toThrow(/expected <node_path>:<pod_path>, two absolute paths/);
  });
});

describe('the printed docker command', () => {
  const rules = { extraKeys: ['MY_PRIVATE'], parseEmbeddedUrls: true };
  it.each([
    ['CLEARML_API_SECRET_KEY=abc', 'CLEARML_API_SECRET_KEY=********'],
    ['AWS_SECRET_ACCESS_KEY=abc', 'AWS_SECRET_ACCESS_KEY=********'],
    ['HF_TOKEN=abc', 'HF_TOKEN=********'],
    ['DB_PASSWORD=abc', 'DB_PASSWORD=********'],
    ['MY_PRIVATE=abc', 'MY_PRIVATE=********'],
    ['INDEX=https://user:pw@pypi.example/simple', 'INDEX=https://user:***@pypi.example/simple'],
    ['PLAIN=value', 'PLAIN=value'],
  ])('%s → %s', (assignment, shown) => {
    expect(maskEnvAssignment(assignment, rules)).toBe(shown);
  });
  it('is a shell line with every secret masked', () => {
    const line = printableDockerCommand(
      { image: 'img:1', command: ['/bin/sh', '/tray-agent/run/bootstrap.sh'], name: 'n1', labels: { a: 'b' }, gpus: '"device=0"', switchWords: ['--network', 'host', '-v', 'https://u:pw@h/x:/x'], env: ['A=1', 'X_TOKEN=t0ps3cret', 'B=two words'], binds: ['/h:/c:ro'] },
      rules,
    );
    expect(line).toBe(`docker run --init --rm --name n1 -l a=b --gpus '"device=0"' --network host -v 'https://u:***@h/x:/x' -e A=1 -e 'X_TOKEN=********' -e 'B=two words' -v /h:/c:ro img:1 /bin/sh /tray-agent/run/bootstrap.sh`);
    expect(line).not.toContain('t0ps3cret');
  });
});

describe('buildRunSpec', () => {
  const input: RunSpecInput = {
    taskId: 'T1',
    workerId: 'host:1',
    parentWorkerId: 'host:daemon',
    role: 'task',
    image: 'img:1',
    switches: [...parseDockerArgs(['-e', 'CLEARML_TASK_ID=evil', '-e', 'MINE=1', '-l', 'tray-agent.worker-id=forged', '--network', 'none'], 'task')],
    baseEnv: { FROM_CONFIG: 'c', MINE: '0' },
    agentEnv: { CLEARML_TASK_ID: 'T1' },
    mounts: { binds: ['/r:/tray-agent/run:ro'], env: {}, warnings: [], cachePaths: { pip: null, venvs: null } },
    gpu: containerGpuSettings({ kind: 'devices', ids: ['1'], fraction: null }),
    extraLabels: { extra: 'x' },
    name: 'formatted',
    command: ['/bin/sh', '/tray-agent/run/bootstrap.sh'],
    maskRules: { extraKeys: [], parseEmbeddedUrls: true },
  };
  it('labels name worker and task (not forgeable), the agent env wins, init on, GPUs by device id', () => {
    const { create, printable } = buildRunSpec(input);
    expect(create.Labels).toMatchObject({ [LABELS.workerId]: 'host:1', [LABELS.taskId]: 'T1', [LABELS.role]: 'task', [LABELS.clearmlWorkerId]: 'host:1', [LABELS.clearmlParentWorkerId]: 'host:daemon', extra: 'x' });
    const env = create.Env!;
    // Later wins inside the container: config section < task switches < agent.
    expect(env.indexOf('MINE=1')).toBeGreaterThan(env.indexOf('MINE=0'));
    expect(env.lastIndexOf('CLEARML_TASK_ID=T1')).toBeGreaterThan(env.indexOf('CLEARML_TASK_ID=evil'));
    expect(env).toContain('TINI_KILL_PROCESS_GROUP=1');
    expect(create.HostConfig).toMatchObject({ Init: true, NetworkMode: 'none', Binds: ['/r:/tray-agent/run:ro'], DeviceRequests: [{ Driver: 'nvidia', DeviceIDs: ['1'], Capabilities: [['gpu']] }] });
    expect(create).toMatchObject({ Image: 'img:1', Tty: false, Entrypoint: [], Cmd: ['/bin/sh', '/tray-agent/run/bootstrap.sh'], name: 'formatted' });
    expect(printable).toContain('--gpus \'"device=1"\'');
  });
  it('a --name switch wins over the name format', () => {
    expect(buildRunSpec({ ...input, switches: parseDockerArgs(['--name', 'chosen'], 'task') }).name).toBe('chosen');
  });
});

describe('container venv key', () => {
  const key = { imageId: 'sha256:aaa', pythonCandidates: ['python3', 'python'], systemSitePackages: true, pipFlags: [], pipEnv: {}, requirements: ['b==1', 'a==2'] };
  it('one key per image id, python, flags and requirement set (order free)', () => {
    expect(dockerVenvKey(key)).toBe(dockerVenvKey({ ...key, requirements: ['a==2', 'b==1'] }));
    expect(dockerVenvKey(key)).not.toBe(dockerVenvKey({ ...key, imageId: 'sha256:bbb' }));
    expect(dockerVenvKey(key)).not.toBe(dockerVenvKey({ ...key, pythonCandidates: ['python3.10', 'python3', 'python'] }));
    expect(dockerVenvKey(key)).not.toBe(dockerVenvKey({ ...key, requirements: ['a==2'] }));
  });
  it.each([
    ['python3.10', undefined, ['python3.10', 'python3', 'python']],
    ['/usr/bin/python3', undefined, ['python3', 'python']],
    ['bash', undefined, ['python3', 'python']],
    [null, '3.12', ['python3.12', 'python3', 'python']],
  ])('python candidates for %s (override %s)', (binary, override, expected) => {
    expect(pythonCandidates(binary, override)).toEqual(expected);
  });
});

describe('docker connection and errors', () => {
  it.each([
    [{}, { socketPath: '/var/run/docker.sock' }, 'unix:///var/run/docker.sock'],
    [{ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }, { socketPath: '/run/user/1000/docker.sock' }, 'unix:///run/user/1000/docker.sock'],
    [{ DOCKER_HOST: 'tcp://10.0.0.5:2375' }, { host: '10.0.0.5', port: 2375, protocol: 'http' }, 'tcp://10.0.0.5:2375'],
    [{ DOCKER_HOST: 'tcp://box', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' }, { host: 'box', port: 2376, protocol: 'https', certPath: '/certs' }, 'tcp://box'],
  ])('%j', (env, options, endpoint) => {
    expect(dockerConnectionFromEnv(env)).toEqual({ options, endpoint });
  });
  it('a bad DOCKER_HOST names the variable', () => {
    expect(() => dockerConnectionFromEnv({ DOCKER_HOST: 'ftp://x' })).toThrow(/DOCKER_HOST="ftp:\/\/x": expected unix:/);
  });
  it('daemon down, socket without permission and missing GPU runtime each say what to do', () => {
    expect(connectionProblem(Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' }), 'unix:///var/run/docker.sock')).toMatchObject({ reason: 'docker daemon not running', message: expect.stringMatching(/Start it \(systemctl start docker, or dockerd\)/) });
    expect(connectionProblem(Object.assign(new Error('connect EACCES'), { code: 'EACCES' }), 'unix:///var/run/docker.sock')).toMatchObject({
      reason: 'docker permission denied',
      message: expect.stringMatching(/permission denied on the docker socket unix:\/\/\/var\/run\/docker.sock \(EACCES\).*usermod -aG docker/),
    });
    expect(describeDockerFailure({ statusCode: 500, json: { message: 'could not select device driver "nvidia" with capabilities: [[gpu]]' } }, 'starting', 'x')).toMatchObject({ reason: 'docker has no GPU support', message: expect.stringMatching(/--cpu-only/) });
    expect(describeDockerFailure({ statusCode: 404, json: { message: 'network bridge not found' } }, 'creating', 'x')).toMatchObject({ reason: 'docker network not found', message: expect.stringMatching(/--network none or --network host/) });
  });
  it('image names split into repository and tag', () => {
    expect(splitImageName('my/task:v1')).toEqual({ repo: 'my/task', tag: 'v1' });
    expect(splitImageName('registry:5000/my/task')).toEqual({ repo: 'registry:5000/my/task', tag: 'latest' });
  });
});

describe('bootstrap script', () => {
  const input = {
    taskId: 'T',
    pythonCandidates: ['python3.10', 'python3'],
    venv: { dir: '/root/.clearml/venvs-cache/k', cached: true },
    systemSitePackages: true,
    hasRequirements: true,
    pipFlags: ['--index-url', "http://x/simple'"],
    pipEnv: { PIP_INDEX_URL: 'http://y' },
    gitAskPass: true,
    setupScripts: [{ label: 'setup', file: 'setup-0.sh' }],
    sshCopyDir: '/.ssh',
    unsetEnv: ['CUDA_VISIBLE_DEVICES'],
    workingDir: "/tray-agent/code/it's",
    pythonPath: ['/tray-agent/code'],
    entry: { command: '{python}', args: ['-u', 'train.py', '--x', '$HOME'] },
    mode: 'run' as const,
  };
  it('quotes every value for sh, reuses the cached venv under a lock, and execs the entry point', () => {
    const script = bootstrapScript(input);
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(script).toContain(`cd '/tray-agent/code/it'\\''s'`);
    expect(script).toContain(`exec "$VENV/bin/python" '-u' 'train.py' '--x' '$HOME'`);
    expect(script).toContain('flock 8');
    expect(script).toContain(`'--index-url' 'http://x/simple'\\'''`);
    expect(script).toContain(`( . '/tray-agent/run/git-askpass.env' && env PIP_INDEX_URL='http://y' "$VENV/bin/python" -m pip install`);
    expect(script).toContain('-m venv --system-site-packages "$VENV"');
    expect(script).toContain('unset CUDA_VISIBLE_DEVICES');
    expect(script.indexOf('echo running')).toBeLessThan(script.indexOf('exec "$VENV'));
  });
  it('without a venv the image python runs as is', () => {
    const script = bootstrapScript({ ...input, venv: null });
    expect(script).toContain(`exec "$PYTHON" '-u' 'train.py'`);
    expect(script).not.toContain('pip install');
  });
  it('refuses a build without a venv', () => {
    expect(() => bootstrapScript({ ...input, venv: null, mode: 'build' })).toThrow(/needs a venv/);
  });
  it('parse errors are DockerArgsError', () => {
    expect(() => parseDockerArgs(['--nope'], 'default')).toThrow(DockerArgsError);
  });
});
