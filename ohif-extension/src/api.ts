/** The node's review API (/api/v1), called with the reader's bearer token. */
import { TOKEN_KEY } from './ids.js';

export type ResultStatus = 'pending' | 'accepted' | 'corrected' | 'rejected' | 'skipped';

export interface AiResult {
  id: string;
  studyInstanceUid: string;
  sourceSeriesInstanceUid: string;
  /** null when the series was skipped (outcome 'skipped': no SEG, nothing to review). */
  segSeriesInstanceUid: string | null;
  segSopInstanceUid: string | null;
  modelId: string;
  generation: number;
  status: ResultStatus;
  outcome: 'segmented' | 'skipped';
  /** Why the series was skipped, e.g. "skipped: plane coronal, spacing 6 mm > 3 mm tolerated by the axial model". */
  reason: string | null;
  createdAt: string;
}

export interface SegmentDice {
  label: string;
  dice: number;
}

export interface Review {
  id: string;
  action: 'accept' | 'correct' | 'reject';
  reader: string;
  at: string;
  dice: SegmentDice[] | null;
}

export const token = (): string | null => sessionStorage.getItem(TOKEN_KEY);

export function authHeader(): Record<string, string> {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: { Accept: 'application/json', ...authHeader(), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) throw new Error((json as { message?: string } | undefined)?.message ?? `${method} ${url}: HTTP ${res.status}`);
  return json as T;
}

export const listResults = (study: string) => call<AiResult[]>('GET', `/api/v1/results?study=${encodeURIComponent(study)}`);
export const whoAmI = () => call<{ name: string; anonymous: boolean }>('GET', '/api/v1/me');
export const submitReview = (id: string, body: Record<string, unknown>) => call<{ result: AiResult; review: Review }>('POST', `/api/v1/results/${encodeURIComponent(id)}/review`, body);
