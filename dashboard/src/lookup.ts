// Names for ids: transfers name their connection, connections their
// systems. Screens load these lists whole (`api.all`) and look names up here.

import type { Connection, System } from "./types.ts";
import * as fmt from "./format.ts";

export function byId<T extends { id: string }>(items: T[] | undefined): Map<string, T> {
  return new Map((items ?? []).map((item) => [item.id, item]));
}

/**
 * "Shopify > e-conomic": the flow of a connection, by its systems' kinds.
 * `systems` is the tenant's complete list; "?" stands only for a system that
 * is not in it. Callers without the list yet show a loading state instead.
 */
export function flow(connection: Pick<Connection, "source" | "target">, systems: Map<string, System>): string {
  const source = systems.get(connection.source);
  const target = systems.get(connection.target);
  return `${source ? fmt.systemKind(source.kind) : "?"} > ${target ? fmt.systemKind(target.kind) : "?"}`;
}
