import { Controller, Get } from '@nestjs/common';
import { openApiDocument } from './openapi';

@Controller()
export class DocsController {
  private document: Record<string, unknown> | undefined;

  @Get('docs')
  docs() {
    this.document ??= openApiDocument();
    return this.document;
  }
}
