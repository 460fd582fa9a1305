/**
 * `docker run` switches as users write them (task `container.arguments`,
 * `agent.default_docker.arguments`, `agent.extra_docker_arguments`, `--docker "IMAGE ARGS"`),
 * parsed into one switch per entry so the policy (merge, protected, filters) and the translation
 * to the Engine API work on whole switches. Pure.
 */

/** Where a switch came from; named in every message about it. */
export type DockerArgsSource = 'task' | 'default' | 'extra' | 'command-line';

export interface DockerSwitch {
  /** Canonical long name without dashes: `network`, `env`, `volume`, `privileged`. */
  readonly name: string;
  /** The value (`host`, `KEY=V`, `/a:/b`), null for flags. */
  readonly value: string | null;
  /** The words as written, e.g. `['--network', 'host']` or `['--network=host']`. */
  readonly words: readonly string[];
  readonly source: DockerArgsSource;
}

export class DockerArgsError extends Error {
  override readonly name = 'DockerArgsError';
}

interface SwitchSpec {
  readonly name: string;
  readonly takesValue: boolean;
}

const flag = (name: string): SwitchSpec => ({ name, takesValue: false });
const valued = (name: string): SwitchSpec => ({ name, takesValue: true });

/** Every switch we understand, by each spelling. */
const SWITCHES: ReadonlyMap<string, SwitchSpec> = new Map(
  Object.entries({
    '-e': valued('env'),
    '--env': valued('env'),
    '-v': valued('volume'),
    '--volume': valued('volume'),
    '--mount': valued('mount'),
    '--network': valued('network'),
    '--net': valued('network'),
    '--ipc': valued('ipc'),
    '--pid': valued('pid'),
    '--uts': valued('uts'),
    '--shm-size': valued('shm-size'),
    '--privileged': flag('privileged'),
    '--security-opt': valued('security-opt'),
    '--cap-add': valued('cap-add'),
    '--cap-drop': valued('cap-drop'),
    '--device': valued('device'),
    '--gpus': valued('gpus'),
    '-l': valued('label'),
    '--label': valued('label'),
    '--name': valued('name'),
    '-u': valued('user'),
    '--user': valued('user'),
    '-h': valued('hostname'),
    '--hostname': valued('hostname'),
    '--add-host': valued('add-host'),
    '--dns': valued('dns'),
    '--ulimit': valued('ulimit'),
    '-m': valued('memory'),
    '--memory': valued('memory'),
    '--memory-swap': valued('memory-swap'),
    '--cpus': valued('cpus'),
    '--cpuset-cpus': valued('cpuset-cpus'),
    '--cpu-shares': valued('cpu-shares'),
    '-c': valued('cpu-shares'),
    '--pids-limit': valued('pids-limit'),
    '--runtime': valued('runtime'),
    '--tmpfs': valued('tmpfs'),
    '--group-add': valued('group-add'),
    '--sysctl': valued('sysctl'),
    '-p': valued('publish'),
    '--publish': valued('publish'),
    '--entrypoint': valued('entrypoint'),
    '-w': valued('workdir'),
    '--workdir': valued('workdir'),
    '--restart': valued('restart'),
    '--platform': valued('platform'),
    '--env-file': valued('env-file'),
    // Accepted and ignored: the agent always removes its containers, runs them under an init,
    // never with a TTY (stdout and stderr stay apart) and never interactively.
    '--rm': flag('rm'),
    '--init': flag('init'),
    '-t': flag('tty'),
    '--tty': flag('tty'),
    '-i': flag('interactive'),
    '--interactive': flag('interactive'),
    '-it': flag('tty'),
    '-ti': flag('tty'),
    '-d': flag('detach'),
    '--detach': flag('detach'),
  }),
);

/** Switches the agent accepts but does not act on (see SWITCHES). */
export const IGNORED_SWITCHES: ReadonlySet<string> = new Set(['rm', 'init', 'tty', 'interactive', 'detach']);

export function describeSource(source: DockerArgsSource): string {
  switch (source) {
    case 'task':
      return "the task's container.arguments";
    case 'default':
      return 'agent.default_docker.arguments';
    case 'extra':
      return 'agent.extra_docker_arguments';
    case 'command-line':
      return 'the --docker flag';
  }
}

const SUPPORTED_TEXT = 'supported: -e/--env, -v/--volume, --mount, --network, --ipc, --pid, --shm-size, --privileged, --security-opt, --cap-add, --cap-drop, --device, -l/--label, --name, -u/--user, --hostname, --add-host, --dns, --ulimit, --memory, --memory-swap, --cpus, --cpuset-cpus, --cpu-shares, --pids-limit, --runtime, --tmpfs, --group-add, --sysctl, -p/--publish';

/** Parses docker run switches; a positional word or an unknown switch is an error naming it. */
export function parseDockerArgs(words: readonly string[], source: DockerArgsSource): DockerSwitch[] {
  const switches: DockerSwitch[] = [];
  for (let index = 0; index < words.length; index += 1) {
    const word = words[index] as string;
    if (word.trim() === '') continue;
    const equals = word.startsWith('--') ? word.indexOf('=') : -1;
    const spelling = equals > 0 ? word.slice(0, equals) : word;
    const spec = SWITCHES.get(spelling);
    if (!spec) {
      const what = word.startsWith('-') ? `unknown docker switch "${spelling}"` : `"${word}" is not a docker switch (an image or command cannot be given here)`;
      throw new DockerArgsError(`${describeSource(source)}: ${what}; ${SUPPORTED_TEXT}`);
    }
    if (!spec.takesValue) {
      if (equals > 0) throw new DockerArgsError(`${describeSource(source)}: "${word}": ${spelling} takes no value`);
      switches.push({ name: spec.name, value: null, words: [word], source });
      continue;
    }
    if (equals > 0) {
      switches.push({ name: spec.name, value: word.slice(equals + 1), words: [word], source });
      continue;
    }
    const value = words[index + 1];
    if (value === undefined) throw new DockerArgsError(`${describeSource(source)}: ${spelling} needs a value`);
    switches.push({ name: spec.name, value, words: [word, value], source });
    index += 1;
  }
  return switches;
}

/** The words of a list of switches, in order. */
export function switchWords(switches: readonly DockerSwitch[]): string[] {
  return switches.flatMap((s) => [...s.words]);
}
