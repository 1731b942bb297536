import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { AppConfig } from '../../../core/config/config.js';
import { validateDescription } from '../plugin-manifest.js';
import type { PluginRegistry } from '../plugin-registry.js';
import type { CallRequest, WireError } from '../runtime/call.js';
import { toWireError } from '../runtime/call.js';
import type { PluginDescription, PluginLocation } from '../runtime/description.js';
import { encodeMessage, MessageDecoder, type ChildMessage, type HostMessage } from '../runtime/wire.js';
import { DescriptionCache } from './description-cache.js';
import { CallDeadlineError, CallHooks, PluginCrashedError, PluginLoadError, PluginRunner, type PluginHostStatus } from './plugin-runner.js';
import type { ProviderHttp } from './provider-http.js';
import { childRuntime, sdkUrls } from './sdk-location.js';

const PERMISSION_FLAG = process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission';

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
  hooks: CallHooks;
  /** Aborts the host-side HTTP requests of this call. */
  controller: AbortController;
}

export interface PluginProcessOptions {
  memoryMb: number;
  /** How long a child whose call passed its deadline has to answer a ping before it is killed. */
  livenessTimeoutMs: number;
  /** How long the runtime, and a plugin's import when it is described, may take. */
  loadTimeoutMs: number;
  restartBackoffMs: number;
  restartBackoffMaxMs: number;
  /** A child with no call for this long is stopped; the next call starts it again. */
  idleMs: number;
}

/** What a host process reports to whoever runs it. */
export interface PluginProcessListener {
  exited(host: string, details: { code: number | null; signal: NodeJS.Signals | null; restartInMs: number }): void;
  output(host: string, level: 'info' | 'warn', line: string): void;
  /** The child sent something that is not a readable, bounded message: it is killed. */
  refused(host: string, reason: string): void;
}

/** The process describing a plugin died or hung: with others in it, any of them may be the cause. */
class PluginHostLostError extends PluginLoadError {}

/** No host-side HTTP or logs: describing a plugin runs only its import. */
const NO_HOOKS: CallHooks = {
  http: () => Promise.reject(new Error('a plugin makes no requests while it is described')),
  log: () => undefined,
};

/**
 * One host process for a fixed set of plugins (one publisher's, or one unsigned plugin): started on
 * its first call, stopped after `idleMs` without calls, restarted with exponential backoff after it
 * crashes or is killed for hanging. Calls are multiplexed by id; each names its plugin.
 */
export class PluginHostProcess {
  private child?: ChildProcess;
  /** The child's fd 3: messages both ways (see runtime/wire.ts). */
  private channel?: Socket;
  private starting?: Promise<void>;
  private readonly pending = new Map<number, PendingCall>();
  private readonly pings = new Map<number, () => void>();
  private crashes = 0;
  private notBefore = 0;
  private stopped = false;
  /** Replaced by a host with other plugins: ends once its calls in flight are answered. */
  private retiring = false;
  private idleTimer?: NodeJS.Timeout;
  private nextId = 1;
  /** Set while a child that missed a deadline is being checked: new calls wait for the verdict. */
  private suspect?: Promise<void>;

  constructor(
    readonly key: string,
    readonly plugins: readonly PluginLocation[],
    private readonly options: PluginProcessOptions,
    private readonly listener: PluginProcessListener,
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  call(plugin: string, request: CallRequest, timeoutMs: number, hooks: CallHooks): Promise<unknown> {
    return this.send((id, remainingMs) => ({ type: 'call', id, plugin, request, timeoutMs: remainingMs }), Date.now() + timeoutMs, hooks);
  }

  /** Imports the plugin and describes its definition; throws PluginLoadError. */
  async describe(plugin: string, deadline: number): Promise<PluginDescription> {
    try {
      return (await this.send((id) => ({ type: 'describe', id, plugin }), deadline, NO_HOOKS)) as PluginDescription;
    } catch (error) {
      if (error instanceof PluginLoadError) throw error;
      if (error instanceof CallDeadlineError) throw new PluginHostLostError(`did not finish loading within ${this.options.loadTimeoutMs} ms`);
      if (error instanceof PluginCrashedError) throw new PluginHostLostError(`exited while loading (${error.message})`);
      const { code, message } = error as WireError;
      throw new PluginLoadError(code === 'load_failed' ? `threw while loading: ${message}` : message);
    }
  }

  /** Ends the process once its calls in flight are answered; it takes no new ones. */
  retire(): void {
    this.retiring = true;
    if (this.pending.size === 0) this.stop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.idleTimer);
    this.child?.kill('SIGKILL');
  }

  private async send(build: (id: number, remainingMs: number) => HostMessage, deadline: number, hooks: CallHooks): Promise<unknown> {
    clearTimeout(this.idleTimer);
    if (this.suspect) await withDeadline(this.suspect, deadline);
    if (!this.child || this.starting) {
      try {
        await withDeadline(this.start(deadline), deadline);
      } catch (error) {
        if (error instanceof CallDeadlineError) throw error;
        throw new PluginCrashedError(`the plugin host could not be started: ${(error as Error).message}`);
      }
    }
    if (!this.child) throw new PluginCrashedError('the plugin host is not running');
    const id = this.nextId++;
    // Throws WireLimitError for this call alone when the request may not cross: nothing is sent.
    const frame = encodeMessage(build(id, Math.max(1, deadline - Date.now())));
    const answer = new Promise((resolve, reject) => {
      const controller = new AbortController();
      const timer = setTimeout(
        () => {
          this.pending.delete(id);
          controller.abort();
          this.post({ type: 'abort', id });
          this.checkLiveness();
          reject(new CallDeadlineError('the call deadline passed'));
        },
        Math.max(1, deadline - Date.now()),
      );
      this.pending.set(id, {
        resolve: (value) => {
          this.crashes = 0;
          resolve(value);
        },
        reject,
        timer,
        hooks,
        controller,
      });
      this.write(frame);
    });
    const settled = () => {
      if (this.pending.size > 0) return;
      if (this.retiring) this.stop();
      else this.armIdleStop();
    };
    answer.then(settled, settled);
    return answer;
  }

  /** Starts the child (after any backoff), resolving once its runtime is up. */
  private start(deadline: number): Promise<void> {
    this.starting ??= this.spawn(deadline).finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private armIdleStop(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      const child = this.child;
      if (!child || this.pending.size > 0 || this.starting) return;
      // Forgotten before it exits: its 'close' is then no crash, and a call meanwhile starts a new child.
      this.child = undefined;
      this.channel = undefined;
      child.kill('SIGKILL');
    }, this.options.idleMs);
    this.idleTimer.unref();
  }

  private async spawn(deadline: number): Promise<void> {
    const wait = this.notBefore - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(wait, Math.max(0, deadline - Date.now()))));
    if (Date.now() >= deadline) throw new CallDeadlineError('the plugin host is restarting');
    if (this.stopped) throw new PluginLoadError('the plugin was unloaded');
    const { main, dir: runtimeDir, files: runtimeFiles } = childRuntime();
    const { sdk, testing, dir: sdkDir } = sdkUrls();
    const child = spawn(
      process.execPath,
      [
        PERMISSION_FLAG,
        // The plugins of this host alone: another publisher's files stay unreadable.
        ...this.plugins.map((plugin) => `--allow-fs-read=${plugin.dir}`),
        `--allow-fs-read=${runtimeDir}`,
        ...runtimeFiles.map((file) => `--allow-fs-read=${file}`),
        `--allow-fs-read=${sdkDir}`,
        `--max-old-space-size=${this.options.memoryMb}`,
        '--disable-warning=ExperimentalWarning',
        main,
      ],
      {
        // Nothing of the host's environment (database URL, keys) reaches plugin code.
        env: {
          NODE_ENV: process.env.NODE_ENV ?? 'production',
          PLUGBOARD_SDK_URL: sdk,
          PLUGBOARD_SDK_TESTING_URL: testing,
          PLUGBOARD_PLUGINS: JSON.stringify(Object.fromEntries(this.plugins.map((plugin) => [plugin.name, plugin.entry]))),
        },
        cwd: this.plugins[0]?.dir ?? runtimeDir,
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      },
    );
    const channel = child.stdio[3] as Socket;
    this.child = child;
    this.channel = channel;
    this.forwardOutput(child);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const timer = setTimeout(
        () => {
          settle(() => reject(new PluginLoadError(`did not start within ${this.options.loadTimeoutMs} ms`)));
          child.kill('SIGKILL');
        },
        // A host's start is not bound to the call that asked for it: a call whose deadline passes first
        // fails alone (504, through withDeadline), and the host goes on starting for the next calls.
        this.options.loadTimeoutMs,
      );
      const decoder = new MessageDecoder<ChildMessage>(
        (message) => {
          if (message.type === 'ready') settle(resolve);
          else this.onMessage(message);
        },
        // Only a plugin writing to the pipe past the runtime sends these: it cannot be trusted to go on.
        (error) => {
          this.listener.refused(this.key, error.message);
          child.kill('SIGKILL');
        },
      );
      channel.on('data', (chunk: Buffer) => decoder.push(chunk));
      channel.on('error', () => child.kill('SIGKILL'));
      child.on('error', (error) => settle(() => reject(new PluginLoadError(`could not start: ${error.message}`))));
      // 'close' comes once the pipes are drained, so what the child sent just before exiting was read.
      child.on('close', (code, signal) => {
        settle(() => reject(new PluginLoadError(`exited while starting (${signal ?? `code ${code}`})`)));
        this.onExit(child, code, signal);
      });
    });
  }

  private onMessage(message: ChildMessage): void {
    switch (message.type) {
      case 'result':
      case 'error': {
        const call = this.pending.get(message.id);
        if (!call) return;
        this.pending.delete(message.id);
        clearTimeout(call.timer);
        if (message.type === 'result') call.resolve(message.value);
        else call.reject(message.error);
        return;
      }
      case 'http': {
        const call = this.pending.get(message.callId);
        if (!call) {
          this.post({ type: 'http-result', id: message.id, error: { message: 'the call is over' } });
          return;
        }
        const fail = (error: unknown) => this.post({ type: 'http-result', id: message.id, error: toWireError(error) });
        call.hooks.http(message.request, call.controller.signal).then((response) => {
          try {
            this.post({ type: 'http-result', id: message.id, response });
          } catch (error) {
            fail(error);
          }
        }, fail);
        return;
      }
      case 'log':
        this.pending.get(message.callId)?.hooks.log(message.level, message.message, message.fields);
        return;
      case 'store-credentials':
        this.pending.get(message.callId)?.hooks.storeCredentials?.(message.values);
        return;
      case 'pong':
        this.pings.get(message.id)?.();
        return;
      case 'ready':
        return;
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.channel = undefined;
    for (const [id, call] of this.pending) {
      this.pending.delete(id);
      clearTimeout(call.timer);
      call.controller.abort();
      call.reject(new PluginCrashedError(`the plugin host exited (${signal ?? `code ${code}`})`));
    }
    for (const answer of this.pings.values()) answer();
    this.pings.clear();
    if (this.stopped) return;
    this.crashes += 1;
    const { restartBackoffMs, restartBackoffMaxMs } = this.options;
    const backoff = Math.min(restartBackoffMaxMs, restartBackoffMs * 2 ** (this.crashes - 1));
    this.notBefore = Date.now() + backoff;
    this.listener.exited(this.key, { code, signal, restartInMs: backoff });
  }

  /** After a missed deadline: a child that cannot answer a ping has a stuck event loop and is killed. */
  private checkLiveness(): void {
    const child = this.child;
    if (!child || this.suspect) return;
    const id = this.nextId++;
    this.suspect = new Promise<void>((verdict) => {
      const timer = setTimeout(() => {
        this.pings.delete(id);
        if (this.child === child) {
          child.once('close', () => verdict());
          child.kill('SIGKILL');
        } else verdict();
      }, this.options.livenessTimeoutMs);
      this.pings.set(id, () => {
        clearTimeout(timer);
        this.pings.delete(id);
        verdict();
      });
    }).finally(() => {
      this.suspect = undefined;
    });
    this.post({ type: 'ping', id });
  }

  /** Throws WireLimitError when the message may not cross. */
  private post(message: HostMessage): void {
    this.write(encodeMessage(message));
  }

  private write(frame: Buffer): void {
    const channel = this.channel;
    if (channel?.writable) channel.write(frame);
  }

  private forwardOutput(child: ChildProcess): void {
    for (const [stream, level] of [
      [child.stdout, 'info'],
      [child.stderr, 'warn'],
    ] as const) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => this.listener.output(this.key, level, line.slice(0, 4000)));
    }
  }
}

function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CallDeadlineError('the call deadline passed')), Math.max(1, deadline - Date.now()));
    }),
  ]).finally(() => clearTimeout(timer));
}

interface DescribeRequest {
  plugin: PluginLocation;
  resolve: (description: PluginDescription) => void;
  reject: (error: unknown) => void;
}

/** A limiter running at most `max` tasks at once. */
function concurrency(max: number) {
  let active = 0;
  const queue: Array<() => void> = [];
  return <T>(task: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const run = () => {
        active += 1;
        task()
          .then(resolve, reject)
          .finally(() => {
            active -= 1;
            queue.shift()?.();
          });
      };
      if (active < max) run();
      else queue.push(run);
    });
}

/**
 * PLUGIN_ISOLATION=process (default): plugins run in host processes grouped by trust (the bundled
 * plugins together, each verified publisher apart, each unsigned plugin alone) under Node's permission
 * model (file reads limited to the host's plugin directories, this runtime and the SDK; no child
 * processes, workers or addons), with a heap cap and no access to the host's environment. Hosts start
 * on their first call and stop when idle; descriptions come from a cache, so loading starts no process
 * unless a plugin changed.
 */
export class ChildProcessPluginRunner extends PluginRunner {
  /** Loaded plugins by name, each with the host it belongs to. */
  private readonly members = new Map<string, PluginLocation & { host: string }>();
  /** Host processes by key, for the current members of each. */
  private readonly hosts = new Map<string, PluginHostProcess>();
  private readonly descriptions: DescriptionCache;
  /** Plugins waiting to be described, by trust group (gathered for one tick). */
  private readonly describing = new Map<string, DescribeRequest[]>();
  /** At most twice the CPU count of describing processes at once. */
  private readonly describeSlots = concurrency(Math.max(2, availableParallelism() * 2));

  constructor(config: AppConfig, registry: PluginRegistry, providerHttp: ProviderHttp) {
    super(config, registry, providerHttp);
    this.descriptions = new DescriptionCache(join(config.dataDir, 'plugin-descriptions'), (error) =>
      this.logger.warn({ error: error.message }, 'plugin descriptions cannot be cached; plugins are described at every start'),
    );
  }

  private get options(): PluginProcessOptions {
    const { callTimeoutMs, verifyTimeoutMs } = this.config.plugins;
    return { ...this.config.plugins, loadTimeoutMs: verifyTimeoutMs, livenessTimeoutMs: Math.min(1000, Math.max(100, Math.round(callTimeoutMs / 4))) };
  }

  private readonly listener: PluginProcessListener = {
    exited: (host, details) => this.logger.warn({ host, ...details }, 'plugin host exited; it restarts on its next call'),
    output: (host, level, line) => this.logger[level === 'info' ? 'log' : 'warn']({ host, output: line }, 'plugin output'),
    refused: (host, reason) => this.logger.warn({ host, reason }, 'plugin host sent an unreadable or unbounded message; it is stopped'),
  };

  async load(plugin: PluginLocation): Promise<PluginDescription> {
    await this.unload(plugin.name);
    const member = { ...plugin, host: plugin.host ?? `plugin:${plugin.name}` };
    let description = this.descriptions.get(plugin);
    if (!description) {
      description = await this.describe(member);
      validateDescription(description);
      this.descriptions.set(plugin, description);
    }
    this.members.set(plugin.name, member);
    this.regroup(member.host);
    return description;
  }

  unload(pluginName: string): Promise<void> {
    const member = this.members.get(pluginName);
    if (member) {
      this.members.delete(pluginName);
      this.regroup(member.host);
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    for (const host of this.hosts.values()) host.stop();
    this.hosts.clear();
    this.members.clear();
    return Promise.resolve();
  }

  status(pluginName: string): PluginHostStatus | undefined {
    const member = this.members.get(pluginName);
    return member && { host: member.host, running: this.hosts.get(member.host)?.running ?? false };
  }

  protected execute(plugin: PluginLocation, request: CallRequest, timeoutMs: number, hooks: CallHooks): Promise<unknown> {
    const member = this.members.get(plugin.name);
    if (!member) return Promise.reject(new PluginCrashedError(`plugin ${plugin.name} is not loaded`));
    let host = this.hosts.get(member.host);
    if (!host) {
      const plugins = [...this.members.values()].filter((candidate) => candidate.host === member.host);
      host = new PluginHostProcess(member.host, plugins, this.options, this.listener);
      this.hosts.set(member.host, host);
    }
    return host.call(plugin.name, request, timeoutMs, hooks);
  }

  /**
   * Describes a plugin in a sandbox that is not its host (which starts only when called): the plugins
   * of one trust group asked for in the same tick share one process, and a process that dies or hangs
   * while several load has each of them described alone, so a plugin that cannot load fails alone.
   */
  private describe(plugin: PluginLocation & { host: string }): Promise<PluginDescription> {
    return new Promise((resolve, reject) => {
      const queued = this.describing.get(plugin.host);
      if (queued) {
        queued.push({ plugin, resolve, reject });
        return;
      }
      this.describing.set(plugin.host, [{ plugin, resolve, reject }]);
      setImmediate(() => {
        const batch = this.describing.get(plugin.host) ?? [];
        this.describing.delete(plugin.host);
        void this.describeSlots(() => this.describeBatch(plugin.host, batch));
      });
    });
  }

  private async describeBatch(key: string, batch: DescribeRequest[]): Promise<void> {
    const host = new PluginHostProcess(
      `describe:${key}`,
      batch.map((entry) => entry.plugin),
      this.options,
      this.listener,
    );
    const deadline = Date.now() + this.options.loadTimeoutMs;
    const alone: DescribeRequest[] = [];
    try {
      await Promise.all(
        batch.map(async (entry) => {
          try {
            entry.resolve(await host.describe(entry.plugin.name, deadline));
          } catch (error) {
            if (error instanceof PluginHostLostError && batch.length > 1) alone.push(entry);
            else entry.reject(error);
          }
        }),
      );
    } finally {
      host.stop();
    }
    for (const entry of alone) await describeInChildProcess(entry.plugin, this.options, this.listener).then(entry.resolve, entry.reject);
  }

  /** A host's plugins changed: its process (fixed read permissions, imported code) is replaced on the next call. */
  private regroup(key: string): void {
    this.hosts.get(key)?.retire();
    this.hosts.delete(key);
  }
}

/** Loads a plugin in a sandboxed process of its own just to describe it (loading, `plugboard plugin validate`). */
export async function describeInChildProcess(
  plugin: PluginLocation,
  options: PluginProcessOptions,
  listener: PluginProcessListener,
): Promise<PluginDescription> {
  const host = new PluginHostProcess(`describe:${plugin.name}`, [plugin], options, listener);
  try {
    return await host.describe(plugin.name, Date.now() + options.loadTimeoutMs);
  } finally {
    host.stop();
  }
}
