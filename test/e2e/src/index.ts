export { docker, dockerBinary, dockerEnv, ComposeProject } from './docker.js';
