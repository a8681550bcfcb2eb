// Types for agent-bundle.cjs, for the suites that bundle the agent as the Debian package does.
export function bundleAgent(outfile: string): Promise<string>;
