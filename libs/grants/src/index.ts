// libs/grants: the grants of DESIGN.md section 7a. logon-events signs one for each internal request that touches
// a user's secrets; directory-gateway and token-crypto verify it. The claims and which RPCs need one are
// contracts (libs/roaming contracts/grants.ts); this library holds the keys and the JOSE work.
export * from './grant-config';
export * from './grant-keys';
export * from './grant-subject';
export * from './grant.issuer';
export * from './grant.verifier';
export * from './request-digest';
