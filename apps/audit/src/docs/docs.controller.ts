import { Controller, Get, Header } from '@nestjs/common';
import { buildOpenApiDocument } from './openapi.document';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** The OpenAPI document, and a page listing the routes: no Swagger UI, nothing fetched from the network. */
@Controller('docs')
export class DocsController {
  private readonly document = buildOpenApiDocument();
  private readonly page = renderPage(this.document);

  @Get('openapi.json')
  openapi(): Record<string, unknown> {
    return this.document;
  }

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
  index(): string {
    return this.page;
  }
}

function renderPage(document: Record<string, unknown>): string {
  const paths = document.paths as Record<
    string,
    Record<
      string,
      { summary?: string; security?: unknown[]; parameters?: { name: string; description?: string }[] }
    >
  >;
  const rows = Object.entries(paths)
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => {
        const params = (operation.parameters ?? [])
          .map(
            (param) =>
              `<li><code>${escapeHtml(param.name)}</code> ${escapeHtml(param.description ?? '')}</li>`,
          )
          .join('');
        return `<tr><td><code>${method.toUpperCase()} ${escapeHtml(path)}</code>${operation.security ? ' 🔒' : ''}</td><td>${escapeHtml(operation.summary ?? '')}${params ? `<ul>${params}</ul>` : ''}</td></tr>`;
      }),
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>credroam audit API</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;max-width:70rem}td{vertical-align:top;padding:.4rem;border-bottom:1px solid #ddd}code{white-space:nowrap}</style>
</head><body><h1>credroam audit API</h1>
<p>Machine-readable: <a href="/docs/openapi.json">/docs/openapi.json</a> (OpenAPI 3.1). 🔒 = needs <code>Authorization: Bearer &lt;operator token&gt;</code>.</p>
<table>${rows}</table></body></html>`;
}
