import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AuthStack } from '#infra/auth-stack.ts';
import { readSettings } from '#infra/stack-settings.ts';

export interface Synthesized {
  stack: AuthStack;
  template: Template;
  /** The cloud assembly directory, where CDK put the bundled assets. */
  outdir: string;
}

/** The stack's name in the cloud assembly, as infra/app.ts names it. */
export const STACK_NAME = 'MovieKnightAuth';

/**
 * cdk.json's context (the feature flags `cdk synth` and `cdk deploy` apply), so the template the
 * tests check is the one that deploys; but for `minimizePolicies`, which only merges IAM
 * statements into fewer, larger ones: the least-privilege tests read each grant as its own
 * statement.
 */
const { '@aws-cdk/aws-iam:minimizePolicies': _merged, ...CDK_JSON_CONTEXT } = JSON.parse(
  readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
).context as Record<string, unknown>;

/** What CDK's `aws:cdk:bundling-stacks` takes to bundle no function: for tests of the template alone. */
export const WITHOUT_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

/**
 * Synthesizes the stack as `cdk synth` does (bundling and cdk-nag's AwsSolutions checks
 * included, as in infra/app.ts), into `outdir` (a fresh directory unless given). A finding that
 * is not acknowledged makes synthesis throw. Bundling the seven functions costs tens of seconds on
 * two cores: a test that needs the default stack's bundles takes the run's one synthesis
 * (`sharedSynthesis` in shared-synthesis.ts); a test of the template alone passes `WITHOUT_BUNDLING`.
 */
export const synthesize = (
  context: Record<string, unknown> = {},
  /** A change to the stack before synthesis, for tests that need a stack that is wrong. */
  alter?: (stack: AuthStack) => void,
  outdir = mkdtempSync(join(tmpdir(), 'mk-auth-cdk-')),
): Synthesized => {
  // The metadata the CDK CLI asks for, and that SAM reads: construct paths and asset paths.
  const app = new App({
    outdir,
    context: {
      ...CDK_JSON_CONTEXT,
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:enable-asset-metadata': true,
      ...context,
    },
  });
  const stack = new AuthStack(app, STACK_NAME, {
    settings: readSettings((key) => app.node.tryGetContext(key)),
  });
  alter?.(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const template = Template.fromStack(stack);
  app.synth();
  return { stack, template, outdir };
};

/** The logical id and properties of the one function whose CDK path ends in `/${id}/Resource`. */
export const findFunction = (template: Template, id: string) => {
  const matches = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([, resource]) =>
    String(resource.Metadata?.['aws:cdk:path']).endsWith(`/${id}/Resource`),
  );
  if (matches.length !== 1) throw new Error(`Expected one function ${id}, found ${matches.length}`);
  const [logicalId, resource] = matches[0]!;
  return { logicalId, resource };
};
