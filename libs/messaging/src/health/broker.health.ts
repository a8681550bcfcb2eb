import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { type AmqpConfig } from '../amqp.config';
import { AMQP_CONFIG } from '../messaging.tokens';
import { checkAmqp } from './amqp.health';

/** terminus indicator of the broker: checkAmqp's connection and channel, its detail as the message. */
@Injectable()
export class BrokerHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(AMQP_CONFIG) private readonly config: AmqpConfig,
  ) {}

  async isHealthy(key = 'broker') {
    const indicator = this.indicators.check(key);
    const { ok, detail } = await checkAmqp(this.config);
    return ok ? indicator.up({ message: detail }) : indicator.down({ message: detail });
  }
}
