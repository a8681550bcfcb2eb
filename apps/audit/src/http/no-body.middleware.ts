import { Injectable, type NestMiddleware } from '@nestjs/common';
import { RoamingError } from '@credroam/roaming';
import type { NextFunction, Request, Response } from 'express';

/**
 * audit's API only reads: no route takes a request body, so one (of any media type) is refused with 415 instead of
 * being read or silently ignored.
 */
@Injectable()
export class NoBodyMiddleware implements NestMiddleware {
  use(request: Request, _response: Response, next: NextFunction): void {
    const length = Number(request.headers['content-length'] ?? 0);
    if (request.headers['transfer-encoding'] !== undefined || length > 0 || Number.isNaN(length)) {
      throw new RoamingError('UNSUPPORTED_MEDIA_TYPE', "audit's API takes no request body");
    }
    next();
  }
}
