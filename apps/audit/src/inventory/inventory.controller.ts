import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { OperatorTokenGuard } from '../access/operator-token.guard';
import {
  certificatesQuerySchema,
  certificatesSummaryQuerySchema,
  type CertificatePage,
  type CertificatesSummary,
} from '../contract/audit-api.schemas';
import { parseQuery } from '../http/parse-query';
import { InventoryService } from './inventory.service';

@Controller('v1/certificates')
@UseGuards(OperatorTokenGuard)
export class InventoryController {
  constructor(private readonly inventory: InventoryService) {}

  @Get()
  list(@Query() query: unknown): Promise<CertificatePage> {
    const { limit, ...filter } = parseQuery(certificatesQuerySchema, query);
    return this.inventory.certificates(
      {
        user: filter.user,
        expiringWithinDays: filter.expiringWithinDays,
        expired: filter.expired,
        weak: filter.weak,
        search: filter.q,
      },
      limit,
    );
  }

  @Get('summary')
  summary(@Query() query: unknown): Promise<CertificatesSummary> {
    const { user, weeks } = parseQuery(certificatesSummaryQuerySchema, query);
    return this.inventory.summary(user, weeks);
  }
}
