import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';

export interface LoginAlarmsProps {
  /** Namespace and service dimension the function's Powertools Metrics publish under. */
  namespace: string;
  service: string;
  /** Failed logins in 5 minutes that count as a spike. */
  failureThreshold: number;
}

/**
 * Alarms an operator should hear about: a spike of failed logins (credential stuffing, a broken
 * client), and secrets that cannot be read (containers serve what they hold for an hour, then 503).
 */
export class LoginAlarms extends Construct {
  readonly failureSpike: Alarm;
  readonly secretRefreshFailed: Alarm;

  constructor(scope: Construct, id: string, props: LoginAlarmsProps) {
    super(scope, id);
    this.failureSpike = new Alarm(this, 'FailureSpike', {
      alarmDescription: 'Failed logins spiked: credential stuffing or a broken client. See docs/operations.md.',
      metric: new Metric({
        namespace: props.namespace,
        metricName: 'LoginFailed',
        dimensionsMap: { service: props.service },
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
      threshold: props.failureThreshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    // Any failed refresh of a secret a container holds (lib/aws/secrets.ts): the hour of stale
    // grace is the time to act, so one failure is enough to hear of it.
    this.secretRefreshFailed = new Alarm(this, 'SecretRefreshFailed', {
      alarmDescription:
        'A function could not read a secret it holds: it serves the old value for up to an hour, then answers 503. See docs/operations.md, Secrets Manager cannot be read.',
      metric: new Metric({
        namespace: props.namespace,
        metricName: 'SecretRefreshFailed',
        dimensionsMap: { service: props.service },
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
