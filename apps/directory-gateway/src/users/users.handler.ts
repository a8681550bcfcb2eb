import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, type RmqContext } from '@nestjs/microservices';
import { RPC_PATTERNS } from '@credroam/roaming';
import { RpcHandlerRunner } from '@credroam/messaging';
import { UsersService } from './users.service';

@Controller()
export class UsersHandler {
  constructor(
    private readonly rpc: RpcHandlerRunner,
    private readonly users: UsersService,
  ) {}

  @MessagePattern(RPC_PATTERNS.lookupUser)
  lookupUser(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.lookupUser, message, ctx, async ({ login }) => ({
      user: await this.users.lookup(login),
    }));
  }

  @MessagePattern(RPC_PATTERNS.verifyPassword)
  verifyPassword(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.verifyPassword, message, ctx, async ({ login, sealedPassword }) => ({
      user: await this.users.verifyPassword(login, Buffer.from(sealedPassword, 'base64')),
    }));
  }

  @MessagePattern(RPC_PATTERNS.checkAccount)
  checkAccount(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.checkAccount, message, ctx, (request) =>
      this.users.checkAccount(request),
    );
  }
}
