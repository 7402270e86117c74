import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { configDir } from '../core/config/paths.js';
import { authModes, prefixModes, type AuthConfig, type GatehouseConfig } from '../core/config/schema.js';
import { ExitCode, UserError } from '../core/errors.js';

/** A repeat of an exit signal within this many ms of the first is a library's echo of it. */
const SIGNAL_ECHO_MS = 500;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export default class Serve extends BaseCommand {
  static override summary = 'Serve every registered backend behind one MCP endpoint.';
  static override description = `Streamable HTTP at /mcp (MCP 2026-07-28 and 2025-era sessions), legacy SSE at /sse, or stdio with --stdio.
In a terminal it shows a live dashboard; otherwise (or with --no-tui) it logs one line per event.`;
  static override enableJsonFlag = false;

  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --config templates/demo/gatehouse.yaml',
    '<%= config.bin %> serve --port 7421 --prefix-mode conditional --no-tui --log-format json',
    '<%= config.bin %> serve --stdio',
    '<%= config.bin %> serve --log-file /var/log/gatehouse/events.jsonl',
    '<%= config.bin %> serve --host 0.0.0.0 --auth-mode bearer',
  ];

  static override flags = {
    config: Flags.string({ char: 'c', description: 'the config file to serve (default: gatehouse.yaml in the config dir, or GATEHOUSE_CONFIG)' }),
    host: Flags.string({ description: 'address to bind (default 127.0.0.1)' }),
    port: Flags.integer({ char: 'p', description: 'port to bind (default 7420; 0 picks a free one)', min: 0, max: 65535 }),
    'prefix-mode': Flags.option({ options: prefixModes, description: 'tool name prefixing: always (default), conditional (on collision) or never' })(),
    stdio: Flags.boolean({ description: 'serve one client over stdin/stdout instead of HTTP' }),
    server: Flags.string({ description: 'with --stdio: serve this virtual server (gateway.servers) instead of gateway.defaultServer or the whole catalog', dependsOn: ['stdio'] }),
    tui: Flags.boolean({ default: true, allowNo: true, description: 'show the live dashboard when in a terminal' }),
    'log-format': Flags.option({ options: ['pretty', 'json'] as const, default: 'pretty', description: 'log line format when not showing the dashboard' })(),
    'log-file': Flags.string({ description: 'also write every event as JSON lines to this file, dashboard on or off (rotated by size: gateway.log.maxBytes, gateway.log.files)' }),
    'log-level': Flags.option({ options: ['debug', 'info', 'warn', 'error'] as const, default: 'info', description: 'lowest event level logged (debug adds call starts)' })(),
    'auth-mode': Flags.option({ options: authModes, description: 'inbound auth (default: gateway.auth.mode, else none); jwt and cloudflare-access read their settings from gateway.auth' })(),
    insecure: Flags.boolean({ description: 'allow binding a non-loopback address without inbound auth' }),
    'drain-timeout': Flags.integer({ default: 10, description: 'seconds to let in-flight calls finish on shutdown' }),
    watch: Flags.boolean({ default: true, allowNo: true, description: 'apply config file changes as they are saved (SIGHUP and `gatehouse config reload` work either way)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Serve);
    const explicit = Boolean(flags.config || process.env.GATEHOUSE_CONFIG);
    // A named file must exist; the default one may not yet (an empty gateway until `backends add`).
    if (explicit && !this.store.exists()) {
      throw new UserError(`Cannot read config file ${this.store.path}: no such file`, {
        code: 'config_missing',
        hint: 'Check the path, or create one with `gatehouse config export --output gatehouse.yaml`.',
      });
    }
    const config: GatehouseConfig = this.store.read();
    if (flags.server !== undefined && !config.gateway?.servers?.[flags.server]) {
      const known = Object.keys(config.gateway?.servers ?? {});
      throw new UserError(`No virtual server named "${flags.server}" in gateway.servers.`, {
        code: 'server_unknown',
        exit: ExitCode.usage,
        hint: known.length ? `Servers: ${known.join(', ')}.` : 'Define one under gateway.servers in gatehouse.yaml first.',
      });
    }
    const host = flags.host ?? config.gateway?.host ?? '127.0.0.1';
    const authConfig: AuthConfig | undefined = flags['auth-mode'] ? { ...config.gateway?.auth, mode: flags['auth-mode'] } : config.gateway?.auth;
    const authMode = authConfig?.mode ?? 'none';
    if (!flags.stdio && !LOOPBACK.has(host) && !flags.insecure && authMode === 'none') {
      throw new UserError(`Refusing to bind ${host} without inbound auth.`, {
        code: 'insecure_bind',
        exit: ExitCode.usage,
        hint: 'Bind 127.0.0.1 (the default), turn on inbound auth (--auth-mode bearer, or gateway.auth in config), or pass --insecure if something else (a tunnel, Cloudflare Access) authenticates clients in front of Gatehouse.',
      });
    }
    // stdin/stdout belong to the one local client that started us; there is nothing to authenticate.
    // Loaded only when used: the JWT stack is a noticeable share of an idle gateway's memory.
    const inbound = flags.stdio || authMode === 'none' ? undefined : (await import('../server/inbound/auth.js')).buildInboundAuth(authConfig, { configDir: configDir() });
    if (inbound && inbound.mode !== 'none') {
      this.note(inbound.summary);
      if (inbound.mode === 'bearer') {
        const { ClientTokenVerifier } = await import('../core/auth/client-tokens.js');
        if ((await new ClientTokenVerifier(configDir()).count()) === 0) {
          this.note('No client tokens exist yet, so every client is refused. Create one with `gatehouse clients token create <client>`.');
        }
      }
    }
    if (Object.keys(config.backends).length === 0) {
      this.note('No backends are configured; serving an empty catalog. Add one with `gatehouse backends add`.');
    }

    // Stdio backends boot while the gateway loads (upstream/early-spawn.ts); the gateway owns and stops them.
    (await import('../server/upstream/early-spawn.js')).spawnEarly(config);
    const { Gateway } = await import('../server/gateway.js');
    const { openSecrets } = await import('../core/secrets/manager.js');
    const { EventBus } = await import('../core/events.js');
    const { killBackendChildren } = await import('../server/upstream/children.js');
    const bus = new EventBus();
    const baseDir = explicit ? dirname(resolve(this.store.path)) : process.cwd();
    // Opened before anything starts: a path that cannot be written fails here and changes nothing.
    const logConfig = config.gateway?.log;
    const logPath = flags['log-file'] ? resolve(flags['log-file']) : logConfig?.file ? resolve(baseDir, logConfig.file) : undefined;
    const fileLog = logPath ? (await import('../core/log/file-sink.js')).startFileLog(bus, { path: logPath, maxBytes: logConfig?.maxBytes, files: logConfig?.files, level: flags['log-level'] }) : undefined;
    const gateway = new Gateway({
      config,
      bus,
      host,
      port: flags.port,
      prefixMode: flags['prefix-mode'],
      http: !flags.stdio,
      stateDir: configDir(),
      // The keychain is touched only when a backend references a secret or a token.
      secrets: openSecrets({ dir: configDir() }),
      baseDir,
      authenticate: inbound?.authenticate,
      ...(inbound?.tokens ? { clientTokens: inbound.tokens } : {}),
      authMode: inbound?.mode ?? 'none',
      wellKnown: inbound?.wellKnown,
      // The file this gateway serves is followed live: edits, `backends add`, a ConfigMap swap.
      configPath: resolve(this.store.path),
      watchConfig: flags.watch,
    });

    // Same test as Ink's: under CI a live dashboard cannot draw, so log lines instead.
    const inCi = ['CI', 'CONTINUOUS_INTEGRATION'].some((k) => k in process.env && process.env[k] !== '0' && process.env[k] !== 'false');
    const useTui = flags.tui && !flags.stdio && !inCi && Boolean(process.stdout.isTTY && process.stdin.isTTY);
    let stopUi: (() => void) | undefined;
    let quit!: (reason: string) => void;
    const quitRequested = new Promise<string>((resolve) => (quit = resolve));

    let signals = 0;
    let firstSignalAt = 0;
    const onSignal = (sig: string) => {
      // conf's atomically (when-exit) hooks every exit signal once and sends it to the process again
      // after its own cleanup: a repeat this close behind the first is that echo, not a second Ctrl-C,
      // and counting it would skip the drain.
      if (signals > 0 && Date.now() - firstSignalAt < SIGNAL_ECHO_MS) return;
      signals++;
      if (signals > 1) {
        // Exit now, but never orphan a backend: children that would still be in their SIGTERM grace are killed first.
        killBackendChildren('SIGKILL');
        process.exit(ExitCode.interrupted);
      }
      firstSignalAt = Date.now();
      quit(sig);
    };

    // Subscribe before the gateway starts, so the first backend events are not missed.
    if (useTui) {
      const { renderDashboard } = await import('../ui/render-dashboard.js');
      const { lazyAdminApprovals, lazyAdminPins } = await import('../core/admin/approvals-port.js');
      // Approvals go through the gateway's own admin API, so the dashboard's operator is recorded like the CLI's.
      const feed = { onAny: bus.onAny.bind(bus), approvals: lazyAdminApprovals(() => gateway.admin, userInfo().username), pins: lazyAdminPins(() => gateway.admin, userInfo().username) };
      const ui = renderDashboard(feed, {
        onQuit: (why) => onSignal(why),
        backends: Object.entries(config.backends).map(([name, b]) => ({ name, state: b.disabled ? 'disabled' : 'starting' })),
      });
      stopUi = () => ui.unmount();
    } else {
      const { createEventLogger, detectColor } = await import('../core/log/logger.js');
      const stream = flags.stdio ? process.stderr : process.stdout;
      const logger = createEventLogger(bus, { format: flags['log-format'], level: flags['log-level'], stream, color: detectColor(stream) });
      stopUi = () => logger.stop();
    }

    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // SIGHUP re-reads the config (the daemon convention); the outcome is logged as an event.
    const onHangup = () => void gateway.reload('sighup').catch(() => undefined);
    process.on('SIGHUP', onHangup);

    try {
      (await import('../server/memory.js')).adaptMemoryProfile({ bus, sessions: () => gateway.sessions.size });
      await gateway.start();
    } catch (e) {
      stopUi?.();
      fileLog?.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onHangup);
      const err = e as NodeJS.ErrnoException;
      await gateway.stop('failed', 0);
      if (err.code === 'EADDRINUSE') {
        throw new UserError(`Port ${flags.port ?? config.gateway?.port ?? 7420} on ${host} is already in use.`, {
          code: 'port_in_use',
          hint: 'Another gatehouse may be running (`gatehouse backends refresh` talks to it); or pick another port with --port.',
        });
      }
      throw e;
    }

    let stdioHandle: { close(): Promise<void> } | undefined;
    if (flags.stdio) {
      const { serveStdioInbound } = await import('../server/inbound/stdio.js');
      const h = await serveStdioInbound(gateway.router, gateway.sessions, flags.server);
      gateway.onListChanged = (k) => h.notifyListChanged(k);
      gateway.onResourceUpdated = (uri, sessionKey) => h.notifyResourceUpdated(uri, sessionKey);
      gateway.onSubscription = (sessionKey, uri, on) => h.trackSubscription(sessionKey, uri, on);
      stdioHandle = h;
      process.stdin.once('end', () => quit('stdin closed'));
    }

    const reason = await quitRequested;
    await gateway.stop(reason, flags['drain-timeout'] * 1000);
    await stdioHandle?.close();
    stopUi?.();
    fileLog?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onHangup);
    // Quitting serve is success; child processes are already stopped.
    this.exit(ExitCode.ok);
  }
}
