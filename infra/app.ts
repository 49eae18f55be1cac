import { App } from 'aws-cdk-lib';
import { LoginStack } from './login-stack.ts';
import { readSettings } from './settings.ts';

const app = new App();
new LoginStack(app, 'MovieKnightAuth', {
  description: 'Movie Knight Auth: POST /api/auth/login',
  settings: readSettings((key) => app.node.tryGetContext(key)),
});
