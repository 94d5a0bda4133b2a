/**
 * @module daemon/swappable-store
 * One Store object whose implementation can be replaced: the HTTP routes hold the daemon's store for the life of
 * the process, while a configuration reload may reopen it (another database, or other delivery routes, which the
 * store is opened with). Each property read is forwarded to the store in place at that moment.
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
  const store = new Proxy({} as Store, {
    get(_shell, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      // Methods run on the store they came from (KyselyStore uses private fields).
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
    has: (_shell, prop) => Reflect.has(target, prop),
  });
  return {
    store,
    current: () => target,
    swap(next) {
      const before = target;
      target = next;
      return before;
    },
  };
}
