import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * What the storm reads of each process from /proc: CPU seconds (utime + stime of /proc/PID/stat), the peak
 * resident set (VmHWM of /proc/PID/status) and the bytes it read and wrote through system calls (rchar + wchar of
 * /proc/PID/io: sockets to the broker and the directory, and its log file). A process that is gone or not ours to
 * read gives null.
 */
export interface ProcessSample {
  cpuSeconds: number | null;
  ioBytes: number | null;
}

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export function cpuSeconds(pid: number): number | null {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // The command name (field 2) may hold spaces: count the fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / TICKS_PER_SECOND : null;
}

export function ioBytes(pid: number): number | null {
  const io = read(`/proc/${pid}/io`);
  if (io === null) return null;
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? NaN);
  const total = field('rchar') + field('wchar');
  return Number.isFinite(total) ? total : null;
}

/** VmHWM in MB. */
export function peakRssMb(pid: number): number | null {
  const status = read(`/proc/${pid}/status`);
  const kb = status === null ? undefined : /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  return kb === undefined ? null : Number(kb) / 1024;
}

export function sample(pid: number): ProcessSample {
  return { cpuSeconds: cpuSeconds(pid), ioBytes: ioBytes(pid) };
}

/** The pid of the broker's Erlang VM (beam.smp), or null when there is none on this machine. */
export function brokerPid(): number | null {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    if (read(`/proc/${name}/comm`)?.trim() === 'beam.smp') return Number(name);
  }
  return null;
}
