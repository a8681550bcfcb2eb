// Unit specs sit beside the code; integration and e2e suites live in test/ and use real services.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
  },
];
// jose ships ES modules only; Jest's CommonJS loader needs them transformed (Node itself loads them natively).
const swcEsm = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
];
const moduleNameMapper = {
  '^@credroam/roaming$': '<rootDir>/libs/roaming/src',
  '^@credroam/roaming/(.*)$': '<rootDir>/libs/roaming/src/$1',
  '^@credroam/(sealing|grants|messaging|platform|observability|benchmarking)$': '<rootDir>/libs/$1/src',
};
const common = {
  transform: { '^.+\\.ts$': swc, '/node_modules/jose/.+\\.js$': swcEsm },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  moduleNameMapper,
  testEnvironment: 'node',
  rootDir: __dirname,
};

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'],
    },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    // Offline checks of Dockerfile, docker-compose.yml and k8s/ (no container engine, no cluster).
    { ...common, displayName: 'deployment', testMatch: ['<rootDir>/test/deployment/**/*.test.ts'] },
  ],
};
