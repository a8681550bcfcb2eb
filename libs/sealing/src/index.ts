// libs/sealing: the CMS and credential functions shared by token-crypto and the agent. Holds no long-term keys.
export * from './service-envelope';
export * from './limits';
export * from './pem';
export * from './token-hash';
export { CREDROAM_OID, CREDROAM_OID_ARC } from './asn1/oids';
export * from './credentials/certificate';
export * from './credentials/certificate-facts';
export * from './credentials/private-key';
export * from './credentials/certification-request';
export * from './credentials/pkcs12';
export * from './credentials/password-protected-writer';
export {
  describeKey,
  publicKeyIdentifier,
  spkiDer,
  type KeyDescription,
} from './credentials/key-description';
export {
  ENVELOPE_OPEN_FAILED,
  openEnvelope,
  sealEnvelope,
  type EnvelopeRecipient,
  type OpeningKey,
} from './cms/envelope';
export { MIN_RSA_BITS, recipientKeyKind } from './cms/recipient-info';
export * from './cms/secret-envelope';
export * from './cms/download-key';
export * from './storage/storage-envelope';
export * from './credentials/self-signed-certificate';
export * from './cms/logon-password';
export * from './device/device-key';
export * from './device/device-proof';
