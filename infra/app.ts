import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AuthStack } from './auth-stack.ts';
import { readSettings } from './stack-settings.ts';

const app = new App();
new AuthStack(app, 'MovieKnightAuth', {
  description: 'Movie Knight Auth: sign-in API, access tokens and their signing keys',
  settings: readSettings((key) => app.node.tryGetContext(key)),
});

// cdk-nag's AwsSolutions rules: a finding that is neither fixed nor acknowledged (with its reason,
// next to the construct) fails `cdk synth` and `cdk deploy`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
