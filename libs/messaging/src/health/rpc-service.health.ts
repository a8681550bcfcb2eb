import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RPC_PATTERNS, type RpcService } from '@credroam/roaming';
import { rpcClientToken } from '../messaging.tokens';
import { type RpcClient } from '../rpc/rpc.client';

/** The health RPC each service answers. */
const HEALTH_RPC = {
  'directory-gateway': RPC_PATTERNS.directoryHealth,
  'token-crypto': RPC_PATTERNS.cryptoHealth,
} as const satisfies Record<RpcService, string>;

/** A caller's readiness should not hang on a service that does not answer. */
const HEALTH_RPC_TIMEOUT_MS = 3_000;

/**
 * terminus indicator of another service: up when it answers its health RPC with "ok", through the RpcClient that
 * MessagingModule provides for it (`rpcClients`). Only the status and the names of failing checks are reported:
 * the caller may be the public edge, and the checks' details (thumbprints, key versions) are not for everyone.
 */
@Injectable()
export class RpcServiceHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly modules: ModuleRef,
  ) {}

  async isHealthy(service: RpcService) {
    const indicator = this.indicators.check(service);
    try {
      const client = this.modules.get<RpcClient>(rpcClientToken(service), { strict: false });
      const health = await client.call(
        HEALTH_RPC[service],
        {},
        { correlationId: `health-${randomUUID()}`, timeoutMs: HEALTH_RPC_TIMEOUT_MS },
      );
      if (health.status === 'ok') return indicator.up();
      const failing = Object.keys(health.checks).filter((name) => !health.checks[name]?.ok);
      return indicator.down({ message: `${health.status}: ${failing.join(', ')}` });
    } catch (error) {
      return indicator.down({ message: (error as Error).message.slice(0, 1024) });
    }
  }
}
