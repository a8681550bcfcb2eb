import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  AGENT_API_PATHS,
  AGENT_FEATURES_HEADER,
  DOWNLOAD_KEYS_FEATURE,
  agentHasFeature,
  SETTLED_CHECK_FEATURE,
} from '@credroam/roaming';
import { correlationIdOf, CORRELATION_HEADER } from '@credroam/platform';
import { type Request, type Response } from 'express';
import { AgentService, bearerToken, type Caller } from '../agent/agent.service';

/** The agent protocol over HTTP: a few lines per route, the use-cases do the rest. */
@Controller()
export class AgentController {
  constructor(private readonly agent: AgentService) {}

  @Post(AGENT_API_PATHS.sessions)
  @HttpCode(201)
  createSession(
    @Body() body: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.agent.createSession(body, caller(request), tagged(request, response));
  }

  /** RFC 4559: the ticket in `Authorization: Negotiate`, the acceptor's answer in `WWW-Authenticate: Negotiate`. */
  @Post(AGENT_API_PATHS.kerberosSessions)
  @HttpCode(201)
  async createKerberosSession(
    @Body() body: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const { session, response: answer } = await this.agent.createKerberosSession(
      request.header('authorization'),
      body,
      caller(request),
      tagged(request, response),
    );
    if (answer !== null) response.setHeader('WWW-Authenticate', `Negotiate ${answer}`);
    return session;
  }

  @Post(AGENT_API_PATHS.renewSession)
  @HttpCode(200)
  renewSession(
    @Body() body: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.agent.renewSession(body, caller(request), tagged(request, response));
  }

  @Post(AGENT_API_PATHS.sync)
  @HttpCode(200)
  sync(@Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const token = bearerToken(request.header('authorization'));
    const features = request.header(AGENT_FEATURES_HEADER);
    return this.agent.sync(token, body, caller(request), tagged(request, response), {
      settledCheck: agentHasFeature(features, SETTLED_CHECK_FEATURE),
      downloadKeys: agentHasFeature(features, DOWNLOAD_KEYS_FEATURE),
    });
  }

  @Post(AGENT_API_PATHS.syncCheck)
  @HttpCode(200)
  checkSync(@Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const token = bearerToken(request.header('authorization'));
    return this.agent.checkSync(token, body, caller(request), tagged(request, response));
  }

  @Post(AGENT_API_PATHS.events)
  @HttpCode(202)
  reportEvent(
    @Body() body: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const token = bearerToken(request.header('authorization'));
    return this.agent.reportEvent(token, body, caller(request), tagged(request, response));
  }

  @Post(AGENT_API_PATHS.changes)
  @HttpCode(200)
  waitForChange(
    @Body() body: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const token = bearerToken(request.header('authorization'));
    const correlationId = tagged(request, response);
    // The response's close, not the request's: that one fires once the body is read, this one when the client goes.
    const gone = new AbortController();
    response.once('close', () => gone.abort());
    return this.agent.waitForChange(token, body, caller(request), gone.signal, correlationId);
  }

  @Get(AGENT_API_PATHS.policy)
  policy(@Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const token = bearerToken(request.header('authorization'));
    return this.agent.policy(token, caller(request), tagged(request, response));
  }
}

function caller(request: Request): Extract<Caller, { transport: 'http' }> {
  return { transport: 'http', clientAddress: request.socket.remoteAddress ?? 'unknown' };
}

function tagged(request: Request, response: Response): string {
  const correlationId = correlationIdOf(request);
  response.setHeader(CORRELATION_HEADER, correlationId);
  return correlationId;
}
