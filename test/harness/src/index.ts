export { runCommand, type Result } from './command.js';
export { docker, dockerBinary, dockerEnv, ComposeProject } from './docker.js';
