import { readFileSync } from 'node:fs';

/** The package version, for SoftwareVersions (0018,1020) and federation manifests. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
