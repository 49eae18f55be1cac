import { EndpointType, type IResource, LambdaIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface LoginApiProps {
  loginFunction: IFunction;
  stageName: string;
  /** Steady-state requests per second across the stage. */
  throttlingRateLimit: number;
  /** Requests the stage absorbs at once above the rate. */
  throttlingBurstLimit: number;
}

/** The REST API: `POST /api/auth/login` to the login function, throttled at the stage. */
export class LoginApi extends Construct {
  readonly api: RestApi;
  readonly loginResource: IResource;

  constructor(scope: Construct, id: string, props: LoginApiProps) {
    super(scope, id);
    this.api = new RestApi(this, 'Api', {
      description: 'Movie Knight Auth',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      deployOptions: {
        stageName: props.stageName,
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        metricsEnabled: true,
      },
    });
    this.loginResource = this.api.root.resourceForPath('api/auth/login');
    this.loginResource.addMethod('POST', new LambdaIntegration(props.loginFunction));
  }

  /** The full login URL of the deployed stage. */
  get loginUrl(): string {
    return this.api.urlForPath(this.loginResource.path);
  }
}
