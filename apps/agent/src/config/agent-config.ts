import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseWith } from '@credroam/roaming';

/** Where a fleet's configuration management puts the agent's machine-wide settings. */
export const DEFAULT_AGENT_CONFIG = '/etc/credroam/agent.json';

/**
 * The machine-wide settings of the agent (`/etc/credroam/agent.json`, or `CREDROAM_AGENT_CONFIG`): what the PAM
 * hook logs on to, and how long a logon may wait for it. Every key is documented in the README; unknown keys are
 * refused by name, so a misspelt key never silently falls back to its default.
 */
export const agentConfigSchema = z
  .object({
    /** logon-events (http, https) or the broker of its AMQP ingress (amqp, amqps), as `login --server`. */
    server: z.url({ protocol: /^(https?|amqps?)$/ }),
    /** The CA (PEM) to trust for an https/amqps server instead of the system's, as `login --ca-file`. */
    caFile: z.string().startsWith('/', 'must be an absolute path').optional(),
    /** Accept a plain http/amqp server off loopback, as `login --insecure`. */
    insecure: z.boolean().default(false),
    /** How long a logon waits for the logon sync before it proceeds; the sync then finishes in the background. */
    logonBudgetSeconds: z.number().int().min(1).max(60).default(5),
    /** Keep the user's NSS database (Firefox, Chromium, Evolution) in step with the store after each sync. */
    nssdb: z.boolean().default(true),
  })
  .strict();
export type AgentConfig = z.output<typeof agentConfigSchema>;

export const AGENT_CONFIG_KEYS = Object.keys(agentConfigSchema.shape);

/** The configuration file's path: `explicit` (pam-hook --config), else CREDROAM_AGENT_CONFIG, else the default. */
export function agentConfigPath(explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  return explicit ?? (env.CREDROAM_AGENT_CONFIG?.trim() || DEFAULT_AGENT_CONFIG);
}

export class AgentConfigError extends Error {
  override readonly name = 'AgentConfigError';
}

/** Reads and checks the configuration; every failure is one line naming the file and what is wrong. */
export function loadAgentConfig(path: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AgentConfigError(
      `agent configuration ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AgentConfigError(`agent configuration ${path}: not valid JSON`);
  }
  return parseAgentConfig(json, path);
}

export function parseAgentConfig(json: unknown, path: string): AgentConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new AgentConfigError(`agent configuration ${path}: must be a JSON object`);
  }
  const unknown = Object.keys(json).filter((key) => !AGENT_CONFIG_KEYS.includes(key));
  if (unknown.length > 0) {
    throw new AgentConfigError(
      `agent configuration ${path}: unknown key${unknown.length > 1 ? 's' : ''} ` +
        `${unknown.map((key) => JSON.stringify(key)).join(', ')} (known: ${AGENT_CONFIG_KEYS.join(', ')})`,
    );
  }
  const parsed = parseWith(agentConfigSchema, json);
  if (!parsed.ok) throw new AgentConfigError(`agent configuration ${path}: ${parsed.error.message}`);
  return parsed.value;
}
