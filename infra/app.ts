import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LoginStack } from './login-stack.ts';
import { readSettings } from './settings.ts';

const app = new App();
new LoginStack(app, 'MovieKnightAuth', {
  description: 'Movie Knight Auth: POST /api/auth/login',
  settings: readSettings((key) => app.node.tryGetContext(key)),
});

// cdk-nag's AwsSolutions rules: a finding that is neither fixed nor acknowledged (with its reason,
// next to the construct) fails `cdk synth` and `cdk deploy`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
