import { loadTokenCryptoConfig } from './token-crypto.config';

describe('token-crypto configuration', () => {
  it('finds every key in CREDROAM_KEY_DIR unless a variable says otherwise', () => {
    const config = loadTokenCryptoConfig(
      { CREDROAM_KEY_DIR: 'keys', CREDROAM_HASH_KEY_MASTER_FILE: '/secrets/hash' },
      '/srv',
    );
    expect(config).toEqual({
      transportKeyFile: '/srv/keys/transport.key',
      transportCertificateFile: '/srv/keys/transport.crt',
      storageKeysDir: '/srv/keys/storage-master-keys',
      storageMasterKeysInline: null,
      currentStorageKeyVersion: null,
      hashKeyMasterFile: '/secrets/hash',
      hashKeyMasterInline: null,
      recoveryCertificateFiles: null,
      recoveryDir: '/srv/keys/recovery',
      serviceChannelKeyFile: null,
    });
  });

  it('reads a list of recovery certificates and a pinned key version', () => {
    const config = loadTokenCryptoConfig(
      { CREDROAM_RECOVERY_CERT_FILES: ' a.crt, /b.crt ,', CREDROAM_STORAGE_KEY_CURRENT: '3' },
      '/srv',
    );
    expect(config.recoveryCertificateFiles).toEqual(['/srv/a.crt', '/b.crt']);
    expect(config.currentStorageKeyVersion).toBe(3);
  });

  it('reads the optional service channel key file', () => {
    const config = loadTokenCryptoConfig({ CREDROAM_SERVICE_CHANNEL_KEY_FILE: 'channel.key' }, '/srv');
    expect(config.serviceChannelKeyFile).toBe('/srv/channel.key');
  });

  it('names the variable that is wrong', () => {
    expect(() => loadTokenCryptoConfig({ CREDROAM_STORAGE_KEY_CURRENT: 'latest' })).toThrow(
      /CREDROAM_STORAGE_KEY_CURRENT/,
    );
  });
});
