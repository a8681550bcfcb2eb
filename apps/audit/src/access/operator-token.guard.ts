import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { RoamingError } from '@credroam/roaming';
import type { Request } from 'express';
import { AUDIT_CONFIG } from '../audit.tokens';
import { type AuditConfig } from '../config/audit.config';
import { bearerMatches, tokenDigest } from './operator-token';

/**
 * The read-only operator role: every /v1 route needs `Authorization: Bearer <CREDROAM_AUDIT_OPERATOR_TOKEN>`.
 * There is no write route, so holding the token means reading events, never changing them.
 */
@Injectable()
export class OperatorTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(AUDIT_CONFIG) config: AuditConfig) {
    this.expected = tokenDigest(config.operatorToken);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    if (!bearerMatches(request.headers.authorization, this.expected)) {
      throw new RoamingError(
        'UNAUTHENTICATED',
        'an operator token is required: Authorization: Bearer <token>',
      );
    }
    return true;
  }
}
