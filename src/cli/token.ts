import { randomBytes } from 'node:crypto';
import { ROLES, type Role } from '../config/schema.js';
import { hashToken } from '../http/auth.js';

/** `dafne-node token NAME ROLE...`: a new random token and the config entry holding its hash. */
export async function tokenCommand(args: string[]): Promise<number> {
  const [name, ...roles] = args;
  const bad = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (!name || roles.length === 0 || bad.length) {
    process.stderr.write(`usage: dafne-node token NAME ROLE...  (roles: ${ROLES.join(', ')})${bad.length ? `; unknown: ${bad.join(', ')}` : ''}\n`);
    return 64;
  }
  const token = randomBytes(32).toString('base64url');
  process.stdout.write(`token (give this to the client; it is not stored): ${token}\n\nauth:\n  tokens:\n    - name: ${name}\n      sha256: ${hashToken(token)}\n      roles: [${(roles as Role[]).join(', ')}]\n`);
  return 0;
}
