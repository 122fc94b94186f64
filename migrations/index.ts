import { ArchiveIndex1764170000000 } from './1764170000000-archive-index.js';

/** Every migration in order. The schema changes only through these (DESIGN §2). */
export const MIGRATIONS = [ArchiveIndex1764170000000];
