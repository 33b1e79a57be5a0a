// The instances of the app (records the SDK keeps under instances/, attached to each
// instance's lease, so a dead instance disappears when its lease expires) and which release
// each runs against the one it must run at the same revision (ConfigAdmin.instances). Live:
// every report is a key change the app view's watch sees.
import type { AppData } from './app-data.js';

const STATUS_TEXT = { current: 'up to date', stale: 'behind', pending: 'starting' } as const;

export function InstancesPanel({ data }: { data: AppData }) {
  const { instances } = data.instances;
  return (
    <section aria-labelledby="instances-heading" class="panel">
      <h2 id="instances-heading">Instances ({instances.length})</h2>
      {instances.length === 0 ? <p>No instance is running this app.</p> : (
        <table class="instances">
          <thead>
            <tr><th scope="col">Instance</th><th scope="col">Address</th><th scope="col">Labels</th><th scope="col">Runs</th><th scope="col">Must run</th><th scope="col">Status</th><th scope="col">Applied at</th></tr>
          </thead>
          <tbody>
            {instances.map((i) => (
              <tr key={i.id} data-instance={i.id} data-status={i.status}>
                <th scope="row"><code>{i.id}</code></th>
                <td>{i.address}</td>
                <td>{Object.entries(i.labels).map(([k, v]) => `${k}=${v}`).join(', ')}</td>
                <td data-col="runs">{i.applied === null ? '—' : `${i.applied.release}${i.applied.stale ? ' (from cache)' : ''}`}</td>
                <td data-col="expected">{i.expected}</td>
                <td><span class={`badge status-${i.status}`}>{STATUS_TEXT[i.status]}</span></td>
                <td>{i.applied === null || i.applied.at === '' ? '' : <time dateTime={i.applied.at}>{new Date(i.applied.at).toLocaleString()}</time>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
