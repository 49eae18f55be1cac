/**
 * The layers of lib/ and who may use whom, checked by `npm run lint` (README, Architecture).
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'domain-not-to-edges',
      comment:
        'users/, tokens/, sessions/, passkeys/ and aws/ are the domain and its adapters: they never import http/ or login/.',
      severity: 'error',
      from: { path: '^lib/(users|tokens|sessions|passkeys|aws)/' },
      to: { path: '^lib/(http|login)/' },
    },
    {
      name: 'login-not-to-http',
      comment:
        'login/ is the use case; http/ is the edge that calls it. A limit both need is checked by a test (test/lib/http/body-limit.test.ts), not by an import.',
      severity: 'error',
      from: { path: '^lib/login/' },
      to: { path: '^lib/http/' },
    },
    {
      name: 'runtime-not-to-contract',
      comment:
        'contract/ describes the API for the OpenAPI generator (scripts/openapi*) and the tests; nothing that runs (a function, the stack, npm start) imports it.',
      severity: 'error',
      from: { path: '^(functions|infra|lib|scripts)/', pathNot: '^(lib/contract/|scripts/openapi(/|\\.ts$))' },
      to: { path: '^lib/contract/' },
    },
    {
      name: 'aws-not-to-domain',
      comment: 'aws/ wraps the SDK for everyone; it knows nothing of users or tokens.',
      severity: 'error',
      from: { path: '^lib/aws/' },
      to: { path: '^lib/(users|tokens|sessions|passkeys)/' },
    },
    {
      name: 'lib-stands-alone',
      comment: 'lib/ is imported by functions, infra, scripts and tests, never the other way round.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^(functions|infra|scripts|test)/' },
    },
    {
      name: 'infra-takes-definitions-only',
      comment:
        'The CDK app takes from lib/ only shared definitions (table shapes, routes, setting names, key timing, the service name), never runtime code.',
      severity: 'error',
      from: { path: '^infra/' },
      to: {
        path: '^lib/',
        pathNot: [
          '^lib/(users|login|sessions|passkeys)/[a-z-]*table\\.ts$',
          '^lib/http/(routes|headers|cors|messages)\\.ts$',
          '^lib/tokens/key-timing\\.ts$',
          '^lib/(settings|service|errors)\\.ts$',
        ],
      },
    },
    {
      name: 'functions-are-entries',
      comment: 'A function folder is an entry point: nothing but its own tests imports it.',
      severity: 'error',
      from: { path: '^(lib|infra)/' },
      to: { path: '^functions/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^(lib|functions|infra|scripts)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { conditionNames: ['import', 'node', 'default'] },
  },
};
