import { type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';

/**
 * terminus as every service uses it: a failed check is logged as one JSON line through the app's pino logger
 * rather than as a boxed, coloured text table that a log pipeline cannot parse.
 */
export function healthChecksModule(): DynamicModule {
  return TerminusModule.forRoot({ errorLogStyle: 'json' });
}
