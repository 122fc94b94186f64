import type { Context, DefaultState } from 'koa';
import type { Logger } from 'pino';
import type { Role } from '../config/schema.js';

/** What the auth middleware establishes about the caller. */
export interface Principal {
  name: string;
  roles: readonly Role[];
  /** True when the node runs without tokens on loopback (every role, said at start). */
  anonymous: boolean;
}

export interface AppState extends DefaultState {
  requestId: string;
  log: Logger;
  principal: Principal;
}

export type AppContext = Context & { state: AppState };
