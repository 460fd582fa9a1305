/**
 * Which image and switches a task runs with (reference §5.1) and the `--docker [IMAGE [ARGS…]]`
 * flag of `daemon`, `execute` and `build`. Pure.
 */
import { splitShellWords } from '../config/shell-words.js';
import { DockerArgsError } from './docker-args.js';

/** What `--docker` said: absent, bare (the configured default), or an image with switches. */
export type DockerFlag = { enabled: false } | { enabled: true; image: string | null; arguments: string[] };

/**
 * Reads commander's value of `--docker [image...]`: `undefined` (absent), `true` (bare) or the
 * words after it. As with clearml-agent, switches that start with `-` go inside one quoted
 * word (`--docker "nvidia/cuda:12 --ipc=host"`), so each word is split again.
 */
export function parseDockerFlag(value: undefined | boolean | string | readonly string[]): DockerFlag {
  if (value === undefined || value === false) return { enabled: false };
  if (value === true) return { enabled: true, image: null, arguments: [] };
  const words: string[] = [];
  for (const part of typeof value === 'string' ? [value] : value) {
    const split = splitShellWords(part);
    if (split === null) throw new DockerArgsError(`--docker "${part}": a quote is not closed`);
    words.push(...split);
  }
  if (words.length === 0) return { enabled: true, image: null, arguments: [] };
  const [image, ...rest] = words;
  if (image!.startsWith('-')) {
    throw new DockerArgsError(`--docker "${words.join(' ')}": the first word must be the image (--docker "IMAGE ${words.join(' ')}"), or give no value for the default image`);
  }
  return { enabled: true, image: image!, arguments: rest };
}

export interface ImageSelectionInput {
  /** `--docker IMAGE ARGS` of the command, when given. */
  readonly commandLine: { image: string; arguments: readonly string[] } | null;
  /** agent.default_docker.image (CLEARML_DOCKER_IMAGE already applied; may carry switches after the image). */
  readonly defaultImage: string;
  readonly defaultArguments: readonly string[];
  /** The task's `container` field. */
  readonly taskContainer: Readonly<Record<string, unknown>> | null | undefined;
  /** agent.disable_task_docker_override, or `build --force-docker`. */
  readonly ignoreTaskImage: boolean;
}

export interface ImageSelection {
  readonly image: string;
  /** Switch words, before parsing. */
  readonly arguments: string[];
  /** Where image and switches came from. */
  readonly source: 'task' | 'default' | 'command-line';
  /** The task's setup_shell_script (kept even when its image is ignored, as clearml-agent does). */
  readonly setupShellScript: string;
  /** The task's `container` should be written back: it did not name what ran. */
  readonly writeBack: boolean;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function words(textValue: string, what: string): string[] {
  const split = splitShellWords(textValue);
  if (split === null) throw new DockerArgsError(`${what} "${textValue}": a quote is not closed`);
  return split;
}

export function selectImage(input: ImageSelectionInput): ImageSelection {
  const container = input.taskContainer ?? {};
  const setupShellScript = text(container['setup_shell_script']);
  const taskImage = text(container['image']).trim();
  if (taskImage && !input.ignoreTaskImage) {
    // An image written as "image --switch" in the UI's single field still works.
    const [image, ...inline] = words(taskImage, "the task's container.image");
    return {
      image: image!,
      arguments: [...inline, ...words(text(container['arguments']), "the task's container.arguments")],
      source: 'task',
      setupShellScript,
      writeBack: false,
    };
  }
  if (input.commandLine) {
    return { image: input.commandLine.image, arguments: [...input.commandLine.arguments], source: 'command-line', setupShellScript, writeBack: true };
  }
  const [image, ...inline] = words(input.defaultImage.trim(), 'agent.default_docker.image');
  if (!image) throw new DockerArgsError('agent.default_docker.image is empty and the task names no image; set agent.default_docker.image (or CLEARML_DOCKER_IMAGE) or the task container image');
  return { image, arguments: [...inline, ...input.defaultArguments], source: 'default', setupShellScript, writeBack: true };
}
