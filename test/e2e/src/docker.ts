// The docker and compose helpers live in @plz/test-harness, shared with the fault suite (@plz/faults).
export { docker, dockerBinary, dockerEnv, ComposeProject } from '@plz/test-harness';
