import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { type Response } from 'express';
import { LOGON_SERVICES } from '../logon.tokens';
import { type LogonServices } from '../logon-services';

@Controller('health')
export class HealthController {
  constructor(@Inject(LOGON_SERVICES) private readonly services: LogonServices) {}

  @Get('live')
  @HttpCode(200)
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) response: Response) {
    const health = await this.services.readiness.check();
    response.status(health.status === 'ok' ? 200 : 503);
    return health;
  }
}
