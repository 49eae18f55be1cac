import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { HTTP_FUNCTIONS } from '#lib/http/routes.ts';
import { SESSIONS_TABLE } from '#lib/sessions/table.ts';
import { sharedSynthesis } from '#test/support/shared-synthesis.ts';
import { findFunction } from '#test/support/synth.ts';

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
const ON_CONTROL_KEY = { 'ForAnyValue:StringEquals': { 'dynamodb:LeadingKeys': [SESSIONS_TABLE.controlKey] } };

/**
 * The global session epoch (lib/sessions/control.ts) is one item of the sessions table: every
 * function that judges or starts a session reads it, and no function may write it (only an
 * operator's `npm run users -- end-all-sessions` does), so a compromised function cannot bring
 * ended sessions back.
 */
describe('the global session epoch in the stack', () => {
  let template: Template;
  /** Every public function: each route's. */
  const functionIds = Object.values(HTTP_FUNCTIONS).map(({ constructId }) => constructId);
  /** Every statement of a function's role that names the sessions table itself (not its index). */
  const onSessionsTable = (id: string): Statement[] => {
    const role = findFunction(template, id).resource.Properties.Role['Fn::GetAtt'][0];
    return Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => policy.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
      .filter((statement) => /"Sessions[A-Za-z0-9]*Table[A-Za-z0-9]*","Arn"/.test(JSON.stringify(statement.Resource)));
  };
  const actionsOf = (statement: Statement) => [statement.Action].flat();

  beforeAll(async () => {
    ({ template } = await sharedSynthesis());
  });

  it('denies every function that writes sessions any write to the control item', () => {
    const writers = functionIds.filter((id) =>
      onSessionsTable(id).some(
        (statement) => statement.Effect === 'Allow' && actionsOf(statement).some((action) => WRITES.includes(action)),
      ),
    );
    expect(writers.sort()).toEqual(
      ['LoginFunction', 'PasskeySignInFunction', 'PasswordFunction', 'RefreshFunction', 'SessionsFunction'].sort(),
    );
    for (const id of writers) {
      const denies = onSessionsTable(id).filter((statement) => statement.Effect === 'Deny');
      expect({ id, denies: denies.map((d) => ({ actions: actionsOf(d).sort(), condition: d.Condition })) }).toEqual({
        id,
        denies: [{ actions: [...WRITES].sort(), condition: ON_CONTROL_KEY }],
      });
    }
    // No function gets a write on the table without a condition the deny does not already cover:
    // the deny's actions are every item write an allow could grant.
    for (const id of functionIds) {
      for (const statement of onSessionsTable(id).filter((s) => s.Effect === 'Allow')) {
        for (const action of actionsOf(statement).filter((a) => /Put|Update|Delete|Write/.test(a))) {
          expect(WRITES).toContain(action);
        }
      }
    }
  });

  it('lets the sign-ins read the control item only, its epoch only; the session checks read it by id', () => {
    const reads = (id: string) =>
      onSessionsTable(id).filter(
        (statement) => statement.Effect === 'Allow' && actionsOf(statement).includes('dynamodb:GetItem'),
      );
    for (const id of ['LoginFunction', 'PasskeySignInFunction']) {
      expect({ id, conditions: reads(id).map((statement) => statement.Condition) }).toEqual({
        id,
        conditions: [
          {
            'ForAllValues:StringEquals': {
              'dynamodb:LeadingKeys': [SESSIONS_TABLE.controlKey],
              'dynamodb:Attributes': [SESSIONS_TABLE.partitionKey, SESSIONS_TABLE.controlAttribute],
            },
            StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
          },
        ],
      });
    }
    // Every function that judges a session reads sessions by id, the control item with them; the
    // well-known function touches no table.
    for (const id of ['MeFunction', 'RefreshFunction', 'SessionsFunction', 'PasswordFunction', 'PasskeysFunction']) {
      expect({ id, reads: reads(id).length }).toEqual({ id, reads: 1 });
    }
    expect(onSessionsTable('WellKnownFunction')).toEqual([]);
  });
});
