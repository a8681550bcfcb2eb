import { isIP } from 'node:net';

/**
 * Whether `host` (a URL's hostname or an address to listen on) is this machine's loopback: 127.0.0.0/8, ::1 (also
 * written in full, or as the IPv4-mapped ::ffff:127.x.y.z), or the name `localhost`. Plain transports are allowed
 * there without being asked for (DESIGN.md section 7a): what travels never leaves the machine. Every other name
 * or address, including 0.0.0.0 and ::, which listen on every interface, is not loopback.
 */
export function isLoopbackHost(host: string): boolean {
  let name = host.trim().toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === 'localhost') return true;
  if (isIP(name) === 4) return name.split('.')[0] === '127';
  if (isIP(name) !== 6) return false;
  // The URL parser writes an IPv6 address in its shortest form, and a mapped IPv4 one in hex (::ffff:7f00:1).
  const canonical = new URL(`http://[${name}]/`).hostname;
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}
