import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What one run of a coding agent left behind. */
export interface AgentRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** True when the hard timeout killed it (Codex loops forever on an unreachable base URL). */
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface AgentRunOptions {
  command: string;
  args: string[];
  cwd: string;
  /** The whole environment: nothing of the test process leaks in (no user config, keys or proxies). */
  env: Record<string, string>;
  timeoutMs: number;
}

/**
 * Runs an agent with stdin on /dev/null (both agents wait for stdin otherwise) in its own process
 * group, and kills that whole group when it ends or times out, so the shells and sandboxes an agent
 * spawned never outlive the test.
 */
export function runAgent(opts: AgentRunOptions): Promise<AgentRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // ESRCH: the group is already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      killGroup();
      resolve({
        exitCode,
        signal,
        timedOut,
        stdout,
        stderr,
        durationMs: Math.round(performance.now() - started),
      });
    });
  });
}

function packageDir(name: string): string | undefined {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

/**
 * The native Claude Code binary. Its npm package's postinstall hard-links the platform package's
 * binary over a small stub; where install scripts did not run, the platform package is used directly.
 */
export function claudeCodeBinary(): string {
  const platformDir = packageDir(`@anthropic-ai/claude-code-${process.platform}-${process.arch}`);
  const fromPlatform = platformDir === undefined ? undefined : join(platformDir, 'claude');
  if (fromPlatform !== undefined && existsSync(fromPlatform)) return fromPlatform;
  const wrapperDir = packageDir('@anthropic-ai/claude-code');
  const bin = wrapperDir === undefined ? undefined : join(wrapperDir, 'bin', 'claude.exe');
  if (bin === undefined || !existsSync(bin) || statSync(bin).size < 4096) {
    throw new Error('Claude Code is not installed: run npm ci (devDependency @anthropic-ai/claude-code)');
  }
  return bin;
}

/** The Codex launcher script (it picks the platform binary and puts its bundled tools on PATH). */
export function codexLauncher(): string {
  const dir = packageDir('@openai/codex');
  if (dir === undefined) throw new Error('Codex is not installed: run npm ci (devDependency @openai/codex)');
  return join(dir, 'bin', 'codex.js');
}

/** PATH for the agents' shells: the system directories only. */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
