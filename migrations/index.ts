import { ArchiveIndex1764170000000 } from './1764170000000-archive-index.js';
import { ModelRegistry1764180000000 } from './1764180000000-model-registry.js';
import { RoutingJobs1764190000000 } from './1764190000000-routing-jobs.js';
import { Review1764200000000 } from './1764200000000-review.js';
import { Audit1764210000000 } from './1764210000000-audit.js';
import { Learning1764220000000 } from './1764220000000-learning.js';
import { FederationCentral1764230000000 } from './1764230000000-federation-central.js';
import { FederationClient1764240000000 } from './1764240000000-federation-client.js';
import { SkippedResults1764250000000 } from './1764250000000-skipped-results.js';
import { LearningMetrics1764265000000 } from './1764265000000-learning-metrics.js';
import { DimseDestinations1764270000000 } from './1764270000000-dimse-destinations.js';
import { RemoveSuperseded1764280000000 } from './1764280000000-remove-superseded.js';
import { JobLease1764290000000 } from './1764290000000-job-lease.js';
import { StudyWait1764300000000 } from './1764300000000-study-wait.js';
import { DerivedResults1764310000000 } from './1764310000000-derived-results.js';
import { FederationGovernance1764320000000 } from './1764320000000-federation-governance.js';

/** Every migration in order. The schema changes only through these (DESIGN §2). */
export const MIGRATIONS = [ArchiveIndex1764170000000, ModelRegistry1764180000000, RoutingJobs1764190000000, Review1764200000000, Audit1764210000000, Learning1764220000000, FederationCentral1764230000000, FederationClient1764240000000, SkippedResults1764250000000, LearningMetrics1764265000000, DimseDestinations1764270000000, RemoveSuperseded1764280000000, JobLease1764290000000, StudyWait1764300000000, DerivedResults1764310000000, FederationGovernance1764320000000];
