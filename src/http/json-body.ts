import type { AppContext } from './context.js';
import { httpError } from './errors.js';

/**
 * Reads a small JSON request body (API calls, not DICOM): application/json only, at most
 * `maxBytes`, parsed to a plain object. Validation of the fields is the handler's job (zod).
 */
export async function readJsonBody(ctx: AppContext, maxBytes = 64 * 1024): Promise<unknown> {
  if (!ctx.is('application/json')) throw httpError('unsupported_media_type', 'send the body as application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw httpError('payload_too_large', `the JSON body exceeds ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw httpError('bad_request', 'the body is not valid JSON');
  }
}
