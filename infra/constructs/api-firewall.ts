import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { httpError } from '#lib/http/messages.ts';

export interface ApiFirewallProps {
  /** The API Gateway stage to protect. */
  stageArn: string;
  /** Most requests one IP may send to the stage, on all routes together, in any 5-minute window. */
  rateLimitPer5Minutes: number;
}

/** The rule's name, and the name of its CloudWatch metric (`AWS/WAFV2`, dimension `Rule`). */
export const RATE_RULE_NAME = 'RatePerIp';

/**
 * An AWS WAF web ACL on the API stage with one per-IP rate-based rule over every request the
 * stage receives: login, refresh, the session routes, the well-known documents and any route
 * added later, with no path to match (a path match is a list to keep up to date, and a suffix
 * match misses what API Gateway routes anyway, such as a trailing slash). One bucket per source
 * address, so a source cannot spread its requests over routes either. The stage's throttling
 * stays the global ceiling behind it.
 *
 * The construct ids (`WebAcl`, `Association`, and the stack's `LoginFirewall`) are those of the
 * login-only firewall this was: the rule lives inside the web ACL, so widening it updates the
 * deployed web ACL in place, and new ids would replace it.
 */
export class ApiFirewall extends Construct {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: ApiFirewallProps) {
    super(scope, id);
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('MovieKnightAuthWebAcl'),
      customResponseBodies: {
        RateLimited: {
          contentType: 'APPLICATION_JSON',
          // The gateway's own 429 (lib/http/messages.ts), word for word and code for code.
          content: JSON.stringify({ ok: false, ...httpError('throttled') }),
        },
      },
      rules: [
        {
          name: RATE_RULE_NAME,
          priority: 0,
          action: { block: { customResponse: { responseCode: 429, customResponseBodyKey: 'RateLimited' } } },
          visibilityConfig: visibility(RATE_RULE_NAME),
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'IP',
              limit: props.rateLimitPer5Minutes,
              evaluationWindowSec: 300,
            },
          },
        },
      ],
    });
    new CfnWebACLAssociation(this, 'Association', { resourceArn: props.stageArn, webAclArn: this.webAcl.attrArn });
  }
}
