import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { loadAssets, type Asset } from './dashboard.assets';

// The page loads only its own script and style and talks only to this origin.
const PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The dashboard: a static page and its script, no build step, nothing fetched from elsewhere. The data comes from
 * the /v1 API with the operator token the user types in (kept in sessionStorage, sent as a bearer token).
 */
@Controller()
export class DashboardController {
  private readonly assets = loadAssets();

  @Get()
  index(@Req() request: Request, @Res() response: Response): void {
    this.send('index.html', request, response);
  }

  @Get('dashboard.js')
  script(@Req() request: Request, @Res() response: Response): void {
    this.send('dashboard.js', request, response);
  }

  @Get('dashboard.css')
  style(@Req() request: Request, @Res() response: Response): void {
    this.send('dashboard.css', request, response);
  }

  private send(name: string, request: Request, response: Response): void {
    const asset = this.assets.get(name) as Asset;
    response.setHeader('Content-Type', asset.contentType);
    response.setHeader('Content-Security-Policy', PAGE_POLICY);
    // Revalidated on every load (cheap with the ETag), so a new version shows at once.
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader('ETag', asset.etag);
    if (request.headers['if-none-match'] === asset.etag) {
      response.status(304).end();
      return;
    }
    response.status(200).send(asset.body);
  }
}
