import { call, can } from '../api.js';
import type { Me } from '../main.js';
import { Badge, ErrorBox, Head, Section, fmtBytes, fmtTime, useAction, useLoad } from '../ui.js';

/**
 * Outgoing federation deltas (docs/federation.md "Governance"): each delta the local gate accepted
 * waits here until a site admin approves it (or declines it: it never leaves the site), unless the
 * node is configured with federation.autoApprove. Only counts and scores are in a delta's manifest.
 */
interface Upload {
  id: string;
  modelId: string;
  state: string;
  bytes: number;
  trainingSlices: number;
  createdAt: string;
  approvedBy: string | null;
  remoteStatus: string | null;
  remoteReason: string | null;
  remoteGeneration: number | null;
}

interface Status {
  enabled: boolean;
  centralUrl: string | null;
  siteId: string | null;
  queue: Record<string, number>;
  uploads: Upload[];
}

export function FederationView({ me }: { me: Me }) {
  const status = useLoad(() => call<Status>('federationStatus'), [], 10000);
  const act = useAction();
  const admin = can(me.roles, 'federationApprove');
  const s = status.data;
  return (
    <Section title="Federation: outgoing deltas">
      <p>
        {s?.enabled ? `Site ${s.siteId} of ${s.centralUrl}.` : 'Federation is not configured (federation.centralUrl, federation.siteId).'} A delta leaves this site only after an admin approved it here, over the API or with{' '}
        <code>dafne-node federation approve ID</code>.
      </p>
      <ErrorBox error={status.error ?? act.error} />
      <table data-testid="federation-uploads">
        <Head columns={['Delta', 'Model', 'State', 'Slices', 'Size', 'Queued', 'Approved by', 'Central outcome', '']} />
        <tbody>
          {s?.uploads.map((u) => (
            <tr key={u.id} data-upload={u.id} data-state={u.state}>
              <td class="mono">{u.id}</td>
              <td>{u.modelId}</td>
              <td>
                <Badge kind={u.state === 'awaiting-approval' ? 'warn' : u.state === 'declined' || u.state === 'failed' ? 'bad' : 'ok'}>{u.state}</Badge>
              </td>
              <td>{u.trainingSlices}</td>
              <td>{fmtBytes(u.bytes)}</td>
              <td>{fmtTime(u.createdAt)}</td>
              <td>{u.approvedBy ?? '—'}</td>
              <td class="small">{u.remoteStatus ? `${u.remoteStatus}${u.remoteGeneration !== null ? ` (generation ${u.remoteGeneration})` : ''}${u.remoteReason ? `: ${u.remoteReason}` : ''}` : '—'}</td>
              <td>
                {admin && u.state === 'awaiting-approval' ? (
                  <>
                    <button data-action="approve" disabled={act.busy} onClick={() => act.run(() => call('federationApprove', { params: { id: u.id } })).then(status.reload)}>
                      Approve
                    </button>{' '}
                    <button data-action="decline" disabled={act.busy} onClick={() => act.run(() => call('federationDecline', { params: { id: u.id } })).then(status.reload)}>
                      Decline
                    </button>
                  </>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
