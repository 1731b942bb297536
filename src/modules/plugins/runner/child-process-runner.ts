import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { CallRequest } from '../runtime/call.js';
import { toWireError } from '../runtime/call.js';
import type { PluginDescription, PluginLocation } from '../runtime/description.js';
import { encodeMessage, MessageDecoder, type ChildMessage, type HostMessage } from '../runtime/wire.js';
import { CallDeadlineError, CallHooks, PluginCrashedError, PluginLoadError, PluginRunner } from './plugin-runner.js';
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
  loadTimeoutMs: number;
  restartBackoffMs: number;
  restartBackoffMaxMs: number;
}

/** What a plugin process reports to whoever runs it. */
export interface PluginProcessListener {
  exited(plugin: string, details: { code: number | null; signal: NodeJS.Signals | null; restartInMs: number }): void;
  output(plugin: string, level: 'info' | 'warn', line: string): void;
  /** The child sent something that is not a readable, bounded message: it is killed. */
  refused(plugin: string, reason: string): void;
}

/**
 * One plugin's child process: started for its description at load, kept for its calls, restarted
 * with exponential backoff after it crashes or is killed for hanging. Calls are multiplexed by id.
 */
export class PluginProcess {
  private child?: ChildProcess;
  /** The child's fd 3: messages both ways (see runtime/wire.ts). */
  private channel?: Socket;
  private starting?: Promise<PluginDescription>;
  private readonly pending = new Map<number, PendingCall>();
  private readonly pings = new Map<number, () => void>();
  private crashes = 0;
  private notBefore = 0;
  private stopped = false;
  private nextId = 1;
  /** Set while a child that missed a deadline is being checked: new calls wait for the verdict. */
  private suspect?: Promise<void>;

  constructor(
    readonly plugin: PluginLocation,
    private readonly options: PluginProcessOptions,
    private readonly listener: PluginProcessListener,
  ) {}

  /** Starts the child (after any backoff), resolving with the plugin's description once it loaded. */
  start(deadline: number): Promise<PluginDescription> {
    if (this.child && !this.starting) return Promise.resolve(undefined as never);
    this.starting ??= this.spawn(deadline).finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  async call(request: CallRequest, timeoutMs: number, hooks: CallHooks): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    if (this.suspect) await withDeadline(this.suspect, deadline);
    if (!this.child || this.starting) {
      try {
        await withDeadline(this.start(deadline), deadline);
      } catch (error) {
        if (error instanceof CallDeadlineError) throw error;
        throw new PluginCrashedError(`the plugin could not be restarted: ${(error as Error).message}`);
      }
    }
    const child = this.child;
    if (!child) throw new PluginCrashedError('the plugin process is not running');
    const id = this.nextId++;
    // Throws WireLimitError for this call alone when the request may not cross: nothing is sent.
    const frame = encodeMessage({ type: 'call', id, request, timeoutMs: Math.max(1, deadline - Date.now()) });
    return new Promise((resolve, reject) => {
      const controller = new AbortController();
      const timer = setTimeout(() => {
        this.pending.delete(id);
        controller.abort();
        this.send({ type: 'abort', id });
        this.checkLiveness();
        reject(new CallDeadlineError('the call deadline passed'));
      }, Math.max(1, deadline - Date.now()));
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
  }

  stop(): void {
    this.stopped = true;
    this.child?.kill('SIGKILL');
  }

  private async spawn(deadline: number): Promise<PluginDescription> {
    const wait = this.notBefore - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(wait, Math.max(0, deadline - Date.now()))));
    if (Date.now() >= deadline) throw new CallDeadlineError('the plugin process is restarting');
    if (this.stopped) throw new PluginLoadError('the plugin was unloaded');
    const { main, dir: runtimeDir, files: runtimeFiles } = childRuntime();
    const { sdk, testing, dir: sdkDir } = sdkUrls();
    const { memoryMb } = this.options;
    const child = spawn(
      process.execPath,
      [
        PERMISSION_FLAG,
        `--allow-fs-read=${this.plugin.dir}`,
        `--allow-fs-read=${runtimeDir}`,
        ...runtimeFiles.map((file) => `--allow-fs-read=${file}`),
        `--allow-fs-read=${sdkDir}`,
        `--max-old-space-size=${memoryMb}`,
        '--disable-warning=ExperimentalWarning',
        main,
      ],
      {
      // Nothing of the host's environment (database URL, keys) reaches plugin code.
      env: {
        NODE_ENV: process.env.NODE_ENV ?? 'production',
        PLUGBOARD_SDK_URL: sdk,
        PLUGBOARD_SDK_TESTING_URL: testing,
        PLUGBOARD_PLUGIN_ENTRY: this.plugin.entry,
      },
        cwd: this.plugin.dir,
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      },
    );
    const channel = child.stdio[3] as Socket;
    this.child = child;
    this.channel = channel;
    this.forwardOutput(child);
    return new Promise<PluginDescription>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const timer = setTimeout(
        () => {
          settle(() => reject(new PluginLoadError(`did not finish loading within ${this.options.loadTimeoutMs} ms`)));
          child.kill('SIGKILL');
        },
        Math.max(1, Math.min(deadline - Date.now(), this.options.loadTimeoutMs)),
      );
      const decoder = new MessageDecoder<ChildMessage>(
        (message) => {
          if (message.type === 'ready') settle(() => resolve(message.description));
          else if (message.type === 'load-failed') {
            settle(() => reject(new PluginLoadError(message.error.code === 'invalid_definition' ? message.error.message : `threw while loading: ${message.error.message}`)));
            child.kill('SIGKILL');
          } else this.onMessage(message);
        },
        // Only a plugin writing to the pipe past the runtime sends these: it cannot be trusted to go on.
        (error) => {
          this.listener.refused(this.plugin.name, error.message);
          child.kill('SIGKILL');
        },
      );
      channel.on('data', (chunk: Buffer) => decoder.push(chunk));
      channel.on('error', () => child.kill('SIGKILL'));
      child.on('error', (error) => settle(() => reject(new PluginLoadError(`could not start: ${error.message}`))));
      // 'close' comes once the pipes are drained, so what the child sent just before exiting was read.
      child.on('close', (code, signal) => {
        settle(() => reject(new PluginLoadError(`exited while loading (${signal ?? `code ${code}`})`)));
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
          this.send({ type: 'http-result', id: message.id, error: { message: 'the call is over' } });
          return;
        }
        const fail = (error: unknown) => this.send({ type: 'http-result', id: message.id, error: toWireError(error) });
        call.hooks.http(message.request, call.controller.signal).then((response) => {
          try {
            this.send({ type: 'http-result', id: message.id, response });
          } catch (error) {
            fail(error);
          }
        }, fail);
        return;
      }
      case 'log':
        this.pending.get(message.callId)?.hooks.log(message.level, message.message, message.fields);
        return;
      case 'pong':
        this.pings.get(message.id)?.();
        return;
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.channel = undefined;
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      call.controller.abort();
      call.reject(new PluginCrashedError(`the plugin process exited (${signal ?? `code ${code}`})`));
      this.pending.delete(id);
    }
    for (const answer of this.pings.values()) answer();
    this.pings.clear();
    if (this.stopped) return;
    this.crashes += 1;
    const { restartBackoffMs, restartBackoffMaxMs } = this.options;
    const backoff = Math.min(restartBackoffMaxMs, restartBackoffMs * 2 ** (this.crashes - 1));
    this.notBefore = Date.now() + backoff;
    this.listener.exited(this.plugin.name, { code, signal, restartInMs: backoff });
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
    this.send({ type: 'ping', id });
  }

  /** Throws WireLimitError when the message may not cross. */
  private send(message: HostMessage): void {
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
      createInterface({ input: stream }).on('line', (line) => this.listener.output(this.plugin.name, level, line.slice(0, 4000)));
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

/**
 * PLUGIN_ISOLATION=process (default): every plugin runs in its own child process under Node's
 * permission model (file reads limited to the plugin's directory, this runtime and the SDK; no child
 * processes, workers or addons), with a heap cap and no access to the host's environment.
 */
export class ChildProcessPluginRunner extends PluginRunner {
  private readonly processes = new Map<string, PluginProcess>();

  private get options(): PluginProcessOptions {
    const { callTimeoutMs, verifyTimeoutMs } = this.config.plugins;
    return { ...this.config.plugins, loadTimeoutMs: verifyTimeoutMs, livenessTimeoutMs: Math.min(1000, Math.max(100, Math.round(callTimeoutMs / 4))) };
  }

  private readonly listener: PluginProcessListener = {
    exited: (plugin, details) => this.logger.warn({ plugin, ...details }, 'plugin process exited; it restarts on its next call'),
    output: (plugin, level, line) => this.logger[level === 'info' ? 'log' : 'warn']({ plugin, output: line }, 'plugin output'),
    refused: (plugin, reason) => this.logger.warn({ plugin, reason }, 'plugin process sent an unreadable or unbounded message; it is stopped'),
  };

  async load(plugin: PluginLocation): Promise<PluginDescription> {
    await this.unload(plugin.name);
    const process = new PluginProcess(plugin, this.options, this.listener);
    this.processes.set(plugin.name, process);
    try {
      return await process.start(Date.now() + this.options.loadTimeoutMs);
    } catch (error) {
      process.stop();
      this.processes.delete(plugin.name);
      throw error instanceof PluginLoadError ? error : new PluginLoadError((error as Error).message);
    }
  }

  unload(pluginName: string): Promise<void> {
    this.processes.get(pluginName)?.stop();
    this.processes.delete(pluginName);
    return Promise.resolve();
  }

  close(): Promise<void> {
    for (const process of this.processes.values()) process.stop();
    this.processes.clear();
    return Promise.resolve();
  }

  protected execute(plugin: PluginLocation, request: CallRequest, timeoutMs: number, hooks: CallHooks): Promise<unknown> {
    const process = this.processes.get(plugin.name);
    if (!process) return Promise.reject(new PluginCrashedError(`plugin ${plugin.name} has no process`));
    return process.call(request, timeoutMs, hooks);
  }
}

/** Loads a plugin in a sandboxed child process just to describe it (`plugboard plugin validate`). */
export async function describeInChildProcess(plugin: PluginLocation, options: PluginProcessOptions, listener: PluginProcessListener): Promise<PluginDescription> {
  const process = new PluginProcess(plugin, options, listener);
  try {
    return await process.start(Date.now() + options.loadTimeoutMs);
  } finally {
    process.stop();
  }
}
