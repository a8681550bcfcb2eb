// Types for agent-bundle.cjs, for the suites that bundle the agent as the Debian package does.
export function bundleAgent(outfile: string): Promise<string>;
/** dist/agent/credroam-agent.cjs: the bundle `npm run build` writes and bin/credroam-agent runs. */
export const DIST_BUNDLE: string;
