/**
 * @module daemon/swappable-store
 * One Store object whose implementation can be replaced: the HTTP routes hold the daemon's store for the life of
 * the process, while a configuration reload may reopen it (another database, or other delivery routes, which the
 * store is opened with). Every property read is forwarded to the store in place at that moment, and so are the
 * sub-stores (`store.auth`, `store.schedule`, …): a route module that keeps `store.auth` from its construction
 * still reaches the current store. A method read off it is bound to the store of that moment.
 */
import type { Store } from "../store/store.js";

export interface SwappableStore {
  /** The stable object handed out. */
  readonly store: Store;
  current(): Store;
  /** Forward to `next` from now on; returns the store it replaced. */
  swap(next: Store): Store;
}

export function swappableStore(initial: Store): SwappableStore {
  let target = initial;
  return {
    store: forwarding(() => target) as Store,
    current: () => target,
    swap(next) {
      const before = target;
      target = next;
      return before;
    },
  };
}

function forwarding(resolve: () => object): object {
  return new Proxy(
    {},
    {
      get(_shell, prop) {
        const target = resolve();
        const value: unknown = Reflect.get(target, prop, target);
        // Methods run on the object they came from (KyselyStore uses private fields).
        if (typeof value === "function") return (value as (...a: unknown[]) => unknown).bind(target);
        if (value !== null && typeof value === "object") {
          return forwarding(() => {
            const t = resolve();
            return Reflect.get(t, prop, t) as object;
          });
        }
        return value;
      },
      has: (_shell, prop) => Reflect.has(resolve(), prop),
    },
  );
}
