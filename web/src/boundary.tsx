import type { DeploymentType, HostingOption, World } from './api';

export interface BoundaryChoice {
  region: string;
  hosting: HostingOption;
  type: DeploymentType | null;
}

interface RegionPlace {
  name: string;
  display: string;
  zone: string | null;
  geography: string;
}

function places(world: World): RegionPlace[] {
  return world.geographies.flatMap((g) => [
    ...g.data_zones.flatMap((z) => z.regions.map((r) => ({ name: r.name, display: r.display_name, zone: z.name, geography: g.name }))),
    ...g.regions_without_zone.map((r) => ({ name: r.name, display: r.display_name, zone: null, geography: g.name })),
  ]);
}

export function findRegion(world: World, region: string): RegionPlace | undefined {
  return places(world).find((p) => p.name === region);
}

/**
 * The operator regions that may process a deployment's requests — the same rule as the gateway's router
 * (regional: the resource's region; data zone: every region of its zone; global: every region; publisher: none of
 * the operator's, the publisher's own infrastructure).
 */
export function allowedRegions(world: World, choice: BoundaryChoice): Set<string> {
  const all = places(world);
  const home = all.find((p) => p.name === choice.region);
  if (choice.hosting === 'publisher') {
    return new Set();
  }
  switch (choice.type) {
    case 'regional':
      return new Set([choice.region]);
    case 'datazone':
      return new Set(home?.zone ? all.filter((p) => p.zone === home.zone).map((p) => p.name) : [choice.region]);
    case 'global':
      return new Set(all.map((p) => p.name));
    default:
      return new Set();
  }
}

/** The boundary in words, as the admin API's processing_boundary says it. */
export function boundaryWords(world: World, choice: BoundaryChoice): string {
  const home = findRegion(world, choice.region);
  if (choice.hosting === 'publisher') {
    return "the publisher's infrastructure (may be outside the resource's geography)";
  }
  switch (choice.type) {
    case 'regional':
      return `region ${choice.region}`;
    case 'datazone':
      return `data zone ${home?.zone ?? '(none)'}`;
    case 'global':
      return 'any operator region';
    default:
      return 'choose a deployment type';
  }
}

/**
 * The boundary picture: the world's geographies, data zones and regions, with the regions that may process the
 * deployment's requests marked, the resource's home region pinned, and where its records rest. Every mark is also
 * text, so the picture reads the same to a screen reader.
 */
export function BoundaryPicture({ world, choice, publisherLabel }: { world: World; choice: BoundaryChoice; publisherLabel?: string }) {
  const allowed = allowedRegions(world, choice);
  const home = findRegion(world, choice.region);
  const restsIn = home?.geography ?? '?';
  const publisher = choice.hosting === 'publisher';
  const regionItem = (r: { name: string; display_name: string }) => {
    const may = allowed.has(r.name);
    const isHome = r.name === choice.region;
    return (
      <li key={r.name} class={`region${may ? ' may' : ''}${isHome ? ' home' : ''}`}>
        <span class="region-name">{r.display_name}</span> <code>{r.name}</code>
        <span class="marks">
          {may ? <span class="mark may">may process</span> : <span class="mark no">not used</span>}
          {isHome && <span class="mark home">resource region</span>}
        </span>
      </li>
    );
  };
  return (
    <figure class="boundary" data-boundary={boundaryWords(world, choice)}>
      <figcaption>
        Requests may be processed in <strong>{boundaryWords(world, choice)}</strong>
        {!publisher && allowed.size > 0 && <> ({[...allowed].join(', ')})</>}. Receipts and records rest in geography{' '}
        <strong>{restsIn}</strong>.
      </figcaption>
      <div class="map">
        {world.geographies.map((g) => {
          const rests = g.name === restsIn;
          return (
            <section key={g.name} class={`geo${rests ? ' rests' : ''}`} aria-label={`Geography ${g.name}`}>
              <h4>
                Geography {g.name}
                {rests && <span class="mark rest">data rests here</span>}
              </h4>
              {g.data_zones.map((z) => {
                const zoneAllowed = z.regions.length > 0 && z.regions.every((r) => allowed.has(r.name));
                return (
                  <div key={z.name} class={`zone${zoneAllowed ? ' may' : ''}`}>
                    <h5>Data zone {z.name}</h5>
                    <ul>{z.regions.map(regionItem)}</ul>
                  </div>
                );
              })}
              {g.regions_without_zone.length > 0 && (
                <div class="zone nozone">
                  <h5>No data zone</h5>
                  <ul>{g.regions_without_zone.map(regionItem)}</ul>
                </div>
              )}
            </section>
          );
        })}
        {publisher && (
          <section class="geo publisher may" aria-label="Publisher infrastructure">
            <h4>
              Publisher's infrastructure <span class="mark may">may process</span>
            </h4>
            <p>
              {publisherLabel ?? 'Operated by the publisher'}: location as declared by the publisher; it may be outside geography{' '}
              <strong>{restsIn}</strong>.
            </p>
          </section>
        )}
      </div>
    </figure>
  );
}
