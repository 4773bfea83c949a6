/**
 * Where the built dashboard is: beside the bundled CLI (`dist/tkube.mjs` → `dist/dashboard/`), or, when the server
 * runs from source (tests, development), in the repository's `dist/dashboard/`. `hack/build-dashboard.mjs` makes it;
 * `./tkube` runs that as part of its build.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DashboardAssets } from '../apiserver/dashboard/dashboard-assets.js';

/** dashboardDirectory returns the first built dashboard directory found, or undefined. */
export function dashboardDirectory(): string | undefined {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [join(here, 'dashboard'), join(here, '..', '..', 'dist', 'dashboard')];
  return candidates.find((d) => existsSync(join(d, 'index.html')));
}

/** loadDashboard reads the built dashboard (or a "not built" placeholder when there is none). */
export function loadDashboard(): DashboardAssets {
  return new DashboardAssets(dashboardDirectory());
}
