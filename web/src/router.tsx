import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

// A tiny history router: the gateway answers every /portal/* path with index.html (SPA fallback), so views have real
// URLs that survive a reload and can be bookmarked.

export const base = '/portal';
const changed = 'meridian:navigate';

/** The current view path without the /portal prefix, e.g. "/tenant/keys"; "/" for the start page. */
export function currentPath(): string {
  const path = location.pathname.startsWith(base) ? location.pathname.slice(base.length) : location.pathname;
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

export function navigate(path: string, replace = false): void {
  const url = base + path;
  if (replace) {
    history.replaceState(null, '', url);
  } else {
    history.pushState(null, '', url);
  }
  dispatchEvent(new Event(changed));
}

export function usePath(): string {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const update = () => setPath(currentPath());
    addEventListener('popstate', update);
    addEventListener(changed, update);
    return () => {
      removeEventListener('popstate', update);
      removeEventListener(changed, update);
    };
  }, []);
  return path;
}

interface LinkProps {
  href: string;
  children: ComponentChildren;
  'aria-current'?: 'page' | undefined;
  class?: string;
}

/** An ordinary link (works with middle-click, keyboard, screen readers) that navigates without a reload. */
export function Link({ href, children, ...rest }: LinkProps) {
  return (
    <a
      {...rest}
      href={base + href}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) {
          return;
        }
        e.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}
