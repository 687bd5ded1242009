import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

export type KafkaBrokerOptions = {
  /** Client listener port on 127.0.0.1; a free one is picked when omitted. */
  port?: number;
  /** KRaft controller listener port on 127.0.0.1; a free one is picked when omitted. */
  controllerPort?: number;
  /** Instance dir (config, logs, segments); a temp dir, removed when the process exits, when omitted. */
  dataDir?: string;
  /** How long start/restart wait for the broker to answer `describeCluster` (default 90 s). */
  readyTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL (default 30 s). */
  stopTimeoutMs?: number;
};

type Launch = { classpath: string; config: string; log4j: string };

const live = new Set<KafkaBroker>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

// A test that crashes or forgets stop() must not leave a JVM behind, nor hang its test file.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const broker of live) broker.killSync();
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

const setprivPath = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

// A test file stopped by SIGINT/SIGTERM skips 'exit' handlers: kill the brokers, then die of the signal.
function onSignal(signal: NodeJS.Signals): void {
  for (const broker of live) broker.killSync();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function findRepoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'scripts/services/kafka.sh'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`scripts/services/kafka.sh not found above ${__dirname}`);
    dir = parent;
  }
}

/** Two distinct ports that were free on 127.0.0.1 a moment ago. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * A private single-node Kafka (KRaft, broker+controller) for fault-injection tests: stopping or
 * killing it disturbs no other test file. Uses the jars `scripts/services/kafka.sh fetch` resolves
 * and the config `kafka.sh prepare` writes, and spawns the JVM itself to own its pid.
 */
export class KafkaBroker {
  readonly brokers: string[];
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    readonly controllerPort: number,
    readonly dataDir: string,
    private readonly launch: Launch,
    private readonly readyTimeoutMs: number,
    private readonly stopTimeoutMs: number,
  ) {
    this.brokers = [`127.0.0.1:${port}`];
  }

  static async start(opts: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
    installExitHook();
    const [freeA, freeB] = await freePorts(2);
    const port = opts.port ?? freeA!;
    const controllerPort = opts.controllerPort ?? (freeB === port ? freeA! : freeB!);
    let dataDir = opts.dataDir;
    if (!dataDir) {
      dataDir = mkdtempSync(join(tmpdir(), 'sluice-kafka-'));
      tempDirs.add(dataDir);
    }
    const launch = await KafkaBroker.prepare(port, controllerPort, dataDir);
    const broker = new KafkaBroker(
      port,
      controllerPort,
      dataDir,
      launch,
      opts.readyTimeoutMs ?? 90_000,
      opts.stopTimeoutMs ?? 30_000,
    );
    await broker.boot();
    return broker;
  }

  /** Fetches the jars if needed, writes the config, formats storage on first use (kafka.sh prepare). */
  private static prepare(port: number, controllerPort: number, dataDir: string): Promise<Launch> {
    const script = join(findRepoRoot(), 'scripts/services/kafka.sh');
    const env = {
      ...process.env,
      SLUICE_KAFKA_PORT: String(port),
      SLUICE_KAFKA_CONTROLLER_PORT: String(controllerPort),
      SLUICE_KAFKA_DIR: dataDir,
      // a restart after kill() waits for the dead incarnation's session to expire (Kafka's default: 9 s)
      SLUICE_KAFKA_HEARTBEAT_MS: '1000',
      SLUICE_KAFKA_SESSION_TIMEOUT_MS: '4000',
    };
    return new Promise((resolve, reject) => {
      execFile('bash', [script, 'prepare'], { env, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`kafka.sh prepare failed: ${error.message}\n${stderr}`));
          return;
        }
        const vars = new Map<string, string>();
        for (const line of stdout.split('\n')) {
          const m = /^([A-Z_0-9]+)=(.*)$/.exec(line.trim());
          if (m) vars.set(m[1]!, m[2]!);
        }
        const classpath = vars.get('KAFKA_CLASSPATH');
        const config = vars.get('KAFKA_CONFIG');
        const log4j = vars.get('KAFKA_LOG4J');
        if (!classpath || !config || !log4j) {
          reject(new Error(`kafka.sh prepare printed no launch settings:\n${stdout}\n${stderr}`));
          return;
        }
        resolve({ classpath, config, log4j });
      });
    });
  }

  private async boot(): Promise<void> {
    const out = openSync(join(this.dataDir, 'stdout.log'), 'a');
    let child: ChildProcess;
    try {
      const java = [
        'java',
        '-Xmx512m',
        '-XX:+UseG1GC',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        `-Dlog4j.configuration=file:${this.launch.log4j}`,
        '-cp',
        this.launch.classpath,
        'kafka.Kafka',
        this.launch.config,
      ];
      // setpriv execs java with a parent-death signal: even a SIGKILLed test process leaves no JVM
      // behind (same pid, so stop/kill still signal the broker itself).
      const [command, ...args] = setprivPath ? [setprivPath, '--pdeathsig', 'SIGKILL', '--', ...java] : java;
      child = spawn(command!, args, { stdio: ['ignore', out, out] });
    } finally {
      closeSync(out);
    }
    // The exit hook kills it; a ref'd child would keep a test file that forgot stop() alive forever.
    child.unref();
    this.child = child;
    live.add(this);
    let spawnError: Error | undefined;
    let gone = false;
    this.exited = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        spawnError = err;
        gone = true;
        resolve();
      });
      child.once('exit', () => {
        gone = true;
        resolve();
      });
    }).finally(() => {
      live.delete(this);
      if (this.child === child) this.child = undefined;
    });

    const deadline = Date.now() + this.readyTimeoutMs;
    for (;;) {
      if (gone) {
        throw new Error(
          `Kafka broker on 127.0.0.1:${this.port} exited during start-up` +
            `${spawnError ? ` (${spawnError.message})` : ''}:\n${tail(join(this.dataDir, 'server.log'), 30)}\n` +
            tail(join(this.dataDir, 'stdout.log'), 10),
        );
      }
      if (await this.answersMetadata()) return;
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(
          `Kafka broker on 127.0.0.1:${this.port} not ready after ${this.readyTimeoutMs} ms:\n` +
            tail(join(this.dataDir, 'server.log'), 30),
        );
      }
      await sleep(200);
    }
  }

  // Ready means a real client gets cluster metadata back, not merely that the port accepts.
  private async answersMetadata(): Promise<boolean> {
    const admin = new Kafka({
      clientId: 'sluice-ready-probe',
      brokers: this.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 2000,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0 && cluster.controller !== null;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Whether the broker process is running. */
  get running(): boolean {
    return this.child !== undefined;
  }

  /** Graceful stop: SIGTERM, wait for exit, SIGKILL after the stop timeout. Data stays for restart(). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.ref(); // keep this process alive until the exit event arrives
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.stopTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) await this.kill();
  }

  /** Crash: SIGKILL, no controlled shutdown; waits until the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.ref();
    child.kill('SIGKILL');
    await this.exited;
  }

  /** Stops (gracefully) if running, then starts again on the same ports and data: topics and offsets survive. */
  async restart(): Promise<void> {
    await this.stop();
    await this.boot();
  }

  /** @internal for the process exit hook only */
  killSync(): void {
    this.child?.kill('SIGKILL');
  }
}
