import { delimiter } from 'node:path';

/** What the task process finds in its environment (reference §4.2). */
export interface TaskEnvInput {
  /** The agent's own environment, already carrying the config `environment {}` section. */
  readonly baseEnv: Record<string, string | undefined>;
  readonly taskId: string;
  readonly workerId: string;
  readonly configFile: string;
  readonly logLevel?: string;
  readonly workingDir: string;
  readonly repoDir: string | null;
  readonly forceGitRootPythonPath: boolean;
  /** GPU variables for the task; undefined removes the variable (CUDA sees every device). */
  readonly gpuEnv: Record<string, string | undefined>;
  /** Task `Environment` hyper-parameter section, exported when agent.enable_task_env is on. */
  readonly taskEnvironment?: Record<string, string>;
  readonly venvDir?: string | null;
}

/** Variables that carry the agent's own secrets and must not leak into the task. */
const agentOnlyVariables = ['CLEARML_API_SECRET_KEY', 'CLEARML_API_ACCESS_KEY', 'CLEARML_AUTH_TOKEN', 'CLEARML_AGENT_GIT_PASS', 'CLEARML_AGENT_GIT_USER'];

export function buildTaskEnv(input: TaskEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.baseEnv)) if (value !== undefined) env[key] = value;
  // The task reads its credentials from the 0600 config file, not from inherited variables.
  for (const key of agentOnlyVariables) delete env[key];
  Object.assign(env, input.taskEnvironment ?? {});
  const pythonPath = [input.forceGitRootPythonPath && input.repoDir ? input.repoDir : input.workingDir];
  if (input.repoDir && !pythonPath.includes(input.repoDir) && !input.forceGitRootPythonPath) pythonPath.push(input.repoDir);
  const extra = env['CLEARML_AGENT_EXTRA_PYTHON_PATH'];
  const existing = env['PYTHONPATH'];
  env['PYTHONPATH'] = [...(existing ? [existing] : []), ...pythonPath, ...(extra ? [extra] : [])].join(delimiter);
  Object.assign(env, {
    CLEARML_TASK_ID: input.taskId,
    TRAINS_TASK_ID: input.taskId,
    CLEARML_LOG_TASK_TO_BACKEND: '0',
    TRAINS_LOG_TASK_TO_BACKEND: '0',
    CLEARML_CONFIG_FILE: input.configFile,
    TRAINS_CONFIG_FILE: input.configFile,
    CLEARML_WORKER_ID: input.workerId,
    CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
    PYTHONUNBUFFERED: '1',
  });
  for (const [key, value] of Object.entries(input.gpuEnv)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  if (input.logLevel) {
    env['CLEARML_LOG_LEVEL'] = input.logLevel;
    env['TRAINS_LOG_LEVEL'] = input.logLevel;
  }
  if (input.venvDir) {
    env['VIRTUAL_ENV'] = input.venvDir;
    env['PATH'] = [`${input.venvDir}/bin`, env['PATH'] ?? ''].filter(Boolean).join(delimiter);
  }
  return env;
}
