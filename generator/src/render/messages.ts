import path from 'node:path';
import type { DeploymentContext } from './context.js';

/** What to do after the generator wrote the folder, printed at the end of `yo plz-deploy`. */
export function nextSteps(context: DeploymentContext, destination: string): string {
  const relative = path.relative(process.cwd(), destination);
  const here = relative === '' ? '.' : relative.startsWith('..') ? destination : relative;
  if (context.workerHost) {
    return [
      '',
      `plz worker host "${context.workerHost.workerHost}" of the deployment "${context.workerHost.deployment}" written to ${destination}.`,
      `Its credentials are in secrets/controller.env (mode 0600) and the controller's CA in ssl/controller/ca.crt: delete the join bundle you copied here.`,
      'Next:',
      `  cd ${here}`,
      '  ./init-deployment.sh            # checks this host and that the controller answers over TLS',
      `  ${context.composeCommand} up -d --wait --remove-orphans`,
      '',
      `Its workers then appear in \`plz workers\` with host ${context.workerHost.workerHost}. DEPLOYMENT.md explains every file of the folder.`,
      '',
    ].join('\n');
  }
  return [
    '',
    `plz deployment "${context.name}" written to ${destination}.`,
    'Next:',
    `  cd ${here}`,
    `  ./init-deployment.sh${context.https ? '            # needs ssl/nginx/server.crt and server.key' : ''}`,
    `  ${context.composeCommand} up -d --wait --remove-orphans`,
    '',
    `Then reach the REST API at ${context.https ? context.urls.https : context.urls.http}/api/ and MLflow at ${context.https ? context.urls.https : context.urls.http}/mlflow/.`,
    'DEPLOYMENT.md explains every file of the folder.',
    '',
  ].join('\n');
}
