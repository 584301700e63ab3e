// A DOM-free look at what a component renders, for components without
// hooks: function components are called, elements kept with their props,
// so a test can read the text and call an element's handlers. (The unit
// tests run in Node; the browser tests under e2e/ render for real.)

import { Fragment, type ComponentChildren, type VNode } from "preact";

export interface Element {
  tag: string;
  props: Record<string, unknown>;
  children: Node[];
}
export type Node = Element | string;

/** The elements and text a vnode stands for, function components called. */
export function render(node: ComponentChildren): Node[] {
  if (node === null || node === undefined || typeof node === "boolean") return [];
  if (typeof node === "string" || typeof node === "number" || typeof node === "bigint") return [String(node)];
  if (Array.isArray(node)) return node.flatMap((n) => render(n as ComponentChildren));
  const vnode = node as VNode<Record<string, unknown>>;
  const { children, ...props } = (vnode.props ?? {}) as Record<string, unknown> & { children?: ComponentChildren };
  if (vnode.type === Fragment) return render(children);
  if (typeof vnode.type === "function") {
    const component = vnode.type as (p: unknown) => ComponentChildren;
    return render(component(vnode.props));
  }
  return [{ tag: String(vnode.type), props, children: render(children) }];
}

/** The text of the rendered nodes, elements separated by spaces, runs of space made one. */
export function text(nodes: Node[]): string {
  const parts = (n: Node): string => (typeof n === "string" ? n : ` ${n.children.map(parts).join("")} `);
  return nodes.map(parts).join("").replace(/\s+/g, " ").trim();
}

/** Every element matching, depth first. */
export function findAll(nodes: Node[], match: (e: Element) => boolean): Element[] {
  const found: Element[] = [];
  const walk = (n: Node) => {
    if (typeof n === "string") return;
    if (match(n)) found.push(n);
    n.children.forEach(walk);
  };
  nodes.forEach(walk);
  return found;
}

/** The one element matching; fails the test when there is none. */
export function find(nodes: Node[], match: (e: Element) => boolean): Element {
  const [first] = findAll(nodes, match);
  if (!first) throw new Error("no element matches");
  return first;
}

export const byName = (name: string) => (e: Element) => e.props.name === name;
export const byTestId = (id: string) => (e: Element) => e.props["data-testid"] === id;

/** Calls an input's `onInput` as the browser would after typing `value`. */
export function type(element: Element, value: string): void {
  (element.props.onInput as (e: unknown) => void)({ currentTarget: { value } });
}
