import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { USERS_TABLE } from '#lib/users/table.ts';

/**
 * The users table, built from the same definition as the local and test tables. It holds
 * every Movie Knight account, so it is kept when the stack goes (RETAIN), cannot be deleted
 * by accident (deletion protection) and can be restored to any second of the last 35 days.
 */
export class UsersTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: USERS_TABLE.partitionKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      globalSecondaryIndexes: Object.values(USERS_TABLE.indexes).map((index) => ({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      })),
    });
  }

  /**
   * Lets `grantee` replace password hashes (rehash on login), and no other attribute: a
   * fine-grained condition on the attribute names the request may touch.
   */
  grantPasswordHashUpdate(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
      conditions: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': [USERS_TABLE.partitionKey, 'passwordHash'] },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
      },
    });
  }

  /**
   * Lets `grantee` move a user's `sessionEpoch` on (logout everywhere), and no other attribute.
   */
  grantEndAllSessions(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
      conditions: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': [USERS_TABLE.partitionKey, 'sessionEpoch'] },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
      },
    });
  }

  /**
   * Lets `grantee` change a password (`POST /api/auth/password`): the hash and the epoch that ends
   * every session, in a transaction, and no other attribute.
   */
  grantPasswordChange(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
      conditions: {
        'ForAllValues:StringEquals': {
          'dynamodb:Attributes': [USERS_TABLE.partitionKey, 'passwordHash', 'sessionEpoch'],
        },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
      },
    });
  }

  /**
   * Lets `grantee` check a user item inside a transaction (`ConditionCheck`: a session starts only
   * while the item holds the hash and epoch the login read), and nothing else. It writes nothing,
   * and the login reads the whole item from the indexes anyway.
   */
  grantSessionGuard(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:ConditionCheckItem'],
      resourceArns: [this.table.tableArn],
      conditions: { StringEquals: { 'dynamodb:EnclosingOperation': 'TransactWriteItems' } },
    });
  }

  /**
   * Lets `grantee` read a user by id (`GetItem`) with a projection of these attributes only: a
   * request that asks for any other (or for the whole item) is refused, so a flaw in a
   * public-facing function cannot read a password hash. AWS's own pattern for attribute-level
   * reads (`Select` is a Query and Scan parameter; on GetItem, if present, it must be specific).
   */
  grantReadAttributesById(grantee: IGrantable, attributes: readonly string[]): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem'],
      resourceArns: [this.table.tableArn],
      conditions: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...attributes] },
        StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
      },
    });
  }

  /** Lets `grantee` read a user by id (`GetItem`), the whole item, and nothing else. */
  grantReadById(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['dynamodb:GetItem'], resourceArns: [this.table.tableArn] });
  }

  /** Lets `grantee` run `Query` on the email and username indexes, and nothing else. */
  grantLookup(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: Object.values(USERS_TABLE.indexes).map(
        (index) => `${this.table.tableArn}/index/${index.indexName}`,
      ),
    });
  }
}
