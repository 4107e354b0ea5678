// The demo scenario of `harvester demo` and `serve --demo`: the seed's five sources, simulated,
// one of which accepts connections and never answers, so that the demo shows a source deadline
// while the others finish. Each face's settings are here, side by side.
import type { SourceId } from '../core/types.ts';
import type { Simulation } from './sim-server.ts';

export const DEMO_SOURCES: readonly SourceId[] = [
  'google_images',
  'bing_images',
  'yandex_images',
  'unsplash',
  'pexels',
];
export const DEMO_HANGING_SOURCE: SourceId = 'bing_images';

/** The job `harvester demo` runs. */
export const DEMO_QUERY = 'nature';
export const DEMO_LIMIT = 5;

/**
 * `harvester demo`: fixed settings, not defaults — the user's environment and .env take no part, so
 * the demo shows the same thing on every machine. Short, so it ends quickly, yet far above what
 * the simulated sources need (seconds).
 */
export const DEMO_CLI_ENV = { SOURCE_TIMEOUT: '3' } as const;

/**
 * `demo --cluster`: two workers taking two source runs each, so the five source runs spread over
 * both and one waits for a free slot.
 */
export const DEMO_CLUSTER_WORKERS = 2;
export const DEMO_CLUSTER_WORKER_CONCURRENCY = 2;

/**
 * `serve --demo`: defaults the environment may override. Short deadlines so that the hanging
 * source times out within seconds of a search started in the web UI.
 */
export const DEMO_SERVER_ENV_DEFAULTS = { SOURCE_TIMEOUT: '4', REQUEST_TIMEOUT: '3', DOWNLOAD_TIMEOUT: '3' } as const;

/** Starts the simulated sources of the scenario (the caller closes it); loaded on demand, as the CLI starts. */
export async function startDemoSimulation(): Promise<Simulation> {
  const { startSimulation } = await import('./sim-server.ts');
  return startSimulation({ sources: DEMO_SOURCES, hang: [DEMO_HANGING_SOURCE] });
}
