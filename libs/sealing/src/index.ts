export * from './service-envelope';
