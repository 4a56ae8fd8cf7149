/**
 * Building DOM nodes without markup: every value becomes an attribute or
 * text content, so nothing from the API is ever parsed as HTML.
 */
export type Attrs = Record<string, string | number | boolean | null | undefined>;
export type Child = Node | null | undefined | false;

const SVG_NS = "http://www.w3.org/2000/svg";

function fill<N extends Element>(node: N, attrs: Attrs, children: readonly Child[]): N {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = String(v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

/** An HTML element; `text` sets its text content, `false`/null attributes are left out. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  children: readonly Child[] = [],
): HTMLElementTagNameMap[K] {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element, the same way. */
export function svg(tag: string, attrs: Attrs = {}, children: readonly Child[] = []): SVGElement {
  return fill(document.createElementNS(SVG_NS, tag) as SVGElement, attrs, children);
}

export const text = (s: string): Text => document.createTextNode(s);

/** The element with `id`; the page always has it (dashboard/page.ts). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
}
