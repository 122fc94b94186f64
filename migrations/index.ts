import { ArchiveIndex1764170000000 } from './1764170000000-archive-index.js';
import { ModelRegistry1764180000000 } from './1764180000000-model-registry.js';

/** Every migration in order. The schema changes only through these (DESIGN §2). */
export const MIGRATIONS = [ArchiveIndex1764170000000, ModelRegistry1764180000000];
