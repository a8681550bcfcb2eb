import { ok, type Result, type RpcRequest, type RpcResponse } from '@credroam/roaming';
import { openSecret, SECRET_PURPOSES, sealServiceSecret, wipe } from '@credroam/sealing';
import { type KeyStore } from '../keys/key-store';

/** The purpose directory-gateway opens a sealed password for: only a check of this user's password. */
export function verifyPasswordPurpose(login: string): string {
  return `verify-password:${login}`;
}

/**
 * crypto.reseal-password: a logon password the agent sealed to the transport certificate (secret purpose
 * "logon-password"), re-sealed under the service channel key for directory-gateway's verify-password. The clear
 * password exists only between the two calls and is zeroed after; it is never logged or returned.
 */
export class ResealPasswordService {
  constructor(private readonly keys: KeyStore) {}

  reseal(request: RpcRequest<'crypto.reseal-password'>): Result<RpcResponse<'crypto.reseal-password'>> {
    const channelKey = this.keys.serviceChannelKey();
    if (!channelKey.ok) return channelKey;
    const opened = openSecret(
      SECRET_PURPOSES.logonPassword,
      Buffer.from(request.sealedPassword, 'base64'),
      this.keys.transportKeys(),
    );
    if (!opened.ok) return opened;
    try {
      const sealed = sealServiceSecret(channelKey.value, verifyPasswordPurpose(request.login), opened.value);
      return sealed.ok ? ok({ sealedPassword: sealed.value.toString('base64') }) : sealed;
    } finally {
      wipe(opened.value);
    }
  }
}
