import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { AccountCaller } from '../../core/auth/caller.js';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import { McpAccess } from './mcp-access.js';
import { McpTools } from './mcp-tools.js';

/** A stream ends after this long; the client opens another (and is authenticated again). */
const STREAM_LIFETIME_MS = 30 * 60_000;
/** A comment line this often keeps proxies from closing an idle stream. */
const KEEP_ALIVE_MS = 25_000;

const LIST_CHANGED = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });

/**
 * The server-to-client event streams of `GET /mcp`. Stateless like the rest of the server: a stream
 * belongs to no session and any replica may hold it. Each looks every MCP_STREAM_POLL_MS at the tools
 * its caller may use now and sends `notifications/tools/list_changed` when their names change (a
 * connection appeared, disconnected or failed, a plan or plugin changed); it ends when the caller's key
 * is revoked or expires, the account switches MCP off, or after 30 minutes.
 */
@Injectable()
export class McpStreams implements OnApplicationShutdown {
  private readonly logger = new Logger(McpStreams.name);
  private readonly open = new Set<() => void>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tools: McpTools,
    private readonly access: McpAccess,
  ) {}

  async stream(caller: AccountCaller, request: Request, response: Response): Promise<void> {
    let names = await this.toolNames(caller);
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // How long a client waits before opening a stream again once this one ends.
    response.write(`retry: ${this.config.mcpStreamPollMs}\n\n`);
    let lastWrite = Date.now();
    let checking = false;
    const tick = async () => {
      if (checking) return;
      checking = true;
      try {
        if (!(await this.access.stillAllowed(caller))) return end();
        const now = await this.toolNames(caller);
        if (now !== names) {
          names = now;
          response.write(`event: message\ndata: ${LIST_CHANGED}\n\n`);
          lastWrite = Date.now();
        } else if (Date.now() - lastWrite >= KEEP_ALIVE_MS) {
          response.write(': keep-alive\n\n');
          lastWrite = Date.now();
        }
      } catch (error) {
        this.logger.warn(`MCP stream check failed: ${(error as Error).message}`);
      } finally {
        checking = false;
      }
    };
    const poll = setInterval(() => void tick(), this.config.mcpStreamPollMs);
    const lifetime = setTimeout(() => end(), STREAM_LIFETIME_MS);
    const end = () => {
      clearInterval(poll);
      clearTimeout(lifetime);
      this.open.delete(end);
      if (!response.writableEnded) response.end();
    };
    this.open.add(end);
    request.on('close', end);
  }

  onApplicationShutdown(): void {
    for (const end of [...this.open]) end();
  }

  private async toolNames(caller: AccountCaller): Promise<string> {
    return (await this.tools.list(caller)).map((tool) => tool.name).join('\n');
  }
}
