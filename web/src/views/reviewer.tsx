import { getOptional } from '../api';
import { useSession } from '../session';
import { Empty, Load, Notice, useLoad, ViewTitle } from '../ui';
import { Generic } from './generic';

/**
 * The Trust & Safety case queue: only requests the safeguards flagged, for the reviewer's publisher and geographies.
 * Case content is never part of the queue; it is shown only when a case is explicitly opened (an audited event).
 */
export function ReviewerCases() {
  const { me } = useSession();
  const cases = useLoad(() => getOptional<unknown>('/cases'), []);
  return (
    <>
      <ViewTitle
        subtitle={
          me.role === 'reviewer'
            ? `Flagged requests for publisher ${me.publisher_id ?? '—'} in geographies ${me.geographies?.join(', ') ?? '—'}.`
            : 'Flagged requests awaiting review.'
        }
      >
        Case queue
      </ViewTitle>
      <Load state={cases} label="Loading the case queue…">
        {(data) =>
          data === null ? (
            <Notice>
              No review queue: the Trust & Safety review API is not available on this gateway yet. Once safeguards flag requests, their cases appear here.
            </Notice>
          ) : isEmptyList(data) ? (
            <Empty>No cases are waiting for review.</Empty>
          ) : (
            <Generic value={data} title="Cases" />
          )
        }
      </Load>
    </>
  );
}

function isEmptyList(value: unknown): boolean {
  if (Array.isArray(value)) {
    return value.length === 0;
  }
  const data = (value as { data?: unknown })?.data;
  return Array.isArray(data) && data.length === 0;
}
