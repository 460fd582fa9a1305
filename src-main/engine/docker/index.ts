/**
 * Docker mode (issue 9, docs/docker.md): everything through dockerode, no agent inside the
 * container. The executor seam runs `dockerPhases(...)` after start and workspace.
 */
export { dockerPhases, type DockerPhaseOptions, type TaskContainerField } from './phases.js';
export { dockerSettingsFromConfig, detectMps, type DockerSettings, type DockerSettingsOverrides } from './settings.js';
export { createDockerTaskApi } from './task-api.js';
export { parseDockerFlag, selectImage, type DockerFlag, type ImageSelection } from './image-selection.js';
export { createDockerClient, checkDockerDaemon, dockerConnectionFromEnv, type DockerConnection } from './docker-client.js';
export { findOrphanContainers, removeOrphanContainers, type OrphanContainer } from './orphans.js';
export { DockerError } from './errors.js';
export { LABELS, type ContainerRole } from './run-spec.js';
export { buildTaskImage, type BuildImageOptions, type BuiltImage } from './build-image.js';
export { serviceWorkerId, countServiceContainers, stopServiceContainers } from './services.js';
export { dockerExecutor, type DockerExecutorOptions } from './executor.js';
export { containerReaper } from './container-reaper.js';
