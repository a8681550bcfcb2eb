import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, type RmqContext } from '@nestjs/microservices';
import { RPC_PATTERNS } from '@credroam/roaming';
import { RpcHandlerRunner } from '@credroam/messaging';
import { OperatorAudit } from './operator-audit';
import { RoamingStateService } from './roaming-state.service';

const fromBase64 = (value: string | null) => (value === null ? null : Buffer.from(value, 'base64'));

@Controller()
export class RoamingStateHandler {
  constructor(
    private readonly rpc: RpcHandlerRunner,
    private readonly roamingState: RoamingStateService,
    private readonly audit: OperatorAudit,
  ) {}

  @MessagePattern(RPC_PATTERNS.readState)
  readState(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.readState, message, ctx, async ({ userDn }) => {
      const { stamp, state } = await this.roamingState.readState(userDn);
      return { stamp: stamp?.toString('base64') ?? null, state };
    });
  }

  @MessagePattern(RPC_PATTERNS.readStamp)
  readStamp(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.readStamp, message, ctx, async ({ userDn }) => {
      const stamp = await this.roamingState.readStamp(userDn);
      return { stamp: stamp?.toString('base64') ?? null };
    });
  }

  @MessagePattern(RPC_PATTERNS.readValues)
  readValues(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.readValues, message, ctx, async ({ userDn, keys }) => {
      const values = await this.roamingState.readValues(userDn, keys);
      return { values: values.map((value) => ({ ...value, sealed: value.sealed.toString('base64') })) };
    });
  }

  /** An operator's look (credroam user show): read-state, audited like a purge. */
  @MessagePattern(RPC_PATTERNS.inspectUser)
  inspectUser(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.inspectUser, message, ctx, async ({ userDn }, meta) => {
      const { stamp, state } = await this.roamingState.readState(userDn);
      const operation = RPC_PATTERNS.inspectUser;
      await this.audit.operatorAction({ operation, targetDn: userDn, types: null, removed: 0 }, meta);
      return { stamp: stamp?.toString('base64') ?? null, state };
    });
  }

  /** An operator's purge; audited with a security.operator-action event naming the operator of the grant. */
  @MessagePattern(RPC_PATTERNS.purgeUser)
  purgeUser(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.purgeUser, message, ctx, async (request, meta) => {
      const { removed, stamp } = await this.roamingState.purge({
        ...request,
        expectedStamp: fromBase64(request.expectedStamp),
      });
      const { userDn: targetDn, types } = request;
      await this.audit.operatorAction({ operation: RPC_PATTERNS.purgeUser, targetDn, types, removed }, meta);
      return { removed, stamp: stamp?.toString('base64') ?? null };
    });
  }

  @MessagePattern(RPC_PATTERNS.applyChanges)
  applyChanges(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.applyChanges, message, ctx, async (request) => {
      const { stamp, createdAt } = await this.roamingState.applyChanges({
        ...request,
        expectedStamp: fromBase64(request.expectedStamp),
      });
      return { stamp: stamp.toString('base64'), createdAt };
    });
  }
}
