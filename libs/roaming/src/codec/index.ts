export * from './value-limits';
export * from './filetime';
export * from './roaming-timestamp';
export * from './windows-type-digit';
export * from './roaming-value';
export * from './credroam-payload';
export * from './directory-value';
export * from './dn-binary';
