import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

export type ServiceName = 'gateway' | 'ledger' | 'marketplace' | 'standalone';

const ROOT = resolve(__dirname, '../../../..');

/**
 * A Sluice service in its own process, started exactly as `npm run start:<name>` starts it, so a
 * test can kill it (-9 included) and start it again. Resolves once the service logged its URL.
 */
export class ServiceProcess {
  private exited: Promise<number | null>;
  readonly output: string[] = [];

  private constructor(
    readonly name: ServiceName,
    private readonly child: ChildProcess,
    readonly url: string,
    exited: Promise<number | null>,
  ) {
    this.exited = exited;
  }

  static async start(
    name: ServiceName,
    env: Record<string, string>,
    timeoutMs = 60_000,
  ): Promise<ServiceProcess> {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/start.cjs'), name], {
      cwd: ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '/tmp',
        SLUICE_LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    const url = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        rej(new Error(`${name} did not start within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`));
      }, timeoutMs);
      const onLine = (chunk: Buffer): void => {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (!line) continue;
          lines.push(line);
          const m = /"url":"(http:\/\/[^"]+)"/.exec(line) ?? /gateway (http:\/\/\S+)/.exec(line);
          if (m?.[1] && (line.includes('listening') || line.includes('Sluice is running'))) {
            clearTimeout(timer);
            res(m[1]);
          }
        }
      };
      child.stdout?.on('data', onLine);
      child.stderr?.on('data', onLine);
      void exited.then((code) => {
        clearTimeout(timer);
        rej(
          new Error(
            `${name} exited with ${String(code)} before it was ready:\n${lines.slice(-20).join('\n')}`,
          ),
        );
      });
    });
    const proc = new ServiceProcess(name, child, url, exited);
    proc.output.push(...lines);
    child.stdout?.on('data', (c: Buffer) => proc.output.push(c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => proc.output.push(c.toString('utf8')));
    return proc;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Sends a signal and waits for the exit code (null when killed by the signal). */
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 30_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Graceful stop, as an orchestrator does it. */
  async stop(): Promise<number | null> {
    return this.kill('SIGTERM');
  }
}
