import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { loginNameSchema } from '@credroam/roaming';
import { OperatorTokenGuard } from '../access/operator-token.guard';
import { fleetQuerySchema, type FleetSummary, type UserSummary } from '../contract/audit-api.schemas';
import { parseQuery } from '../http/parse-query';
import { SummariesService } from './summaries.service';

@Controller('v1')
@UseGuards(OperatorTokenGuard)
export class SummariesController {
  constructor(private readonly summaries: SummariesService) {}

  @Get('users/:user/summary')
  user(@Param('user') user: string): Promise<UserSummary> {
    return this.summaries.userSummary(parseQuery(loginNameSchema, user));
  }

  @Get('fleet/summary')
  fleet(@Query() query: unknown): Promise<FleetSummary> {
    const params = parseQuery(fleetQuerySchema, query);
    return this.summaries.fleetSummary({
      from: params.from === undefined ? undefined : Date.parse(params.from),
      to: params.to === undefined ? undefined : Date.parse(params.to),
      top: params.top ?? 'conflicts',
      topLimit: params.topLimit ?? 10,
    });
  }
}
