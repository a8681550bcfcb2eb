import {
  fail,
  freshnessRefusal,
  ok,
  type Result,
  type RpcRequest,
  type RpcResponse,
} from '@credroam/roaming';
import {
  deviceKeyHash,
  openLogonPassword,
  sealServiceSecret,
  wipe,
  type LogonPasswordBinding,
} from '@credroam/sealing';
import { type KeyRepository } from '../keys/key.repository';

/** The purpose directory-gateway opens a sealed password for: only a check of this user's password. */
export function verifyPasswordPurpose(login: string): string {
  return `verify-password:${login}`;
}

/**
 * crypto.reseal-password: a logon password the agent sealed to the transport certificate, bound to login, device
 * key and time (libs/sealing logon-password.ts), re-sealed under the service channel key for directory-gateway's
 * verify-password. The clear password exists only between the two calls and is zeroed after; it is never logged
 * or returned.
 */
export class ResealPasswordService {
  constructor(
    private readonly keys: KeyRepository,
    private readonly now: () => number,
  ) {}

  reseal(request: RpcRequest<'crypto.reseal-password'>): Result<RpcResponse<'crypto.reseal-password'>> {
    const channelKey = this.keys.serviceChannelKey();
    if (!channelKey.ok) return channelKey;
    const opened = openLogonPassword(
      Buffer.from(request.sealedPassword, 'base64'),
      this.keys.transportKeys(),
    );
    if (!opened.ok) return opened;
    const { binding, password } = opened.value;
    try {
      const refused = this.refusal(binding, request);
      if (refused) return fail('UNAUTHENTICATED', refused);
      const stale = freshnessRefusal('the sealed password', binding.issuedAt, this.now());
      if (stale) return { ok: false, error: stale.toInfo() };
      const sealed = sealServiceSecret(channelKey.value, verifyPasswordPurpose(request.login), password);
      return sealed.ok ? ok({ sealedPassword: sealed.value.toString('base64') }) : sealed;
    } finally {
      wipe(password);
    }
  }

  /** Why a genuine sealed password must not open this logon, or null. */
  private refusal(
    binding: LogonPasswordBinding,
    request: RpcRequest<'crypto.reseal-password'>,
  ): string | null {
    if (binding.login !== request.login) return 'the sealed password was made for another login';
    if (binding.deviceKeyHash !== deviceKeyHash(request.devicePublicKey)) {
      return 'the sealed password was made for another device key';
    }
    return null;
  }
}
