// libs/benchmarking: what the benchmark scripts share. Never imported by a service.
export * from './raw-directory';
export * from './service-logs';
export * from './throwaway-postgres';
